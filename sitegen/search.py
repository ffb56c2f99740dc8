"""Full-text search index for a static host: character bigrams, sharded, loaded lazily.

Why our own index and not Pagefind: Pagefind segments Chinese differently at index and query
time and misses words (Pagefind issue 1237). A character-bigram index finds every run of two or
more CJK characters by construction: a query run is split into bigrams, the articles holding all
of them are candidates, and static/js/search.js keeps only those whose text really holds the run.

Both sides normalise text the same way, one character at a time (so a substring of an article
stays a substring): NFKC, lower case, traditional -> simplified from data/t2s.txt, and white
space between two CJK characters dropped. Latin letters and digits are indexed as whole words.

Files under OUT/search/ (the contract with search.js; bump FORMAT when it changes):
  meta.json        counts, shard count, docs per chunk, id ranges per year, categories, t2s table
  s/<n>.bin        keys whose FNV-1a hash % shards == n; each key with its postings
  d/<n>.json.gz    docs n*per_chunk ...: [url, title, date, category, text] for checks and excerpts
Doc chunks are gzipped (to about half); search.js inflates them with DecompressionStream
unless the host already did (it checks for gzip's magic bytes). A shard file is a varint piece
count, each piece's byte length (varints), then the pieces: one raw deflate stream (search.js
inflates it as "deflate-raw"). Each piece is the segments of a run of blocks (see
PIECE_SHARDS), compressed on its own and flushed to a byte boundary, and the stream ends with
an empty final block. An edit, or a day's new articles, compresses its block's piece again
and copies the other pieces' bytes: compressing whole shards again (0.44 ms each, some 400
shards for a new article at 10 000 articles) was most of a new article's time. (Gzip would
need the CRC of the whole shard, hence raw deflate; Chromium's DecompressionStream does not
take gzip members end to end.)
Doc ids run oldest first (by date, then URL), so a year is one id range, "newest first" is
descending id order, and a day's new articles take new ids at the end: the doc chunks of
older articles keep their bytes, and an incremental build leaves those files alone.
Inflated, a shard is its segments, one per block of docs (ids in blocks of BLOCK_DOCS, oldest
first) that holds any of its keys, in id order, end to end. A segment is: varint
key count, then per key (CJK keys by code points, then the others as strings sort; search.js
reads them all, in any order): varint key byte length, UTF-8 key, varint posting count,
varint posting byte length, postings. A posting is id*4 + flags (1: key in the title, 2: key
occurs 3+ times), stored as varint deltas of that value from 0 within the segment. Keys of two
CJK characters then have one byte per posting: bit (p % 8) set for each place p the bigram
occurs, counted from the start of its run of CJK characters (search.js only compares the
bits of one run's bigrams with each other; counting from the run, not the text, lets an edit
leave the masks of the runs it did not touch alone). A key's postings are those of its
segments, end to end. (Segments let an edit re-encode one block's part of each shard and
splice it into the live shards where it changed.) sitegen/postings.py encodes a block's
segments.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import json
import marshal
import os
import re
import unicodedata
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO, Final, NamedTuple

from sitegen.cache import write_atomically
from sitegen.output import create_new

FORMAT: Final = 4  # static/js/search.js checks it: a stale script must not misread an index
TABLE_FILE: Final = Path(__file__).parent / "data" / "t2s.txt"
# Code point ranges of the characters indexed one by one and in pairs (static/js/search.js
# lists the same).
CJK_RANGES: Final = (
    (0x3005, 0x3005), (0x3007, 0x3007), (0x3040, 0x30FF), (0x3100, 0x312F), (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF), (0x20000, 0x3FFFF),
)  # fmt: skip
CJK: Final = "".join(chr(low) + (f"-{chr(high)}" if high > low else "") for low, high in CJK_RANGES)
CJK_RUN: Final = re.compile(f"[{CJK}]+")
IS_CJK: Final = re.compile(f"[{CJK}]")
# The same white space as JavaScript's \s, so search.js normalises queries identically.
SPACE_CHARS: Final = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
SPACES: Final = re.compile(f"[{SPACE_CHARS}]+")
CJK_GAP: Final = re.compile(f"(?<=[{CJK}]) (?=[{CJK}])")  # a line break inside a sentence
# Letters and digits other than CJK, like JavaScript's [\p{L}\p{N}]+ between CJK runs.
LATIN_WORD: Final = re.compile(f"[^\\W_{CJK}]+")
MAX_WORD: Final = 40  # longer Latin "words" are URLs or hashes; cut so keys stay small
CATEGORY_KEY: Final = "#"  # never a letter, digit or CJK, so it cannot clash with a word
SHARD_BYTES: Final = 24_000  # average shard size aimed at; a query fetches one per bigram
GZIP_LEVEL: Final = 6  # doc chunks: level 9 takes about twice as long for files ~1 % smaller
# Shards' pieces are compressed again whenever an edit reaches them (hundreds per edit): level 1
# takes a third of level 6's time for files 7 % larger.
SHARD_LEVEL: Final = 1
# A shard's piece holds max(1, shards // PIECE_SHARDS) blocks. The shard count grows with the
# archive's bytes as the block count does with its docs, so shards have a few pieces of a few
# KB at any size, and their bounds stay until the shard count doubles (when every shard is
# made again anyway). At 10 000 articles: 512 shards, 6 pieces of 16 blocks; 2.6 % more bytes
# than whole shards (10 pieces: 6 %); a piece compressed again 0.07-0.1 ms.
PIECE_SHARDS: Final = 32
CHUNK_BYTES: Final = 4_000  # average doc chunk size aimed at; a result page fetches a few
# Docs indexed together, in one worker process, and cached as one: an edit indexes this many.
# (250 made an edit 0.05 s slower; 125 makes the shards 9 % larger, as a key's header is
# repeated in each block's segment.)
BLOCK_DOCS: Final = 125


class SearchDoc(NamedTuple):
    """One article as the index sees it. (A named tuple: every build that indexes makes one
    per article, and a frozen dataclass's constructor costs several times a tuple's.)"""

    url: str  # site-relative URL with base path, e.g. "/news/law/slug/"
    title: str
    date: str  # "2018-09-21"
    category: str  # slug
    category_name: str
    # The plain text of the body, or a function that reads it: a rebuild reads only the texts
    # of blocks it indexes again. With a function, `version` names the text (the article's
    # digest, say) and `size` is about its length in bytes.
    text: str | Callable[[], str]
    version: str = ""
    size: int = 0

    def plain(self) -> str:
        return self.text() if callable(self.text) else self.text

    def row(self) -> bytes:
        """The doc as search.js reads it from a doc chunk: JSON, white space folded."""
        return _json(
            [self.url, self.title, self.date, self.category, " ".join(self.plain().split())]
        )

    def weight(self) -> int:
        return self.size or len(self.row())


class _CharMap(dict):
    """str.translate table that fills itself: NFKC, lower case, then traditional -> simplified."""

    def __init__(self, table: dict[str, str]) -> None:
        super().__init__()
        self.table = table

    def __missing__(self, code: int) -> str:
        folded = unicodedata.normalize("NFKC", chr(code)).lower()
        mapped = self[code] = "".join(self.table.get(x, x) for x in folded)
        return mapped


class Normalizer:
    """Maps text to its searchable form; made once per build (it caches per character)."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table
        self._chars = _CharMap(table)

    @classmethod
    def from_file(cls, path: Path = TABLE_FILE) -> Normalizer:
        return cls(_table(path))

    def char(self, code: int) -> str:
        """The normalised form of one character (before white space is folded)."""
        return self._chars[code]

    def text(self, text: str) -> str:
        """Normalised text; white space collapses to one space, or none between CJK."""
        spaced = SPACES.sub(" ", text.translate(self._chars)).strip(" ")
        return CJK_GAP.sub("", spaced)


@functools.cache
def _table(path: Path) -> dict[str, str]:
    return read_table(path)  # once per process: each block of the index makes a Normalizer


def read_table(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    pairs = "".join(line for line in lines if not line.startswith("#"))
    return dict(zip(pairs[::2], pairs[1::2], strict=True))


def fnv1a(key: str) -> int:
    """32-bit FNV-1a of the UTF-8 bytes; search.js computes the same with Math.imul."""
    h = 0x811C9DC5
    for b in key.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


# Maps a function over an iterable in order, like the built-in map; the build passes one
# that spreads the blocks over its worker processes.
Mapper = Callable[[Callable, Iterable], Iterable]


class IndexFile(NamedTuple):
    """One file of the index. (A named tuple: a build lists every doc chunk, 100 000 at
    100 000 articles, and a frozen dataclass's constructor costs several times a tuple's.)"""

    rel: str  # path under the output folder, e.g. "search/s/3.bin"
    sha: str  # sha256 of its bytes
    written: bool  # False: the live site already holds these bytes, so nothing was written


@dataclass(frozen=True, slots=True)
class Place:
    """Where index files go: `out` (a staging folder, say), unless `live` (the site as it is
    now) already holds the same bytes: then nothing is written, and the live file stays."""

    out: Path
    live: Path | None = None
    # rel -> sha256 of the index files the live site holds as the last build wrote them; read
    # from the live files themselves when not given.
    held: Mapping[str, str] | None = None

    def holds(self, rel: str, sha: str) -> bool:
        """Whether the live site holds `rel` with these bytes (so it need not be written)."""
        if self.live is None:
            return False
        if self.held is not None:
            return self.held.get(rel) == sha
        try:
            return hashlib.sha256((self.live / rel).read_bytes()).hexdigest() == sha
        except OSError:
            return False

    def put(self, rel: str, data: bytes) -> IndexFile:
        sha = hashlib.sha256(data).hexdigest()
        if self.holds(rel, sha):
            return IndexFile(rel, sha, False)
        with open(create_new(os.path.join(self.out, rel)), "wb") as file:
            file.write(data)
        return IndexFile(rel, sha, True)


def write_index(
    docs: Iterable[SearchDoc], place: Place | Path, mapper: Mapper = map, cache: Path | None = None
) -> list[IndexFile]:
    """Write the index under search/ of `place`. Returns every file of the index.

    Documents are indexed in blocks of consecutive ids, each block on its own (in a worker
    process when `mapper` spreads them) into one segment per shard; a shard is its blocks'
    segments end to end. With a `cache` folder, a block's segments are kept there by a
    digest of its docs, so that a rebuild after one edit reads the texts of one block and
    indexes it again, not the archive, and replaces its segments in the live shards where
    they changed (see _splice_shards); a cached block whose doc chunks the live site holds
    writes none of them.
    Memory stays bounded for 100 000 articles: the texts of a block are read only when a
    worker is ready to take it (the pool's feeder thread reads them, while the workers index
    the blocks before), and only the encoded segments are kept for the whole archive.
    """
    return write_layout(lay_out(docs), place, mapper, cache)


@dataclass(frozen=True, slots=True)
class Layout:
    """The docs in id order, cut into blocks, and the index's dimensions: what its files
    follow from. (A long-lived indexer keeps it: an edit of a doc changes its block.)"""

    order: list[SearchDoc] | Docs  # (Docs: made when asked for, see _earlier)
    weight: int
    per_chunk: int
    shards: int
    size: int  # docs per block
    blocks: list[_Block]
    meta: bytes  # meta.json


class Docs(Sequence[SearchDoc]):
    """Docs in id order, each made from its id when asked for (`make`), but for those given
    (`made`): how a build's search child holds the last index's 100 000 docs, of which an
    edit reads a block or two. (Making every one took 0.2 s of the child's core while the
    build listed the sources beside it.) A slice is a view, made when read, too."""

    __slots__ = ("_count", "_make", "_made")

    def __init__(
        self, count: int, make: Callable[[int], SearchDoc],
        made: Mapping[int, SearchDoc] | None = None,
    ) -> None:  # fmt: skip
        self._count, self._make, self._made = count, make, made or {}

    @classmethod
    def of(cls, order: Sequence[SearchDoc]) -> Docs:
        """These docs as Docs (a list's read from it: a full build's, which serve's resident
        indexer keeps)."""
        return order if isinstance(order, Docs) else Docs(len(order), order.__getitem__)

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, at):  # type: ignore[override]
        if isinstance(at, slice):
            start, stop, step = at.indices(self._count)
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return Docs(max(0, stop - start), lambda i: self[start + i])
        if at < 0:
            at += self._count
        if not 0 <= at < self._count:
            raise IndexError(at)
        doc = self._made.get(at)
        return doc if doc is not None else self._make(at)

    def __iter__(self) -> Iterator[SearchDoc]:
        return map(self.__getitem__, range(self._count))

    def edited(self, changed: Mapping[int, SearchDoc], added: list[SearchDoc]) -> Docs:
        """These docs with those of `changed` replaced and `added` after the last."""
        made = {**self._made, **changed, **dict(enumerate(added, self._count))}
        return Docs(self._count + len(added), self._make, made)


def lay_out(docs: Iterable[SearchDoc]) -> Layout:
    order = sorted(docs, key=_order_key)
    weight = sum(doc.weight() for doc in order)
    per_chunk, shards = _docs_per_chunk(weight, len(order)), _shard_count(weight)
    size = per_chunk * max(1, BLOCK_DOCS // per_chunk)  # whole doc chunks per block
    blocks = [_block(first, order[first : first + size], per_chunk, shards)
              for first in range(0, len(order), size)]  # fmt: skip
    meta = _json(_meta(order, per_chunk, shards, Normalizer.from_file().table))
    return Layout(order, weight, per_chunk, shards, size, blocks, meta)


def laid_as(
    order: Sequence[SearchDoc], dimensions: tuple, digests: list[str], meta: bytes
) -> Layout:
    """The layout lay_out made of these docs (in its order), from what it recorded of it:
    (weight, per_chunk, shards, size), each block's digest, meta.json. (A build's search
    child has it so from the last build's kept rows, without sorting and hashing again.)"""
    weight, per_chunk, shards, size = dimensions
    firsts = range(0, len(order), size)
    blocks = [_Block(first, order[first : first + size], digest)
              for first, digest in zip(firsts, digests, strict=True)]  # fmt: skip
    return Layout(order, weight, per_chunk, shards, size, blocks, meta)


def recorded(layout: Layout) -> tuple[tuple, list[str], bytes]:
    """What laid_as makes the layout again from, with its docs."""
    dimensions = (layout.weight, layout.per_chunk, layout.shards, layout.size)
    return dimensions, [block.digest for block in layout.blocks], layout.meta


def relaid(
    layout: Layout, changed: Mapping[int, SearchDoc], added: Iterable[SearchDoc] = ()
) -> Layout | None:
    """The layout with the docs of these ids replaced, if each keeps its place (the same
    URL, date and category: a new title or text is fine), and `added` appended, if they
    come after every doc in lay_out's order (a day's upload: the newest articles), and the
    index keeps its dimensions; else None. (meta.json, made of the places, changes only
    with the docs added.)"""
    weight, start = layout.weight, len(layout.order)
    for at, doc in changed.items():
        before = layout.order[at]
        if (doc.url, doc.date, doc.category, doc.category_name) != (
            before.url, before.date, before.category, before.category_name
        ):  # fmt: skip
            return None
        weight += doc.weight() - before.weight()
    appended = sorted(added, key=_order_key)
    last = layout.order[-1] if start else None
    for doc in appended:
        if last is not None and _order_key(doc) <= _order_key(last):
            return None  # it goes between docs: every id after it moves
        weight += doc.weight()
        last = doc
    order = Docs.of(layout.order).edited(changed, appended)
    per_chunk, shards, size = layout.per_chunk, layout.shards, layout.size
    if _docs_per_chunk(weight, len(order)) != per_chunk or _shard_count(weight) != shards:
        return None
    blocks = list(layout.blocks)
    firsts = {at - at % size for at in changed}
    firsts.update(range(start - start % size, len(order), size))
    for first in sorted(firsts):
        block = _block(first, order[first : first + size], per_chunk, shards)
        blocks[first // size : first // size + 1] = [block]  # (a new one is appended)
    meta = layout.meta if start == len(order) else _meta_after(layout.meta, order, start)
    return Layout(order, weight, per_chunk, shards, size, blocks, meta)


def _order_key(doc: SearchDoc) -> tuple[str, str]:
    """Where lay_out puts a doc: by date, then URL."""
    return doc.date, doc.url


def _meta_after(meta: bytes, order: Sequence[SearchDoc], start: int) -> bytes:
    """meta.json with the docs from `start` on appended: what _meta makes of all of them,
    without going through the 100 000 before."""
    value = json.loads(meta)
    value["docs"] = len(order)
    for doc_id in range(start, len(order)):
        doc = order[doc_id]
        span = value["years"].setdefault(doc.date[:4], [doc_id, doc_id])
        span[1] = doc_id + 1
        value["categories"][doc.category] = doc.category_name  # the last doc's name, as _meta
    return _json(value)


def write_layout(
    layout: Layout, place: Place | Path, mapper: Mapper = map, cache: Path | None = None,
    only: Mapping[int, Iterable[int]] | None = None,
) -> list[IndexFile]:  # fmt: skip
    """write_index, for docs already laid out. `only`: the docs (by id) that may differ
    from those of the index the live site holds, when it holds the last one (an edit's,
    see relaid), by the place of their block in the layout: the other blocks are neither
    checked nor listed in the answer, which lists their files and every shard, and of
    those blocks only the doc chunks that hold such a doc are made again. (Checking and
    listing the 100 000 doc chunk files of 800 blocks took 0.25 s of an edit at 100 000
    articles; compressing a block's 125 chunks again, 0.01 s.)"""
    place = place if isinstance(place, Place) else Place(place)
    per_chunk, shards, blocks = layout.per_chunk, layout.shards, layout.blocks
    record = _load_record(cache, shards)
    known = dict(record.blocks) if record else {}
    listed = blocks if only is None else [blocks[at] for at in sorted(only)]
    todo = [block for block in listed if not _kept(block, known, place)]
    edited = None if only is None else frozenset(i for ids in only.values() for i in ids)
    work = partial(index_block, place, per_chunk, shards, cache, edited=edited)
    # One block (an edit's) is indexed here: sooner than sent to a worker and back.
    done = (mapper if len(todo) > 1 else map)(work, map(_job, todo))
    arriving = zip((block.first for block in todo), done, strict=True)
    parts: dict[int, _Part] = {}
    shard_files = None
    if _may_splice(blocks, len(todo), record, cache, place):
        parts.update(arriving)
        shard_files = _splice_shards(blocks, parts, record, place, cache)
    if shard_files is None:
        # The last build's segment lengths (blocks times shards: 157 MB at 300 000 articles)
        # are not needed to join: let go of them before the join makes this build's.
        record = None
        shard_files = _join_shards(blocks, (parts, arriving), shards, (place, cache), work)
    if cache is not None:
        _prune_cache(cache, {block.digest for block in blocks})
    files = [file for block in listed for file in _files_of(block, parts, known)]
    return files + shard_files + [place.put("search/meta.json", layout.meta)]


@dataclass(frozen=True, slots=True)
class _Block:
    first: int  # the id of its first doc
    docs: Sequence[SearchDoc]
    digest: str  # what its postings and doc chunks follow from: its place and its docs


def _block(first: int, docs: Sequence[SearchDoc], per_chunk: int, shards: int) -> _Block:
    lines = [f"{FORMAT} {first} {per_chunk} {shards}"]
    for doc in docs:
        text = doc.version or doc.text
        assert isinstance(text, str), "a doc whose text is a function needs a version"
        lines.append(f"{doc.url}\0{doc.title}\0{doc.date}\0{doc.category}\0{text}")
    lines.append("")  # each line ends with a line break
    return _Block(first, docs, hashlib.sha256("\n".join(lines).encode()).hexdigest())


def _kept(block: _Block, known: dict[str, list], place: Place) -> bool:
    """Whether the last build indexed this very block and the live site holds its doc chunks."""
    files = known.get(block.digest)
    return files is not None and all(place.holds(rel, sha) for rel, sha in files)


def _files_of(block: _Block, parts: dict[int, _Part], known: dict[str, list]) -> list[IndexFile]:
    if block.first in parts:
        return parts[block.first][1]
    return [IndexFile(rel, sha, False) for rel, sha in known[block.digest]]


def _job(block: _Block) -> _Job:
    return block.first, [doc.row() for doc in block.docs], block.digest


def _docs_per_chunk(weight: int, docs: int) -> int:
    average = weight / max(1, docs)
    return max(1, min(200, round(CHUNK_BYTES / max(1.0, average))))


# A block to index: its first doc id, its rows as JSON, and the digest it is cached by.
_Job = tuple[int, list[bytes], str]
# A block indexed: its segment of each shard (b"" where it has no key of that shard) and its
# doc chunk files.
_Part = tuple[list[bytes], list[IndexFile]]


def index_block(
    place: Place, per_chunk: int, shards: int, cache: Path | None, job: _Job,
    edited: frozenset[int] | None = None,
) -> _Part:  # fmt: skip
    """Index the docs of one block (ids first, first + 1, ...) and write their doc chunks
    (`edited`: when the live site holds the index this block's docs were in, the ids of
    those that may have changed since: a chunk of none of them is the live one)."""
    first, rows, digest = job
    files = [
        _chunk_file(place, (start, per_chunk), rows[at : at + per_chunk], edited)
        for at, start in ((s - first, s) for s in range(first, first + len(rows), per_chunk))
    ]
    stored = _load_part(cache / f"{digest}.bin") if cache is not None else None
    if stored is not None:  # indexed before; only its doc chunks were missing
        return stored[0], files
    part = (_block_segments(first, [json.loads(row) for row in rows], shards), files)
    if cache is not None:
        _store_part(cache / f"{digest}.bin", part)
    return part


def _chunk_file(
    place: Place, at: tuple[int, int], rows: list[bytes], edited: frozenset[int] | None
) -> IndexFile:
    """The doc chunk of these rows (`at`: the id of the first, and docs per chunk): the
    live one, as recorded, when none of its docs is `edited`."""
    start, per_chunk = at
    rel = f"search/d/{start // per_chunk}.json.gz"
    if edited is not None and place.held is not None:
        sha = place.held.get(rel)
        if sha is not None and edited.isdisjoint(range(start, start + len(rows))):
            return IndexFile(rel, sha, False)
    return place.put(rel, _chunk(rows))


def _chunk(rows: list[bytes]) -> bytes:
    # The same bytes as _json(list of rows): rows are already JSON.
    return gzip.compress(b"[" + b",".join(rows) + b"]", GZIP_LEVEL, mtime=0)


def _block_segments(first: int, rows: list[list], shards: int) -> list[bytes]:
    from sitegen.postings import block_segments  # numpy is loaded only when a block is indexed

    return block_segments(first, rows, shards)


_CACHE_TAG: Final = f"sitegen-segments 5 {FORMAT} {SHARD_LEVEL} {PIECE_SHARDS}"
# A cached block's file: this line, its segment count (4 bytes), each segment's length (array
# "I"), the segments end to end, then its doc chunk files (marshal). A join reads one range
# of shards of each block by offset (see _join_shards), never a whole block at once.
_PART_HEAD: Final = (_CACHE_TAG + "\n").encode()
# Raw shard bytes a join holds at once: the shards are joined range by range. (Joined whole,
# a clean build of 100 000 articles held some 300 MB of shards at its end: a third of its
# peak memory.)
JOIN_BYTES: Final = 32 * 1024 * 1024


def _load(path: Path) -> tuple | None:
    """What `_store` wrote there with this format's tag (marshal: loading cannot run code)."""
    try:
        value = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    ok = isinstance(value, tuple) and len(value) == 3 and value[0] == _CACHE_TAG
    return value[1:] if ok else None


def _load_part(path: Path) -> _Part | None:
    """A cached block, or None."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    lengths = _part_lengths(data)
    if lengths is None:
        return None
    segments, at = _cut(data, _part_start(lengths), lengths)
    try:
        return segments, [IndexFile(rel, sha, False) for rel, sha in marshal.loads(data[at:])]
    except (TypeError, ValueError, EOFError):
        return None


def _part_lengths(data: bytes) -> memoryview | None:
    """The segment lengths a cached block's file (or its head) gives, if it has this format."""
    if not data.startswith(_PART_HEAD):
        return None
    at = len(_PART_HEAD) + 4
    count = int.from_bytes(data[at - 4 : at], "little")
    raw = data[at : at + count * array("I").itemsize]
    return memoryview(raw).cast("I") if len(raw) == count * array("I").itemsize else None


def _part_start(lengths: memoryview) -> int:
    """Where a cached block's segments start in its file."""
    return len(_PART_HEAD) + 4 + len(lengths) * lengths.itemsize


def _cut(data: bytes, at: int, lengths: Iterable[int]) -> tuple[list[bytes], int]:
    """The segments of these lengths in `data` from `at`, and where the last one ends."""
    segments = []
    for length in lengths:
        segments.append(data[at : at + length])
        at += length
    return segments, at


def _lengths(segments: list[bytes]) -> bytes:
    return array("I", map(len, segments)).tobytes()


def _store_part(path: Path, part: _Part) -> None:
    segments, files = part
    head = _PART_HEAD + len(segments).to_bytes(4, "little") + _lengths(segments)
    tail = marshal.dumps([(f.rel, f.sha) for f in files])
    write_atomically(path, b"".join([head, *segments, tail]))


def _store(path: Path, value: object) -> None:
    write_atomically(path, marshal.dumps(value))


def _prune_cache(cache: Path, keep: set[str]) -> None:
    if cache.is_dir():
        for path in cache.glob("*.bin"):  # not another process's .tmp, about to be renamed
            if path.stem not in keep:
                path.unlink(missing_ok=True)


def _shard_count(weight: int) -> int:
    """A power of two giving shards of about SHARD_BYTES. Compressed shards come to about a
    fifth of the docs' bytes (`weight`); estimated from the docs alone, so that blocks can
    be encoded (and cached) before the whole index is known. (When the count changes, as an
    archive doubles, every block is indexed again.)"""
    estimate = weight * 0.2
    shards = 1
    while shards * SHARD_BYTES < estimate and shards < 65536:
        shards *= 2
    return shards


@dataclass(frozen=True, slots=True)
class _Record:
    """The index as the last build left it (cache/index.marshal): its shard count; each
    block's digest and doc chunk files, in id order; each shard file's sha256; and where to
    find each block's segment length in each shard. Those lengths are blocks times shards
    (157 MB at 300 000 articles, 2 GB at a million), so they are not held but kept in a
    table file (see _table_path), shard by shard, which an edit reads for the shards it
    splices only; `changed` holds the lengths edits changed since the table was written
    (shard -> block -> length)."""

    shards: int
    blocks: list[tuple[str, list[tuple[str, str]]]]
    shas: list[str]
    table: str  # the token naming the table file
    changed: dict[int, dict[int, int]]


# Lengths an edit's record may carry in `changed` before the table is written again with
# them (a few hundred per edit; a loaded record of 65 536 comes to about 3 ms).
CHANGED_LIMIT: Final = 65_536
_TOKEN: Final = re.compile(r"[0-9a-f]{16}")


def _load_record(cache: Path | None, shards: int) -> _Record | None:
    """The record, if there is one for this shard count and it holds what it should."""
    value = _load(cache / "index.marshal") if cache is not None else None
    if value is None or value[0] != shards:
        return None
    try:
        blocks, shas, table, changed = value[1]
        whole = (
            len(shas) == shards
            and all(type(sha) is str for sha in shas)
            and all(isinstance(files, list) for _digest, files in blocks)
            and _TOKEN.fullmatch(table) is not None
            and all(type(lengths) is dict for lengths in changed.values())
        )
    except (TypeError, ValueError, AttributeError):
        return None
    return _Record(shards, blocks, shas, table, changed) if whole else None


def _store_record(cache: Path | None, record: _Record) -> None:
    """Store the record, then remove the table files it does not name (an earlier one, or
    one a killed build wrote but never recorded)."""
    if cache is None:
        return
    data = (record.blocks, record.shas, record.table, record.changed)
    _store(cache / "index.marshal", (_CACHE_TAG, record.shards, data))
    keep = _table_path(cache, record.table)
    for path in cache.glob("lengths-*.u32"):
        if path != keep:
            path.unlink(missing_ok=True)


def _table_path(cache: Path, token: str) -> Path:
    """The table of segment lengths: shard n's lengths, one per block (array "I"), at
    n * blocks * 4. Shard-major, so that what a splice needs of it is one read per shard."""
    return cache / f"lengths-{token}.u32"


def _columns(cache: Path, record: _Record, wanted: Iterable[int]) -> dict[int, array] | None:
    """Each wanted shard's segment lengths, one per block, as edits left them; None if the
    table is gone or is not the size the record says."""
    count = len(record.blocks)
    columns: dict[int, array] = {}
    try:
        with _table_path(cache, record.table).open("rb") as file:
            if os.fstat(file.fileno()).st_size != 4 * count * record.shards:
                return None
            for n in wanted:
                file.seek(4 * n * count)
                columns[n] = _column(file.read(4 * count), record.changed.get(n, {}))
    except OSError:
        return None
    return columns


def _column(raw: bytes, changed: dict[int, int]) -> array:
    column = array("I", raw)
    for at, length in changed.items():
        column[at] = length
    return column


def _rewrite_table(cache: Path, record: _Record, appended: Iterable[list[bytes]] = ()) -> str:
    """A new table file with the record's changed lengths in it, and after each shard's
    those of the blocks `appended` (each block's segments, shard by shard); returns its
    token. One shard's lengths at a time: a million articles' table is 2 GB."""
    token, count = os.urandom(8).hex(), len(record.blocks)
    path = _table_path(cache, token)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # swept if a kill leaves it
    with _table_path(cache, record.table).open("rb") as old, tmp.open("wb") as new:
        for n in range(record.shards):
            column = _column(old.read(4 * count), record.changed.get(n, {}))
            column.extend(len(segments[n]) for segments in appended)
            new.write(column.tobytes())
    tmp.replace(path)
    return token


def _shard_major(sizes: list[array], width: int) -> bytes:
    """The lengths of a range of `width` shards, given block by block, shard by shard."""
    import numpy as np  # loaded by the blocks' indexing already (sitegen/postings.py)

    if not sizes:
        return b""
    grid = np.frombuffer(b"".join(a.tobytes() for a in sizes), dtype=np.uint32)
    return grid.reshape(len(sizes), width).T.tobytes()


def _splice_shards(
    blocks: list[_Block], parts: dict[int, _Part], record: _Record | None, place: Place,
    cache: Path | None,
) -> list[IndexFile] | None:  # fmt: skip
    """The shards after a few blocks changed, made from the live ones: only the shards where
    a changed block's segment differs are read, and there only its segment is replaced.
    (An edit changes one block, and its new words reach a few dozen of the 512 shards at
    10 000 articles; joining every shard from every block's segments took longer.) None
    when a live shard or cached block is missing (the caller checked `_may_splice`)."""
    assert record is not None and cache is not None
    changed = _changed_shards(blocks, parts, record, cache)
    if changed is None:
        return None
    rels = [_shard_rel(n) for n in range(record.shards)]
    if not all(place.holds(rel, sha) for rel, sha in zip(rels, record.shas, strict=True)):
        return None
    columns = _columns(cache, record, sorted(changed))
    if columns is None:
        return None
    added = len(blocks) - len(record.blocks)
    for column in columns.values():
        column.extend([0] * added)  # a new block has no segment in the live shard
    span = _piece_span(record.shards)
    touched = sorted({at // span for at, block in enumerate(blocks) if block.first in parts})
    splice = partial(_splice_shard, blocks, parts, columns, place, (span, touched))
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:  # zlib and file writes let go of the GIL
        done = dict(zip(sorted(changed), pool.map(splice, sorted(changed)), strict=True))
    if None in done.values():
        return None
    files = [done.get(n) or IndexFile(rel, sha, False)
             for n, (rel, sha) in enumerate(zip(rels, record.shas, strict=True))]  # fmt: skip
    shas = [file.sha for file in files]
    blocks_after = [
        (block.digest, [(f.rel, f.sha) for f in parts[block.first][1]])
        if block.first in parts else record.blocks[at]
        for at, block in enumerate(blocks)
    ]  # fmt: skip
    lengths = _lengths_after(blocks, parts, record.changed, changed)
    if added:  # the table gains the new blocks' lengths in every shard: written again
        new = [parts[block.first][0] for block in blocks[len(record.blocks) :]]
        old = {n: {at: size for at, size in sizes.items() if at < len(record.blocks)}
               for n, sizes in lengths.items()}  # fmt: skip
        table = _rewrite_table(cache, dataclasses.replace(record, changed=old), new)
        after = _Record(record.shards, blocks_after, shas, table, {})
    else:
        after = _Record(record.shards, blocks_after, shas, record.table, lengths)
    if sum(map(len, after.changed.values())) > CHANGED_LIMIT:
        after = _Record(after.shards, after.blocks, after.shas, _rewrite_table(cache, after), {})
    _store_record(cache, after)
    return files


def _lengths_after(
    blocks: list[_Block], parts: dict[int, _Part], before: dict[int, dict[int, int]],
    shards: Iterable[int],
) -> dict[int, dict[int, int]]:  # fmt: skip
    """The record's changed lengths with the changed blocks' new ones in these shards (in
    the others their segments, and so their lengths, are the same)."""
    after = dict(before)
    spliced = [
        (at, parts[block.first][0]) for at, block in enumerate(blocks) if block.first in parts
    ]
    for n in shards:
        after[n] = {**before.get(n, {}), **{at: len(segments[n]) for at, segments in spliced}}
    return after


def _may_splice(
    blocks: list[_Block], changed: int, record: _Record | None, cache: Path | None, place: Place
) -> bool:
    """Whether the last build's index may be spliced: its blocks line up with the first of
    these (the others are new, appended: a day's upload after a full last block), and fewer
    than half of them changed."""
    return not (record is None or cache is None or place.live is None
                or len(blocks) < len(record.blocks) or 2 * changed > len(blocks))  # fmt: skip


def _changed_shards(
    blocks: list[_Block], parts: dict[int, _Part], record: _Record, cache: Path
) -> set[int] | None:
    """The shards where a changed block's segments differ from that block's as the last
    build cached it (None if that is gone)."""
    changed: set[int] = set()
    for at, block in enumerate(blocks):
        if block.first in parts and at >= len(record.blocks):  # new: no segment before
            changed.update(n for n, segment in enumerate(parts[block.first][0]) if segment)
        elif block.first in parts:
            before = _load_part(cache / f"{record.blocks[at][0]}.bin")
            if before is None:
                return None
            pairs = zip(before[0], parts[block.first][0], strict=True)
            changed.update(n for n, (old, new) in enumerate(pairs) if old != new)
    return changed


def _splice_shard(
    blocks: list[_Block], parts: dict[int, _Part], columns: dict[int, array], place: Place,
    pieces_of: tuple[int, list[int]], n: int,
) -> IndexFile | None:  # fmt: skip
    """Shard n as the live one with the changed blocks' segments replaced, written: only
    the pieces that hold a changed block (`pieces_of`: blocks a piece, and those pieces)
    are inflated and compressed again; the others' bytes are copied. `columns`: each
    block's segment length in each spliced shard. None if the live file is not a shard
    file of these blocks, or a piece's segments do not add up to its length."""
    assert place.live is not None
    span, touched = pieces_of
    try:
        pieces = _pieces((place.live / _shard_rel(n)).read_bytes())
    except OSError:
        return None
    count = -(-len(blocks) // span)
    if pieces is None or len(pieces) > count:
        return None
    pieces += [b""] * (count - len(pieces))  # a new block may start a piece
    lengths = columns[n]
    for piece in touched:
        try:
            before = _unpack(pieces[piece])
        except zlib.error:
            return None
        at, segments = 0, []
        for block in range(piece * span, min(len(blocks), piece * span + span)):
            part = parts.get(blocks[block].first)
            segments.append(before[at : at + lengths[block]] if part is None else part[0][n])
            at += lengths[block]
        if at != len(before):
            return None
        pieces[piece] = _pack(b"".join(segments))
    return _put_shard(place, n, pieces)


def _join_shards(
    blocks: list[_Block], given: tuple[dict[int, _Part], Iterator[tuple[int, _Part]]],
    shards: int, where: tuple[Place, Path | None], work: Callable[[_Job], _Part],
) -> list[IndexFile]:  # fmt: skip
    """Every shard joined from every block's segments: the changed blocks' (in `given`: at
    hand, or `arriving` from the workers in block order), the others' from the cache
    (indexed again if they are not there). A shard whose bytes the live site holds is not
    written (see Place.put).

    The shards are joined a range at a time, each block's segments of that range read from
    its cache file by offset (_BlockFiles), so that about JOIN_BYTES of shards are held
    whatever the size of the archive; the table of segment lengths is written a range at a
    time too (see _Record). Without a cache folder every block's segments are held, and the
    shards joined in one range. The blocks that arrive keep only their doc chunk files in
    `parts` (see _files_of).
    """
    place, cache = where
    parts = given[0]
    held: list[list[bytes]] = []  # without a cache folder: every block's segments
    layout, total = [], 0
    for block, part, fresh in _parts_in_order(blocks, given, cache, work):
        if fresh:
            parts[block.first] = ([], part[1])
        if cache is None:
            held.append(part[0])
        layout.append((block.digest, [(f.rel, f.sha) for f in part[1]]))
        total += sum(map(len, part[0]))
    span = _piece_span(shards)
    if cache is None:
        return _write_range(place, span, (0, shards), partial(_held_range, held), None)
    step = max(1, shards * JOIN_BYTES // max(1, total))
    ranges = [(low, min(shards, low + step)) for low in range(0, shards, step)]
    token = os.urandom(8).hex()
    path = _table_path(cache, token)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # swept if a kill leaves it
    cache.mkdir(parents=True, exist_ok=True)  # not there yet when no block was indexed
    with tmp.open("wb") as table:
        segments_of = _BlockFiles(cache, blocks, work).range
        done = [shard for shards_of in ranges
                for shard in _write_range(place, span, shards_of, segments_of, table)]  # fmt: skip
    tmp.replace(path)
    _store_record(cache, _Record(shards, layout, [file.sha for file in done], token, {}))
    return done


def _parts_in_order(
    blocks: list[_Block], given: tuple[dict[int, _Part], Iterator[tuple[int, _Part]]],
    cache: Path | None, work: Callable[[_Job], _Part],
) -> Iterator[tuple[_Block, _Part, bool]]:  # fmt: skip
    """Each block, its part and whether the part is this build's (at hand or arriving)
    rather than cached (or indexed again, when the last build's cache file of it is gone);
    in block order, one at a time."""
    parts, arriving = given
    waiting = next(arriving, None)
    for block in blocks:
        part = parts.get(block.first)
        if part is None and waiting is not None and waiting[0] == block.first:
            part, waiting = waiting[1], next(arriving, None)
        if part is not None:
            yield block, part, True
            continue
        part = _load_part(cache / f"{block.digest}.bin") if cache is not None else None
        yield block, (part if part is not None else work(_job(block))), False


def _held_range(held: list[list[bytes]], span: tuple[int, int]) -> Iterator[list[bytes]]:
    return (segments[span[0] : span[1]] for segments in held)


class _BlockFiles:
    """The blocks' cache files, read for one range of shards after another, in order: each
    read takes the lengths and the segments of that range only, by offset."""

    def __init__(self, cache: Path, blocks: list[_Block], work: Callable[[_Job], _Part]) -> None:
        self._cache, self._blocks, self._work = cache, blocks, work
        self._done = [0] * len(blocks)  # bytes of each block's segments before the next range

    def range(self, span: tuple[int, int]) -> Iterator[list[bytes]]:
        """Each block's segments of the shards in `span`, read as they are asked for."""
        return (self._segments(at, span) for at in range(len(self._blocks)))

    def _segments(self, at: int, span: tuple[int, int]) -> list[bytes]:
        """Block `at`'s segments of the shards in `span` (indexed again, and cached, if its
        file went missing since the join began: the same segments)."""
        block = self._blocks[at]
        found = _read_range(self._cache / f"{block.digest}.bin", span, self._done[at])
        if found is None:
            found = self._work(_job(block))[0][span[0] : span[1]]
        self._done[at] += sum(map(len, found))
        return found


def _read_range(path: Path, span: tuple[int, int], before: int) -> list[bytes] | None:
    """The segments of the shards in `span` from a cached block's file (`before`: the bytes
    of its segments of the shards before them), or None if it is gone or unreadable."""
    low, high = span
    size = array("I").itemsize
    try:
        with path.open("rb") as file:
            head = file.read(len(_PART_HEAD) + 4)
            count = int.from_bytes(head[len(_PART_HEAD) :], "little")
            if not head.startswith(_PART_HEAD) or count < high:
                return None
            file.seek(len(head) + low * size)
            lengths = array("I", file.read((high - low) * size))
            file.seek(len(head) + count * size + before)
            data = file.read(sum(lengths))
    except (OSError, ValueError):
        return None
    if len(data) != sum(lengths) or len(lengths) != high - low:
        return None
    return _cut(data, 0, lengths)[0]


def _write_range(
    place: Place, span: int, shards: tuple[int, int],
    segments_of: Callable[[tuple[int, int]], Iterator[list[bytes]]], table: BinaryIO | None,
) -> list[IndexFile]:  # fmt: skip
    """The shards numbered in `shards` written, each joined from its segments of every
    block (`segments_of` gives them: one list per block, in block order, each let go of
    once joined: a range is held once, not twice), in pieces of `span` blocks; and their
    segment lengths added to `table`."""
    low, high = shards
    pieces: list[list[bytearray]] = [[] for _ in range(low, high)]  # shard -> raw pieces
    sizes: list[array] = []
    for at, block_segments in enumerate(segments_of(shards)):
        sizes.append(array("I", map(len, block_segments)))
        if at % span == 0:
            for raw in pieces:
                raw.append(bytearray())
        for raw, segment in zip(pieces, block_segments, strict=True):
            raw[-1] += segment
    if table is not None:
        table.write(_shard_major(sizes, high - low))
    # zlib and hashlib let go of the GIL: shards are compressed on all cores.
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        return list(pool.map(partial(_write_shard, place, low, pieces), range(low, high)))


def _write_shard(place: Place, low: int, pieces: list[list[bytearray]], number: int) -> IndexFile:
    raw, pieces[number - low] = pieces[number - low], []  # let go of it once written
    return _put_shard(place, number, [_pack(piece) for piece in raw])


def _put_shard(place: Place, number: int, pieces: list[bytes]) -> IndexFile:
    """Shard `number`'s file, of these compressed pieces (see the module's docstring), but
    for empty ones at the end: a new block's piece is no part of the shards it has no key
    of, whether they were spliced or joined."""
    while pieces and not pieces[-1]:
        pieces = pieces[:-1]
    head = [varint(len(pieces)), *(varint(len(piece)) for piece in pieces)]
    return place.put(_shard_rel(number), b"".join([*head, *pieces, _END]))


def _pack(raw: bytes | bytearray) -> bytes:
    """A shard's piece: raw deflate with no final block, flushed to a byte boundary, and
    compressed on its own, so that pieces made apart join into one stream (none refers
    back to another's bytes)."""
    if not raw:
        return b""
    packer = zlib.compressobj(SHARD_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(raw) + packer.flush(zlib.Z_SYNC_FLUSH)


def _unpack(piece: bytes) -> bytes:
    return zlib.decompressobj(-zlib.MAX_WBITS).decompress(piece)


# An empty final block (fixed Huffman codes): what ends the stream of a shard's pieces.
_END: Final = b"\x03\x00"


def _pieces(data: bytes) -> list[bytes] | None:
    """The compressed pieces of a shard file, or None if it is not one."""
    lengths, at = [], 0
    try:
        count, at = _varint_at(data, at)
        for _ in range(count):
            length, at = _varint_at(data, at)
            lengths.append(length)
    except IndexError:
        return None
    if at + sum(lengths) + len(_END) != len(data) or not data.endswith(_END):
        return None
    return _cut(data, at, lengths)[0]


def shard_segments(data: bytes) -> bytes:
    """A shard file's segments, end to end, as search.js inflates them (ValueError if it
    is not a shard file)."""
    pieces = _pieces(data)
    if pieces is None:
        raise ValueError("not a search index shard")
    try:
        return zlib.decompress(b"".join([*pieces, _END]), -zlib.MAX_WBITS)
    except zlib.error as error:
        raise ValueError(f"not a search index shard: {error}") from None


def _piece_span(shards: int) -> int:
    """Blocks per piece of a shard file (see PIECE_SHARDS)."""
    return max(1, shards // PIECE_SHARDS)


def _shard_rel(number: int) -> str:
    return f"search/s/{number}.bin"


def _varint_at(data: bytes, at: int) -> tuple[int, int]:
    """The varint at `at` in data, and where it ends (IndexError if it runs off the end)."""
    value, shift = 0, 0
    while True:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if byte < 0x80:
            return value, at


def varint(n: int) -> bytes:
    """The varint of n (7 bits a byte, low first)."""
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _meta(order: list[SearchDoc], per_chunk: int, shards: int, table: dict[str, str]) -> dict:
    years: dict[str, list[int]] = {}
    for doc_id, record in enumerate(order):
        span = years.setdefault(record.date[:4], [doc_id, doc_id])
        span[1] = doc_id + 1  # ids of one year are contiguous: ids run in date order
    return {
        "format": FORMAT,
        "docs": len(order),
        "shards": shards,
        "per_chunk": per_chunk,
        "years": years,
        "categories": {r.category: r.category_name for r in order},
        "t2s": "".join(a + b for a, b in sorted(table.items())),
    }


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
