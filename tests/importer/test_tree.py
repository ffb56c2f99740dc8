"""`sitegen import` writes a buildable site, loses nothing, and reports every page."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from sitegen.importer.command import register

SAMPLES = Path(__file__).parent / "samples"


def _poster() -> bytes:
    """A small real JPEG: the build processes imported photos, and refuses junk bytes."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 480), (180, 40, 40)).save(out, "JPEG", quality=70)
    return out.getvalue()


POSTER = _poster()


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(list(argv))
    return args.func(args)


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """A small saved archive: the seed as GBK, a Big5 notice with files, a list page."""
    src = tmp_path / "old"
    (src / "fzwq/2018/09").mkdir(parents=True)
    seed = (SAMPLES / "seed-changchun-union.txt").read_text(encoding="utf-8")
    (src / "fzwq/2018/09/5566.txt").write_bytes(seed.encode("gb18030"))
    notice = (SAMPLES / "big5-notice.html").read_text(encoding="utf-8")
    (src / "zgfc/2013/0814").mkdir(parents=True)
    (src / "zgfc/2013/0814/123.html").write_bytes(
        notice.replace("通知公告", "職工書畫").encode("big5hkscs")
    )
    (src / "uploads/2013/08").mkdir(parents=True)
    (src / "uploads/2013/08/poster.jpg").write_bytes(POSTER)
    (src / "uploads/2013/08/entry-form.doc").write_bytes(b"doc")
    items = "".join(f"<li><a href='/t/{i}.html'>第{i}期培訓通知</a></li>" for i in range(9))
    (src / "list.html").write_text(f"<html><body><ul>{items}</ul></body></html>", encoding="utf-8")
    return src


def test_articles_land_at_stable_paths_with_full_front_matter(site, archive, tmp_path):
    report = tmp_path / "report.json"
    assert run("import", str(archive), "--site", str(site), "--report", str(report)) == 0
    seed = (site / "content/law/2018/5566.md").read_text(encoding="utf-8")
    assert seed.startswith(
        "---\ntitle: 發揮工會樞紐型社會組織作用切實做好聯系 引導 服務社會組織工作\n"
    )
    assert "date: 2018-09-21 14:29:29\neditor: baibing\ncategory: law\n" in seed
    assert "legacy_path: fzwq/2018/09/5566.txt\n" in seed
    notice = (site / "content/zgfc/2013/123/index.md").read_text(encoding="utf-8")
    assert "aliases:\n- /zgfc/2013/0814/123.html\n" in notice
    assert "source: 市總工會宣傳部\n" in notice and "author: 王小明\n" in notice


def test_a_new_breadcrumb_category_is_added_to_site_yaml_with_the_folder_slug(site, archive):
    run("import", str(archive), "--site", str(site))
    text = (site / "site.yaml").read_text(encoding="utf-8")
    assert text.startswith("# test site\n")
    assert text.endswith("  - slug: zgfc\n    name: 職工書畫\n")


def test_an_article_with_files_is_written_as_a_folder_holding_them(site, archive):
    run("import", str(archive), "--site", str(site))
    folder = site / "content/zgfc/2013/123"
    notice = (folder / "index.md").read_text(encoding="utf-8")
    assert not (site / "content/zgfc/2013/123.md").exists()
    assert "![展覽海報](poster.jpg)" in notice and "](entry-form.doc)" in notice
    assert (folder / "poster.jpg").read_bytes() == POSTER
    assert (folder / "entry-form.doc").is_file()
    assert not (site / "static/imported").exists()


def test_the_report_lists_every_page_with_encoding_removals_and_mojibake(site, archive, tmp_path):
    report = tmp_path / "r.json"
    run("import", str(archive), "--site", str(site), "--report", str(report))
    pages = {p["source"]: p for p in json.loads(report.read_text(encoding="utf-8"))["pages"]}
    # A page taken for a list may be an article beside long link lists: never lost, but
    # written as a draft for an editor to look at.
    listed = pages["list.html"]
    assert listed["kind"] == "list" and listed["status"] == "written" and listed["needs_review"]
    assert "draft: true" in (site / listed["output"]).read_text(encoding="utf-8")
    seed = pages["fzwq/2018/09/5566.txt"]
    assert seed["encoding"] == "gb18030" and seed["output"] == "content/law/2018/5566.md"
    assert seed["removed"]["spam"] == 1 and seed["removed"]["decoy"] >= 4
    assert {"file", "line", "original", "repair"} <= set(seed["mojibake"][0])
    assert pages["zgfc/2013/0814/123.html"]["encoding"] == "big5hkscs"


def test_importing_again_gives_identical_files_and_edits_are_never_overwritten(site, archive):
    run("import", str(archive), "--site", str(site))
    target = site / "content/law/2018/5566.md"
    first = target.read_bytes()
    run("import", str(archive), "--site", str(site))
    assert target.read_bytes() == first
    target.write_text(first.decode() + "\n編輯修訂。\n", encoding="utf-8")
    run("import", str(archive), "--site", str(site))
    assert target.read_text(encoding="utf-8").endswith("編輯修訂。\n")
    run("import", str(archive), "--site", str(site), "--force")
    assert target.read_bytes() == first


def test_dry_run_writes_nothing(site, archive, capsys):
    before = (site / "site.yaml").read_bytes()
    assert run("import", str(archive), "--site", str(site), "--dry-run") == 0
    assert not (site / "content").exists() and not (site / "static").exists()
    assert (site / "site.yaml").read_bytes() == before
    err = capsys.readouterr().err
    assert "category would be added to site.yaml (dry run): zgfc (職工書畫)" in err
    assert "added to site.yaml:" not in err  # said only of what was written


def test_a_real_import_says_the_category_was_added(site, archive, capsys):
    assert run("import", str(archive), "--site", str(site)) == 0
    assert "category added to site.yaml: zgfc (職工書畫)" in capsys.readouterr().err


def test_a_page_that_fails_is_reported_and_the_others_go_on(site, archive, monkeypatch, capsys):
    import sitegen.importer.tree as tree

    real = tree.import_page

    def flaky(raw, origin, context):
        if origin.name == "123.html":
            raise ValueError("broken markup")
        return real(raw, origin, context)

    monkeypatch.setattr(tree, "import_page", flaky)
    assert run("import", str(archive), "--site", str(site)) == 1
    assert (site / "content/law/2018/5566.md").exists()
    assert "zgfc/2013/0814/123.html: error: could not be imported: broken markup" in (
        capsys.readouterr().err
    )


def test_preview_import_prints_the_markdown_of_one_page(capsys):
    assert run("preview-import", str(SAMPLES / "seed-changchun-union.txt")) == 0
    out = capsys.readouterr().out
    assert out.startswith("# 發揮工會樞紐型社會組織作用") and "## 三、下步工作打算" in out


def test_the_imported_site_builds_strictly(site, archive):
    from sitegen.pipeline import build_site

    run("import", str(archive), "--site", str(site))
    result = build_site(site, site / "public", strict=True)
    assert result.ok, [str(p) for p in result.problems]
    assert (site / "public/law/5566/index.html").exists()
