"""The build cache: the only state kept between builds (.sitegen-cache/cache-*.bin).

It records, per content file, its stat signature, digest and parsed record, and per output
file the key of what it was made from and the digest of its bytes. Any doubt (another
version, other settings, another output folder, a damaged file) means starting empty, which
costs time but never gives a wrong site.

The outputs themselves are not statted on every build (210 000 files at 100 000 articles
cost a no-change rebuild 0.6 s): the record is trusted while the output folder's manifest
is the one the last build wrote and its top-level names are the ones it left. `sitegen
build --verify` checks every output's bytes against the record (see pipeline._intact).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import marshal
import os
import re
import sys
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, NamedTuple

from sitegen.content import Article
from sitegen.frozen import FrozenMap, pickled_by_fields
from sitegen.pagerecord import PageRecord
from sitegen.problems import Problem
from sitegen.scan import Listing

CACHE_DIR: Final = ".sitegen-cache"
SCHEMA: Final = 10
# The search index's files, whose record is kept in a file of its own (see save_head).
INDEX_FILES: Final = ("search/s/", "search/d/", "search/meta.json")  # search/index.html is a page
PARTS: Final = 64  # files the source entries are spread over (by name)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class SourceEntry:
    stat: tuple[int, int]  # (mtime_ns, size): unchanged means the digest need not be computed
    digest: str
    article: Article | None
    problems: tuple[Problem, ...]


@dataclass(slots=True)
class BuildCache:
    fingerprint: str
    out: str
    sources: dict[str, SourceEntry] = field(default_factory=dict)
    outputs: dict[str, tuple[str, str]] = field(default_factory=dict)  # file -> (key, sha256)
    # The entries as loaded: saving rewrites only the parts where one is no longer the same.
    # (Their plain forms are not kept: 50 MB at 100 000 articles, for an edit that converts
    # the 1 500 entries of one part again, in 5 ms.)
    loaded: dict[str, SourceEntry] = field(default_factory=dict, repr=False)
    warning: str | None = None  # why an existing cache was not used
    generation: str | None = None  # the manifest id of the output folder this cache describes
    # What article pages are made from besides their own articles and neighbours (see
    # pipeline._plan): while it is the same, such a page of an unchanged article keeps its key.
    plan: str = ""
    # One FrozenMap per distinct layout of front matter lines, shared by the articles that
    # have it (most of an archive's): 0.8 kB less per article, 70 MB at 100 000.
    shared: dict[tuple, FrozenMap] = field(default_factory=dict, repr=False)
    # The token of each part file of source entries (None: no entries), as loaded.
    parts: list[str | None] = field(default_factory=list)
    # What a long-lived builder keeps of the last build besides this record (pipeline._held).
    held: Any = field(default=None, repr=False)
    # The token of the page store this record goes with (see sitegen/pagestore.py), None
    # when there is none: an edit's build patches the pages it names instead of the site.
    pages: str | None = None


def cache_file(root: Path, out: Path) -> Path:
    """One cache per output folder, so `serve` and `build` do not undo each other's work."""
    tag = hashlib.sha256(str(out).encode("utf-8")).hexdigest()[:12]
    return root / CACHE_DIR / f"cache-{tag}.bin"


def load_cache(root: Path, fingerprint: str, out: Path, head: Head | None = None) -> BuildCache:
    """The cache of the last build into `out`, or an empty one (with a warning if one was
    there but unusable). (`head`: its own file, as load_head read it already.)

    Why marshal and not JSON or pickle: the cache is read and written on every build, and
    for 10 000 articles marshal does each in a few tens of milliseconds where JSON took
    0.3 s; unlike pickle, loading it cannot run code. Its format may change between Python
    versions, so the header names the version, and a mismatch only means a full build.
    """
    path = cache_file(root, out)
    empty = BuildCache(fingerprint, str(out))
    shared: dict[tuple, FrozenMap] = {}
    try:
        read_head = _read_head(path, fingerprint, out) if head is None else head
        if isinstance(read_head, str):
            empty.warning = read_head
            return empty
        generation, parts, outputs, plan, pages, index, _ = read_head.read()
        outputs = {**outputs.as_dict(), **read_index_record(path, index)}
        read = {p: _source_from_plain(e, shared) for p, e in _read_parts(path, parts).items()}
        # In the order of their paths, as a build lists them (see pipeline.read_sources):
        # the parts hold them by hash. (Put in order here, 0.04-0.05 s at 100 000 articles,
        # where an edit's build sorted the entries it had made of them, 0.07-0.14 s.)
        loaded = {p: read[p] for p in sorted(read)}
    except FileNotFoundError:
        return empty
    except Exception as exc:  # noqa: BLE001 (any damage at all means: build without it)
        empty.warning = f"build cache {path} is unreadable ({exc.__class__.__name__}): ignored"
        return empty
    return BuildCache(fingerprint, str(out), dict(loaded), outputs, loaded, generation=generation,
                      parts=parts, plan=plan, shared=shared, pages=pages)  # fmt: skip


class Head(NamedTuple):
    """The record's own file, without the source entries its parts hold. Its outputs are
    read by `read` (load_head leaves them as marshal's bytes, `dumped`)."""

    generation: str
    parts: list[str | None]
    # The pages' outputs (but the search index's files: see `index`), packed.
    outputs: PageRecord
    plan: str
    pages: str | None
    index: str  # the token of the record of the index's files (see index_file)
    dumped: bytes = b""  # `outputs` as PageRecord.dumps wrote them, until read

    def read(self) -> Head:
        """This record with its outputs read (ValueError, EOFError or TypeError if they
        are damaged): 0.02 s at 100 000 articles, which an edit's build spends while the
        search child splices the edited articles (see sitegen/resume.py)."""
        if not self.dumped:
            return self
        return self._replace(outputs=PageRecord.loads(self.dumped), dumped=b"")


def load_head(root: Path, fingerprint: str, out: Path) -> Head | None:
    """The last build's record of its outputs, for an edit's build that reads no source
    entry but those it needs (see sitegen/resume.py); None when there is none to use. The
    outputs themselves are read by Head.read."""
    try:
        head = _read_head(cache_file(root, out), fingerprint, out)
    except Exception:  # noqa: BLE001 (any doubt: the caller builds as usual, and says why)
        return None
    return None if isinstance(head, str) else head


def _read_head(path: Path, fingerprint: str, out: Path) -> Head | str:
    """The record's file, checked; or why it is not this build's (raises if damaged)."""
    header, found, last_out, generation, parts, dumped, *rest = marshal.loads(path.read_bytes())
    if header != _HEADER or found != fingerprint:
        return "settings, Python or sitegen version changed since the last build"
    if last_out != str(out):
        return f"last build went to {last_out}"
    if type(dumped) is not bytes:
        raise ValueError("a record of the pages of the wrong type")
    head = Head(generation, parts, PageRecord([], b"", {}), *rest, dumped=dumped)
    _check_shapes(generation, parts, *rest)
    return head


def _read_parts(path: Path, parts: list) -> dict[str, tuple]:
    """The source entries kept in the cache's part files. A part that is missing or is not
    the one the cache names (a build stopped between writing the two) is left out: its
    files are parsed again, which costs time but never gives a wrong site."""
    entries: dict[str, tuple] = {}
    for number, token in enumerate(parts):
        entries.update(_read_part(path, number, token))
    return entries


def _check_shapes(
    generation: object, parts: object, plan: object, pages: object, index: object
) -> None:
    """Raise ValueError unless the cache's records have the shapes the build relies on (a
    damaged or hand-made cache must cost a full build, never a wrong site or a crash).
    (map and set: C loops, a few milliseconds for the 30 000 records of a large site.)"""
    if not isinstance(generation, str) or type(plan) is not str:
        raise ValueError("records of the wrong type")
    if pages is not None and type(pages) is not str:
        raise ValueError("a page store's token of the wrong type")
    if type(index) is not str or not _TOKEN.fullmatch(index):  # (it names a file)
        raise ValueError("an index record's token of the wrong shape")
    if (
        type(parts) is not list
        or len(parts) != PARTS
        or not set(map(type, parts)) <= {str, type(None)}
    ):
        raise ValueError("a list of parts of the wrong shape")


def save_cache(
    root: Path, cache: BuildCache, edited: Iterable[str] | None = None
) -> list[str | None]:
    """Write the cache: the parts whose source entries changed, then the file naming them
    (so a build stopped in between leaves parts the cache does not name: see _read_parts).
    An edit so rewrites a sixty-fourth of the entries, not all of them. Returns the token
    of each part file, as a cache loaded from it would hold them. (`edited`: the only
    sources whose entries can differ from those loaded, when the caller knows them.)"""
    path = cache_file(root, Path(cache.out))
    parts = list(cache.parts) if len(cache.parts) == PARTS else [None] * PARTS
    if not cache.parts:
        changed = set(range(PARTS))
    elif edited is not None:
        changed = set(map(part_of, edited))
    else:
        changed = _changed_parts(cache)
    names: list[list[str]] = [[] for _ in range(PARTS)]
    for name in cache.sources:
        names[part_of(name)].append(name)
    for number in sorted(changed):
        # One part's plain forms at a time: all of them at once were 60 MB at 100 000
        # articles, on top of a clean build's peak.
        parts[number] = _write_part(path, number, _plain_entries(cache.sources, names[number]))
    save_head(root, cache, parts)
    _listing_file(path).unlink(missing_ok=True)  # an earlier version's, stale from now on
    return parts


def save_head(
    root: Path, cache: BuildCache, parts: list[str | None],
    written: tuple[str, bytes] | None = None,
) -> None:  # fmt: skip
    """Write the record's own file, naming its part files by their tokens (`parts`), and
    the record of the index's files: last, so that a build stopped before leaves the
    files it wrote unnamed (see _read_parts, read_index_record). (`written`: the token of
    the index's record, written already, and cache.outputs as marshal, which then holds
    no index file; else both are made here of cache.outputs.)

    The index's files are recorded apart (100 000 of the 314 000 outputs of 100 000
    articles): an edit's search child reads and writes their record itself, beside the
    build (see sitegen/resume.py), which then reads and writes only its pages'; and the
    pages' record is kept as marshal's bytes, which that build makes while it waits for
    the child (0.06 s at 100 000 articles)."""
    path = cache_file(root, Path(cache.out))
    if written is None:
        pages, found = {}, {}
        for name, entry in cache.outputs.items():  # (one loop: 0.04 s at 100 000 articles)
            (found if name.startswith(INDEX_FILES) else pages)[name] = entry
        written = write_index_record(path, found), PageRecord.of(pages).dumps()
    index, dumped = written
    data = (_HEADER, cache.fingerprint, cache.out, cache.generation, parts, dumped, cache.plan,
            cache.pages, index)  # fmt: skip
    write_atomically(path, marshal.dumps(data))
    named = {index_file(path, index), index_file(path, index.partition("+")[2] or index)}
    for other in path.parent.glob(index_file(path, "*").name):  # the ones it names no more
        if other not in named:  # (nor the whole one a record of changes is read with)
            other.unlink(missing_ok=True)


def index_file(cache: Path, token: str) -> Path:
    """The record of the index's files with this token, beside the record `cache` (see
    save_head). A new file each time: a build stopped before its record named the new one
    leaves the one the record names as it was."""
    return cache.with_name(cache.name.replace("cache-", "index-").replace(".bin", f"-{token}.bin"))


def write_index_record(
    cache: Path, outputs: dict[str, tuple[str, str]],
    since: tuple[str, dict[str, tuple[str, str] | None]] | None = None,
) -> str:  # fmt: skip
    """Write a record of the index's files beside the record `cache`; its token. `since`:
    the token of a whole record and the entries changed since it (None: a file gone), to
    be written instead of `outputs`, the record those make (an edit's search child: the
    100 000 entries took it 0.05 s to write, which the build waited for). Such a record's
    token ends with "+" and the whole one's, which is read with it."""
    token = os.urandom(8).hex()
    data: tuple = (_HEADER, token, outputs)
    if since is not None:
        token = f"{token}+{since[0]}"
        data = (_HEADER, token, *since)
    write_atomically(index_file(cache, token), marshal.dumps(data))
    return token


def index_changes(cache: Path, token: str) -> tuple[str, dict[str, tuple[str, str] | None]]:
    """The token of the whole record that the record `token` is read with, and its changes
    to it (none when it is a whole one itself); raises as read_index_record does."""
    base = token.partition("+")[2]
    if not base:
        return token, {}
    header, found, named, changes = _index_value(cache, token)
    if named != base or type(changes) is not dict:
        raise ValueError("a record of the index's changes to another than it names")
    return base, changes


def read_index_record(cache: Path, token: str) -> dict[str, tuple[str, str]]:
    """The record of the index's files that the record `cache` names by `token` (a whole
    one, or changes to one: see write_index_record); raises ValueError when it is missing
    or not that one: the record is then not used at all."""
    base, changes = index_changes(cache, token)
    header, found, outputs = _index_value(cache, base)
    if type(outputs) is not dict:
        raise ValueError("the record of the index's files is not the one the record names")
    for name, entry in changes.items():
        if entry is None:
            outputs.pop(name, None)
        else:
            outputs[name] = entry
    if outputs and (set(map(type, outputs.values())) != {tuple}
                    or set(map(len, outputs.values())) != {2}):  # fmt: skip
        raise ValueError("a record of the wrong shape")
    return outputs


def _index_value(cache: Path, token: str) -> tuple:
    """What write_index_record wrote under `token`, checked for its header and token."""
    try:
        data = index_file(cache, token).read_bytes()
    except OSError as exc:
        raise ValueError("the record of the index's files cannot be read") from exc
    value = marshal.loads(data)
    if type(value) is not tuple or len(value) not in (3, 4) or value[:2] != (_HEADER, token):
        raise ValueError("the record of the index's files is not the one the record names")
    return value


def _write_part(path: Path, number: int, held: dict[str, tuple]) -> str | None:
    """Write a part file of these plain entries (or remove it: none); its new token."""
    if not held:
        _part_file(path, number).unlink(missing_ok=True)
        return None
    token = os.urandom(8).hex()
    write_atomically(_part_file(path, number), marshal.dumps((_HEADER, token, held)))
    return token


def entries_of(root: Path, out: Path, parts: list[str | None], names: Iterable[str]) -> dict:
    """The source entries of these files, as the record's parts (`parts`: their tokens, as
    the record names them) hold them; a file whose entry is not there is left out."""
    path, shared = cache_file(root, out), {}
    found: dict[str, SourceEntry] = {}
    by_part: dict[int, list[str]] = {}
    for name in names:
        by_part.setdefault(part_of(name), []).append(name)
    for number, wanted in by_part.items():
        held = _read_part(path, number, parts[number])
        for name in wanted:
            if name in held:
                found[name] = _source_from_plain(held[name], shared)
    return found


def replace_entries(
    root: Path, out: Path, parts: list[str | None], entries: dict[str, SourceEntry]
) -> list[str | None]:
    """Write again the parts that hold these entries, with these in place of the ones they
    held (an entry marshal cannot hold is left out, as save_cache leaves it: its file is
    parsed again next time); the tokens of the parts as the record must name them now."""
    path, parts = cache_file(root, out), list(parts)
    same: dict = {}
    plain = {name: _source_to_plain(entry, same) for name, entry in entries.items()}
    for number in sorted({part_of(name) for name in plain}):
        held = dict(_read_part(path, number, parts[number]))
        for name, entry in plain.items():
            if part_of(name) != number:
                continue
            if entry is None:
                held.pop(name, None)
            else:
                held[name] = entry
        parts[number] = _write_part(path, number, held)
    return parts


def _read_part(path: Path, number: int, token: str | None) -> dict[str, tuple]:
    """One part file's plain entries, if it is the one the record names (else none)."""
    if token is None:
        return {}
    try:
        header, found, held = marshal.loads(_part_file(path, number).read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    return held if header == _HEADER and found == token and type(held) is dict else {}


class BuildMemory:
    """The record of the last build, kept by a long-lived process (`serve`) so that its next
    build need not read it back from disk (0.07 s at 10 000 articles, 0.8 s at 100 000).

    A build takes the record out and gives it back only once it has saved it, so a failed
    or interrupted build leaves nothing to take: the next one reads the disk. It is used
    only while the cache file is the very one this process saved last: another process's
    build into the same folder in between means reading that one instead.
    """

    def __init__(self) -> None:
        self._cache: BuildCache | None = None
        self._token: tuple[int, int, int] | None = None
        # A resident indexer's index of the last build's site, under way (see
        # indexing.warm_indexer): taken by the next build.
        self.warming: Any = None

    def take(self, root: Path, fingerprint: str, out: Path) -> BuildCache | None:
        cache, token, self._cache, self._token = self._cache, self._token, None, None
        if cache is None or cache.fingerprint != fingerprint or cache.out != str(out):
            return None
        return cache if _file_token(cache_file(root, out)) == token else None

    def held(self, root: Path, fingerprint: str, out: Path) -> Any:
        """What the builder keeps besides the record (see keep), left in place; None when
        the record would not be taken."""
        cache = self._cache
        if cache is None or cache.fingerprint != fingerprint or cache.out != str(out):
            return None
        return cache.held if _file_token(cache_file(root, out)) == self._token else None

    def keep(
        self, root: Path, cache: BuildCache, parts: list[str | None], held: Any = None
    ) -> None:
        """Hold `cache`, just saved (`parts`: what save_cache returned), as loading the
        saved files would give it (the same entries, not copies: see _changed_parts), with
        what else of the build the builder keeps (`held`)."""
        cache.loaded, cache.parts, cache.warning = dict(cache.sources), parts, None
        cache.held = held
        self._cache, self._token = cache, _file_token(cache_file(root, Path(cache.out)))


def _file_token(path: Path) -> tuple[int, int, int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_ino, found.st_size, found.st_mtime_ns


def _changed_parts(cache: BuildCache) -> set[int]:
    """The parts holding an entry that is not the one loaded, or a loaded one now gone."""
    changed = {part_of(name) for name in cache.loaded.keys() - cache.sources.keys()}
    for name, entry in cache.sources.items():
        if cache.loaded.get(name) is not entry:
            changed.add(part_of(name))
    return changed


def part_of(name: str) -> int:
    """Which part file holds a source's entry (a checksum: the same in every process)."""
    return zlib.crc32(name.encode("utf-8")) % PARTS


def _part_file(cache: Path, number: int) -> Path:
    return cache.with_name(cache.name.replace("cache-", f"sources-{number:02d}-"))


def old_listing(root: Path, out: Path) -> Listing:
    """The outputs that a sitegen of before output manifests (0.1) recorded for `out`: such
    a folder is still taken as sitegen's (see output.refusal). Later versions keep no
    listing: they trust their manifest and record instead of statting every output."""
    try:
        header, listing = marshal.loads(_listing_file(cache_file(root, out)).read_bytes())
    except Exception:  # noqa: BLE001 (unreadable: the folder is judged without it)
        return {}
    ours = str(header).startswith("sitegen-cache ")
    return listing if ours and isinstance(listing, dict) else {}


def last_build_time(root: Path, out: Path) -> int | None:
    """When the last build into `out` finished (mtime_ns of the cache it saved last)."""
    try:
        return cache_file(root, out).stat().st_mtime_ns
    except OSError:
        return None


def _listing_file(cache: Path) -> Path:
    return cache.with_name(cache.name.replace("cache-", "listing-"))


def write_atomically(path: Path, data: bytes) -> None:
    """Write a cache file whole or not at all: readers never see half of one, and two
    processes (a build and `serve`, two workers) may write the same file at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


# write_atomically's temporary file: .NAME.PID.tmp
_TEMPORARY: Final = re.compile(r"\..+\.(\d+)\.tmp")
# os.urandom(8).hex(), and the whole record's a record of changes is read with
_TOKEN: Final = re.compile(r"[0-9a-f]{16}(\+[0-9a-f]{16})?")


def sweep_temporaries(cache: Path) -> None:
    """Remove the temporary files of cache writes whose writer is gone: a kill between the
    write and the rename leaves one (the record is 44 MB at 100 000 articles), and nothing
    else would ever remove it. Called under the build lock, so no build of this site is
    writing; a file whose process still runs is left to it. Only the folders that hold
    write_atomically's files are read (a few hundred names: a millisecond)."""
    for folder in (cache, *cache.glob("search-[0-9]*")):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            found = _TEMPORARY.fullmatch(name)
            if found and not _running(int(found[1])):
                (folder / name).unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # gone, or never a process id
        return False
    except OSError:  # another user's: it runs
        return True
    return True


_HEADER: Final = f"sitegen-cache {SCHEMA} python {sys.version_info[0]}.{sys.version_info[1]}"
_PLAIN: Final = (str, int, float, bool, type(None))


def _plain_entries(sources: dict[str, SourceEntry], names: list[str]) -> dict[str, tuple]:
    """The plain forms of these entries, but for those marshal cannot hold (their files are
    parsed again next time).

    Values many entries share are given as one object (`same`): marshal writes an object
    it has written before as a reference to it, and loading makes it once. The lines of
    the front matter's keys, the zone's name, and an article's digest, which is its
    file's: at 100 000 articles the parts are 15% smaller and load 0.13 s sooner."""
    same: dict = {}
    plain = ((name, _source_to_plain(sources[name], same)) for name in names)
    return {name: entry for name, entry in plain if entry is not None}


def _source_to_plain(entry: SourceEntry, same: dict | None = None) -> tuple | None:
    same = {} if same is None else same
    article = _article_to_plain(entry, same) if entry.article else None
    if entry.article and article is None:
        return None
    problems = tuple((p.path.as_posix(), p.message, p.line, p.severity) for p in entry.problems)
    return (entry.stat, entry.digest, article, problems)


def _source_from_plain(raw: tuple, shared: dict[tuple, FrozenMap]) -> SourceEntry:
    stat, digest, article, problems = raw
    found = tuple(Problem(Path(p), m, line, s) for p, m, line, s in problems) if problems else ()
    article = _article_from_plain(article, shared) if article else None
    return SourceEntry(stat, digest, article, found)


def article_to_plain(entry: SourceEntry) -> tuple | None:
    """The entry's article as marshal-able values (None: its front matter holds others)."""
    return _article_to_plain(entry, {})


def article_from_plain(raw: tuple, shared: dict[tuple, FrozenMap]) -> Article:
    """The article of article_to_plain's values (`shared`: see shared_lines)."""
    return _article_from_plain(raw, shared)


def _article_to_plain(entry: SourceEntry, same: dict) -> tuple | None:
    """The entry's article as marshal-able values, or None when its front matter holds other
    types (a date in an extra key, say): such a file is simply parsed again. (`same`: see
    _plain_entries; the lines are looked up by the id of their map, which articles share.)"""
    article = entry.article
    assert article is not None
    if not plain_value(dict(article.extra)):
        return None
    values = list(article)
    if article.digest == entry.digest:
        values[_DIGEST] = entry.digest  # one string for both
    zone = str(article.date.tzinfo)
    values[_DATE] = (article.date.isoformat(), same.setdefault(zone, zone))
    lines = same.get(id(article.key_lines))
    if lines is None:
        lines = same[id(article.key_lines)] = tuple(article.key_lines.items())
    values[_EXTRA], values[_KEY_LINES] = dict(article.extra), lines
    return tuple(values)


def _article_from_plain(raw: tuple, shared: dict[tuple, FrozenMap]) -> Article:
    values = list(raw)
    if len(values) != len(_NAMES):
        raise ValueError("an article record of the wrong shape")  # (load_cache: build afresh)
    stamp, zone = values[_DATE]
    date = dt.datetime.fromisoformat(stamp)
    if zone and "/" in zone:  # keep the named zone so the record equals a fresh parse
        date = date.astimezone(_zone(zone))
    values[_DATE] = date
    values[_EXTRA] = _frozen(values[_EXTRA])
    values[_KEY_LINES] = shared_lines(values[_KEY_LINES], shared)
    # As Article._make does, without binding 21 arguments: 0.05 s less at 100 000 articles.
    return _new_record(Article, values)


def shared_lines(items: tuple, shared: dict[tuple, FrozenMap]) -> FrozenMap:
    """The front matter's lines (key -> line) as a FrozenMap that every article with the same
    ones shares (`items`: its (key, line) pairs in order)."""
    found = shared.get(items)
    if found is None:
        found = shared[items] = FrozenMap(dict(items))
    return found


def with_shared_values(entry: SourceEntry, shared: dict[tuple, FrozenMap]) -> SourceEntry:
    """A freshly parsed entry whose article's lines map is the shared one (see BuildCache),
    and whose category, source, editor and author are the one string of their value.

    An archive has a few dozen sources and editors over its whole length, but each parse
    (in a worker, sent back pickled) makes strings of its own: 22 MB of copies of the same
    few names at 100 000 articles, some 200 MB at a million. The cache's parts keep them
    shared, since marshal writes an object it has written before as a reference to it.
    """
    article = entry.article
    if article is None:
        return entry
    lines = shared_lines(tuple(article.key_lines.items()), shared)
    extra = article.extra or _EMPTY
    shaped = article._replace(
        key_lines=lines, extra=extra, category=sys.intern(article.category),
        source=_interned(article.source), editor=_interned(article.editor),
        author=_interned(article.author),
    )  # fmt: skip
    return SourceEntry(entry.stat, entry.digest, shaped, entry.problems)


def _interned(text: str | None) -> str | None:
    return None if text is None else sys.intern(text)


def _frozen(values: dict) -> FrozenMap:
    return FrozenMap(values) if values else _EMPTY  # most articles have no extra keys


_EMPTY: Final = FrozenMap()
_new_record: Final = tuple.__new__
_NAMES: Final = Article._fields
_DATE, _DIGEST = _NAMES.index("date"), _NAMES.index("digest")
_EXTRA, _KEY_LINES = _NAMES.index("extra"), _NAMES.index("key_lines")


@functools.cache
def _zone(name: str) -> dt.tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def plain_value(value: Any) -> bool:
    """Whether a front-matter value is made of types marshal keeps as they are."""
    if isinstance(value, _PLAIN):
        return True
    if isinstance(value, (list, tuple)):
        return all(plain_value(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and plain_value(v) for k, v in value.items())
    return False


@dataclass(frozen=True, slots=True)
class QuickState:
    """What a build saw and left, so that a build with nothing to do can stop at once."""

    inputs: str  # signature of every source, layout, static file and the settings
    generation: str  # the id of the output folder's manifest, as the build left it
    top: tuple[str, ...]  # the names at the output folder's top, as the build left them
    pages: int
    warnings: tuple[Problem, ...]


def _state_file(root: Path, out: Path) -> Path:
    cache = cache_file(root, out)
    return cache.with_name(cache.name.replace("cache-", "state-")).with_suffix(".json")


def load_state(root: Path, out: Path) -> QuickState | None:
    try:
        raw = json.loads(_state_file(root, out).read_text(encoding="utf-8"))
        warnings = tuple(Problem(Path(p), m, line, s) for p, m, line, s in raw["warnings"])
        top = tuple(raw["top"])
        return QuickState(raw["inputs"], raw["generation"], top, raw["pages"], warnings)
    except Exception:  # noqa: BLE001 (unreadable: the build does its work instead)
        return None


def save_state(root: Path, out: Path, state: QuickState | None) -> None:
    path = _state_file(root, out)
    if state is None:
        path.unlink(missing_ok=True)
        return
    warnings = [[p.path.as_posix(), p.message, p.line, p.severity] for p in state.warnings]
    data = {"inputs": state.inputs, "generation": state.generation, "top": list(state.top),
            "pages": state.pages, "warnings": warnings}  # fmt: skip
    write_atomically(path, json.dumps(data, ensure_ascii=False).encode("utf-8"))
