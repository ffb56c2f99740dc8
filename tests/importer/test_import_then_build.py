"""The whole way: the seed and every corpus page imported, then a strict build and a check
pass on the result with no error (issue 14's proof)."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from scoring import CORPUS

from sitegen.check import check_site
from sitegen.importer.command import register
from sitegen.pipeline import build_site
from tests.conftest import REPO

SAMPLES = Path(__file__).parent / "samples"


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_the_seed_and_the_corpus_import_into_a_site_that_builds_strictly_and_checks(site, tmp_path):
    shutil.copytree(REPO / "layouts", site / "layouts")
    shutil.copytree(REPO / "static", site / "static")
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
