"""Atom feeds and sitemaps: well-formed XML, the required elements, absolute URLs.

Readers and search engines fetch these files on their own, away from the page they were
linked from, so every URL in them must be absolute; URLs on the site's own host must also
lead to a built file (checked by the caller with urls.resolve).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit
from xml.parsers.expat import ErrorString
from xml.sax.saxutils import escape, quoteattr

ATOM: Final = "{http://www.w3.org/2005/Atom}"
SITEMAP: Final = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem in one XML file; `line` is where the offending text first appears."""

    message: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class XmlCheck:
    findings: tuple[Finding, ...]
    urls: tuple[tuple[str, int | None], ...]  # absolute URLs and their lines, to resolve


def check_feed(data: bytes) -> XmlCheck:
    root, findings = _parse(data)
    text = data.decode("utf-8", "replace")
    if root is None:
        return XmlCheck(findings, ())
    if root.tag != ATOM + "feed":
        return XmlCheck((Finding(f"is not an Atom feed (root element <{_local(root.tag)}>)"),), ())
    found = list(_missing(root, ("id", "title", "updated"), "the feed"))
    for number, entry in enumerate(root.iter(ATOM + "entry"), start=1):
        found += _missing(entry, ("id", "title", "updated", "link"), f"entry {number}")
    ids = [e.text or "" for e in root.iter(ATOM + "id")]
    links = [e.get("href", "") for e in root.iter(ATOM + "link")]
    found += [
        Finding(f"<id> {i!r} is not an absolute URI", _line(text, i)) for i in ids if not _is_iri(i)
    ]
    found += [
        Finding(f"<link href> {u!r} is not an absolute URL", _line(text, u, attr=True))
        for u in links
        if not _is_absolute(u)
    ]
    urls = tuple((u, _line(text, u, attr=True)) for u in links if _is_absolute(u))
    return XmlCheck(tuple(found), urls)


def check_sitemap(data: bytes, base_url: str) -> XmlCheck:
    """A sitemap index (<sitemapindex>) or a sitemap (<urlset>); every <loc> under base_url."""
    root, findings = _parse(data)
    text = data.decode("utf-8", "replace")
    if root is None:
        return XmlCheck(findings, ())
    if root.tag not in (SITEMAP + "sitemapindex", SITEMAP + "urlset"):
        return XmlCheck((Finding(f"is not a sitemap (root element <{_local(root.tag)}>)"),), ())
    locs = [(e.text or "").strip() for e in root.iter(SITEMAP + "loc")]
    found = [
        Finding(f"<loc> {u!r} is not an absolute URL", _line(text, u))
        for u in locs
        if not _is_absolute(u)
    ]
    found += [
        Finding(f"<loc> {u} is not under base_url {base_url}", _line(text, u))
        for u in locs
        if _is_absolute(u) and not u.startswith(base_url)
    ]
    if not locs:
        found.append(Finding("lists no <loc>"))
    return XmlCheck(
        tuple(found), tuple((u, _line(text, u)) for u in locs if u.startswith(base_url))
    )


def _parse(data: bytes) -> tuple[ET.Element | None, tuple[Finding, ...]]:
    try:
        return ET.fromstring(data), ()
    except ET.ParseError as exc:
        # expat's own text ends with a column counted in bytes; the line is enough
        return None, (Finding(f"is not well-formed XML: {ErrorString(exc.code)}", exc.position[0]),)


def _missing(element: ET.Element, names: tuple[str, ...], what: str) -> list[Finding]:
    return [Finding(f"{what} has no <{n}>") for n in names if element.find(ATOM + n) is None]


def _is_absolute(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _is_iri(value: str) -> bool:
    """Atom ids may be any absolute IRI: https://..., tag:..., urn:uuid:..."""
    parts = urlsplit(value.strip())
    return bool(parts.scheme) and (parts.scheme not in ("http", "https") or bool(parts.netloc))


def _line(text: str, value: str, *, attr: bool = False) -> int | None:
    """The line where `value` is first written as an element's text (or an attribute)."""
    needles = (quoteattr(value), f"'{escape(value)}'") if attr else (f">{escape(value)}<",)
    found = [at for at in (text.find(n) for n in needles) if at >= 0]
    return text.count("\n", 0, min(found)) + 1 if found else None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]
