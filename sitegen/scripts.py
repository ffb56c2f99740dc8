"""The site once more in the other script (issue 16): 繁體 at /, 简体 under /zh-hans/.

`with_scripts(site)` adds, beside each page of the site, its twin in the other script:
the same Page made by `assemble` from the articles and settings converted by phrase
(titles, summaries, sources, category names, the site's title; labels from i18n.py in
that script), with `script` set, so that its output lies under the script's prefix. The
bodies are converted when rendered (bodies.ConvertedBodies, cached by digest and
conversion). The twins stand right after their originals: a worker renders an article's
page in both scripts one after the other, and converts the body it has just rendered.

Left out of the second script: the sitemaps (one set lists both scripts, each URL with its
alternate) and the redirect maps (old URLs with a query string were never under /zh-hans/;
the maps at the top serve both).

The script is not in a page's cache key (pipeline.page_key): keys are kept per output
file, whose name holds the prefix, and the settings that make the conversion are in the
build's fingerprint.
"""

from __future__ import annotations

import dataclasses
import marshal
from pathlib import Path
from typing import TYPE_CHECKING, Final

from sitegen.cache import CACHE_DIR, write_atomically
from sitegen.config import Category, Config
from sitegen.content import Article
from sitegen.script_settings import CONVERTED_KEYS, SHORT_NAMES, default_conversion, prefix_of

if TYPE_CHECKING:  # (site.py is imported where a site is made: not by a build with no work)
    from sitegen.convert import Converter
    from sitegen.site import Page, Site

NOT_TWINNED: Final = frozenset({"sitemap", "redirects"})
# The theme's files for the 繁/简 switch: published only by sites in two scripts, so that
# a site in one script stays byte for byte what it was.
SWITCH_FILES: Final = frozenset({"static/js/script-choice.js", "static/css/script-switch.css"})


def converter_of(config: Config) -> Converter | None:
    """The site's conversion into its second script, or None for a site in one."""
    if len(config.scripts) != 2:
        return None
    from sitegen.convert import Converter  # OpenCC: only for sites in two scripts

    return Converter(config.conversion or default_conversion(config.scripts[0]))


def other_config(config: Config, converter: Converter) -> Config:
    """The settings as the second script's pages show them: its language, and the site's
    title, description and category names converted."""
    names = [config.title, config.description, *(c.name for c in config.categories)]
    title, description, *categories = converter.texts(names)
    return dataclasses.replace(
        config, title=title, description=description, language=config.scripts[1],
        categories=tuple(Category(c.slug, n) for c, n in zip(config.categories, categories,
                                                              strict=True)),
    )  # fmt: skip


def convert_articles(
    articles: tuple[Article, ...], converter: Converter, keep: tuple[str, ...],
    cache: Path | None = None,
) -> list[Article]:  # fmt: skip
    """The articles with the text readers see in the other script (one OpenCC call for
    those not converted before), except the front-matter keys named in `keep` (no_convert).

    With a `cache` file, each article's converted values are kept there by path and digest:
    converting every title, source and summary took a tenth of a second of each build at
    10 000 articles, an edit's included, where the articles that changed are all it needs.
    """
    fields = [f for f in CONVERTED_KEYS if f != "tags" and f not in keep]
    tags = "tags" not in keep
    tag = _cache_tag(converter, fields, tags)
    known = _load_converted(cache, tag)
    names = [f"{a.path}\0{a.digest}" for a in articles]
    todo = [(name, a) for name, a in zip(names, articles, strict=True) if name not in known]
    texts: list[str] = []
    for _, article in todo:
        texts += [getattr(article, f) or "" for f in fields]
        if tags:
            texts += article.tags
    done = iter(converter.texts(texts))
    now = {name: known[name] for name in names if name in known}
    for name, article in todo:
        values = tuple(next(done) for _ in fields)
        now[name] = (values, tuple(next(done) for _ in article.tags) if tags else ())
    if cache is not None and (todo or len(now) != len(known)):
        write_atomically(cache, marshal.dumps((tag, now)))
    at = [Article._fields.index(f) for f in fields]
    return [_converted(a, at, now[name]) for name, a in zip(names, articles, strict=True)]


def _converted(article: Article, at: list[int], converted: tuple) -> Article:
    """The article with its converted values at the positions `at` (an absent key stays
    absent), and its converted tags. (By position: _replace goes by name, at three times
    the cost, for every article of every build.)"""
    texts, tags = converted
    values = list(article)
    for i, text in zip(at, texts, strict=True):
        if values[i] is not None:
            values[i] = text
    if tags:
        values[_TAGS] = tags
    return Article(*values)


_TAGS: Final = Article._fields.index("tags")


def _cache_tag(converter: Converter, fields: list[str], tags: bool) -> str:
    # OpenCC's dictionaries change between its versions: a new one converts afresh.
    from opencc import __version__ as opencc_version

    return f"converted 1 {converter.conversion} {opencc_version} {fields} {tags}"


def _load_converted(cache: Path | None, tag: str) -> dict[str, tuple]:
    """What convert_articles kept in `cache` for this tag (marshal: loading runs no code)."""
    if cache is None:
        return {}
    try:
        found, held = marshal.loads(cache.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    return held if found == tag and type(held) is dict else {}


def with_scripts(site: Site) -> Site:
    """The site with every page in its second script too, when it has one."""
    converter = converter_of(site.config)
    if converter is None:
        return site
    from sitegen.site import Page, assemble, sitemap_pages

    files = Page._fields.index("files")
    assert Page._fields[files:] == ("files", "images", "script", "body")
    config = site.config
    script = config.scripts[1]
    cache = config.root / CACHE_DIR / f"converted-{converter.conversion}.bin"
    articles = convert_articles(site.articles, converter, config.no_convert, cache)
    other = assemble(articles, other_config(config, converter))
    twins = {p.url: p for p in other.pages if p.kind not in NOT_TWINNED}
    pages: list[Page] = []
    for page in site.pages:
        if page.kind == "sitemap":
            continue
        pages.append(page)
        if page.kind not in NOT_TWINNED:
            twin = twins[page.url]
            # As twin._replace(files=..., images=..., script=...), at a third of the cost.
            pages.append(Page(*twin[:files], page.files, page.images, script))
    pages += sitemap_pages([p for p in pages if not p.script], copies=2)
    return dataclasses.replace(site, pages=tuple(pages), outputs=tuple(p.output for p in pages))


def is_page_path(path: str) -> bool:
    """Whether a site path names a page, which has a twin in the other script, rather than a
    file both scripts share (static/, the search index, photos and attachments): what the
    second script's links put under its prefix."""
    if path.startswith("/static/"):
        return False
    if "#" in path or "?" in path:
        path = path.partition("#")[0].partition("?")[0]
    return path.endswith(("/", ".html", ".xml"))


def alternates(config: Config) -> tuple[tuple[str, str], ...]:
    """(script, prefix) of each script of the site, the articles' own first; () for one."""
    if len(config.scripts) != 2:
        return ()
    return tuple((s, "" if i == 0 else prefix_of(s)) for i, s in enumerate(config.scripts))


def short_name(script: str) -> str:
    return SHORT_NAMES[script]


def static_files(config: Config, static: dict) -> dict:
    """The static files to publish: the switch's own only for a site in two scripts."""
    if len(config.scripts) == 2:
        return static
    return {rel: stat for rel, stat in static.items() if rel not in SWITCH_FILES}
