"""The one HTML policy: what an article body may hold, for the build and the importer alike.

Python-Markdown passes raw HTML through, and its link and attribute-list syntax takes any
URL and any attribute (`[x](javascript:...)`, `{: onclick=... }`), so every body is cleaned
by nh3 (an allow-list sanitiser) unless the site says `html: trusted` in site.yaml. The lists
hold what our Markdown extensions emit (`markup.EXTENSIONS`: heading ids, footnote ids and
classes, `language-*` classes on code, table alignment) and what imported pages keep.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import nh3

HEADINGS: Final = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
TAGS: Final = HEADINGS | frozenset(
    {
        *("p", "br", "hr", "div", "span", "blockquote", "pre", "code"),
        *("strong", "b", "em", "i", "u", "sup", "sub"),
        *("a", "img", "figure", "figcaption"),
        *("table", "thead", "tbody", "tr", "th", "td"),
        *("ul", "ol", "li"),
    }
)
# Table parts get no class or id: the importer keeps complex legacy tables as HTML, and
# Word's class soup (MsoNormalTable, xl65) has no meaning here.
_TABLE_PARTS: Final = frozenset({"table", "thead", "tbody", "tr", "th", "td"})
# Heading anchors, footnotes (fnref:1, fn:1, footnote-ref ...), `{: .lead #id lang=en }`.
_ANYWHERE: Final = frozenset({"id", "class", "lang", "title"})
_CELL: Final = frozenset({"colspan", "rowspan", "style"})
_IMAGE: Final = frozenset(
    {"src", "alt", "width", "height", "srcset", "sizes", "loading", "decoding"}
)
ATTRIBUTES: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        **{tag: _ANYWHERE for tag in TAGS - _TABLE_PARTS},
        "a": _ANYWHERE | {"href"},
        "img": _ANYWHERE | _IMAGE,
        "ol": _ANYWHERE | {"start"},  # sane_lists: a list that starts at 3
        "th": _CELL,
        "td": _CELL,
    }
)
# The tables extension aligns columns with style="text-align: left;": a style attribute is
# kept on table cells only, and only as that declaration (so it can never load a URL).
_ALIGNMENTS: Final = frozenset({"left", "right", "center", "justify"})
# ftp: imported archives link old downloads there. Relative URLs are kept as they are.
URL_SCHEMES: Final = frozenset({"http", "https", "mailto", "ftp"})
# Dropped with what they hold, not only their tags: their text is code or fallback.
DROP_WITH_CONTENT: Final = frozenset(
    {"script", "style", "template", "noscript", "iframe", "object", "svg", "math", "textarea",
     "select", "title"}
)  # fmt: skip
# Names this policy in the body store's key: a changed policy renders every body again.
POLICY_KEY: Final = hashlib.sha256(
    repr(
        (
            sorted(TAGS),
            sorted((tag, sorted(names)) for tag, names in ATTRIBUTES.items()),
            sorted(_ALIGNMENTS),
            sorted(URL_SCHEMES),
            sorted(DROP_WITH_CONTENT),
        )
    ).encode("utf-8")
).hexdigest()[:16]


def make_cleaner() -> nh3.Cleaner:
    """The policy compiled once; make one per process and reuse it for every body."""
    return nh3.Cleaner(
        tags=set(TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        attribute_filter=_cell_alignment,
        link_rel=None,
        strip_comments=True,
    )


def _cell_alignment(tag: str, name: str, value: str) -> str | None:
    """Of a cell's style, its text alignment, written as the tables extension writes it."""
    if name != "style":
        return value
    for declaration in value.split(";"):
        key, _, setting = declaration.partition(":")
        setting = setting.strip().lower()
        if key.strip().lower() == "text-align" and setting in _ALIGNMENTS:
            return f"text-align: {setting};"
    return None


def sanitize(html: str, cleaner: nh3.Cleaner | None = None) -> str:
    """`html` with only what the policy allows: no scripts, event handlers, frames, forms,
    javascript: URLs, or styles beyond the alignment of table cells."""
    return (cleaner or make_cleaner()).clean(html)
