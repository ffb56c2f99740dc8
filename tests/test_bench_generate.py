"""bench/generate.py writes the benchmark corpus: repeatable, and like a real site."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from sitegen.config import load_config

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "generate.py"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    """bench/ is not a package; load the script as the module it also is."""
    spec = importlib.util.spec_from_file_location("bench_generate", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corpus(generator: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bench") / "site"
    generator.generate(300, root, seed=7)
    return root


def run_script(*args: str) -> None:
    subprocess.run([sys.executable, str(SCRIPT), *args], check=True, capture_output=True)


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def split(path: Path) -> tuple[dict, str]:
    _, head, body = path.read_text(encoding="utf-8").split("---\n", 2)
    return yaml.safe_load(head), body


def articles(root: Path) -> list[Path]:
    return sorted((root / "content").rglob("*.md"))


def test_the_same_count_and_seed_write_identical_bytes(tmp_path: Path) -> None:
    run_script("40", str(tmp_path / "a"), "--seed", "3")
    run_script("40", str(tmp_path / "b"), "--seed", "3")
    # layouts/ and static/ are copies of the packaged theme's, which may change between runs
    first, second = tree(tmp_path / "a" / "content"), tree(tmp_path / "b" / "content")
    assert len(first) == 40
    assert first == second
    site_yaml = [(tmp_path / name / "site.yaml").read_bytes() for name in ("a", "b")]
    assert site_yaml[0] == site_yaml[1]


def test_the_site_gets_the_packaged_theme_layouts(corpus: Path) -> None:
    theme = SCRIPT.parent.parent / "sitegen" / "theme"
    assert {p.name for p in (corpus / "layouts").iterdir()} == {
        p.name for p in (theme / "layouts").iterdir()
    }


def test_another_seed_writes_other_articles(tmp_path: Path) -> None:
    run_script("20", str(tmp_path / "a"), "--seed", "1")
    run_script("20", str(tmp_path / "b"), "--seed", "2")
    assert tree(tmp_path / "a" / "content") != tree(tmp_path / "b" / "content")


def test_a_smaller_corpus_is_the_start_of_a_larger_one(
    generator: ModuleType, tmp_path: Path
) -> None:
    generator.generate(10, tmp_path / "small", seed=5)
    generator.generate(25, tmp_path / "large", seed=5)
    small, large = tree(tmp_path / "small" / "content"), tree(tmp_path / "large" / "content")
    assert len(small) == 10 and len(large) == 25
    assert {name: large[name] for name in small} == small


def test_the_generated_site_yaml_is_accepted_by_sitegen(corpus: Path) -> None:
    config, problems = load_config(corpus)
    assert problems == []
    assert config is not None
    assert len(config.categories) == 8
    assert all(re.fullmatch(r"[a-z]+", c.slug) and CJK.search(c.name) for c in config.categories)
    assert (config.page_size, config.timezone) == (20, "Asia/Shanghai")
    assert config.base_url == "https://bench.example.org/"


def test_every_article_has_front_matter_matching_its_path(corpus: Path) -> None:
    slugs = {c.slug for c in load_config(corpus)[0].categories}
    for path in articles(corpus):
        meta, _ = split(path)
        _, category, year, _ = path.relative_to(corpus).parts
        assert isinstance(meta["title"], str) and CJK.search(meta["title"]), path
        assert isinstance(meta["date"], dt.datetime), path
        assert dt.datetime(2006, 1, 1) <= meta["date"] < dt.datetime(2026, 1, 1), path
        assert meta["category"] == category and category in slugs, path
        assert str(meta["date"].year) == year, path
        assert isinstance(meta["source"], str) and isinstance(meta["editor"], str), path
        assert set(meta) <= {"title", "date", "category", "source", "editor", "author", "tags"}


def test_dates_spread_over_twenty_years_and_all_categories(corpus: Path) -> None:
    metas = [split(path)[0] for path in articles(corpus)]
    assert len({m["date"].year for m in metas}) >= 18
    assert len({m["category"] for m in metas}) == 8


def test_bodies_are_two_to_six_kb_of_chinese_with_numbered_headings(corpus: Path) -> None:
    for path in articles(corpus):
        _, body = split(path)
        assert 2000 <= len(body.encode("utf-8")) <= 6000, path
        assert re.search(r"^## 一、\S", body, re.MULTILINE), path
        assert len(CJK.findall(body)) > len(body) / 2, path


def test_some_articles_have_tables_lists_tags_and_authors(corpus: Path) -> None:
    texts = [path.read_text(encoding="utf-8") for path in articles(corpus)]
    tables = sum(bool(re.search(r"^\| --- \|", t, re.MULTILINE)) for t in texts)
    assert 10 <= tables <= 60  # "a table every ~10 articles" of 300
    assert any(re.search(r"^(- |1\. )", t, re.MULTILINE) for t in texts)
    assert 0 < sum("\ntags:\n  - " in t for t in texts) < len(texts)
    assert 0 < sum("\nauthor: " in t for t in texts) < len(texts)


def test_it_refuses_to_replace_a_folder_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "5", str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "refusing to overwrite" in result.stderr
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
