"""How plausible a run of Chinese text is, from the sets national standards call common.

No corpus ships with sitegen and the importer may not reach the network, so the model is
generated from the codec tables Python already has: Big5 sorts its 5 401 "frequently used"
characters (常用字, lead bytes A4-C6) apart from the 7 652 "less frequently used" ones, and
GB2312 does the same with its 3 755 level-1 characters (一級字庫, B0A1-D7F9). A character
in a common set scores best; one that only the rarer tiers or GBK/GB18030 extensions hold
scores worse, and a simplified-only character inside traditional text (or the reverse) is
suspicious: mojibake from a one-byte shift turns traditional text into exactly such runs.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

Script = Literal["hant", "hans"]

COMMON = 0.0
OTHER_SCRIPT = -3.0
LESS_COMMON = -4.5
RARE = -7.0
LOST = -8.0  # "?" or U+FFFD standing where a character was
PUNCT = -0.5
LOST_MARK = "〓"  # GETA MARK: typesetters' sign for a character that could not be set

_CJK_PUNCT = frozenset("，。、；：？！「」『』（）《》〈〉“”‘’…—·．～　【】")


@dataclass(frozen=True, slots=True)
class CharModel:
    common_hant: frozenset[str]
    common_hans: frozenset[str]
    less_common: frozenset[str]
    big5: frozenset[str]  # every ideograph Big5 (cp950) can encode
    gb2312: frozenset[str]
    hant_only: frozenset[str]  # Big5 has it, GB2312 does not: a traditional form
    hans_only: frozenset[str]

    def score(self, char: str, script: Script) -> float:
        """Log-plausibility of one character in text written in `script`."""
        if char in _CJK_PUNCT or char.isascii():
            return LOST if char == "?" else (PUNCT if char in _CJK_PUNCT else 0.0)
        if char == "\ufffd" or char == LOST_MARK or "\ue000" <= char <= "\uf8ff":
            return LOST
        mine, other = (
            (self.common_hant, self.common_hans)
            if script == "hant"
            else (self.common_hans, self.common_hant)
        )
        if char in mine:
            return COMMON
        if char in other:
            # a character common in both scripts is in both sets; this one is the other script's
            return OTHER_SCRIPT if self.is_other_script(char, script) else COMMON
        if char in self.less_common:
            return LESS_COMMON
        return RARE if is_cjk(char) else -1.0

    def is_other_script(self, char: str, script: Script) -> bool:
        """True for a simplified-only character in traditional text, or the reverse."""
        if script == "hant":
            return char in self.gb2312 and char not in self.big5
        return char in self.big5 and char not in self.gb2312

    def text_score(self, text: str, script: Script) -> float:
        """Mean score per character (0 best); comparable between texts of different length."""
        if not text:
            return 0.0
        return sum(self.score(c, script) for c in text) / len(text)

    def guess_script(self, text: str) -> Script:
        """'hant' when distinct traditional-only characters outnumber simplified-only ones."""
        distinct = set(text)
        hant = len(distinct & self.hant_only)
        hans = len(distinct & self.hans_only)
        return "hans" if hans > hant else "hant"

    def implausible(self, text: str, script: Script) -> frozenset[str]:
        """The distinct CJK characters of `text` that score below COMMON (set work, fast)."""
        mine = self.common_hant if script == "hant" else self.common_hans
        return frozenset(
            c for c in set(text) - mine if is_cjk(c) and self.score(c, script) < COMMON
        )


def is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x3400 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x3FFFF
        or 0x3100 <= code <= 0x312F  # bopomofo: GBK A8C5-A8E9, frequent in shifted GBK
    )


def is_cjk_text(char: str) -> bool:
    """A CJK ideograph or CJK punctuation: the characters a Chinese sentence is made of."""
    return is_cjk(char) or char in _CJK_PUNCT


def load_model() -> CharModel:
    """Build the model from the codec tables (about 20 ms); make one per run and pass it down."""
    trail_big5 = [*range(0x40, 0x7F), *range(0xA1, 0xFF)]
    common_hant = _decoded("cp950", range(0xA4, 0xC6), trail_big5)
    common_hant |= _decoded("cp950", [0xC6], range(0x40, 0x7F))
    less_hant = _decoded("cp950", range(0xC9, 0xFA), trail_big5)
    common_hans = _decoded("gb2312", range(0xB0, 0xD8), range(0xA1, 0xFF))
    less_hans = _decoded("gb2312", range(0xD8, 0xF8), range(0xA1, 0xFF))
    big5 = frozenset(common_hant | less_hant)
    gb2312 = frozenset(common_hans | less_hans)
    return CharModel(
        common_hant=frozenset(common_hant),
        common_hans=frozenset(common_hans),
        less_common=frozenset(less_hant | less_hans),
        big5=big5,
        gb2312=gb2312,
        hant_only=big5 - gb2312,
        hans_only=gb2312 - big5,
    )


def _decoded(codec: str, leads: range | list[int], trails: range | list[int]) -> set[str]:
    found: set[str] = set()
    for lead in leads:
        for trail in trails:
            try:
                char = bytes((lead, trail)).decode(codec)
            except UnicodeDecodeError:
                continue
            if unicodedata.category(char) == "Lo":
                found.add(char)
    return found
