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
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import NormalizeWhitespace
from markdown.treeprocessors import Treeprocessor
from markdown.util import ETX, STX, AtomicString

from sitegen.config import MARKDOWN_EXTENSIONS
from sitegen.plainmd import LINE_START, heading_id, join_breaks, plain_html

_PRE: Final = re.compile(r"(<pre[\s>].*?</pre>)", re.DOTALL)

EXTENSIONS: Final = MARKDOWN_EXTENSIONS
_STASHED: Final = re.compile("\x02[^\x03]*\x03")  # placeholders of raw HTML inside a heading
_HEADINGS: Final = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Every inline pattern of Python-Markdown and our extensions starts with one of these (or is
# the two-space line break); text without any of them comes out of inline processing as is.
_INLINE_MARKUP: Final = re.compile(r"[`\\\[<&*_]|  \n")
_PLAIN_BLOCK: Final = re.compile(rf"{LINE_START}.*(?:\n{LINE_START}.*)*")


class _CjkJoinPostprocessor(Postprocessor):
    def run(self, text: str) -> str:
        parts = _PRE.split(text)
        # Odd indexes are <pre> blocks, whose line breaks are the content.
        return "".join(part if index % 2 else join_breaks(part) for index, part in enumerate(parts))


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
                element.set("id", heading_id(text, used))


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
            plain = plain_html(source)
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
