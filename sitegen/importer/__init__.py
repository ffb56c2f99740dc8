"""Legacy import: saved pages of an old CMS -> clean Markdown articles (issue 4).

`import_page` is the pure core for one page: decode -> clean -> extract -> mojibake -> convert.
`sitegen.importer.tree.import_tree` drives it over a folder and does all the writing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from bs4 import NavigableString

from sitegen.importer.blocks import Block
from sitegen.importer.charmodel import CharModel, load_model
from sitegen.importer.clean import clean
from sitegen.importer.confidence import assess
from sitegen.importer.decode import decode
from sitegen.importer.extract import Metadata, extract
from sitegen.importer.metadata import head_fields, url_date
from sitegen.importer.mojibake import repair
from sitegen.importer.rules import Rules, load_rules
from sitegen.importer.scripts import downloaded_name
from sitegen.importer.to_markdown import body_html, to_markdown
from sitegen.problems import Problem
from sitegen.yamltext import XML_FORBIDDEN

__all__ = ["Context", "ImportResult", "MojibakeRun", "import_page", "make_context"]


@dataclass(frozen=True, slots=True)
class Context:
    """What every page of one run shares; made once by `make_context` and passed down."""

    model: CharModel
    rules: Rules


def make_context(extra_rules: Path | None = None) -> Context:
    return Context(load_model(), load_rules(extra_rules))


@dataclass(frozen=True, slots=True)
class MojibakeRun:
    line: int | None
    original: str
    repair: str
    unrecovered: int  # characters marked 〓


@dataclass(frozen=True, slots=True)
class ImportResult:
    origin: Path  # relative to SRC
    kind: str  # article | list | redirect | error | empty
    reason: str
    encoding: str
    meta: Metadata
    markdown: str  # the body; links point at old absolute paths until the tree rewrites them
    removed: tuple[tuple[str, int], ...]
    mojibake: tuple[MojibakeRun, ...]
    problems: tuple[Problem, ...]
    links: tuple[str, ...] = field(default=())  # old absolute paths the body refers to
    # A few of the texts removed, by kind (kind, text), at most SAMPLES of each, cut short.
    samples: tuple[tuple[str, str], ...] = ()
    confidence: float = 1.0  # see confidence.py; only articles are judged
    doubts: tuple[str, ...] = ()  # why the confidence is below 1 (keys of confidence.DOUBTS)


def import_page(raw: bytes, origin: Path, context: Context) -> ImportResult:
    """One saved page -> its article (or the reason it is not one). Never touches the disk."""
    decoded = decode(raw, origin, context.model)
    forbidden = len(XML_FORBIDDEN.findall(decoded.text))
    if forbidden * 20 > len(decoded.text):  # an image or archive saved under a page's name
        return _not_text(origin, decoded.encoding)
    # Control characters mean nothing in a page, and the build (and XML feeds) refuse them.
    decoded = replace(decoded, text=XML_FORBIDDEN.sub("", decoded.text)) if forbidden else decoded
    cleaned = clean(decoded.text)
    found = extract(cleaned.soup, decoded.text, origin, context.rules, context.model)
    script = context.model.guess_script(" ".join(b.text for b in found.body[:20]))
    runs = _repair_mojibake(found.body, context.model, script)
    meta = _with_head_and_url(_repair_meta(found.meta, context.model, script), decoded.text, origin)
    links: list[str] = []
    page_url = "/" + origin.as_posix()

    def link(url: str, kind: str) -> str:
        target = _absolute(page_url, url)
        if target is None:
            return url
        links.append(target)
        return target

    markdown = to_markdown(body_html(found.body), link)
    problems = list(decoded.problems) + list(found.problems)
    problems += [
        Problem(origin, f"mojibake {r.original!r} repaired as {r.repair!r}", r.line, "warning")
        for r in runs
    ]
    judged = assess(meta, found.body, found.spam_in_body, sum(r.unrecovered for r in runs))
    return ImportResult(
        origin=origin,
        kind=found.kind,
        reason=found.reason,
        encoding=decoded.encoding,
        meta=meta,
        markdown=markdown,
        removed=_merge(cleaned.removed, found.removed),
        mojibake=tuple(runs),
        problems=tuple(problems),
        links=tuple(dict.fromkeys(links)),
        samples=_samples((*cleaned.samples, *found.samples)),
        confidence=judged.confidence if found.kind == "article" else 1.0,
        doubts=judged.doubts if found.kind == "article" else (),
    )


def _not_text(origin: Path, encoding: str) -> ImportResult:
    reason = "not a text page: its bytes are mostly control characters (binary data?)"
    return ImportResult(origin, "error", reason, encoding, Metadata(), "", (), (), ())


def _repair_mojibake(body: tuple[Block, ...], model: CharModel, script: str) -> list[MojibakeRun]:
    runs: list[MojibakeRun] = []
    for block in body:
        for node in _strings(block):
            fixed, fixes = repair(str(node), model, script)  # type: ignore[arg-type]
            if fixes:
                node.replace_with(NavigableString(fixed))
                runs += [
                    MojibakeRun(block.line, f.original, f.repair, f.unrecovered) for f in fixes
                ]
    return runs


def _strings(block: Block) -> list[NavigableString]:
    found: list[NavigableString] = []
    for node in block.nodes:
        if isinstance(node, NavigableString):
            found.append(node)
        else:
            found += [s for s in node.find_all(string=True) if type(s) is NavigableString]
    return found


def _repair_meta(meta: Metadata, model: CharModel, script: str) -> Metadata:
    title, _ = repair(meta.title, model, script)  # type: ignore[arg-type]
    subtitle, _ = repair(meta.subtitle, model, script)  # type: ignore[arg-type]
    return replace(meta, title=title, subtitle=subtitle)


def _with_head_and_url(meta: Metadata, html: str, origin: Path) -> Metadata:
    """Fields the visible page lacks, from its <meta> tags, then a date from its old URL.
    Never from anything else (the file's time is when it was saved, not published)."""
    head = head_fields(html)
    found = {k: head[k] for k in ("source", "author", "category") if head.get(k) and
             not getattr(meta, k)}  # fmt: skip
    if not meta.title and head.get("title"):
        found["title"] = head["title"]
    if not meta.date:
        if head.get("date"):
            found |= {"date": head["date"], "date_from": "meta-tag"}
        elif url_date(origin.as_posix()):
            found |= {"date": url_date(origin.as_posix()), "date_from": "url"}
    return replace(meta, **found) if found else meta


def _absolute(page_url: str, url: str) -> str | None:
    """A link inside the old site as an absolute path, or None for other sites and schemes.
    The query is dropped, except where it names the file a download script serves
    (download.jsp?…&filename=名单.xls): there it is the only name the file has."""
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https") or (parts.scheme and not parts.netloc):
        return None
    if parts.netloc:
        return None  # another host, or the old host under a name we cannot know: leave it
    path = _joined(page_url, parts.path)
    return f"{path}?{parts.query}" if downloaded_name(parts.query) else path


def _joined(page_url: str, path: str) -> str:
    """`path` as read from the page at `page_url`, as RFC 3986 resolves it: ".." above the
    root stays at the root (urljoin gives "images/a.jpg" for "../../images/a.jpg" read from
    "/index.html", a path relative to nothing)."""
    if not path:
        return page_url  # (an anchor, #top, on the page itself)
    if not path.startswith("/"):
        path = page_url.rpartition("/")[0] + "/" + path
    segments: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in (".", ""):
            segments.append(segment)
    return "/" + "/".join(segments)


SAMPLES = 3  # per kind of removal
SAMPLE_CHARS = 80


def _samples(found: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """The first few distinct texts of each kind, each cut to SAMPLE_CHARS characters."""
    kept: dict[str, list[str]] = {}
    for kind, text in found:
        short = text if len(text) <= SAMPLE_CHARS else text[: SAMPLE_CHARS - 1] + "…"
        texts = kept.setdefault(kind, [])
        if short and short not in texts and len(texts) < SAMPLES:
            texts.append(short)
    return tuple((kind, text) for kind in sorted(kept) for text in kept[kind])


def _merge(*counts: tuple[tuple[str, int], ...]) -> tuple[tuple[str, int], ...]:
    total: dict[str, int] = {}
    for pairs in counts:
        for kind, number in pairs:
            total[kind] = total.get(kind, 0) + number
    return tuple(sorted(total.items()))
