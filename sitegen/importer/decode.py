"""Bytes of a saved page -> text, with the encoding that was used and any doubt about it.

Order of evidence (issue 4, item 1): a byte-order mark, then the page's own <meta charset>
or http-equiv declaration, then detection. GB2312/GBK are read as GB18030 and Big5 as
Big5-HKSCS, their supersets, because old CMSs emitted extension characters under the base
name. A declaration is trusted only while it decodes cleanly and reads as Chinese at least
as well as the alternatives: saved pages often carry the template's charset, not the bytes'.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sitegen.importer.charmodel import CharModel, is_cjk
from sitegen.problems import Problem

_META_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_RE = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.I)
_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "x-gbk": "gb18030",
    "gb18030": "gb18030",
    "big5": "big5hkscs",
    "big5-hkscs": "big5hkscs",
    "big5hkscs": "big5hkscs",
    "cp950": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "utf-8": "utf-8",
    "utf8": "utf-8",
}
_CANDIDATES = ("utf-8", "gb18030", "big5hkscs")
# a clean decode that reads this much worse than another is a wrong declaration
_MARGIN = 0.6
_SAMPLE = 24_000  # bytes scored per candidate codec: plenty to tell GBK from Big5


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str  # the codec used: utf-8, gb18030, big5hkscs, utf-16, ...
    declared: str | None  # what the page said, normalised; None when it said nothing
    problems: tuple[Problem, ...] = ()


def declared_charset(raw: bytes) -> str | None:
    """The charset the page declares in its first 4 KiB, normalised, or None."""
    head = raw[:4096]
    found = _META_RE.search(head) or _XML_RE.search(head)
    if not found:
        return None
    name = found.group(1).decode("ascii", "replace").strip().lower()
    if name in _ALIASES:
        return _ALIASES[name]
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode(raw: bytes, origin: Path, model: CharModel) -> Decoded:
    """Decode `raw`; problems name a wrong declaration and characters that could not be read."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")):
        if raw.startswith(bom):
            return _lossy(raw[len(bom) :], codec, None, origin, "byte-order mark")
    if raw.startswith(codecs.BOM_UTF16_BE):
        return _lossy(raw[2:], "utf-16-be", None, origin, "byte-order mark")
    declared = declared_charset(raw)
    if raw.isascii():
        return Decoded(raw.decode("ascii"), declared or "ascii", declared)
    best = _detect(raw, model)
    if declared is None:
        return _lossy(raw, best, None, origin, "detected")
    if declared == best or _reads_as_well(raw, declared, best, model):
        return _lossy(raw, declared, declared, origin, "declared")
    wrong = Problem(
        origin,
        f"page declares charset {declared} but its bytes read as {best}; decoded as {best}",
        severity="warning",
    )
    result = _lossy(raw, best, declared, origin, "detected")
    return Decoded(result.text, result.encoding, declared, (wrong, *result.problems))


def _detect(raw: bytes, model: CharModel) -> str:
    # legacy bytes almost never form valid UTF-8 sequences, so mostly-valid UTF-8 is UTF-8
    text = raw.decode("utf-8", errors="replace")
    # U+FFFD written into the page by an earlier lossy conversion is text, not a decode error.
    bad = text.count("\ufffd") - raw.count("\ufffd".encode())
    if bad * 20 <= sum(1 for c in text if not c.isascii()) - bad:
        return "utf-8"
    scores = {codec: _plausibility(raw, codec, model) for codec in _CANDIDATES[1:]}
    return max(scores, key=lambda codec: scores[codec])


def _plausibility(raw: bytes, codec: str, model: CharModel) -> float:
    """Mean score of the CJK characters `raw` holds under `codec`; errors count heavily."""
    text = raw[:_SAMPLE].decode(codec, errors="replace")
    counts = Counter(text)  # score each distinct character once
    chars = {c: n for c, n in counts.items() if is_cjk(c) or c == "\ufffd"}
    if not chars:
        return -10.0
    script = model.guess_script(text)
    total = sum(model.score(c, script) * n for c, n in chars.items())
    return total / sum(chars.values())


def _reads_as_well(raw: bytes, declared: str, best: str, model: CharModel) -> bool:
    try:
        codecs.lookup(declared)
    except LookupError:
        return False
    if declared == "utf-8":
        return False  # the detector already said whether the bytes are (mostly) UTF-8
    mine = _plausibility(raw, declared, model)
    return mine >= _plausibility(raw, best, model) - _MARGIN and "\ufffd" not in raw.decode(
        declared, errors="replace"
    )


def _lossy(raw: bytes, codec: str, declared: str | None, origin: Path, how: str) -> Decoded:
    text = raw.decode(codec, errors="replace")
    bad = text.count("\ufffd") - (raw.count("\ufffd".encode()) if codec == "utf-8" else 0)
    if not bad:
        return Decoded(text, codec, declared)
    line = text[: text.index("\ufffd")].count("\n") + 1
    return Decoded(
        text,
        codec,
        declared,
        (
            Problem(
                origin,
                f"{bad} byte sequence(s) are not valid {codec} ({how}); shown as \ufffd",
                line,
                "warning",
            ),
        ),
    )
