"""Attachments: which links are to files, and the ones a page writes with `document.write`.

Old CMSs (TRS's file_appendix, PowerEasy, hand-made templates) print the 附件 list from a
script, so a reader saw links that the markup does not hold. This module reads such a
script as far as it is plain data: string literals, `+`, and variables assigned a string
literal earlier in the same script; anything else (a call, a variable it cannot know, a
page counter) makes it leave that write alone. Only markup that links to an attachment is
returned: scripts also write tracking tags and pagers, which no reader wants kept.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Final
from urllib.parse import parse_qsl, urlsplit

ATTACHMENT_SUFFIXES: Final = (
    ".doc", ".docx", ".xls", ".xlsx", ".pdf", ".wps", ".et", ".dps", ".ppt", ".pptx",
    ".zip", ".rar", ".7z", ".txt", ".csv",
)  # fmt: skip
ATTACHMENT_LINK: Final = re.compile(
    r"href\s*=\s*[\"']?[^\"'>\s]+?\.(?:"
    + "|".join(s[1:] for s in ATTACHMENT_SUFFIXES)
    + r")(?=[\"'>\s?&#]|$)",
    re.I,
)
_ASSIGN: Final = re.compile(r"\b(?:var|let|const)?\s*([A-Za-z_$][\w$]*)\s*=\s*(?=[\"'])")
_WRITE: Final = re.compile(r"document\s*\.\s*write(?:ln)?\s*\(")
_ESCAPES: Final = {"n": "\n", "t": "\t", "r": "", "'": "'", '"': '"', "\\": "\\", "/": "/"}


def downloaded_name(query: str) -> str:
    """The attachment's file name a download script's query gives, or ""."""
    for _, value in parse_qsl(query, keep_blank_values=True):
        name = PurePosixPath(value.replace("\\", "/")).name
        if name.lower().endswith(ATTACHMENT_SUFFIXES):
            return name
    return ""


def is_attachment(href: str) -> bool:
    """Whether a link leads to a file (by its path, or the name its query gives)."""
    parts = urlsplit(href.strip())
    return parts.path.lower().endswith(ATTACHMENT_SUFFIXES) or bool(downloaded_name(parts.query))


def written_links(script: str) -> str:
    """The markup the script's document.write calls print, where it links to attachments."""
    known: dict[str, str] = {}
    for found in _ASSIGN.finditer(script):
        value, end = _expression(script, found.end(), known, (";", "\n"))
        if value is not None:
            known[found.group(1)] = value
    parts = []
    for found in _WRITE.finditer(script):
        value, _ = _expression(script, found.end(), known, (")",))
        if value is not None and ATTACHMENT_LINK.search(value):
            parts.append(value)
    return "".join(parts)


def _expression(
    text: str, at: int, known: dict[str, str], stops: tuple[str, ...]
) -> tuple[str | None, int]:
    """The value of `literal (+ literal | + variable)*` starting at `at`, up to a stop
    character; None when it holds anything else."""
    value, expecting_term = [], True
    while at < len(text):
        char = text[at]
        if char in " \t\r":
            at += 1
        elif not expecting_term and (char in stops or (char == "\n" and "\n" in stops)):
            return "".join(value), at
        elif not expecting_term and char == "+":
            expecting_term, at = True, at + 1
        elif expecting_term and char in "\"'":
            literal, at = _literal(text, at)
            if literal is None:
                return None, at
            value.append(literal)
            expecting_term = False
        elif expecting_term and (name := re.match(r"[A-Za-z_$][\w$]*", text[at:])):
            if name.group() not in known:
                return None, at
            value.append(known[name.group()])
            expecting_term, at = False, at + name.end()
        else:
            return None, at
    return ("".join(value), at) if not expecting_term else (None, at)


def _literal(text: str, at: int) -> tuple[str | None, int]:
    quote, out, at = text[at], [], at + 1
    while at < len(text):
        char = text[at]
        if char == "\\" and at + 1 < len(text):
            out.append(_ESCAPES.get(text[at + 1], text[at + 1]))
            at += 2
        elif char == quote:
            return "".join(out), at + 1
        elif char == "\n":
            return None, at
        else:
            out.append(char)
            at += 1
    return None, at
