"""An edit's site made from the last build's, by a long-lived builder (`sitegen serve`).

When the only change since the last build is articles edited in what does not place them
(their body, title, summary, source, editor ...; not their date, category, slug, URL, old
URLs, draft state or the files they name, nor the lines of their front matter), when no
file came or went and no setting, layout, static file or file beside the articles changed,
the site `assemble` would make is the last one with those articles' records in place of
the old: the same pages, in the same order, holding the same articles, their own pages
titled anew. The builder then puts the new records into the few pages that hold them (its
own, its neighbours', the lists it is on) and keys only those pages, where assembling,
checking and keying the 210 000 pages of 100 000 articles again took 1.3 s of each save.
Anything else is built as usual. (tests/test_patch.py checks that both ways write the same
site, byte for byte.)
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from sitegen.content import Article
from sitegen.scripts import convert_articles, converter_of
from sitegen.site import Page, Site, records_of

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from sitegen.assets import Prepared
    from sitegen.cache import SourceEntry
    from sitegen.entry import Seen
    from sitegen.output import Manifest
    from sitegen.problems import Problem

MOST: Final = 64  # edited articles patched in; more (a checkout, a bulk edit) are assembled


@dataclass(frozen=True, slots=True)
class Held:
    """What a long-lived builder keeps of its last build, to patch the next one from."""

    site: Site
    seen: Seen  # the sources as listed
    found: frozenset[str]  # files in the output folder that sitegen did not write
    prepared: Prepared  # the articles' files, and their problems
    claimed: frozenset[str]  # the pages and files the site makes
    clashes: tuple[Problem, ...]  # what url_clashes said
    plan: str
    # Article path -> the indices of the pages that hold its record (its own pages, its
    # neighbours', the lists it is on; in both scripts).
    where: Mapping[str, tuple[int, ...]]
    positions: Mapping[str, int]  # article path -> its place in site.articles
    index_token: str | None  # the resident indexer's index the live site holds, if any
    # The output folder's manifest as the build wrote it, and its file's token (see
    # output.manifest_token): not read back while the file is that one.
    live: tuple[Manifest, tuple[int, int, int] | None] | None = None


@dataclass(frozen=True, slots=True)
class Patched:
    site: Site
    pages: frozenset[int]  # the indices of the pages that hold a new record
    edited: tuple[Article, ...]  # the new records


def hold(
    site: Site, seen: tuple[Seen, frozenset[str]], prepared: tuple[Prepared, frozenset[str]],
    clashes: tuple[Problem, ...], plan: str, index_token: str | None,
) -> Held:  # fmt: skip
    """What to keep of a build (`seen`: its listing of the sources, and the files in the
    output folder that sitegen did not write; `prepared`: the articles' files, and every
    output the site claims)."""
    where: dict[str, set[int]] = defaultdict(set)
    for index, page in enumerate(site.pages):
        for article in records_of(page):
            if article is not None:
                where[article.path].add(index)
    frozen = {path: tuple(sorted(found_at)) for path, found_at in where.items()}
    positions = {article.path: at for at, article in enumerate(site.articles)}
    return Held(site, *seen, *prepared, clashes, plan, frozen, positions, index_token)


def patched(
    held: Held, sources: tuple[Mapping[str, SourceEntry], Mapping[str, SourceEntry]],
    edited: frozenset[str], seen: tuple[str, frozenset[str]], drafts: bool,
) -> Patched | None:  # fmt: skip
    """The site with the edited articles' new records (`sources`: the records before and
    now; `edited`: the files touched, added or gone), when no other page can show the edit
    and nothing else changed (`seen`: the signature of the surroundings, and the files in
    the output folder sitegen did not write); else None (the caller assembles the site)."""
    (before, now), (surroundings, found) = sources, seen
    if held.seen.surroundings != surroundings or held.found != found:
        return None
    swaps = new_records((before, now), edited, held.prepared.problems, drafts)
    return None if swaps is None else _swapped_in(held, swaps)


def new_records(
    sources: tuple[Mapping[str, SourceEntry], Mapping[str, SourceEntry]], edited: Iterable[str],
    checked: tuple[Problem, ...], drafts: bool,
) -> dict[str, Article] | None:  # fmt: skip
    """The edited files' new records, by path, to put into the pages that hold the old
    (`sources`: the entries before and now; `checked`: what checking the articles' files
    found); None when the edit cannot be patched in: a file added or gone, an error, an
    article moved, more than MOST records."""
    before, now = sources
    swaps: dict[str, Article] = {}
    for path in sorted(edited):
        entry = now.get(path)
        if path not in before or entry is None:
            return None  # a file added or gone
        if before[path] is entry:
            continue
        old, new = before[path].article, entry.article
        if any(p.is_error for p in entry.problems) or (old is None) != (new is None):
            return None
        if old is None or new is None or (old.draft and not drafts):
            continue  # not on any page, then or now
        if place(old) != place(new) or len(swaps) == MOST:
            return None
        if old.references != new.references and _named(checked, path):
            return None  # its files' problems name lines that may have moved
        swaps[path] = new
    return swaps


def _swapped_in(held: Held, swaps: dict[str, Article]) -> Patched:
    site = held.site
    converter = converter_of(site.config)
    twins = {}
    if converter is not None and swaps:
        converted = convert_articles(tuple(swaps.values()), converter, site.config.no_convert)
        twins = {twin.path: twin for twin in converted}
    pages = list(site.pages)
    touched: set[int] = set()
    for path, article in swaps.items():
        for index in held.where.get(path, ()):
            page = pages[index]
            pages[index] = with_record(page, twins[path] if page.script else article)
            touched.add(index)
    articles = list(site.articles)
    for path, article in swaps.items():
        articles[held.positions[path]] = article
    site = Site(site.config, tuple(articles), tuple(pages), site.outputs)
    return Patched(site, frozenset(touched), tuple(swaps.values()))


def place(article: Article) -> tuple:
    """What places an article and what other pages are made from: its path, slug, date (by
    its text and zone: datetimes of two zones at the same instant compare equal), category,
    URL, old URLs, draft state, the files its body names (not the lines they are named on:
    see _named), and the lines of its front matter (which the last build's messages name).
    The rest it only shows."""
    date = article.date
    files = tuple(target for target, _ in article.references)
    return (article.path, article.slug, date.isoformat(), str(date.tzinfo), article.category,
            article.url, article.legacy_path, article.aliases, article.draft, files,
            article.key_lines)  # fmt: skip


def _named(checked: tuple[Problem, ...], path: str) -> bool:
    """Whether checking the articles' files found a problem in this article (its message
    names the line of the reference)."""
    return any(problem.path.as_posix() == path for problem in checked)


def with_record(page: Page, new: Article) -> Page:
    """The page with `new` wherever it holds a record of the same file; titled anew if it
    is that article's own page, print view or old URL's redirect (as site.assemble titles
    them)."""
    path = new.path

    def one(article: Article | None) -> Article | None:
        return new if article is not None and article.path == path else article

    own = page.kind in _TITLED and page.article is not None and page.article.path == path
    return page._replace(
        title=new.title if own else page.title,
        article=one(page.article), previous=one(page.previous), next=one(page.next),
        entries=tuple(map(one, page.entries)),
        groups=tuple((category, tuple(map(one, group))) for category, group in page.groups),
    )  # fmt: skip


_TITLED: Final = frozenset(("article", "print", "alias"))
