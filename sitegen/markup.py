"""Markdown to HTML for article bodies, with the fixes Chinese text needs.

Python-Markdown keeps the line breaks of a paragraph's source lines, and browsers show a
line break as a space; between two CJK characters that space is a typo. `CjkJoin` drops
such breaks in the finished HTML (outside <pre>), across inline tags too.
"""

from __future__ import annotations

import html
import re
from typing import Final

import markdown
from markdown.extensions import Extension
from markdown.extensions.toc import slugify_unicode, unique
from markdown.postprocessors import Postprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

# CJK ideographs, CJK punctuation and full-width forms: a break between two of them is no space.
_CJK: Final = (
    r"[\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"
)
_INLINE: Final = "a|abbr|b|code|del|em|i|ins|kbd|mark|q|s|small|span|strong|sub|sup|u"
_TAGS: Final = rf"(?:</?(?:{_INLINE})\b[^<>]*>)*"
# Punctuation that Chinese text shares with Western text (“ ” ‘ ’ — … ·): a break next to it
# is dropped only when the other side is a CJK character, so "“quote”\nword" keeps its space.
_SHARED: Final = "[\u00b7\u2014\u2018\u2019\u201c\u201d\u2026]"
_BREAK_BETWEEN_CJK: Final = re.compile(
    rf"((?:{_CJK}|{_SHARED}){_TAGS})[ \t]*\n[ \t]*({_TAGS}(?:{_CJK}|{_SHARED}))"
)
_CJK_CHAR: Final = re.compile(_CJK)


def _join(match: re.Match[str]) -> str:
    left, right = match.group(1), match.group(2)
    ends = _TAG.sub("", left)[-1:] + _TAG.sub("", right)[:1]
    if _CJK_CHAR.search(ends):
        return left + right
    return match.group(0)


_PRE: Final = re.compile(r"(<pre[\s>].*?</pre>)", re.DOTALL)
_TAG: Final = re.compile(r"<[^<>]+>")
_SPACE: Final = re.compile(r"\s+")

EXTENSIONS: Final = ("tables", "footnotes", "attr_list", "fenced_code", "sane_lists")
_STASHED: Final = re.compile("\x02[^\x03]*\x03")  # placeholders of raw HTML inside a heading
_HEADINGS: Final = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Every inline pattern of Python-Markdown and our extensions starts with one of these (or is
# the two-space line break); text without any of them comes out of inline processing as is.
_INLINE_MARKUP: Final = re.compile(r"[`\\\[<&*_]|  \n")


class _CjkJoinPostprocessor(Postprocessor):
    def run(self, text: str) -> str:
        parts = _PRE.split(text)
        # Odd indexes are <pre> blocks, whose line breaks are the content.
        return "".join(
            part if index % 2 else _BREAK_BETWEEN_CJK.sub(_join, part)
            for index, part in enumerate(parts)
        )


class _HeadingIds(Treeprocessor):
    """An id on every heading, from its text (Unicode kept), unique within the document.

    The toc extension does the same but also builds a table of contents we do not use,
    which costs about as much as the rest of the conversion.
    """

    def run(self, root) -> None:
        used: set[str] = set()
        for element in root.iter():
            if element.tag in _HEADINGS and "id" not in element.attrib:
                text = _STASHED.sub("", "".join(element.itertext())).strip()
                element.set("id", unique(slugify_unicode(text, "-") or "section", used))
            elif "id" in element.attrib:
                used.add(element.attrib["id"])


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


class CjkJoin(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        md.postprocessors.register(_CjkJoinPostprocessor(md), "cjk_join", 5)
        # After inline markup (20) and attribute lists (8), so explicit {#ids} are kept.
        md.treeprocessors.register(_HeadingIds(md), "heading_ids", 5)
        md.treeprocessors.register(_PlainText(md), "plain_text", 21)  # just before inline


def make_markdown(backlink_title: str = "返回正文") -> markdown.Markdown:
    """A Markdown converter; make one per process and reuse it (to_html() resets it)."""
    return markdown.Markdown(
        extensions=[*EXTENSIONS, CjkJoin()],
        extension_configs={"footnotes": {"BACKLINK_TITLE": backlink_title}},
        output_format="html",
    )


def to_html(md: markdown.Markdown, source: str) -> str:
    md.reset()
    return md.convert(source)


def plain_text(body_html: str) -> str:
    """The readable text of rendered HTML: tags dropped, entities decoded, spaces folded."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", body_html))).strip()


def excerpt(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + "…"
