"""Find and repair GBK byte-shift mojibake in decoded text (issue 4, item 6).

When a GBK page lost one byte, every later byte pair was read one byte out of step until
an ASCII byte put the decoder back in step: 。活動改變 (A1A3 BBEE 84D3 ...) came out as
?;顒痈淖 (lost A1, A3BB = ；, later normalised to ';', then EE84 D3B8 ...). Such runs are
full of characters that traditional text never uses (rare, simplified-only, bopomofo) and of
'?' standing for a lost byte. A run is re-encoded to GBK bytes, shifted by one byte and
decoded again; the repair is applied only when the character model finds it clearly more
plausible, and characters that the lost bytes took with them are marked with 〓.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from sitegen.importer.charmodel import COMMON, LOST_MARK, CharModel, Script, is_cjk, is_cjk_text

_WILD = -1  # a byte we know was there but not which one
_MAX_RUN = 60
_GAIN = 1.0  # mean score per character a repair must gain over the original
_QUESTION_PARTICLES = frozenset("嗎吗呢麼么何誰谁哪幾几否啥怎")
_DOT_LIST = re.compile(r"(?<=[“「『《\"])([^”」』》\"]{2,40})(?=[”」』》\"])")


@dataclass(frozen=True, slots=True)
class Fix:
    start: int  # offset in the text that was repaired
    original: str
    repair: str  # LOST_MARK where a character could not be recovered

    @property
    def unrecovered(self) -> int:
        return self.repair.count(LOST_MARK)


def repair(text: str, model: CharModel, script: Script) -> tuple[str, tuple[Fix, ...]]:
    """`text` with every mojibake run it can find repaired or marked, and the runs found."""
    text, latin = _repair_latin(text, model, script)
    fixes: list[Fix] = list(latin)
    out: list[str] = []
    pos = 0
    for start, end in _suspect_runs(text, model, script):
        if start < pos:
            continue
        fix = _realign(text, start, end, model, script) or _lost_char(text, start, end)
        if fix is None:
            continue
        out.append(text[pos : fix.start])
        out.append(fix.repair)
        pos = fix.start + len(fix.original)
        fixes.append(fix)
    out.append(text[pos:])
    return "".join(out), tuple(fixes)


# GBK bytes read as Latin-1 or Windows-1252 (a GBK string pasted into a UTF-8 page):
# 快递小哥 (BF EC B5 DD D0 A1 B8 E7) came out as ¿ìµÝÐ¡¸ç. A run of such letters (GBK's
# second byte may be ASCII @-~ too) is read back as the bytes it was, and decoded as GBK.
_LATIN = "\u0080-\u00ff\u0152-\u0192\u02c6-\u02dc\u2013-\u2122"  # Latin-1 and cp1252's extras
_LATIN_RUN = re.compile(f"[{_LATIN}][{_LATIN}@-~]{{3,}}")


def _repair_latin(text: str, model: CharModel, script: Script) -> tuple[str, list[Fix]]:
    if not _LATIN_RUN.search(text):
        return text, []
    fixes: list[Fix] = []

    def fixed(found: re.Match) -> str:
        run = found.group()
        repaired = _latin_as_gbk(run, model, script)
        if repaired is None:
            return run
        fixes.append(Fix(found.start(), run, repaired))
        return repaired

    return _LATIN_RUN.sub(fixed, text), fixes


def _latin_as_gbk(run: str, model: CharModel, script: Script) -> str | None:
    """The run read back through GBK, when that gives Chinese text a reader would accept."""
    for codec in ("latin-1", "cp1252"):
        try:
            repaired = run.encode(codec).decode("gb18030")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        # GBK text is usually simplified, whatever the page around it: either script will do.
        plausible = not model.implausible(repaired, script) or not model.implausible(
            repaired, "hans"
        )
        if len(repaired) >= 2 and all(is_cjk_text(c) for c in repaired) and plausible:
            return repaired
    return None


# GBK's rows of symbols, where a shifted pair of Chinese bytes often lands (┟ すぷ Ц ㄕ):
# in Chinese text such letters rarely stand together, so a cluster of them is a suspect
# (only a suspect: a repair must still win on plausibility).
_GBK_SYMBOL = re.compile(
    "[\u0391-\u03c9\u0401-\u0451\u2160-\u216b\u2460-\u249b\u2500-\u254b"
    "\u3041-\u30f6\u3105-\u3129\ufe30-\ufe6b]"
)


def _suspect_runs(text: str, model: CharModel, script: Script) -> list[tuple[int, int]]:
    """(start, end) of clusters of suspicious characters at most two characters apart."""
    odd = set(model.implausible(text, script))
    odd |= {c for c in set(text) if "\ue000" <= c <= "\uf8ff" or c == "\ufffd"}
    odd |= {c for c in set(text) if _GBK_SYMBOL.match(c)}
    if not odd and "?" not in text:
        return []  # the common case: clean text, decided with set operations only
    marks = [
        i
        for i, c in enumerate(text)
        if c in odd or (c == "?" and any(is_cjk_text(n) for n in text[max(i - 1, 0) : i + 2]))
    ]
    runs: list[tuple[int, int]] = []
    for i in marks:
        if runs and i - runs[-1][1] <= 2:
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    return [(s, e) for s, e in runs if e - s >= 2 or text[s] == "?"]


def _realign(text: str, start: int, end: int, model: CharModel, script: Script) -> Fix | None:
    """The best one-byte realignment of the run, if it is clearly more plausible.

    A run that starts with '?' starts exactly there (the decoder's stand-in for the byte it
    lost); otherwise the first shifted pairs may still have looked plausible, so up to two
    characters before the run are tried as its start. Candidates are compared over the same
    stretch of text.
    """
    region = max(start - 2, 0)
    best: tuple[float, Fix] | None = None
    # A GBK page's decoder stays out of step until an ASCII byte (_resync); a GBK run pasted
    # into a UTF-8 page is garbled only as far as its own odd characters go (end).
    for stop in dict.fromkeys((_resync(text, end), end)):
        before = _mean(text[region:stop], model, script)
        for back in range(0, 1 if text[start] == "?" else 3):
            begin = start - back
            if begin < 0 or (back and not is_cjk(text[begin])):
                break
            span = text[begin:stop]
            for judged, written in _candidates(span):
                gain = _mean(text[region:begin] + judged, model, script) - before
                if gain >= _GAIN and (best is None or gain > best[0]):
                    best = (gain, Fix(begin, span, _mark(written, model, script)))
    return best[1] if best else None


def _resync(text: str, end: int) -> int:
    """Where the decoder got back in step: just after an ASCII byte that can trail a GBK pair.

    Any non-ASCII character may belong to the run (GBK symbols such as ≈ come out of a
    shift too); ASCII @-~ ends it as the trail byte that put the decoder back in step.
    """
    for i in range(end, min(end + _MAX_RUN, len(text))):
        char = text[i]
        if 0x40 <= ord(char) <= 0x7E:
            return i + 1
        if char.isascii() and char not in "?;:,!":
            return i
    return min(end + _MAX_RUN, len(text))


def _candidates(span: str) -> list[tuple[str, str]]:
    """Readings of the run: (the text to judge it by, the text to write)."""
    options = [_byte_options(c) for c in span]
    if any(not o for o in options) or len(span) > _MAX_RUN:
        return []
    if span[0] == "?":
        options[0] = [(_WILD,)]  # the decoder's stand-in for the byte that put it out of step
    if span[-1] == "?" and len(span) > 1:
        # At the end of a run '?' stands for the byte the realigned pair lacks: reading it
        # as a folded ？ would make up a character from the run's last lead byte.
        options[-1] = [(_WILD,)]
    choices = [o for o in options if len(o) > 1]
    if len(choices) > 6:
        return []
    found: list[tuple[str, str]] = []
    for combo in itertools.product(*options):
        raw = [b for part in combo for b in part]
        # prepend the lost lead byte, or drop a stray one; dropping a '?' only deletes it
        if raw[0] == _WILD:
            found += [(d, d) for d in [_decode(raw)] if d is not None]
            continue
        # The run's first byte was the trail of a character whose lead byte was lost: that
        # character is gone in either reading, so it is marked in what is written, never
        # silently dropped, but not held against this reading when they are compared.
        found += [(d, d) for d in [_decode([_WILD, *raw])] if d is not None]
        found += [(d, LOST_MARK + d) for d in [_decode(raw[1:])] if d is not None]
    return found


def _byte_options(char: str) -> list[tuple[int, ...]]:
    """The bytes a character of the run may have come from."""
    if char == "?":
        return [(_WILD,), (0xA3, 0xBF)]  # a lost byte, or ？ folded to ASCII
    if char == "\ufffd":
        return [(_WILD,)]  # a byte the decoder could not pair, its value lost
    if char.isascii():
        if char.isalnum() or 0x40 <= ord(char) <= 0x7E:
            return [(ord(char),)]  # a GBK trail byte 0x40-0x7E read as ASCII
        return [(0xA3, ord(char) | 0x80), (ord(char),)]  # full-width punctuation folded
    try:
        # gb18030, not gbk: a pair GBK leaves unassigned was read as a private-use character
        data = char.encode("gb18030")
    except UnicodeEncodeError:
        return []
    return [tuple(data)] if len(data) == 2 else []


def _decode(raw: list[int]) -> str | None:
    out: list[str] = []
    i = 0
    while i < len(raw):
        lead = raw[i]
        if 0 <= lead < 0x80:
            out.append(chr(lead))
            i += 1
            continue
        if i + 1 >= len(raw):
            out.append(LOST_MARK)
            break
        out.append(_pair(lead, raw[i + 1]))
        i += 2
    return "".join(out)


def _pair(lead: int, trail: int) -> str:
    if lead == _WILD or trail == _WILD:
        return LOST_MARK  # resolved later only if one reading is clearly best
    try:
        return bytes((lead, trail)).decode("gbk")
    except UnicodeDecodeError:
        return LOST_MARK


def _mean(text: str, model: CharModel, script: Script) -> float:
    """Mean plausibility; a letter or stray ASCII sign between Chinese characters counts against."""
    if not text:
        return 0.0
    total = 0.0
    for c in text:
        if c == "?" or not c.isascii():
            total += model.score(c, script)
        else:
            total += -3.0 if c.isalnum() else -2.0
    return total / len(text)


def _mark(candidate: str, model: CharModel, script: Script) -> str:
    """Characters the shift could not give back plausibly become 〓."""
    return "".join(
        LOST_MARK if is_cjk(c) and model.score(c, script) < COMMON else c for c in candidate
    )


def _lost_char(text: str, start: int, end: int) -> Fix | None:
    """A lone '?' between CJK: a character the page's encoding could not hold (U+00B7 in GBK)."""
    if text[start:end] != "?" or start == 0 or end >= len(text):
        return None
    before, after = text[start - 1], text[end]
    if not (is_cjk(before) and is_cjk(after)) or before in _QUESTION_PARTICLES:
        return None
    for quoted in _DOT_LIST.finditer(text):
        inner = quoted.group(1)
        if quoted.start() <= start < quoted.end() and _is_dot_list(inner):
            return Fix(start, "?", "·")
    return Fix(start, "?", LOST_MARK)


def _is_dot_list(inner: str) -> bool:
    """中國夢?勞動美?工會情: two or more '?' joining short runs of CJK, like a slogan."""
    parts = inner.split("?")
    return len(parts) >= 3 and all(1 <= len(p) <= 8 and all(map(is_cjk, p)) for p in parts)
