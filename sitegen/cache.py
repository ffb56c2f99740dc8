"""The build cache: the only state kept between builds (.sitegen-cache/cache.json).

It records, per content file, its stat signature, digest and parsed record, and per output
file the key of what it was made from and the digest of its bytes. Any doubt (another
version, other settings, another output folder, a damaged file) means starting empty, which
costs time but never gives a wrong site.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Final

from sitegen.content import Article
from sitegen.frozen import FrozenMap
from sitegen.problems import Problem

CACHE_DIR: Final = ".sitegen-cache"
SCHEMA: Final = 1


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
    listing: dict[str, tuple[int, int]] = field(default_factory=dict)  # as the build left it
    # Each loaded entry with its JSON, so that saving re-serialises only entries that changed.
    loaded: dict[str, tuple[SourceEntry, dict]] = field(default_factory=dict, repr=False)
    warning: str | None = None  # why an existing cache was not used


def cache_file(root: Path, out: Path) -> Path:
    """One cache per output folder, so `serve` and `build` do not undo each other's work."""
    tag = hashlib.sha256(str(out).encode("utf-8")).hexdigest()[:12]
    return root / CACHE_DIR / f"cache-{tag}.json"


def load_cache(root: Path, fingerprint: str, out: Path) -> BuildCache:
    path = cache_file(root, out)
    empty = BuildCache(fingerprint, str(out))
    if not path.exists():
        return empty
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("schema") != SCHEMA or raw.get("fingerprint") != fingerprint:
            empty.warning = "settings or sitegen version changed since the last build"
            return empty
        if raw.get("out") != str(out):
            empty.warning = f"last build went to {raw.get('out')}"
            return empty
        loaded = {p: (_source_from_json(e), e) for p, e in raw["sources"].items()}
        outputs = {o: (k, s) for o, (k, s) in raw["outputs"].items()}
        listing = {o: (m, s) for o, (m, s) in raw["listing"].items()}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        empty.warning = f"build cache {path} is unreadable ({exc.__class__.__name__})"
        return empty
    sources = {p: entry for p, (entry, _) in loaded.items()}
    return BuildCache(fingerprint, str(out), sources, outputs, listing, loaded)


def _entry_json(cache: BuildCache, path: str, entry: SourceEntry) -> dict[str, Any]:
    known = cache.loaded.get(path)
    return known[1] if known is not None and known[0] is entry else _source_to_json(entry)


def save_cache(root: Path, cache: BuildCache) -> None:
    path = cache_file(root, Path(cache.out))
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "schema": SCHEMA,
        "fingerprint": cache.fingerprint,
        "out": cache.out,
        "sources": {
            p: _entry_json(cache, p, e)
            for p, e in sorted(cache.sources.items())
            if e.article is None or json_safe(dict(e.article.extra))  # else: parse it again
        },
        "outputs": dict(sorted(cache.outputs.items())),
        "listing": dict(sorted(cache.listing.items())),
    }
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    tmp.replace(path)


def _source_to_json(entry: SourceEntry) -> dict[str, Any]:
    return {
        "stat": list(entry.stat),
        "digest": entry.digest,
        "article": _article_to_json(entry.article) if entry.article else None,
        "problems": [[p.path.as_posix(), p.message, p.line, p.severity] for p in entry.problems],
    }


def _source_from_json(raw: dict[str, Any]) -> SourceEntry:
    problems = tuple(Problem(Path(p), m, line, s) for p, m, line, s in raw["problems"])
    article = _article_from_json(raw["article"]) if raw["article"] else None
    return SourceEntry((raw["stat"][0], raw["stat"][1]), raw["digest"], article, problems)


def _article_to_json(article: Article) -> dict[str, Any]:
    data = {f.name: getattr(article, f.name) for f in fields(Article)}
    data["path"] = article.path.as_posix()
    data["date"] = article.date.isoformat()
    data["zone"] = str(article.date.tzinfo)
    data["extra"] = dict(article.extra)
    data["key_lines"] = dict(article.key_lines)
    data["tags"], data["aliases"] = list(article.tags), list(article.aliases)
    return data


def _article_from_json(data: dict[str, Any]) -> Article:
    from zoneinfo import ZoneInfo

    data = dict(data)
    zone = data.pop("zone")
    date = dt.datetime.fromisoformat(data["date"])
    if zone and "/" in zone:  # keep the named zone so the record equals a fresh parse
        date = date.astimezone(ZoneInfo(zone))
    data.update(
        path=Path(data["path"]),
        date=date,
        extra=FrozenMap(data["extra"]),
        key_lines=FrozenMap(data["key_lines"]),
        tags=tuple(data["tags"]),
        aliases=tuple(data["aliases"]),
    )
    return Article(**data)


def json_safe(value: Any) -> bool:
    """Whether a front-matter value survives a JSON round trip (dates in `extra` do not)."""
    try:
        return json.loads(json.dumps(value)) == value
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True, slots=True)
class QuickState:
    """What a build saw and left, so that a build with nothing to do can stop at once."""

    inputs: str  # signature of every source, layout, static file and the settings
    outputs: str  # signature of the output folder as the build left it
    pages: int
    warnings: tuple[Problem, ...]


def _state_file(root: Path, out: Path) -> Path:
    return cache_file(root, out).with_name(cache_file(root, out).name.replace("cache-", "state-"))


def load_state(root: Path, out: Path) -> QuickState | None:
    try:
        raw = json.loads(_state_file(root, out).read_text(encoding="utf-8"))
        warnings = tuple(Problem(Path(p), m, line, s) for p, m, line, s in raw["warnings"])
        return QuickState(raw["inputs"], raw["outputs"], raw["pages"], warnings)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_state(root: Path, out: Path, state: QuickState | None) -> None:
    path = _state_file(root, out)
    if state is None:
        path.unlink(missing_ok=True)
        return
    warnings = [[p.path.as_posix(), p.message, p.line, p.severity] for p in state.warnings]
    data = {"inputs": state.inputs, "outputs": state.outputs, "pages": state.pages,
            "warnings": warnings}  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
