"""The record of a build's pages (each output's key and file digest), packed for edits.

At 100 000 articles the record names 210 000 pages. As a dict of hex strings it took an
edit's build 0.13 s to read and 0.05 s to write, though the edit looks up a few dozen
names and changes as many. Packed, the names sorted in one list and each one's key and
digest as raw bytes in one bytes object at the name's place, it reads in 0.02 s (the
names' strings: the digests stay bytes until asked for), is looked up by bisection, and
an edit's entries are merged in without unpacking the others.

An entry whose key or digest is not a SHA-256 in hex (a static file's key is "static")
is kept apart, as it is.
"""

from __future__ import annotations

import marshal
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from itertools import chain, compress, count
from typing import Final

Entry = tuple[str, str]  # (the page's key, the sha256 of its file), both in hex
WIDTH: Final = 64  # bytes per packed name: the key's 32, then the digest's 32


class PageRecord(Mapping[str, Entry]):
    """output name -> Entry, read-only; `updated` makes the record after an edit."""

    __slots__ = ("_names", "_packed", "_odd")

    def __init__(self, names: list[str], packed: bytes, odd: dict[str, Entry]) -> None:
        self._names = names  # sorted
        self._packed = packed  # WIDTH bytes per name, in the names' order
        self._odd = odd  # the entries that do not pack (none of them in _names)

    @classmethod
    def of(cls, entries: Mapping[str, Entry]) -> PageRecord:
        """The record of these entries (0.1 s for 210 000: C loops over all of them at once,
        as a full build's record is saved)."""
        names = sorted(entries)
        pairs = list(map(entries.__getitem__, names))
        lengths = map(len, chain.from_iterable(pairs))
        # The places of the entries that cannot pack (a static file's key is "static"):
        # a few, taken out from the last.
        short = sorted({at // 2 for at in compress(count(), map(WIDTH.__ne__, lengths))})
        odd = {names[at]: pairs[at] for at in short}
        for at in reversed(short):
            del names[at], pairs[at]
        packed = _unhexed(chain.from_iterable(pairs))
        if packed is None:  # not lower-case hex: sorted out one by one (no build makes one)
            odd.update(
                (name, pair) for name, pair in zip(names, pairs, strict=True) if not _packs(pair)
            )
            names = [name for name in names if name not in odd]
            packed = _unhexed(chain.from_iterable(map(entries.__getitem__, names)))
            assert packed is not None, "each one packs"
        return cls(names, packed, odd)

    @classmethod
    def loads(cls, data: bytes) -> PageRecord:
        """The record `dumps` wrote (ValueError, EOFError or TypeError if it is damaged)."""
        value = marshal.loads(data)
        if type(value) is not tuple or len(value) != 3:
            raise ValueError("a record of the outputs of the wrong type")
        names, packed, odd = value
        if type(names) is not list or type(packed) is not bytes or type(odd) is not dict:
            raise ValueError("a record of the outputs of the wrong shape")
        if len(packed) != WIDTH * len(names) or (names and set(map(type, names)) != {str}):
            raise ValueError("a record of the outputs of the wrong shape")
        if odd and (set(map(type, odd)) != {str} or not all(map(_is_entry, odd.values()))):
            raise ValueError("a record of the outputs of the wrong shape")
        return cls(names, packed, odd)

    def dumps(self) -> bytes:
        return marshal.dumps((self._names, self._packed, self._odd))

    def _at(self, name: str) -> int:
        """The place of `name` among the packed names, or -1."""
        names = self._names
        at = bisect_left(names, name)
        return at if at < len(names) and names[at] == name else -1

    def __getitem__(self, name: str) -> Entry:
        found = self._odd.get(name)
        if found is not None:
            return found
        at = self._at(name)
        if at < 0:
            raise KeyError(name)
        raw = self._packed[at * WIDTH : (at + 1) * WIDTH].hex()
        return raw[: WIDTH], raw[WIDTH :]  # fmt: skip

    def __contains__(self, name: object) -> bool:
        return type(name) is str and (name in self._odd or self._at(name) >= 0)

    def __iter__(self) -> Iterator[str]:
        yield from self._names
        yield from self._odd

    def __len__(self) -> int:
        return len(self._names) + len(self._odd)

    def as_dict(self) -> dict[str, Entry]:
        """Every entry, unpacked (a full build's record: 0.06 s at 100 000 articles)."""
        text, step = self._packed.hex(), 2 * WIDTH
        found = {
            name: (text[at : at + WIDTH], text[at + WIDTH : at + step])
            for name, at in zip(self._names, range(0, len(text), step), strict=True)
        }  # fmt: skip
        found.update(self._odd)
        return found

    def updated(self, entries: Mapping[str, Entry]) -> PageRecord:
        """This record with these entries put in (new names, or new values for old ones)."""
        packed, odd, new = bytearray(self._packed), dict(self._odd), []
        for name, entry in entries.items():
            at = self._at(name)
            if not _packs(entry):
                if at >= 0:  # (no build makes a page's entry odd: made again, to be right)
                    return PageRecord.of({**self.as_dict(), **entries})
                odd[name] = entry
                continue
            odd.pop(name, None)
            raw = bytes.fromhex(entry[0] + entry[1])
            if at >= 0:
                packed[at * WIDTH : (at + 1) * WIDTH] = raw
            else:
                new.append((name, raw))
        names, packed = _merged(self._names, bytes(packed), sorted(new))
        return PageRecord(names, packed, odd)


def _sized(entry: Entry) -> bool:
    return len(entry[0]) == len(entry[1]) == WIDTH


def _packs(entry: Entry) -> bool:
    """Whether an entry is two SHA-256 digests in lower-case hex, which pack to bytes and
    unpack to the same strings."""
    return _sized(entry) and _unhexed(entry) is not None


def _unhexed(texts: Iterable[str]) -> bytes | None:
    """The bytes these hex strings spell, end to end, if each of their characters is a
    lower-case hex digit (bytes.fromhex also takes upper case, and spaces between bytes)."""
    text = "".join(texts)
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        return None
    if 2 * len(raw) != len(text) or any(letter in text for letter in "ABCDEF"):
        return None
    return raw


def _is_entry(value: object) -> bool:
    return type(value) is tuple and len(value) == 2 and set(map(type, value)) == {str}


def _merged(
    names: list[str], packed: bytes, new: list[tuple[str, bytes]]
) -> tuple[list[str], bytes]:
    """The sorted names and their packed entries with these (sorted, none of them in
    `names`) put in their places: one copy of each, however many come."""
    if not new:
        return names, packed
    merged, pieces, last = [], [], 0
    for name, raw in new:
        at = bisect_left(names, name, last)
        merged += names[last:at]
        merged.append(name)
        pieces += (packed[last * WIDTH : at * WIDTH], raw)
        last = at
    merged += names[last:]
    pieces.append(packed[last * WIDTH :])
    return merged, b"".join(pieces)
