"""assemble(articles, config) -> Site: ordering, neighbours, pagination and every Page to produce.

Pure: no files are read here. A Page record holds everything its output is made from
(except the article body, which it names by digest), so a page whose record is unchanged
since the last build renders to the same bytes: the build cache relies on that.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter
from pathlib import Path, PurePosixPath
from typing import Final, NamedTuple
from urllib.parse import unquote

from sitegen.bundles import ArticleFiles, Resource
from sitegen.config import Category, Config
from sitegen.content import CONTENT_DIR, Article
from sitegen.frozen import pickled_by_fields
from sitegen.i18n import labels_for
from sitegen.problems import Problem
from sitegen.redirects import FILES as REDIRECT_FILES
from sitegen.redirects import MAP_JSON, has_query, lookup_key, old_urls, request_form, split
from sitegen.script_settings import prefix_of

SITEMAP_LIMIT: Final = 50_000  # URLs per sitemap file, as the sitemaps protocol allows


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Crumb:
    label: str
    url: str | None  # None for the current page


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Pager:
    """Links between list pages. `newer`/`older` are site paths or None."""

    number: int | None  # None on a category's front page
    newer: str | None
    older: str | None
    newest: str
    oldest: str | None
    total_articles: int | None


class Page(NamedTuple):
    """One output to produce and everything it is made from.

    A named tuple, not a frozen dataclass: a build makes one for every page (21 000 at
    10 000 articles, on every build, edits included), and a frozen dataclass sets each of its
    21 fields through object.__setattr__, which made assembling the site eight times slower.
    """

    # home category article print archive year month 404 alias feed sitemap search redirects
    kind: str
    url: str  # site path without the base path: /law/ ; output file follows from it
    title: str
    template: str | None = None
    category: Category | None = None
    article: Article | None = None
    previous: Article | None = None  # 上一篇: the article published before this one
    next: Article | None = None  # 下一篇: the one published after it
    entries: tuple[Article, ...] = ()
    groups: tuple[tuple[Category, tuple[Article, ...]], ...] = ()
    pager: Pager | None = None
    breadcrumbs: tuple[Crumb, ...] = ()
    target: str | None = None  # where an alias redirects to; on the 404 page, the redirect map
    months: tuple[tuple[int, int, int], ...] = ()  # (year, month, count) on archive pages
    year: int | None = None
    month: int | None = None
    canonical: str | None = None  # the page that lists the same, when this one only repeats it
    children: tuple[str, ...] = ()  # sitemap index: the sitemap files; sitemap: page URLs
    files: ArticleFiles | None = None  # article and print view: the files the body names
    # Feeds: (article path, its first image) for the entries that have one.
    images: tuple[tuple[str, Resource], ...] = ()
    # "" in the articles' own script; else the other one's (zh-Hans), whose copy of the site
    # is under its prefix (see sitegen/scripts.py). `url` is the same in both.
    script: str = ""
    body: str | None = None  # the article's HTML, filled in only while rendering

    def with_body(self, body: str) -> Page:
        """This page with its article's HTML in `body` (made for every article page and print
        view: cheaper than _replace, which goes by field name)."""
        return Page(*self[:-1], body)

    @property
    def output(self) -> str:
        """The output file, relative to the output folder."""
        path = self.url.lstrip("/")
        if self.script:
            path = prefix_of(self.script) + path
        return path + "index.html" if path == "" or path.endswith("/") else path


@dataclass(frozen=True, slots=True)
class Site:
    config: Config
    articles: tuple[Article, ...]  # newest first
    pages: tuple[Page, ...]
    outputs: tuple[str, ...] = ()  # each page's output file, in the order of `pages`


def assemble(articles: tuple[Article, ...] | list[Article], config: Config) -> Site:
    ordered = _newest_first(articles)
    labels = labels_for(config.language)
    by_category: dict[str, list[Article]] = defaultdict(list)
    for article in ordered:
        by_category[article.category].append(article)
    pages: list[Page] = [home_page(ordered, by_category, config, labels)]
    for category in config.categories:
        newest_first = tuple(by_category.get(category.slug, ()))
        pages += article_pages(newest_first, category, labels)
        pages += category_pages(newest_first, category, config, labels)
        pages.append(category_feed(newest_first, category, config))
    pages += _archive_pages(ordered, config, labels)
    pages.append(site_feed(ordered, config))
    # Articles with old URLs that carry a query string: the 404 page looks those up.
    with_query = tuple(
        a for a in ordered if a.aliases and any(has_query(alias) for alias in a.aliases)
    )
    pages.append(Page("404", "/404.html", labels["not_found"], "404.html",
                      target=MAP_JSON if with_query else None))  # fmt: skip
    if config.search:
        pages.append(Page("search", "/search/", labels["search"], "search.html"))
    pages += _aliases(ordered, labels)
    # After the alias pages, so that an alias claiming one of these names is the one blamed.
    if with_query:
        pages += [
            Page("redirects", name, "redirects", entries=with_query) for name in REDIRECT_FILES
        ]
    pages += sitemap_pages(pages)
    return Site(config, ordered, tuple(pages), tuple(page.output for page in pages))


def records_of(page: Page) -> list[Article | None]:
    """The article records a page is made from, in their fields' order (None where it has
    no article, or no neighbour on that side)."""
    records = [page.article, page.previous, page.next, *page.entries]
    records += [a for _, group in page.groups for a in group]
    return records


def with_files(site: Site, files: Mapping[str, ArticleFiles]) -> Site:
    """The site with each article's files on its page and print view, and the first image
    of each feed entry on its feed (the pages of articles without files stay as they are)."""
    if not files:
        return site
    pages = []
    for page in site.pages:
        found = files.get(page.article.path) if page.article is not None else None
        if found is not None and page.kind in ("article", "print"):
            page = page._replace(files=found)
        elif page.kind == "feed":
            images = tuple((a.path, first) for a in page.entries
                           if (first := _first_image(files.get(a.path))) is not None)  # fmt: skip
            page = page._replace(images=images) if images else page
        pages.append(page)
    return dataclasses.replace(site, pages=tuple(pages))


def _first_image(files: ArticleFiles | None) -> Resource | None:
    if files is None:
        return None
    return next((r for r in files.resources if r.image is not None), None)


def _newest_first(articles: Iterable[Article]) -> tuple[Article, ...]:
    """Newest first, ties by path, so that the order, and so every output, is the same on
    every build. (Two stable sorts, not one by a key tuple per article: 0.1 s faster at
    100 000 articles. By timestamp, not by comparing the dates: in a zone's repeated hour
    at the end of summer time, datetimes of one zone compare by wall-clock time.)"""
    by_path = sorted(articles, key=_PATH)
    return tuple(sorted(by_path, key=_timestamp, reverse=True))  # reverse keeps ties in order


_PATH: Final = attrgetter("path")


def _timestamp(article: Article) -> float:
    return article.date.timestamp()


def newest_first_key(article: Article) -> tuple[float, str]:
    """Where an article goes in the lists, newest first (as _newest_first orders them)."""
    return -article.date.timestamp(), article.path


def month_of(article: Article) -> tuple[int, int]:
    """The month of an article's date archive."""
    return article.date.year, article.date.month


def home_page(ordered, by_category, config: Config, labels) -> Page:
    groups = tuple(
        (c, tuple(by_category.get(c.slug, ())[: config.home_per_category]))
        for c in config.categories
    )
    return Page("home", "/", config.title, "home.html", entries=ordered[:10], groups=groups,
                breadcrumbs=(Crumb(labels["home"], None),))  # fmt: skip


def article_pages(newest_first: tuple[Article, ...], category: Category, labels) -> list[Page]:
    pages = []
    crumbs = (Crumb(labels["home"], "/"), Crumb(category.name, f"/{category.slug}/"))
    crumbs = (*crumbs, Crumb(labels["body"], None))
    last = len(newest_first) - 1
    for index, article in enumerate(newest_first):
        before = newest_first[index + 1] if index < last else None
        after = newest_first[index - 1] if index > 0 else None
        url, title = article.url, article.title
        # By position, up to the breadcrumbs (Page's order): by name took twice as long.
        pages.append(Page("article", url, title, "article.html", category, article, before,
                          after, (), (), None, crumbs))  # fmt: skip
        pages.append(Page("print", url + "print.html", title, "print.html", category, article,
                          before, after, (), (), None, crumbs))  # fmt: skip
    return pages


def category_pages(newest_first, category: Category, config: Config, labels) -> list[Page]:
    """The front page shows the newest articles; numbered pages count from the oldest.

    Page n always holds the same articles (the (n-1)*size .. n*size-1 oldest), so adding an
    article rewrites the front page and the newest numbered page (and, when it starts a new
    numbered page, the one before it, which gains its 上一頁 link). The newest numbered
    page has no 上一頁: nothing is newer (its 最新 link leads to the front page). When the
    front page lists exactly what the newest numbered page lists (a category that fits on
    one page, or whose newest page is full), that page names the front page as canonical
    and is left out of the sitemap. The page after the newest is a redirect to the front
    page, for links to it from sites built by sitegen 0.1.
    """
    size, total = config.page_size, len(newest_first)
    oldest_first = newest_first[::-1]
    count = -(-total // size)  # numbered pages; the last may be partly filled
    base = f"/{category.slug}/"
    crumbs = (Crumb(labels["home"], "/"), Crumb(category.name, None))

    def numbered(n: int) -> str:
        return f"{base}page/{n}/"

    oldest = numbered(1) if count else None
    # The front page shows the newest numbered page, and the one before it while the newest
    # is only partly filled, so it always lists at least `size` articles and never repeats one.
    partly = total % size != 0 and count > 1
    shown = count - 1 if partly else count
    front = oldest_first[(shown - 1) * size :][::-1] if count else ()
    front_older = numbered(shown - 1) if shown > 1 else None
    pages = [Page("category", base, category.name, "category.html", category=category,
                  entries=front, breadcrumbs=crumbs,
                  pager=Pager(None, None, front_older, base, oldest, total))]  # fmt: skip
    for n in range(1, count + 1):
        chunk = oldest_first[(n - 1) * size : n * size][::-1]
        # No article count here: it would change this page whenever an article is added.
        newer = numbered(n + 1) if n < count else None
        pager = Pager(n, newer, numbered(n - 1) if n > 1 else None, base, oldest, None)
        title = f"{category.name} {labels['page_n'].format(n=n)}"
        repeats = n == count and chunk == front  # the front page lists just these
        pages.append(Page("category", numbered(n), title, "category.html", category=category,
                          entries=chunk, breadcrumbs=crumbs, pager=pager,
                          canonical=base if repeats else None))  # fmt: skip
    pages.append(Page("alias", numbered(count + 1), category.name, "redirect.html", target=base))
    return pages


def category_feed(newest_first, category: Category, config: Config) -> Page:
    return Page("feed", f"/{category.slug}/feed.xml", category.name, category=category,
                entries=newest_first[: config.feed_size])  # fmt: skip


def site_feed(ordered, config: Config) -> Page:
    return Page("feed", "/feed.xml", config.title, entries=ordered[: config.feed_size])


def _archive_pages(ordered: tuple[Article, ...], config: Config, labels) -> list[Page]:
    months = [(ym, tuple(group)) for ym, group in groupby(ordered, key=month_of)]
    counts = tuple((y, m, len(items)) for (y, m), items in months)
    pages = archive_front(counts, labels)
    for (year, month), items in months:
        pages += month_pages(year, month, items, config.page_size, labels)
    return pages


def archive_front(counts: tuple[tuple[int, int, int], ...], labels) -> list[Page]:
    """The archive's page and its years', from each month's count (newest first)."""
    home = Crumb(labels["home"], "/")
    archive = labels["archive"]
    pages = [Page("archive", "/archive/", archive, "archive.html", months=counts,
                  breadcrumbs=(home, Crumb(archive, None)))]  # fmt: skip
    for year in sorted({y for y, _, _ in counts}, reverse=True):
        title = labels["archive_year"].format(year=year)
        year_crumbs = (home, Crumb(archive, "/archive/"))
        pages.append(Page("year", f"/archive/{year}/", title, "archive.html", year=year,
                          months=tuple(c for c in counts if c[0] == year),
                          breadcrumbs=(*year_crumbs, Crumb(title, None))))  # fmt: skip
    return pages


def month_url(year: int, month: int) -> str:
    return f"/archive/{year}/{month:02d}/"


def month_pages(year: int, month: int, items, size: int, labels) -> list[Page]:
    base = month_url(year, month)
    title = labels["archive_month"].format(year=year, month=month)
    crumbs = (Crumb(labels["home"], "/"), Crumb(labels["archive"], "/archive/"),
              Crumb(labels["archive_year"].format(year=year), f"/archive/{year}/"),
              Crumb(title, None))  # fmt: skip
    count = -(-len(items) // size)

    def url(n: int) -> str:
        return base if n == 1 else f"{base}page/{n}/"

    pages = []
    for n in range(1, count + 1):
        # Month archives are closed once the month is over, so plain newest-first paging is stable.
        pager = Pager(n, url(n - 1) if n > 1 else None, url(n + 1) if n < count else None,
                      base, url(count) if count > 1 else None, len(items))  # fmt: skip
        pages.append(Page("month", url(n), title, "archive.html", year=year, month=month,
                          entries=tuple(items[(n - 1) * size : n * size]), pager=pager,
                          breadcrumbs=crumbs))  # fmt: skip
    return pages


def _aliases(ordered: tuple[Article, ...], labels) -> list[Page]:
    pages = []
    for article in ordered:
        for alias in article.aliases:
            if has_query(alias):  # no file can answer it: see sitegen/redirects.py
                continue
            url = alias if PurePosixPath(alias).suffix or alias.endswith("/") else alias + "/"
            pages.append(Page("alias", url, article.title, "redirect.html", article=article,
                              target=article.url))  # fmt: skip
    return pages


def sitemap_pages(pages: list[Page], copies: int = 1) -> list[Page]:
    """The sitemap files and their index. `copies`: how often each URL of `pages` is listed
    (a site in two scripts lists each twice, once per script: see render_sitemap)."""
    return sitemap_files(listed_urls(pages), copies)


def listed_urls(pages: Iterable[Page]) -> list[str]:
    """The URLs of these pages that the sitemap lists, in their order."""
    return [p.url for p in pages if p.canonical is None and p.kind in _LISTED]


_LISTED: Final = frozenset(("home", "category", "article", "archive", "year", "month"))


def sitemap_files(listed: list[str], copies: int = 1) -> list[Page]:
    """The sitemap files of these URLs, and their index."""
    per_file = SITEMAP_LIMIT // copies
    chunks = [tuple(listed[i : i + per_file]) for i in range(0, len(listed), per_file)]
    files = [Page("sitemap", f"/sitemap-{n}.xml", "sitemap", children=chunk)
             for n, chunk in enumerate(chunks or [()], start=1)]  # fmt: skip
    index = Page("sitemap", "/sitemap.xml", "sitemap index",
                 children=tuple(p.url for p in files), template="index")  # fmt: skip
    return [*files, index]


def url_clashes(
    site: Site, files: Mapping[str, str] | None = None, reserved: Mapping[str, str] | None = None
) -> list[Problem]:
    """Every output claimed once, in one namespace: pages, redirects, feeds and sitemaps
    (`site.pages`), other files the build puts in the output folder (`files`: output ->
    who claims it, e.g. "static/css/site.css"), and folders kept for generated files
    (`reserved`: "search/" -> who). Each clash names both claimants. A file where another
    output needs a folder is a clash too (an alias /a.html/b beside a page /a.html)."""
    owners: dict[str, Page | str] = dict(files or {})
    problems: list[Problem] = []
    reported: set = set()
    for name in [n for n in owners if BAD_NAME.search(n)]:  # a static file, a file kept
        del owners[name]
        shown = repr(name)[1:-1]
        problems.append(Problem(Path(shown), "this file name holds a line break, a control "
                                "character or a backslash: rename the file"))  # fmt: skip
    prefixes = tuple(reserved or ())
    for page, name in zip(site.pages, site.outputs, strict=True):
        # Only an alias is free text; other outputs come from checked slugs and settings.
        if page.kind == "alias" and BAD_NAME.search(name):
            where, line = _origin(page)
            message = (
                f"alias {page.url!r} cannot be a file name: use letters, digits, '-', '_', '.'"
            )
            problems.append(Problem(where, message, line))
            continue
        if page.kind == "alias" and prefixes and name.startswith(prefixes):
            seen: Page | str = reserved[next(p for p in prefixes if name.startswith(p))]
        else:
            seen = owners.setdefault(name, page)
        if seen is page:
            continue
        pair = (_origin(page)[0], seen if isinstance(seen, str) else _origin(seen)[0])
        if pair not in reported:  # an article's print view clashes when its page does
            reported.add(pair)
            problems.append(_clash(page, seen))
    return problems + _folder_clashes(owners) + _old_url_problems(site, owners)


# Line breaks, NUL, backslashes and . or .. segments: names that a manifest line, a file
# system or a web server reads as something else.
BAD_NAME: Final = re.compile(r"[\x00-\x1f\x7f\\]|(?:^|/)\.\.?(?:/|$)")


def _folder_clashes(owners: Mapping[str, Page | str]) -> list[Problem]:
    # Every folder the outputs need: the parents (one set comprehension), then the
    # parents' own ancestors, most of them already there. Claimants are looked up only
    # for a clash, which is rare.
    parents = {name.rpartition("/")[0] for name in owners}
    folders = set(parents)
    for folder in parents:
        up = folder.rpartition("/")[0]
        while up and up not in folders:
            folders.add(up)
            up = up.rpartition("/")[0]
    problems = []
    for name in sorted(owners.keys() & folders):
        file = owners[name]
        below = next(o for n, o in owners.items() if n.startswith(name + "/"))
        page, other = (file, below) if isinstance(file, Page) else (below, file)
        if isinstance(page, Page):
            problems.append(_clash(page, other, f"{name} is a file and a folder at once"))
    return problems


def _old_url_problems(site: Site, owners: Mapping[str, Page | str]) -> list[Problem]:
    """Two articles claiming one old URL with a query string (one key of redirects.json),
    and such URLs whose path is a page or file of the site: a static host serves that
    file, so the 404 page never sees the old URL (/?p=12 of an old WordPress)."""
    problems = []
    claims: dict[str, tuple[str, Article]] = {}
    for alias, article in old_urls(site.articles):
        key = lookup_key(*request_form("/", alias))
        where, line = Path(article.path), article.key_lines.get("aliases")
        if key in claims:
            first, other = claims[key]
            if other is not article:
                message = (f"old URL {alias} is also claimed by {other.path}:"
                           f"{other.key_lines.get('aliases')} (as {first}; parameters match in "
                           "any order, the path in any case) — keep it in one of them")  # fmt: skip
                problems.append(Problem(where, message, line))
            continue
        claims[key] = (alias, article)
        if _served(split(alias)[0], owners):
            message = (f"old URL {alias}: the site has a page at {split(alias)[0]}, which a "
                       "static host serves, so its 404 page never sees this URL; only a "
                       "server's redirect (docs/publishing.md) can send it on")  # fmt: skip
            problems.append(Problem(where, message, line, "warning"))
    return problems


def _served(path: str, owners: Mapping[str, Page | str]) -> bool:
    name = unquote(path).lstrip("/")
    index = name + "index.html" if name.endswith("/") or not name else name + "/index.html"
    return name in owners or index in owners


def _clash(page: Page, seen: Page | str, what: str = "") -> Problem:
    mine = _origin(page)
    if isinstance(seen, str):  # a static file, a generated index, a file kept in the folder
        where = f" ({what})" if what else ""
        ours = page.kind == "redirects" or seen.startswith(f"the file {CONTENT_DIR}/")
        fix = "rename or remove that file" if ours else "give it another slug or alias"
        return Problem(mine[0], f"{_claim(page)} {page.url} is also claimed by {seen}{where} — "
                       f"{fix}", mine[1])  # fmt: skip
    theirs = _origin(seen)
    if page.article is None:
        return Problem(theirs[0], f"URL {page.url} is also made by sitegen for a {page.kind} page "
                       "— change the slug or alias", theirs[1])  # fmt: skip
    other = f"{theirs[0].as_posix()}" + (f":{theirs[1]}" if theirs[1] else "")
    where = f" ({what})" if what else ""
    return Problem(mine[0], f"{_claim(page)} {page.url} is also claimed by {other}{where} — give "
                   "one of them another slug or alias", mine[1])  # fmt: skip


def _claim(page: Page) -> str:
    return {"alias": "alias", "redirects": "the redirect map"}.get(page.kind, "URL")


def _origin(page: Page) -> tuple[Path, int | None]:
    # A redirect map is there because of its first article's old URLs with a query string.
    article = page.entries[0] if page.kind == "redirects" else page.article
    if article is None:
        return Path("site.yaml"), None
    key = "aliases" if page.kind in ("alias", "redirects") else "slug"
    # A slug that comes from the file name has no line of its own: point at the title.
    lines = article.key_lines
    return Path(article.path), lines.get(key) or lines.get("title")
