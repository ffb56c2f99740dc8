"""Import a folder of saved pages into a site: Markdown files, static files, site.yaml.

All disk writes of the importer happen here. Nothing is lost: an existing file that differs
is never overwritten without `force` (an editor may have fixed it since), the same pages give
the same bytes again, `dry_run` writes nothing, and a page that fails is reported while the
others go on.
"""

from __future__ import annotations

import functools
import hashlib
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import yaml

from sitegen.bundles import BUNDLE_INDEX
from sitegen.config import Category, Config
from sitegen.importer import Context, ImportResult, import_page
from sitegen.importer.confidence import REVIEW_BELOW
from sitegen.importer.metadata import url_partial_date
from sitegen.importer.scripts import downloaded_name
from sitegen.problems import Problem
from sitegen.scan import is_temporary
from sitegen.search import Normalizer

PAGE_SUFFIXES = frozenset({".html", ".htm", ".shtml", ".asp", ".aspx", ".php", ".jsp", ".txt"})
_SLUG_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,60}$")
_GENERIC_STEMS = frozenset({"index", "default", "content", "detail", "show", "view", "article"})
_GENERIC_DIRS = frozenset(
    [
        "html",
        "htm",
        "shtml",
        "content",
        "contents",
        "article",
        "articles",
        "art",
        "detail",
        "details",
        "page",
        "pages",
        "info",
        "doc",
        "docs",
        "a",
        "c",
        "n",
        "p",
        "web",
        "www",
        "site",
        "archive",
        "archives",
        "upload",
        "uploads",
        "cms",
        "zw",
        "col",
        "art",
    ]
)
_LINK = re.compile(r"\]\(([^)\s]+)\)")


@dataclass(frozen=True, slots=True)
class PageOutcome:
    result: ImportResult | None
    origin: Path
    status: str  # written | unchanged | exists | skipped | failed | dry-run
    output: Path | None = None  # relative to the site root
    category: str = ""
    problems: tuple[Problem, ...] = ()
    review: bool = False  # written as a draft for an editor to check (see confidence.py)


@dataclass(frozen=True, slots=True)
class TreeReport:
    pages: tuple[PageOutcome, ...]
    categories_added: tuple[Category, ...]  # or, in a dry run, that would be added
    dry_run: bool = False

    @property
    def failed(self) -> int:
        return sum(1 for p in self.pages if p.status == "failed")

    @property
    def needs_review(self) -> int:
        return sum(1 for p in self.pages if p.review)


def find_pages(src: Path) -> list[Path]:
    if src.is_file():
        return [src]
    return sorted(p for p in src.rglob("*") if p.is_file() and p.suffix.lower() in PAGE_SUFFIXES)


def import_tree(
    src: Path,
    config: Config,
    content_dir: Path,
    context: Context,
    *,
    dry_run: bool = False,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
    old_site: str | None = None,
    fix: Callable[[str], tuple[str, list]] | None = None,
) -> TreeReport:
    """Import every saved page under `src`. Links to files the archive does not hold are
    kept as they were, or made absolute to `old_site` (https://old.example.org) when
    given: the old server may still serve them, and `sitegen check` then passes. `fix`
    (convert.naive_fix) repairs each article's title, subtitle and body text."""
    base = src if src.is_dir() else src.parent
    files = find_pages(src)
    results: list[tuple[Path, ImportResult | None, Problem | None]] = []
    for number, path in enumerate(files, 1):
        rel = path.relative_to(base)
        try:
            results.append((path, import_page(path.read_bytes(), rel, context), None))
        except (OSError, ValueError, RecursionError, LookupError) as exc:
            results.append((path, None, Problem(rel, f"could not be imported: {exc}")))
        if progress:
            progress(number, len(files))
    categories = list(config.categories)
    plans = _plan(results, base, config, content_dir, categories)
    added = tuple(categories[len(config.categories) :])
    urls = {old: new for plan in plans if plan.result and plan.dated
            for old, new in _page_urls(plan, config)}  # fmt: skip
    if old_site:
        urls = _OldSite(urls, old_site.rstrip("/"))
    outcomes = [_write(plan, base, config, urls, dry_run=dry_run, force=force, fix=fix)
                for plan in plans]  # fmt: skip
    if added and not dry_run:
        add_categories(config.root / "site.yaml", added)
    return TreeReport(tuple(outcomes), added, dry_run)


@dataclass(frozen=True, slots=True)
class _Plan:
    origin: Path
    result: ImportResult | None
    target: Path | None  # absolute
    category: str
    slug: str
    date: str  # whole (2012-03-08, with a time perhaps), partial (2012, 2012-03) or ""
    problems: tuple[Problem, ...]
    draft: bool = False  # undated, unsure, or perhaps not an article: for an editor first

    @property
    def dated(self) -> bool:
        return len(self.date) >= 10


# Kinds of page never written: a clear 404, a redirect, an empty page. A page taken for a
# list might be an article beside long link lists: it is written as a draft to review.
_DROPPED_KINDS = frozenset({"redirect", "error", "empty"})


def _plan(results, base: Path, config: Config, content_dir: Path, categories: list[Category]):
    plans: list[_Plan] = []
    taken: set[tuple[str, str]] = set()
    for path, result, failure in results:
        rel = path.relative_to(base)
        if result is None or result.kind in _DROPPED_KINDS:
            problems = (failure,) if failure else ()
            plans.append(_Plan(rel, result, None, "", "", "", problems))
            continue
        problems: list[Problem] = []
        category = _category_for(result, categories, problems)
        date = result.meta.date or ""
        if not date:
            date = url_partial_date(rel.as_posix()) or ""
            partial = f" (its URL gives {date})" if date else ""
            problems.append(Problem(rel, f"no date on the page{partial}: imported as a draft; "
                                    "add its date to publish it", None, "warning"))  # fmt: skip
        unsure = result.kind != "article" or result.confidence < REVIEW_BELOW
        draft = len(date) < 10 or unsure
        slug = _slug(rel, date)
        if (category, slug) in taken:
            slug = f"{slug}-{hashlib.sha1(rel.as_posix().encode()).hexdigest()[:6]}"
        taken.add((category, slug))
        target = content_dir / category / (date[:4] or "undated") / f"{slug}.md"
        plans.append(_Plan(rel, result, target, category, slug, date, tuple(problems), draft))
    return plans


def _category_for(result: ImportResult, categories: list[Category], problems: list[Problem]) -> str:
    """The site category of an imported page: the column name the page gives, matched to
    an existing category by name (traditional and simplified folded: 工会要闻 = 工會要聞);
    else its old URL's column folder. A folder code alone is a slug, never a name: the new
    category is named by its code until an editor names it."""
    label = result.meta.category.strip()
    folder = _folder_slug(result.origin)
    for cat in categories:
        if label and _same(cat.name, label):
            return cat.slug
    if not label:
        known = next((c.slug for c in categories if c.slug == folder), None)
        if known:
            return known
    if not label and not folder:  # nothing at all: one holding category, 導入 (imported)
        held = next((c.slug for c in categories if c.slug == "imported"), None)
        if held:
            return held
    name = label or folder or "導入"
    slug = folder if folder and all(c.slug != folder for c in categories) else _hash_slug(name)
    if not label and not folder:
        slug = "imported"
    while any(c.slug == slug for c in categories):
        slug = slug + "-1"
    categories.append(Category(slug, name))
    hint = "" if label else ": the page names no column; give it a name in site.yaml"
    problems.append(Problem(result.origin, f"new category {name!r} (slug {slug!r}) for site.yaml"
                            f"{hint}", None, "warning"))  # fmt: skip
    return slug


def _same(a: str, b: str) -> bool:
    return _folded(a) == _folded(b)


@functools.cache
def _folded(name: str) -> str:
    """A column name with white space dropped and traditional characters made simplified,
    so that one column spelled either way is one category."""
    return _normalizer().text("".join(name.split()))


@functools.cache
def _normalizer() -> Normalizer:
    return Normalizer.from_file()


def _folder_slug(origin: Path) -> str:
    """The old URL's category folder: /fzwq/2018/09/123.html -> fzwq."""
    for part in origin.parts[:-1]:
        name = part.lower()
        if _SLUG_RE.match(name) and name not in _GENERIC_DIRS and not name.isdigit():
            return name
    return ""


def _hash_slug(label: str) -> str:
    return "cat-" + hashlib.sha1(label.encode("utf-8")).hexdigest()[:6]


def _slug(rel: Path, date: str) -> str:
    stem = rel.stem
    if _SLUG_RE.match(stem) and stem.lower() not in _GENERIC_STEMS:
        return stem
    digest = hashlib.sha1(rel.as_posix().encode("utf-8")).hexdigest()[:6]
    return f"{date[:10].replace('-', '') or 'undated'}-{digest}"


def old_url(rel: Path) -> str | None:
    """The page's old URL path, for `aliases`; a text dump had no URL of its own."""
    if rel.suffix.lower() == ".txt":
        return None
    return "/" + rel.as_posix()


def _page_urls(plan: _Plan, config: Config):
    new = config.permalink.format(
        category=plan.category,
        slug=plan.slug,
        year=plan.date[:4],
        month=plan.date[5:7],
        day=plan.date[8:10],
    )
    url = config.base_path.rstrip("/") + new
    yield "/" + plan.origin.as_posix(), url


def _write(plan: _Plan, base: Path, config: Config, urls: dict, *, dry_run: bool, force: bool,
           fix=None):  # fmt: skip
    result = plan.result
    if result is None or plan.target is None:
        status = "failed" if result is None else "skipped"
        return PageOutcome(result, plan.origin, status, problems=plan.problems)
    result, fixes = _fixed(result, fix) if fix else (result, [])
    body, assets, problems = _rewrite_links(result, base, urls)
    text = front_matter(result, plan) + "\n" + body
    # With photos or attachments, the article is a folder holding them: they move, and go,
    # with it, and the build publishes its photos in sizes for phones, without GPS.
    target = plan.target.with_suffix("") / BUNDLE_INDEX if assets else plan.target
    rel_target = target.relative_to(config.root) if target.is_relative_to(config.root) else target
    problems = plan.problems + tuple(problems) + _fix_problems(rel_target, fixes, text)
    if dry_run:
        return PageOutcome(result, plan.origin, "dry-run", rel_target, plan.category, problems,
                           plan.draft)  # fmt: skip
    for source, name in assets:
        copy = target.parent / name
        if not copy.exists() or force:
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, copy)
    status = write_markdown(target, text, force=force)
    if status == "exists":
        problems += (
            Problem(
                rel_target,
                "exists and differs from this import; kept it (use --force)",
                None,
                "warning",
            ),
        )
    return PageOutcome(result, plan.origin, status, rel_target, plan.category, problems,
                       plan.draft)  # fmt: skip


def _fixed(result: ImportResult, fix: Callable[[str], tuple[str, list]]):
    """`result` with `fix` applied to its title, subtitle and body (--fix-naive-traditional),
    and the changes as (front-matter key or "" for the body, change)."""
    meta, changes = result.meta, []
    for key in ("title", "subtitle"):
        if not getattr(meta, key):  # (most pages have no subtitle, some no title)
            continue
        value, found = fix(getattr(meta, key))
        meta = replace(meta, **{key: value})
        changes += [(key, change) for change in found]
    markdown, found = fix(result.markdown)
    changes += [("", change) for change in found]
    return replace(result, meta=meta, markdown=markdown), changes


def _fix_problems(rel_target: Path, changes: list, text: str) -> tuple[Problem, ...]:
    """One warning per fix, at its line in the written file, for the review page."""
    if not changes:
        return ()
    lines = text.split("\n")
    body_at = lines.index("---", 1) + 2  # after the closing --- and the blank line below it
    at = {key: next((n for n, line in enumerate(lines, 1) if line.startswith(f"{key}:")), None)
          for key in ("title", "subtitle")}  # fmt: skip
    return tuple(
        Problem(
            rel_target,
            f"naive traditional {c.before} → {c.after}",
            at[key] if key else body_at + c.line,
            "warning",
        )
        for key, c in changes
    )


def write_markdown(target: Path, text: str, *, force: bool) -> str:
    data = text.encode("utf-8")
    if target.exists():
        if target.read_bytes() == data:
            return "unchanged"
        if not force:
            return "exists"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(target)
    return "written"


def _rewrite_links(result: ImportResult, base: Path, urls: dict):
    """Old absolute paths in the body -> new page URLs, or files copied beside the article
    (named relative to it). A link to a file not among the saved pages keeps its old
    address and is reported as missing."""
    mapping: dict[str, str] = {}
    assets: list[tuple[Path, str]] = []  # (saved file, its name in the article's folder)
    problems: list[Problem] = []
    for old in result.links:
        if old in urls:
            mapping[old] = urls[old]
            continue
        saved = _saved_file(base, old)
        if saved is not None:
            name = _unique_name(_asset_name(old).name, {n for _, n in assets})
            assets.append((saved, name))
            mapping[old] = f"<{name}>" if _NEEDS_BRACKETS.search(name) else name
            continue
        elsewhere = urls.elsewhere(old) if isinstance(urls, _OldSite) else None
        if elsewhere:
            mapping[old] = elsewhere
        where = f": linked to {elsewhere}" if elsewhere else ""
        problems.append(Problem(result.origin, f"linked file {old} is not in the saved pages"
                                f"{where}", None, "warning"))  # fmt: skip
    body = _LINK.sub(lambda m: "](" + mapping.get(m.group(1), m.group(1)) + ")", result.markdown)
    return body, assets, problems


class _OldSite(dict):
    """The new URLs of imported pages, which also knows where the old site's other files
    were (for links to files the archive does not hold)."""

    def __init__(self, urls: dict[str, str], origin: str) -> None:
        super().__init__(urls)
        self.origin = origin

    def elsewhere(self, old: str) -> str:
        return self.origin + quote(old, safe="/?&=%#:;,+@")


def _saved_file(base: Path, old: str) -> Path | None:
    """The saved copy of an old URL, if the archive holds it inside `base`: a download
    script's file is saved under its URL with the query (wget), or with @ for ? (wget's
    Windows-safe names)."""
    names = [old.lstrip("/")]
    if "?" in old:
        names.append(names[0].replace("?", "@", 1))
    root = base.resolve()
    for name in names:
        try:
            source = (base / name).resolve()
        except (OSError, ValueError):
            continue
        if source.is_file() and source.is_relative_to(root):
            return source
    return None


_NEEDS_BRACKETS = re.compile(r"[\s()<>]")  # a Markdown link target holding these needs <...>


def _unique_name(name: str, taken: set[str]) -> str:
    """`name`, or name-2, name-3 ... when another file of the page has it already (two
    old folders may each hold a photo.jpg)."""
    if is_temporary(name):  # a name the build takes for an editor's backup: never published
        name = "file-" + name.strip(".#~")
    stem, suffix = PurePosixPath(name).stem, PurePosixPath(name).suffix
    number, found = 2, name
    while found in taken or found == BUNDLE_INDEX:
        found, number = f"{stem}-{number}{suffix}", number + 1
    return found


def _asset_name(old: str) -> PurePosixPath:
    """A copied file's old path, or for a download script its folder and the file name its
    query gives (the article's folder keeps the last part: see `_rewrite_links`)."""
    path, _, query = old.lstrip("/").partition("?")
    name = downloaded_name(query) if query else ""
    return PurePosixPath(path).parent / name if name else PurePosixPath(path)


def front_matter(result: ImportResult, plan: _Plan) -> str:
    meta = result.meta
    title = meta.title or first_line(result.markdown)
    fields: dict[str, object] = {"title": title}
    if meta.subtitle:
        fields["subtitle"] = meta.subtitle
    lines = ["---", _yaml(fields).rstrip("\n")]
    lines += [f"date: {plan.date}"] if plan.date else []
    lines += ["draft: true"] if plan.draft else []
    rest: dict[str, object] = {
        k: v
        for k, v in (("source", meta.source), ("editor", meta.editor), ("author", meta.author))
        if v
    }
    rest["category"] = plan.category
    alias = old_url(plan.origin)
    if alias:
        rest["aliases"] = [alias]
    rest["legacy_path"] = plan.origin.as_posix()
    lines += [_yaml(rest).rstrip("\n"), "---", ""]
    return "\n".join(lines)


def _yaml(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def first_line(markdown: str) -> str:
    line = next((s for s in markdown.splitlines() if s.strip()), "無題")
    return line.lstrip("#> ").strip()[:60]


def with_categories(config: Config, added: tuple[Category, ...]) -> Config:
    return replace(config, categories=config.categories + added)


def add_categories(site_yaml: Path, added: tuple[Category, ...]) -> None:
    """Append categories to site.yaml's list, keeping its comments and order."""
    lines = site_yaml.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if re.match(r"^categories\s*:", line))
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end][:1] in (" ", "\t", "-", "#")):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    entry = "".join(
        f"  - slug: {c.slug}\n    name: {_yaml({'n': c.name})[3:].strip()}\n" for c in added
    )
    if end > 0 and not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    lines.insert(end, entry)
    site_yaml.write_text("".join(lines), encoding="utf-8")
