"""One content file -> one Article record (front matter checked, body kept as Markdown source).

The body is rendered later, in the worker that writes the article page, so a build never
holds the HTML of every article at once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, NamedTuple

import yaml

from sitegen.bundles import images_without_alt, is_bundle, normal_target, references
from sitegen.config import SLUG_RE, Config, windows_warning
from sitegen.frozen import FrozenMap
from sitegen.problems import Problem, SiteError, did_you_mean
from sitegen.redirects import has_query, parameters, split
from sitegen.yamltext import (
    XML_FORBIDDEN,
    YamlMapping,
    YamlRefused,
    YamlShapeError,
    char_message,
    error_line,
    error_text,
    load_mapping,
)

CONTENT_DIR: Final = "content"
REQUIRED: Final = ("title", "date", "category")
TEXT_KEYS: Final = ("source", "editor", "author", "subtitle", "summary", "legacy_path")
KNOWN_KEYS: Final = (
    *REQUIRED, *TEXT_KEYS, "tags", "slug", "aliases", "draft",
)  # fmt: skip
# Keys whose values are text as the editor wrote it: `title: 0x1F` is "0x1F", not "31".
AS_TEXT_KEYS: Final = frozenset(KNOWN_KEYS) - {"date", "draft"}
YEARS: Final = range(1900, 2101)  # a year outside is a typo, and breaks date arithmetic
_C0_BYTES: Final = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])  # as XML_FORBIDDEN
_MAX_BODY_PROBLEMS: Final = 10  # a file of binary junk should not flood the terminal
_EXAMPLES: Final = {"title": "title: 標題", "date": "date: 2018-09-21 14:29",
                    "category": "category: <a slug from site.yaml>"}  # fmt: skip
_FENCE: Final = re.compile(r"^---[ \t]*$", re.MULTILINE)
_PARTIAL_DATE: Final = re.compile(r"(?:19|20)\d\d(?:-[01]\d)?")
_DATE_FORMATS: Final = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
)


class Article(NamedTuple):
    """One article's record: its front matter, where it is published, and its body's digest.

    A named tuple rather than a frozen dataclass, as Page is (see sitegen/site.py): each
    build makes one for every article from the cache, and a frozen dataclass's __init__
    costs several times a tuple's.
    """

    # Relative to the site root, as a POSIX string (content/law/union-services.md): pages carry
    # their articles into worker processes, and unpickling a Path parses it again each time.
    path: str
    slug: str
    title: str
    date: dt.datetime  # aware, in the site's time zone
    category: str
    url: str  # site path without the base path: /law/union-services/
    digest: str  # sha256 of the file's bytes: the key of its rendered body
    body_line: int  # line of the file where the Markdown body starts
    source: str | None = None
    editor: str | None = None
    author: str | None = None
    subtitle: str | None = None
    summary: str | None = None
    legacy_path: str | None = None
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    draft: bool = False
    # Files the body names ((target, line), see sitegen/bundles.py): checked when the build
    # has listed every file, since they may come and go while the article stays the same.
    references: tuple[tuple[str, int], ...] = ()
    extra: FrozenMap = FrozenMap()  # read-only: one empty map serves every article
    key_lines: FrozenMap = FrozenMap()


@dataclass(frozen=True, slots=True)
class Parsed:
    article: Article | None
    problems: tuple[Problem, ...]


def decode_source(path: Path, data: bytes) -> str:
    """UTF-8 text of a content file, or a SiteError saying which encoding it looks like."""
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        guess = _guess_encoding(data)
        hint = f"it looks like {guess}; " if guess else ""
        fix = f"iconv -f {guess or 'GB18030'} -t UTF-8"
        raise SiteError(
            Problem(path, f"is not UTF-8 ({hint}save it as UTF-8, e.g. with `{fix}`)", line)
        ) from None


# Characters common in news prose, in both scripts: whichever decoding of unknown bytes yields
# more of them is the likelier encoding (GBK bytes also decode as Big5, into rare characters).
_COMMON: Final = frozenset(
    "的一是不了在人有我他這这個个們们中來来上大為为和國国地到以說说時时要就出會会可也對对生能"
    "而子那得於于著着下自之年過过發发後后作裡里用道行所然家種种事成方多經经去法學学如都同現现"
    "當当沒没動动面起看定天分還还進进好小部其些主樣样理心本前開开但因只從从想實实日者意無无力"
    "與与長长機机十民第公此已工使情明性知全三關关點点正業业外將将高間间由問问重新月合回代內内"
    "信表化給给位次度門门任常海通教員员解水名處处各入條条平題题活務务做接場场計计管期市資资區区"
    "保社組组織织職职服辦办議议會员單单導导領领黨党華华級级府況况請请際际約约"
)
_LABELS: Final = {"big5": "Big5", "gb18030": "GBK", "utf-16": "UTF-16"}


def _guess_encoding(data: bytes) -> str | None:
    scores = {}
    for name in _LABELS:
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        scores[name] = sum(ch in _COMMON for ch in text)
    if not scores:
        return None
    return _LABELS[max(scores, key=lambda name: scores[name])]


def split_front_matter(path: Path, text: str) -> tuple[str, str, int]:
    """(front matter, body, first line of body). Front matter lines start at line 2."""
    if not text.startswith("---"):
        raise SiteError(Problem(path, "no front matter: the file must start with a line '---'", 1))
    first = _FENCE.match(text)
    if first is None:
        raise SiteError(Problem(path, "the first line must be exactly '---'", 1))
    closing = _FENCE.search(text, first.end())
    if closing is None:
        raise SiteError(
            Problem(path, "front matter is not closed: add a line '---' after its last key", 1)
        )
    front = text[first.end() + 1 : closing.start()]
    body_line = text.count("\n", 0, closing.end()) + 2
    return front, text[closing.end() + 1 :], body_line


def parse_article(path: Path, data: bytes, digest: str, config: Config) -> Parsed:
    """Check one content file's front matter, and its body for what XML forbids; never raises
    for bad input."""
    try:
        text = decode_source(path, data)
        front, body, body_line = split_front_matter(path, text)
    except SiteError as exc:
        return Parsed(None, (exc.problem,))
    doc, problems = _load_front(path, front)
    in_body = _forbidden_characters(path, data, body, body_line)
    if doc is None:
        return Parsed(None, problems + in_body)
    fields_ = _Fields(path, doc)
    article = fields_.build(config, digest, body_line, references(body, body_line))
    # (Of the site's own images: one on another host is a leftover the import reported.)
    no_alt = tuple(_no_alt_warning(path, target, line)
                   for target, line in images_without_alt(body, body_line)
                   if normal_target(target) is not None)  # fmt: skip
    return Parsed(None if in_body else article, tuple(fields_.problems) + in_body + no_alt)


def _no_alt_warning(path: Path, target: str, line: int) -> Problem:
    return Problem(path, f"image {target} has no alt text: a screen reader says nothing of it, "
                   "and a caption or the article's title is a poor substitute; say what it "
                   "shows, as in ![職工代表在大會上合影](photo.jpg)", line, "warning")  # fmt: skip


def body_source(path: Path, data: bytes) -> str:
    """The Markdown body of a file that parse_article accepted."""
    return split_front_matter(path, decode_source(path, data))[1]


def _load_front(path: Path, front: str) -> tuple[YamlMapping | None, tuple[Problem, ...]]:
    try:
        # Front matter starts on line 2 of the file, after the opening '---'.
        doc = load_mapping(front, first_line=2, where="front matter", text_keys=AS_TEXT_KEYS)
    except YamlShapeError as exc:
        message = f"front matter must be a mapping of keys (title: ...), not {exc.kind}"
        return None, (Problem(path, message, exc.line),)
    except YamlRefused as exc:
        return None, tuple(Problem(path, message, line) for line, message in exc.issues)
    except yaml.YAMLError as exc:
        message = f"YAML syntax error in front matter: {error_text(exc)}"
        return None, (Problem(path, message, error_line(exc) or 2),)
    return doc, ()


def _forbidden_characters(
    path: Path, data: bytes, body: str, body_line: int
) -> tuple[Problem, ...]:
    """Characters XML 1.0 forbids in the body: the feeds carry it, and would not parse."""
    # On the bytes first: UTF-8 never uses C0 bytes inside other characters, and deleting
    # them is three times faster than the regex over CJK text, which only a bad file needs.
    clean_bytes = len(data.translate(None, _C0_BYTES)) == len(data)
    if clean_bytes and "\ufffe" not in body and "\uffff" not in body:
        return ()
    problems: list[Problem] = []
    last_line = 0
    for found in XML_FORBIDDEN.finditer(body):
        index = found.start()
        line = body_line + body.count("\n", 0, index)
        if line != last_line:  # the first on each line is enough to find the rest
            column = index - body.rfind("\n", 0, index)
            problems.append(Problem(path, char_message("the body", found.group(), column), line))
            last_line = line
            if len(problems) == _MAX_BODY_PROBLEMS:
                break
    return tuple(problems)


class _Fields:
    """Reads and checks front-matter values, collecting every problem on the way."""

    def __init__(self, path: Path, doc: YamlMapping) -> None:
        self.path, self.raw, self.lines = path, doc.data, doc.lines
        self.problems: list[Problem] = []
        for scalar in doc.as_written:
            message = (
                f"{scalar.key!r} has {scalar.text}, which YAML reads as {scalar.kind}: "
                f'write it in quotes, "{scalar.text}", to keep it as text'
            )
            self.problems.append(Problem(path, message, scalar.line, "warning"))

    def report(self, key: str, message: str, severity: str = "error") -> None:
        line = self.lines.get(key, 1)
        self.problems.append(Problem(self.path, message, line, severity))  # type: ignore[arg-type]

    def build(
        self, config: Config, digest: str, body_line: int, refs: tuple[tuple[str, int], ...]
    ) -> Article | None:
        if self.undated_draft():
            return None
        for key in REQUIRED:
            if self.raw.get(key) in (None, ""):
                self.report(key, f"front matter has no {key!r}: add a line {_EXAMPLES[key]!r}")
        for key in sorted(self.raw.keys() - set(KNOWN_KEYS)):
            hint = did_you_mean(key, KNOWN_KEYS)
            self.report(key, f"unknown front matter key {key!r}{hint}", "warning")
        title = self.text("title")
        date = self.date(config)
        category = self.category(config)
        slug = self.slug()
        texts = {key: self.text(key) for key in TEXT_KEYS}
        tags, aliases, draft = self.text_list("tags"), self.aliases(), self.flag("draft")
        if any(p.is_error for p in self.problems) or None in (title, date, category, slug):
            return None
        url = _permalink(config.permalink, category, slug, date)  # type: ignore[arg-type]
        extra = {k: v for k, v in self.raw.items() if k not in KNOWN_KEYS}
        return Article(
            path=self.path.as_posix(), slug=slug, title=title, date=date, category=category,  # type: ignore[arg-type]
            url=url, digest=digest, body_line=body_line, tags=tags, aliases=aliases,
            draft=draft, references=refs, extra=FrozenMap(extra),
            key_lines=FrozenMap(self.lines), **texts,
        )  # fmt: skip

    def undated_draft(self) -> bool:
        """A draft whose date is not known yet, or only its year or month (`date: 2012`,
        `date: 2012-03`: an import that found no more). It is kept out of the site, even
        with --drafts, until an editor gives it a whole date: a made-up day would file it
        under the wrong month."""
        date = self.raw.get("date")
        return self.raw.get("draft") is True and (
            date in (None, "") or bool(_PARTIAL_DATE.fullmatch(str(date)))
        )

    def text(self, key: str) -> str | None:
        value = self.raw.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, (dict, list)):
            self.report(key, f"{key!r} must be text, not a {type(value).__name__}")
            return None
        return str(value).strip() or None

    def text_list(self, key: str) -> tuple[str, ...]:
        value = self.raw.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return tuple(v.strip() for v in re.split(r"[,，、]", value) if v.strip())
        if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
            return tuple(str(v).strip() for v in value if str(v).strip())
        self.report(key, f"{key!r} must be a list of text, e.g. [工會, 法律]")
        return ()

    def flag(self, key: str) -> bool:
        value = self.raw.get(key, False)
        if not isinstance(value, bool):
            self.report(key, f"{key!r} must be true or false, not {value!r}")
            return False
        return value

    def date(self, config: Config) -> dt.datetime | None:
        value = self.raw.get("date")
        if value in (None, ""):
            return None
        parsed = _to_datetime(value)
        if parsed is None:
            self.report(
                "date", f"cannot read date {value!r}: write it as 2018-09-21 or 2018-09-21 14:29"
            )
            return None
        if parsed.year not in YEARS:
            shown = value.strip() if isinstance(value, str) else value
            self.report("date", f"date {shown} is out of range: use a year from 1900 to 2100")
            return None
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=config.zone)
        # An offset says when it happened; the site files and shows it in its own zone.
        return parsed.astimezone(config.zone)

    def category(self, config: Config) -> str | None:
        value = self.text("category")
        if value is None:
            return None
        if config.category(value) is None:
            known = ", ".join(c.slug for c in config.categories)
            hint = did_you_mean(value, [c.slug for c in config.categories])
            self.report("category", f"unknown category {value!r}{hint}; site.yaml has: {known}")
            return None
        return value

    def slug(self) -> str | None:
        # An article folder (news/2024-photo/index.md) is named by its folder.
        named = self.path.parent.name if is_bundle(self.path.as_posix()) else self.path.stem
        value = self.text("slug") or named
        # A slug names a folder of the output: '.', '..' and hidden names must not pass.
        if not SLUG_RE.fullmatch(value):
            self.report("slug", f"slug {value!r} must start with a letter, digit or '_' and hold "
                        "only letters, digits, '-', '_' and '.'")  # fmt: skip
            return None
        warning = windows_warning("slug", value)
        if warning is not None:
            self.report("slug", warning, "warning")
        return value

    def aliases(self) -> tuple[str, ...]:
        found = []
        for alias in self.text_list("aliases"):
            clean = "/" + alias.lstrip("/")
            path, query = split(clean)  # a query goes to the redirect map (sitegen/redirects.py)
            if ".." in path.split("/") or "://" in path:
                self.report(
                    "aliases", f"alias {alias!r} must be a path on this site, like /a/b.html"
                )
            elif has_query(clean) and not parameters(query):
                self.report("aliases", f"alias {alias!r} has nothing after '?': leave the '?' "
                            "out, or give the old URL's query, like /show.asp?id=12")  # fmt: skip
            else:
                found.append(clean)
        return tuple(found)


def _to_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        text = value.strip()
        for fmt in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
    return None


def _permalink(pattern: str, category: str, slug: str, date: dt.datetime) -> str:
    return pattern.format(
        category=category, slug=slug, year=f"{date.year:04d}",
        month=f"{date.month:02d}", day=f"{date.day:02d}",
    )  # fmt: skip
