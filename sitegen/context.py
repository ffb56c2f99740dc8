"""The layouts' `site` (SiteContext): the settings, the labels, and the site's URLs.

Apart from sitegen/render.py, which imports Jinja2: a build's search child makes the
index's URLs and category names with it, and starts before the build has imported Jinja2
(see sitegen/entry.py). Layout authors meet it as `site` (see sitegen/render.py).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final
from urllib.parse import quote

from sitegen.config import Category, Config
from sitegen.i18n import labels_for
from sitegen.script_settings import prefix_of
from sitegen.scripts import alternates, converter_of, is_page_path, other_config, short_name

_SAFE_URL_CHARS: Final = "/#?=&%~:+,;@!$'()*"
# What quote() leaves as it is: ASCII letters and digits, "_.-~", and the safe characters.
# (Spelt out: importing the `string` module for them cost an edit's search child 1.5 ms.)
_PLAIN_CHARS: Final = (
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~" + _SAFE_URL_CHARS
)
_PLAIN_URL: Final = re.compile(f"[{re.escape(_PLAIN_CHARS)}]*")
_PLAIN_BYTES: Final = _PLAIN_CHARS.encode("ascii")


@dataclass(frozen=True, slots=True)
class SiteContext:
    config: Config
    labels: MappingProxyType[str, str]
    # URLs already encoded: every page links the same navigation, and quote() is not free.
    _urls: dict[str, str] = dataclasses.field(default_factory=dict, repr=False, compare=False)
    # A site in two scripts (sitegen/scripts.py): the URL prefix of this context's pages
    # ("zh-hans/", or "" for the articles' own script), and (script, prefix) of both.
    prefix: str = ""
    scripts: tuple[tuple[str, str], ...] = ()

    @property
    def categories(self) -> tuple[Category, ...]:
        return self.config.categories

    def url(self, path: str) -> str:
        """A site path ("/law/a/") as a link under the base path, percent-encoded; in the
        second script, a page's path leads to its twin under the script's prefix."""
        found = self._urls.get(path)
        if found is None:
            found = quote_url(self.config.base_path + self._in_script(path))
            if len(self._urls) < 10_000:  # navigation and static files, not every article
                self._urls[path] = found
        return found

    def urls(self, paths: Iterable[str]) -> list[str]:
        """`url` of each of many site paths (of pages), without the memo: for the search
        index's list of every article."""
        return self._quoted(self.config.base_path, paths)

    def abs_url(self, path: str) -> str:
        return quote_url(self.config.base_url + self._in_script(path))

    def abs_urls(self, paths: Iterable[str]) -> list[str]:
        """`abs_url` of each of many site paths: for a sitemap's 50 000."""
        return self._quoted(self.config.base_url, paths)

    def _quoted(self, base: str, paths: Iterable[str]) -> list[str]:
        if self.prefix:
            in_script = self._in_script
            urls = [base + in_script(path) for path in paths]
        else:
            urls = [base + path.lstrip("/") for path in paths]
        return urls if _all_plain(urls) else [quote_url(url) for url in urls]

    def _in_script(self, path: str) -> str:
        if self.prefix and is_page_path(path):
            return self.prefix + path.lstrip("/")
        return path.lstrip("/")

    def category_name(self, slug: str) -> str:
        found = self.config.category(slug)
        return found.name if found else slug

    @property
    def root_url(self) -> str:
        """The site's base path, percent-encoded: the same in both scripts (`url("/")` is
        the home page in this context's script)."""
        return quote_url(self.config.base_path)

    @property
    def other_script(self) -> str:
        """The script of the twin of each page ("zh-Hans"), or "" in a site of one script."""
        return next((s for s, _ in self.scripts if s != self.config.language), "")

    @property
    def script_name(self) -> str:
        """This context's script as the switch names it (繁), or ""."""
        return short_name(self.config.language) if self.scripts else ""

    @property
    def other_script_name(self) -> str:
        return short_name(self.other_script) if self.scripts else ""

    def switch_url(self, path: str) -> str:
        """The link to the page at `path` in the other script."""
        prefix = next((p for s, p in self.scripts if s != self.config.language), "")
        return quote_url(self.config.base_path + prefix + path.lstrip("/"))

    def alternates(self, path: str) -> tuple[tuple[str, str], ...]:
        """(hreflang, absolute URL) of the page at `path` in each script, and x-default
        (the articles' own script); () in a site of one script."""
        found = tuple((s, quote_url(self.config.base_url + p + path.lstrip("/")))
                      for s, p in self.scripts)  # fmt: skip
        return (*found, ("x-default", found[0][1])) if found else ()


def quote_url(url: str) -> str:
    """The URL percent-encoded; most are plain ASCII slugs, which quote() returns as they
    are at ten times the cost of looking."""
    return url if _PLAIN_URL.fullmatch(url) else quote(url, safe=_SAFE_URL_CHARS)


def _all_plain(urls: list[str]) -> bool:
    """Whether quote_url returns every one of these URLs as it is: their characters looked
    at all at once, in C (the 110 000 URLs of a sitemap at 100 000 articles: 4 ms, where
    matching each against _PLAIN_URL took 30 ms)."""
    joined = "".join(urls)
    return joined.isascii() and not joined.encode("ascii").translate(None, _PLAIN_BYTES)


def make_context(config: Config, script: str = "") -> SiteContext:
    """The layouts' `site`: for the articles' own script, or for the second (`script`), with
    that script's labels and the site's title and category names converted."""
    scripts = alternates(config)
    if not script:
        return SiteContext(config, labels_for(config.language), scripts=scripts)
    converter = converter_of(config)
    assert converter is not None and script == config.scripts[1], script
    converted = other_config(config, converter)
    return SiteContext(converted, labels_for(script), prefix=prefix_of(script), scripts=scripts)
