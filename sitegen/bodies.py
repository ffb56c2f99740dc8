"""Rendered article bodies, kept on disk by the digest of their source file.

The article page, the print view, the feeds and the search index all need an article's
body; rendering Markdown is the costliest step of a build, so it is done once per source
version and stored, and no stage holds every body in memory at once.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import markdown

from sitegen.content import Article, body_source
from sitegen.markup import make_markdown, plain_text, to_html


@dataclass(frozen=True, slots=True)
class Body:
    html: str
    text: str  # plain text, for excerpts and search


class BodyStore:
    """Bodies under `folder`, one JSON file per source digest. Made once per process."""

    def __init__(self, root: Path, folder: Path, backlink_title: str) -> None:
        self.root = root
        self.folder = folder
        self._backlink_title = backlink_title
        self._md: markdown.Markdown | None = None
        self._last: tuple[str, Body] | None = None  # an article page and its print view
        self._made: set[Path] = set()

    def _file(self, digest: str) -> Path:
        return self.folder / digest[:2] / f"{digest}.json"

    def get(self, article: Article) -> Body:
        if self._last is not None and self._last[0] == article.digest:
            return self._last[1]
        body = self._load(article) or self._store(article)
        self._last = (article.digest, body)
        return body

    def _load(self, article: Article) -> Body | None:
        try:
            data = json.loads(self._file(article.digest).read_text(encoding="utf-8"))
            return Body(data["html"], data["text"])
        except (OSError, ValueError, KeyError):
            return None  # not rendered yet, or damaged: render again

    def _store(self, article: Article) -> Body:
        stored = self._file(article.digest)
        body = self.render(article)
        if stored.parent not in self._made:
            stored.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(stored.parent)
        tmp = stored.with_name(f".{stored.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"html": body.html, "text": body.text}), encoding="utf-8")
        tmp.replace(stored)  # atomic: two workers may store the same body at once
        return body

    def render(self, article: Article) -> Body:
        if self._md is None:
            self._md = make_markdown(self._backlink_title)
        source = body_source(article.path, (self.root / article.path).read_bytes())
        html = to_html(self._md, source)
        return Body(html, plain_text(html))

    def prune(self, keep: set[str]) -> None:
        """Remove bodies of sources that no longer exist."""
        if not self.folder.is_dir():
            return
        for stored in self.folder.glob("*/*.json"):
            if stored.stem not in keep:
                stored.unlink(missing_ok=True)
