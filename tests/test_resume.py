"""An edit's build from the page store (sitegen/resume.py): the same site, byte for byte,
as a full build makes, without reading every record or assembling the site."""

from __future__ import annotations

import io
import marshal
import shutil
import sqlite3
from pathlib import Path

import pytest
from PIL import Image

import sitegen.forked
from sitegen import pipeline, resume
from sitegen.cache import CACHE_DIR, Head
from sitegen.indexing import SearchIndex
from sitegen.pipeline import build_site
from tests.conftest import article, snapshot, write_site
from tests.test_incremental import CATEGORIES, SEARCH_CONFIG, apply, new_site, replace_in, write


@pytest.fixture(autouse=True)
def forks(monkeypatch) -> None:
    """The search child forks even if an earlier test left a thread running (sitegen.forked
    forks only a process that runs no other thread; `sitegen build` runs none): without
    it, the index is made of every article, which such an edit's build does not read."""
    monkeypatch.setattr(sitegen.forked.threading, "active_count", lambda: 1)


@pytest.fixture
def whole_reads(monkeypatch) -> list[str]:
    """Every time a build reads the whole record or assembles the whole site."""
    seen: list[str] = []
    real_load, real_assemble = pipeline.load_cache, pipeline.assemble

    def load(*args, **kwargs):
        seen.append("record")
        return real_load(*args, **kwargs)

    def assemble(*args, **kwargs):
        seen.append("site")
        return real_assemble(*args, **kwargs)

    monkeypatch.setattr(pipeline, "load_cache", load)
    monkeypatch.setattr(pipeline, "assemble", assemble)
    return seen


def same_as_clean(root: Path) -> bool:
    assert build_site(root, root / "clean", clean=True).ok
    return snapshot(root / "public") == snapshot(root / "clean")


def edited_a4(tmp_path: Path, whole_reads: list[str], old: str, new: str):
    """A site of 12 articles built, then law/a4 edited (`old` becomes `new`) and built again
    from the store: the site's root and that build's result."""
    root = new_site(tmp_path, count=12)
    assert build_site(root).ok
    whole_reads.clear()
    replace_in(root / "content/law/a4.md", old, new)
    result = build_site(root)
    assert result.ok and whole_reads == []
    return root, result


def test_a_body_edit_reads_no_other_record_and_writes_what_a_full_build_writes(
    tmp_path, whole_reads
):
    root, result = edited_a4(
        tmp_path, whole_reads, "正文。", "勞動合同到期後，用人單位應當提前通知。"
    )
    pages = {name for name in result.written if not name.startswith("search/")}
    assert pages == {"law/a4/index.html", "law/a4/print.html", "law/feed.xml", "feed.xml"}
    assert "search/meta.json" in result.written  # the index holds the new words
    assert same_as_clean(root)


def test_a_title_edit_reaches_the_neighbours_and_lists_without_the_whole_site(
    tmp_path, whole_reads
):
    root, _ = edited_a4(tmp_path, whole_reads, "title: 文章4", "title: 工會法律援助")
    # law's articles by date: a0, a10, a2, a4, a6, a8: the neighbours name it.
    for page in ("law/a2/index.html", "law/a6/index.html", "law/index.html"):
        assert "工會法律援助" in (root / "public" / page).read_text(encoding="utf-8")
    assert same_as_clean(root)


def test_edits_after_edits_stay_right_and_each_reads_only_its_own(tmp_path, whole_reads):
    root = new_site(tmp_path, count=9)
    assert build_site(root).ok
    for n in range(6):
        whole_reads.clear()
        apply(root, ("retitle" if n % 2 else "edit", n))
        assert build_site(root).ok and whole_reads == []
        assert same_as_clean(root)


@pytest.mark.parametrize(
    "change", ["redate", "recategorise", "rename", "delete", "template", "settings"]
)
def test_edits_that_move_articles_or_change_the_rest_are_built_whole(tmp_path, whole_reads, change):
    root = new_site(tmp_path, count=9)
    assert build_site(root).ok
    whole_reads.clear()
    apply(root, (change, 3))
    assert build_site(root).ok and "site" in whole_reads
    assert same_as_clean(root)
    whole_reads.clear()  # and the store written by that build serves the next edit
    apply(root, ("edit", 4))
    assert build_site(root).ok and whole_reads == []
    assert same_as_clean(root)


# law's articles of new_site(count=12): a0 2018-01-10, a10 01-10 (the same day, named after),
# a2 03-12, a4 05-14, a6 07-16, a8 09-18; two to a list page (see PAGED).
@pytest.mark.parametrize(
    "date",
    [
        "2019-06-01 09:00",  # the newest of all: a new month and year, a new numbered page
        "2018-09-18 10:00",  # the same instant as a8, named after it: just older
        "2018-04-20 10:00",  # between a2 and a4, in a month of news articles only
        "2018-03-12 12:00",  # in a2's month, newer than it
        "2018-01-01 09:00",  # the oldest of law's: every numbered page shifts
        "2017-05-01 10:00",  # the oldest of all, in a year of its own
    ],
)
def test_a_new_article_is_built_from_the_store_as_a_full_build_builds_it(
    tmp_path, whole_reads, date
):
    root = new_site(tmp_path, count=12)
    (root / "site.yaml").write_text(PAGED, encoding="utf-8")
    assert build_site(root).ok
    whole_reads.clear()
    write(root, "today", "今日要聞", date, "law", "職工服務中心今日開放。")
    result = build_site(root)
    assert result.ok and whole_reads == []
    assert {"law/today/index.html", "law/today/print.html", "sitemap-1.xml"} <= set(result.written)
    clean = build_site(root, root / "clean", clean=True)
    assert result.pages == clean.pages  # counted as a full build counts them
    assert snapshot(root / "public") == snapshot(root / "clean")
    whole_reads.clear()
    apply(root, ("retitle", 3))  # the next edit uses the store as that build left it
    assert build_site(root).ok and whole_reads == []
    assert same_as_clean(root)


# Short lists, so that a few articles fill several pages, and feeds and the home page
# leave some out.
PAGED = SEARCH_CONFIG.replace("page_size: 3", "page_size: 2") + (
    "feed_size: 3\nhome_per_category: 2\n"
)


def test_new_articles_one_after_another_and_gone_again(tmp_path, whole_reads):
    """The lists a new article joins, kept by the store's build, then by full builds: an
    article deleted (a full build stores the lists again), then more added from the store."""
    root = new_site(tmp_path, count=9)
    (root / "site.yaml").write_text(PAGED, encoding="utf-8")
    assert build_site(root).ok
    for n in range(3):
        whole_reads.clear()
        write(root, f"new{n}", f"新文章{n}", f"2019-02-0{1 + n} 09:30", CATEGORIES[n % 2])
        assert build_site(root).ok and whole_reads == []
    assert same_as_clean(root)
    (root / "content/law/new0.md").unlink()
    whole_reads.clear()
    assert build_site(root).ok and "site" in whole_reads
    for n in range(3, 5):
        whole_reads.clear()
        write(root, f"new{n}", f"新文章{n}", f"2019-01-2{n} 09:30", "law")
        assert build_site(root).ok and whole_reads == []
    assert same_as_clean(root)


@pytest.mark.parametrize("kind", ["old url", "photo", "folder", "draft", "empty category"])
def test_new_articles_that_need_more_are_built_whole(tmp_path, whole_reads, kind):
    root = new_site(tmp_path, count=6)
    (root / "static/hall.jpg").write_bytes(photo())  # a photo the new article shows
    assert build_site(root).ok
    when = "2019-03-01 09:00"
    text = {
        "old url": article("舊址", when, "law", aliases="[/html/2019/0301.html]"),
        "photo": article("有圖", when, "law", "![會場](/static/hall.jpg)"),
        "draft": article("草稿", when, "law", draft="true"),
        "folder": article("專題", when, "law"),
        "empty category": article("通知", when, "notice"),
    }[kind]
    name = "content/law/topic/index.md" if kind == "folder" else "content/law/today.md"
    if kind == "empty category":
        config = (root / "site.yaml").read_text(encoding="utf-8")  # (categories come last)
        (root / "site.yaml").write_text(config + "  - slug: notice\n    name: 通知公告\n", "utf-8")
        assert build_site(root).ok
    whole_reads.clear()
    write_site(root, {name: text})
    assert build_site(root).ok and "site" in whole_reads
    assert same_as_clean(root)


def test_a_new_article_that_claims_a_taken_url_fails_as_a_full_build_does(tmp_path, whole_reads):
    root = new_site(tmp_path, count=6)
    assert build_site(root).ok
    before = snapshot(root / "public")
    write_site(root, {"content/law/clash.md": article("重複", "2019-03-01 09:00", "law",
                                                      slug="a2")})  # fmt: skip
    whole_reads.clear()
    result = build_site(root)
    assert not result.ok and "site" in whole_reads
    assert any("also claimed" in p.message for p in result.problems)
    assert snapshot(root / "public") == before


def test_a_category_list_out_of_step_with_its_pages_means_a_full_build(tmp_path, whole_reads):
    """A store whose list of a category's articles is not its pages' (one left out) is not
    put a new article into."""
    root = new_site(tmp_path, count=12)
    (root / "site.yaml").write_text(PAGED, encoding="utf-8")
    assert build_site(root).ok
    [store] = (root / CACHE_DIR).glob("pages-*.sqlite")
    with sqlite3.connect(store) as db:
        [raw] = db.execute("SELECT data FROM list WHERE name = 'c:law'").fetchone()
        paths = marshal.loads(raw)
        db.execute("UPDATE list SET data = ? WHERE name = 'c:law'",
                   (marshal.dumps(paths[:2] + paths[3:]),))  # fmt: skip
    write(root, "today", "今日要聞", "2019-06-01 09:00", "law")
    whole_reads.clear()
    assert build_site(root).ok and "site" in whole_reads
    assert same_as_clean(root)


def test_an_edit_that_breaks_its_article_fails_as_a_full_build_does(tmp_path):
    root = new_site(tmp_path, count=6)
    assert build_site(root).ok
    before = snapshot(root / "public")
    replace_in(root / "content/law/a2.md", "title: 文章2", "title: [未閉合")
    result = build_site(root)
    assert not result.ok
    assert [(p.path.as_posix(), p.line) for p in result.problems if p.is_error] == [
        ("content/law/a2.md", 2)
    ]
    assert snapshot(root / "public") == before  # the live site untouched


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (70, 110, 150)).save(out, "JPEG", quality=80)
    return out.getvalue()


def test_warnings_are_reported_as_a_full_build_reports_them(tmp_path, whole_reads):
    """Every source's warnings, in the order of their paths, the edited file's as it is
    now: a copy of the site built whole (no store) reports the very same. (The edited
    article is a folder with its photo: its pages carry the photo's sizes through the store.)"""
    root = new_site(tmp_path, count=6)
    windows = article("設備名", "2018-05-02 10:00", "news", "正文。", slug="CON")
    (root / "content/news/con.md").write_text(windows, encoding="utf-8")
    body = "大會現場。\n\n![職工代表合影](photo.jpg)\n"
    folder = root / "content/news/2018-meeting"
    folder.mkdir()
    (folder / "index.md").write_text(article("職代會", "2018-04-01 10:00", "news", body), "utf-8")
    (folder / "photo.jpg").write_bytes(photo())
    assert build_site(root).ok
    replace_in(folder / "index.md", "![職工代表合影]", "![]")  # no alt text: a warning
    twin = tmp_path / "twin"
    shutil.copytree(root, twin, symlinks=True)
    for store in (twin / CACHE_DIR).glob("pages-*.sqlite"):
        store.unlink()
    whole_reads.clear()
    here = build_site(root)
    assert whole_reads == []
    there = build_site(twin)
    assert "site" in whole_reads
    shown = [(p.path.as_posix(), p.line, p.severity, p.message) for p in here.problems]
    assert shown == [(p.path.as_posix(), p.line, p.severity, p.message) for p in there.problems]
    assert [p.path.as_posix() for p in here.problems] == [
        "content/news/2018-meeting/index.md",
        "content/news/con.md",
    ]
    assert same_as_clean(root)
    assert not build_site(root, strict=True).ok  # --strict: the warnings are errors


def test_a_store_the_record_does_not_name_is_not_used(tmp_path, whole_reads):
    """A kill after the store was written and before the record's own file was: the record
    names the store as it was, the build is made whole, and the next edit uses the store."""
    root = new_site(tmp_path, count=8)
    assert build_site(root).ok
    [store] = (root / CACHE_DIR).glob("pages-*.sqlite")
    with sqlite3.connect(store) as db:
        db.execute("UPDATE meta SET value = 'another build' WHERE key = 'token'")
    apply(root, ("edit", 2))
    whole_reads.clear()
    assert build_site(root).ok and "site" in whole_reads
    assert same_as_clean(root)
    whole_reads.clear()
    apply(root, ("edit", 5))
    assert build_site(root).ok and whole_reads == []
    assert same_as_clean(root)


@pytest.mark.parametrize("change", ["retitle", "add"])
def test_a_build_stopped_before_its_record_was_saved_leaves_the_next_one_right(
    tmp_path, monkeypatch, change
):
    root = new_site(tmp_path, count=8)
    assert build_site(root).ok
    apply(root, (change, 2))

    def killed(*args):
        raise KeyboardInterrupt  # as a kill would stop it: site and store written, record not

    with monkeypatch.context() as patched:
        patched.setattr(resume, "save_head", killed)
        with pytest.raises(KeyboardInterrupt):
            build_site(root)
    apply(root, ("edit", 5))
    assert build_site(root).ok
    assert same_as_clean(root)


@pytest.mark.parametrize("damage", ["truncated", "page gone", "wrong key"])
def test_a_damaged_store_means_a_full_build_never_a_wrong_site(tmp_path, damage):
    root = new_site(tmp_path, count=8)
    assert build_site(root).ok
    [store] = (root / CACHE_DIR).glob("pages-*.sqlite")
    if damage == "truncated":
        store.write_bytes(store.read_bytes()[:3000])
    else:
        with sqlite3.connect(store) as db:
            if damage == "page gone":
                db.execute("DELETE FROM page WHERE name = 'law/a2/index.html'")
            else:  # a stored page that does not key to its recorded key: not used
                db.execute("UPDATE page SET data = (SELECT data FROM page WHERE name = "
                           "'law/a4/index.html') WHERE name = 'law/a2/index.html'")  # fmt: skip
    apply(root, ("retitle", 2))
    assert build_site(root).ok
    assert same_as_clean(root)


@pytest.mark.parametrize("change", ["retitle", "add"])
def test_the_child_is_sent_the_change_before_the_record_of_the_outputs_is_read(
    tmp_path, monkeypatch, whole_reads, change
):
    """The search child splices the edited (or new) article while the build reads the
    record of its outputs (0.1 s at 100 000 articles) and works out the pages, not after."""
    root = new_site(tmp_path, count=8)
    assert build_site(root).ok
    whole_reads.clear()
    order: list[str] = []
    real_send, real_read = SearchIndex.send_since, Head.read

    def send(self, *args):
        order.append("sent")
        return real_send(self, *args)

    def read(self):
        order.append("read")
        return real_read(self)

    monkeypatch.setattr(SearchIndex, "send_since", send)
    monkeypatch.setattr(Head, "read", read)
    apply(root, (change, 2))
    assert build_site(root).ok and whole_reads == []
    assert order == ["sent", "read"]
    assert same_as_clean(root)


@pytest.mark.parametrize("damage", ["cut", "shape"])
@pytest.mark.parametrize("change", ["retitle", "add"])
def test_a_damaged_record_of_the_outputs_means_a_full_build_though_the_child_has_the_change(
    tmp_path, change, damage
):
    """The record's outputs are read once the child has the change: found damaged then,
    the child is let go and the build is made as usual, with the warning a full build
    gives, never a wrong site."""
    root = new_site(tmp_path, count=8)
    assert build_site(root).ok
    [record] = (root / CACHE_DIR).glob("cache-*.bin")
    fields = list(marshal.loads(record.read_bytes()))
    dumped = fields[5]  # the outputs, as marshal (see cache.save_head)
    fields[5] = dumped[:100] if damage == "cut" else marshal.dumps({"index.html": ("a key",)})
    record.write_bytes(marshal.dumps(tuple(fields)))
    apply(root, (change, 2))
    result = build_site(root)
    assert result.ok and "unreadable" in (result.cache_warning or "")
    assert same_as_clean(root)


def test_a_draft_edited_changes_no_page(tmp_path, whole_reads):
    root = new_site(tmp_path, count=5)
    draft = article("草稿", "2018-07-01 09:00", "law", "未完。", draft="true")
    (root / "content/law/draft.md").write_text(draft, encoding="utf-8")
    assert build_site(root).ok
    whole_reads.clear()
    replace_in(root / "content/law/draft.md", "未完。", "仍未完。")
    result = build_site(root)
    assert result.ok and whole_reads == []
    assert not [name for name in result.written if not name.startswith("search/")]
    assert same_as_clean(root)


def test_a_site_in_two_scripts_keeps_no_store(tmp_path, whole_reads):
    root = new_site(tmp_path, count=5)
    config = root / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "scripts: [zh-Hant, zh-Hans]\n",
                      encoding="utf-8")  # fmt: skip
    assert build_site(root).ok
    assert not list((root / CACHE_DIR).glob("pages-*.sqlite"))
    apply(root, ("edit", 1))
    whole_reads.clear()
    assert build_site(root).ok and "site" in whole_reads
    assert same_as_clean(root)


def test_a_site_without_search_is_edited_from_the_store_too(tmp_path, whole_reads):
    root = new_site(tmp_path, count=8)
    config = root / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("search: true", "search: false"),
                      encoding="utf-8")  # fmt: skip
    assert build_site(root).ok
    whole_reads.clear()
    apply(root, ("retitle", 3))
    result = build_site(root)
    assert result.ok and whole_reads == [] and not (root / "public/search").exists()
    assert same_as_clean(root)
    whole_reads.clear()
    apply(root, ("add", 5))  # and a new article
    result = build_site(root)
    assert result.ok and whole_reads == [] and not (root / "public/search").exists()
    assert same_as_clean(root)


LISTED = {f"content/law/2018-{n:02}.md": (1_537_000_000_000_000_000 + n, 900 + n) for n in range(6)}


@pytest.mark.parametrize(
    ("listing", "expected"),
    [
        ({"content/a-first.md": (1, 10), **LISTED}, "content/a-first.md"),
        (
            {
                **dict(list(LISTED.items())[:3]),
                "content/law/new.md": (1, 10),
                **dict(list(LISTED.items())[3:]),
            },
            "content/law/new.md",
        ),  # fmt: skip
        ({**LISTED, "content/zz.md": (1, 10)}, "content/zz.md"),
        ({**dict(reversed(LISTED.items())), "content/law/new.md": (1, 10)}, "content/law/new.md"),
        ({**LISTED, "content/law/2018-02.md": (2, 10), "content/zz.md": (1, 10)}, None),
        ({"content/a-first.md": (1, 10), **LISTED, "content/law/2018-05.md": (5, 5)}, None),
        ({**dict(list(LISTED.items())[1:]), "content/x.md": (1, 1), "content/y.md": (1, 1)}, None),
        (LISTED, None),
    ],
)
def test_a_new_file_is_found_only_when_it_is_the_one_change(listing, expected):
    """A new article takes the store's way only when no other file changed: one touched
    beside it, wherever the new one is listed, means the usual build."""
    assert resume._new_file(LISTED, listing) == expected


def test_a_full_builds_store_is_written_compact(tmp_path):
    """The store of a full build takes the room its rows need: no more than a copy
    SQLite packs anew (VACUUM) takes. (Pages written in the site's order, newest first
    in each category, left its pages part empty: 1.12 times the packed size here, and
    the benchmark's 10 000 articles took 32.9 MB where they now take 23.9 MB.)"""
    root = new_site(tmp_path, count=400)
    assert build_site(root).ok
    [store] = (root / CACHE_DIR).glob("pages-*.sqlite")
    packed = tmp_path / "packed.sqlite"
    with sqlite3.connect(store) as db:
        pages = db.execute("SELECT count(*) FROM page").fetchone()[0]
        db.execute("VACUUM INTO ?", (str(packed),))
    assert pages > 800  # (articles, their print views, lists)
    assert store.stat().st_size <= 1.08 * packed.stat().st_size  # (1.02-1.04 in name order)
