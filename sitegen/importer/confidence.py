"""How sure the importer is of one page, from the signals the other stages computed.

Each doubt has a factor; a page's confidence is the product of its doubts' factors (1.0
with none). A page below REVIEW_BELOW is written as a draft and listed for review, so an
editor reads it before readers do. The factors are judgement, kept in one table: the
weightiest doubts are the ones that mean lost or invented content (no title, a body that is
mostly links), the lightest the ones an editor fixes in a second (no category).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sitegen.importer.blocks import Block
from sitegen.importer.charmodel import is_cjk
from sitegen.importer.extract import Metadata

REVIEW_BELOW: Final = 0.5
SHORT_BODY: Final = 120  # characters of text: a notice of one or two lines
# doubt -> (factor, what the review page says to the editor)
DOUBTS: Final = {
    "no-title": (0.45, "沒有找到標題，用了正文第一行"),
    "no-date": (0.7, "頁面上沒有日期：存為草稿，請補上日期"),
    "date-from-url": (0.9, "日期只見於舊網址"),
    "short-body": (0.75, "正文很短，請核對是否完整"),
    "tiny-body": (0.45, "幾乎沒有正文"),
    "link-heavy-body": (0.55, "正文多為鏈接，可能混入了導航或列表"),
    "spam-in-body": (0.8, "正文中間刪去了垃圾內容，請核對"),
    "mojibake-left": (0.7, "有無法修復的亂碼（〓）"),
    "no-category": (0.9, "沒有找到欄目"),
}


@dataclass(frozen=True, slots=True)
class Assessment:
    confidence: float  # 0..1
    doubts: tuple[str, ...]  # keys of DOUBTS, weightiest first


def assess(
    meta: Metadata, body: tuple[Block, ...], spam_in_body: int, unrecovered: int
) -> Assessment:
    """The confidence of an article page and the doubts behind it."""
    chars = sum(1 for block in body for c in block.text if is_cjk(c) or c.isalnum())
    text = sum(len(block.text) for block in body)
    links = sum(block.link_chars for block in body)
    found = {
        "no-title": not meta.title,
        "no-date": not meta.date,
        "date-from-url": meta.date_from == "url",
        "tiny-body": chars < 20,
        "short-body": 20 <= chars < SHORT_BODY,
        "link-heavy-body": text > 0 and links / text > 0.35,
        "spam-in-body": spam_in_body > 0,
        "mojibake-left": unrecovered > 0,
        "no-category": not meta.category,
    }
    doubts = sorted((d for d, present in found.items() if present), key=lambda d: DOUBTS[d][0])
    confidence = 1.0
    for doubt in doubts:
        confidence *= DOUBTS[doubt][0]
    return Assessment(round(confidence, 3), tuple(doubts))
