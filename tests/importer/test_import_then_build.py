"""The whole way: the seed and every corpus page imported, then a strict build and a check
pass on the result with no error (issue 14's proof)."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from scoring import CORPUS

from sitegen.check import check_site
from sitegen.importer.command import register
from sitegen.pipeline import build_site

SAMPLES = Path(__file__).parent / "samples"


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_the_seed_and_the_corpus_import_into_a_site_that_builds_strictly_and_checks(site, tmp_path):
    src = tmp_path / "old"
    shutil.copytree(CORPUS, src, ignore=shutil.ignore_patterns("*.yaml"))
    (src / "fzwq/2018/09").mkdir(parents=True)
    seed = (SAMPLES / "seed-changchun-union.txt").read_text(encoding="utf-8")
    (src / "fzwq/2018/09/5566.txt").write_bytes(seed.encode("gb18030"))
    report = tmp_path / "r.json"
    # Attachments the corpus pages link to are not in it: linked to the old site instead.
    old = "https://www.example.gov.cn"
    assert (
        run("import", str(src), "--site", str(site), "--report", str(report), "--old-site", old)
        == 0
    )
    articles = list((site / "content").rglob("*.md"))
    assert len(articles) >= 36  # 34 corpus articles, the seed, and list pages as drafts
    built = build_site(site, strict=True)
    assert built.ok, [str(p) for p in built.problems]
    checked = check_site(site)
    assert [str(p) for p in checked.problems if p.is_error] == []
    assert checked.pages > 30
    text = (site / "content/news/2012/ShowArticle-123.md").read_text(encoding="utf-8")
    assert f"]({old}/UploadFiles/2012/3/201203081452384127.xls)" in text


def test_an_old_site_that_is_not_an_address_is_refused_before_anything_is_written(
    site, tmp_path, capsys
):
    src = tmp_path / "old"
    src.mkdir()
    (src / "a.html").write_text("<h1>甲</h1><p>發布日期：2014-05-06</p>", encoding="utf-8")
    assert run("import", str(src), "--site", str(site), "--old-site", "old.example.org") == 2
    assert "is not a site address" in capsys.readouterr().err
    assert not (site / "content").exists()


def test_binary_control_characters_and_pages_without_any_column_still_build(site, tmp_path):
    """An image saved under a page's name is skipped with its reason; stray control
    characters in a real page are dropped (the build refuses them); pages that name no
    column share one holding category, not one each."""
    src = tmp_path / "old"
    src.mkdir()
    (src / "photo.html").write_bytes(bytes(range(32)) * 400)
    prose = "職工書屋建設推動全民閱讀走進企業，各基層工會積極響應。" * 3
    for name in ("a", "b"):
        page = f"<h1>標題{name}\x19</h1><p>發布日期：2014-05-06</p><p>{prose}\x01</p>"
        (src / f"{name}.html").write_text(page, encoding="utf-8")
    report = tmp_path / "r.json"
    assert run("import", str(src), "--site", str(site), "--report", str(report)) == 0
    pages = {p["source"]: p for p in json.loads(report.read_text(encoding="utf-8"))["pages"]}
    assert pages["photo.html"]["status"] == "skipped"
    assert "not a text page" in pages["photo.html"]["reason"]
    assert (site / "site.yaml").read_text(encoding="utf-8").count("導入") == 1
    built = build_site(site, strict=True)
    assert built.ok, [str(p) for p in built.problems]
