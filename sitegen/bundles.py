"""Article folders: the files an article's body refers to, found, checked and placed.

An article may be a folder, `content/<category>/<name>/index.md`, with its photos and
attachments beside it. The body refers to them relatively (`photo.jpg`, `./files/名單.xlsx`);
any article may also refer to files under /static/. Three steps, one per stage:

- `references(body)`, in the worker that parses a source: every file the body names, with
  its line. (Not whether it exists: files come and go without the article changing.)
- `resolve(...)`, when the build has listed every file: each reference as a published
  `Resource`, or a `path:line` problem for one that is missing or outside the folder.
- `place(html, files, ...)`, when a page is rendered: references become the published
  URLs (so the print view, the feeds and the article page all find them), images become
  responsive <picture>s in <figure>s, sized so that nothing moves as they load.
"""

from __future__ import annotations

import hashlib
import html
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import unquote

from sitegen.frozen import pickled_by_fields
from sitegen.mediatypes import RASTER_SUFFIXES, ImageInfo
from sitegen.problems import Problem
from sitegen.scan import is_temporary

BUNDLE_INDEX: Final = "index.md"
# Documents listed under an article as 附件, with the word readers know each type by.
DOCUMENT_TYPES: Final = {
    ".pdf": "PDF", ".doc": "Word", ".docx": "Word", ".xls": "Excel", ".xlsx": "Excel",
    ".ppt": "PowerPoint", ".pptx": "PowerPoint", ".wps": "WPS", ".zip": "ZIP", ".rar": "RAR",
    ".7z": "7z", ".txt": "TXT",
}  # fmt: skip
# The article column is at most about 40em wide; on a phone it is the screen less its margins.
IMAGE_SIZES: Final = "(min-width: 44em) 40em, calc(100vw - 2rem)"
_NOT_FILES: Final = ("", ".html", ".htm", ".md", ".php", ".asp", ".aspx", ".jsp", ".shtml")

# Where a Markdown body names a file: ![alt](target "title"), [text](target), [id]: target,
# and src= / href= in raw HTML. Targets in <...> may hold spaces.
_INLINE: Final = re.compile(r"\]\(\s*(?:<([^<>\n]+)>|([^\s()<>]+(?:\([^\s()]*\))?))")
_DEFINITION: Final = re.compile(r"^ {0,3}\[[^\]\n]+\]:\s*(?:<([^<>\n]+)>|(\S+))", re.MULTILINE)
_HTML_ATTR: Final = re.compile(r"""\b(?:src|href)\s*=\s*(?:"([^"\n]*)"|'([^'\n]*)')""", re.I)
_CODE_SPAN: Final = re.compile(r"(`+)[^`\n].*?\1")
_FENCE: Final = re.compile(r"^ {0,3}(```|~~~)")
_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_COMMENT: Final = re.compile(r"<!--.*?-->", re.S)
_MARKS: Final = ("](", "]:", "src", "href", "SRC", "HREF")
_NO_ALT: Final = re.compile(r"!\[\s*\]\(\s*(?:<([^<>\n]+)>|([^\s()<>]+))")
_IMG_TAG: Final = re.compile(r"<img\b[^>]*>", re.I)
_ALT_ATTR: Final = re.compile(r"""\salt\s*=\s*(?:"[^"\s][^"]*"|'[^'\s][^']*'|[^\s"'>]+)""", re.I)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Resource:
    """A file an article's body refers to, as it is published."""

    target: str  # the reference, normalised (see `normal_target`)
    url: str  # site path of the published file, without the base path
    source: str  # the file, relative to the site root
    size: int
    image: ImageInfo | None = None  # a raster image, processed into variants
    original: bool = True  # an image's original is published too (else only its copies)

    @property
    def name(self) -> str:
        return posixpath.basename(self.url)

    @property
    def document_type(self) -> str | None:
        return DOCUMENT_TYPES.get(posixpath.splitext(self.url)[1].lower())


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ArticleFiles:
    """What an article's pages need to know of its files."""

    resources: tuple[Resource, ...]  # every file the body refers to, in order
    attachments: tuple[Resource, ...]  # the documents among them (附件)
    key: str  # changes whenever anything above does: part of the pages' cache key

    def find(self, target: str) -> Resource | None:
        return next((r for r in self.resources if r.target == target), None)


def is_bundle(path: str) -> bool:
    return posixpath.basename(path) == BUNDLE_INDEX


def folder_of(path: str) -> str:
    """The folder of an article folder's index.md (content/news/2024-photo)."""
    return posixpath.dirname(path)


def files_url(article_url: str) -> str:
    """The site folder an article's files are published in: beside its page, so relative
    links keep working there (/news/2024-photo/ for /news/2024-photo/, /2024/a/ for a
    permalink such as /2024/a.html)."""
    if article_url.endswith("/"):
        return article_url
    return posixpath.splitext(article_url)[0] + "/"


def references(body: str, body_line: int) -> tuple[tuple[str, int], ...]:
    """(target, line) of every file the Markdown body names, outside code; targets are
    normalised and only those that can be files of the site are kept (not pages, not
    other sites, not anchors)."""
    found: list[tuple[str, int]] = []
    if not any(mark in body for mark in _MARKS):  # most articles are prose without links
        return ()
    for number, text in _lines_outside_code(body, body_line):
        for pattern in (_INLINE, _DEFINITION, _HTML_ATTR):
            for match in pattern.finditer(text):
                target = normal_target(html.unescape(match.group(1) or match.group(2) or ""))
                if target is not None and (target, number) not in found:
                    found.append((target, number))
    return tuple(found)


def images_without_alt(body: str, body_line: int) -> list[tuple[str, int]]:
    """(target, line) of each image the body shows with no alt text."""
    if "![" not in body and "<img" not in body.lower():
        return []
    missing = []
    for number, text in _lines_outside_code(body, body_line):
        for match in _NO_ALT.finditer(text):
            missing.append((match.group(1) or match.group(2), number))
        for match in _IMG_TAG.finditer(text):
            if not _ALT_ATTR.search(match.group()):
                src = _HTML_ATTR.search(match.group())
                missing.append(((src.group(1) or src.group(2)) if src else "<img>", number))
    return missing


def _lines_outside_code(body: str, body_line: int):
    """(line number, text) of the body's lines outside code blocks, code spans removed."""
    if "<!--" in body:  # a comment shows nothing: what it names need not exist
        body = _COMMENT.sub(lambda m: "\n" * m.group().count("\n"), body)
    fenced = None
    for number, line in enumerate(body.split("\n"), start=body_line):
        fence = _FENCE.match(line)
        if fence and (fenced is None or fence.group(1) == fenced):
            fenced = fence.group(1) if fenced is None else None
            continue
        if fenced is not None or line.startswith(("    ", "\t")):
            continue
        yield number, _CODE_SPAN.sub("", line)


def normal_target(raw: str) -> str | None:
    """A reference as a file of the site would be named: decoded, without query, fragment
    or "./"; None for what cannot be a file (a page, another site, an anchor, a mail)."""
    target = raw.strip().split("#", 1)[0].split("?", 1)[0]
    if not target or target.startswith("//") or _SCHEME.match(target):
        return None
    target = unquote(target)
    if target.startswith("/") and not target.startswith("/static/"):
        return None  # another page of the site (/law/a/), checked by `sitegen check`
    if posixpath.splitext(target)[1].lower() in _NOT_FILES:
        return None
    while target.startswith("./"):
        target = target[2:]
    return target


@dataclass(frozen=True, slots=True)
class Listed:
    """The files a build found: under content/ besides the Markdown, and in static/; and
    the article folders (content/news/2024-photo, for content/news/2024-photo/index.md)."""

    content: Mapping[str, tuple[int, int]]
    static: Mapping[str, tuple[int, int]]
    folders: frozenset[str] = frozenset()


def article_folders(markdown: Iterable[str]) -> frozenset[str]:
    # (endswith, not is_bundle: every build asks this of every source file.)
    tail = "/" + BUNDLE_INDEX
    return frozenset(path[: -len(tail)] for path in markdown if path.endswith(tail))


def resolve(
    article: tuple[str, str], refs: tuple[tuple[str, int], ...], listed: Listed,
    images: Mapping[str, ImageInfo],
) -> tuple[tuple[Resource, ...], list[Problem]]:  # fmt: skip
    """The references of an article (path, url) as published files, and a problem for each
    that is not one."""
    path, url = article
    resources, problems = [], []
    for target, line in refs:
        source, why = _source_of(path, url, target, listed)
        if source is None:
            problems.append(Problem(Path(path), why, line))
            continue
        if any(r.target == target for r in resources):
            continue
        stat = listed.static.get(source) or listed.content[source]
        static = "/" + source if source in listed.static else ""
        resources.append(Resource(target, static, source, stat[1], images.get(source)))
    return tuple(resources), problems


def _source_of(path: str, url: str, target: str, listed: Listed) -> tuple[str | None, str]:
    # As a browser reads it from the article's page: /static/a.png, ../../static/a.png.
    seen_from_page = posixpath.normpath(posixpath.join(files_url(url), target))
    if seen_from_page.startswith("/static/"):
        source = seen_from_page[1:]
        if source in listed.static:
            return source, ""
        if target.startswith("/"):
            return None, f"{target} does not exist: put the file in {source}, or fix the link"
    if not is_bundle(path):
        return None, (f"{target} is named relative to this article, which is a single file: "
                      f"make it a folder ({posixpath.splitext(path)[0]}/index.md) with "
                      f"{target} beside it, or link /static/...")  # fmt: skip
    folder = folder_of(path)
    source = posixpath.normpath(posixpath.join(folder, target))
    if not source.startswith(folder + "/"):
        return None, (f"{target} is outside this article's folder {folder}/: copy the "
                      "file into the folder and link it from there")  # fmt: skip
    if source not in listed.content:
        return None, _missing(target, source, folder, listed)
    inner = posixpath.dirname(source)
    while inner != folder:
        if inner in listed.folders:  # published with that article, under its URL
            return None, (f"{target} belongs to the article folder {inner}/: link that "
                          "article, or move the file into this folder")  # fmt: skip
        inner = posixpath.dirname(inner)
    return source, ""


def files_by_folder(content: Mapping[str, tuple[int, int]], folders: frozenset[str]) -> dict:
    """Each article folder's files: every file under it that is not under an article folder
    inside it. One pass over the files, each walked up to its nearest article folder (a loop
    over the folders for each article cost 2 s of an edit at 1 000 folders of photos)."""
    owned: dict[str, list[str]] = {}
    for source in content:
        folder = posixpath.dirname(source)
        while folder and folder not in folders:
            folder = posixpath.dirname(folder)
        if folder:
            owned.setdefault(folder, []).append(source)
    return owned


def _missing(target: str, source: str, folder: str, listed: Listed) -> str:
    """Why a file an article names is not there, with the likeliest fix."""
    if is_temporary(posixpath.basename(source)):
        return (f"{target} is a hidden or temporary file name (., #, ~ at the start; ~, .tmp, "
                ".part, .swp at the end), which is never published: rename the file")  # fmt: skip
    folded = source.casefold()
    near = next((f for f in listed.content if f.casefold() == folded), None)
    if near is not None:  # Windows and macOS forgive the case; a web server does not
        return (f"{target} is not in {folder}/, but {posixpath.relpath(near, folder)} is: "
                "write the name with the same capitals")  # fmt: skip
    return f"{target} is not in {folder}/: add the file there, or fix the link"


def bundle_outputs(path: str, article_url: str, owned: Mapping[str, list[str]]) -> dict:
    """Each file of an article folder -> its output (relative to the output folder)."""
    folder = folder_of(path)
    base = files_url(article_url).lstrip("/")
    return {source: base + source[len(folder) + 1 :] for source in owned.get(folder, ())}


def article_files(
    resources: tuple[Resource, ...], outputs: Mapping[str, str], originals: bool = True
) -> ArticleFiles:
    """The record the pages get, with each bundle file's URL filled in from `outputs`
    (`originals`: whether photos' originals are published beside their copies)."""
    placed = tuple(
        r
        if r.url
        else Resource(
            r.target,
            "/" + outputs[r.source],
            r.source,
            r.size,
            r.image,
            originals or r.image is None,
        )  # fmt: skip
        for r in resources
    )
    attachments = tuple(r for r in placed if r.document_type and r.image is None)
    key = hashlib.sha256(repr(placed).encode("utf-8")).hexdigest()
    return ArticleFiles(placed, attachments, key)


def variant_url(resource: Resource, name: str) -> str:
    """The URL of one of an image's variants ("-480w.webp" beside photo.jpg)."""
    stem = posixpath.splitext(resource.url)[0]
    return stem + name


def is_raster(source: str) -> bool:
    return posixpath.splitext(source)[1].lower() in RASTER_SUFFIXES


# --- placing references in rendered HTML -------------------------------------------------

_IMG_PARAGRAPH: Final = re.compile(r"<p>\s*(<img\b[^>]*>)\s*</p>")
_TAG_WITH_URL: Final = re.compile(r"<(img|a|source)\b[^>]*>")
_ATTR: Final = re.compile(r'\s([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:="([^"]*)")?')


def place(body: str, files: ArticleFiles | None, url: Callable[[str], str], printed: bool) -> str:
    """The body with its file references pointing at the published files, and its images
    as responsive pictures (the print view gets one large image, fit for A4 paper)."""
    if files is None or not files.resources:
        return body
    state = {"images": 0}

    def figure(match: re.Match) -> str:
        attrs = _attributes(match.group(1))
        found = files.find(normal_target(html.unescape(attrs.get("src", ""))) or "")
        if found is None or found.image is None:
            return match.group(0)
        caption = attrs.get("title") or attrs.get("alt")
        picture = _picture(found, attrs, url, printed, state)
        if not caption:
            return f"<figure>{picture}</figure>"
        return f"<figure>{picture}<figcaption>{caption}</figcaption></figure>"

    def tag(match: re.Match) -> str:
        name, attrs = match.group(1).lower(), _attributes(match.group(0))
        key = "href" if name == "a" else "src"
        found = files.find(normal_target(html.unescape(attrs.get(key, ""))) or "")
        if found is None:
            return match.group(0)
        if name == "img" and found.image is not None:
            return _picture(found, attrs, url, printed, state)
        attrs[key] = html.escape(url(_link_target(found)))
        return _tag(name, attrs)

    return _TAG_WITH_URL.sub(tag, _IMG_PARAGRAPH.sub(figure, body))


def _link_target(resource: Resource) -> str:
    """Where a link to the file leads: the file, or for a photo whose original is not
    published, its largest copy."""
    if resource.original or resource.image is None:
        return resource.url
    fallback = resource.image.copies()
    return variant_url(resource, fallback[-1].name)


def _attributes(tag: str) -> dict[str, str]:
    start = tag.find(" ")
    if start < 0:
        return {}
    return {m.group(1).lower(): m.group(2) or "" for m in _ATTR.finditer(tag, start, len(tag) - 1)}


def _tag(name: str, attrs: Mapping[str, str]) -> str:
    # Values are kept as the sanitiser wrote them: already escaped for an attribute.
    return f"<{name}" + "".join(f' {k}="{v}"' for k, v in attrs.items()) + ">"


def _picture(
    resource: Resource, attrs: Mapping[str, str], url: Callable[[str], str], printed: bool,
    state: dict,
) -> str:  # fmt: skip
    image = resource.image
    assert image is not None
    alt = attrs.get("alt", "")
    fallback = image.copies()
    largest = fallback[-1]
    common = f'alt="{alt}" width="{largest.width}" height="{largest.height}"'
    if printed:  # 1600 px over A4's text width is about 240 dpi: sharp, and not 8 MB
        return f'<img src="{html.escape(url(variant_url(resource, largest.name)))}" {common}>'
    state["images"] += 1
    # The first image is likely on the first screen: load it at once; the others lazily.
    loading = ' loading="lazy"' if state["images"] > 1 else ""
    webp = image.copies("image/webp")
    src = html.escape(url(variant_url(resource, largest.name)))
    sizes = f'sizes="{IMAGE_SIZES}"'
    return (
        f'<picture><source type="image/webp" srcset="{_srcset(resource, webp, url)}" {sizes}>'
        f'<img src="{src}" srcset="{_srcset(resource, fallback, url)}" {sizes} {common}'
        f'{loading} decoding="async"></picture>'
    )


def _srcset(resource: Resource, variants, url: Callable[[str], str]) -> str:
    # A comma would end a candidate: encoded, as a file name may hold one.
    return ", ".join(
        f"{html.escape(url(variant_url(resource, v.name)).replace(',', '%2C'))} {v.width}w"
        for v in variants
    )
