"""A new article put into the last build's site from the page store, for an edit's build
(sitegen/resume.py) to render only the pages it changes.

A new article changes its own pages, its neighbours' in its category (上一篇/下一篇), the
lists it joins (its category's pages and feed, its month's pages, the archive's and its
year's, the home page, the site's feed) and the sitemap. Each of those is made here by the
very function site.assemble makes it with, twice: from the store's lists of paths without
the article, which must give the pages the store holds (else the store is not the site,
and the build is made as usual), and with it. The pages that differ are the ones to
render. Categories' numbered pages count from the oldest, so a day's news changes the
newest of them and the front page, not the 1 500 others (see site.category_pages).

An article that needs more than that is left to the usual build (`added` returns None):
one with old URLs (aliases, a legacy path: redirects and their checks), with files beside
it or a folder of its own (its files are published and checked), a draft, one of a
category with no article yet, or dated where the months are out of order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final, NamedTuple

from sitegen.bundles import BUNDLE_INDEX
from sitegen.config import Config
from sitegen.content import Article
from sitegen.i18n import labels_for
from sitegen.pagestore import PageStore, category_list, month_list, plain_of
from sitegen.site import (
    Page,
    archive_front,
    article_pages,
    category_feed,
    category_pages,
    home_page,
    listed_urls,
    month_of,
    month_pages,
    month_url,
    newest_first_key,
    site_feed,
    sitemap_files,
)  # fmt: skip


class Ref(str):
    """An article named by its path, in a list made of paths: the list functions of
    sitegen/site.py slice and compare them, and a page's plain form takes their path."""

    __slots__ = ()

    @property
    def path(self) -> str:
        return str(self)


class Added(NamedTuple):
    """What a new article changes, by output name."""

    forms: dict[str, tuple]  # each page it changes or adds, as a plain form (see pagestore)
    before: dict[str, tuple]  # those of them the store holds, as it holds them
    lists: dict[str, tuple[str, ...]]  # the lists it joins, with it
    new: frozenset[str]  # pages no build made before
    records: dict[str, Article]  # the articles read to make them, the new one among them


class _Declined(Exception):
    """The article is left to the usual build."""


def added(
    config: Config, store: PageStore, article: Article, exists: Callable[[str], bool]
) -> Added | None:
    """The pages a new article changes or adds (`exists`: whether an output name is taken,
    by sitegen or by a file in the output folder), or None when it cannot be worked out
    here."""
    if not may_add(config, store, article):
        return None
    read = _Reader(store, config, article)
    try:
        return _added(config, read, article, exists)
    except _Declined:
        return None


def may_add(config: Config, store: PageStore, article: Article) -> bool:
    """Whether `added` may take this article, by what it and the site's 404 page say (an
    edit's build asks before it reads the record of its outputs: see sitegen/resume.py)."""
    if not _simple(config, article):
        return False
    # Old URLs with a query (a 404 page with a redirect map): the checks of those
    # (site.url_clashes) are the full build's.
    found = store.pages(["404.html"])
    return found is not None and found["404.html"][_AT["target"]] is None


def _simple(config: Config, article: Article) -> bool:
    return not (
        article.draft or article.aliases or article.legacy_path is not None
        or article.references or article.path.endswith("/" + BUNDLE_INDEX)
        or article.category not in {c.slug for c in config.categories}
    )  # fmt: skip


class _Reader:
    """The store's lists, pages and records, each read once; _Declined for one not kept."""

    def __init__(self, store: PageStore, config: Config, article: Article) -> None:
        self._store, self._config = store, config
        self.records: dict[str, Article] = {article.path: article}
        self.plain: dict[str, tuple] = {}

    def record(self, path: str) -> Article:
        if path not in self.records:
            found = self._store.articles([path], self._config)
            if found is None:
                raise _Declined
            self.records[path] = found[path]
        return self.records[path]

    def page(self, name: str) -> tuple:
        if name not in self.plain:
            found = self._store.pages([name])
            if found is None:
                raise _Declined
            self.plain[name] = found[name]
        return self.plain[name]

    def listed(self, name: str) -> tuple[str, ...]:
        found = self._store.listed(name)
        if found is None:
            raise _Declined
        return found

    def key(self, path: str) -> tuple[float, str]:
        return newest_first_key(self.record(path))


# A list's pages without the new article and with it.
_Section = tuple[list[Page], list[Page]]


def _added(config: Config, read: _Reader, article: Article, exists: Callable[[str], bool]) -> Added:
    labels = labels_for(config.language)
    category = next(c for c in config.categories if c.slug == article.category)
    before = tuple(map(Ref, read.listed(category_list(category.slug))))
    if not before:
        raise _Declined
    at = _place(before, newest_first_key(article), read)
    after = (*before[:at], Ref(article.path), *before[at:])
    month, months, counts = _month(read, article, config)
    sections = [
        _neighbours(read, (before, after), at, category, labels),
        (category_pages(before, category, config, labels),
         category_pages(after, category, config, labels)),
        ([category_feed(before, category, config)], [category_feed(after, category, config)]),
        (archive_front(counts[0], labels), archive_front(counts[1], labels)),
        (month_pages(*month, months[0], config.page_size, labels) if months[0] else [],
         month_pages(*month, months[1], config.page_size, labels)),
        _home(read, config, labels, (before, after), article),
        _feed(read, config, article),
    ]  # fmt: skip
    # The runs of the sitemap's URLs they change, the last in it first: the month's pages,
    # the archive's and its years', the category's.
    runs = (sections[4], sections[3], sections[1])
    sections.append(_sitemap(read, runs, article, (after, at), month))
    forms, old, new = _changed(read, sections)
    if any(exists(name) or name.startswith("search/") for name in new):
        raise _Declined  # a clash, or a file where a page would go: the usual build says
    lists = {
        category_list(category.slug): tuple(map(str, after)),
        month_list(*month): tuple(map(str, months[1])),
    }
    return Added(forms, old, lists, frozenset(new), read.records)


def _place(paths: tuple[str, ...], key: tuple[float, str], read: _Reader) -> int:
    """Where an article with this key goes among these (newest first): found by reading
    a few of their records (a day's news goes first, at once)."""
    low, high = 0, len(paths)
    if not paths or key < read.key(paths[0]):
        return 0
    while low < high:
        middle = (low + high) // 2
        if read.key(paths[middle]) < key:
            low = middle + 1
        else:
            high = middle
    return low


def _month(
    read: _Reader, article: Article, config: Config
) -> tuple[tuple[int, int], tuple[tuple[Ref, ...], tuple[Ref, ...]], tuple[tuple, tuple]]:
    """The article's month, its articles without and with it, and every month's count
    (newest first, as the archive's page holds them) without and with it. The months must
    stay each in one run of the site's order (see list_rows): the article must come after
    every article of the months before its own and before those of the months after."""
    key, month = newest_first_key(article), month_of(article)
    archive = read.page("archive/index.html")
    counts: tuple[tuple[int, int, int], ...] = archive[_AT["months"]]
    places = [(y, m) for y, m, _ in counts]
    if len(set(places)) != len(places) or places != sorted(places, reverse=True):
        raise _Declined
    at = next((i for i, place in enumerate(places) if place <= month), len(places))
    known = at < len(places) and places[at] == month
    before = tuple(map(Ref, read.listed(month_list(*month)))) if known else ()
    into = _place(before, key, read)
    if into == 0 and at > 0:  # the newest of its month: the month before ends before it
        newer = read.listed(month_list(*places[at - 1]))
        if not newer or read.key(newer[-1]) > key:
            raise _Declined
    older_at = at + 1 if known else at
    if into == len(before) and older_at < len(places):  # the oldest: the next begins after
        older = read.listed(month_list(*places[older_at]))
        if not older or read.key(older[0]) < key:
            raise _Declined
    after = (*before[:into], Ref(article.path), *before[into:])
    grown = (*month, len(after))
    counts_after = (*counts[:at], grown, *counts[at + known :])
    return month, (before, after), (counts, counts_after)


def _neighbours(
    read: _Reader, lists: tuple[tuple[Ref, ...], tuple[Ref, ...]], at: int, category, labels
) -> _Section:
    """The pages of the two articles beside the new one in its category before it came,
    and theirs and its own after."""
    before, after = lists
    return (_article_pages_at(read, before, range(at - 1, at + 1), category, labels),
            _article_pages_at(read, after, range(at - 1, at + 2), category, labels))  # fmt: skip


def _article_pages_at(
    read: _Reader, paths: tuple[Ref, ...], wanted: range, category, labels
) -> list[Page]:
    """The article pages and print views of the articles at these places of a category's
    list (those there are), made by site.article_pages of them and the two around them."""
    first = max(0, wanted.start - 1)
    window = tuple(read.record(path) for path in paths[first : wanted.stop + 1])
    pages = article_pages(window, category, labels)
    return [page for at in wanted if 0 <= at < len(paths)
            for page in pages[2 * (at - first) : 2 * (at - first) + 2]]  # fmt: skip


def _home(
    read: _Reader, config: Config, labels, lists: tuple[tuple[Ref, ...], tuple[Ref, ...]],
    article: Article,
) -> _Section:  # fmt: skip
    """The home page: the site's newest articles and each category's."""
    stored = read.page("index.html")
    entries = tuple(map(Ref, stored[_AT["entries"]]))
    groups = {slug: tuple(map(Ref, paths)) for slug, paths in stored[_AT["groups"]]}
    newer = _merged(read, entries, article)
    groups_after = {**groups, article.category: lists[1]}
    return ([home_page(entries, groups, config, labels)],
            [home_page(newer, groups_after, config, labels)])  # fmt: skip


def _feed(read: _Reader, config: Config, article: Article) -> _Section:
    entries = tuple(map(Ref, read.page("feed.xml")[_AT["entries"]]))
    return [site_feed(entries, config)], [site_feed(_merged(read, entries, article), config)]


def _merged(read: _Reader, entries: tuple[Ref, ...], article: Article) -> tuple[Ref, ...]:
    """The site's newest articles as a page lists them, with the new one among them."""
    at = _place(entries, newest_first_key(article), read)
    return (*entries[:at], Ref(article.path), *entries[at:])


def _sitemap(
    read: _Reader, runs: Iterable[_Section], article: Article, place: tuple[tuple, int],
    month: tuple[int, int],
) -> _Section:  # fmt: skip
    """The sitemap files: the URLs they list, in the site's order, with the article's and
    those of the lists' pages in place of the old (each run of them where it was)."""
    index = read.page("sitemap.xml")
    files = [read.page(url.lstrip("/")) for url in index[_AT["children"]]]
    listed = [url for form in files for url in form[_AT["children"]]]
    old_files = sitemap_files(list(listed))
    for old, new in runs:
        _replace_run(listed, (listed_urls(old), listed_urls(new)), read, month)
    after, at = place
    if at + 1 < len(after):  # before the next older article of its category, else after
        listed.insert(_index(listed, read.record(after[at + 1]).url), article.url)
    else:  # the one before it
        listed.insert(_index(listed, read.record(after[at - 1]).url) + 1, article.url)
    return old_files, sitemap_files(listed)


def _replace_run(
    listed: list[str], run: tuple[list[str], list[str]], read: _Reader, month: tuple[int, int]
) -> None:
    """A run of the sitemap's URLs (as it was, as it is now) replaced; the article's new
    month's put where the months older than it begin (or after the archive's last URL)."""
    old, new = run
    if old:
        at = _index(listed, old[0])
        if listed[at : at + len(old)] != old:
            raise _Declined
        listed[at : at + len(old)] = new
        return
    if not new:
        return
    counts = read.page("archive/index.html")[_AT["months"]]
    later = [month_url(y, m) for y, m, _ in counts if (y, m) < month]
    at = _index(listed, later[0]) if later else _last_archive(listed)
    listed[at:at] = new


def _last_archive(listed: list[str]) -> int:
    ends = [at for at, url in enumerate(listed) if url.startswith("/archive/")]
    if not ends:
        raise _Declined
    return ends[-1] + 1


def _index(listed: list[str], url: str) -> int:
    try:
        return listed.index(url)
    except ValueError:
        raise _Declined from None


def _changed(
    read: _Reader, sections: Iterable[_Section]
) -> tuple[dict[str, tuple], dict[str, tuple], set[str]]:
    """The plain forms of the pages that differ, by name; the store's of those it holds,
    each checked against the page made without the article; and the names that are new."""
    forms, before, new = {}, {}, set()
    for old_pages, new_pages in sections:
        old = {page.output: page for page in old_pages}
        made = {page.output: page for page in new_pages}
        if not old.keys() <= made.keys():
            raise _Declined  # (a new article takes no page away)
        for name, page in made.items():
            if name in old and old[name] == page:
                continue
            if name in forms:
                raise _Declined  # two lists claim one name (the article's URL, say)
            form = plain_of(page)
            if name in old:
                stored = read.page(name)
                if _shown(stored) != _shown(plain_of(old[name])):
                    raise _Declined  # the store is not the site its lists say
                form = _with_files(form, stored)
                before[name] = stored
            else:
                new.add(name)
            forms[name] = form
    return forms, before, new


# Where each of Page's fields is in a plain form (see pagestore.plain_of); `files` and
# `images` are those site.with_files fills in once the lists are made.
_AT: Final = {name: at for at, name in enumerate(Page._fields)}
_FILES, _IMAGES, _ENTRIES = _AT["files"], _AT["images"], _AT["entries"]


def _shown(form: tuple) -> tuple:
    return form[:_FILES] + form[_IMAGES + 1 :]


def _with_files(form: tuple, stored: tuple) -> tuple:
    """The page's files (an article's) as the store holds them, and a feed's images of the
    entries it still lists (the new article has none)."""
    listed = set(form[_ENTRIES])
    images = tuple((path, image) for path, image in stored[_IMAGES] if path in listed)
    return (*form[:_FILES], stored[_FILES], images, *form[_IMAGES + 1 :])
