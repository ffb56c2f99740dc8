"""Incremental builds give exactly the site a clean build gives, and write only what changed."""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import marshal
import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sitegen.forked
from sitegen import entry, pipeline, resume
from sitegen.cache import CACHE_DIR, SCHEMA, BuildMemory
from sitegen.forked import companion
from sitegen.indexing import resident_indexer
from sitegen.pipeline import build_site
from sitegen.theme import THEME_DIR
from tests.conftest import MINIMAL_CONFIG, article, snapshot, write_site

CATEGORIES = ("law", "news")
SEARCH_CONFIG = MINIMAL_CONFIG.replace("search: false", "search: true")


def new_site(folder: Path, count: int = 5) -> Path:
    root = folder / "site"
    shutil.copytree(THEME_DIR / "layouts", root / "layouts")
    shutil.copytree(THEME_DIR / "static", root / "static")
    # With search on, so the index is held to the same rule as the pages.
    (root / "site.yaml").write_text(SEARCH_CONFIG, encoding="utf-8")
    for i in range(count):
        write(root, f"a{i}", f"文章{i}", f"2018-0{1 + i % 9}-1{i % 10} 10:00", CATEGORIES[i % 2])
    return root


def write(root: Path, name: str, title: str, date: str, category: str, body: str = "正文。"):
    path = root / "content" / category / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(article(title, date, category, body), encoding="utf-8")


def replace_in(path: Path, old: str, new: str) -> None:
    """An editor's change to one file: `old` becomes `new`."""
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")


def articles(root: Path) -> list[Path]:
    return sorted((root / "content").rglob("*.md"))


def apply(root: Path, op: tuple[str, int]) -> None:
    """One editor's action; `n` picks the article or value it acts on."""
    kind, n = op
    files = articles(root)
    target = files[n % len(files)] if files else None
    if kind == "add" or target is None:
        write(root, f"new{n}", f"新文章{n}", f"2019-{1 + n % 12:02d}-0{1 + n % 9} 09:30",
              CATEGORIES[n % 2])  # fmt: skip
    elif kind == "edit":
        target.write_text(target.read_text(encoding="utf-8") + f"\n新增段落{n}。\n", "utf-8")
    elif kind == "retitle":
        text = target.read_text(encoding="utf-8")
        target.write_text(text.replace("title: ", f"title: 改{n}", 1), encoding="utf-8")
    elif kind == "redate":
        text = target.read_text(encoding="utf-8").splitlines(keepends=True)
        text[2] = f"date: 2020-0{1 + n % 9}-15 08:00\n"
        target.write_text("".join(text), encoding="utf-8")
    elif kind == "recategorise":
        text = target.read_text(encoding="utf-8").replace("category: law", "category: news")
        target.write_text(text, encoding="utf-8")
    elif kind == "rename":
        # (Named after its folder too: two law and news files renamed alike and then put in
        # one category would claim one URL, a true error and not what this test is about.)
        target.rename(target.with_name(f"renamed{n}-{target.parent.name}.md"))
    elif kind == "delete":
        target.unlink()
    elif kind == "template":
        layout = root / "layouts" / ("print.html", "base.html", "category.html")[n % 3]
        layout.write_text(layout.read_text(encoding="utf-8") + f"\n<!-- {n} -->\n", "utf-8")
    elif kind == "settings":
        config = root / "site.yaml"
        # The base URL's path is in every link, some of them put there when layouts compile.
        base = ("https://example.org/", "https://example.org/archive/")[n % 2]
        config.write_text(SEARCH_CONFIG.replace("page_size: 3", f"page_size: {2 + n % 3}")
                          .replace("測試檔案館", f"測試檔案館{n}")
                          .replace("https://example.org/", base), encoding="utf-8")  # fmt: skip


OPS = st.tuples(
    st.sampled_from(["add", "edit", "retitle", "redate", "recategorise", "rename", "delete",
                     "template", "settings"]),
    st.integers(0, 50),
)  # fmt: skip


@pytest.mark.parametrize(
    "kept", ["disk", "memory", "serve"],
    ids=["record on disk", "record in memory", "record and index in memory"],
)  # fmt: skip
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(OPS, min_size=1, max_size=3), min_size=1, max_size=4))
def test_incremental_builds_equal_clean_builds_after_any_edits(kept, batches):
    """(`kept`: the builds share a BuildMemory, as `serve`'s do, instead of reading their
    record back from disk, and patch the last site for body edits (sitegen/patch.py); with
    "serve", a resident indexer too, which splices those edits into the index it holds.)"""
    memory = BuildMemory() if kept != "disk" else None
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        indexer = None
        if kept == "serve":
            with pytest.MonkeyPatch.context() as patch:  # forked even if a thread was left
                patch.setattr(sitegen.forked.threading, "active_count", lambda: 1)
                indexer = companion(resident_indexer)
            assert indexer is not None
            stack.callback(indexer.close)
        root = new_site(Path(tmp))
        assert build_site(root, memory=memory, indexer=indexer).ok
        for batch in batches:
            for op in batch:
                apply(root, op)
            assert build_site(root, memory=memory, indexer=indexer).ok
            # A clean build of a copy of the sources, so that no cache is shared.
            clean = Path(tmp) / "clean"
            shutil.copytree(root, clean, ignore=shutil.ignore_patterns(CACHE_DIR, "public"))
            assert build_site(clean).ok
            assert snapshot(root / "public") == snapshot(clean / "public"), batches
            shutil.rmtree(clean)


def test_a_new_base_path_reaches_every_link_of_an_incremental_build(tmp_path):
    root = new_site(tmp_path)
    assert build_site(root).ok
    apply(root, ("settings", 1))  # the site moves under /archive/
    assert build_site(root).ok
    page = (root / "public/law/a0/index.html").read_text(encoding="utf-8")
    assert 'href="/archive/static/css/site.css"' in page
    assert 'href="/static/' not in page


def test_a_build_with_nothing_to_do_stops_early_but_still_reports_warnings(tmp_path):
    root = new_site(tmp_path)
    write(root, "odd", "怪", "2018-01-01", "law", body="x")
    replace_in(root / "content/law/odd.md", "---\n\n", "colour: 紅\n---\n")
    first = build_site(root)
    again = build_site(root)
    assert again.written == () and again.unchanged == first.pages
    assert [str(p) for p in again.problems] == [str(p) for p in first.problems] != []
    assert not build_site(root, strict=True).ok


LOADED = """
import sys
from sitegen.cli import main
code = main(["build", sys.argv[1]])
later = ("jinja2", "markdown", "sitegen.pipeline", "sitegen.site", "sqlite3")
print(code, *sorted(m for m in later if m in sys.modules))
"""


def test_a_build_with_nothing_to_do_stops_before_loading_markdown_and_the_layouts(tmp_path):
    """`sitegen build` with nothing to do imports only the first steps (sitegen/entry.py):
    Markdown, Jinja2 and the pipeline took 0.075 s of such a build's 0.26 s at 10 000
    articles; the model of the site, the body store (sqlite3) and the labels another
    0.013 s. A build with work loads them once it has found the work, and Markdown only
    for a body that is not plain prose (sitegen/plainmd.py)."""
    import subprocess
    import sys

    root = new_site(tmp_path)

    def loaded() -> str:
        done = subprocess.run([sys.executable, "-c", LOADED, str(root)], capture_output=True,
                              text=True, check=True, cwd=Path(__file__).parents[1])  # fmt: skip
        return done.stdout.splitlines()[-1]

    work = "jinja2 sitegen.pipeline sitegen.site sqlite3"
    assert loaded() == f"0 {work}"  # plain prose, every article
    assert loaded() == "0"
    write(root, "plain", "新文章", "2018-02-01", "law")
    assert loaded() == f"0 {work}"
    write(root, "marked", "新通知", "2018-02-02", "law", body="**重要**通知。")
    assert loaded() == f"0 {work.replace('jinja2', 'jinja2 markdown')}"


def test_a_build_with_nothing_to_do_hands_its_listing_to_keep(tmp_path):
    """`sitegen build` exits without tearing the interpreter down (cli.run), so what a
    build hands to `keep` is never freed one object at a time: a build with nothing to do
    hands over its listing of the sources (freeing that of 100 000 articles took 0.02 s
    of such a build)."""
    from sitegen.entry import Seen

    root = new_site(tmp_path)
    assert build_site(root).ok
    kept: list = []
    result = build_site(root, keep=kept)
    assert result.ok and result.written == ()
    [seen] = [k for k in kept if isinstance(k, Seen)]
    sources = {p.relative_to(root).as_posix() for p in (root / "content").rglob("*.md")}
    assert set(seen.files) == sources


SEEN_BY_CHILD = """
import sys
from pathlib import Path
import sitegen.indexing
from sitegen.cli import main
real = sitegen.indexing._search_child
def child(*args):
    seen = [m for m in ("jinja2", "markdown", "sitegen.pipeline") if m in sys.modules]
    Path(sys.argv[2]).write_text(" ".join(seen) or "none", encoding="utf-8")
    return real(*args)
sitegen.indexing._search_child = child
print(main(["build", sys.argv[1]]))
"""


def test_an_edits_search_child_forks_before_the_build_imports_markdown_and_jinja2(tmp_path):
    """The child that makes an edit's search index starts as soon as the build knows there
    is work: importing the rest of sitegen first (0.05 s) left it starting late, after
    the build had sent it the edited rows."""
    import subprocess
    import sys

    root = new_site(tmp_path)
    assert build_site(root).ok
    replace_in(root / "content/law/a2.md", "正文。", "新的正文。")
    seen = tmp_path / "seen.txt"
    done = subprocess.run([sys.executable, "-c", SEEN_BY_CHILD, str(root), str(seen)],
                          capture_output=True, text=True, check=True,
                          cwd=Path(__file__).parents[1])  # fmt: skip
    assert done.stdout.splitlines()[-1] == "0"
    assert seen.read_text(encoding="utf-8") == "none"
    assert build_site(root, root / "clean", clean=True).ok
    assert snapshot(root / "public") == snapshot(root / "clean")


def test_a_build_that_fails_before_its_pipeline_runs_stops_the_search_child(tmp_path, monkeypatch):
    """The child is started before the rest of the build is imported: if the build stops
    before that rest takes it over, the child is stopped and its folder removed."""
    root = new_site(tmp_path)
    assert build_site(root).ok
    replace_in(root / "content/law/a2.md", "正文。", "新的正文。")

    def broken(*args):
        raise RuntimeError("stopped")

    monkeypatch.setattr(pipeline, "sweep_temporaries", broken)
    with pytest.raises(RuntimeError):
        build_site(root)
    assert not list(root.glob(".public.sitegen-search-child-*"))
    monkeypatch.undo()
    assert build_site(root).ok
    assert build_site(root, root / "clean", clean=True).ok
    assert snapshot(root / "public") == snapshot(root / "clean")


def test_verify_notices_an_output_edited_or_deleted_by_hand_and_writes_it_again(tmp_path):
    root = new_site(tmp_path)
    build_site(root)
    page = root / "public/law/a0/index.html"
    original = page.read_bytes()
    page.write_bytes(b"edited by hand")
    assert build_site(root, verify=True).written == ("law/a0/index.html",)
    assert page.read_bytes() == original
    page.unlink()
    assert build_site(root, verify=True).written == ("law/a0/index.html",)
    assert page.read_bytes() == original


def test_a_plain_build_trusts_its_record_but_notices_a_section_deleted_by_hand(tmp_path):
    """Without --verify the outputs are not statted one by one (see pipeline._intact): a
    top-level folder gone is noticed, by the no-change check and by an edit build alike."""
    root = new_site(tmp_path)
    build_site(root)
    before = snapshot(root / "public")
    shutil.rmtree(root / "public/law")
    result = build_site(root)
    assert result.ok and "law/a0/index.html" in result.written
    assert snapshot(root / "public") == before
    shutil.rmtree(root / "public/law")
    apply(root, ("edit", 1))
    assert build_site(root).ok
    assert build_site(root, root / "clean", clean=True).ok
    assert snapshot(root / "public") == snapshot(root / "clean")


def test_a_second_build_with_no_change_writes_nothing(tmp_path):
    root = new_site(tmp_path)
    build_site(root)
    mtimes = {p: p.stat().st_mtime_ns for p in (root / "public").rglob("*")}
    result = build_site(root)
    assert result.written == () and result.removed == ()
    assert {p: p.stat().st_mtime_ns for p in (root / "public").rglob("*")} == mtimes


def test_editing_one_article_writes_only_the_pages_that_show_it(tmp_path):
    root = new_site(tmp_path, count=8)
    build_site(root)
    target = root / "content/law/a2.md"
    target.write_text(target.read_text(encoding="utf-8") + "\n補充說明。\n", encoding="utf-8")
    result = build_site(root)
    pages = {name for name in result.written if not name.startswith("search/")}
    assert pages == {"law/a2/index.html", "law/a2/print.html", "law/feed.xml", "feed.xml"}
    assert "search/meta.json" in result.written  # the index holds the new text


def test_an_edit_computes_keys_only_for_the_pages_that_show_its_article(tmp_path, monkeypatch):
    """The lists and article pages around an edited body keep their recorded keys
    (pipeline._kept_key): at 100 000 articles computing them all again cost a second."""
    root = new_site(tmp_path, count=12)
    assert build_site(root).ok
    target = root / "content/law/a4.md"
    target.write_text(target.read_text(encoding="utf-8") + "\n補充說明。\n", encoding="utf-8")
    keyed = _keyed(monkeypatch)
    assert build_site(root).ok
    shown = {(page.kind, page.url) for page in keyed}
    assert ("article", "/law/a4/") in shown and ("print", "/law/a4/print.html") in shown
    assert ("feed", "/law/feed.xml") in shown  # lists the edited article
    for page in keyed:  # (the archive's months, the sitemaps and such are always keyed)
        if page.kind in ("article", "print", "category", "month", "home", "feed"):
            shows = [page.article, page.previous, page.next, *page.entries]
            shows += [a for _, group in page.groups for a in group]
            assert "content/law/a4.md" in {a.path for a in shows if a}, page.url
    assert build_site(root, root / "clean", clean=True).ok
    assert snapshot(root / "public") == snapshot(root / "clean")


def test_an_edit_asks_only_about_the_pages_around_its_article(tmp_path, monkeypatch):
    """An edit that moves no article looks at its article's pages, its neighbours' (which
    name it) and the lists, not at every other article page: asking that of each of the
    20 000 article pages of 10 000 articles took 0.02 s of every edit."""
    root = new_site(tmp_path, count=12)
    assert build_site(root).ok
    replace_in(root / "content/law/a4.md", "title: 文章4", "title: 文章四")
    _without_page_store(root)  # (else the edit is made from it: see sitegen/resume.py)
    looked: list = []
    real = pipeline._kept_key
    monkeypatch.setattr(
        pipeline, "_kept_key", lambda page, kept: looked.append(page) or real(page, kept)
    )
    result = build_site(root)
    assert result.ok
    around = {page.article.path for page in looked if page.kind in ("article", "print")}
    # law's articles by date: a0, a10, a2, a4, a6, a8; the edited one's neighbours show its title.
    assert around == {"content/law/a2.md", "content/law/a4.md", "content/law/a6.md"}
    assert {"law/a2/index.html", "law/a6/index.html"} <= set(result.written)
    assert "文章四" in (root / "public/law/a6/index.html").read_text(encoding="utf-8")
    assert build_site(root, root / "clean", clean=True).ok
    assert snapshot(root / "public") == snapshot(root / "clean")


def test_after_a_file_is_renamed_the_next_edit_still_keys_only_the_pages_around_it(
    tmp_path, monkeypatch
):
    """A build keeps its sources in the order of their paths, as the record gives them back:
    a file renamed (one gone, one come: as many as before) is put in its place, so that
    the plan the next build compares with is the one it makes."""
    root = new_site(tmp_path, count=8)
    assert build_site(root).ok
    (root / "content/law/a2.md").rename(root / "content/law/0a.md")  # now first in order
    assert build_site(root).ok
    keyed = _keyed(monkeypatch)
    replace_in(root / "content/law/a4.md", "正文。", "新的正文。")
    assert build_site(root).ok
    assert sum(page.kind == "article" for page in keyed) == 3  # a4 and its two neighbours
    assert build_site(root, root / "clean", clean=True).ok
    assert snapshot(root / "public") == snapshot(root / "clean")


def _keyed(monkeypatch) -> list:
    """The pages whose key the next build computes (rather than takes from the record),
    each once: an edit's build from the page store keys a page as stored and as it is now."""
    keyed: list = []
    real = pipeline.page_key

    def key(page, *more):
        if all((page.kind, page.url) != (seen.kind, seen.url) for seen in keyed):
            keyed.append(page)
        return real(page, *more)

    monkeypatch.setattr(pipeline, "page_key", key)
    monkeypatch.setattr(resume, "page_key", key)
    return keyed


def _without_page_store(root: Path) -> None:
    """The page store removed, as a record of before it has none: the next build assembles
    the site (and writes one)."""
    for store in (root / CACHE_DIR).glob("pages-*.sqlite"):
        store.unlink()


def test_a_new_article_newer_than_all_computes_keys_only_for_the_pages_it_changes(
    tmp_path, monkeypatch
):
    """A day's upload: the new article comes first in the order, so every other article keeps
    its place and neighbours. Keys are computed for the pages that show it, its category's
    lists and its month's, and the pages always keyed (archive, sitemaps); an article dated
    before the others moves every later one and has every key computed."""
    root = new_site(tmp_path, count=12)
    assert build_site(root).ok
    write(root, "today", "今日要聞", "2019-06-01 09:00", "law")
    _without_page_store(root)  # the assembled way (the store's: tests/test_resume.py)
    keyed = _keyed(monkeypatch)
    assert build_site(root).ok
    shown = {(page.kind, page.url) for page in keyed}
    assert {("article", "/law/today/"), ("category", "/law/"), ("feed", "/feed.xml")} <= shown
    for page in keyed:
        if page.kind in ("article", "print", "home", "feed"):
            shows = [page.article, page.previous, page.next, *page.entries]
            assert "content/law/today.md" in {a.path for a in shows if a}, page.url
        elif page.kind == "category":
            assert page.category.slug == "law", page.url
        elif page.kind == "month":
            assert (page.year, page.month) == (2019, 6), page.url
    assert build_site(root, root / "clean", clean=True).ok
    assert snapshot(root / "public") == snapshot(root / "clean")
    keyed.clear()
    write(root, "old", "舊聞補錄", "2017-03-01 09:00", "news")  # before every other article
    _without_page_store(root)
    assert build_site(root).ok
    assert ("category", "/news/") in {(page.kind, page.url) for page in keyed}
    assert sum(page.kind == "article" for page in keyed) == 14  # every article's page
    assert build_site(root, root / "clean", clean=True).ok
    assert snapshot(root / "public") == snapshot(root / "clean")


def test_an_article_moved_into_another_month_in_its_place_leaves_the_old_months_list(tmp_path):
    """Its place in the order is the same, so every list of the month it left shows only
    unchanged articles: their recorded keys must not be trusted (the months are in _plan)."""
    root = new_site(tmp_path, count=0)
    for name, date in (("c", "2018-03-20"), ("a", "2018-03-31"), ("b", "2018-04-02")):
        write(root, name, f"文章{name}", f"{date} 10:00", "law")
    assert build_site(root).ok
    march = root / "public/archive/2018/03/index.html"
    assert "/law/a/" in march.read_text(encoding="utf-8")
    replace_in(root / "content/law/a.md", "2018-03-31", "2018-04-01")
    assert build_site(root).ok
    assert "/law/a/" not in march.read_text(encoding="utf-8")
    assert "/law/a/" in (root / "public/archive/2018/04/index.html").read_text(encoding="utf-8")
    assert build_site(root, root / "clean", clean=True).ok
    assert snapshot(root / "public") == snapshot(root / "clean")


def test_editing_the_print_layout_rewrites_only_print_views(tmp_path):
    root = new_site(tmp_path)
    build_site(root)
    layout = root / "layouts/print.html"
    layout.write_text(
        layout.read_text(encoding="utf-8").replace("<main", "<main data-v=2"), "utf-8"
    )
    written = build_site(root).written
    assert written and all(name.endswith("print.html") for name in written)


def test_layouts_are_parsed_once_and_a_new_include_is_followed(tmp_path, monkeypatch):
    """What each layout includes is kept by its source's digest: a rebuild parses only the
    layouts that changed, and a change to a newly included layout still reaches its pages."""
    import jinja2.meta

    parsed: list[str] = []
    real = jinja2.meta.find_referenced_templates
    monkeypatch.setattr(jinja2.meta, "find_referenced_templates",
                        lambda ast: parsed.append(ast) or real(ast))  # fmt: skip
    root = new_site(tmp_path)
    build_site(root)
    assert parsed
    parsed.clear()
    apply(root, ("edit", 1))
    build_site(root)
    assert parsed == []
    note = root / "layouts/_note.html"
    note.write_text("<p>本頁供列印。</p>", encoding="utf-8")
    replace_in(root / "layouts/print.html", "<main", '{% include "_note.html" %}<main')
    written = build_site(root).written
    assert written and all(name.endswith("print.html") for name in written)
    parsed.clear()
    note.write_text("<p>本頁供列印，請勿轉載。</p>", encoding="utf-8")
    written = build_site(root).written
    assert len(parsed) == 1  # the changed include only
    assert written and all(name.endswith("print.html") for name in written)
    assert "請勿轉載" in (root / "public" / written[0]).read_text(encoding="utf-8")


def _forks(monkeypatch) -> list[int]:
    """Counts the worker pools the builds fork (worth forking from 20 items on)."""
    import multiprocessing.context

    from sitegen import workers

    monkeypatch.setattr(workers, "PARALLEL_FROM", 20)  # a clean build: 24 sources
    forked: list[int] = []
    real = multiprocessing.context.ForkContext.Pool
    monkeypatch.setattr(multiprocessing.context.ForkContext, "Pool",
                        lambda self, *a, **k: forked.append(1) or real(self, *a, **k))  # fmt: skip
    return forked


def test_an_editors_save_is_rebuilt_without_forking_workers(tmp_path, monkeypatch):
    """Forking the worker processes costs a small rebuild more than it saves: after a save
    or two (newer than the last build) none are forked; after a layout edit they are."""
    root = new_site(tmp_path, count=12)
    forked = _forks(monkeypatch)
    build_site(root, jobs=2)
    assert forked == [1]
    apply(root, ("edit", 3))
    assert build_site(root, jobs=2).written
    assert forked == [1]
    apply(root, ("template", 1))
    assert build_site(root, jobs=2).written
    assert forked == [1, 1]


def test_many_edits_taken_for_few_still_get_the_workers_and_the_right_site(tmp_path, monkeypatch):
    """The guess is by modification times only; when the work turns out large the workers
    are forked then, and the site is the one a clean build makes."""
    root = new_site(tmp_path, count=12)
    forked = _forks(monkeypatch)
    build_site(root, jobs=2)
    monkeypatch.setattr(entry, "FEW_EDITS", 10_000)  # every edit below counts as few
    for n in range(12):
        apply(root, ("retitle", n))
    forked.clear()
    assert build_site(root, jobs=2).ok
    assert forked == [1]  # forked late, for the pages to render
    assert build_site(root, root / "clean", clean=True, jobs=1).ok
    assert snapshot(root / "public") == snapshot(root / "clean")


def test_a_deleted_article_takes_its_pages_with_it(tmp_path):
    root = new_site(tmp_path)
    build_site(root)
    (root / "content/law/a0.md").unlink()
    result = build_site(root)
    assert "law/a0/index.html" in result.removed
    assert not (root / "public/law/a0").exists()
    apply(root, ("edit", 1))  # the next build brings the other tree up: its folder goes too
    assert build_site(root).ok and not (root / "public/law/a0").exists()
    assert (root / "public/law").is_dir()  # (not the folders that still hold pages)


def cached(root: Path) -> dict[str, tuple]:
    """The source entries of every part file of the build cache."""
    entries: dict[str, tuple] = {}
    for part in (root / CACHE_DIR).glob("sources-*.bin"):
        entries.update(marshal.loads(part.read_bytes())[2])
    return entries


def _counting_loads(monkeypatch) -> list[Path]:
    """Every reading of a build record from disk, from now on (its root)."""
    loads: list[Path] = []
    load = pipeline.load_cache

    def counted(root, *args):
        loads.append(root)
        return load(root, *args)

    monkeypatch.setattr(pipeline, "load_cache", counted)
    return loads


def test_a_record_kept_in_memory_is_used_until_another_build_writes_the_folder(
    tmp_path, monkeypatch
):
    """serve's builds hand their record to the next one in memory; a build by another
    process into the same folder in between (a second serve) means reading its record."""
    root, memory = new_site(tmp_path, count=6), BuildMemory()
    assert build_site(root, memory=memory).ok
    loads = _counting_loads(monkeypatch)
    apply(root, ("edit", 2))
    assert build_site(root, memory=memory).written
    apply(root, ("retitle", 3))
    assert build_site(root, memory=memory).written
    assert loads == []
    apply(root, ("add", 4))
    assert build_site(root).ok  # another process's build: no memory of its own here
    apply(root, ("edit", 5))
    assert build_site(root, memory=memory).ok
    assert len(loads) == 2
    assert build_site(root, root / "clean", clean=True).ok
    assert snapshot(root / "public") == snapshot(root / "clean")


def test_a_failed_build_leaves_nothing_in_memory_for_the_next_one(tmp_path, monkeypatch):
    root, memory = new_site(tmp_path, count=4), BuildMemory()
    assert build_site(root, memory=memory).ok
    loads = _counting_loads(monkeypatch)
    good = (root / "content/law/a0.md").read_text(encoding="utf-8")
    (root / "content/law/a0.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    assert not build_site(root, memory=memory).ok
    (root / "content/law/a0.md").write_text(good + "\n改正。\n", encoding="utf-8")
    assert build_site(root, memory=memory).ok
    assert loads == [root]  # the failed build took the record; the next one read it back
    assert build_site(root, root / "clean", clean=True).ok
    assert snapshot(root / "public") == snapshot(root / "clean")


def test_the_new_site_is_announced_in_place_before_the_record_is_saved(tmp_path):
    root = new_site(tmp_path, count=3)
    assert build_site(root).ok
    record = next((root / CACHE_DIR).glob("cache-*.bin"))
    saved = record.stat().st_mtime_ns
    apply(root, ("edit", 0))
    seen = []

    def published(outputs):
        page = (root / "public/law/a0/index.html").read_text(encoding="utf-8")
        seen.append(("新增段落0" in page, record.stat().st_mtime_ns == saved))
        seen.append("law/a0/index.html" in outputs)

    assert build_site(root, published=published).ok
    assert seen == [(True, True), True]
    assert record.stat().st_mtime_ns != saved


def _part_times(root: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (root / CACHE_DIR).glob("sources-*.bin")}


def test_an_edit_rewrites_only_the_part_of_the_cache_that_holds_its_entry(tmp_path):
    root = new_site(tmp_path, count=30)
    assert build_site(root).ok
    before = _part_times(root)
    assert len(before) > 10  # 30 sources spread over many of the 64 parts
    apply(root, ("edit", 7))
    assert build_site(root).ok
    after = _part_times(root)
    assert after.keys() == before.keys()
    assert len([name for name in after if after[name] != before[name]]) == 1


def test_a_part_of_the_cache_lost_or_left_by_a_stopped_build_means_parsing_again(tmp_path):
    """A part that is gone, or is not the one the cache names (a build stopped between
    writing the two), costs its files a new parse, and the site stays right."""
    root = new_site(tmp_path, count=30)
    assert build_site(root).ok
    first, second, *_ = sorted((root / CACHE_DIR).glob("sources-*.bin"))
    first.unlink()
    header, token, held = marshal.loads(second.read_bytes())
    held = {name: (entry[0], "0" * 64, *entry[2:]) for name, entry in held.items()}  # lies
    second.write_bytes(marshal.dumps((header, "another build's", held)))
    apply(root, ("edit", 3))
    result = build_site(root)
    assert result.ok and result.cache_warning is None
    assert build_site(root, root / "clean", clean=True).ok
    assert snapshot(root / "public") == snapshot(root / "clean")


def test_a_cache_part_whose_records_have_another_shape_means_a_full_build(tmp_path):
    """A part written by hand or by another version, whose article records lack a field,
    is not taken as it is: the cache is set aside with a warning, and the site stays right."""
    root = new_site(tmp_path, count=6)
    assert build_site(root).ok
    for part in (root / CACHE_DIR).glob("sources-*.bin"):
        header, token, held = marshal.loads(part.read_bytes())
        held = {name: (*entry[:2], entry[2][:-1], entry[3]) for name, entry in held.items()}
        part.write_bytes(marshal.dumps((header, token, held)))
    apply(root, ("edit", 1))
    result = build_site(root)
    assert result.ok and "unreadable (ValueError)" in (result.cache_warning or "")
    assert build_site(root, root / "clean", clean=True).ok
    assert snapshot(root / "public") == snapshot(root / "clean")


def test_a_corrupt_cache_means_a_full_build_and_a_warning(tmp_path):
    root = new_site(tmp_path)
    build_site(root)
    expected = snapshot(root / "public")
    [cache] = (root / CACHE_DIR).glob("cache-*.bin")
    cache.write_bytes(cache.read_bytes()[: cache.stat().st_size // 2])  # cut off mid-write
    apply(root, ("edit", 1))
    result = build_site(root)
    assert result.ok and "unreadable" in (result.cache_warning or "")
    assert build_site(root, root / "clean", clean=True).ok
    assert snapshot(root / "public") == snapshot(root / "clean") != expected


def test_a_cache_that_lies_about_outputs_is_still_safe_when_files_are_missing(tmp_path):
    root = new_site(tmp_path)
    build_site(root)
    (root / "public/law/a0/index.html").unlink()
    assert build_site(root, verify=True).ok
    assert (root / "public/law/a0/index.html").exists()


def test_a_cache_from_another_sitegen_or_python_is_not_used(tmp_path):
    root = new_site(tmp_path)
    build_site(root)
    [cache] = (root / CACHE_DIR).glob("cache-*.bin")
    data = list(marshal.loads(cache.read_bytes()))
    assert data[0].startswith(f"sitegen-cache {SCHEMA} python 3.")
    assert "content/law/a0.md" in cached(root)
    data[0] = f"sitegen-cache {SCHEMA} python 2.7"
    cache.write_bytes(marshal.dumps(tuple(data)))
    apply(root, ("edit", 1))
    result = build_site(root)
    assert result.ok and "version changed" in (result.cache_warning or "")
    assert build_site(root, root / "clean", clean=True).ok
    assert snapshot(root / "public") == snapshot(root / "clean")


def test_a_file_whose_front_matter_the_cache_cannot_hold_is_parsed_again(tmp_path):
    """A YAML date in an extra key is not a plain value: that file is left out of the cache
    and parsed on each build, and the site stays right."""
    root = new_site(tmp_path)
    text = article("會議", "2018-03-01 09:00", "law", "正文。", meeting_day="2018-03-02")
    (root / "content/law/meeting.md").write_text(text, encoding="utf-8")
    assert build_site(root).ok
    sources = cached(root)
    assert "content/law/meeting.md" not in sources and "content/law/a0.md" in sources
    apply(root, ("edit", 1))
    assert build_site(root).ok
    assert build_site(root, root / "clean", clean=True).ok
    assert snapshot(root / "public") == snapshot(root / "clean")


def test_parallel_build_is_byte_for_byte_the_single_process_build(tmp_path):
    root = new_site(tmp_path, count=150)  # enough pages for the process pool to be used
    assert build_site(root, tmp_path / "one", jobs=1).ok
    assert build_site(root, tmp_path / "two", jobs=2).ok
    assert snapshot(tmp_path / "one") == snapshot(tmp_path / "two")


def test_the_body_store_keeps_one_body_per_article(tmp_path):
    """Bodies of edited or deleted sources are dropped, so the store does not grow with every
    edit of a long-lived site."""
    root = new_site(tmp_path)
    assert build_site(root).ok
    apply(root, ("edit", 1))
    apply(root, ("delete", 2))
    assert build_site(root).ok
    [store] = (root / CACHE_DIR).glob("bodies-*.sqlite")
    with sqlite3.connect(store) as db:
        (count,) = db.execute("SELECT count(*) FROM body").fetchone()
    assert count == len(list((root / "content").rglob("*.md"))) == 4


def test_an_edit_keeps_the_body_that_another_file_of_the_same_bytes_still_uses(tmp_path):
    """Two files with the same bytes (an article imported twice) share one stored body: an
    edit of one drops its old body only if no other file has it, and deleting drops it."""
    import hashlib

    root = new_site(tmp_path)
    shutil.copy(root / "content/law/a0.md", root / "content/law/twin.md")
    assert build_site(root).ok
    apply(root, ("edit", 0))  # a0.md, the first law file

    def stored() -> set[str]:
        [store] = (root / CACHE_DIR).glob("bodies-*.sqlite")
        with sqlite3.connect(store) as db:
            return {row[0] for row in db.execute("SELECT digest FROM body")}

    def files() -> set[str]:
        return {hashlib.sha256(f.read_bytes()).hexdigest() for f in root.rglob("content/**/*.md")}

    assert build_site(root).ok
    assert stored() == files() and len(files()) == 6  # the twin keeps a0's old bytes
    (root / "content/law/twin.md").unlink()
    assert build_site(root).ok
    assert stored() == files() and len(files()) == 5


def test_a_damaged_body_store_is_rebuilt_and_the_site_stays_right(tmp_path):
    root = new_site(tmp_path)
    assert build_site(root).ok
    [store] = (root / CACHE_DIR).glob("bodies-*.sqlite")
    store.write_bytes(b"not a database" * 100)
    for leftover in store.parent.glob(store.name + "-*"):  # its -wal and -shm files
        leftover.unlink()
    apply(root, ("edit", 1))
    assert build_site(root).ok
    assert build_site(root, root / "clean", clean=True).ok
    assert snapshot(root / "public") == snapshot(root / "clean")
    with sqlite3.connect(store) as db:  # a working store again, holding every body
        (count,) = db.execute("SELECT count(*) FROM body").fetchone()
    assert count == 5


def test_only_the_writer_of_a_damaged_body_store_starts_it_afresh(tmp_path):
    """A worker or the search child that finds the store damaged renders what it cannot
    read and leaves the files alone: one that removed them while the build made them anew
    lost the build what it wrote there, or found them gone and failed (a race that the
    search child forked before the listing made frequent)."""
    from sitegen.bodies import body_store
    from sitegen.config import load_config

    root = new_site(tmp_path)
    assert build_site(root).ok
    config, _ = load_config(root)
    [path] = (root / CACHE_DIR).glob("bodies-*.sqlite")
    path.write_bytes(b"not a database" * 100)
    for leftover in path.parent.glob(path.name + "-*"):
        leftover.unlink()
    with body_store(config) as reader:
        assert reader.stored("0" * 64) is None
    assert path.read_bytes() == b"not a database" * 100  # left as it was
    with body_store(config) as writer:
        writer.save([("1" * 64, "<p>正文。</p>", "正文。")])
        assert writer.stored("1" * 64) == ("<p>正文。</p>", "正文。")


def test_a_site_without_search_keeps_no_plain_text_and_turning_search_on_indexes_all(tmp_path):
    """Without search the body store holds HTML only (feeds work their excerpts out when
    they need them); turning search on makes a store with text, and a full index."""
    root = new_site(tmp_path)
    write(root, "feedme", "摘要測試", "2018-09-20 10:00", "law", "勞動合同的訂立與解除。")
    (root / "site.yaml").write_text(MINIMAL_CONFIG, encoding="utf-8")  # search: false
    assert build_site(root).ok
    [store] = (root / CACHE_DIR).glob("bodies-*.sqlite")
    with sqlite3.connect(store) as db:
        texts = [text for (text,) in db.execute("SELECT text FROM body")]
    assert texts and all(text is None for text in texts)
    assert "勞動合同的訂立與解除。" in (root / "public/feed.xml").read_text(encoding="utf-8")
    assert not (root / "public/search").exists()

    (root / "site.yaml").write_text(SEARCH_CONFIG, encoding="utf-8")
    assert build_site(root).ok
    assert build_site(root, root / "clean", clean=True).ok
    assert snapshot(root / "public") == snapshot(root / "clean")
    assert len({p.name.split(".")[0] for p in (root / CACHE_DIR).glob("bodies-*")}) == 1
    assert len(list((root / CACHE_DIR).glob("layouts*"))) == 1  # compiled for one setting
    docs = b"".join(
        gzip.decompress(chunk.read_bytes()) for chunk in (root / "public/search/d").iterdir()
    )
    assert "勞動合同的訂立與解除。".encode() in docs


def fresh_clone_times(root: Path) -> None:
    """What a CI run sees: a new checkout (every source a new modification time), the build
    cache and public/ restored from the last run (new times too), no spare tree."""
    later = time.time() + 3600
    shutil.rmtree(root / ".public.sitegen-spare", ignore_errors=True)
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            os.utime(path, (later, later))


def test_a_fresh_clone_with_the_cache_restored_renders_only_what_the_push_changed(tmp_path):
    root = new_site(tmp_path, count=12)
    assert build_site(root).ok
    fresh_clone_times(root)
    apply(root, ("edit", 3))
    result = build_site(root)
    assert result.ok and result.cache_warning is None
    # Only the edited article's page and print view, its neighbours' pages and the lists
    # that show it are rendered again; the rest are known by their bytes.
    assert result.pages - result.unchanged <= 20 < result.unchanged
    assert build_site(root, root / "clean", clean=True).ok
    assert snapshot(root / "public") == snapshot(root / "clean")


def test_an_output_edited_by_hand_is_still_rewritten_whatever_its_time(tmp_path):
    root = new_site(tmp_path, count=5)
    assert build_site(root).ok
    page = root / "public/law/a0/index.html"
    page.write_text("edited by hand", encoding="utf-8")
    fresh_clone_times(root)
    assert build_site(root, verify=True).ok
    assert "edited by hand" not in page.read_text(encoding="utf-8")


def test_an_article_leaving_a_category_rejoins_its_old_neighbours_links(tmp_path):
    """Article pages of unchanged articles keep their recorded keys (pipeline._kept_key)
    only while the order of the categories is the same: here it is not, and the pages on
    either side of the article that left must now link to each other."""
    root = new_site(tmp_path, count=0)
    for name, day in (("a", 1), ("b", 2), ("c", 3)):
        write(root, name, f"文章{name}", f"2018-05-0{day} 10:00", "law")
    assert build_site(root).ok
    older = root / "public/law/a/index.html"
    assert "/law/b/" in older.read_text(encoding="utf-8")
    replace_in(root / "content/law/b.md", "category: law", "category: news")
    result = build_site(root)
    assert result.ok and "law/a/index.html" in result.written
    page = older.read_text(encoding="utf-8")
    assert "/law/c/" in page and "/law/b/" not in page
    assert build_site(root, root / "clean", clean=True).ok
    assert snapshot(root / "public") == snapshot(root / "clean")


def test_saving_the_record_holds_one_part_of_plain_entries_at_a_time(tmp_path):
    """The record of a clean build is saved as it is made, at the end of the build, where
    memory peaks: the marshal-able forms of the source entries are made part by part, not
    all at once (60 MB at 100 000 articles). What is saved loads back the same."""
    import datetime as dt
    import tracemalloc

    from sitegen.cache import BuildCache, SourceEntry, _source_to_plain, load_cache, save_cache
    from sitegen.content import Article

    when = dt.datetime(2018, 9, 21, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    sources = {}
    for n in range(3000):
        path = f"content/law/{n:05}.md"
        digest = f"{n:064x}"
        title, url = f"職工法律援助第{n}期", f"/law/{n:05}/"
        article = Article(path, f"{n:05}", title, when, "law", url, digest, 6, source="市總工會")
        sources[path] = SourceEntry((n, 100 + n), digest, article, ())
    out = tmp_path / "public"
    cache = BuildCache("settings", str(out), dict(sources), generation="0f3a")
    tracemalloc.start()
    every = [_source_to_plain(entry) for entry in sources.values()]
    whole = tracemalloc.get_traced_memory()[0]
    del every
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    save_cache(tmp_path, cache)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    assert peak < whole / 4, (peak, whole)
    loaded = load_cache(tmp_path, "settings", out)
    assert loaded.sources == sources, loaded.warning


def test_the_record_saves_what_many_articles_share_once_per_part(tmp_path):
    """Articles whose front matter has the same keys on the same lines, in the same zone, are
    saved with one tuple of those lines and one zone name per part file (marshal writes an
    object it has written before as a reference), and each article's digest as its file's:
    the parts of 100 000 articles are 15% smaller and load 0.13 s sooner. They load back
    as they were."""
    from sitegen.cache import PARTS, _part_file, cache_file, load_cache
    from sitegen.content import Article

    files = {f"content/law/{n:03}.md": article(f"勞動合同第{n}問", f"2019-03-{n % 28 + 1:02} 09:00",
                                              source="市總工會") for n in range(300)}  # fmt: skip
    root = write_site(tmp_path / "site", files)
    kept: list = []
    assert build_site(root, keep=kept).ok
    cache = kept[-1][0]
    path = cache_file(root, root / "public")
    lines, dates, digests = (Article._fields.index(k) for k in ("key_lines", "date", "digest"))
    for number in range(PARTS):
        part = _part_file(path, number)
        if not part.exists():
            continue
        _, _, held = marshal.loads(part.read_bytes())
        entries = list(held.values())
        first = entries[0][2]
        for _, digest, plain, _ in entries:
            assert plain[lines] is first[lines]
            assert plain[dates][1] is first[dates][1]  # "Asia/Shanghai"
            assert plain[digests] is digest
    loaded = load_cache(root, cache.fingerprint, root / "public")
    assert loaded.sources == cache.sources, loaded.warning
    assert len({id(e.article.key_lines) for e in loaded.sources.values()}) == 1


KILLED_WHILE_SAVING = """
import os, signal, sys
from pathlib import Path

real = Path.replace


def killed(self, target):  # kill -9 between the write of the record and its rename
    if self.name.startswith(".cache-") and self.name.endswith(".tmp"):
        os.kill(os.getpid(), signal.SIGKILL)
    return real(self, target)


Path.replace = killed
from sitegen.pipeline import build_site

build_site(Path(sys.argv[1]))
"""


def test_the_temporary_file_of_a_build_killed_while_saving_its_record_is_swept(tmp_path):
    """A build killed between writing its record and renaming it into place leaves a
    temporary file as large as the record: the next build removes it (and is right), but
    leaves one whose writer is still running."""
    import subprocess
    import sys

    root = new_site(tmp_path, count=12)
    assert build_site(root).ok
    apply(root, ("edit", 2))
    killed = subprocess.run([sys.executable, "-c", KILLED_WHILE_SAVING, str(root)], check=False)
    assert killed.returncode == -9
    cache = root / CACHE_DIR
    (stray,) = cache.glob(".cache-*.tmp")
    writing = cache / f".layout-references.marshal.{os.getpid()}.tmp"  # a live writer's
    writing.write_bytes(b"half")
    apply(root, ("edit", 3))
    assert build_site(root).ok
    assert not stray.exists() and writing.exists()
    assert build_site(root, root / "clean", clean=True).ok
    assert snapshot(root / "public") == snapshot(root / "clean")


def test_the_workers_are_gone_before_the_build_writes_its_manifest(tmp_path, monkeypatch):
    """The manifest and the record come last and peak on their own: the two idle workers
    beside them held 220 MB of a 300 000-article build's peak."""
    import multiprocessing

    from sitegen import output

    root = new_site(tmp_path, count=150)  # enough pages for the process pool to be used
    alive: dict[str, int] = {}
    for name in ("begin", "commit"):
        step = getattr(output, name)

        def watched(*args, _step=step, _name=name, **kwargs):
            alive[_name] = len(multiprocessing.active_children())
            return _step(*args, **kwargs)

        monkeypatch.setattr(output, name, watched)
    assert build_site(root, tmp_path / "public", jobs=2).ok
    assert alive == {"begin": 2, "commit": 0}  # forked to render, gone before the manifest
    assert (tmp_path / "public" / "search").is_dir()


def test_articles_of_one_source_editor_or_author_share_its_string(tmp_path):
    """An archive names a few dozen sources and editors over its whole length; each parse
    in a worker comes back with strings of its own, some 300 MB of copies at a million."""
    root = new_site(tmp_path, count=150)
    for i, path in enumerate(articles(root)):
        editor = "王小明" if i % 2 else "李大同"
        extra = f"source: 市總工會宣傳部\neditor: {editor}\nauthor: 記者 林蓮\n"
        replace_in(path, "---\n\n", extra + "---\n\n")
    kept: list = []
    assert build_site(root, tmp_path / "public", jobs=2, keep=kept).ok
    _, site, _ = kept[-1]
    assert len(site.articles) == 150
    for field in ("source", "editor", "author", "category"):
        values = [getattr(a, field) for a in site.articles]
        assert len({id(v) for v in values}) == len(set(values)), field


def test_a_manifest_of_thousands_of_files_lists_each_once_and_the_next_build_reads_it(tmp_path):
    """The manifest is written in blocks of lines, not as one string: no name may be lost,
    doubled or run into the next where one block ends and another starts."""
    from sitegen import output

    out = tmp_path / "public"
    names = [f"{n // 100}/第{n}頁.html" for n in range(9000)]  # two block ends and a half
    claimed = output.Claimed(frozenset(names), (), tmp_path / "aside")
    staging = output.begin(out, None, True, frozenset(), claimed)
    written = [name for name in names if staging.write(name, name.encode())]
    made = output.commit(staging, written, (), dict.fromkeys(names))
    live = output.read_manifest(out)
    assert live is not None and live.id == made.id == output.manifest_id(out)
    # What a long-lived builder keeps instead of reading it back: the same, files aside.
    assert made == dataclasses.replace(live, files=frozenset())
    assert live.changed == tuple(names) and live.files == frozenset(names)
    assert (
        live.removed == ()
        and live.kept == frozenset()
        and live.top == frozenset(str(n) for n in range(90))
    )


def test_an_output_folder_removed_by_hand_is_built_again_without_a_warning(tmp_path):
    """`rm -rf public && sitegen build` is an everyday way to start afresh; a folder that is
    there but not as the last build left it is still named."""
    root = new_site(tmp_path)
    assert build_site(root).ok
    shutil.rmtree(root / "public")
    again = build_site(root)
    assert again.ok and again.cache_warning is None
    assert (root / "public/law/a0/index.html").is_file()
    (root / "public/.sitegen-manifest").write_text("not a manifest", encoding="utf-8")
    assert "not as the last build left it" in (build_site(root).cache_warning or "")
