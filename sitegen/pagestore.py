"""The last build's pages by output name, for an edit's build to patch (see sitegen/resume.py).

A build of one edited article in a large archive needs a few of its pages (the article's
own, its neighbours', the lists it is on), not the site: assembling 210 000 pages to find
them took 0.4 s of each edit at 100 000 articles, and loading every article's record to
assemble them 0.5 s. So each build leaves, beside its record, a store
(.sitegen-cache/pages-<tag>.sqlite, one per output folder, as the record) of:
- `page`: every page as plain values, its articles named by path;
- `article`: every article's record (as the record's parts hold it), its file's digest,
  and the names of the pages that hold it (never fewer than do: a name too many only
  costs a page rendered again to the same bytes);
- `list`: the paths of each category's articles and each month's, newest first (see
  list_rows), which a new article is put among (sitegen/addition.py);
- `meta`: the store's token, which the record names (a store that is not the one the
  record names is never used), and what an edit's build compares and reports (`Resume`).
Plain values and marshal, as the record: reading a store cannot run code. A full build
writes a new store beside the old and puts it in place; an incremental one changes the
pages it rendered and the articles that changed, in one transaction.
"""

from __future__ import annotations

import marshal
import os
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Final

from sitegen.bundles import ArticleFiles, Resource
from sitegen.cache import SourceEntry, article_from_plain, article_to_plain, cache_file
from sitegen.config import Config
from sitegen.content import Article
from sitegen.mediatypes import ImageInfo, Variant
from sitegen.problems import Problem
from sitegen.scan import Listing
from sitegen.site import Crumb, Page, Pager, month_of, records_of

_TABLES: Final = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB)",
    "CREATE TABLE page (name TEXT PRIMARY KEY, data BLOB) WITHOUT ROWID",
    "CREATE TABLE article (path TEXT PRIMARY KEY, digest TEXT, data BLOB, holds BLOB)",
    "CREATE INDEX article_digest ON article (digest)",
    "CREATE TABLE list (name TEXT PRIMARY KEY, data BLOB) WITHOUT ROWID",
)
_FORMAT: Final = "sitegen-pages 2"


@dataclass(frozen=True, slots=True)
class Resume:
    """What an edit's build needs of the last build besides its pages: what to compare
    with what it finds, and what to report again."""

    surroundings: str  # the signature of all the sources but the articles (entry.Seen)
    listing: Listing  # the articles' files, as the record's entries were read from them
    found: frozenset[str]  # files in the output folder that sitegen did not write
    # Each source's problems, in the order of their paths (those with none left out).
    problems: tuple[tuple[str, tuple[Problem, ...]], ...]
    checked: tuple[Problem, ...]  # what checking the articles' files found
    clashes: tuple[Problem, ...]  # what url_clashes found
    pages: int
    articles: int  # on the site (drafts aside, unless the build shows them)


def store_file(root: Path, out: Path) -> Path:
    cache = cache_file(root, out)
    return cache.with_name(cache.name.replace("cache-", "pages-")).with_suffix(".sqlite")


def write_store(
    root: Path, out: Path, pages: Iterable[tuple[str, Page]], entries: Mapping[str, SourceEntry],
    resume: Resume, lists: Mapping[str, tuple[str, ...] | None],
) -> str:  # fmt: skip
    """A new store of these pages (by output name), source entries and lists (see
    list_rows); its token. Written beside the old one and put in its place: a kill leaves
    one or the other."""
    path = store_file(root, out)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    token = os.urandom(8).hex()
    with closing(_connect(tmp)) as db, db:
        for statement in _TABLES:
            db.execute(statement)
        holds: dict[str, list[str]] = defaultdict(list)
        # In name order: the site's own (newest first in each category) left SQLite's
        # B-tree pages part empty (the benchmark's 10 000 articles: 32.9 MB, now 23.9 MB;
        # 210 000 rows made up alike: 138 MB and 1.06 s, now 74 MB and 0.85 s to write).
        in_order = sorted(pages, key=itemgetter(0))
        db.executemany("INSERT INTO page VALUES (?, ?)", _page_rows(in_order, holds))
        db.executemany("INSERT INTO article VALUES (?, ?, ?, ?)",
                       _article_rows(entries, holds))  # fmt: skip
        _put_lists(db, lists)
        _put_meta(db, token, resume)
    tmp.replace(path)
    return token


def update_store(
    root: Path, out: Path, expected: str | None, pages: Iterable[tuple[str, Page]],
    gone: Iterable[str], entries: Mapping[str, SourceEntry | None], resume: Resume,
    lists: tuple[bool, Mapping[str, tuple[str, ...] | None]] = (False, {}),
) -> str | None:  # fmt: skip
    """Change the store the record names (`expected`: its token): these pages written again
    (by output name), those gone removed, these source entries in place of theirs (None:
    the file is gone), these lists in place of theirs (`lists`: whether they are all of
    them, and the lists); its new token. None, with nothing changed, when the store is not
    that one (the caller writes a new one)."""
    path = store_file(root, out)
    if expected is None or not path.is_file():
        return None
    token = os.urandom(8).hex()
    try:
        with closing(_connect(path)) as db, db:
            if _token(db) != expected:
                return None
            db.executemany("DELETE FROM page WHERE name = ?", ((n,) for n in gone))
            _replace_articles(db, entries)
            _replace_pages(db, pages)
            if lists[0]:
                db.execute("DELETE FROM list")
            _put_lists(db, lists[1])
            _put_meta(db, token, resume)
    except sqlite3.DatabaseError:
        return None
    return token


class PageStore:
    """The store the record names, opened for an edit's build; every read returns None
    when what it needs is not there (the build then assembles the site as usual)."""

    def __init__(self, root: Path, out: Path, token: str | None) -> None:
        self._db: sqlite3.Connection | None = None
        path = store_file(root, out)
        if token is None or not path.is_file():
            return
        try:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        except sqlite3.DatabaseError:
            return
        try:
            found = _token(db)
        except sqlite3.DatabaseError:
            found = None
        if found == token:
            self._db = db
        else:
            db.close()

    def __enter__(self) -> PageStore:
        return self

    def __exit__(self, *exc) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def usable(self) -> bool:
        return self._db is not None

    def resume(self) -> Resume | None:
        raw = self._one("SELECT value FROM meta WHERE key = 'resume'")
        return _resume_from_plain(marshal.loads(raw)) if raw is not None else None

    def holding(self, paths: Iterable[str]) -> set[str] | None:
        """The names of the pages that hold these articles' records (None: one unknown)."""
        names: set[str] = set()
        for path in paths:
            raw = self._one("SELECT holds FROM article WHERE path = ?", path)
            if raw is None:
                return None
            names.update(marshal.loads(raw))
        return names

    def articles(self, paths: Iterable[str], config: Config) -> dict[str, Article] | None:
        """These articles' records, as the last build had them (None: one is not kept)."""
        found: dict[str, Article] = {}
        shared: dict = {}
        for path in paths:
            raw = self._one("SELECT data FROM article WHERE path = ?", path)
            if raw is None:
                return None
            found[path] = article_from_plain(marshal.loads(raw), shared)
        return found

    def pages(self, names: Iterable[str]) -> dict[str, tuple] | None:
        """These pages' plain forms (see page_from_plain); None when one is not kept."""
        found = {}
        for name in names:
            raw = self._one("SELECT data FROM page WHERE name = ?", name)
            if raw is None:
                return None
            found[name] = marshal.loads(raw)
        return found

    def listed(self, name: str) -> tuple[str, ...] | None:
        """A list's paths (see list_rows); None when it is not kept, or cannot be."""
        raw = self._one("SELECT data FROM list WHERE name = ?", name)
        return None if raw is None else marshal.loads(raw)

    def digest_in_use(self, digest: str) -> bool:
        return self._one("SELECT 1 FROM article WHERE digest = ? LIMIT 1", digest) is not None

    def _one(self, query: str, *values: str) -> object:
        assert self._db is not None, "usable"
        row = self._db.execute(query, values).fetchone()
        return None if row is None else row[0]


def paths_of(plain: tuple) -> Iterator[str]:
    """The paths of the articles a page's plain form names (see plain_of)."""
    for at in (_ARTICLE, _PREVIOUS, _NEXT):
        if plain[at] is not None:
            yield plain[at]
    yield from plain[_ENTRIES]
    for _, group in plain[_GROUPS]:
        yield from group
    for path, _ in plain[_IMAGES]:
        yield path


def page_from_plain(plain: tuple, articles: Mapping[str, Article], config: Config) -> Page:
    """The page a plain form was made of, its articles taken from `articles` by path."""
    (kind, url, title, template, category, article, previous, next_, entries, groups, pager,
     crumbs, target, months, year, month, canonical, children, files, images,
     script) = plain  # fmt: skip
    categories = {c.slug: c for c in config.categories}
    get = articles.__getitem__
    return Page(
        kind, url, title, template, None if category is None else categories[category],
        None if article is None else get(article), None if previous is None else get(previous),
        None if next_ is None else get(next_), tuple(map(get, entries)),
        tuple((categories[slug], tuple(map(get, group))) for slug, group in groups),
        None if pager is None else Pager(*pager), tuple(Crumb(*c) for c in crumbs), target,
        months, year, month, canonical, children,
        None if files is None else _files_from_plain(files),
        tuple((path, _resource_from_plain(r)) for path, r in images), script,
    )  # fmt: skip


def plain_of(page: Page) -> tuple:
    """A page as values marshal holds: its articles by path (anything with a `path`), its
    category by slug."""
    (kind, url, title, template, category, article, previous, next_, entries, groups, pager,
     crumbs, target, months, year, month, canonical, children, files, images, script,
     _) = page  # fmt: skip
    return (
        kind, url, title, template, None if category is None else category.slug,
        None if article is None else article.path, None if previous is None else previous.path,
        None if next_ is None else next_.path, tuple(map(_PATH, entries)),
        tuple((c.slug, tuple(map(_PATH, group))) for c, group in groups),
        None if pager is None else _PAGER(pager), tuple(map(_CRUMB, crumbs)), target, months,
        year, month, canonical, children, None if files is None else _files_to_plain(files),
        tuple((path, _resource_to_plain(r)) for path, r in images), script,
    )  # fmt: skip


_PATH: Final = attrgetter("path")
_PAGER: Final = attrgetter("number", "newer", "older", "newest", "oldest", "total_articles")
_CRUMB: Final = attrgetter("label", "url")
_ARTICLE, _PREVIOUS, _NEXT, _ENTRIES, _GROUPS, _IMAGES = 5, 6, 7, 8, 9, 19


def _files_to_plain(files: ArticleFiles) -> tuple:
    return (tuple(map(_resource_to_plain, files.resources)),
            tuple(map(_resource_to_plain, files.attachments)), files.key)  # fmt: skip


def _files_from_plain(plain: tuple) -> ArticleFiles:
    resources, attachments, key = plain
    return ArticleFiles(tuple(map(_resource_from_plain, resources)),
                        tuple(map(_resource_from_plain, attachments)), key)  # fmt: skip


def _resource_to_plain(resource: Resource) -> tuple:
    image = resource.image
    shown = None
    if image is not None:
        variants = tuple((v.name, v.width, v.height, v.mime) for v in image.variants)
        shown = (image.width, image.height, variants, image.fallback)
    return (resource.target, resource.url, resource.source, resource.size, shown,
            resource.original)  # fmt: skip


def _resource_from_plain(plain: tuple) -> Resource:
    target, url, source, size, shown, original = plain
    image = None
    if shown is not None:
        width, height, variants, fallback = shown
        image = ImageInfo(width, height, tuple(Variant(*v) for v in variants), fallback)
    return Resource(target, url, source, size, image, original)


def _article_rows(
    entries: Mapping[str, SourceEntry], holds: Mapping[str, list[str]]
) -> Iterator[tuple]:
    for path, entry in entries.items():
        if entry.article is not None:
            plain = article_to_plain(entry)
            data = None if plain is None else marshal.dumps(plain)
            yield path, entry.digest, data, marshal.dumps(tuple(holds.get(path, ())))


def _replace_articles(db: sqlite3.Connection, entries: Mapping[str, SourceEntry | None]) -> None:
    """Put these entries' articles in place of the ones kept (the pages that hold them are
    the same: their places did not change, or the pages are written again after)."""
    for path, entry in entries.items():
        if entry is None or entry.article is None:
            db.execute("DELETE FROM article WHERE path = ?", (path,))
            continue
        plain = article_to_plain(entry)
        data = None if plain is None else marshal.dumps(plain)
        done = db.execute("UPDATE article SET digest = ?, data = ? WHERE path = ?",
                          (entry.digest, data, path))  # fmt: skip
        if done.rowcount == 0:
            db.execute("INSERT INTO article VALUES (?, ?, ?, ?)",
                       (path, entry.digest, data, marshal.dumps(())))  # fmt: skip


def _page_rows(
    pages: Iterable[tuple[str, Page]], holds: dict[str, list[str]]
) -> Iterator[tuple[str, bytes]]:
    """Each page's row, one at a time (not the rows of 210 000 pages at once, at the peak
    of a build that renders them all), noting in `holds` the names of the pages that hold
    each article (by path)."""
    for name, page in pages:
        yield name, marshal.dumps(plain_of(page))
        for article in records_of(page):
            if article is not None:
                names = holds[article.path]
                if not names or names[-1] != name:  # (the home page may list one twice)
                    names.append(name)


def _replace_pages(db: sqlite3.Connection, pages: Iterable[tuple[str, Page]]) -> None:
    """Write these pages again, and name each among the pages that hold its articles."""
    added: dict[str, list[str]] = defaultdict(list)
    db.executemany("INSERT OR REPLACE INTO page VALUES (?, ?)", _page_rows(pages, added))
    for path, names in added.items():
        row = db.execute("SELECT holds FROM article WHERE path = ?", (path,)).fetchone()
        if row is None:  # an article whose entry is not kept: no edit is patched into it
            continue
        held = marshal.loads(row[0])
        more = sorted(set(names).difference(held))
        if more:
            db.execute("UPDATE article SET holds = ? WHERE path = ?",
                       (marshal.dumps((*held, *more)), path))  # fmt: skip


def list_rows(articles: Iterable[Article]) -> dict[str, tuple[str, ...] | None]:
    """The paths of each category's articles and each month's, from the site's articles
    (newest first). A month whose articles are not together in that order (dates in two
    zones around its end) is kept as None: no article is put among them."""
    by_category: dict[str, list[str]] = defaultdict(list)
    lists: dict[str, tuple[str, ...] | None] = {}
    for (year, month), group in groupby(articles, key=month_of):
        paths = []
        for article in group:
            paths.append(article.path)
            by_category[article.category].append(article.path)
        name = month_list(year, month)
        lists[name] = None if name in lists else tuple(paths)
    lists.update((category_list(slug), tuple(paths)) for slug, paths in by_category.items())
    return lists


def category_list(slug: str) -> str:
    return f"c:{slug}"


def month_list(year: int, month: int) -> str:
    return f"m:{year}-{month:02d}"


def _put_lists(db: sqlite3.Connection, lists: Mapping[str, tuple[str, ...] | None]) -> None:
    db.executemany("INSERT OR REPLACE INTO list VALUES (?, ?)",
                   ((name, marshal.dumps(paths)) for name, paths in lists.items()))  # fmt: skip


def _put_meta(db: sqlite3.Connection, token: str, resume: Resume) -> None:
    db.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (_FORMAT,))
    db.execute("INSERT OR REPLACE INTO meta VALUES ('token', ?)", (token,))
    db.execute("INSERT OR REPLACE INTO meta VALUES ('resume', ?)",
               (marshal.dumps(_resume_to_plain(resume)),))  # fmt: skip


def _token(db: sqlite3.Connection) -> str | None:
    rows = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('format', 'token')"))
    return rows.get("token") if rows.get("format") == _FORMAT else None


def _connect(path: Path) -> sqlite3.Connection:
    # A killed build must leave the store as it was or as it was to be: SQLite's rollback
    # journal sees to that. Not synced: a power cut may lose the last write, and then the
    # token the record names is not the store's, which only costs a full build.
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous = OFF")
    return db


def _problems_to_plain(problems: Iterable[Problem]) -> tuple:
    return tuple((p.path.as_posix(), p.message, p.line, p.severity) for p in problems)


def _problems_from_plain(plain: tuple) -> tuple[Problem, ...]:
    return tuple(Problem(Path(path), message, line, severity)
                 for path, message, line, severity in plain)  # fmt: skip


def _resume_to_plain(resume: Resume) -> tuple:
    problems = tuple((path, _problems_to_plain(found)) for path, found in resume.problems)
    return (resume.surroundings, dict(resume.listing), tuple(sorted(resume.found)), problems,
            _problems_to_plain(resume.checked), _problems_to_plain(resume.clashes),
            resume.pages, resume.articles)  # fmt: skip


def _resume_from_plain(plain: tuple) -> Resume:
    surroundings, listing, found, problems, checked, clashes, pages, articles = plain
    by_path = tuple((path, _problems_from_plain(p)) for path, p in problems)
    return Resume(surroundings, listing, frozenset(found), by_path,
                  _problems_from_plain(checked), _problems_from_plain(clashes), pages,
                  articles)  # fmt: skip
