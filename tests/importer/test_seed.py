"""The seed page (a real legacy article saved as text with stray tags) imports cleanly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sitegen.importer import ImportResult, import_page

SEED = "seed-changchun-union.txt"


def sample(name: str) -> str:
    return (Path(__file__).parent / "samples" / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed(context) -> ImportResult:
    return import_page(sample(SEED).encode("utf-8"), Path(SEED), context)


def _body_lines() -> list[str]:
    """The seed's paragraphs: the lines between the author line and the editor credit."""
    lines = [line.strip(" \u3000\xa0") for line in sample(SEED).splitlines()]
    start = lines.index("長春市總工會")
    end = next(i for i, line in enumerate(lines) if "責任編輯" in line)
    return [line for line in lines[start:end] if re.search(r"[\u4e00-\u9fff]", line)]


def test_every_body_paragraph_of_the_seed_is_in_the_markdown(seed):
    for line in _body_lines():
        clean_part = re.split(r"[?\ue000-\uf8ff]", line)[0][:30]
        assert clean_part in seed.markdown, clean_part


def test_the_seed_subtitle_lines_stay_in_the_body(seed):
    assert "發揮工會樞紐型社會組織作用\n\n切實做好聯系 引導 服務社會組織工作" in seed.markdown


def test_no_junk_tag_or_spam_phrase_survives(seed):
    assert "<" not in seed.markdown and "edi27" not in seed.markdown
    for phrase in ("无码", "一本一道", "三級", "免费看", "打印", "當前位置", "責任編輯"):
        assert phrase not in seed.markdown


def test_seed_metadata_is_extracted(seed):
    assert seed.kind == "article"
    assert seed.meta.title == "發揮工會樞紐型社會組織作用切實做好聯系 引導 服務社會組織工作"
    assert seed.meta.date == "2018-09-21 14:29:29"
    assert seed.meta.editor == "baibing"
    assert seed.meta.category == "法律維權"
    assert seed.meta.source == ""


def test_seed_mojibake_is_repaired_where_the_garbled_runs_were(seed):
    assert "活動改變了以" in seed.markdown and "宣傳中發放" in seed.markdown
    assert "民營〓科醫院" in seed.markdown  # the lost lead byte took 專 with it: marked
    assert "中國夢·勞動美·工會情" in seed.markdown
    assert "顒" not in seed.markdown and "漆t" not in seed.markdown


def test_every_mojibake_run_is_listed_with_its_line(seed):
    runs = {(r.line, r.original[:3]) for r in seed.mojibake}
    assert (63, "?;顒") in runs and (65, "??漆") in runs


def test_section_titles_become_headings_and_numbered_paragraphs_do_not(seed):
    assert "## 一、我市社會組織基本情況" in seed.markdown
    assert "### （一）領導高度重視、精心統籌謀劃" in seed.markdown or "### (一)" in seed.markdown
    assert "\n1.發揮市職工文體協會" in seed.markdown
