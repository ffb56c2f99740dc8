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
from typing import TYPE_CHECKING, Final

from sitegen.config import Category, Config
from sitegen.content import Article
from sitegen.script_settings import SHORT_NAMES, default_conversion, prefix_of
from sitegen.site import Page, Site, assemble, sitemap_pages

if TYPE_CHECKING:
    from sitegen.convert import Converter

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
    articles: tuple[Article, ...], converter: Converter, keep: tuple[str, ...]
) -> list[Article]:
    """The articles with the text readers see in the other script (one OpenCC call for
    all), except the front-matter keys named in `keep` (no_convert)."""
    fields = [f for f in ("title", "subtitle", "source", "editor", "author", "summary")
              if f not in keep]  # fmt: skip
    tags = "tags" not in keep
    texts: list[str] = []
    for article in articles:
        texts += [getattr(article, f) or "" for f in fields]
        if tags:
            texts += article.tags
    done = iter(converter.texts(texts))
    converted = []
    for article in articles:
        changes = {}
        for name in fields:
            value = next(done)
            if getattr(article, name) is not None:  # an absent key stays absent
                changes[name] = value
        if tags and article.tags:
            changes["tags"] = tuple(next(done) for _ in article.tags)
        converted.append(article._replace(**changes))
    return converted


def with_scripts(site: Site) -> Site:
    """The site with every page in its second script too, when it has one."""
    converter = converter_of(site.config)
    if converter is None:
        return site
    config = site.config
    script = config.scripts[1]
    articles = convert_articles(site.articles, converter, config.no_convert)
    other = assemble(articles, other_config(config, converter))
    twins = {p.url: p for p in other.pages if p.kind not in NOT_TWINNED}
    pages: list[Page] = []
    for page in site.pages:
        if page.kind == "sitemap":
            continue
        pages.append(page)
        if page.kind not in NOT_TWINNED:
            twin = twins[page.url]
            pages.append(twin._replace(script=script, files=page.files, images=page.images))
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
