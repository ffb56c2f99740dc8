"""One block of the search index: its docs' keys and postings, encoded as shard segments.

The format is described in sitegen/search.py. This module works with numpy on every
character of the block at once (125 articles of 4 KB are about 270 000 key occurrences).
The Python loop over them that did this before cost 1 ms of CPU per article, most of a
clean build's time with search on; the arrays take a third of that. Only the Latin words
(few, in Chinese text) are found per text, with search.LATIN_WORD.

Each occurrence of a key becomes one 64-bit number: key << (docbits + 9) | doc << 9 |
in-title << 8 | position bit. One sort puts a key's occurrences together, doc by doc; a run
of equal (key, doc) gives the posting's count, title flag and position mask.
Keys are numbers too: a CJK character is its code point, a pair of them cp1 << 21 | cp2
(code points are below 2**21), and the other keys (Latin words, categories) WORDS + their
rank in string order.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np

from sitegen.search import (
    CATEGORY_KEY,
    CJK_RANGES,
    LATIN_WORD,
    MAX_WORD,
    SPACE_CHARS,
    Normalizer,
    fnv1a,
    varint,
)

WORDS = 1 << 40  # above every pair of code points (< 2**39)
PAIRS = 1 << 21  # above every code point
_LOW = 9  # bits below the doc: in-title (bit 8) and the position bit (bits 0-7)
U64 = np.uint64


def block_segments(first: int, rows: Sequence[list], shards: int) -> list[bytes]:
    """The segment of each shard (b"" where the block has none of its keys) for the docs
    first, first + 1, ...; a row is [url, title, date, category, text]."""
    points, field = _forms().normalise([text for row in rows for text in (row[1], row[4])])
    docbits = max(1, (len(rows) - 1).bit_length())
    texts = _texts(points, field, 2 * len(rows))
    words, word_codes = _word_occurrences(texts, [row[3] for row in rows], docbits)
    codes = np.concatenate((_cjk_occurrences(points, field, docbits), word_codes))
    codes.sort()
    return _encode(_postings(codes, docbits, first), words, shards)


def normalise(texts: list[str]) -> list[str]:
    """[Normalizer.text(text) for text in texts], the way block_segments computes it."""
    points, field = _forms().normalise(texts)
    return _texts(points, field, len(texts))


def get_ready() -> None:
    """Make what every block needs (the tables of characters) before the first block comes:
    a build's search child does it while the site is read."""
    _forms()


@cache
def _forms() -> _Forms:
    return _Forms(Normalizer.from_file())  # one per process: it learns each character once


def _table(ranges: Sequence[tuple[int, int]]) -> np.ndarray:
    table = np.zeros(0x110000, dtype=bool)
    for low, high in ranges:
        table[low : high + 1] = True
    return table


class _Forms:
    """search.Normalizer.text for many texts at once: each character's normalised form
    (learnt the first time it is met), then white space folded as Normalizer folds it."""

    def __init__(self, normalizer: Normalizer) -> None:
        self.normalizer = normalizer
        self.cjk = _table(CJK_RANGES)
        self.space = _table([(ord(c), ord(c)) for c in SPACE_CHARS])
        self.known = np.zeros(0x110000, dtype=bool)
        self.index = np.zeros(0x110000, dtype=np.int32)  # code point -> number of its form
        self.forms: list[list[int]] = []
        self.starts = self.lengths = np.zeros(0, dtype=np.int64)
        self.flat = np.zeros(0, dtype=np.uint32)

    def normalise(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The normalised code points of the texts end to end, and the text of each."""
        raw = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), np.uint32)
        self._learn(raw)
        index = self.index[raw]
        lengths = self.lengths[index]
        points = self.flat[_spans(self.starts[index], lengths)]
        field = np.repeat(np.repeat(np.arange(len(texts)), [len(t) for t in texts]), lengths)
        return self._fold_spaces(points, field)

    def _learn(self, raw: np.ndarray) -> None:
        seen = np.zeros(0x110000, dtype=bool)
        seen[raw] = True
        new = np.flatnonzero(seen & ~self.known)
        if not len(new):
            return
        self.index[new] = np.arange(len(self.forms), len(self.forms) + len(new))
        self.known[new] = True
        self.forms += [[ord(c) for c in self.normalizer.char(code)] for code in new.tolist()]
        self.lengths = np.array([len(form) for form in self.forms], dtype=np.int64)
        self.starts = np.cumsum(self.lengths) - self.lengths
        self.flat = np.array([c for form in self.forms for c in form], dtype=np.uint32)

    def _fold_spaces(self, points: np.ndarray, field: np.ndarray) -> tuple[np.ndarray, ...]:
        """A run of white space becomes one space, or none at either end of its text or
        between two CJK characters."""
        space = self.space[points]
        new_field = np.concatenate(([True], field[1:] != field[:-1]))
        ends_field = np.concatenate((new_field[1:], [True]))
        starts = np.flatnonzero(space & (new_field | ~np.concatenate(([False], space[:-1]))))
        ends = np.flatnonzero(space & (ends_field | ~np.concatenate((space[1:], [False]))))
        inner = ~new_field[starts] & ~ends_field[ends]
        before = points[np.where(inner, starts - 1, 0)]
        after = points[np.where(inner, ends + 1, 0)]
        kept = starts[inner & ~(self.cjk[before] & self.cjk[after])]
        keep = ~space
        keep[kept] = True
        points = points.copy()
        points[kept] = ord(" ")
        return points[keep], field[keep]


def _texts(points: np.ndarray, field: np.ndarray, count: int) -> list[str]:
    joined = points.astype("<u4").tobytes().decode("utf-32-le", "surrogatepass")
    ends = np.cumsum(np.bincount(field, minlength=count)).tolist()
    return [joined[start:end] for start, end in zip([0, *ends], ends, strict=False)]


def _cjk_occurrences(points: np.ndarray, field: np.ndarray, docbits: int) -> np.ndarray:
    """The code of every CJK character and pair of CJK characters in the texts (title and
    text of each doc, in turn). A pair's position bit counts from the start of its run of
    CJK characters, so that an edit leaves the masks of the runs it did not touch alone."""
    cjk = _forms().cjk[points]
    same = field[1:] == field[:-1]  # a run never spans two texts
    field = field.astype(U64)
    tail = (field >> U64(1)) << U64(_LOW) | (~field & U64(1)) << U64(8)
    shift, points = U64(docbits + _LOW), points.astype(U64)
    at = np.flatnonzero(cjk)
    singles = points[at] << shift | tail[at]
    starts = cjk & ~np.concatenate(([False], cjk[:-1] & same))
    run_start = np.maximum.accumulate(np.where(starts, np.arange(len(points)), 0))
    at = np.flatnonzero(cjk[:-1] & cjk[1:] & same)
    bits = np.left_shift(1, (at - run_start[at]) & 7).astype(U64)
    pairs = (points[at] << U64(21) | points[at + 1]) << shift | tail[at] | bits
    return np.concatenate((singles, pairs))


def _word_occurrences(
    texts: list[str], categories: list[str], docbits: int
) -> tuple[list[str], np.ndarray]:
    """The block's other keys in string order, and the code of each of their occurrences:
    Latin words of titles and texts, and each doc's category (flags never set)."""
    found = [[word[:MAX_WORD] for word in LATIN_WORD.findall(text)] for text in texts]
    categories = [CATEGORY_KEY + category for category in categories]
    words = sorted({*categories}.union(*found))
    rank = {word: WORDS + n for n, word in enumerate(words)}
    shift = docbits + _LOW
    codes = [rank[word] << shift | doc << _LOW for doc, word in enumerate(categories)]
    for number, text_words in enumerate(found):
        tail = (number >> 1) << _LOW | (1 - (number & 1)) << 8
        codes += [rank[word] << shift | tail for word in text_words]
    return words, np.array(codes, dtype=U64)


def _postings(codes: np.ndarray, docbits: int, first: int) -> tuple[np.ndarray, ...]:
    """The key of each posting (in key order, then doc order), its value (id * 4 + flags:
    1 in the title, 2 three times or more) and its position mask."""
    pair = codes >> U64(_LOW)
    starts = _starts(pair)
    count = np.diff(np.append(starts, len(codes)))
    masks = np.bitwise_or.reduceat(codes & U64(0xFF), starts).astype(np.uint8)
    title = np.bitwise_or.reduceat((codes >> U64(8)) & U64(1), starts)
    pair = pair[starts]
    docs = pair & U64((1 << docbits) - 1)
    values = (docs + U64(first)) * U64(4) | title | (count >= 3) * U64(2)
    return pair >> U64(docbits), values, masks


def _starts(values: np.ndarray) -> np.ndarray:
    """Where each run of equal values starts."""
    return np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))


def _encode(postings: tuple[np.ndarray, ...], words: list[str], shards: int) -> list[bytes]:
    """Each shard's segment: its key count, then each of its keys' records."""
    keys, values, masks = postings
    firsts = _starts(keys)
    distinct = keys[firsts]
    shard, key_bytes, key_lengths = _key_bytes(distinct[distinct < U64(WORDS)], words, shards)
    order = np.lexsort((_sort_order(distinct), shard))  # by shard, then key
    pieces = [_varints(key_lengths[order]), _take(key_bytes, key_lengths, order)]
    pieces += _bodies(distinct, firsts, values, masks, order)
    records = _interleave(pieces)
    record_lengths = sum(lengths for _, lengths in pieces)
    sizes = np.bincount(shard[order], weights=record_lengths, minlength=shards).astype(np.int64)
    ends = np.cumsum(sizes).tolist()
    counts = np.bincount(shard, minlength=shards).tolist()
    return [
        varint(count) + records[end - size : end].tobytes() if count else b""
        for count, end, size in zip(counts, ends, sizes.tolist(), strict=True)
    ]


def _bodies(
    distinct: np.ndarray, firsts: np.ndarray, values: np.ndarray, masks: np.ndarray, order
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per key, in `order`: varint posting count, varint body length, then the body: the
    postings' values as varint deltas (from 0 at the key's first) and, for a pair of CJK
    characters, one mask byte per posting."""
    counts = np.diff(np.append(firsts, len(values)))
    deltas = values - np.concatenate(([U64(0)], values[:-1]))
    deltas[firsts] = values[firsts]
    delta_bytes, delta_lengths = _varints(deltas)
    delta_sizes = np.add.reduceat(delta_lengths, firsts)
    pair = (distinct >= U64(PAIRS)) & (distinct < U64(WORDS))
    mask_sizes = np.where(pair, counts, 0)
    return [
        _varints(counts[order]),
        _varints((delta_sizes + mask_sizes)[order]),
        _take(delta_bytes, delta_sizes, order),
        _take(masks[np.repeat(pair, counts)], mask_sizes, order),
    ]


def _sort_order(distinct: np.ndarray) -> np.ndarray:
    """A number per key that sorts like its string among CJK keys (a character before the
    pairs it starts), and after them for the other keys."""
    single = distinct < U64(PAIRS)
    first = np.where(single, distinct, distinct >> U64(21))
    second = np.where(single, U64(0), (distinct & U64(PAIRS - 1)) + U64(1))
    return np.where(distinct < U64(WORDS), first << U64(22) | second, distinct)


def _key_bytes(cjk: np.ndarray, words: list[str], shards: int) -> tuple[np.ndarray, ...]:
    """Per key (CJK keys, then words): its shard, and its UTF-8 bytes (flat, with lengths)."""
    pair = cjk >= U64(PAIRS)
    width = 1 + pair.astype(np.int64)
    points = np.repeat(np.where(pair, cjk >> U64(21), cjk), width)
    points[np.cumsum(width)[pair] - 1] = cjk[pair] & U64(PAIRS - 1)  # a pair's second
    owner = np.repeat(np.arange(len(cjk)), width)
    matrix, lengths = _utf8(points)
    raw = [word.encode("utf-8") for word in words]
    flat = np.concatenate((matrix[np.arange(4) < lengths[:, None]],
                           np.frombuffer(b"".join(raw), dtype=np.uint8)))  # fmt: skip
    key_lengths = np.concatenate(
        (np.bincount(owner, lengths, len(cjk)), [len(r) for r in raw])
    ).astype(np.int64)
    hashes = np.concatenate((_fnv(matrix, lengths, owner, len(cjk)),
                             np.array([fnv1a(word) for word in words], dtype=U64)))  # fmt: skip
    return (hashes % U64(shards)).astype(np.int64), flat, key_lengths


def _utf8(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each code point's UTF-8 bytes as a row of four (the first `length` used)."""
    lengths = 1 + (points >= 0x80) + (points >= 0x800) + (points >= 0x10000)
    lead = np.array([0, 0, 0xC0, 0xE0, 0xF0], dtype=U64)[lengths]
    matrix = np.zeros((len(points), 4), dtype=np.uint8)
    for column in range(4):
        # Byte `column` of an n-byte code point holds its bits from 6 * (n - 1 - column) up.
        bits = points >> ((lengths - 1 - column).clip(0) * 6).astype(U64)
        byte = np.where(column == 0, bits | lead, (bits & U64(0x3F)) | U64(0x80))
        matrix[:, column] = np.where(column < lengths, byte, 0)
    return matrix, lengths.astype(np.int64)


def _fnv(matrix: np.ndarray, lengths: np.ndarray, owner: np.ndarray, keys: int) -> np.ndarray:
    """32-bit FNV-1a of each key's UTF-8 bytes (search.fnv1a for many keys at once); rows of
    `matrix` are code points, `owner` the key of each."""
    hashes = np.full(keys, 0x811C9DC5, dtype=U64)
    second = np.concatenate(([False], owner[1:] == owner[:-1]))
    for rows in (~second, second):  # the first code point of each key, then a pair's second
        for column in range(4):
            used = np.flatnonzero(rows & (lengths > column))
            at = owner[used]
            hashes[at] = ((hashes[at] ^ matrix[used, column]) * U64(0x01000193)) & U64(0xFFFFFFFF)
    return hashes


def _varints(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every value's varint (7 bits a byte, low first), end to end, and each one's length."""
    values = values.astype(U64)
    lengths = np.ones(len(values), dtype=np.int64)
    for bits in range(7, 64, 7):
        lengths += values >= U64(1 << bits)
    out = np.empty(int(lengths.sum()), dtype=np.uint8)
    starts = np.cumsum(lengths) - lengths
    for byte in range(int(lengths.max(initial=0))):
        used = lengths > byte
        part = (values[used] >> U64(7 * byte)) & U64(0x7F)
        more = (lengths[used] > byte + 1).astype(U64) << U64(7)
        out[starts[used] + byte] = part | more
    return out, lengths


def _spans(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The indices start, start + 1, ... of each span, end to end."""
    ends = np.cumsum(lengths)
    total = int(ends[-1]) if len(ends) else 0
    return np.repeat(starts - (ends - lengths), lengths) + np.arange(total)


def _take(flat: np.ndarray, lengths: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, ...]:
    """`flat` cut into spans of `lengths`, the spans taken in `order`, with their lengths."""
    starts = np.cumsum(lengths) - lengths
    return flat[_spans(starts[order], lengths[order])], lengths[order]


def _interleave(pieces: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Records of one span of each piece: record k is piece 0's span k, piece 1's span k..."""
    record_lengths = sum(lengths for _, lengths in pieces)
    out = np.empty(int(record_lengths.sum()), dtype=np.uint8)
    offset = np.cumsum(record_lengths) - record_lengths
    for flat, lengths in pieces:
        out[_spans(offset, lengths)] = flat
        offset = offset + lengths
    return out
