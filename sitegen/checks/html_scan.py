"""One built HTML page -> the ids it defines and the URLs it points at, with line numbers.

html.parser is used rather than BeautifulSoup: a 10 000-article site has about 25 000 pages,
and a bare `HTMLParser` that only looks at start tags is several times faster.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Final

# Attributes that hold one URL, by tag. `srcset` (several URLs) is handled on its own.
URL_ATTRS: Final = {
    "a": ("href",),
    "area": ("href",),
    "link": ("href",),
    "img": ("src",),
    "script": ("src",),
    "source": ("src",),
    "iframe": ("src",),
    "embed": ("src",),
    "track": ("src",),
    "audio": ("src",),
    "video": ("src", "poster"),
    "object": ("data",),
    "form": ("action",),
}
_REFRESH_URL: Final = re.compile(r"""^\s*\d*\s*[;,]\s*url\s*=\s*['"]?([^'"]*)""", re.IGNORECASE)
# A URL as browsers read it: C0 controls and spaces before it, tabs and line breaks in it
# are ignored, so "\tjava\nscript:" runs too.
_URL_NOISE: Final = re.compile(r"[\t\n\r]")
_JAVASCRIPT: Final = re.compile(r"[\x00-\x20]*javascript:", re.IGNORECASE)
_EVENT_ATTR: Final = re.compile(r"on[a-z]+")
# Attributes a browser reads as a URL on some element, links or not (alt and title are text).
_ANY_URL_ATTRS: Final = frozenset(
    {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background",
     "cite", "longdesc", "lowsrc", "dynsrc", "codebase", "manifest", "icon", "ping"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Ref:
    """One URL written in a page: `<img src=...>` on line 12 is Ref("img", "src", url, 12)."""

    tag: str
    attr: str
    url: str
    line: int


@dataclass(frozen=True, slots=True)
class Duplicate:
    id: str
    line: int
    first_line: int


@dataclass(frozen=True, slots=True)
class Scan:
    kind: str | None  # <body data-page-kind="article">, set by the layouts
    ids: frozenset[str]  # ids and <a name> anchors: what a #fragment may point at
    refs: tuple[Ref, ...]
    duplicates: tuple[Duplicate, ...]
    scripts: tuple[Ref, ...] = ()  # every <script> that runs: its src, or "" for an inline one
    handlers: tuple[Ref, ...] = ()  # event attributes: Ref("img", "onerror", code, line)


def scan_html(text: str) -> Scan:
    collector = _Collector()
    collector.feed(text)
    collector.close()
    return Scan(
        kind=collector.kind,
        ids=frozenset(collector.first_seen) | frozenset(collector.names),
        refs=tuple(collector.refs),
        duplicates=tuple(collector.duplicates),
        scripts=tuple(collector.scripts),
        handlers=tuple(collector.handlers),
    )


def _runs(script_type: str) -> bool:
    """Whether a <script type=...> is run; others (application/ld+json) are data blocks."""
    kind = script_type.strip().lower()
    return kind in ("", "module") or "javascript" in kind or "ecmascript" in kind


def _is_javascript(value: str) -> bool:
    return _JAVASCRIPT.match(_URL_NOISE.sub("", value)) is not None


def srcset_urls(value: str) -> list[str]:
    """The URLs in `a.jpg 1x, b.jpg 2x` (each candidate is a URL, then an optional descriptor)."""
    return [part.split()[0] for part in value.split(",") if part.strip()]


class _Collector(HTMLParser):
    """Made per page; its lists are the parse result, read once by scan_html."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.kind: str | None = None
        self.first_seen: dict[str, int] = {}
        self.names: set[str] = set()
        self.refs: list[Ref] = []
        self.duplicates: list[Duplicate] = []
        self.scripts: list[Ref] = []
        self.handlers: list[Ref] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        values = {name: value for name, value in attrs if value is not None}
        if "id" in values:
            self._add_id(values["id"], line)
        if tag == "a" and "name" in values:
            self.names.add(values["name"])
        if tag == "body" and "data-page-kind" in values:
            self.kind = values["data-page-kind"]
        for attr in URL_ATTRS.get(tag, ()):
            if attr in values:
                self.refs.append(Ref(tag, attr, values[attr], line))
        if "srcset" in values and tag in ("img", "source"):
            self.refs += [Ref(tag, "srcset", url, line) for url in srcset_urls(values["srcset"])]
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            found = _REFRESH_URL.match(values.get("content", ""))
            if found:
                self.refs.append(Ref("meta", "content", found.group(1).strip(), line))
        self._scripting(tag, attrs, values, line)

    def _scripting(
        self, tag: str, attrs: list[tuple[str, str | None]], values: dict[str, str], line: int
    ) -> None:
        """Scripts, event attributes, and javascript: URLs in attributes not read as links."""
        if tag == "script" and _runs(values.get("type", "")):
            self.scripts.append(Ref(tag, "src", values.get("src", "").strip(), line))
        links = URL_ATTRS.get(tag, ())
        for name, value in attrs:
            if name.startswith("on") and _EVENT_ATTR.fullmatch(name):
                self.handlers.append(Ref(tag, name, value or "", line))
            elif name in _ANY_URL_ATTRS and name not in links and value and _is_javascript(value):
                self.refs.append(Ref(tag, name, value, line))  # resolve() reports it

    def _add_id(self, value: str, line: int) -> None:
        if value in self.first_seen:
            self.duplicates.append(Duplicate(value, line, self.first_seen[value]))
        else:
            self.first_seen[value] = line
