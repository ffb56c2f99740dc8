"""A long-lived builder (`serve`'s) patches the last site for an edit of article bodies
(sitegen/patch.py) and its resident indexer splices the edited docs only: the site must be
byte for byte what a clean build makes, and the work must stay with the edited articles."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

import sitegen.forked
import sitegen.indexing
import sitegen.pipeline
from sitegen.cache import CACHE_DIR, BuildMemory
from sitegen.forked import Companion, companion
from sitegen.indexing import resident_indexer
from sitegen.pipeline import build_site
from tests.conftest import MINIMAL_CONFIG, article, snapshot, write_site

SEARCHED = MINIMAL_CONFIG.replace("search: false", "search: true")
TWO_SCRIPTS = SEARCHED.replace("language: zh-Hant", "scripts: [zh-Hant, zh-Hans]")


def archive(root: Path, config: str = SEARCHED) -> Path:
    """Twelve articles over two categories and four months: lists of several pages."""
    return write_site(root, {
        f"content/{('law', 'news')[n % 2]}/a{n}.md": article(
            f"勞動合同第{n}問", f"2018-0{1 + n % 4}-{10 + n} 09:00", ("law", "news")[n % 2],
            f"試用期工資不得低於最低工資標準{n}。",
        )
        for n in range(12)
    }, config)  # fmt: skip


def edit_body(root: Path, name: str, new: str) -> None:
    path = root / "content" / name
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("試用期工資", new, 1), encoding="utf-8")


def clean_copy(root: Path, tmp: Path) -> dict[str, bytes]:
    """A clean build of a copy of the sources: no cache shared with the builds under test."""
    copy = tmp / "clean"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(CACHE_DIR, "public"))
    assert build_site(copy).ok
    return snapshot(copy / "public")


@pytest.fixture
def counted(monkeypatch) -> dict[str, int]:
    """How many times the build assembled the site and computed a page's key."""
    calls = {"assemble": 0, "page_key": 0}
    for name in calls:
        real = getattr(sitegen.pipeline, name)

        def counting(*args, _real=real, _name=name):
            calls[_name] += 1
            return _real(*args)

        monkeypatch.setattr(sitegen.pipeline, name, counting)
    return calls


@pytest.fixture
def indexer(monkeypatch):
    """A resident indexer, as serve's builder starts one (forked even if an earlier test
    left a thread behind)."""
    monkeypatch.setattr(sitegen.forked.threading, "active_count", lambda: 1)
    started = companion(resident_indexer)
    assert started is not None
    yield started
    started.close()


def indexed_here(monkeypatch) -> list[int]:
    """Each index this process makes by itself (not the resident indexer, forked before)."""
    made: list[int] = []
    real = sitegen.indexing._write_search

    def counting(*args):
        made.append(1)
        return real(*args)

    monkeypatch.setattr(sitegen.indexing, "_write_search", counting)
    return made


def test_a_body_edit_keys_only_the_pages_that_hold_the_article(tmp_path, counted):
    root = archive(tmp_path / "site")
    memory = BuildMemory()
    first = build_site(root, memory=memory)
    assert first.ok and counted["assemble"] == 1
    counted.update(assemble=0, page_key=0)
    edit_body(root, "law/a4.md", "加班費")
    result = build_site(root, memory=memory)
    assert result.ok and counted["assemble"] == 0
    # Its page and print view, its two neighbours' (they name it), the lists it is on
    # (category page, month, home page, two feeds): a handful of the site's pages.
    assert 0 < counted["page_key"] <= 12 < first.pages / 2
    # Written: its own pages, and the feeds, which show the start of its text.
    pages = {o for o in result.written if not o.startswith("search/")}
    assert pages == {"law/a4/index.html", "law/a4/print.html", "feed.xml", "law/feed.xml"}
    assert snapshot(root / "public") == clean_copy(root, tmp_path)


def test_a_title_edit_is_patched_into_every_page_that_shows_it(tmp_path, counted):
    """Its page, its neighbours' 上一篇/下一篇 links, its category's and month's lists, the
    feeds, and the second script's twins of all of them."""
    root = archive(tmp_path / "site", TWO_SCRIPTS)
    memory = BuildMemory()
    assert build_site(root, memory=memory).ok
    counted["assemble"] = 0
    path = root / "content/law/a4.md"
    path.write_text(path.read_text(encoding="utf-8").replace("第4問", "第四問"), encoding="utf-8")
    result = build_site(root, memory=memory)
    assert result.ok and counted["assemble"] == 0
    public = snapshot(root / "public")
    assert public == clean_copy(root, tmp_path)
    # (Its neighbours are a8 and a0; its month's list is January's.)
    for page in ("law/a4/index.html", "law/a8/index.html", "archive/2018/01/index.html",
                 "feed.xml", "zh-hans/law/a0/index.html"):  # fmt: skip
        text = public[page].decode()
        assert ("勞動合同第四問" in text or "劳动合同第四问" in text) and "第4問" not in text, page


@pytest.mark.parametrize(
    "old, new",
    [("date: 2018-01-14 09:00", "date: 2019-01-14 09:00"), ("category: law", "category: news"),
     ("title: 勞動合同第4問", "title: 勞動合同第4問\nslug: di-si-wen"),
     ("title: 勞動合同第4問", "title: 勞動合同第4問\ndraft: true")],
    ids=["date", "category", "slug", "draft"],
)  # fmt: skip
def test_an_edit_that_moves_an_article_is_assembled_as_before(tmp_path, counted, old, new):
    root = archive(tmp_path / "site")
    memory = BuildMemory()
    assert build_site(root, memory=memory).ok
    path = root / "content/law/a4.md"
    assert old in path.read_text(encoding="utf-8")
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    counted["assemble"] = 0
    assert build_site(root, memory=memory).ok
    assert counted["assemble"] == 1
    assert snapshot(root / "public") == clean_copy(root, tmp_path)


def test_a_body_edit_reaches_the_second_scripts_pages_too(tmp_path, counted):
    root = archive(tmp_path / "site", TWO_SCRIPTS)
    memory = BuildMemory()
    assert build_site(root, memory=memory).ok
    counted["assemble"] = 0
    edit_body(root, "news/a5.md", "職工權益")
    result = build_site(root, memory=memory)
    assert result.ok and counted["assemble"] == 0
    twin = (root / "public/zh-hans/news/a5/index.html").read_text(encoding="utf-8")
    assert "职工权益" in twin and "劳动合同第5问" in twin
    assert snapshot(root / "public") == clean_copy(root, tmp_path)


def test_an_edit_that_breaks_the_front_matter_is_reported_then_mended(tmp_path, counted):
    root = archive(tmp_path / "site")
    memory = BuildMemory()
    assert build_site(root, memory=memory).ok
    before = snapshot(root / "public")
    path = root / "content/law/a2.md"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("title: 勞動合同第2問", "title: [勞動合同"), encoding="utf-8")
    broken = build_site(root, memory=memory)
    assert not broken.ok
    assert any(p.path.as_posix() == "content/law/a2.md" and p.line == 2 for p in broken.problems)
    assert snapshot(root / "public") == before
    path.write_text(good.replace("試用期工資", "年休假"), encoding="utf-8")
    assert build_site(root, memory=memory).ok
    assert snapshot(root / "public") == clean_copy(root, tmp_path)


def test_the_resident_indexer_is_sent_the_edited_article_alone(tmp_path, indexer, monkeypatch):
    """From the first edit on: the first build indexed in-process, and then had the indexer
    index the site it built while it waited for the edit."""
    root = archive(tmp_path / "site")
    memory = BuildMemory()
    assert build_site(root, memory=memory, indexer=indexer).ok
    sent: list[object] = []
    real = Companion.send

    def send(self, value):
        sent.append(value)
        real(self, value)

    monkeypatch.setattr(Companion, "send", send)
    here = indexed_here(monkeypatch)
    edit_body(root, "law/a6.md", "加班費按工資基數計算")
    assert build_site(root, memory=memory, indexer=indexer).ok
    edited = [i for i, value in enumerate(sent) if value and value[0] == "edited"]
    assert len(edited) == 1
    assert [row[0] for row in sent[edited[0] + 1]] == ["content/law/a6.md"]
    assert here == []  # the indexer spliced it: the build did not index by itself
    path = root / "content/law/a6.md"
    path.write_text(path.read_text(encoding="utf-8").replace("第6問", "第六問"), encoding="utf-8")
    assert build_site(root, memory=memory, indexer=indexer).ok
    assert here == []  # a new title keeps the doc's place too
    public = snapshot(root / "public")
    assert public == clean_copy(root, tmp_path)
    texts = b"".join(gzip.decompress(d) for n, d in public.items() if n.startswith("search/d/"))
    assert "加班費按工資基數計算".encode() in texts


def test_an_indexer_that_lost_the_index_leaves_the_build_to_index_by_itself(
    tmp_path, indexer, monkeypatch
):
    """A resident indexer started afresh (the old one died) holds no index to splice an
    edit into: the build indexes by itself, and the index is still a clean build's."""
    root = archive(tmp_path / "site")
    memory = BuildMemory()
    assert build_site(root, memory=memory, indexer=indexer).ok
    edit_body(root, "news/a1.md", "工傷認定")
    assert build_site(root, memory=memory, indexer=indexer).ok
    other = companion(resident_indexer)
    assert other is not None
    here = indexed_here(monkeypatch)
    try:
        edit_body(root, "news/a7.md", "帶薪年休假")
        assert build_site(root, memory=memory, indexer=other).ok
        assert len(here) == 1
        edit_body(root, "news/a9.md", "工傷認定")
        assert build_site(root, memory=memory, indexer=other).ok
    finally:
        other.close()
    assert snapshot(root / "public") == clean_copy(root, tmp_path)


@pytest.fixture
def walks(monkeypatch) -> list[str]:
    """The folders the build listed (content/, layouts/, static/, site.yaml)."""
    import sitegen.entry

    listed: list[str] = []
    real = sitegen.entry.walk

    def walk(root, folder, *args, **kwargs):
        listed.append(folder)
        return real(root, folder, *args, **kwargs)

    monkeypatch.setattr(sitegen.entry, "walk", walk)
    return listed


def test_a_build_told_which_files_changed_lists_no_folder_again(tmp_path, walks):
    """serve's watcher names the files an editor saved: the build stats those again, not
    the 100 000 others (an edit, a new file and a deleted one)."""
    root = archive(tmp_path / "site")
    memory = BuildMemory()
    assert build_site(root, memory=memory).ok
    walks.clear()
    edit_body(root, "law/a4.md", "加班費")
    assert build_site(root, memory=memory, changed=frozenset({"content/law/a4.md"})).ok
    (root / "content/news/a5.md").unlink()
    write_site(root, {"content/law/b1.md": article("新文章", "2018-05-01", "law", "新的正文。")})
    changed = frozenset({"content/news/a5.md", "content/law/b1.md"})
    assert build_site(root, memory=memory, changed=changed).ok
    assert walks == []
    public = snapshot(root / "public")
    assert "news/a5/index.html" not in public and "新的正文" in public[
        "law/b1/index.html"].decode()  # fmt: skip
    assert public == clean_copy(root, tmp_path)


@pytest.mark.parametrize(
    "changed", ["content/law", "layouts/base.html", "site.yaml", "content"],
    ids=["a folder", "a layout", "the settings", "content/ itself"],
)  # fmt: skip
def test_a_change_that_is_not_one_articles_file_lists_everything_again(tmp_path, walks, changed):
    root = archive(tmp_path / "site")
    memory = BuildMemory()
    assert build_site(root, memory=memory).ok
    walks.clear()
    layout = root / "layouts/base.html"
    layout.write_text(layout.read_text(encoding="utf-8") + "\n<!-- 改 -->\n", encoding="utf-8")
    assert build_site(root, memory=memory, changed=frozenset({changed})).ok
    assert "content" in walks and "layouts" in walks
    assert snapshot(root / "public") == clean_copy(root, tmp_path)


def test_a_builder_that_kept_no_listing_lists_everything(tmp_path, walks):
    root = archive(tmp_path / "site")
    assert build_site(root).ok
    walks.clear()
    edit_body(root, "law/a4.md", "加班費")
    assert build_site(root, memory=BuildMemory(), changed=frozenset({"content/law/a4.md"})).ok
    assert "content" in walks
    assert snapshot(root / "public") == clean_copy(root, tmp_path)


def test_a_build_by_another_process_in_between_makes_the_next_list_everything(tmp_path, walks):
    """What the watcher names is only what changed since this builder's last build: another
    process's build into the same folder (a second serve) means listing, and reading, anew."""
    root = archive(tmp_path / "site")
    memory = BuildMemory()
    assert build_site(root, memory=memory).ok
    edit_body(root, "law/a4.md", "加班費")
    assert build_site(root, memory=memory, changed=frozenset({"content/law/a4.md"})).ok
    write_site(root, {"content/news/b3.md": article("別處新增", "2018-06-01", "news", "別處。")})
    assert build_site(root).ok  # another process's build: no memory of its own here
    walks.clear()
    edit_body(root, "law/a6.md", "年休假")
    assert build_site(root, memory=memory, changed=frozenset({"content/law/a6.md"})).ok
    assert "content" in walks
    public = snapshot(root / "public")
    assert "news/b3/index.html" in public and public == clean_copy(root, tmp_path)


def photo() -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (1200, 800), (70, 110, 150)).save(out, "JPEG", quality=80)
    return out.getvalue()


def test_a_body_edit_above_a_photo_is_patched_and_a_new_broken_link_is_named(tmp_path, counted):
    """Lines added above a photo move the line its reference is on; its files stay the same,
    so the edit is patched. A reference to a file that is not there is an error naming its
    line, and the last good site stays."""
    body = "表彰大會舉行。\n\n![職工合影](合影.jpg)\n"
    folder = "content/news/2024-awards"
    root = write_site(tmp_path / "site", {
        f"{folder}/index.md": article("勞模表彰大會", "2018-02-20 09:00", "news", body),
        f"{folder}/合影.jpg": photo(),
        "content/law/a1.md": article("勞動合同第1問", "2018-01-11 09:00", "law", "正文。"),
    }, SEARCHED)  # fmt: skip
    memory = BuildMemory()
    assert build_site(root, memory=memory).ok
    path = root / f"{folder}/index.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("舉行。", "舉行。\n\n補充一段。"), encoding="utf-8")
    counted["assemble"] = 0
    assert build_site(root, memory=memory).ok and counted["assemble"] == 0
    public = snapshot(root / "public")
    assert public == clean_copy(root, tmp_path)
    assert "補充一段" in public["news/2024-awards/index.html"].decode()
    path.write_text(text.replace("舉行。", "舉行。\n\n![缺的](沒有這張.jpg)"), encoding="utf-8")
    counted["assemble"] = 0  # (the clean build counted)
    broken = build_site(root, memory=memory)
    assert not broken.ok and counted["assemble"] == 1
    assert [p.line for p in broken.problems if "沒有這張.jpg" in p.message] == [9]
    assert snapshot(root / "public") == public
