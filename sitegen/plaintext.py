"""An article body's readable text, from its HTML: for excerpts and the search index.

Kept apart from sitegen/markup.py, which imports Python-Markdown: a build's search child
reads stored bodies' texts, and starts before the build has imported Markdown (see
sitegen/entry.py), so nothing it runs may need it.
"""

from __future__ import annotations

import html
import re
from typing import Final

# Bumped when `plain_text` changes, so that stored texts are made again.
TEXT_FORMAT: Final = 2


def plain_text(body_html: str) -> str:
    """The readable text of rendered HTML: tags dropped, entities decoded, spaces folded.

    An image counts by its caption (its title, or else its alt text), which readers see
    under it; never by its file name, which is no word of the article.
    """
    if "<img" in body_html:
        body_html = _IMAGE.sub(_caption, body_html)
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", body_html))).strip()


_TAG: Final = re.compile(r"<[^<>]+>")
_SPACE: Final = re.compile(r"\s+")
_IMAGE: Final = re.compile(r"<img\b[^>]*>")
_CAPTION_ATTR: Final = re.compile(r'\s(title|alt)="([^"]*)"')


def _caption(image: re.Match) -> str:
    found = dict(_CAPTION_ATTR.findall(image.group()))
    return f" {found.get('title') or found.get('alt') or ''} "


def excerpt(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + "…"
