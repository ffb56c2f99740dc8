"""Rendered article bodies, kept on disk by the digest of their source file.

The article page, the print view, the feeds and the search index all need an article's
body; rendering Markdown is the costliest step of a build, so it is done once per source
version and stored, and no stage holds every body in memory at once.

Why SQLite and not a file per body: creating a file costs about 0.1 ms on an ext4 disk,
as much as rendering a short body, and a clean build of 10 000 articles made 10 000 of
them. One database is one open. Worker processes only read it: the bodies they render go
back to the parent with their pages, and the parent, otherwise idle, writes them, so that
no two processes wait on the database's write lock. Each process holds its own connection
(SQLite connections must not cross a fork: a store connects on first use, `close()` ends it).

Bodies are sanitised here, once per source version (see sanitize.py), unless the site trusts
its HTML. The database records which policy made its bodies and starts empty under another
one: a body stored before sanitising, or under `html: trusted`, is never served to a safe site.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from sitegen import __version__
from sitegen.cache import CACHE_DIR
from sitegen.config import MARKDOWN_EXTENSIONS, Config
from sitegen.content import Article, body_source
from sitegen.plaintext import TEXT_FORMAT, plain_text
from sitegen.sanitize import POLICY_KEY

if TYPE_CHECKING:
    import markdown
    import nh3

    from sitegen.convert import Converter

_SCHEMA = "CREATE TABLE IF NOT EXISTS body (digest TEXT PRIMARY KEY, html TEXT, text TEXT)"
_MADE_BY = "CREATE TABLE IF NOT EXISTS made_by (policy TEXT)"
TRUSTED: Final = "trusted"  # the policy key of bodies kept as Markdown made them


def bodies_path(config: Config) -> Path:
    # Bodies depend on the Markdown settings, which change only with sitegen's version, on
    # the HTML policy, and hold their plain text only when the site has search: a store of
    # each kind.
    settings = (__version__, MARKDOWN_EXTENSIONS, TEXT_FORMAT, config.search, config.html)
    tag = hashlib.sha256(repr(settings).encode()).hexdigest()[:8]
    return config.root / CACHE_DIR / f"bodies-{tag}.sqlite"


def body_store(config: Config, backlink_title: str = "") -> BodyStore:
    """The site's body store; `backlink_title` labels footnote links in bodies it renders."""
    return BodyStore(config.root, bodies_path(config), backlink_title, config.search,
                     trusted=config.html == "trusted")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Body:
    html: str
    stored_text: str | None = None  # kept only for sites with search, which reads every one

    @property
    def text(self) -> str:
        """The plain text, for excerpts and search."""
        return self.stored_text if self.stored_text is not None else plain_text(self.html)


class BodyStore:
    """Bodies in the database `path`; reads and writes go through one lazy connection."""

    def __init__(
        self, root: Path, path: Path, backlink_title: str, with_text: bool, trusted: bool = False
    ) -> None:
        self.root = root
        self.path = path
        self._backlink_title = backlink_title
        self._with_text = with_text  # store the plain text too (the search index needs it)
        self._policy = TRUSTED if trusted else POLICY_KEY
        self._md: markdown.Markdown | None = None
        self._cleaner: nh3.Cleaner | None = None
        self._db: sqlite3.Connection | None = None
        self._last: tuple[str, Body] | None = None  # an article page and its print view
        self._made: list[tuple[str, str, str | None]] = []

    def __enter__(self) -> BodyStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _connect(self, recover: bool = False) -> sqlite3.Connection:
        """The connection; a damaged store raises DatabaseError, or, with `recover` (the one
        writer: see the module's docstring), is started afresh: it is only a cache. Readers
        (the workers, the search child) render what they cannot read instead: one that
        removed the files while the writer made them anew lost it what it had written, or
        found them gone under its own removal."""
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._db = _open(self.path, self._policy)
            except sqlite3.DatabaseError:
                if not recover:
                    raise
                for stale in self.path.parent.glob(self.path.name + "*"):
                    stale.unlink(missing_ok=True)
                self._db = _open(self.path, self._policy)
        return self._db

    def get(self, article: Article) -> Body:
        if self._last is not None and self._last[0] == article.digest:
            return self._last[1]
        row = self.stored(article.digest)
        body = Body(*row) if row else self.render(article)
        if not row:
            self._made.append((article.digest, body.html, body.stored_text))
        self._last = (article.digest, body)
        return body

    def stored(self, key: str) -> tuple[str, str | None] | None:
        """The (html, text) stored under `key`, or None."""
        try:
            return (
                self._connect()
                .execute("SELECT html, text FROM body WHERE digest = ?", (key,))
                .fetchone()
            )
        except sqlite3.DatabaseError:  # damaged under us: render, and keep the page right
            return None

    def made(self, key: str, body: Body) -> None:
        """Note a body made here under `key`, for `take_made` (see ConvertedBodies)."""
        self._made.append((key, body.html, body.stored_text))

    def take_made(self) -> list[tuple[str, str, str | None]]:
        """Bodies rendered since the last call, as rows for `save` (in the one writer)."""
        made, self._made = self._made, []
        return made

    def save(self, rows: list[tuple[str, str, str | None]]) -> None:
        if rows:
            db = self._connect(recover=True)
            db.executemany("INSERT OR REPLACE INTO body VALUES (?, ?, ?)", rows)
            db.commit()

    def render(self, article: Article) -> Body:
        from sitegen.plainmd import plain_html  # (only a build that renders imports it)

        path = Path(article.path)
        source = body_source(path, (self.root / path).read_bytes())
        # A plain document's HTML needs no sanitising (see markup.made_plain), nor
        # Python-Markdown: an edit's build imports it only for a body that is not plain.
        html = plain_html(source)
        if html is None:
            html = self._converted(source)
        return Body(html, plain_text(html) if self._with_text else None)

    def _converted(self, source: str) -> str:
        # (Imported here: a build's search child reads stored bodies only, and starts
        # before the build has imported Markdown: see sitegen/entry.py.)
        from sitegen.markup import make_markdown, to_html
        from sitegen.sanitize import make_cleaner, sanitize

        if self._md is None:
            self._md = make_markdown(self._backlink_title)
        html = to_html(self._md, source)  # (never plain: render tried that)
        if self._policy != TRUSTED:
            if self._cleaner is None:
                self._cleaner = make_cleaner()
            html = sanitize(html, self._cleaner)
        return html

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def forget(self, digests: set[str]) -> None:
        """Remove the bodies of these source digests (and their conversions, "digest:t2s")."""
        if digests and self.path.exists():
            db = self._connect(recover=True)
            # ":" sorts after every hex digit and before "~": the key and its conversions.
            db.executemany("DELETE FROM body WHERE digest = ? OR digest BETWEEN ? AND ?",
                           ((d, d + ":", d + ":~") for d in digests))  # fmt: skip
            db.commit()

    def prune(self, keep: set[str]) -> None:
        """Remove bodies of sources that no longer exist."""
        if not self.path.exists():
            return
        db = self._connect(recover=True)
        db.execute("CREATE TEMP TABLE IF NOT EXISTS keep (digest TEXT PRIMARY KEY)")
        db.execute("DELETE FROM keep")
        db.executemany("INSERT OR IGNORE INTO keep VALUES (?)", ((d,) for d in keep))
        # Conversions ("digest:t2s") go with their source's body.
        db.execute("DELETE FROM body WHERE substr(digest, 1, 64) NOT IN (SELECT digest FROM keep)")
        db.commit()


class ConvertedBodies:
    """The bodies of `store` in the site's second script (issue 16): each converted once per
    source version and conversion, and kept in the same store as "<digest>:<conversion>",
    so that an edit converts one article. Reads as a BodyStore does (`get`)."""

    def __init__(self, store: BodyStore, converter: Converter) -> None:
        self.store = store
        self.converter = converter
        self._last: tuple[str, Body] | None = None  # an article page and its print view

    def get(self, article: Article) -> Body:
        key = f"{article.digest}:{self.converter.conversion}"
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        row = self.store.stored(key)
        if row:
            body = Body(*row)
        else:  # the text is made from the HTML when asked for: only feeds want it
            body = Body(self.converter.html(self.store.get(article).html))
            self.store.made(key, body)
        self._last = (key, body)
        return body


def _open(path: Path, policy: str) -> sqlite3.Connection:
    # WAL lets the workers read while another one commits; NORMAL syncs only at checkpoints
    # (a power cut may lose the last bodies, which are then rendered again).
    # Not tied to its thread: while the workers index, the pool's feeder thread reads the
    # texts of the next blocks (one thread at a time uses a store).
    db = sqlite3.connect(path, timeout=120, check_same_thread=False)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute(_SCHEMA)
    db.execute(_MADE_BY)
    made_by = db.execute("SELECT policy FROM made_by").fetchall()
    if made_by != [(policy,)]:  # bodies of another policy (or of none): start empty
        db.execute("DELETE FROM body")
        db.execute("DELETE FROM made_by")
        db.execute("INSERT INTO made_by VALUES (?)", (policy,))
    db.commit()
    return db
