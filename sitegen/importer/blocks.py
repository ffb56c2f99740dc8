"""A cleaned tree -> the page's blocks in reading order, each with what it says and links.

Legacy pages lay articles out with nested tables, <div>s and runs of <br>; a reader sees
lines. Walking the tree into blocks (a paragraph, a heading, a data table, a list, an image
line) lets extract.py judge every line by its words and link density, the way jusText and
trafilatura do, whatever the markup around it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bs4 import BeautifulSoup, NavigableString, Tag

from sitegen.importer.clean import BLOCK_TAGS, HEADINGS, collapse

_WHITESPACE = " \t\r\n\xa0\u3000"
_IMG = frozenset({"img"})
_BLOCK_OR_BR = BLOCK_TAGS | {"br"}
_NESTED = frozenset({"p", "div", "table", "ul", "ol"})


def has_descendant(tag: Tag, names: frozenset[str], *, self_too: bool = False) -> bool:
    """Like tag.find(names) is not None, without building bs4 filters (the hot path)."""
    if self_too and tag.name in names:
        return True
    return any(isinstance(d, Tag) and d.name in names for d in tag.descendants)


@dataclass(frozen=True, slots=True)
class Block:
    kind: str  # p, h1..h6, table, ul, ol, pre, blockquote
    nodes: tuple  # the bs4 nodes the block is made of, in order
    text: str  # visible text, whitespace collapsed
    link_chars: int  # characters of text inside <a>
    links: int
    line: int | None  # line in the saved page, when known

    @property
    def link_density(self) -> float:
        return self.link_chars / max(len(self.text), 1)

    @property
    def has_image(self) -> bool:
        return any(
            isinstance(n, Tag) and has_descendant(n, _IMG, self_too=True) for n in self.nodes
        )


def blocks_of(soup: BeautifulSoup) -> list[Block]:
    found: list[Block] = []
    _walk(soup, found)
    return found


def _walk(parent: Tag, found: list[Block]) -> None:
    run: list = []
    for child in list(parent.children):
        if isinstance(child, Tag) and child.name == "br":
            _flush(run, found)
            run = []
        elif isinstance(child, Tag) and child.name in BLOCK_TAGS:
            _flush(run, found)
            run = []
            _block(child, found)
        elif isinstance(child, Tag) and _holds_blocks(child):
            _flush(run, found)  # an inline tag wrapping paragraphs (<font><p>..</p></font>)
            run = []
            _walk(child, found)
        else:
            run.append(child)
    _flush(run, found)


def _holds_blocks(tag: Tag) -> bool:
    return has_descendant(tag, _BLOCK_OR_BR)


def _block(tag: Tag, found: list[Block]) -> None:
    name = tag.name
    if name == "table":
        if is_data_table(tag):
            found.append(_make("table", (tag,)))
        else:
            for cell in tag.find_all(["td", "th"]):
                if cell.find_parent("table") is tag:
                    _walk(cell, found)
        return
    if name in ("ul", "ol") and not has_descendant(tag, _NESTED):
        found.append(_make(name, (tag,)))
        return
    if name in HEADINGS or name == "pre":
        found.append(_make(name, (tag,)))
        return
    if name in ("p", "blockquote", "li", "dd", "dt", "center", "address", "figcaption") and not (
        has_descendant(tag, _BLOCK_OR_BR)
    ):
        found.append(_make("p", (tag,)))
        return
    _walk(tag, found)


def is_data_table(table: Tag) -> bool:
    """A table of data (rows and columns of short cells), not a layout table.

    Word and WPS paste every cell as <p class=MsoNormal><span>…: paragraphs inside cells
    do not make a layout table; a table inside a cell, a list or heading, a long cell (an
    article in a layout column) or a single column does.
    """
    if table.find(["table", "ul", "ol", "h1", "h2", "h3"]):
        return False
    rows = [r for r in table.find_all("tr") if r.find_parent("table") is table]
    if len(rows) < 2:
        return False
    cells = [c for r in rows for c in r.find_all(["td", "th"])]
    widest = max(len(r.find_all(["td", "th"])) for r in rows)
    longest = max((len(collapse(c.get_text())) for c in cells), default=0)
    return widest >= 2 and longest <= 200 and not _paragraphs_of_prose(cells)


def _paragraphs_of_prose(cells: list[Tag]) -> bool:
    """Whether a cell holds several paragraphs of sentences: a layout column of text."""
    for cell in cells:
        paragraphs = [p for p in cell.find_all(["p", "div"]) if len(collapse(p.get_text())) > 40]
        if len(paragraphs) >= 2:
            return True
    return False


def _flush(run: list, found: list[Block]) -> None:
    nodes = tuple(run)
    if not nodes:
        return
    block = _make("p", nodes)
    if block.text or block.has_image:
        found.append(block)


def _make(kind: str, nodes: tuple) -> Block:
    text = collapse("".join(n.get_text() if isinstance(n, Tag) else str(n) for n in nodes))
    anchors = [a for n in nodes if isinstance(n, Tag) for a in _anchors(n)]
    link_chars = sum(len(collapse(a.get_text())) for a in anchors)
    line = next((_line(n) for n in nodes if _line(n)), None)
    return Block(kind, nodes, text, link_chars, len(anchors), line)


def _anchors(tag: Tag) -> list[Tag]:
    found = [tag] if tag.name == "a" and tag.get("href") else []
    return found + [
        a for a in tag.descendants if isinstance(a, Tag) and a.name == "a" and a.get("href")
    ]


def _line(node: object) -> int | None:
    if isinstance(node, NavigableString):
        node = node.parent
    if not isinstance(node, Tag):
        return None
    here: Tag | None = node
    while here is not None:  # text dumps mark each line's <p>; see clean.parse
        if here.has_attr("data-line"):
            return int(here["data-line"])
        here = here.parent
    return node.sourceline
