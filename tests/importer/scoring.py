"""Score the legacy importer against the fixture corpus in tests/importer/corpus/.

Each page `corpus/<family>/<page>.<ext>` has `<page>.expected.yaml` beside it saying what a
careful human reads on it (title, date, body sentences, tables, attachments, spam that must
go). `score_corpus` runs `import_page` on every page and compares; `report` prints the
result as Markdown tables. The scorer only reads an ImportResult-like object (`kind`,
`meta`, `markdown`), so its arithmetic is tested on synthetic inputs too.

Dates and category slugs are judged the way `import_tree` would use them: a page without a
date of its own gets the one in its old URL path (`tree._date_from_path`), and a page without
a category label gets its URL folder (`tree._folder_slug`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml
from bs4 import BeautifulSoup

CORPUS = Path(__file__).parent / "corpus"
EXPECTED_SUFFIX = ".expected.yaml"
KINDS = ("article", "list", "redirect", "empty", "error")
FIELDS = ("title", "subtitle", "date", "source", "editor", "author", "category")
DATE_FROM = ("metadata-line", "meta-tag", "url", None)

# Every class a page may name in `classes`, by the group of the brief it belongs to.
CLASS_GROUPS: dict[str, tuple[str, ...]] = {
    "1 tables": ("table-stats", "table-merged", "table-word", "table-layout"),
    "2 attachments": (
        "attach-body",
        "attach-table",
        "attach-list",
        "attach-query",
        "attach-docwrite",
    ),
    "3 metadata": (
        "meta-h1-br",
        "meta-spans",
        "meta-one-line",
        "hit-counter",
        "title-split",
        "title-hijacked",
        "subtitle",
    ),
    "4 dates": ("date-meta-tag", "date-url", "date-none"),
    "5 spam": (
        "spam-footer",
        "spam-inline",
        "spam-hidden",
        "spam-loans",
        "spam-certs",
        "spam-pharma",
        "spam-lottery",
        "spam-sf",
        "spam-seo",
    ),
    "6 mojibake": ("mojibake",),
    "7 containers": ("related-lists", "unusual-container", "cms-leftovers"),
    "8 categories": ("cat-breadcrumb", "cat-nav-current", "cat-column-title", "cat-url-code"),
    "9 non-articles": ("nonarticle-list", "nonarticle-redirect", "nonarticle-404"),
    "encodings": ("encoding-big5", "traditional", "charset-undeclared"),
}
CLASSES = frozenset(c for group in CLASS_GROUPS.values() for c in group)

REQUIRED = ("family", "classes", "kind", "file_encoding")
OPTIONAL = (
    "url",
    "charset_declared",
    "script",
    "title",
    "subtitle",
    "date",
    "date_from",
    "source",
    "editor",
    "author",
    "category_name",
    "category_slug",
    "body_must_contain",
    "must_not_contain",
    "tables",
    "merged_cells",
    "attachments",
    "mojibake",
    "notes",
)

_SCRIPT_LEAK = re.compile(
    r"<script|document\.write|\bfunction\s*\(|\bvar\s+\w+\s*=|\$\(|javascript:",
    re.I,
)
_MD_LINK = re.compile(r"!?\[((?:\\.|[^\]\\])*)\]\(([^)\s]*)(?:\s+\"[^\"]*\")?\)")
_TAG = re.compile(r"<[^>]+>")
_DASHES = "—-－─ ―"


# ---------------------------------------------------------------- the corpus


@dataclass(frozen=True)
class Case:
    """One corpus page and what it should import as."""

    page: Path  # the saved page
    name: str  # corpus-relative path of the page, e.g. trs/t20120308_512345.html
    expected: dict[str, Any]

    @property
    def family(self) -> str:
        return str(self.expected["family"])

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.expected.get("classes") or ())

    @property
    def origin(self) -> Path:
        """What import_page is told the page's path is: its old URL (path and query, as wget
        names a saved file) without the leading slash, else its place in the corpus."""
        url = self.expected.get("url")
        return Path(url.lstrip("/")) if url else Path(self.name)


def expected_files(root: Path = CORPUS) -> list[Path]:
    return sorted(root.rglob(f"*{EXPECTED_SUFFIX}"))


def page_for(expected_file: Path) -> Path | None:
    """The saved page beside an expected.yaml: same stem, any other extension."""
    stem = expected_file.name[: -len(EXPECTED_SUFFIX)]
    found = [
        p
        for p in expected_file.parent.iterdir()
        if p.is_file() and p.name != expected_file.name and p.name.rsplit(".", 1)[0] == stem
    ]
    return found[0] if len(found) == 1 else None


def load_expected(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a mapping")
    for key in ("date",):  # YAML reads an unquoted 2012-03-08 as a date
        if data.get(key) is not None:
            data[key] = str(data[key])
    return data


def load_cases(root: Path = CORPUS) -> list[Case]:
    cases = []
    for exp in expected_files(root):
        page = page_for(exp)
        if page is None:
            raise FileNotFoundError(f"no page beside {exp}")
        cases.append(Case(page, page.relative_to(root).as_posix(), load_expected(exp)))
    return cases


def schema_errors(expected: dict[str, Any], page: Path | None) -> list[str]:
    """Everything wrong with one expected.yaml; empty when it is well-formed."""
    errors: list[str] = []
    if page is None or not page.is_file():
        return ["no saved page beside it"]
    errors += [f"missing key {k!r}" for k in REQUIRED if k not in expected]
    errors += [f"unknown key {k!r}" for k in expected if k not in REQUIRED + OPTIONAL]
    if expected.get("family") != page.parent.name:
        errors.append(f"family {expected.get('family')!r} is not the folder {page.parent.name!r}")
    if expected.get("kind") not in KINDS:
        errors.append(f"kind {expected.get('kind')!r} not one of {KINDS}")
    classes = expected.get("classes")
    if not isinstance(classes, list) or not classes:
        errors.append("classes must be a non-empty list")
    else:
        errors += [f"unknown class {c!r}" for c in classes if c not in CLASSES]
    url = expected.get("url")
    if url is not None and not (isinstance(url, str) and url.startswith("/")):
        errors.append("url must be an absolute path (with its query) or null")
    try:
        raw = page.read_bytes()
        raw.decode(str(expected.get("file_encoding")))
    except (LookupError, UnicodeDecodeError) as exc:
        errors.append(f"page does not decode as file_encoding: {exc}")
    else:
        if not 200 <= len(raw) <= 16_000:
            errors.append(f"page is {len(raw)} bytes")
    errors += _article_errors(expected) if expected.get("kind") == "article" else []
    return errors


def _article_errors(expected: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    if not isinstance(expected.get("title"), str) or not expected["title"]:
        errors.append("an article needs a title")
    body = expected.get("body_must_contain")
    if not isinstance(body, list) or not 3 <= len(body) <= 10:
        errors.append("body_must_contain must list 3-10 phrases")
    date = expected.get("date")
    if date is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?", date):
        errors.append(f"date {date!r} is not YYYY-MM-DD[ HH:MM:SS]")
    if expected.get("date_from") not in DATE_FROM:
        errors.append(f"date_from {expected.get('date_from')!r} not one of {DATE_FROM}")
    if (date is None) != (expected.get("date_from") is None):
        errors.append("date and date_from must both be null or both be set")
    if expected.get("category_name") and expected.get("category_slug"):
        errors.append("give category_name or category_slug, not both")
    tables = expected.get("tables") or []
    if not all(isinstance(t, list) and all(isinstance(r, list) for r in t) for t in tables):
        errors.append("tables must be lists of rows of cells")
    if expected.get("merged_cells") and not tables:
        errors.append("merged_cells without a table")
    for run in expected.get("mojibake") or []:
        if not isinstance(run, dict) or not run.get("damaged") or not run.get("repaired"):
            errors.append("mojibake entries need damaged and repaired")
    phrases = [*(body or []), *(expected.get("must_not_contain") or [])]
    if not all(isinstance(p, str) and p.strip() for p in phrases):
        errors.append("phrases must be non-empty strings")
    clash = [
        bad
        for bad in expected.get("must_not_contain") or []
        for good in body or []
        if norm(bad) in norm(good)
    ]
    errors += [f"must_not_contain {bad!r} is inside a body phrase" for bad in clash]
    return errors


# ---------------------------------------------------------------- text helpers


def norm(text: str | None) -> str:
    """NFKC and no whitespace at all: CJK text does not need it, and markup moves it."""
    if not text:
        return ""
    return "".join(unicodedata.normalize("NFKC", text).split())


def plain_text(markdown: str) -> str:
    """The readable text of the Markdown output, normalised (links become their text)."""
    text = unicodedata.normalize("NFKC", markdown)
    text = _MD_LINK.sub(lambda m: m.group(1), text)
    text = _TAG.sub(" ", text)
    text = re.sub(r"\\(.)", r"\1", text)
    text = re.sub(r"^\s{0,3}(?:#{1,6}|>)\s*", "", text, flags=re.M)
    text = text.replace("**", "").replace("|", " ")
    return norm(text)


def _date_from_url(origin: Path) -> str | None:
    """The date `import_tree` falls back on for a page without one: from its old URL path.
    (Looked up where the importer keeps it; None when this importer has no such fallback.)"""
    from sitegen.importer import metadata, tree

    from_path = getattr(tree, "_date_from_path", None)
    if from_path is not None:
        return from_path(origin)
    url_date = getattr(metadata, "url_date", None)
    return url_date(origin.as_posix()) if url_date is not None else None


def _folder_slug(origin: Path) -> str:
    """The category slug `import_tree` makes from the old URL's folder."""
    from sitegen.importer import tree

    folder_slug = getattr(tree, "_folder_slug", None)
    return folder_slug(origin) if folder_slug is not None else ""


def in_order(text: str, phrases: Sequence[str]) -> set[int]:
    """Indexes of the largest set of phrases found in `text` one after another, in order."""
    best: dict[int, tuple[int, tuple[int, ...]]] = {0: (0, ())}  # count -> (end, found)
    for index, phrase in enumerate(phrases):
        for count, (end, found) in sorted(best.items(), reverse=True):
            at = text.find(phrase, end) if phrase else -1
            if at >= 0:
                new_end = at + len(phrase)
                if count + 1 not in best or new_end < best[count + 1][0]:
                    best[count + 1] = (new_end, (*found, index))
    return set(best[max(best)][1])


# ---------------------------------------------------------------- tables and links


@dataclass(frozen=True)
class FoundTable:
    cells: tuple[str, ...]  # normalised cell texts in document order
    merged: bool  # an HTML table whose cells still carry rowspan/colspan


def tables_in(markdown: str) -> list[FoundTable]:
    """Every pipe table and every top-level <table> in the Markdown."""
    found: list[FoundTable] = []
    block: list[str] = []
    for line in [*markdown.splitlines(), ""]:
        if line.lstrip().startswith("|"):
            block.append(line.strip())
            continue
        if block:
            found.append(FoundTable(tuple(_pipe_cells(block)), False))
            block = []
    if "<table" in markdown.lower():
        soup = BeautifulSoup(markdown, "html.parser")
        for table in soup.find_all("table"):
            if table.find_parent("table") is not None:
                continue
            cells = tuple(norm(c.get_text(" ")) for c in table.find_all(["td", "th"]))
            merged = table.find(
                lambda t: t.name in ("td", "th") and (t.get("rowspan") or t.get("colspan"))
            )
            found.append(FoundTable(cells, merged is not None))
    return found


def _pipe_cells(lines: list[str]) -> list[str]:
    cells: list[str] = []
    for line in lines:
        parts = re.split(r"(?<!\\)\|", line.strip().strip("|"))
        if all(re.fullmatch(r"\s*:?-{2,}:?\s*", p) for p in parts):
            continue  # the |---|---| separator row
        cells += [plain_text(p) for p in parts]
    return cells


def table_kept(expected_rows: Sequence[Sequence[str]], table: FoundTable) -> bool:
    """The expected cells appear, in order, among the table's cells (spanned cells may repeat)."""
    wanted = [norm(str(c)) for row in expected_rows for c in row if norm(str(c))]
    position = 0
    for cell in wanted:
        while position < len(table.cells) and table.cells[position] != cell:
            position += 1
        if position == len(table.cells):
            return False
        position += 1
    return True


def links_in(markdown: str) -> list[tuple[str, str]]:
    """(text, target) of every Markdown and HTML link in the output."""
    links = [(m.group(1), m.group(2)) for m in _MD_LINK.finditer(markdown)]
    if "<a" in markdown.lower():
        soup = BeautifulSoup(markdown, "html.parser")
        links += [(a.get_text(), str(a.get("href", ""))) for a in soup.find_all("a")]
    return links


def attachment_kept(name: str, links: Iterable[tuple[str, str]]) -> bool:
    wanted = norm(name)
    for text, target in links:
        targets = {norm(unquote(target)), norm(unquote(target, encoding="gbk", errors="ignore"))}
        if wanted in norm(text) or any(wanted in t for t in targets):
            return True
    return False


# ---------------------------------------------------------------- scoring one page


@dataclass
class FieldScore:
    field: str
    expected: str | None
    actual: str | None
    correct: bool
    invented: bool  # a value where the page supports none


@dataclass
class PageScore:
    name: str
    family: str
    classes: tuple[str, ...]
    kind_expected: str
    kind_actual: str
    body_found: int = 0
    body_total: int = 0
    body_missing: list[str] = field(default_factory=list)
    fields: list[FieldScore] = field(default_factory=list)
    tables_total: int = 0
    tables_kept: int = 0
    merged_total: int = 0
    merged_kept: int = 0
    extra_tables: int = 0  # tables in the output beyond the expected ones (layout as data)
    attachments_total: int = 0
    attachments_kept: int = 0
    attachments_missing: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    leak_total: int = 0  # must_not_contain phrases checked
    mojibake_total: int = 0
    mojibake_repaired: int = 0
    script_leak: bool = False
    error: str = ""  # the importer raised

    @property
    def kind_ok(self) -> bool:
        return self.kind_expected == self.kind_actual

    @property
    def meta_correct(self) -> int:
        return sum(f.correct for f in self.fields)

    @property
    def invented(self) -> int:
        return sum(f.invented for f in self.fields)

    def problems(self) -> list[str]:
        """What went wrong on this page, one short phrase each."""
        out = [f"raised {self.error}"] if self.error else []
        if not self.kind_ok:
            out.append(f"kind {self.kind_actual} (want {self.kind_expected})")
        out += [f"body missing {p!r}" for p in self.body_missing]
        for f in self.fields:
            if not f.correct:
                tag = "invented " if f.invented else ""
                out.append(f"{tag}{f.field}={f.actual!r} (want {f.expected!r})")
        if self.tables_kept < self.tables_total:
            out.append(f"tables kept {self.tables_kept}/{self.tables_total}")
        if self.merged_kept < self.merged_total:
            out.append("merged cells lost their rowspan/colspan")
        if self.extra_tables:
            out.append(f"{self.extra_tables} extra table(s) in output")
        out += [f"attachment lost {a!r}" for a in self.attachments_missing]
        out += [f"leak {p!r}" for p in self.leaks]
        if self.mojibake_repaired < self.mojibake_total:
            out.append(f"mojibake repaired {self.mojibake_repaired}/{self.mojibake_total}")
        if self.script_leak:
            out.append("script text in output")
        return out


def score_page(case: Case, result: Any) -> PageScore:
    """Compare one ImportResult (or anything with kind, meta and markdown) with the expected."""
    exp = case.expected
    markdown = str(getattr(result, "markdown", "") or "")
    score = PageScore(
        case.name, case.family, case.classes, exp["kind"], str(getattr(result, "kind", ""))
    )
    score.script_leak = bool(_SCRIPT_LEAK.search(markdown))
    if exp["kind"] != "article":
        return score  # a list, redirect or error page is judged by its kind alone
    text = plain_text(markdown)
    raw = norm(markdown)

    phrases = exp.get("body_must_contain") or []
    in_body = in_order(text, [norm(p) for p in phrases])
    score.body_found = len(in_body)
    score.body_missing = [p for i, p in enumerate(phrases) if i not in in_body]
    score.body_total = len(exp.get("body_must_contain") or [])

    score.fields = _field_scores(case, getattr(result, "meta", None))

    found = tables_in(markdown)
    expected_tables = exp.get("tables") or []
    score.tables_total = len(expected_tables)
    used: set[int] = set()
    for rows in expected_tables:
        match = next(
            (i for i, t in enumerate(found) if i not in used and table_kept(rows, t)), None
        )
        if match is not None:
            used.add(match)
            score.tables_kept += 1
            if exp.get("merged_cells"):
                score.merged_kept += found[match].merged
    if exp.get("merged_cells"):
        score.merged_total = len(expected_tables)
    score.extra_tables = max(0, len(found) - len(expected_tables))

    links = links_in(markdown)
    for name in exp.get("attachments") or []:
        score.attachments_total += 1
        if attachment_kept(name, links):
            score.attachments_kept += 1
        else:
            score.attachments_missing.append(name)

    bad = exp.get("must_not_contain") or []
    score.leak_total = len(bad)
    score.leaks = [p for p in bad if norm(p) in text or norm(p) in raw]

    for run in exp.get("mojibake") or []:
        score.mojibake_total += 1
        if norm(run["repaired"]) in text and norm(run["damaged"]) not in text:
            score.mojibake_repaired += 1
    return score


def _field_scores(case: Case, meta: Any) -> list[FieldScore]:
    exp = case.expected

    def got(name: str) -> str:
        return str(getattr(meta, name, "") or "") if meta is not None else ""

    scores = []
    for name in ("title", "source", "editor", "author"):
        scores.append(_compare(name, exp.get(name), got(name), norm))
    scores.append(_compare("subtitle", exp.get("subtitle"), got("subtitle"), _norm_subtitle))
    date = got("date") or _date_from_url(case.origin) or ""
    scores.append(_date_score(exp.get("date"), date))
    scores.append(_category_score(case, got("category")))
    return scores


def _compare(name: str, expected: str | None, actual: str, key) -> FieldScore:
    if not expected:
        return FieldScore(name, None, actual or None, not actual, bool(actual))
    return FieldScore(name, expected, actual or None, key(expected) == key(actual), False)


def _norm_subtitle(text: str | None) -> str:
    return norm(text).lstrip(_DASHES)


def _date_score(expected: str | None, actual: str) -> FieldScore:
    if not expected:
        return FieldScore("date", None, actual or None, not actual, bool(actual))
    # exact: a page that gives only the day must not gain a made-up time either
    return FieldScore("date", expected, actual or None, actual == expected, False)


def _category_score(case: Case, label: str) -> FieldScore:
    exp = case.expected
    name, slug = exp.get("category_name"), exp.get("category_slug")
    if name:
        return FieldScore("category", name, label or None, norm(name) == norm(label), False)
    if slug:
        # only the URL's column code: no display name may be made up, and the slug must match
        folder = _folder_slug(case.origin)
        actual = f"{label} [{folder}]" if label else folder
        return FieldScore(
            "category", slug, actual or None, not label and folder == slug, bool(label)
        )
    return FieldScore("category", None, label or None, not label, bool(label))


# ---------------------------------------------------------------- the whole corpus


def run_import(case: Case, context: Any) -> Any:
    from sitegen.importer import import_page

    return import_page(case.page.read_bytes(), case.origin, context)


def score_corpus(context: Any = None, root: Path = CORPUS) -> list[PageScore]:
    if context is None:
        from sitegen.importer import make_context

        context = make_context()
    scores = []
    for case in load_cases(root):
        try:
            result = run_import(case, context)
        except Exception as exc:  # a crash is a score of zero, not the end of the report
            score = PageScore(case.name, case.family, case.classes, case.expected["kind"], "")
            score.error = f"{type(exc).__name__}: {exc}"
            scores.append(score)
            continue
        scores.append(score_page(case, result))
    return scores


@dataclass
class Totals:
    pages: int = 0
    articles: int = 0
    kind_ok: int = 0
    body_found: int = 0
    body_total: int = 0
    meta_correct: int = 0
    meta_total: int = 0
    invented: int = 0
    tables_kept: int = 0
    tables_total: int = 0
    merged_kept: int = 0
    merged_total: int = 0
    extra_tables: int = 0
    attachments_kept: int = 0
    attachments_total: int = 0
    leaks: int = 0
    leak_total: int = 0
    mojibake_repaired: int = 0
    mojibake_total: int = 0
    script_leaks: int = 0
    errors: int = 0

    @property
    def body_recall(self) -> float:
        return _share(self.body_found, self.body_total)

    @property
    def kind_accuracy(self) -> float:
        return _share(self.kind_ok, self.pages)

    @property
    def meta_accuracy(self) -> float:
        return _share(self.meta_correct, self.meta_total)


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def totals(scores: Iterable[PageScore]) -> Totals:
    t = Totals()
    for s in scores:
        t.pages += 1
        t.articles += s.kind_expected == "article"
        t.kind_ok += s.kind_ok
        t.body_found += s.body_found
        t.body_total += s.body_total
        t.meta_correct += s.meta_correct
        t.meta_total += len(s.fields)
        t.invented += s.invented
        t.tables_kept += s.tables_kept
        t.tables_total += s.tables_total
        t.merged_kept += s.merged_kept
        t.merged_total += s.merged_total
        t.extra_tables += s.extra_tables
        t.attachments_kept += s.attachments_kept
        t.attachments_total += s.attachments_total
        t.leaks += len(s.leaks)
        t.leak_total += s.leak_total
        t.mojibake_repaired += s.mojibake_repaired
        t.mojibake_total += s.mojibake_total
        t.script_leaks += s.script_leak
        t.errors += bool(s.error)
    return t


@dataclass
class FieldTotals:
    field: str
    correct: int = 0
    total: int = 0
    invented: int = 0
    expected_empty: int = 0


def field_totals(scores: Iterable[PageScore]) -> list[FieldTotals]:
    rows = {name: FieldTotals(name) for name in FIELDS}
    for s in scores:
        for f in s.fields:
            row = rows[f.field]
            row.total += 1
            row.correct += f.correct
            row.invented += f.invented
            row.expected_empty += f.expected is None
    return list(rows.values())


# ---------------------------------------------------------------- Markdown report


_HEAD = (
    "| {label} | pages | kind | body recall | metadata | invented | tables kept "
    "| merged kept | extra tables | attachments | leaks | mojibake | script |"
)


def _ratio(part: int, whole: int) -> str:
    return f"{part}/{whole}" if whole else "–"


def _row(label: str, t: Totals) -> str:
    return (
        f"| {label} | {t.pages} | {_ratio(t.kind_ok, t.pages)} "
        f"| {_ratio(t.body_found, t.body_total)} ({t.body_recall:.0%}) "
        f"| {_ratio(t.meta_correct, t.meta_total)} ({t.meta_accuracy:.0%}) | {t.invented} "
        f"| {_ratio(t.tables_kept, t.tables_total)} | {_ratio(t.merged_kept, t.merged_total)} "
        f"| {t.extra_tables} | {_ratio(t.attachments_kept, t.attachments_total)} "
        f"| {_ratio(t.leaks, t.leak_total)} | {_ratio(t.mojibake_repaired, t.mojibake_total)} "
        f"| {t.script_leaks} |"
    )


def _table(label: str, groups: dict[str, list[PageScore]], overall: list[PageScore]) -> str:
    head = _HEAD.format(label=label)
    lines = [head, "|" + "---|" * head.count(" | ") + "---|"]
    lines += [_row(name, totals(group)) for name, group in groups.items() if group]
    lines.append(_row("**all**", totals(overall)))
    return "\n".join(lines)


def report(scores: list[PageScore], *, pages: bool = True) -> str:
    """The scores as Markdown: per family, per field, per class, and each page's problems."""
    families: dict[str, list[PageScore]] = {}
    for s in scores:
        families.setdefault(s.family, []).append(s)
    parts = ["## By family", "", _table("family", dict(sorted(families.items())), scores)]
    parts += ["", "## Metadata by field", ""]
    parts += ["| field | correct | invented | expected empty |", "|---|---|---|---|"]
    parts += [
        f"| {f.field} | {_ratio(f.correct, f.total)} | {f.invented} | {f.expected_empty} |"
        for f in field_totals(scores)
    ]
    by_class = {
        f"{group}: {c}": [s for s in scores if c in s.classes]
        for group, names in CLASS_GROUPS.items()
        for c in names
    }
    parts += ["", "## By class", "", _table("class", by_class, scores)]
    if pages:
        parts += ["", "## Problems by page", ""]
        for s in scores:
            problems = s.problems()
            if problems:
                parts.append(f"- `{s.name}`: " + "; ".join(problems))
    return "\n".join(parts) + "\n"
