"""Plain documents to HTML, without Python-Markdown: most articles of a news archive are
paragraphs of prose, ATX headings and tight lists, which `plain_html` turns into the HTML
Python-Markdown's whole pipeline makes of them (sitegen/markup.py tries it first).

Apart from sitegen/markup.py, which imports Python-Markdown (0.02-0.03 s of an edit's
build, which renders one or two bodies, most of them plain): a build imports that only
for a body that needs it. `join_breaks` is also the CJK line-break fix markup.py applies
to every body.
"""

from __future__ import annotations

import re
from typing import Final

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


def join_breaks(text: str) -> str:
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


# A block whose every line starts with a letter or a non-ASCII mark: every other block
# construct starts a line with a space, a digit or an ASCII mark (# - * + > = _ [ { ` ~ : |;
# a table's second line is its | :--- | row).
LINE_START: Final = r"(?:[^\W\d_]|[^\x00-\x7f\s])"


def heading_id(text: str, used: set[str]) -> str:
    """A heading's anchor: its text as a slug, made unique in the page (and added to used).
    (Python-Markdown's toc extension's own functions, imported only for a heading.)"""
    from markdown.extensions.toc import slugify_unicode, unique

    return unique(slugify_unicode(text, "-") or "section", used)


# Plain documents: paragraphs of prose, ATX headings and tight lists, and no mark of any
# other construct (inline markup, raw HTML, code, tables, quotes, attribute lists, escapes,
# a line break made of spaces). Python-Markdown's whole pipeline makes of them what
# `_plain_html` makes directly; anything else, down to a heading without its space or a
# list that starts at 2, goes through Python-Markdown.
_NOT_PLAIN: Final = re.compile(r"[`\\\[\]<>&*_|{}~\r\t\x02\x03]| \n")
# A line of prose starts with a letter, a non-ASCII mark or a digit (2023年...), but not
# with the number of a list item (1. ...).
_PROSE: Final = rf"(?:{LINE_START}|\d(?!\d*\.[ ]))"
_PROSE_LINE: Final = re.compile(_PROSE)
_HEADING_LINE: Final = re.compile(r"(#{1,6}) ([^#\s](?:[^#]*[^#\s])?)")  # (text stripped)
_BULLET_ITEM: Final = re.compile(rf"[-+] ({_PROSE}.*)")
_NUMBER_ITEM: Final = re.compile(rf"(\d+)\. ({_PROSE}.*)")


def plain_html(source: str) -> str | None:
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
    return join_breaks("\n".join(html)) if html else None


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
    return f'<h{level} id="{heading_id(text, used)}">{text}</h{level}>'


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
