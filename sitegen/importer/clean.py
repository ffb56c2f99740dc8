"""Text of a saved page -> a BeautifulSoup tree with the junk that no reader saw taken out.

This stage removes what can be judged from markup alone: decoy tags sharing one random id,
empty junk tags, scripts, styles, frames, forms, tracking pixels, and elements hidden by an
inline style, the `hidden` attribute or a class/id that the page's own <style> hides (spam
injectors hide their link farms that way). Judging blocks by their words (chrome, spam) is
extract.py's job; sanitising what is finally kept is `sanitize()`, done by nh3 with
the policy of sitegen/sanitize.py, which the build uses too.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from bs4 import BeautifulSoup, Comment, Doctype, NavigableString, ProcessingInstruction, Tag

from sitegen.importer.scripts import written_links

# One policy for imported and built bodies (to_markdown imports `sanitize` from here).
from sitegen.sanitize import HEADINGS, sanitize  # noqa: F401

DROP_WITH_CONTENT = {
    "script": "script",
    "noscript": "script",
    "template": "script",
    "style": "style",
    "link": "style",
    "meta": "style",
    "iframe": "iframe",
    "frame": "iframe",
    "frameset": "iframe",
    "embed": "embed",
    "applet": "embed",
    "object": "embed",
    "button": "form",
    "input": "form",
    "select": "form",
    "textarea": "form",
    "svg": "script",
    "canvas": "script",
    "map": "script",
}
# tags with a meaning of their own even when they hold no text
KEEP_EMPTY = frozenset({"img", "br", "hr", "td", "tr", "table", "tbody", "thead", "col", "body"})
BLOCK_TAGS = HEADINGS | frozenset(
    [
        "p",
        "div",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "aside",
        "nav",
        "table",
        "ul",
        "ol",
        "dl",
        "li",
        "dd",
        "dt",
        "blockquote",
        "pre",
        "center",
        "tr",
        "td",
        "th",
        "tbody",
        "thead",
        "form",
        "address",
        "figure",
        "figcaption",
    ]
)
_HIDING = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d]*[1-9])"
    r"|(?:left|top|text-indent|margin-left)\s*:\s*-\d{3,}|(?:width|height)\s*:\s*0(?:px)?\s*;"
    r"[^\"']*overflow\s*:\s*hidden",
    re.I,
)
_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_SIMPLE_SELECTOR = re.compile(r"^[a-z0-9]*([.#])([\w-]+)$", re.I)
_TEXT_DUMP_SIGNS = re.compile(r"<(p|div|br|td|body|html|h[1-6]|table|li)\b", re.I)
DECOY_ID_MIN = 3
_PAGE_BREAK = re.compile(r"#p#[^#<>]{0,60}#e#")


@dataclass(frozen=True, slots=True)
class Cleaned:
    soup: BeautifulSoup  # the tree extract.py reads; owned by the caller from here on
    removed: tuple[tuple[str, int], ...]  # (kind, count), sorted by kind
    text_dump: bool  # the page was plain text with stray tags, one paragraph a line
    samples: tuple[tuple[str, str], ...] = ()  # (kind, text) of a few removed with text


def parse(text: str) -> tuple[BeautifulSoup, bool]:
    """Parse HTML; a plain-text dump (like importer/samples/seed) becomes one <p> a line."""
    if _TEXT_DUMP_SIGNS.search(text):
        return BeautifulSoup(text, "html.parser"), False
    lines = text.splitlines()
    wrapped = "".join(f"<p data-line='{n}'>{line}</p>\n" for n, line in enumerate(lines, 1))
    return BeautifulSoup(wrapped, "html.parser"), True


def clean(text: str) -> Cleaned:
    """Remove junk that markup alone gives away; see the module docstring."""
    soup, text_dump = parse(text)
    removed: Counter[str] = Counter()
    samples: list[tuple[str, str]] = []
    hidden_selectors = _hidden_selectors(soup)
    _keep_written_links(soup)
    # ASP.NET pages wrap the whole page in one <form>: its controls go, its text stays.
    for form in soup.find_all("form"):
        form.unwrap()
    for node in soup.find_all(
        string=lambda s: isinstance(s, Comment | Doctype | ProcessingInstruction)
    ):
        node.extract()
    for tag in soup.find_all(True):
        if tag.parent is None or getattr(tag, "decomposed", False):
            continue
        kind = _junk_kind(tag, hidden_selectors)
        if kind:
            removed[kind] += 1
            if kind == "hidden":  # what spam injectors hide: worth showing an editor
                samples.append((kind, collapse(tag.get_text())))
            tag.decompose()
    _remove_decoys(soup, removed)
    _remove_page_breaks(soup, removed)
    _remove_empty(soup, removed)
    return Cleaned(
        soup, tuple(sorted(removed.items())), text_dump, tuple(t for t in samples if t[1])
    )


def collapse(text: str) -> str:
    """Whitespace runs -> one space; legacy full-width and &nbsp; indentation dropped."""
    return " ".join(text.replace("\u3000", " ").replace("\xa0", " ").split())


def _keep_written_links(soup: BeautifulSoup) -> None:
    """An inline script that prints attachment links (see scripts.py) is replaced by what
    it prints, before scripts are dropped; the markup is sanitised with the body later."""
    for script in soup.find_all("script"):
        if script.get("src"):
            continue
        markup = written_links(script.get_text())
        if markup:
            script.replace_with(BeautifulSoup(markup, "html.parser"))


def _remove_page_breaks(soup: BeautifulSoup, removed: Counter[str]) -> None:
    """DedeCMS marks the page breaks of a long article as #p#subtitle#e# in the text."""
    for node in soup.find_all(string=_PAGE_BREAK):
        removed["chrome"] += 1
        node.replace_with(_PAGE_BREAK.sub(" ", str(node)))


def _junk_kind(tag: Tag, hidden_selectors: frozenset[str]) -> str | None:
    name = tag.name.lower()
    if name in DROP_WITH_CONTENT:
        return DROP_WITH_CONTENT[name]
    if tag.has_attr("hidden") or _HIDING.search(str(tag.get("style", ""))):
        return "hidden"
    if hidden_selectors and _matches(tag, hidden_selectors):
        return "hidden"
    if name == "img" and _is_pixel(tag):
        return "tracking"
    return None


def _matches(tag: Tag, selectors: frozenset[str]) -> bool:
    classes = tag.get("class") or []
    if isinstance(classes, str):
        classes = classes.split()
    return any("." + c in selectors for c in classes) or ("#" + str(tag.get("id", "")) in selectors)


def _hidden_selectors(soup: BeautifulSoup) -> frozenset[str]:
    """Class and id selectors that the page's own <style> blocks hide."""
    found: set[str] = set()
    for style in soup.find_all("style"):
        for selectors, body in _CSS_RULE.findall(style.get_text()):
            if not _HIDING.search(body + ";"):
                continue
            for selector in selectors.split(","):
                simple = _SIMPLE_SELECTOR.match(selector.strip())
                if simple:
                    found.add(simple.group(1) + simple.group(2))
    return frozenset(found)


def _is_pixel(img: Tag) -> bool:
    sizes = [str(img.get(a, "")).strip().removesuffix("px") for a in ("width", "height")]
    return any(s.isdigit() and int(s) <= 2 for s in sizes)


def _remove_decoys(soup: BeautifulSoup, removed: Counter[str]) -> None:
    """Decoy tags share one random id (seed: id="edi27" on button, em, form, th ...)."""
    ids = Counter(str(t["id"]) for t in soup.find_all(id=True))
    for decoy_id, count in ids.items():
        if count < DECOY_ID_MIN:
            continue
        for tag in soup.find_all(id=decoy_id):
            if getattr(tag, "decomposed", False) or tag.parent is None:
                continue
            if _has_content(tag):
                tag.unwrap()  # the id was sprayed onto a real element: keep what it holds
            else:
                removed["decoy"] += 1
                tag.decompose()


def _has_content(tag: Tag) -> bool:
    return bool(tag.get_text().strip(" \t\r\n\xa0\u3000")) or tag.find("img") is not None


def _remove_empty(soup: BeautifulSoup, removed: Counter[str]) -> None:
    """Empty inline and stray block tags; cells of a real table keep its shape."""
    for tag in reversed(soup.find_all(True)):
        if tag.parent is None or tag.name in KEEP_EMPTY:
            continue
        if tag.name in ("th", "dd", "dt", "li") and tag.find_parent(["table", "dl", "ul", "ol"]):
            continue
        if not _has_content(tag):
            removed["empty"] += 1
            tag.decompose()


def is_text(node: object) -> bool:
    return isinstance(node, NavigableString) and not isinstance(node, Comment)
