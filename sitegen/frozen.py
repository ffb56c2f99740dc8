"""Helpers for the immutable records that cross into worker processes, so must pickle.

FrozenMap: a read-only mapping for record fields that, unlike MappingProxyType, pickles.
pickled_by_fields: a cheaper way to pickle a frozen, slotted dataclass.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

_Record = TypeVar("_Record", bound=type)


def field_values(cls: type) -> operator.attrgetter:
    """A function giving a dataclass record's field values as a tuple, in field order."""
    fields = dataclasses.fields(cls)
    assert len(fields) > 1, cls  # attrgetter of one name gives the value, not a tuple
    return operator.attrgetter(*(f.name for f in fields))


def pickled_by_fields(cls: _Record) -> _Record:
    """Pickle a frozen, slotted dataclass as the arguments of its constructor.

    Python 3.11 pickles such a record through a Python-level __getstate__ that calls
    dataclasses.fields() each time, and restores it one setattr at a time; a clean build
    sends every page and article across a process boundary, and that took a third of a
    second of its 17 CPU seconds. (The class must take every field in __init__.)
    """
    assert all(f.init for f in dataclasses.fields(cls)), cls
    values = field_values(cls)

    def __reduce__(self):  # noqa: N807 (pickle's protocol)
        return (cls, values(self))

    cls.__reduce__ = __reduce__
    return cls


class FrozenMap(Mapping[str, Any]):
    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self._data = dict(data or {})

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._data.items(), key=repr)))

    def __reduce__(self):
        return (FrozenMap, (self._data,))
