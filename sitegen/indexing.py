"""The search index's part of a build: made beside it, by a resident indexer, or in-process.

A build that is an edit has the index made on the second core while it reads, checks and
renders the site (SearchIndex): by a child forked for the build (`sitegen build`), or by a
resident indexer (`sitegen serve`'s builder starts one, which keeps the last index it made
and splices an edit's articles into it). Otherwise, or when that fails, the build makes the
index itself. Every way writes the same files (sitegen/search.py does the indexing; this
module decides who does it, with what, and what the build records of the files).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import marshal
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from sitegen import __version__, output
from sitegen.cache import (
    CACHE_DIR,
    INDEX_FILES,
    BuildCache,
    SourceEntry,
    cache_file,
    index_changes,
    index_file,
    read_index_record,
    write_atomically,
    write_index_record,
)  # fmt: skip
from sitegen.config import Config
from sitegen.content import Article
from sitegen.forked import AnswerFirst, ChildFailed, Companion, Pending, beside
from sitegen.scan import Listing

# The body store and the layouts' context (sqlite3, nh3, the labels: 8 ms) are imported
# where they are used: every build imports this module, to fork its search child early,
# and a build with nothing to do uses neither.
if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from sitegen.bodies import BodyStore
    from sitegen.entry import BuildOptions
    from sitegen.search import Layout, SearchDoc
    from sitegen.workers import Workers


class SearchIndex:
    """The search index's part of a build.

    When the build is to work in this process alone (an edit: `alone`), the index is made
    in a forked child while this process reads and checks the site and renders the pages:
    an edit's re-indexing (0.2 s at 10 000 articles, 1.4 s at 100 000) then takes the
    second core. The child starts before the last build's record is loaded, and imports
    numpy and readies its tables meanwhile (0.06 s); `prepare` hands it the record of the
    index files once it is loaded, and `send` the articles as soon as they are read: the
    child indexes while this process assembles the site (0.65 s at 100 000 articles).
    (Started any later, it shares the record's memory with this process, and each page of
    it that this process then touches is copied: assembling 10 000 articles took twice as
    long.) It writes into a folder of its own under .sitegen-cache/ (the spare tree is not
    ready yet), whose files are moved into the spare when the result is asked for.
    Otherwise, or if the child fails, the index is made here then.

    A resident indexer (`serve`'s) that made the index the live site holds is sent only
    the articles an edit changed, when the site was patched (see resident_indexer).
    """

    def __init__(
        self, config: Config, sources: Listing | None, alone: bool,
        indexer: Companion | None = None, out: Path | None = None,
    ) -> None:  # fmt: skip
        """(`sources`: the listing of the content files; None for a child forked before
        the build has listed them, which is sent it with the articles: see listed. `out`:
        the output folder, beside which the child writes the files it makes.)"""
        self._config, self._sources = config, sources or {}
        self._early = sources is None
        self._ready: tuple | None = None  # see prepare
        self._articles: list[Article] | None = None  # see send
        self._mapper: Callable = map
        self._pending: Pending | _Resident | None = None
        self._answered: Pending | _Resident | None = None  # reaped on leaving (see result)
        self._folder: Path | None = None
        self._base: str | None = None  # the resident's index that the live site holds
        self._since_only = False  # sent an edit's articles alone (see send_since)
        self._sent: tuple[Path, bool] | None = None  # see prepare_from_file
        if config.search and alone:
            self._start(config.root / CACHE_DIR, indexer, out)

    def _start(self, cache: Path, indexer: Companion | None, out: Path | None) -> None:
        # Beside the output folder, as its spare is (see sitegen/output.py), the child's
        # files are moved into the spare, not copied from another file system (900 shards
        # of a new article at 100 000, from a cache on disk to an --out on tmpfs: 0.1 s).
        where, prefix = (cache, _SEARCH_TEMP) if out is None else _beside(out)
        for stale in where.glob(f"{prefix}*"):  # a killed build's (builds take a lock)
            shutil.rmtree(stale, ignore_errors=True)
        where.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=prefix, dir=where))
        if indexer is not None:
            self._pending = _Resident.start(indexer, self._config, folder)
        else:
            sources = None if self._early else self._sources
            hint = None if out is None else str(cache_file(self._config.root, out))
            self._pending = beside(_search_child, self._config, sources, folder, hint, fed=True)
        if self._pending is None:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            self._folder = folder

    def prepare(
        self, record: tuple[dict, Container[str]], where: tuple[Path, bool], base: str | None
    ) -> None:
        """The last build's outputs and those intact; the output folder and whether the
        spare starts empty; the token of the resident indexer's index if the live site
        holds it. (Sent to the child while the site is read and assembled; to a resident
        indexer that may be sent an edit's articles alone, once the site is read.)"""
        if not self._config.search:
            return
        if self._sent is not None:  # by an edit's build that went on as usual (see resume.py)
            if self._sent != where and self._pending is not None:
                self._pending.cancel()  # it works from another record: indexed here instead
                self._pending = None
            self._ready = (record, where)
            return
        self._ready = (record, where)
        if isinstance(self._pending, _Resident) and base is not None:
            self._base = base
        elif self._pending is not None:
            self._send_record()

    def prepare_from_file(self, cache: Path, token: str, where: tuple[Path, bool]) -> None:
        """As prepare, for a forked child (see takes_since), the record of the index's files
        being the one beside the build record `cache` under `token`, which the child reads
        itself, and writes again with the index it makes (see Indexed.saved): at 100 000
        articles, sending it took this process 0.1 s. (Whether the output folder holds the
        index's files as the last build left them: pipeline.UnderTop, by the top folder.)"""
        if not self._config.search:
            return
        assert self._pending is not None and not isinstance(self._pending, _Resident)
        out, fresh = where
        intact = (out / INDEX_FILES[0].partition("/")[0]).is_dir()
        self._sent, self._ready = where, (None, where)
        held = (_FROM_FILE, str(cache), token, intact)
        self._pending.send((held, None if fresh else str(out), None, False), True)

    def _send_record(self) -> None:
        assert self._pending is not None and self._ready is not None
        (outputs, intact), (out, fresh) = self._ready
        # A resident indexer is sent the listing too (a forked child has it already).
        sources = self._sources if isinstance(self._pending, _Resident) else None
        record = _search_record(outputs, intact)
        self._pending.send((record, None if fresh else str(out), sources, False), True)

    def send(
        self, articles: list[Article], workers: Workers, changed: tuple[Article, ...] | None,
        loaded: Mapping[str, SourceEntry] | None = None, edited: frozenset[str] | None = None,
    ) -> None:  # fmt: skip
        """The articles, once read (in the order of their paths), and the workers, which
        index the blocks if they were forked to read them after all (a child cannot use
        them; workers forked later, to render, leave the child at work). `changed`: the
        articles edited, when they are all that changed (see _patched). `loaded`: the
        sources' entries as the last build's record gave them, and `edited` the files added,
        touched or gone since, when known (see _rows_for_child)."""
        if not self._config.search:
            return
        self._articles, self._mapper = articles, workers.map
        self._since_only = False  # (every article is here now, whatever was sent before)
        if self._pending is not None and workers.forked:
            self._pending.cancel()
            self._pending = None
        elif self._pending is not None and self._base is not None and changed is not None:
            (_, _), (out, fresh) = self._ready
            sizes = {a.path: self._sources[a.path] for a in changed}
            self._pending.send(("edited", self._base, None if fresh else str(out), sizes), True)
            self._pending.send(_search_rows(changed))
        elif isinstance(self._pending, _Resident):
            if self._base is not None:
                self._send_record()  # held back for an edit's articles alone
            self._pending.send(_search_rows(articles))
        elif self._pending is not None:
            self._send_rows(self._rows_for_child(articles, loaded or {}, edited))

    def listed(self, sources: Listing) -> SearchIndex:
        """This index, now that the build has listed the content files."""
        self._sources = sources
        return self

    def _send_rows(self, rows: list | tuple, sizes: Listing | None = None) -> None:
        """Send the child the articles' rows, and, if it was forked before the build had
        listed the sources, their files' stats (`sizes`: those it needs, else all)."""
        assert self._pending is not None
        self._pending.send(rows, more=self._early)
        if self._early:
            self._pending.send(self._sources if sizes is None else sizes)

    def abandon(self) -> None:
        """Let the child go, having sent it an edit's articles alone that the build makes
        as usual after all: this process indexes every article (see result)."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        self._sent, self._ready, self._since_only = None, None, False

    def takes_since(self) -> bool:
        """Whether the index can be made of an edit's articles alone (see send_since): no
        index, or a forked child at work and an index's rows kept for it (if they are not
        the last build's, it fails, and the build indexes every article as usual)."""
        if not self._config.search:
            return True
        if self._pending is None or isinstance(self._pending, _Resident):
            return False
        return _newest_rows(self._config) is not None  # (else it cannot but fail)

    def send_since(self, fresh: list[Article], count: int) -> None:
        """The articles of an edit alone, which `count` articles are on the site with: the
        child has the others' rows (see takes_since, _rows_received). (For a build that
        reads no other article: if the child fails, result raises NotIndexed.)"""
        if not self._config.search:
            return
        assert self._pending is not None and self._ready is not None, "takes_since, prepare"
        self._since_only = True
        sizes = {a.path: self._sources[a.path] for a in fresh}
        self._send_rows((_SINCE, [], _search_rows(fresh), count), sizes)

    def _rows_for_child(
        self, articles: list[Article], loaded: Mapping[str, SourceEntry],
        edited: frozenset[str] | None,
    ) -> list[tuple] | tuple[str, list[str], list[tuple], int]:  # fmt: skip
        """What a forked child is sent of the articles: every one's row, or, when the rows
        of the index the last build recorded are kept (see _keep_index), the rows of those
        whose record is not the one loaded (an edit's), the paths of the recorded sources
        that are not articles now (the rest are the kept rows), and how many articles
        there are. Making and sending 10 000 rows took 0.03 s of an edit; the child could
        not begin before they came, nor read them faster than the pipe let them through."""
        assert self._ready is not None, "prepare comes first"
        meta = self._ready[0][0].get(META_FILE)
        if meta is None or _rows_file(self._config, meta[0]) is None:
            return _search_rows(articles)
        if edited is None:  # found by the entries: those not the loaded ones
            fresh = [a for a in articles if getattr(loaded.get(a.path), "article", None) is not a]
            gone = sorted(loaded.keys() - {a.path for a in articles})
        else:  # (the build found the files that changed already: see pipeline._edited_since)
            fresh = [a for a in articles if a.path in edited]
            now = {a.path for a in fresh}
            gone = sorted(path for path in edited if path in loaded and path not in now)
        return (_SINCE, gone, _search_rows(fresh), len(articles))

    def result(self, staging: output.Staging) -> Indexed:
        if not self._config.search:
            return Indexed([], {})
        assert self._ready is not None, "prepare, send, result"
        record, (_, fresh) = self._ready
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._answered = pending
            try:  # (its child's exit is not waited for here: see __exit__)
                answer = pending.result(reaped=False)
            except ChildFailed:
                pass  # indexed here instead
            else:
                if staging.fresh == fresh:  # else its files were not judged alike
                    for rel in answer[0]:
                        staging.take(rel, self._folder / rel)
                    return Indexed(*answer)
        if self._since_only:
            raise NotIndexed("the search index's child failed")
        assert self._articles is not None, "send"
        live = None if staging.fresh else staging.out
        rows = _search_rows(self._articles)  # let go of once the docs are made
        self._articles = None
        written, entries, _ = _write_search(
            self._config, _search_record(*record), rows, self._sources,
            (staging.folder, live), self._mapper,
        )  # fmt: skip
        return Indexed(written, entries)

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc) -> None:
        """Stop a child whose result was never asked for (the build failed), wait for one
        that answered, and remove its folder."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        if self._answered is not None:
            self._answered.reap()
            self._answered = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


def _beside(out: Path) -> tuple[Path, str]:
    """Where a child makes the index's files for this output folder, and their folder's
    name's beginning."""
    return out.parent, f".{out.name}.sitegen-{_SEARCH_TEMP}"


class NotIndexed(Exception):
    """The child that was sent an edit's articles alone failed (see send_since)."""


class Indexed(NamedTuple):
    """The index files a build wrote, and their record: every file's (`whole`), or only
    the changes to the last build's, None for a file gone; `token` names a resident
    indexer's index (see resident_indexer); `saved`, when the child wrote the record of
    the index's files itself (see prepare_from_file), its token and every index file."""

    written: list[str]
    entries: dict[str, tuple[str, str] | None]
    whole: bool = True
    token: str | None = None
    saved: tuple[str, list[str]] | None = None


_SEARCH_TEMP: Final = "search-child-"


def record_index(outputs: dict, index: Indexed, previous: dict, holding: bool) -> None:
    """Put the index files' record into `outputs`, which holds the last build's (`holding`:
    a patched site's) or none of it."""
    if index.whole == holding:
        search = [(o, e) for o, e in previous.items() if o.startswith(INDEX_FILES)]
        if holding:  # the whole new record replaces it
            for rel, _ in search:
                del outputs[rel]
        else:  # the changes are to it
            outputs.update(search)
    outputs.update(index.entries)
    for rel in [o for o, entry in index.entries.items() if entry is None]:
        del outputs[rel]


def warm_indexer(
    config: Config, opts: BuildOptions, record: tuple[BuildCache, Listing],
    articles: Iterable[Article],
) -> None:  # fmt: skip
    """Have the resident indexer index the site just built, while the builder waits for
    the next save, when this build's index was not its own (serve's first build, one of
    many changes): so that the next edit is spliced into an index it holds. (Otherwise the
    first edit after `serve` starts waited for every article to be indexed: 2.5 s at
    100 000.) Its answer is taken by the next build (warmed_index)."""
    memory, indexer = opts.memory, opts.indexer
    if memory is None or indexer is None or not config.search:
        return
    cache, sources = record
    folder = Path(tempfile.mkdtemp(prefix=_SEARCH_TEMP, dir=config.root / CACHE_DIR))
    resident = _Resident.start(indexer, config, folder)
    if resident is None:
        shutil.rmtree(folder, ignore_errors=True)
        return
    held = _search_record(cache.outputs, cache.outputs)  # every output as just written
    resident.send((held, cache.out, sources, True), True)  # (laid out even if unchanged)
    resident.send(_search_rows(articles))
    memory.warming = (resident, folder)


def warmed_index(opts: BuildOptions) -> str | None:
    """The token of the index the resident indexer made of the live site after the last
    build (see warm_indexer), once it is done: None if there is none, or if its files are
    not the live site's, byte for byte (then it wrote some)."""
    memory = opts.memory
    warming = memory.warming if memory is not None else None
    if warming is None:
        return None
    memory.warming, (resident, folder) = None, warming
    try:
        answer = resident.result()
    except ChildFailed:
        return None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    written, token = answer[0], answer[3]  # (an Indexed)
    return None if written else token


class _Resident:
    """One build's index by a resident indexer (see resident_indexer), in the part of
    Pending's ways that SearchIndex uses: the build's values are sent as they come, then
    the answer is taken, or thrown away (cancel), so that the next build's talk starts
    afresh. A failure (the indexer gone, or it raised) is ChildFailed, as a child's."""

    def __init__(self, indexer: Companion) -> None:
        self._indexer = indexer
        self._sent = 0  # of the two values a build sends: (record, live folder), articles
        self._answered = False

    @classmethod
    def start(cls, indexer: Companion, config: Config, folder: Path):
        try:
            indexer.send((config, str(folder)))
        except ChildFailed:
            return None  # indexed in the build's process
        return cls(indexer)

    def send(self, value: Any, more: bool = False) -> None:  # noqa: ARG002 (Pending's)
        self._sent += 1
        with contextlib.suppress(ChildFailed):  # result() says it failed
            self._indexer.send(value)

    def result(self, reaped: bool = True) -> Any:  # noqa: ARG002 (Pending's: no child ends)
        self._answered = True
        answer = self._indexer.receive()
        if answer is None:
            raise ChildFailed("the indexer failed")
        return answer

    def reap(self) -> None:
        """(Pending's: the indexer lives on.)"""

    def cancel(self) -> None:
        """Give up this build's index: None in place of the next value it waits for (it
        then stops and reads no more), and its answer taken."""
        if self._answered:
            return
        with contextlib.suppress(ChildFailed):
            if self._sent < 2:
                self._indexer.send(None)
                self._sent = 2
            self.result()


def resident_indexer(connection: Connection) -> None:
    """A long-lived process that makes edits' search indexes for a long-lived builder
    (`sitegen serve`'s), as _search_child does for one build: started before the builder
    holds a site, it shares none of its memory (a child forked from a builder holding
    100 000 articles' records made the builder copy each page of them it touched, which
    cost more than indexing on the second core saved). Each build sends (settings,
    folder), then what _search_child receives with the sources' listing (and whether to
    lay the docs out even if the index is unchanged: see warm_indexer), or ("edited",
    token, live folder, the edited files' stats) and the rows of the articles an edit
    changed (see _index_edited); None instead of one of those means the build gave up. Its
    answer: an Indexed, or None if it failed or was given up (the build then indexes by
    itself).

    It keeps what it made last (_LastIndex), so that an edit lays out again only the edited
    articles' blocks: making the docs of 100 000 articles, sorting them and cutting them
    into blocks again took 0.4 s of each save, and the builder's sending every row and the
    record of every index file another 0.35 s.
    """

    def receive() -> Any:
        value = connection.recv()
        if value is None:
            raise _GivenUp
        return value

    last: _LastIndex | None = None
    while True:
        try:
            config, folder = connection.recv()
        except EOFError:
            return
        answer, later = None, None
        try:
            answer, later = _resident_index(config, Path(folder), receive, last)
        except Exception:  # noqa: BLE001 (given up, or failed: the build indexes instead)
            if last is not None:  # the build indexes by itself: what it held is stale
                last.bodies.close()
            last = None
        connection.send(answer)
        if later is not None:  # made after answering: the builder need not wait for it
            kept = later()
            if last is not None and last.bodies is not kept.bodies:
                last.bodies.close()
            last = kept


def _resident_index(
    config: Config, folder: Path, receive: Callable, last: _LastIndex | None
) -> tuple[Indexed, Callable[[], _LastIndex] | None]:
    """The index of one build, and what makes the record of it to keep."""
    from sitegen import postings

    postings.get_ready()
    first = receive()
    if first[0] == "edited":
        _, base, live, sizes = first
        rows = receive()
        if last is None or last.token != base or last.settings != repr(config):
            raise _Stale
        return _index_edited(config, last, rows, sizes, (folder, live and Path(live)))
    held, live, sources, whole = first
    rows = receive()
    bodies = last.bodies if last is not None and last.settings == repr(config) else None
    if bodies is None:
        from sitegen.bodies import body_store
        from sitegen.context import make_context

        bodies = body_store(config, make_context(config).labels["body"])
    written, entries, laid = _write_search(
        config, held, rows, sources, (folder, live and Path(live)), map, bodies, whole,
        keep=False,
    )  # fmt: skip
    token = os.urandom(8).hex()
    if laid is None:
        return Indexed(written, entries, True, None), None
    layout, combined = laid

    def kept() -> _LastIndex:
        by_path = {row[0]: row for row in rows}
        kept_as = _keep_index(config, _search_key(config, combined), combined, layout, by_path)
        ids = {doc.text.path: at for at, doc in enumerate(layout.order)}  # (_BodyText)
        return _LastIndex(token, repr(config), layout, combined, by_path, ids, entries, bodies,
                          kept_as)  # fmt: skip

    return Indexed(written, entries, True, token), kept


@dataclass(frozen=True, slots=True)
class _LastIndex:
    """What a resident indexer keeps of the index it made last."""

    token: str
    settings: str  # repr of the settings it was made with
    layout: Layout
    combined: int  # see _search_key
    rows: Mapping[str, tuple]  # _search_rows' rows, by path (a child's: see _KeptRows)
    ids: Mapping[str, int]  # doc ids by the path of the article's file
    entries: dict[str, tuple[str, str]]  # the record of the index files
    bodies: BodyStore  # kept open: the layout's docs read their texts from it
    kept: _Kept | None = None  # how its file keeps it, if it was kept (see _keep_index)


def _index_edited(
    config: Config, last: _LastIndex, rows: list[tuple], sources: Listing,
    where: tuple[Path, Path | None],
) -> tuple[Indexed, Callable[[], _LastIndex]]:  # fmt: skip
    """The index after an edit of the articles of `rows`, which keep their places (the same
    URL, date and category): their blocks indexed again and spliced into the live index,
    which holds the last one (`last`). Answers the changes to the record only. The index
    is kept for the next build's child (see _keep_index) by the function this returns,
    called once the answer is given (a build's child: see forked.AnswerFirst; written on
    a thread beside the splice, it took the child's one core as long again)."""
    from sitegen.context import make_context
    from sitegen.search import FORMAT, Place, relaid, write_layout

    context = make_context(config)
    ids, combined, changed, added = last.ids, last.combined, {}, []
    tag = last.bodies.path.stem
    for row, url in zip(rows, context.urls(row[2] for row in rows), strict=True):
        before, at = last.rows.get(row[0]), ids.get(row[0])
        doc = _search_doc(row, url, context.category_name(row[5]), (last.bodies, tag),
                          sources[row[0]][1])  # fmt: skip
        if before is None and at is None:  # a new article (relaid appends it, or refuses)
            combined += _row_hash(row)
            added.append(doc)
            continue
        if before is None or at is None or _row_place(before) != _row_place(row):
            raise _Stale
        combined += _row_hash(row) - _row_hash(before)
        changed[at] = doc
    layout = relaid(last.layout, changed, added)
    if layout is None:
        raise _Stale
    new_ids = {layout.order[at].text.path: at for at in range(len(last.layout.order),
                                                                len(layout.order))}  # fmt: skip
    changed.update((at, layout.order[at]) for at in new_ids.values())
    key, edited_rows = _search_key(config, combined), {row[0]: row for row in rows}

    place = Place(*where, _Shas(last.entries))
    blocks = config.root / CACHE_DIR / f"search-{FORMAT}"
    edited: dict[int, list[int]] = {}
    for at in changed:
        edited.setdefault(at // layout.size, []).append(at)
    index = write_layout(layout, place, map, blocks, edited)
    # The same dimensions, so the same files: those listed are all that can have changed.
    listed = _index_entries(index, key)
    delta = {rel: entry for rel, entry in listed.items() if last.entries.get(rel) != entry}
    token = os.urandom(8).hex()

    def kept() -> _LastIndex:
        rows_after = last.rows | edited_rows  # (a dict's: a copy of 100 000 rows)
        now = {at: (edited_rows[doc.text.path], doc.size) for at, doc in changed.items()}
        since = last.kept and _Kept(last.kept.base, {**last.kept.changes, **now})
        kept_as = _keep_index(config, key, combined, layout, rows_after, since)
        entries = {**last.entries, **delta}
        return _LastIndex(token, last.settings, layout, combined, rows_after,
                          {**ids, **new_ids}, entries, last.bodies, kept_as)  # fmt: skip

    return Indexed([f.rel for f in index if f.written], dict(delta), False, token), kept


def _row_place(row: tuple) -> tuple:
    """What gives an article's doc its id (see _search_rows): URL, date and category."""
    return row[2], row[4], row[5]


class _Shas(NamedTuple):
    """The sha256 of each index file, as a record of them says (what Place looks up)."""

    entries: dict[str, tuple[str, str]]

    def get(self, rel: str) -> str | None:
        entry = self.entries.get(rel)
        return None if entry is None else entry[1]


class _Stale(Exception):
    """A resident indexer was sent an edit of an index it does not hold (it was restarted,
    say), or one that moves an article: the build indexes by itself."""


class _GivenUp(Exception):
    """The build that was to send the rest of an index's input gave it up."""


def _search_rows(articles: list[Article]) -> list[tuple[str, str, str, str, str, str]]:
    """What the index needs of each article, as plain values a child can be sent: path,
    digest, URL (the site path), title, date and category. (One string per day and per
    category, shared by the rows: pickled once each, and 12 MB less at 100 000 articles.)"""
    days: dict[dt.date, str] = {}
    names: dict[str, str] = {}
    rows = []
    for a in articles:
        day = a.date.date()
        date = days.get(day) or days.setdefault(day, day.isoformat())
        category = names.setdefault(a.category, a.category)
        rows.append((a.path, a.digest, a.url, a.title, date, category))
    return rows


def _search_record(previous: dict, intact: Container[str]) -> tuple[dict, dict]:
    """The last build's record of the index files (output -> (key, sha256)), and the
    sha256 of those the output folder holds as it left them."""
    record = {o: e for o, e in previous.items() if o.startswith(INDEX_FILES)}
    return record, {o: e[1] for o, e in record.items() if o in intact}


def _search_child(
    config: Config, sources: Listing | None, folder: Path, hint: str | None, receive: Callable
) -> tuple[list[str], dict[str, tuple[str, str]], bool, None, tuple[str, list[str]] | None]:
    """The index, in the child SearchIndex starts: numpy and its tables made ready, then
    the index once `receive` gives what it is made from. (`hint`: the build record's file,
    beside which the record of the index's files most likely is: see _guessed_record.)"""
    from sitegen.bodies import body_store
    from sitegen.context import make_context

    context = make_context(config)
    with body_store(config, context.labels["body"]) as bodies:
        made_with = (context, bodies)
        # Made while the build lists the sources and loads its record (see _lowered). The
        # pool is let go at once: a child that fails does not wait for its thread.
        from concurrent.futures import ThreadPoolExecutor  # (the build needs none: 11 ms)

        pool = ThreadPoolExecutor(1, initializer=_lowered)
        ready = pool.submit(_get_ready, config, made_with, hint)
        pool.shutdown(wait=False)
        held, live, _, _ = receive()
        earlier, guessed = ready.result()
        # The record's file, to write again, and the token of the one read.
        kept = (held[1], held[2]) if held[0] == _FROM_FILE else None
        held = _held_record(held, guessed)
        meta = held[0].get(META_FILE)
        if meta is None:
            earlier = None
        elif earlier is None or earlier.key != meta[0]:
            earlier = _earlier(_rows_file(config, meta[0]), made_with)
        sent = receive()
        if sources is None:  # forked before the build listed them (see SearchIndex.listed)
            sources = receive()
        _check_count(sent, earlier)
        where = (folder, live and Path(live))
        spliced = _spliced(config, earlier, sent, held, where, sources)
        if spliced is not None:
            index, keep = spliced
            saved = _record_saved(kept, held[0], index.entries, False)
            # The index kept for the next build (20 MB at 100 000 articles) after answering:
            # written beside the splice, it took the child's one core as long again.
            return AnswerFirst((index.written, index.entries, False, None, saved), keep)
        rows = _rows_received(sent, earlier)
        written, entries, _ = _write_search(config, held, rows, sources, where, map, bodies,
                                            made=earlier)  # fmt: skip
    return written, entries, True, None, _record_saved(kept, held[0], entries, True)


def _get_ready(
    config: Config, made_with: tuple[Any, BodyStore], hint: str | None
) -> tuple[_Earlier | None, _Guessed | None]:
    """What a build's child makes while the build lists the sources and loads its record:
    the docs of the index kept last, most often the one that record names (else that one
    is read once the record comes); numpy and its tables; the record of the index's files
    the build's record most likely names."""
    earlier = _earlier(_newest_rows(config), made_with)
    from sitegen import postings  # imports numpy, a third of an edit's indexing at 10 000

    postings.get_ready()
    # The edited articles' bodies are not stored yet (the build stores them as it ends):
    # their texts are made here again. A plain body's without Python-Markdown, which is
    # imported (0.025 s) only for a body that needs it: at 100 000 articles this child
    # is still getting ready when the build sends the change.
    import sitegen.plainmd  # noqa: F401

    return earlier, _guessed_record(hint)


def _lowered() -> None:
    """Give this thread (in a build's search child, the one getting it ready) the lowest
    priority, on Linux (where each thread has its own), when the machine has no other
    work: it then takes only what the build's processes leave.
    A build with nothing to do lists the sources on both cores while its search child
    gets ready, then lets the child go: at 100 000 articles, the child's 0.3 s took a share
    of the listing's cores (0.17 s more of a 0.53 s build); an edit's child was ready in
    time all the same, on the core the listing's second process leaves first. On a busy
    machine the thread would wait for everyone else's work, and the build for it: there
    it keeps its priority. (Busy: more tasks running than the build's own, the listing's
    two processes and this child's three threads, and a core: a guess, at one moment.)"""
    if sys.platform != "linux":
        return
    with contextlib.suppress(OSError, AttributeError):
        if _running() <= len(os.sched_getaffinity(0)) + 3:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


def _running() -> int:
    """How many tasks the machine runs now, by /proc/loadavg (a large number if it cannot
    tell)."""
    try:
        return int(Path("/proc/loadavg").read_text().split()[3].partition("/")[0])
    except (OSError, ValueError, IndexError):
        return 1 << 16


def _held_record(held: tuple, guessed: _Guessed | None = None) -> tuple[dict, dict]:
    """The record of the index's files and the digests of those intact, as prepare sends
    them, or read from the file prepare_from_file names (if it is not the one named, this
    raises: the child fails, and the build indexes by itself), unless that is the one
    guessed."""
    if held[0] != _FROM_FILE:
        return held
    _, cache, token, intact = held
    if guessed is not None and guessed.token == token and guessed.cache == cache:
        return guessed.record, (guessed.shas if intact else {})
    record = read_index_record(Path(cache), token)
    return record, ({o: e[1] for o, e in record.items()} if intact else {})


class _Guessed(NamedTuple):
    """A record of the index's files read ahead (see _guessed_record): of which build
    record, its token, the record, and its files' digests."""

    cache: str
    token: str
    record: dict[str, tuple[str, str]]
    shas: dict[str, str]


def _guessed_record(cache: str | None) -> _Guessed | None:
    """The record of the index's files that the build record `cache` most likely names,
    read while the child waits for the build to read that record and say which: the only
    one beside it (save_head removes the others). At 100 000 articles, reading it once
    told took the child 0.05 s, after which it could splice a new article's words."""
    if cache is None:
        return None
    found = {path.name.rsplit("-", 1)[-1].removesuffix(".bin")
             for path in Path(cache).parent.glob(index_file(Path(cache), "*").name)}  # fmt: skip
    found -= {token.partition("+")[2] for token in found}  # (one read with a record of changes)
    if len(found) != 1:
        return None
    (token,) = found
    try:
        record = read_index_record(Path(cache), token)
    except (ValueError, EOFError, TypeError):
        return None
    return _Guessed(cache, token, record, {o: e[1] for o, e in record.items()})


def _record_saved(
    kept: tuple[str, str] | None, record: dict, entries: dict[str, tuple[str, str] | None],
    whole: bool,
) -> tuple[str, list[str]] | None:  # fmt: skip
    """When the record of the index's files came from its file (see prepare_from_file),
    that file written again with the index just made: its token and the index's files.
    After a splice, as its changes to the last whole record (see write_index_record), while
    they are few and that one is there."""
    if kept is None:
        return None
    cache = Path(kept[0])
    if not whole:
        base, before = index_changes(cache, kept[1])
        changes = {**before, **entries}
        if len(changes) <= _CHANGES_RECORDED and index_file(cache, base).is_file():
            names = [name for name in record if entries.get(name, True) is not None]
            names += [n for n, entry in entries.items() if entry is not None and n not in record]
            return write_index_record(cache, {}, (base, changes)), names
    now = {} if whole else dict(record)
    for name, entry in entries.items():
        if entry is None:
            now.pop(name, None)
        else:
            now[name] = entry
    return write_index_record(cache, now), list(now)


def _spliced(
    config: Config, earlier: _Earlier | None, sent: list | tuple, held: tuple[dict, dict],
    where: tuple[Path, Path | None], sources: Listing,
) -> tuple[Indexed, Callable[[], object]] | None:  # fmt: skip
    """An edit's index made as serve's indexer makes it (see _index_edited), from the kept
    index: its layout, with the edited articles' docs in place; only their blocks are
    indexed and spliced into the live index, and only their files checked (laying out and
    checking every block again took 0.03 s of an edit at 10 000 articles). None when it
    cannot be: an article gone, the live site's index is not the recorded one, whole;
    an article moved (a new date, say), or the index's dimensions change."""
    record, shas = held
    if earlier is None or type(sent) is list or where[1] is None:
        return None
    _, gone, fresh, _ = sent
    if gone or not fresh:
        return None
    if META_FILE not in record or not all(rel in shas for rel in record):
        return None
    last = _LastIndex("", repr(config), earlier.layout, earlier.combined, earlier.rows,
                      earlier.rows.ids, record, earlier.bodies, earlier.kept)  # fmt: skip
    try:
        return _index_edited(config, last, fresh, sources, where)  # (kept when called)
    except _Stale:
        return None


class _Earlier(NamedTuple):
    """An index made before, as kept (see _keep_index): its rows by path, and their docs
    laid out as then, each made when read (search.Docs). A doc's weight is its file's size
    as it was then: relaid weighs an edit by the difference."""

    key: str
    combined: int  # see _search_key
    rows: _KeptRows  # (with each doc's place in the layout, by path)
    layout: Layout
    bodies: BodyStore  # the docs' texts are read from it
    kept: _Kept  # how its file keeps it

    def docs(self) -> dict[tuple, SearchDoc]:
        """The docs by row, every one made: only a build that cannot splice asks."""
        return dict(zip(self.rows.in_order(), self.layout.order, strict=True))


def _earlier(path: Path | None, made_with: tuple[Any, BodyStore]) -> _Earlier | None:
    """What a child makes of the index kept in this file (None if there is none)."""
    from sitegen.search import Docs, laid_as

    if path is None:
        return None
    try:
        combined, rows, sizes, dimensions, digests, meta, kept = _read_kept(path)
    except (OSError, EOFError, ValueError, TypeError, IndexError, KeyError):
        return None
    context, bodies = made_with
    store = (bodies, bodies.path.stem)

    def made(at: int) -> SearchDoc:
        return _docs_of([rows.at(at)], context, store, (sizes[at],))[0]

    layout = laid_as(Docs(len(sizes), made), dimensions, digests, meta)
    return _Earlier("search:" + _kept_key(path), combined, rows, layout, bodies, kept)


def _check_count(sent: list | tuple, earlier: _Earlier | None) -> None:
    """Raise unless the kept rows, with the changes sent, add up to the build's count of
    articles (see _rows_received): counted, not made (the 100 000 rows' list took 0.01 s
    of an edit that splices)."""
    if type(sent) is list:
        return
    _, gone, fresh, count = sent
    if earlier is None:
        raise _Stale
    kept = earlier.rows  # (its rows but those sent again or gone, and those sent)
    touched = {row[0] for row in fresh}.union(gone)
    if len(kept) - sum(path in kept for path in touched) + len(fresh) != count:
        raise _Stale


def _rows_received(sent: list | tuple, earlier: _Earlier | None) -> list[tuple]:
    """The rows of this build's articles from what SearchIndex sent (see _rows_for_child).
    When the kept rows went meanwhile, or do not add up, this raises: the child fails, and
    the build indexes by itself. (The order of the rows does not matter: lay_out sorts.)
    The caller has checked them with _check_count."""
    if type(sent) is list:
        return sent
    _, gone, fresh, _ = sent
    assert earlier is not None, "checked"
    new = {row[0]: row for row in fresh}
    rows = [row for path, row in earlier.rows.items() if path not in new]
    if gone:
        left = set(gone)
        rows = [row for row in rows if row[0] not in left]
    return rows + list(fresh)


def _newest_rows(config: Config) -> Path | None:
    folder = config.root / CACHE_DIR
    found = folder.glob(_kept_file(folder, "*").name)
    return max(found, key=_modified, default=None)


def _rows_file(config: Config, key: str) -> Path | None:
    """Where the index with this key is kept (see _keep_index), in full or as changes to
    another: None if it is not. The version is in the name, so that a build after an
    upgrade sends every row rather than count on the file."""
    folder = config.root / CACHE_DIR
    found = folder.glob(_kept_file(folder, f"{key.split(':')[-1]}*").name)
    return next(iter(sorted(found)), None)


@dataclass(frozen=True, slots=True)
class _Kept:
    """How a kept index's file keeps it: the key of the file that holds every row, and
    the docs changed or added since that one, by id: (row, size)."""

    base: str
    changes: dict[int, tuple[tuple, int]]


def _keep_index(
    config: Config, key: str, combined: int, layout: Layout, rows: Mapping[str, tuple],
    since: _Kept | None = None,
) -> _Kept | None:  # fmt: skip
    """Keep what the index with this key was made of, for the next build's child (see
    _earlier): its rows in the order of its docs, and what laid_as makes its layout again
    from; and the indexes kept before it, but for the newest few (other output folders'
    builds share the folder) and the files those are changes to. `since`: the index this
    one was spliced from, as kept, with the docs changed since: when that file is there
    and they are few, only they are written, and the other rows are read from it (the
    100 000 rows took an edit's child 0.1 s to write, and the build waited for it).
    How this index is kept; None if it could not be."""
    from sitegen.search import recorded

    folder, name = config.root / CACHE_DIR, key.split(":")[-1]
    few = since is not None and len(since.changes) <= _CHANGES_KEPT
    if few and _kept_file(folder, since.base).is_file():
        path = _kept_file(folder, f"{name}+{since.base}")
        data = (_kept_tag() + " changes", since.base, combined, since.changes,
                *recorded(layout))  # fmt: skip
        kept = since
    else:
        path = _kept_file(folder, name)
        in_order = [rows[doc.text.path] for doc in layout.order]  # (_BodyText: _search_doc)
        paths, packed = [row[0] for row in in_order], [marshal.dumps(row[1:]) for row in in_order]
        sizes = [doc.size for doc in layout.order]
        data = (_kept_tag(), combined, paths, packed, sizes, *recorded(layout))
        kept = _Kept(name, {})
    try:
        write_atomically(path, marshal.dumps(data))
        _prune_kept(folder)
    except OSError:
        return None  # the next build's child is sent every row
    return kept


def _prune_kept(folder: Path) -> None:
    """Remove the kept indexes but the newest _ROWS_KEPT, and the files they are changes
    to (named after the "+" in theirs)."""
    kept = sorted(folder.glob(f"{_ROWS}*.marshal"), key=_modified, reverse=True)
    bases = {_base_name(path) for path in kept[:_ROWS_KEPT]}
    for stale in kept[_ROWS_KEPT:]:
        if stale.name not in bases:
            stale.unlink(missing_ok=True)


def _kept_file(folder: Path, name: str) -> Path:
    """The file of the kept index `name` (its key, and "+" the whole one's if it is
    changes to that one: see _keep_index)."""
    return folder / f"{_ROWS}{__version__}-{name}.marshal"


def _base_name(path: Path) -> str | None:
    """The name of the file that a kept index's file is changes to (None: it is whole)."""
    stem, plus, base = path.stem.partition("+")
    return f"{stem.rsplit('-', 1)[0]}-{base}.marshal" if plus else None


def _kept_key(path: Path) -> str:
    """The key of the index a kept index's file keeps (as _search_key's, without "search:")."""
    return path.stem.partition("+")[0].rsplit("-", 1)[-1]


def _read_kept(path: Path) -> tuple:
    """What _keep_index wrote in this file: (combined, rows, sizes, dimensions, digests,
    meta, how it is kept), the sizes in the order of the docs; raises if it is not a kept
    index of this version, or the file it is changes to is not there."""
    value = marshal.loads(path.read_bytes())
    tag = _kept_tag()
    if _is_whole(value, tag):
        _, combined, paths, packed, sizes, *laid = value
        return (combined, _KeptRows(paths, packed), sizes, *laid, _Kept(_kept_key(path), {}))
    if type(value) is not tuple or len(value) != 7 or value[0] != tag + " changes":
        raise ValueError("not a kept index")
    _, base, combined, changes, *laid = value
    if base != path.stem.partition("+")[2]:
        raise ValueError("changes to another kept index than the one its name says")
    whole = marshal.loads(_kept_file(path.parent, base).read_bytes())
    if not _is_whole(whole, tag) or type(changes) is not dict:
        raise ValueError("not the kept index it is changes to")
    _, _, paths, packed, sizes, *_ = whole
    for at in sorted(changes):  # (ids in order: the added docs come after every other)
        row, size = changes[at]
        if at == len(paths):
            paths.append(row[0])
            packed.append(marshal.dumps(row[1:]))
            sizes.append(size)
        else:  # (IndexError if it is beyond the end)
            paths[at], packed[at], sizes[at] = row[0], marshal.dumps(row[1:]), size
    return (combined, _KeptRows(paths, packed), sizes, *laid, _Kept(base, changes))


def _is_whole(value: object, tag: str) -> bool:
    """Whether a kept index's file holds every row (see _keep_index)."""
    if type(value) is not tuple or len(value) != 8 or value[0] != tag:
        return False
    paths, packed, sizes = value[2:5]
    return type(paths) is list and len(paths) == len(packed) == len(sizes)


class _KeptRows(Mapping[str, tuple]):
    """A kept index's rows by path, each unpacked when read: of 100 000, an edit's child
    reads a few (unpacking them all took it 0.08 s). Those given since (`newer`) are read
    from them. `ids`: each kept row's doc id (its place in the layout), by path."""

    def __init__(
        self, paths: list[str], packed: list[bytes], ids: dict[str, int] | None = None,
        newer: Mapping[str, tuple] | None = None,
    ) -> None:  # fmt: skip
        self._paths, self._packed = paths, packed
        self.ids = dict(zip(paths, range(len(paths)), strict=True)) if ids is None else ids
        self._newer = newer or {}

    def at(self, at: int) -> tuple:
        """The row of the doc with this id."""
        path = self._paths[at]
        newer = self._newer.get(path)
        return newer if newer is not None else (path, *marshal.loads(self._packed[at]))

    def in_order(self) -> list[tuple]:
        """Every kept row, in the order of their ids."""
        return [self.at(at) for at in range(len(self._paths))]

    def __getitem__(self, path: str) -> tuple:
        newer = self._newer.get(path)
        return newer if newer is not None else self.at(self.ids[path])

    def __contains__(self, path: object) -> bool:
        return path in self._newer or path in self.ids

    def __iter__(self) -> Iterator[str]:
        yield from self.ids
        yield from (path for path in self._newer if path not in self.ids)

    def __len__(self) -> int:
        return len(self.ids) + sum(path not in self.ids for path in self._newer)

    def __or__(self, newer: Mapping[str, tuple]) -> _KeptRows:
        """These rows with `newer` read instead (as dict's |, without a copy of them all)."""
        return _KeptRows(self._paths, self._packed, self.ids, {**self._newer, **newer})


def _kept_tag() -> str:
    from sitegen.search import FORMAT

    return f"sitegen-index {__version__} {FORMAT} {_KEPT_LAYOUT}"


def _modified(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def _write_search(
    config: Config, held: tuple[dict, dict], rows: list[tuple], sources: Listing,
    where: tuple[Path, Path | None], mapper: Callable, bodies: BodyStore | None = None,
    whole: bool = False, made: _Earlier | None = None, keep: bool = True,
) -> tuple[list[str], dict[str, tuple[str, str]], tuple[Layout, int] | None]:  # fmt: skip
    """The search index, made again only when an article, or the site's settings, changed:
    the index files written into the folder `where` names, the output record of every
    index file, and the layout of its docs with the sum its key is made of (None when
    nothing changed).

    Index files whose bytes the live site (`where`'s second) already holds are not
    written (most doc chunks and some shards after an edit); without one (a fresh build)
    every one is written. `held`: what _search_record says; `rows`: what _search_rows
    says. `mapper` spreads the indexing of blocks of documents (over worker processes, say).
    `bodies`: a store to read the texts from, left open (one is opened and closed if none).
    `whole`: lay the docs out even when nothing changed (for a resident indexer to keep).
    `made`: the docs of rows made beforehand (see _earlier). `keep`: keep the index for
    the next build's child here (a resident indexer keeps it after answering).
    """
    from sitegen.bodies import body_store
    from sitegen.context import make_context
    from sitegen.search import FORMAT, Place, lay_out, write_layout

    record, shas = held
    combined = sum(map(_row_hash, rows)) % _KEY_MODULUS
    key = _search_key(config, combined)
    meta = record.get(META_FILE)
    if not whole and meta is not None and meta[0] == key and all(o in shas for o in record):
        return [], record, None
    by_path = {row[0]: row for row in rows} if keep else None
    context = make_context(config)
    place = Place(*where, shas)
    blocks = config.root / CACHE_DIR / f"search-{FORMAT}"
    if not blocks.is_dir():  # a new index format's first index (or the site's)
        _remove_other_formats(blocks)
    with contextlib.ExitStack() as stack:
        if bodies is None:
            bodies = stack.enter_context(body_store(config, context.labels["body"]))
        store = (bodies, bodies.path.stem)  # texts follow from the source and the settings
        if made is None:
            docs = _docs_of(rows, context, store, _sizes(rows, sources))
        else:
            made_docs = made.docs()
            new = [row for row in rows if row not in made_docs]
            made_now = _docs_of(new, context, store, _sizes(new, sources))
            docs_new = dict(zip(new, made_now, strict=True))
            docs = [made_docs.get(row) or docs_new[row] for row in rows]
        del rows  # the docs hold what they need of them (the caller gave them up)
        layout = lay_out(docs)
        del docs
        if by_path is not None:
            _keep_index(config, key, combined, layout, by_path)
            del by_path
        index = write_layout(layout, place, mapper, blocks)
    return [file.rel for file in index if file.written], _index_entries(index, key), (
        layout, combined)  # fmt: skip


def _remove_other_formats(blocks: Path) -> None:
    """The cached blocks of other index formats (search-3/ beside search-4/, say): after an
    upgrade they are never read again (220 MB at 100 000 articles). Another sitegen
    version building the same site makes its own again."""
    for other in blocks.parent.glob("search-[0-9]*"):
        if other != blocks and other.name.removeprefix("search-").isdigit():
            shutil.rmtree(other, ignore_errors=True)


def _docs_of(
    rows: list[tuple], context: Any, store: tuple[BodyStore, str], sizes: Iterable[int]
) -> list[SearchDoc]:
    """The docs of these rows (`sizes`: their files' sizes, in the same order), as
    _search_doc makes each: made here in one loop (10 000 took 0.021 s one call each,
    0.013 s so), for an index made whole; a child's splice makes those it reads one by one
    (see _earlier)."""
    from sitegen.search import SearchDoc

    names = {slug: context.category_name(slug) for slug in {row[5] for row in rows}}
    urls = context.urls(row[2] for row in rows)
    bodies, tag = store
    return [
        SearchDoc(url, title, date, category, names[category], _BodyText(bodies, path, digest),
                  f"{tag}:{digest}", size)
        for url, (path, digest, _, title, date, category), size in zip(urls, rows, sizes,
                                                                        strict=True)
    ]  # fmt: skip


def _sizes(rows: list[tuple], sources: Listing) -> list[int]:
    return [sources[row[0]][1] for row in rows]


def _search_doc(
    row: tuple, url: str, category_name: str, store: tuple[BodyStore, str], size: int
) -> SearchDoc:
    """A row's doc (`size`: its file's, as listed)."""
    from sitegen.search import SearchDoc

    path, digest, _, title, date, category = row
    bodies, tag = store
    return SearchDoc(url, title, date, category, category_name, _BodyText(bodies, path, digest),
                     f"{tag}:{digest}", size)  # fmt: skip


def _index_entries(index: list, key: str) -> dict[str, tuple[str, str]]:
    """The output record of the index files. Only meta.json's holds the key of the whole
    index: the others' stay as they were while their bytes do, so an edit's record of them
    changes only where it wrote."""
    return {f.rel: (key if f.rel == META_FILE else _FILE_KEY, f.sha) for f in index}


def _row_hash(row: tuple) -> int:
    return int.from_bytes(hashlib.sha256(f"{row[0]}:{row[1]}".encode()).digest()[:16], "big")


def _search_key(config: Config, combined: int) -> str:
    """What the whole index follows from: the settings, and each article's path and digest,
    as the sum of their hashes (`combined`), which an edit's index adjusts by the articles
    it changed instead of going over all of them again."""
    text = f"{config!r}\0{combined % _KEY_MODULUS:032x}"
    return "search:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


META_FILE: Final = "search/meta.json"


_FILE_KEY: Final = "search"


_SINCE: Final = "since"  # see SearchIndex._rows_for_child
_FROM_FILE: Final = "from file"  # see SearchIndex.prepare_from_file
_ROWS: Final = "search-rows-"  # the kept indexes' files (see _keep_index)
_ROWS_KEPT: Final = 3
# How a kept index's file holds its rows: 2, their paths and each row marshalled on its own.
_KEPT_LAYOUT: Final = 2
# Entries of the index's files changed since the last whole record of them, up to which an
# edit's child writes those changes only (see write_index_record): a new article changes
# about 800 at 100 000 articles.
_CHANGES_RECORDED: Final = 20_000
# Docs changed or added since a kept index's file that holds every row, up to which a new
# one is kept as those changes only (see _keep_index): 2 MB of them.
_CHANGES_KEPT: Final = 5_000


_KEY_MODULUS: Final = 1 << 128


class _BodyOf(NamedTuple):
    """An article as the body store reads it (by digest; rendered from its file if need be)."""

    path: str
    digest: str


class _BodyText(NamedTuple):
    """An article's plain text, read from the body store when called (a search doc's text:
    a tuple, 8 MB less than a partial at 100 000 articles)."""

    bodies: BodyStore
    path: str
    digest: str

    def __call__(self) -> str:
        return self.bodies.get(_BodyOf(self.path, self.digest)).text  # type: ignore[arg-type]
