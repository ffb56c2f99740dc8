"""What a keyed build record would cost (issue 18): a probe, not a target.

    python bench/keyed_probe.py [--size 100000 | --site SITE] [--out DIR]

A one-article edit by `sitegen build` still loads the whole record and assembles the whole
site. `sitegen serve` patches the pages that hold the edited record instead (see
sitegen/patch.py); doing that from disk needs those pages stored by name. This times, on
the bench corpus bench/out/site-N after a build into DIR (default: the corpus's own
public/), in one process:
- loading the record and assembling the site, as a build does today;
- pickling every page with its articles named by path (pickle's persistent_id), and
  writing the pages to a scratch SQLite file, as a clean build would once;
- fetching and unpickling one page in a thousand by its output name, as an edit would;
- the listing of the sources kept as marshal, loaded and compared with a fresh one.
Nothing in the corpus or its cache is changed; the scratch file is removed at the end.
"""

from __future__ import annotations

import argparse
import gc
import io
import marshal
import pickle
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sitegen.cache import load_cache  # noqa: E402 (after the path is set)
from sitegen.config import load_config  # noqa: E402
from sitegen.content import Article  # noqa: E402
from sitegen.entry import BuildOptions, _fingerprint, content_listing  # noqa: E402
from sitegen.site import assemble  # noqa: E402


class _ByPath(pickle.Pickler):
    """A page pickled with its articles named by path (they are stored once, by path)."""

    def persistent_id(self, obj: Any) -> str | None:
        return obj.path if type(obj) is Article else None


class _FromPath(pickle.Unpickler):
    def __init__(self, data: bytes, articles: dict[str, Article]) -> None:
        super().__init__(io.BytesIO(data))
        self._articles = articles

    def persistent_load(self, pid: str) -> Article:
        return self._articles[pid]


def timed(label: str, work: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = work()
    print(f"{label:<44} {time.perf_counter() - start:7.3f} s")
    return result


def pickled(page: Any) -> bytes:
    buffer = io.BytesIO()
    _ByPath(buffer, protocol=5).dump(page)
    return buffer.getvalue()


def stored(rows: list[tuple[str, bytes]], path: Path) -> int:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE page (name TEXT PRIMARY KEY, data BLOB)")
        db.executemany("INSERT INTO page VALUES (?, ?)", rows)
    return path.stat().st_size


def fetched(path: Path, names: list[str], articles: dict[str, Article]) -> list[Any]:
    db = sqlite3.connect(path)
    try:
        query = "SELECT data FROM page WHERE name = ?"
        return [_FromPath(db.execute(query, (n,)).fetchone()[0], articles).load() for n in names]
    finally:
        db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--site", type=Path, help="another site than the bench corpus")
    parser.add_argument("--out", type=Path, help="the folder the corpus was built into")
    args = parser.parse_args(argv)
    root = (args.site or HERE / "out" / f"site-{args.size}").resolve()
    out = (args.out or root / "public").resolve()
    config, _ = load_config(root)
    if config is None:
        print(f"no site at {root}: run bench/run.py --sizes {args.size} first", file=sys.stderr)
        return 2
    gc.disable()  # as a build runs
    cache = timed(
        "load the record", lambda: load_cache(root, _fingerprint(config, BuildOptions()), out)
    )
    if not cache.sources:
        print(f"no build record for {out}: build the corpus into it first", file=sys.stderr)
        return 2
    articles = [e.article for e in cache.sources.values() if e.article and not e.article.draft]
    site = timed("assemble the site", lambda: assemble(articles, config))
    rows = timed("pickle every page, articles by path", lambda: [
        (name, pickled(page)) for name, page in zip(site.outputs, site.pages, strict=True)
    ])  # fmt: skip
    by_path = {a.path: a for a in site.articles}
    with tempfile.TemporaryDirectory() as scratch:
        db = Path(scratch) / "pages.sqlite"
        size = timed("write them to SQLite", lambda: stored(rows, db))
        names = list(site.outputs[::1000])
        again = timed(f"fetch and unpickle {len(names)} pages by name",
                      lambda: fetched(db, names, by_path))  # fmt: skip
    if again != list(site.pages[::1000]):
        print("a page came back from the table unlike itself", file=sys.stderr)
        return 1
    files, _ = content_listing(root)
    kept = marshal.dumps(files)
    timed(
        "load the kept listing, compare with this one",
        lambda: files.items() - marshal.loads(kept).items(),
    )
    print(f"{len(site.pages)} pages, {len(articles)} articles; pages table {size >> 20} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
