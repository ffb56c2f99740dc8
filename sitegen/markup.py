"""Markdown to HTML for article bodies, with the fixes Chinese text needs.

Python-Markdown keeps the line breaks of a paragraph's source lines, and browsers show a
line break as a space; between two CJK characters that space is a typo. `CjkJoin` drops
such breaks in the finished HTML (outside <pre>), across inline tags too.
"""

from __future__ import annotations

import re
from typing import Final

import markdown
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension, attr_list, fenced_code, footnotes, sane_lists, tables
from markdown.extensions.toc import slugify_unicode, unique
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import NormalizeWhitespace
from markdown.treeprocessors import Treeprocessor
from markdown.util import ETX, STX, AtomicString

from sitegen.config import MARKDOWN_EXTENSIONS

# CJK ideographs, CJK punctuation and full-width forms: a break between two of them is no space.
_CJK: Final = (
    r"[\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"
)
_INLINE: Final = "a|abbr|b|code|del|em|i|ins|kbd|mark|q|s|small|span|strong|sub|sup|u"
_INLINE_TAG: Final = re.compile(rf"</?(?:{_INLINE})\b[^<>]*>")
# Punctuation that Chinese text shares with Western text (“ ” ‘ ’ — … ·): a break next to it
# is dropped only when the other side is a CJK character, so "“quote”\nword" keeps its space.
_SHARED: Final = "[\u00b7\u2014\u2018\u2019\u201c\u201d\u2026]"
_CJK_CHAR: Final = re.compile(_CJK)
_JOINABLE: Final = re.compile(f"{_CJK}|{_SHARED}")


def _join_breaks(text: str) -> str:
    """`text` without the line breaks (and the spaces around them) that sit between two
    CJK characters, or a CJK character and shared punctuation, inline tags between or not.

    A loop over the breaks rather than one regex: a regex that starts at a character class
    is tried at every character of the page, and pages are long while breaks are few.
    Most breaks sit between block tags, and fail on their left side: the right one is
    looked at only after the left one qualifies.
    """
    pieces, done, at = [], 0, text.find("\n")
    while at >= 0:
        start, end = at, at + 1
        while start > 0 and text[start - 1] in " \t":
            start -= 1
        while end < len(text) and text[end] in " \t":
            end += 1
        at = text.find("\n", end)
        left = _char_before_tags(text, start)
        if not _JOINABLE.match(left):
            continue
        right = _char_after_tags(text, end)
        if _JOINABLE.match(right) and (_CJK_CHAR.match(left) or _CJK_CHAR.match(right)):
            pieces += (text[done:start],)
            done = end
    return "".join(pieces) + text[done:] if pieces else text


def _char_before_tags(text: str, end: int) -> str:
    """The character before `end`, skipping back over inline tags ("" if there is none)."""
    while text.endswith(">", 0, end):
        start = text.rfind("<", 0, end)
        if start < 0 or not _INLINE_TAG.fullmatch(text, start, end):
            break
        end = start
    return text[end - 1 : end]


def _char_after_tags(text: str, start: int) -> str:
    """The character at `start`, skipping over inline tags ("" if there is none)."""
    while text.startswith("<", start):
        end = text.find(">", start) + 1
        if end <= 0 or not _INLINE_TAG.fullmatch(text, start, end):
            break
        start = end
    return text[start : start + 1]


_PRE: Final = re.compile(r"(<pre[\s>].*?</pre>)", re.DOTALL)

EXTENSIONS: Final = MARKDOWN_EXTENSIONS
_STASHED: Final = re.compile("\x02[^\x03]*\x03")  # placeholders of raw HTML inside a heading
_HEADINGS: Final = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Every inline pattern of Python-Markdown and our extensions starts with one of these (or is
# the two-space line break); text without any of them comes out of inline processing as is.
_INLINE_MARKUP: Final = re.compile(r"[`\\\[<&*_]|  \n")
# A block whose every line starts with a letter or a non-ASCII mark: every other block
# construct starts a line with a space, a digit or an ASCII mark (# - * + > = _ [ { ` ~ : |;
# a table's second line is its | :--- | row).
_LINE_START: Final = r"(?:[^\W\d_]|[^\x00-\x7f\s])"
_PLAIN_BLOCK: Final = re.compile(rf"{_LINE_START}.*(?:\n{_LINE_START}.*)*")


class _CjkJoinPostprocessor(Postprocessor):
    def run(self, text: str) -> str:
        parts = _PRE.split(text)
        # Odd indexes are <pre> blocks, whose line breaks are the content.
        return "".join(
            part if index % 2 else _join_breaks(part) for index, part in enumerate(parts)
        )


class _HeadingIds(Treeprocessor):
    """An id on every heading, from its text (Unicode kept), unique within the document.

    The toc extension does the same but also builds a table of contents we do not use,
    which costs about as much as the rest of the conversion.
    """

    def run(self, root) -> None:
        used: set[str] = set()
        for element in root.iter():
            given = element.get("id")  # (not .attrib: it makes a dict for every element)
            if given is not None:
                used.add(given)
            elif element.tag in _HEADINGS:
                text = _STASHED.sub("", "".join(element.itertext())).strip()
                element.set("id", _heading_id(text, used))


def _heading_id(text: str, used: set[str]) -> str:
    """A heading's anchor: its text as a slug, made unique in the page (and added to used)."""
    return unique(slugify_unicode(text, "-") or "section", used)


class _PlainText(Treeprocessor):
    """Mark text that holds no inline markup as atomic, so inline processing skips it.

    Python-Markdown tries each of its ~15 inline patterns on every text node; Chinese prose
    rarely holds a single markup character, and this pass halves the time of a conversion.
    The output is the same: a test converts text with and without it.
    """

    def run(self, root) -> None:
        for element in root.iter():
            text = element.text
            if text and not isinstance(text, AtomicString) and not _INLINE_MARKUP.search(text):
                element.text = AtomicString(text)


class _PlainParagraph(BlockProcessor):
    """Hand a block of plain prose straight to the paragraph processor.

    Python-Markdown asks its dozen block processors in turn whether a block is theirs, most
    of them with a regex over the whole block; for a paragraph of Chinese prose every answer
    is no, and the asking is a fifth of a conversion. The paragraph processor then does
    what it always does (a <p>, or text of the list item the block sits in).
    """

    def test(self, parent, block: str) -> bool:
        return _PLAIN_BLOCK.fullmatch(block) is not None

    def run(self, parent, blocks: list[str]) -> None:
        self.parser.blockprocessors["paragraph"].run(parent, blocks)


class _Normalize(NormalizeWhitespace):
    """Python-Markdown's white space normalising, without its work where there is none.

    Its last step, a regex for lines of spaces, starts with a look-behind and so is tried
    at every character: a fifteenth of converting a page of prose. Without a carriage
    return, tab, stash mark or a space before a line break, normalising only adds the two
    line breaks at the end.
    """

    def run(self, lines: list[str]) -> list[str]:
        source = "\n".join(lines) + "\n\n"  # (a last line of spaces ends with " \n" now)
        if any(mark in source for mark in _NORMALIZED):
            return super().run(lines)
        return source.split("\n")


_NORMALIZED: Final = (" \n", "\r", "\t", STX, ETX)


class _OnlyWith:
    """A processor that runs only on documents holding one of `marks`.

    Some of Python-Markdown's processors scan every document whole and find nothing to do
    in plain prose: raw HTML needs a "<" (or "&"), a fenced block ``` or ~~~, an attribute list
    "{", and backslash escapes leave nothing to unescape without a "\\".
    """

    def __init__(self, inner, marks: tuple[str, ...], md: _Converter) -> None:
        self.inner, self.marks, self.md = inner, marks, md

    def run(self, data):
        if any(mark in self.md.source for mark in self.marks):
            return self.inner.run(data)
        return data  # lines for a preprocessor, the root element for a treeprocessor

    def __getattr__(self, name: str):  # other processors read attributes of this one by name
        return getattr(self.inner, name)


_SKIPPABLE: Final = (
    # (Its HTML parser also reads character references: &#2023 comes out as &#2023;.)
    ("preprocessors", "html_block", ("<", "&")),
    ("preprocessors", "fenced_code_block", ("```", "~~~")),
    ("treeprocessors", "attr_list", ("{",)),
    ("treeprocessors", "unescape", ("\\",)),
)


class CjkJoin(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        md.postprocessors.register(_CjkJoinPostprocessor(md), "cjk_join", 5)
        # After inline markup (20) and attribute lists (8), so explicit {#ids} are kept.
        md.treeprocessors.register(_HeadingIds(md), "heading_ids", 5)


class _Shortcuts(Extension):
    """Ways around work that plain prose does not need; the output is the same without."""

    def extendMarkdown(self, md: _Converter) -> None:  # noqa: N802 (Markdown's API)
        md.shortcuts = True
        md.treeprocessors.register(_PlainText(md), "plain_text", 21)  # just before inline
        md.preprocessors.register(_Normalize(md), "normalize_whitespace", 30)
        md.parser.blockprocessors.register(_PlainParagraph(md.parser), "plain_paragraph", 200)
        for registry_name, name, marks in _SKIPPABLE:
            registry = getattr(md, registry_name)
            priority = next(item.priority for item in registry._priority if item.name == name)
            registry.register(_OnlyWith(registry[name], marks, md), name, priority)


# Plain documents: paragraphs of prose, ATX headings and tight lists, and no mark of any
# other construct (inline markup, raw HTML, code, tables, quotes, attribute lists, escapes,
# a line break made of spaces). Python-Markdown's whole pipeline makes of them what
# `_plain_html` makes directly; anything else, down to a heading without its space or a
# list that starts at 2, goes through Python-Markdown.
_NOT_PLAIN: Final = re.compile(r"[`\\\[\]<>&*_|{}~\r\t\x02\x03]| \n")
# A line of prose starts with a letter, a non-ASCII mark or a digit (2023年...), but not
# with the number of a list item (1. ...).
_PROSE: Final = rf"(?:{_LINE_START}|\d(?!\d*\.[ ]))"
_PROSE_LINE: Final = re.compile(_PROSE)
_HEADING_LINE: Final = re.compile(r"(#{1,6}) ([^#\s](?:[^#]*[^#\s])?)")  # (text stripped)
_BULLET_ITEM: Final = re.compile(rf"[-+] ({_PROSE}.*)")
_NUMBER_ITEM: Final = re.compile(rf"(\d+)\. ({_PROSE}.*)")


def _plain_html(source: str) -> str | None:
    """The HTML of a plain document (see `_NOT_PLAIN`), or None if it is not one."""
    if _NOT_PLAIN.search(source + "\n"):  # (a last line ending in a space ends in " \n")
        return None
    html: list[str] = []
    used: set[str] = set()  # heading ids
    after_list = False
    for block in _line_blocks(source):
        if after_list and _list_html(block) is not None:
            return None  # a list after a list (a blank line between) joins it, loosely
        made = _paragraph_html(block) or _heading_html(block, used) or _list_html(block)
        if made is None:
            return None
        html.append(made)
        after_list = made.startswith(("<ul>", "<ol>"))
    return _join_breaks("\n".join(html)) if html else None


def _line_blocks(source: str) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in source.split("\n"):
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def _paragraph_html(block: list[str]) -> str | None:
    if all(_PROSE_LINE.match(line) for line in block):
        return "<p>" + "\n".join(block) + "</p>"
    return None


def _heading_html(block: list[str], used: set[str]) -> str | None:
    found = _HEADING_LINE.fullmatch(block[0]) if len(block) == 1 else None
    if found is None:
        return None
    level, text = len(found[1]), found[2]
    return f'<h{level} id="{_heading_id(text, used)}">{text}</h{level}>'


def _list_html(block: list[str]) -> str | None:
    bullets = [_BULLET_ITEM.fullmatch(line) for line in block]
    numbers = [_NUMBER_ITEM.fullmatch(line) for line in block]
    if all(bullets):
        tag, items = "ul", [found[1] for found in bullets]  # type: ignore[index]
    elif all(numbers) and numbers[0][1] == "1":  # type: ignore[index]
        tag, items = "ol", [found[2] for found in numbers]  # type: ignore[index]
    else:
        return None
    return f"<{tag}>\n" + "".join(f"<li>{item}</li>\n" for item in items) + f"</{tag}>"


class _Converter(markdown.Markdown):
    """Python-Markdown, remembering the document it converts for `_OnlyWith`.

    With the shortcuts, `is_block_level` looks the tag up in a set rather than in
    Python-Markdown's list of fifty names (it is asked for every element, several times).
    """

    source = ""
    shortcuts = False
    plain = False  # the last document took `_plain_html`
    _block_level: frozenset[str] | None = None

    def convert(self, source: str) -> str:
        self.source = source
        self.plain = False
        if self.shortcuts:
            plain = _plain_html(source)
            if plain is not None:
                self.plain = True
                return plain
            # The list again on each document, in case an extension changed it.
            self._block_level = frozenset(self.block_level_elements)
        return super().convert(source)

    def is_block_level(self, tag: object) -> bool:
        if self._block_level is None:
            return super().is_block_level(tag)
        return isinstance(tag, str) and tag.lower().rstrip("/") in self._block_level


def make_markdown(backlink_title: str = "返回正文", shortcuts: bool = True) -> markdown.Markdown:
    """A Markdown converter; make one per process and reuse it (to_html() resets it).

    `shortcuts=False` gives the converter without `_Shortcuts`, for tests to compare with.
    """
    return _Converter(
        extensions=[
            *_standard_extensions(backlink_title),
            CjkJoin(),
            *([_Shortcuts()] if shortcuts else []),
        ],  # fmt: skip
        output_format="html",
    )


def _standard_extensions(backlink_title: str) -> list[Extension]:
    """The EXTENSIONS, made here rather than named: Markdown looks a name up among the
    installed packages' entry points first, and importing importlib.metadata and reading
    every package's metadata for that cost each build 40 ms (an edit's build is 0.8 s)."""
    made = {
        "tables": tables.TableExtension(),
        "footnotes": footnotes.FootnoteExtension(BACKLINK_TITLE=backlink_title),
        "attr_list": attr_list.AttrListExtension(),
        "fenced_code": fenced_code.FencedCodeExtension(),
        "sane_lists": sane_lists.SaneListExtension(),
    }
    return [made[name] for name in EXTENSIONS]


def to_html(md: markdown.Markdown, source: str) -> str:
    md.reset()
    return md.convert(source)


def made_plain(md: markdown.Markdown) -> bool:
    """Whether the last `to_html` of `md` took the plain path, whose HTML needs no sanitising.

    Its tags are <p>, <ul>, <ol>, <li> and <hN id=...>, written by `_plain_html` itself; the
    text between them holds no < > & (`_NOT_PLAIN`), so it cannot open a tag or an entity; and
    a heading id is a slug of word characters and "-". A source without < and & alone would
    not do: `[x](javascript:...)` and `{: onclick=... }` need neither.
    """
    return getattr(md, "plain", False)
