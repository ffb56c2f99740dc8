"""zh-Hant <-> zh-Hans by phrase (OpenCC), for text, article HTML and imported Markdown (issue 16).

A character table gets 頭髮/头发 and 乾淨/干净 wrong; OpenCC segments by its phrase dictionaries
before it maps characters. What is never converted: markup (tag names, attributes other than
alt and title), code (<code> <pre> <kbd> <samp>), whatever an editor marked as written on purpose
(`lang=` of any value, `translate="no"`, class no-convert), and addresses and file names written
in the text (https://例子.com/規則.pdf, 名單.xlsx): a converted one leads nowhere.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from typing import Final

import opencc

from sitegen.problems import did_you_mean

# The configurations the opencc package ships, less the Japanese shinjitai ones (jp2t, t2jp).
CONVERSIONS: Final = (
    "s2t",  # simplified -> traditional (OpenCC's standard forms: 裏, 麪, 着)
    "t2s",  # traditional -> simplified
    "s2tw",  # -> Taiwan's forms (裡, 麵, 著)
    "s2twp",  # -> Taiwan's forms and words (软件 -> 軟體, 信息 -> 資訊)
    "s2hk",  # -> Hong Kong's forms
    "s2hkp",  # -> Hong Kong's forms and words
    "tw2s",
    "tw2sp",  # Taiwan's words back to the mainland's (軟體 -> 软件)
    "hk2s",
    "hk2sp",
    "t2tw",  # OpenCC's standard forms -> Taiwan's, no change of script
    "t2hk",
    "tw2t",
    "hk2t",
)

_SEP: Final = "\x00"  # joins text runs into one OpenCC call: no phrase holds it, and it survives
_KEEP_ELEMENTS: Final = frozenset({"code", "pre", "kbd", "samp", "script", "style", "textarea"})
_VOID: Final = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_KEEP_CLASSES: Final = frozenset({"no-convert", "notranslate"})  # ours, and Google's convention
_PUNCT = r"\s<>\"'`，。、；：！？（）「」『』《》【】〈〉“”‘’…—·"
_EXT = (
    r"pdf|docx?|xlsx?|pptx?|wps|et|dps|ofd|txt|rtf|csv|jpe?g|png|gif|webp|bmp|svg|tiff?|zip|rar"
    r"|7z|gz|tar|mp3|mp4|avi|wmv|mov|flv|s?html?|aspx?|php|jsp"
)
# Only Han characters matter here (OpenCC leaves the rest alone). A Han run belongs to a URL
# when more of the URL follows it (例子.com, /規則.pdf) or nothing does; 網址http://x.cn查詢。
# keeps 查詢 as text.
_KEEP_IN_TEXT: Final = re.compile(
    rf"(?:(?:https?|ftp)://|www\.)(?:[!-~]|[^\x00-\x7f{_PUNCT}]+(?=[!-~]|\s|\Z))+"
    rf"|[A-Za-z0-9._%+-]+@(?:[^\x00-\x2c{_PUNCT}@/]+\.)+[A-Za-z]{{2,}}"
    rf"|[^{_PUNCT}/\\|*?:]+\.(?:{_EXT})(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_MARKUP: Final = re.compile(
    r"<!--.*?-->|<[!?][^>]*>|</([A-Za-z][^\s/>]*)[^>]*>"
    r"|<([A-Za-z][^\s/>]*)(?:[^>\"']|\"[^\"]*\"|'[^']*')*>",  # a quoted value may hold >
    re.DOTALL,
)
_ATTR: Final = re.compile(r"""([^\s/>"'=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")
_READ_ATTR: Final = re.compile(r"""(\s(?:alt|title)\s*=\s*)(?:"([^"]*)"|'([^']*)')""", re.I)


@functools.cache
def _opencc(conversion: str) -> opencc.OpenCC:
    # Loading a configuration's dictionaries takes about 70 ms: once per process, like
    # importer/tree.py's Normalizer, not once per Converter (a worker unpickles many).
    return opencc.OpenCC(conversion)


@dataclass(frozen=True, slots=True)
class Converter:
    """One OpenCC conversion by name. It pickles as that name (OpenCC objects do not
    pickle), and the dictionaries load on first use in each process."""

    conversion: str

    def __post_init__(self) -> None:
        if self.conversion not in CONVERSIONS:
            hint = did_you_mean(self.conversion, CONVERSIONS)
            raise ValueError(f"unknown conversion {self.conversion!r}{hint}; "
                             f"known: {', '.join(CONVERSIONS)}")  # fmt: skip

    def text(self, s: str) -> str:
        """Plain text, with URLs, e-mail addresses and file names in it kept as written."""
        parts: list[str] = []
        slots: list[int] = []
        _add_text(s, parts, slots)
        return self._fill(parts, slots)

    def texts(self, items: list[str]) -> list[str]:
        """Many texts as `text` converts each, in one OpenCC call (titles of every article)."""
        parts: list[str] = []
        slots: list[int] = []
        bounds = []
        for item in items:
            start = len(parts)
            _add_text(item, parts, slots)
            bounds.append((start, len(parts)))
        self._fill(parts, slots)
        return ["".join(parts[start:end]) for start, end in bounds]

    def html(self, fragment: str) -> str:
        """The text of an HTML fragment (and alt and title values); markup, code and
        marked elements are kept byte for byte."""
        parts: list[str] = []
        slots: list[int] = []
        stack: list[tuple[str, bool]] = []  # open elements: (name, kept as written)
        pos = 0
        for m in _MARKUP.finditer(fragment):
            kept = any(k for _, k in stack)
            _add_html_text(fragment[pos : m.start()], kept, parts, slots)
            pos = m.end()
            if m.group(1):
                _close(stack, m.group(1).lower())
                parts.append(m.group())
            elif m.group(2):
                _open(m.group(), m.group(2).lower(), kept, stack, parts, slots)
            else:
                parts.append(m.group())  # a comment or doctype
        _add_html_text(fragment[pos:], any(k for _, k in stack), parts, slots)
        return self._fill(parts, slots)

    def _fill(self, parts: list[str], slots: list[int]) -> str:
        """Convert parts[i] for i in slots in one OpenCC call: its overhead is per call."""
        if slots:
            for i, done in zip(slots, _convert_all(self.conversion, [parts[i] for i in slots]),
                               strict=True):  # fmt: skip
                parts[i] = done
        return "".join(parts)


def _convert_all(conversion: str, texts: list[str]) -> list[str]:
    cc = _opencc(conversion)
    if any(_SEP in t for t in texts):  # never from Markdown or nh3, but then one call each
        return [cc.convert(t) for t in texts]
    done = cc.convert(_SEP.join(texts)).split(_SEP)
    return done if len(done) == len(texts) else [cc.convert(t) for t in texts]


def _add_text(text: str, parts: list[str], slots: list[int]) -> None:
    """Append `text` to parts; its runs that OpenCC may convert are noted in slots."""
    if text.isascii():  # most runs between tags are white space
        parts.append(text)
        return
    pos = 0
    if "." in text or "@" in text:
        for m in _KEEP_IN_TEXT.finditer(text):
            if m.start() > pos:
                slots.append(len(parts))
                parts.append(text[pos : m.start()])
            parts.append(m.group())
            pos = m.end()
    if pos < len(text):
        slots.append(len(parts))
        parts.append(text[pos:])


def _add_html_text(text: str, kept: bool, parts: list[str], slots: list[int]) -> None:
    if kept:
        parts.append(text)
    else:
        _add_text(text, parts, slots)


def _close(stack: list[tuple[str, bool]], name: str) -> None:
    """Close the innermost open `name` and what it holds; a stray end tag closes nothing."""
    for depth in range(len(stack) - 1, -1, -1):
        if stack[depth][0] == name:
            del stack[depth:]
            return


def _open(tag, name, inside_kept, stack, parts, slots) -> None:
    keep = inside_kept or name in _KEEP_ELEMENTS or _marked(tag, 1 + len(name))
    if name not in _VOID and not tag.endswith("/>"):
        stack.append((name, keep))
    if keep or not ("alt" in tag or "title" in tag):
        parts.append(tag)
        return
    pos = 0  # alt and title are read by people: convert their values, nothing else
    for m in _READ_ATTR.finditer(tag):
        group = 2 if m.group(2) is not None else 3
        parts.append(tag[pos : m.start(group)])
        _add_text(m.group(group), parts, slots)
        pos = m.end(group)
    parts.append(tag[pos:])


def _marked(tag: str, attrs_at: int) -> bool:
    """Whether an editor marked this element as written on purpose: names are written in
    their own script, `{: lang="zh-Hant" }` or <span lang="zh-Hant"> (issue 16)."""
    if not ("lang" in tag or "translate" in tag or "convert" in tag):
        return False
    for m in _ATTR.finditer(tag, attrs_at):
        name, value = m.group(1).lower(), (m.group(2) or "").strip("\"'")
        if name in ("lang", "xml:lang") or (name == "translate" and value.lower() == "no"):
            return True
        if name == "class" and _KEEP_CLASSES & set(value.split()):
            return True
    return False


# --- `sitegen import --fix-naive-traditional` ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    line: int  # 1-based, in the text given to naive_fix
    before: str  # the changed characters with a neighbour or two for context: 關于
    after: str  # 關於


# Markdown that is not text: code, link targets, raw HTML tags, attribute lists.
_MD_KEEP: Final = re.compile(
    r"^[ \t]*(`{3,}|~{3,})[^\n]*\n(?:.*?^[ \t]*\1[ \t]*$|.*\Z)"
    r"|``[^\n]*?``|`[^`\n]*`|\]\([^)\n]*\)|^[ \t]*\[[^\]\n]+\]:[^\n]*|<[^>\n]+>|\{:[^}\n]*\}",
    re.MULTILINE | re.DOTALL,
)
# Both are right, by region or dictionary (OpenCC picks the second): 了解/瞭解, 發布/發佈,
# 計畫/計劃, 一周/一週, 占領/佔領, 借助/藉助, 匯報/彙報, 艱巨/艱鉅, 標桿/標杆, 向往/嚮往.
# Not errors of a character-by-character conversion (seen in importer/samples' seed page).
_EITHER: Final = frozenset(
    {("了", "瞭"), ("布", "佈"), ("畫", "劃"), ("周", "週"), ("占", "佔"), ("借", "藉"),
     ("匯", "彙"), ("巨", "鉅"), ("桿", "杆"), ("向", "嚮")}
)  # fmt: skip


def naive_fix(text: str) -> tuple[str, list[Change]]:
    """Repair traditional text made from simplified character by character (關于, 聯系,
    先后): round trip to simplified and back by phrase, and keep each character the trip
    changes unless the two are variants (裡/裏, 台/臺) or both right (發布/發佈).
    Everything else stays byte for byte, and each change is returned with its line."""
    parts: list[str] = []
    slots: list[int] = []
    pos = 0
    for m in _MD_KEEP.finditer(text):
        _add_text(text[pos : m.start()], parts, slots)
        parts.append(m.group())
        pos = m.end()
    _add_text(text[pos:], parts, slots)
    trip = _convert_all("s2t", _convert_all("t2s", [parts[i] for i in slots]))
    changes: list[Change] = []
    offsets = _offsets(parts)
    for i, back in zip(slots, trip, strict=True):
        fixed, found = _fix_run(parts[i], back)
        for start, end in found:
            line = text.count("\n", 0, offsets[i] + start) + 1
            changes.append(Change(line, *_in_context(parts[i], fixed, start, end)))
        parts[i] = fixed
    return "".join(parts), changes


def _offsets(parts: list[str]) -> list[int]:
    offsets, at = [], 0
    for part in parts:
        offsets.append(at)
        at += len(part)
    return offsets


def _fix_run(original: str, back: str) -> tuple[str, list[tuple[int, int]]]:
    """`original` with the round trip's changes of one character for one taken; a change
    of length (a phrase OpenCC rewrites whole) is left to an editor."""
    if original == back:
        return original, []
    out = list(original)
    found: list[tuple[int, int]] = []  # spans of changed characters
    for i1, i2, j1 in _replaced(original, back):
        start = None
        for k in range(i2 - i1):
            b, a = original[i1 + k], back[j1 + k]
            real = b != a and not _same_choice(b, a)
            if real:
                out[i1 + k] = a
                start = i1 + k if start is None else start
            if start is not None and (not real or k == i2 - i1 - 1):
                end = i1 + k + 1 if real else i1 + k
                found.append((start, end))
                start = None
    return "".join(out), found


def _replaced(original: str, back: str):
    """(start, end, start in back) of each run of characters replaced one for one."""
    if len(original) == len(back):  # nearly always: s2t and t2s map a character to one
        runs: list[tuple[int, int, int]] = []
        for k, (b, a) in enumerate(zip(original, back, strict=True)):
            if b == a:
                continue
            if runs and runs[-1][1] == k:  # next to the last run: one change, 聯系干 -> ...
                runs[-1] = (runs[-1][0], k + 1, runs[-1][0])
            else:
                runs.append((k, k + 1, k))
        return runs
    matcher = difflib.SequenceMatcher(None, original, back, autojunk=False)
    return [(i1, i2, j1) for op, i1, i2, j1, j2 in matcher.get_opcodes()
            if op == "replace" and i2 - i1 == j2 - j1]  # fmt: skip


def _same_choice(before: str, after: str) -> bool:
    """Variants of one character (裡/裏, 台/臺, 着/著) or a regional choice (布/佈)."""
    if (before, after) in _EITHER or (after, before) in _EITHER:
        return True
    return any(_opencc(c).convert(before) == _opencc(c).convert(after) for c in ("t2tw", "t2hk"))


def _in_context(original: str, fixed: str, start: int, end: int) -> tuple[str, str]:
    """The changed characters with a Han neighbour, so that an editor sees the word:
    關于 -> 關於 rather than 于 -> 於. Left before right: the second character of a word is
    the one naive conversion gets wrong more often (聯系, 先后, 頭發)."""
    if start > 0 and _is_han(original[start - 1]):
        start -= 1
    elif end < len(original) and _is_han(original[end]):
        end += 1
    return original[start:end], fixed[start:end]


def _is_han(char: str) -> bool:
    code = ord(char)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x3134F
