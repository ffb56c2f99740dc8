"""Site settings from site.yaml, checked in one pass that reports every problem."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from sitegen.frozen import pickled_by_fields
from sitegen.i18n import LABELS
from sitegen.problems import Problem, did_you_mean
from sitegen.script_settings import check_scripts
from sitegen.yamltext import YamlRefused, YamlShapeError, error_line, error_text, load_mapping

SITE_FILE = "site.yaml"
# The Markdown extensions every article is converted with (sitegen/markup.py makes them).
MARKDOWN_EXTENSIONS: Final = ("tables", "footnotes", "attr_list", "fenced_code", "sane_lists")
SLUG_RE = re.compile(r"^[\w][\w.-]*$")
PERMALINK_FIELDS = frozenset({"category", "slug", "year", "month", "day"})
# Names Windows cannot give a file or folder (whatever follows a dot): a site with one of
# them as a folder cannot be copied to a Windows server (IIS hosts many agencies' sites).
WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"{port}{n}" for port in ("COM", "LPT") for n in range(1, 10)}
)


def windows_trouble(slug: str) -> str | None:
    """Why Windows cannot hold a folder named `slug`, or None."""
    if slug.split(".", 1)[0].upper() in WINDOWS_RESERVED:
        return f"{slug.split('.', 1)[0].upper()} is a device name on Windows"
    if slug.endswith("."):
        return "Windows drops a name's final '.'"
    return None


def windows_warning(what: str, slug: str) -> str | None:
    """The warning for a slug a Windows server cannot hold, or None."""
    trouble = windows_trouble(slug)
    if trouble is None:
        return None
    return (f"{what} {slug!r} cannot be a folder on a Windows server ({trouble}): the site "
            "builds, but copying it to one fails; give it another slug")  # fmt: skip


HTML_MODES = ("safe", "trusted")  # article HTML sanitised (see sanitize.py), or kept as written
# What the build writes at the top of the output folder (site.py, search.py, the copied
# static/): a category of one of these names would make its folder over the file or into it.
RESERVED_SLUGS = ("404.html", "archive", "feed.xml", "index.html", "search", "sitemap.xml",
                  "static", "redirects.json", "redirects.nginx.conf", "redirects.apache.txt",
                  "_redirects")  # fmt: skip
_RESERVED_SITEMAP = re.compile(r"sitemap-\d+\.xml")  # the sitemap's numbered parts
_RESERVED_SHOWN = ", ".join(sorted((*RESERVED_SLUGS, "sitemap-N.xml")))
MIN_WIDTH, MAX_WIDTH = 64, 8000  # of a published copy of a photo, in pixels
# What would break an attribute the base URL is written into, or is no URL at all.
_BAD_URL_CHAR = re.compile(r"[\"'<>\\\s\x00-\x1f\x7f]")
# Permalinks name folders under the output: nothing that climbs out, doubles a slash or ends
# the path early.
_BAD_PERMALINK = re.compile(r"(?:^|/)\.{1,2}(?:/|$)|//|[\\?#\s\x00-\x1f\x7f]")


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Category:
    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class Config:
    root: Path
    title: str
    base_url: str  # always ends with "/"
    description: str = ""
    language: str = "zh-Hant"
    timezone: str = "Asia/Shanghai"
    page_size: int = 20
    permalink: str = "/{category}/{slug}/"
    feed_size: int = 20
    home_per_category: int = 6
    search: bool = True
    html: str = "safe"  # one of HTML_MODES
    categories: tuple[Category, ...] = ()
    image_widths: tuple[int, ...] = (480, 960, 1600)  # of the copies of each photo, in px
    keep_exif: bool = False  # publish photos with their EXIF (GPS included) as taken
    image_originals: bool = True  # publish each photo as it came too, beside its copies
    # The whole site once more in the other script (issue 16): () or (source, other).
    scripts: tuple[str, ...] = ()
    conversion: str = ""  # OpenCC's, source -> other; "" for scripts.default_conversion
    no_convert: tuple[str, ...] = ()  # front-matter keys whose values stay as written

    @property
    def base_path(self) -> str:
        """The URL path the site lives under: "/" or "/news/"."""
        return urlsplit(self.base_url).path or "/"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def category(self, slug: str) -> Category | None:
        return next((c for c in self.categories if c.slug == slug), None)


_KNOWN = tuple(f.name for f in fields(Config) if f.name != "root")
_TYPES: dict[str, type] = {
    "title": str,
    "base_url": str,
    "description": str,
    "language": str,
    "timezone": str,
    "page_size": int,
    "permalink": str,
    "feed_size": int,
    "home_per_category": int,
    "search": bool,
    "html": str,
    "categories": list,
    "image_widths": list,
    "keep_exif": bool,
    "image_originals": bool,
    "scripts": list,
    "conversion": str,
    "no_convert": list,
}


def load_config(root: Path) -> tuple[Config | None, list[Problem]]:
    """Read ROOT/site.yaml. Returns (None, problems) when the settings cannot be used."""
    path = root / SITE_FILE
    shown = Path(SITE_FILE)
    if not path.is_file():
        return None, [Problem(shown, f"no {SITE_FILE} in {root}: is this a sitegen site?")]
    try:
        doc = load_mapping(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return None, [Problem(shown, "is not UTF-8: save it as UTF-8")]
    except YamlShapeError as exc:
        return None, [Problem(shown, f"must be a mapping of settings, not {exc.kind}", exc.line)]
    except YamlRefused as exc:  # every construct sitegen refuses, each with its line
        return None, [Problem(shown, message, line) for line, message in exc.issues]
    except yaml.YAMLError as exc:
        return None, [Problem(shown, f"YAML syntax error: {error_text(exc)}", error_line(exc))]
    return check_settings(root, dict(doc.data), dict(doc.lines))


def check_settings(
    root: Path, raw: dict[str, Any], lines: dict[str, int]
) -> tuple[Config | None, list[Problem]]:
    shown = Path(SITE_FILE)
    problems: list[Problem] = []

    def report(key: str, message: str, severity: str = "error") -> None:
        problems.append(Problem(shown, message, lines.get(key), severity))  # type: ignore[arg-type]

    for key in sorted(raw.keys() - set(_KNOWN)):
        report(key, f"unknown setting {key!r}{did_you_mean(key, _KNOWN)}", "warning")
    for key in ("title", "base_url", "categories"):
        if key not in raw:
            problems.append(Problem(shown, f"missing required setting {key!r}"))
    values: dict[str, Any] = {}
    for key, kind in _TYPES.items():
        if key not in raw:
            continue
        value = raw[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            report(key, f"{key!r} must be {kind.__name__}, not {type(value).__name__}")
        else:
            values[key] = value
    _check_values(values, report)
    check_scripts(values, raw, report)
    categories = _read_categories(values.pop("categories", []), lines.get("categories"), problems)
    if any(p.is_error for p in problems):
        return None, problems
    base = values.pop("base_url")
    base = base if base.endswith("/") else base + "/"
    return Config(root=root, base_url=base, categories=categories, **values), problems


def _check_values(values: dict[str, Any], report: Any) -> None:
    for key in ("page_size", "feed_size", "home_per_category"):
        if key in values and values[key] < 1:
            report(key, f"{key!r} must be at least 1")
            del values[key]
    if "base_url" in values:
        _check_base_url(values, report)
    if "timezone" in values:
        try:
            ZoneInfo(values["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            report("timezone", f"unknown time zone {values['timezone']!r}; use e.g. Asia/Taipei")
            del values["timezone"]
    if "language" in values and values["language"] not in LABELS:
        known = ", ".join(LABELS)
        report("language", f"no labels for language {values['language']!r}; known: {known}")
        del values["language"]
    if "permalink" in values:
        _check_permalink(values, report)
    if "image_widths" in values:
        _check_widths(values, report)
    if "html" in values and values["html"] not in HTML_MODES:
        hint = did_you_mean(values["html"], HTML_MODES)
        report(
            "html",
            f"'html' must be 'safe' (article HTML sanitised) or 'trusted' (kept as written), "
            f"not {values['html']!r}{hint}",
        )
        del values["html"]


def _check_widths(values: dict[str, Any], report: Any) -> None:
    widths = values["image_widths"]
    whole = all(type(w) is int for w in widths)
    if not widths or not whole or not all(MIN_WIDTH <= w <= MAX_WIDTH for w in widths):
        report("image_widths", f"'image_widths' must be a list of widths in pixels from "
               f"{MIN_WIDTH} to {MAX_WIDTH}, such as [480, 960, 1600]")  # fmt: skip
        del values["image_widths"]
    else:
        values["image_widths"] = tuple(sorted(set(widths)))


def _check_base_url(values: dict[str, Any], report: Any) -> None:
    url = values["base_url"]
    parts = urlsplit(url)
    bad = _BAD_URL_CHAR.search(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        report("base_url", "'base_url' must be a full URL such as https://example.org/news/")
        del values["base_url"]
    elif bad:  # layouts escape it, but it must be one URL wherever it is written (issue 13)
        char = bad.group()
        report(
            "base_url",
            "'base_url' may not hold quotes, <, >, \\, spaces or control characters: "
            f"write {char!r} percent-encoded, as {quote(char, safe='')}",
        )
        del values["base_url"]


def _check_permalink(values: dict[str, Any], report: Any) -> None:
    pattern = values["permalink"]
    names = set(re.findall(r"{(\w+)}", pattern))
    if "slug" not in names or names - PERMALINK_FIELDS or not pattern.startswith("/"):
        report(
            "permalink",
            f"'permalink' {pattern!r} must start with / and contain {{slug}}; "
            f"it may use {', '.join('{' + n + '}' for n in sorted(PERMALINK_FIELDS))}",
        )
        del values["permalink"]
    elif _BAD_PERMALINK.search(pattern):
        report(
            "permalink",
            f"'permalink' {pattern!r} names a folder of the site: it may not hold . or .. "
            "segments, //, \\, ?, # or spaces",
        )
        del values["permalink"]


def _is_reserved(slug: str) -> bool:
    # Case folded: on the case-insensitive disks of macOS and Windows, Index.html is index.html.
    folded = slug.casefold()
    return folded in RESERVED_SLUGS or _RESERVED_SITEMAP.fullmatch(folded) is not None


def _read_categories(raw: list, line: int | None, problems: list[Problem]) -> tuple[Category, ...]:
    shown = Path(SITE_FILE)
    found: list[Category] = []
    for index, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("slug"), str):
            problems.append(
                Problem(shown, f"category #{index} needs 'slug' and 'name' (text)", line)
            )
            continue
        slug = item["slug"]
        name = str(item.get("name") or slug)
        if not SLUG_RE.match(slug):
            problems.append(
                Problem(shown, f"category slug {slug!r} may not hold / or spaces", line)
            )
        elif _is_reserved(slug):
            message = (
                f"category slug {slug!r} is the name of a file or folder the build writes at "
                f"the top of the site: choose another (reserved: {_RESERVED_SHOWN})"
            )
            problems.append(Problem(shown, message, line))
        elif any(c.slug == slug for c in found):
            problems.append(Problem(shown, f"category {slug!r} is declared twice", line))
        else:
            found.append(Category(slug, name))
            warning = windows_warning("category slug", slug)
            if warning is not None:
                problems.append(Problem(shown, warning, line, "warning"))
    if raw == [] and line is not None:
        problems.append(Problem(shown, "declare at least one category", line))
    return tuple(found)
