"""bench/keyed_probe.py: pages stored with their articles by path come back as they were."""

from __future__ import annotations

from types import ModuleType

import pytest

from sitegen.pipeline import build_site
from tests.conftest import bench_module
from tests.test_incremental import new_site


@pytest.fixture(scope="module")
def probe() -> ModuleType:
    return bench_module("keyed_probe")


def test_a_page_is_stored_without_its_articles_and_read_back_whole(probe, tmp_path) -> None:
    root = new_site(tmp_path, count=4)
    kept: list = []
    assert build_site(root, keep=kept).ok
    _, site, _ = kept[-1]
    page = next(p for p in site.pages if p.kind == "article" and p.next is not None)
    data = probe.pickled(page)
    for article in (page.article, page.next):  # named by path, their records not in it
        assert article.path.encode() in data and article.digest.encode() not in data
    articles = {a.path: a for a in site.articles}
    assert probe._FromPath(data, articles).load() == page


def test_the_probe_times_a_built_site_and_finds_its_pages_unchanged(probe, tmp_path, capsys):
    root = new_site(tmp_path, count=4)
    assert build_site(root).ok
    assert probe.main(["--site", str(root)]) == 0
    printed = capsys.readouterr().out
    assert "fetch and unpickle 1 pages by name" in printed and "4 articles" in printed


def test_the_probe_says_so_when_the_site_was_not_built_into_that_folder(probe, tmp_path, capsys):
    root = new_site(tmp_path, count=2)
    assert probe.main(["--site", str(root), "--out", str(tmp_path / "elsewhere")]) == 2
    assert "no build record" in capsys.readouterr().err
