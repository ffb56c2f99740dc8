"""Work in a forked child (sitegen/forked.py): the answer, failures, and no child left behind."""

from __future__ import annotations

import gzip
import hashlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import sitegen.entry
import sitegen.forked
import sitegen.indexing
import sitegen.output
import sitegen.pipeline
import sitegen.scan
from sitegen.forked import ChildFailed, Pending, beside
from sitegen.pipeline import build_site
from sitegen.scan import SPLIT_AT, walk
from tests.conftest import MINIMAL_CONFIG, snapshot, write_site


@pytest.fixture
def forking(monkeypatch) -> list[Pending]:
    """Every child `beside` forks, with this process taken for single-threaded (other tests
    in the run may have left a thread behind, which would rightly stop the fork)."""
    monkeypatch.setattr(sitegen.forked.threading, "active_count", lambda: 1)
    started: list[Pending] = []
    real = sitegen.forked.beside

    def recording(function, *args, **kwargs):
        pending = real(function, *args, **kwargs)
        if pending is not None:
            started.append(pending)
        return pending

    monkeypatch.setattr(sitegen.scan, "beside", recording)
    monkeypatch.setattr(sitegen.indexing, "beside", recording)
    return started


def child_folders(root: Path) -> list[Path]:
    """The folders the search child makes its files in, beside the output folder (public/)."""
    return list(root.glob(".public.sitegen-search-child-*"))


def reaped(pending: Pending) -> bool:
    """Whether the child is gone and waited for (not running, not a zombie)."""
    try:
        os.waitpid(pending.pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def fails(message: str) -> None:
    raise ValueError(message)


def test_the_childs_answer_comes_back_and_the_child_is_reaped(forking):
    pending = beside(sorted, ["甲", "乙"])  # by code point: 乙 U+4E59, 甲 U+7532
    assert pending is not None and pending.pid != os.getpid()
    assert pending.result() == ["乙", "甲"]
    assert reaped(pending)


def test_a_child_that_raises_or_dies_is_a_failure_asked_for_again_alike(forking):
    raising = beside(fails, "no")
    dying = beside(os._exit, 9)
    assert raising is not None and dying is not None
    for pending, status in ((raising, "exit status 1"), (dying, "exit status 9")):
        for _ in range(2):
            with pytest.raises(ChildFailed, match=status):
                pending.result()
        assert reaped(pending)


def test_an_answer_taken_before_the_child_has_ended_leaves_it_to_reap(forking):
    """result(reaped=False) gives a whole answer without waiting for the child's exit,
    which frees its memory (5-10 ms for a 10 000-article index); reap() waits for it.
    A child that failed is waited for at once, as by result()."""
    pending = beside(sorted, ["甲", "乙"])
    assert pending is not None
    assert pending.result(reaped=False) == ["乙", "甲"]
    assert not reaped(pending)  # (running or a zombie: result() did not wait for it)
    pending.reap()
    assert reaped(pending)
    failing = beside(fails, "no")
    assert failing is not None
    with pytest.raises(ChildFailed, match="exit status 1"):
        failing.result(reaped=False)
    assert reaped(failing)


def test_an_answer_marshal_cannot_carry_is_a_failure(forking):
    pending = beside(object)
    assert pending is not None
    with pytest.raises(ChildFailed):
        pending.result()
    assert reaped(pending)


def test_a_fed_child_gets_what_is_sent_later_even_with_another_process_holding_the_pipe(
    forking,
):
    """A child may start before its input is known. Worker processes forked after it hold
    the pipe's other end too, so it must not wait for the pipe's end, only for the input."""
    pending = beside(lambda receive: [receive(), sorted(receive())], fed=True)
    assert pending is not None
    holder = os.fork()  # as a worker pool forked later would
    if holder == 0:
        time.sleep(30)
        os._exit(0)
    try:
        pending.send("第一批", more=True)
        pending.send(["甲", "乙", "丙" * 100_000])  # more than a pipe holds at once
        answer = []
        waiting = threading.Thread(target=lambda: answer.append(pending.result()), daemon=True)
        waiting.start()
        waiting.join(20)
        assert answer == [["第一批", ["丙" * 100_000, "乙", "甲"]]]
    finally:
        os.kill(holder, 9)
        os.waitpid(holder, 0)


def test_what_is_sent_to_a_busy_fed_child_is_taken_in_at_once(forking, tmp_path):
    """The build's sends must not wait until the child asks for them: the search child
    imports numpy first, and the build held up meanwhile was the whole edit held up."""
    go = tmp_path / "go"

    def busy(receive):
        while not go.exists():
            time.sleep(0.01)
        return len(receive())

    pending = beside(busy, fed=True)
    assert pending is not None
    sending = threading.Thread(target=pending.send, args=("丙" * 1_000_000,), daemon=True)
    sending.start()  # 3 MB: more than a pipe holds
    sending.join(20)
    try:
        assert not sending.is_alive()
    finally:
        go.touch()
    assert pending.result() == 1_000_000


def test_a_fed_child_whose_pipe_fails_fails_instead_of_waiting(forking):
    """Its input is taken in on a thread: a pipe that fails there must fail the child (the
    build then indexes by itself), not leave it waiting for input that cannot come. (The
    parent keeps its end open, and waits for the child to end by itself.)"""

    def broken(receive):
        os.close(receive._reader)  # as a pipe gone bad would
        return receive()

    pending = beside(broken, fed=True)
    assert pending is not None
    try:
        deadline = time.monotonic() + 20
        ended = None
        while ended is None and time.monotonic() < deadline:
            time.sleep(0.02)  # (WNOWAIT: looked at, left for result() to reap)
            ended = os.waitid(os.P_PID, pending.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        assert ended is not None and ended.si_status != 0
        with pytest.raises(ChildFailed):
            pending.result()
    finally:
        pending.cancel()


def test_a_fed_child_asked_for_its_answer_before_its_last_input_fails_instead_of_waiting(
    forking,
):
    pending = beside(lambda receive: [receive(), receive()], fed=True)
    assert pending is not None
    pending.send("只有一批", more=True)
    with pytest.raises(ChildFailed):
        pending.result()
    assert reaped(pending)


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")  # reparented: perhaps nobody reaps it here


def _gone_after_its_build_is_killed(start: Callable[[], Pending | None], within: float) -> bool:
    """Fork a build that starts a child with `start` and is then killed (kill -9); whether
    that child is gone within `within` seconds."""
    reader, writer = os.pipe()
    middle = os.fork()
    if middle == 0:  # the build
        os.close(reader)
        pending = start()
        os.write(writer, str(pending.pid if pending else 0).encode())
        os.kill(os.getpid(), signal.SIGKILL)
    os.close(writer)
    child = int(os.read(reader, 32) or 0)
    os.close(reader)
    os.waitpid(middle, 0)
    assert child
    deadline = time.monotonic() + within
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _gone(child)


def test_a_fed_child_whose_build_died_before_sending_leaves(forking):
    """A build killed between starting its search child and sending it the site: the child
    notices that its parent is gone and leaves, rather than wait forever."""
    assert _gone_after_its_build_is_killed(lambda: beside(lambda receive: receive(), fed=True), 20)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_a_child_at_work_ends_with_the_build_that_forked_it(forking):
    """A build killed while its child works: the child ends at once, instead of finishing
    work nobody will read while it holds the build lock it inherited."""
    assert _gone_after_its_build_is_killed(lambda: beside(time.sleep, 60), 10)


def test_no_child_is_forked_while_other_threads_run(tmp_path):
    """serve runs a server and a watcher thread: a forked child could inherit a lock one of
    them holds, so the work is done in the process itself."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert beside(sorted, [2, 1]) is None
        root = archive(tmp_path)
        assert walk(root, "content") == serial_walk(root)
    finally:
        stop.set()
        thread.join()


def archive(root: Path, categories: int = 3, years: int = 30) -> Path:
    """content/ with more folders than one process walks alone: category/year/articles,
    with an editor's swap file and a hidden file that are never sources."""
    for c in range(categories):
        for y in range(years):
            folder = root / "content" / f"cat{c}" / str(1995 + y)
            folder.mkdir(parents=True)
            for n in range(2):
                (folder / f"勞動{n}.md").write_text(f"{c}-{y}-{n}", encoding="utf-8")
            (folder / ".勞動0.md.swp").write_bytes(b"vim")
            (folder / ".DS_Store").write_bytes(b"mac")
    return root


def serial_walk(root: Path, outside: list | None = None) -> dict:
    """The walk in one process, as a site too small to split is walked."""
    top = root / "content"
    return sitegen.scan._Walk(f"{root}/", str(top), "", outside).run([(str(top), "content")])


def test_a_large_folder_is_walked_by_two_processes_as_by_one(tmp_path, forking, monkeypatch):
    root = archive(tmp_path)
    expected = serial_walk(root)
    assert len(expected) == 3 * 30 * 2 > SPLIT_AT
    assert not any(".swp" in name or "DS_Store" in name for name in expected)
    assert walk(root, "content") == expected
    assert len(forking) == 1 and reaped(forking[0])
    monkeypatch.setattr(sitegen.scan, "beside", lambda *args: beside(fails, "killed"))
    assert walk(root, "content") == expected  # the child failed: walked here


def test_the_listing_gives_each_files_stat_and_leaves_out_one_removed_meanwhile(
    tmp_path, monkeypatch
):
    """Files are statted by name in their open folder, or by path where a folder holds
    one: either way each file's own modification time and size. A file removed between
    the folder's listing and its stat (an editor deleting an article during a build) is
    left out, not an error."""
    root = archive(tmp_path, categories=1, years=3)
    (root / "content/cat0/1995/長文.md").write_text("勞動" * 500, encoding="utf-8")
    (root / "content/cat0/單篇").mkdir()
    (root / "content/cat0/單篇/index.md").write_text("一篇", encoding="utf-8")
    found = serial_walk(root)
    files = [p for p in (root / "content").rglob("*.md") if not p.name.startswith(".")]
    assert len(found) == len(files) == 3 * 2 + 2
    for path in files:
        info = path.stat()
        assert found[path.relative_to(root).as_posix()] == (info.st_mtime_ns, info.st_size)
    listed = os.scandir

    def listed_then_removed(path):
        entries = list(listed(path))
        if path.endswith("1996"):
            (root / "content/cat0/1996/勞動1.md").unlink()
        return iter(entries)

    monkeypatch.setattr(sitegen.scan.os, "scandir", listed_then_removed)
    after = serial_walk(root)
    assert "content/cat0/1996/勞動1.md" not in after
    assert after == {
        rel: stat for rel, stat in found.items() if rel != "content/cat0/1996/勞動1.md"
    }


def test_links_in_a_large_folder_follow_the_rules_of_the_walk_in_one_process(tmp_path, forking):
    root = archive(tmp_path)
    (root / "content/cat2/2020/外面").symlink_to("/etc")
    (root / "content/cat1/again").symlink_to(root / "content/cat0/1999")
    (root / "content/cat1/again2").symlink_to(root / "content/cat0/1999")
    found, outside = walk(root, "content", outside=(noted := [])), noted
    assert outside == ["content/cat2/2020/外面"]
    assert found == serial_walk(root, [])
    assert not any(
        name.startswith(("content/cat1/again/", "content/cat1/again2/")) for name in found
    )  # a folder inside the walked one: read under its own name


SEARCHED = MINIMAL_CONFIG.replace("search: false", "search: true")


def searched_site(root: Path) -> Path:
    return write_site(root, {
        f"content/law/{n}.md": f"---\ntitle: 勞動合同第{n}問\ndate: 2018-09-{n + 10}\n"
                               f"category: law\n---\n試用期工資不得低於最低工資標準{n}。\n"
        for n in range(1, 6)
    }, SEARCHED)  # fmt: skip


def without_page_store(root: Path) -> None:
    for store in (root / ".sitegen-cache").glob("pages-*.sqlite"):
        store.unlink()


def edit_and_rebuild(root: Path) -> dict[str, bytes]:
    write_site(root, {"content/law/3.md": "---\ntitle: 勞動合同第3問\ndate: 2018-09-13\n"
                      "category: law\n---\n加班費按工資基數計算，另有約定的除外。\n"})  # fmt: skip
    assert build_site(root).ok
    return snapshot(root / "public")


def clean_build(root: Path) -> dict[str, bytes]:
    assert build_site(root, root / "clean", clean=True).ok
    return snapshot(root / "clean")


def test_an_edits_search_index_is_made_in_a_child_as_a_clean_build_makes_it(tmp_path, forking):
    root = searched_site(tmp_path / "site")
    assert build_site(root).ok
    forking.clear()
    after = edit_and_rebuild(root)
    assert len(forking) == 1 and all(reaped(p) for p in forking)  # the index made
    assert after == clean_build(root)
    texts = doc_texts(after)
    assert "加班費" in texts and "最低工資標準3" not in texts


def test_when_the_search_child_dies_the_build_indexes_itself(tmp_path, forking, monkeypatch):
    root = searched_site(tmp_path / "site")
    assert build_site(root).ok

    def dying(function, *args, **kwargs):
        return beside(lambda receive: os._exit(9), fed=True)

    monkeypatch.setattr(sitegen.indexing, "beside", dying)
    assert edit_and_rebuild(root) == clean_build(root)


def test_a_build_that_fails_leaves_no_search_child_running(tmp_path, forking, monkeypatch):
    root = searched_site(tmp_path / "site")
    assert build_site(root).ok

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(sitegen.pipeline.Workers, "render", broken)
    with pytest.raises(OSError):
        edit_and_rebuild(root)
    assert forking and all(reaped(p) for p in forking)
    assert not child_folders(root)


def test_the_search_child_has_the_articles_before_the_site_is_assembled(
    tmp_path, forking, monkeypatch
):
    """It indexes them while this process assembles the site and keys its pages (0.65 s
    of an edit at 100 000 articles), and the index is still the one a clean build makes.
    (Without the page store, the edit is built so: see sitegen/resume.py.)"""
    root = searched_site(tmp_path / "site")
    assert build_site(root).ok
    without_page_store(root)
    sent: list[object] = []
    at_assembly: list[int] = []  # how many values the child had been sent
    real_send, real_assemble = Pending.send, sitegen.pipeline.assemble

    def send(self, value, more=False):
        sent.append(value)
        real_send(self, value, more)

    def assemble(*args):
        at_assembly.append(len(sent))
        return real_assemble(*args)

    monkeypatch.setattr(Pending, "send", send)
    monkeypatch.setattr(sitegen.pipeline, "assemble", assemble)
    assert edit_and_rebuild(root) == clean_build(root)
    # The record of the index files (the file it is kept in, which the child reads), the
    # articles, and the listing of their files (on two cores the child forked before the
    # build listed them: see entry._early_index).
    early = sitegen.entry._cores() >= 2
    assert at_assembly[0] == (3 if early else 2) and sent[0][0][0] == "from file"
    # Only the edited article's row: the child has the others' from the last build.
    since, gone, rows, count = sent[1]
    assert [row[0] for row in rows] == ["content/law/3.md"] and gone == [] and count == 5


def test_the_search_child_is_sent_every_row_when_the_last_ones_were_not_kept(
    tmp_path, forking, monkeypatch
):
    root = searched_site(tmp_path / "site")
    assert build_site(root).ok
    without_page_store(root)
    for kept in (root / ".sitegen-cache").glob("search-rows-*"):
        kept.unlink()
    sent: list[object] = []
    real_send = Pending.send
    monkeypatch.setattr(Pending, "send", lambda self, value, more=False: (
        sent.append(value), real_send(self, value, more)))  # fmt: skip
    assert edit_and_rebuild(root) == clean_build(root)
    assert [row[0] for row in sent[1]] == [f"content/law/{n}.md" for n in range(1, 6)]


@pytest.fixture
def indexed_here(monkeypatch) -> list[int]:
    """Each index this process makes (a child's calls are counted in the child only)."""
    made: list[int] = []
    real = sitegen.indexing._write_search

    def counted(*args, **kwargs):
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(sitegen.indexing, "_write_search", counted)
    return made


@pytest.fixture
def spliced_log(monkeypatch, tmp_path) -> Path:
    """A file each splice of an edit into the live index (see _index_edited) adds a line
    to: the search child, forked after this, inherits the spy."""
    log = tmp_path / "spliced.log"
    real = sitegen.indexing._index_edited

    def logged(*args, **kwargs):
        answer = real(*args, **kwargs)
        with log.open("a", encoding="utf-8") as out:
            out.write("spliced\n")
        return answer

    monkeypatch.setattr(sitegen.indexing, "_index_edited", logged)
    return log


@pytest.mark.parametrize(
    ("change", "spliced"),
    [("body", True), ("title", True), ("longer body", False), ("date", False),
     ("new article", False)],
)  # fmt: skip
def test_the_search_child_splices_an_edit_that_moves_no_article(
    tmp_path, forking, indexed_here, spliced_log, change, spliced
):
    """As serve's indexer does: only the edited article's block is indexed again and
    spliced into the live index, when the edit leaves the index's dimensions as they were
    (here, an edit of as many bytes: docs per chunk follow from their average size). An
    article moved or added, or other dimensions: the docs are laid out again. The index
    is a clean build's either way, and made by the child."""
    root = searched_site(tmp_path / "site")
    assert build_site(root).ok
    head = "---\ntitle: 勞動合同第3問\ndate: 2018-09-13\ncategory: law\n---\n"
    body = "試用期工資不得低於最低工資標準3。\n"
    text = {
        "body": head + body.replace("工資不得低於最低工資", "加班不得多於法定工時"),
        "title": head.replace("勞動合同", "加班工資") + body,
        "longer body": head + body * 3,
        "date": head.replace("2018-09-13", "2018-10-01") + body,
    }
    if change == "new article":
        write_site(root, {"content/law/7.md": head.replace("3問", "7問") + "加班費。\n"})
    else:
        write_site(root, {"content/law/3.md": text[change]})
    forking.clear()
    indexed_here.clear()
    assert build_site(root).ok
    assert len(forking) == 1 and not indexed_here
    assert spliced_log.exists() == spliced
    assert snapshot(root / "public") == clean_build(root)


def kept_files(root: Path) -> list[str]:
    return sorted(path.name for path in (root / ".sitegen-cache").glob("search-rows-*"))


def retitled(root: Path, round_: int) -> None:
    """A new title of the same length for article 3 (the index keeps its dimensions)."""
    write_site(root, {"content/law/3.md": f"---\ntitle: 勞動合同第{round_}問\ndate: 2018-09-13\n"
                      "category: law\n---\n試用期工資不得低於最低工資標準3。\n"})  # fmt: skip


def test_a_spliced_index_is_kept_as_its_changes_to_the_last_whole_one(
    tmp_path, forking, indexed_here, spliced_log
):
    """The child keeps the index it spliced for the next build's child: as the docs changed
    since the last file that holds every row, named after it, so that it writes a few
    rows, not all. Each edit's child starts from the newest such file, the older whole
    one is kept while a kept file is changes to it, and each index is a clean build's."""
    root = searched_site(tmp_path / "site")
    assert build_site(root).ok
    [whole] = kept_files(root)
    base = whole.removesuffix(".marshal").rsplit("-", 1)[1]
    for round_ in range(5, 10):
        retitled(root, round_)
        indexed_here.clear()
        assert build_site(root).ok and not indexed_here
        newest = max((root / ".sitegen-cache").glob("search-rows-*"), key=os_mtime)
        assert newest.name.endswith(f"+{base}.marshal") and whole in kept_files(root)
        assert len(newest.read_bytes()) < len((root / ".sitegen-cache" / whole).read_bytes())
    assert spliced_log.read_text(encoding="utf-8").count("spliced") == 5
    assert len(kept_files(root)) == 4  # the newest three, and the whole one
    assert "勞動合同第9問" in doc_texts(snapshot(root / "public"))
    # (A clean build into another folder shares the cache: made once the edits are done.)
    assert snapshot(root / "public") == clean_build(root)


def test_an_edit_is_indexed_right_when_the_whole_file_its_kept_index_needs_is_gone(
    tmp_path, forking, indexed_here
):
    root = searched_site(tmp_path / "site")
    assert build_site(root).ok
    [whole] = kept_files(root)
    retitled(root, 5)
    assert build_site(root).ok
    (root / ".sitegen-cache" / whole).unlink()
    retitled(root, 6)
    indexed_here.clear()
    assert build_site(root).ok
    assert len(indexed_here) == 1  # the child could not start from it: the build indexed
    assert snapshot(root / "public") == clean_build(root)
    assert "勞動合同第6問" in doc_texts(snapshot(root / "public"))


def index_records(root: Path) -> list[str]:
    return sorted(path.name.rsplit("-", 1)[1] for path in (root / ".sitegen-cache").glob("index-*"))


def test_a_spliced_index_records_its_files_as_changes_to_the_last_whole_record(
    tmp_path, forking, indexed_here
):
    """The record of the index's files that an edit's child writes holds the files it
    changed since the last whole record, which is kept beside it; read together, they
    name every index file of the site with its digest, and the next edit's child reads
    them ahead and starts from them."""
    from sitegen.cache import CACHE_DIR, read_index_record
    from sitegen.indexing import _guessed_record

    root = searched_site(tmp_path / "site")
    assert build_site(root).ok
    [whole] = index_records(root)
    for round_ in range(5, 8):
        retitled(root, round_)
        indexed_here.clear()
        assert build_site(root).ok and not indexed_here
        [changes, kept] = sorted(index_records(root), key=len, reverse=True)
        assert kept == whole and changes.endswith(f"+{whole}")
        [cache] = (root / CACHE_DIR).glob("cache-*.bin")
        token = changes.removesuffix(".bin")
        assert _guessed_record(str(cache)).token == token
        files = {
            path.relative_to(root / "public").as_posix(): hashlib.sha256(path.read_bytes())
            for path in (root / "public/search").rglob("*")
            if path.is_file() and path.name != "index.html"
        }
        record = read_index_record(cache, token)
        assert {name: entry[1] for name, entry in record.items()} == {
            name: digest.hexdigest() for name, digest in files.items()
        }
    assert snapshot(root / "public") == clean_build(root)


def test_an_edit_is_built_right_when_the_whole_record_of_the_index_is_gone(tmp_path, forking):
    root = searched_site(tmp_path / "site")
    assert build_site(root).ok
    [whole] = index_records(root)
    retitled(root, 5)
    assert build_site(root).ok
    for path in (root / ".sitegen-cache").glob(f"index-*-{whole}"):
        path.unlink()
    retitled(root, 6)
    result = build_site(root)
    assert result.ok and "unreadable" in (result.cache_warning or "")
    assert snapshot(root / "public") == clean_build(root)
    assert "勞動合同第6問" in doc_texts(snapshot(root / "public"))


def os_mtime(path: Path) -> int:
    return path.stat().st_mtime_ns


@pytest.mark.parametrize("harm", ["damaged", "a row damaged", "as kept before",
                                  "another index's newer"])  # fmt: skip
def test_an_edits_index_is_right_whatever_became_of_the_kept_rows(
    tmp_path, forking, indexed_here, harm
):
    """The search child starts from the rows the last build's index was made of, kept in
    the cache. Damaged (the file, or the edited article's row, which is read only when the
    edit comes), or kept as an earlier sitegen kept them (every row whole), they cost the
    child its work (the build indexes by itself); a newer file of another output folder's
    index, which the child reads first, is put aside for the right one."""
    import marshal

    root = searched_site(tmp_path / "site")
    assert build_site(root).ok
    (kept,) = (root / ".sitegen-cache").glob("search-rows-*")
    tag, combined, paths, packed, sizes, *laid = marshal.loads(kept.read_bytes())
    if harm == "damaged":
        kept.write_bytes(b"\x00 not the rows")
    elif harm == "a row damaged":
        packed[paths.index("content/law/3.md")] = b"\x00 not a row"
        kept.write_bytes(marshal.dumps((tag, combined, paths, packed, sizes, *laid)))
    elif harm == "as kept before":
        rows = [(path, *marshal.loads(row)) for path, row in zip(paths, packed, strict=True)]
        old_tag = tag.rpartition(" ")[0]
        kept.write_bytes(marshal.dumps((old_tag, combined, rows, sizes, *laid)))
    else:  # a build of another title into another folder, the title put back after
        second = root / "content/law/2.md"
        text = second.read_text(encoding="utf-8")
        second.write_text(text.replace("勞動合同第2問", "工傷認定"), encoding="utf-8")
        assert build_site(root, root / "other").ok
        second.write_text(text, encoding="utf-8")
        assert len(list((root / ".sitegen-cache").glob("search-rows-*"))) == 2
    indexed_here.clear()
    after = edit_and_rebuild(root)
    assert len(indexed_here) == (0 if harm == "another index's newer" else 1)
    assert after == clean_build(root)
    texts = doc_texts(after)
    assert "勞動合同第2問" in texts and "工傷認定" not in texts


def test_an_edit_that_removes_and_adds_articles_is_indexed_as_a_clean_build_does(
    tmp_path, forking, indexed_here
):
    root = searched_site(tmp_path / "site")
    assert build_site(root).ok
    (root / "content/law/4.md").unlink()
    write_site(root, {"content/law/6.md": "---\ntitle: 帶薪年假\ndate: 2018-09-20\n"
                      "category: law\n---\n職工工作滿一年的，享受帶薪年休假。\n"})  # fmt: skip
    forking.clear()
    indexed_here.clear()
    after = edit_and_rebuild(root)
    assert len(forking) == 1 and not indexed_here  # by the child, from the kept rows
    assert after == clean_build(root)
    texts = doc_texts(after)
    assert "帶薪年休假" in texts and "最低工資標準4" not in texts and "最低工資標準5" in texts


def doc_texts(site: dict[str, bytes]) -> str:
    """The search index's doc chunks (titles and texts), as one string."""
    chunks = (data for name, data in site.items() if name.startswith("search/d/"))
    return "".join(gzip.decompress(data).decode("utf-8") for data in chunks)


def test_the_child_takes_the_record_of_the_index_it_read_ahead_only_if_it_is_the_one_named(
    tmp_path,
):
    """While it waits for the build to read its record, the child reads the one record of
    the index's files beside it (save_head removes the others); told which one the record
    names, it uses what it read only if that is the one, else it reads the one named
    (here: there is none of that name, which fails the child: the build indexes itself)."""
    from sitegen.cache import CACHE_DIR, index_file, read_index_record
    from sitegen.indexing import _FROM_FILE, _guessed_record, _held_record

    root = searched_site(tmp_path / "site")
    assert build_site(root).ok
    [cache] = (root / CACHE_DIR).glob("cache-*.bin")
    guessed = _guessed_record(str(cache))
    assert guessed is not None and index_file(cache, guessed.token).is_file()
    named = read_index_record(cache, guessed.token)
    assert any(name.startswith("search/s/") for name in named)
    held = (_FROM_FILE, str(cache), guessed.token, True)
    assert _held_record(held, guessed) == (named, {o: e[1] for o, e in named.items()})
    assert _held_record(held[:3] + (False,), guessed) == (named, {})
    with pytest.raises(ValueError, match="cannot be read"):
        _held_record((_FROM_FILE, str(cache), "0" * 16, True), guessed)
    index_file(cache, "1" * 16).write_bytes(b"another")  # two of them: no guess
    assert _guessed_record(str(cache)) is None


def test_an_error_found_while_the_search_child_works_stops_it_and_leaves_the_site(
    tmp_path, forking
):
    """The child has the articles as soon as they are read, before URL clashes are looked
    for: a clash must stop it, remove its folder and leave public/ as it was."""
    root = searched_site(tmp_path / "site")
    assert build_site(root).ok
    before = snapshot(root / "public")
    forking.clear()
    write_site(root, {"content/law/9.md": "---\ntitle: 重複\ndate: 2018-09-30\ncategory: law\n"
                      "slug: '1'\n---\n加班費。\n"})  # fmt: skip
    result = build_site(root)
    assert not result.ok and any("also claimed" in p.message for p in result.problems)
    assert len(forking) == 1 and all(reaped(p) for p in forking)
    assert not child_folders(root)
    assert snapshot(root / "public") == before


def test_a_killed_builds_search_folder_is_removed_by_the_next_build(tmp_path, forking):
    root = searched_site(tmp_path / "site")
    assert build_site(root).ok
    stale = root / ".public.sitegen-search-child-k1ll3d/search/s/0.bin"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"half written")
    assert edit_and_rebuild(root) == clean_build(root)
    assert not child_folders(root)


@pytest.fixture
def indexer(forking):
    """A resident indexer, as `sitegen serve`'s builder starts one; closed at the end."""
    from sitegen.forked import companion
    from sitegen.indexing import resident_indexer

    started = companion(resident_indexer)
    assert started is not None
    yield started
    started.close()


def test_a_resident_indexer_makes_each_edits_index_as_a_clean_build_does(
    tmp_path, forking, indexer
):
    """No child is forked per build, and a build that fails after sending it the articles
    (a URL claimed twice) leaves it ready for the next build's talk."""
    root = searched_site(tmp_path / "site")
    assert build_site(root).ok
    forking.clear()
    write_site(root, {"content/law/3.md": "---\ntitle: 勞動合同第3問\ndate: 2018-09-13\n"
                      "category: law\n---\n加班費按工資基數計算。\n"})  # fmt: skip
    assert build_site(root, indexer=indexer).ok
    clash = "---\ntitle: 重複\ndate: 2018-09-30\ncategory: law\nslug: '1'\n---\n年休假。\n"
    write_site(root, {"content/law/9.md": clash})
    assert not build_site(root, indexer=indexer).ok
    assert not indexer._connection.poll(1)  # its answer was taken: the next talk is in step
    write_site(root, {"content/law/9.md": clash.replace("slug: '1'\n", "")})
    assert build_site(root, indexer=indexer).ok
    assert forking == [] and _running(indexer.pid)
    public = snapshot(root / "public")
    assert public == clean_build(root)
    texts = b"".join(gzip.decompress(d) for n, d in public.items() if n.startswith("search/d/"))
    assert "年休假".encode() in texts and "加班費按工資基數計算".encode() in texts


def test_after_serve_spliced_an_edit_a_builds_child_starts_from_the_rows_serve_kept(
    tmp_path, forking, indexer, monkeypatch
):
    """`sitegen build` after `sitegen serve`: the resident indexer keeps the rows of each
    index it makes, as a build does, so the build's child is sent the edited rows only."""
    from sitegen.cache import BuildMemory

    root = searched_site(tmp_path / "site")
    memory = BuildMemory()
    assert build_site(root, memory=memory, indexer=indexer).ok
    for title in ("第3問：加班費", "第3問：年休假"):  # the first spliced into the index held
        write_site(root, {"content/law/3.md": f"---\ntitle: {title}\ndate: 2018-09-13\n"
                          "category: law\n---\n加班費按工資基數計算。\n"})  # fmt: skip
        assert build_site(root, memory=memory, indexer=indexer).ok
    sent: list[object] = []
    real_send = Pending.send
    monkeypatch.setattr(Pending, "send", lambda self, value, more=False: (
        sent.append(value), real_send(self, value, more)))  # fmt: skip
    write_site(root, {"content/law/2.md": "---\ntitle: 勞動合同第2問\ndate: 2018-09-12\n"
                      "category: law\n---\n經濟補償按工作年限支付。\n"})  # fmt: skip
    assert build_site(root).ok  # as `sitegen build` does: no memory, no resident indexer
    since, _, rows, _ = sent[1]
    assert since == "since" and [row[0] for row in rows] == ["content/law/2.md"]
    public = snapshot(root / "public")
    assert public == clean_build(root)
    assert "經濟補償" in doc_texts(public) and "第3問：年休假" in doc_texts(public)


def test_a_build_whose_resident_indexer_was_killed_indexes_by_itself(tmp_path, forking, indexer):
    root = searched_site(tmp_path / "site")
    assert build_site(root).ok
    os.kill(indexer.pid, signal.SIGKILL)
    write_site(root, {"content/law/3.md": "---\ntitle: 勞動合同第3問\ndate: 2018-09-13\n"
                      "category: law\n---\n加班費按工資基數計算。\n"})  # fmt: skip
    assert build_site(root, indexer=indexer).ok
    assert snapshot(root / "public") == clean_build(root)


def test_a_build_that_stops_before_sending_the_index_record_leaves_the_indexer_in_step(
    tmp_path, forking, indexer, monkeypatch
):
    """A build that fails before it has sent anything (its record unreadable, say) gives
    the indexer up with one word; the next build's index is still the indexer's."""
    root = searched_site(tmp_path / "site")
    assert build_site(root).ok
    real = sitegen.pipeline._last_record

    def unreadable(*args):
        raise OSError(5, "Input/output error", str(root / ".sitegen-cache"))

    monkeypatch.setattr(sitegen.pipeline, "_last_record", unreadable)
    write_site(root, {"content/law/3.md": "---\ntitle: 勞動合同第3問\ndate: 2018-09-13\n"
                      "category: law\n---\n加班費按工資基數計算。\n"})  # fmt: skip
    with pytest.raises(OSError):
        build_site(root, indexer=indexer)
    monkeypatch.setattr(sitegen.pipeline, "_last_record", real)
    forking.clear()
    assert build_site(root, indexer=indexer).ok
    assert forking == [] and _running(indexer.pid)
    assert snapshot(root / "public") == clean_build(root)
    assert not indexer._connection.poll(0.5)


def _running(pid: int) -> bool:
    """Alive and not a zombie (ended, not yet reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_build_with_nothing_to_do_lets_the_early_search_child_go(tmp_path, forking, monkeypatch):
    """The search child forks before the sources are listed (on two cores); a build that
    then finds nothing to do kills and reaps it and removes its folder, and on one core
    none is forked at all."""
    root = searched_site(tmp_path / "site")
    assert build_site(root).ok
    forking.clear()
    monkeypatch.setattr(sitegen.entry, "_cores", lambda: 2)
    result = build_site(root)
    assert result.ok and result.written == ()
    [child] = forking
    assert reaped(child)
    assert not child_folders(root)
    forking.clear()
    monkeypatch.setattr(sitegen.entry, "_cores", lambda: 1)
    assert build_site(root).written == () and forking == []


def test_a_build_of_many_changes_lets_the_early_search_child_go_before_it_works(
    tmp_path, forking, monkeypatch
):
    """A layout edited: not an edit's build, so the child forked before the listing is let
    go at once, not held (with the last index's docs) through the whole build's peak."""
    root = searched_site(tmp_path / "site")
    assert build_site(root).ok
    monkeypatch.setattr(sitegen.entry, "_cores", lambda: 2)
    forking.clear()
    gone_at_start: list[bool] = []
    real = sitegen.pipeline.rebuild

    def rebuild(*args):
        gone_at_start.append(reaped(forking[0]))
        return real(*args)

    monkeypatch.setattr(sitegen.pipeline, "rebuild", rebuild)
    layout = root / "layouts/base.html"
    layout.write_text(layout.read_text(encoding="utf-8") + "\n<!-- 改版 -->\n", "utf-8")
    assert build_site(root).ok and gone_at_start == [True]


@pytest.mark.skipif(sys.platform != "linux", reason="a thread's own priority is Linux's")
def test_a_childs_getting_ready_takes_only_a_core_no_one_else_wants(monkeypatch):
    """The search child gets ready on a thread of the lowest priority while the machine
    runs little else (a build with nothing to do then lists its sources on both cores), at
    its own on a busy machine (where it would wait for every other process); the other
    threads keep theirs, and what the thread raises is raised where it is waited for."""
    from concurrent.futures import ThreadPoolExecutor

    indexing = sitegen.indexing
    own = os.getpriority(os.PRIO_PROCESS, 0)

    def priority() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    def aside(function: Callable[[], object]) -> Callable[[], object]:
        """As the child runs its getting ready (see _search_child)."""
        pool = ThreadPoolExecutor(1, initializer=indexing._lowered)
        ready = pool.submit(function)
        pool.shutdown(wait=False)
        return ready.result

    assert indexing._running() >= 1  # (read from /proc/loadavg)
    monkeypatch.setattr(indexing, "_running", lambda: 1)
    assert aside(priority)() == 19
    assert priority() == own
    monkeypatch.setattr(indexing, "_running", lambda: 500)
    assert aside(priority)() == own

    def fails() -> None:
        raise KeyError("kept rows")

    with pytest.raises(KeyError, match="kept rows"):
        aside(fails)()


# --- a clean build's spare, made the new site's twin in a child (output.Twin) ------------


def twin_of_live(root: Path) -> bool:
    """Whether the spare beside public/ holds every file of public/, as hard links to the
    same files (its manifest too, which tells the next build that the spare is whole),
    and nothing else."""
    live, spare = root / "public", root / ".public.sitegen-spare"

    def files(top: Path) -> dict[str, int]:
        return {str(p.relative_to(top)): p.stat().st_ino for p in top.rglob("*") if p.is_file()}

    return (spare / ".sitegen-manifest").exists() and files(live) == files(spare)


def made_here(out: Path, spare: Path) -> None:
    raise AssertionError("the twin was made in the build, not in its child")


def test_a_clean_builds_spare_is_made_its_twin_in_a_child_before_the_build_returns(
    tmp_path, monkeypatch
):
    """The spare holds the old site after the swap: a child process makes it the new
    one's twin while the build saves its record, and the build waits for it (the next
    build works in the spare). The edit after it is built from that twin, as a clean
    build makes it."""
    root = searched_site(tmp_path / "site")
    monkeypatch.setattr(sitegen.output, "_make_twin", made_here)  # (in this process only)
    assert build_site(root, jobs=1).ok and twin_of_live(root)
    assert build_site(root, jobs=1, clean=True).ok  # the old site in the spare, replaced
    assert twin_of_live(root)
    assert edit_and_rebuild(root) == clean_build(root)


def test_when_the_twin_child_fails_the_build_makes_the_spare_itself(tmp_path, monkeypatch):
    root = searched_site(tmp_path / "site")
    monkeypatch.setattr(sitegen.output, "_TWIN_CODE", "raise SystemExit(3)")
    assert build_site(root, jobs=1).ok
    assert twin_of_live(root)
    assert edit_and_rebuild(root) == clean_build(root)


# The child's code with its work made to last: it then only waits to be killed.
STUCK_TWIN = (
    "import sys, time; import sitegen.output as o; "
    "o._make_twin = lambda out, spare: time.sleep(120); o.twin_child(*sys.argv[1:])"
)


def test_a_build_that_fails_after_its_swap_kills_the_twin_child_and_the_next_is_right(
    tmp_path, monkeypatch
):
    """Saving the record fails (a full disk) while the child links: the build stops at
    once, with the child killed and reaped (not left to link on while the next build
    works in the spare), and the next build, finding a spare without a manifest, makes
    it anew."""
    root = searched_site(tmp_path / "site")
    started: list = []
    real = sitegen.output._start_twin

    def start(out: Path, spare: Path):
        started.append(real(out, spare))
        return started[-1]

    def full(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(sitegen.output, "_TWIN_CODE", STUCK_TWIN)
    monkeypatch.setattr(sitegen.output, "_start_twin", start)
    monkeypatch.setattr(sitegen.pipeline, "save_cache", full)
    begun = time.monotonic()
    with pytest.raises(OSError, match="No space"):
        build_site(root, jobs=1)
    assert time.monotonic() - begun < 60  # not waited for
    [child] = started
    assert child.returncode == -signal.SIGKILL
    monkeypatch.undo()
    assert build_site(root).ok and twin_of_live(root)
    assert edit_and_rebuild(root) == clean_build(root)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_a_twin_child_ends_with_the_build_that_started_it(tmp_path, monkeypatch):
    """A build killed (kill -9) while its child links: the child ends too, rather than
    link on into a spare the next build is making."""
    monkeypatch.setattr(sitegen.output, "_TWIN_CODE", STUCK_TWIN)
    out, spare = tmp_path / "public", tmp_path / ".public.sitegen-spare"
    out.mkdir()
    assert _gone_after_its_build_is_killed(lambda: sitegen.output._start_twin(out, spare), 20)
