"""Body blocks -> sanitised HTML (nh3) -> clean Markdown, one small function per tag.

Legacy indentation (full-width spaces, &nbsp;) goes; standalone section titles (一、 （一）
1. 第一章) become headings; simple tables become Markdown tables and the others stay as
clean HTML; every URL goes through `link`, which copies files and rewrites addresses.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from bs4 import BeautifulSoup, NavigableString, Tag

from sitegen.importer.blocks import Block, collapse, is_data_table
from sitegen.importer.clean import HEADINGS, sanitize

Linker = Callable[[str, str], str]  # (url, "img" | "a") -> the URL to write

_HEADING_RULES = (
    (re.compile(r"^第[一二三四五六七八九十百\d]+[章節节部分篇]"), 2),
    (re.compile(r"^[一二三四五六七八九十]+\s*[、.．]"), 2),
    (re.compile(r"^[（(]\s*[一二三四五六七八九十]+\s*[)）]"), 3),
    (re.compile(r"^\d{1,2}\s*[、.．]\s*\S"), 4),
)
_SENTENCE_END = re.compile(r"[。；;，,：:！!？?]$|[。！？]")
_ESCAPE = re.compile(r"([\\`*_\[\]])")
_PARAGRAPH_LIKE = frozenset(
    ["p", "li", "dd", "dt", "center", "address", "figcaption", "blockquote", "div", "td", "th"]
)
_LINE_START = re.compile(r"^(#|>|[-+*]\s|\d+[.)]\s)")


def keep_link(url: str, kind: str) -> str:
    return url


def body_html(blocks: tuple[Block, ...] | list[Block]) -> str:
    """The kept blocks as one sanitised HTML fragment, a top-level element per block."""
    parts = []
    for block in blocks:
        if len(block.nodes) == 1 and isinstance(block.nodes[0], Tag) and block.kind != "p":
            parts.append(str(block.nodes[0]))
        elif (
            len(block.nodes) == 1
            and isinstance(block.nodes[0], Tag)
            and block.nodes[0].name in (_PARAGRAPH_LIKE)
        ):
            parts.append("<p>" + block.nodes[0].decode_contents() + "</p>")
        else:
            parts.append("<p>" + "".join(str(n) for n in block.nodes) + "</p>")
    return sanitize("\n".join(parts))


def to_markdown(html: str, link: Linker = keep_link) -> str:
    """Sanitised body HTML -> Markdown paragraphs separated by blank lines."""
    soup = BeautifulSoup(html, "html.parser")
    out = [md for child in soup.children for md in [_block(child, link)] if md]
    return "\n\n".join(out) + "\n" if out else ""


def _block(node: object, link: Linker) -> str:
    if isinstance(node, NavigableString):
        return _paragraph(_escape(collapse(str(node))))
    if not isinstance(node, Tag):
        return ""
    name = node.name
    if name in HEADINGS:
        level = max(2, min(int(name[1]), 4))
        text = _inline(node, link).strip()
        return f"{'#' * level} {text}" if text else ""
    if name == "table":
        return _table(node, link)
    if name in ("ul", "ol"):
        return _list(node, link)
    if name == "pre":
        return "```\n" + node.get_text().strip("\n") + "\n```"
    if name == "blockquote":
        inner = _inline(node, link).strip()
        return "> " + inner if inner else ""
    if name == "hr":
        return "---"
    if name in ("div", "figure", "span") and node.find(["p", "table", "ul", "ol", "h2", "h3"]):
        return "\n\n".join(md for c in node.children for md in [_block(c, link)] if md)
    return _paragraph(_inline(node, link).strip())


def _paragraph(text: str) -> str:
    if not text:
        return ""
    level = heading_level(text)
    if level:
        bare = text[2:-2] if text.startswith("**") and text.endswith("**") else text
        return f"{'#' * level} {bare}"
    return ("\\" + text) if _LINE_START.match(text) and not text.startswith("\\") else text


def heading_level(text: str) -> int:
    """2-4 for a standalone section title (一、… （一）… 1.…), else 0."""
    plain = text.replace("\\", "").replace("*", "")
    if len(plain) > 40 or _SENTENCE_END.search(plain) or "](" in text:
        return 0
    return next((level for rule, level in _HEADING_RULES if rule.match(plain)), 0)


def _inline(node: Tag, link: Linker) -> str:
    parts: list[str] = []
    for child in node.children:
        if isinstance(child, NavigableString):
            parts.append(_escape(collapse_keep_edges(str(child))))
        elif isinstance(child, Tag):
            parts.append(_inline_tag(child, link))
    return re.sub(r" {2,}", " ", "".join(parts))


def _inline_tag(tag: Tag, link: Linker) -> str:
    name = tag.name
    if name == "br":
        return " "
    if name == "img":
        src = str(tag.get("src", "")).strip()
        alt = _escape(collapse(str(tag.get("alt", ""))))
        return f"![{alt}]({_url(link(src, 'img'))})" if src else ""
    inner = _inline(tag, link)
    if name in ("strong", "b", "em", "i"):
        mark = "**" if name in ("strong", "b") else "*"
        core = inner.strip()
        return f"{mark}{core}{mark}" if core else inner
    if name == "a":
        href = str(tag.get("href", "")).strip()
        text = inner.strip()
        if not href or href.startswith("#") or not text:
            return inner
        return f"[{text}]({_url(link(href, 'a'))})"
    if name in ("sup", "sub"):
        return f"<{name}>{inner}</{name}>"
    return inner


def collapse_keep_edges(text: str) -> str:
    """Collapse whitespace inside a text node but keep one space at an edge that had some."""
    core = collapse(text)
    if not core:
        return " " if text else ""
    lead = " " if text[:1].isspace() and text[:1] != "\u3000" else ""
    tail = " " if text[-1:].isspace() and text[-1:] != "\u3000" else ""
    return lead + core + tail


def _escape(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return _ESCAPE.sub(r"\\\1", text)


def _url(url: str) -> str:
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _list(node: Tag, link: Linker) -> str:
    ordered = node.name == "ol"
    items = [li for li in node.find_all("li") if li.find_parent(["ul", "ol"]) is node]
    lines = []
    for number, li in enumerate(items, 1):
        text = _inline(li, link).strip()
        if text:
            lines.append(f"{number}. {text}" if ordered else f"- {text}")
    return "\n".join(lines)


def _table(table: Tag, link: Linker) -> str:
    """A Markdown table when every row is plain cells; clean HTML when cells span rows or
    columns (rowspan/colspan kept); the cells' text either way, Word's markup gone."""
    rows = [r for r in table.find_all("tr") if r.find_parent("table") is table]
    if not rows or not is_data_table(table):
        return str(table) if table.get_text().strip() else ""
    cells = [[c for c in r.find_all(["td", "th"]) if c.find_parent("tr") is r] for r in rows]
    if any(c.get("colspan") or c.get("rowspan") for row in cells for c in row):
        return _html_table(cells, link)
    grid = [[_cell(c, link) for c in row] for row in cells]
    width = max(len(r) for r in grid)
    grid = [r + [""] * (width - len(r)) for r in grid]
    lines = ["| " + " | ".join(grid[0]) + " |", "|" + " --- |" * width]
    lines += ["| " + " | ".join(r) + " |" for r in grid[1:]]
    return "\n".join(lines)


def _html_table(cells: list[list[Tag]], link: Linker) -> str:
    """A table with merged cells as plain HTML (Markdown has no spans): each cell's text
    and links, with its rowspan and colspan, and nothing else of the old markup."""
    lines = ["<table>"]
    for row in cells:
        parts = []
        for cell in row:
            spans = "".join(f' {name}="{int(value)}"' for name in ("rowspan", "colspan")
                            if (value := _span(cell.get(name))) > 1)  # fmt: skip
            tag = "th" if cell.name == "th" else "td"
            parts.append(f"<{tag}{spans}>{_cell_html(cell, link)}</{tag}>")
        lines.append("<tr>" + "".join(parts) + "</tr>")
    lines.append("</table>")
    return "\n".join(lines)


def _span(value: object) -> int:
    text = str(value or "").strip()
    return min(int(text), 100) if text.isdigit() else 1


def _cell_html(cell: Tag, link: Linker) -> str:
    """A cell's text as HTML: escaped, its links kept (Markdown is not read inside HTML)."""
    parts = []
    for node in cell.descendants:
        if isinstance(node, NavigableString):
            anchor = node.find_parent("a")
            text = html.escape(collapse_keep_edges(str(node)), quote=False)
            href = str(anchor.get("href", "")).strip() if anchor is not None else ""
            if href and not href.startswith("#"):
                text = f'<a href="{html.escape(link(href, "a"))}">{text}</a>'
            parts.append(text)
        elif node.name in ("p", "div", "br") and "".join(parts).strip():
            parts.append("<br>")
    return re.sub(r"(<br>\s*)+$", "", "".join(parts)).strip()


def _cell(cell: Tag, link: Linker) -> str:
    """A Markdown table cell: its paragraphs (Word puts one or more in each) joined by a
    space, and no | that would split it."""
    blocks = [p for p in cell.find_all(["p", "div"]) if not p.find(["p", "div"])]
    if blocks:
        text = " ".join(t for t in (_inline(b, link).strip() for b in blocks) if t)
    else:
        text = _inline(cell, link).strip()
    return text.replace("|", "\\|")
