"""`sitegen init DIR`: a new site that builds at once, for a second organisation to start from.

It writes site.yaml, one example article, .gitignore, a GitHub Actions workflow that builds,
checks and publishes the site with this version of sitegen, and a guide for editors. The
layouts and static files are not copied: the packaged theme serves until the site overrides
a file (`sitegen theme export`). A file that exists is never overwritten, even with --force.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Final

import yaml

from sitegen import __version__
from sitegen.config import check_settings
from sitegen.problems import Problem
from sitegen.yamltext import load_mapping

SCRIPTS: Final = ("zh-Hant", "zh-Hans")
# The first category when none is given, in each script.
DEFAULT_CATEGORY: Final = {"zh-Hant": "news:新聞動態", "zh-Hans": "news:新闻动态"}
DEFAULT_TITLE: Final = {"zh-Hant": "我們的新聞檔案", "zh-Hans": "我们的新闻档案"}
EXAMPLE_SLUG: Final = "welcome"
GUIDE: Final = "如何發布文章.md"
WORKFLOW: Final = ".github/workflows/site.yml"


@dataclass(frozen=True, slots=True)
class InitOptions:
    title: str | None = None  # DEFAULT_TITLE in the site's script
    base_url: str = "https://example.org/"
    script: str = "zh-Hant"
    categories: tuple[str, ...] = ()  # "slug:名稱"


@dataclass(frozen=True, slots=True)
class Written:
    written: tuple[str, ...]
    skipped: tuple[str, ...]  # files that were there already: never overwritten


class InitRefused(Exception):
    """The folder or the options cannot make a site: a usage error (exit status 2)."""


def site_files(options: InitOptions, today: dt.date) -> dict[str, str]:
    """Every file of a new site, by path relative to its folder. Raises InitRefused for
    options that site.yaml would refuse, with the build's own messages."""
    pairs = [_category(text) for text in options.categories or (DEFAULT_CATEGORY[options.script],)]
    settings = _site_yaml(options, pairs)
    _check(settings)
    first = pairs[0][0]
    return {
        "site.yaml": settings,
        f"content/{first}/{EXAMPLE_SLUG}.md": _example(options.script, first, today),
        ".gitignore": "# made by sitegen build: never committed\npublic/\n.sitegen-cache/\n",
        WORKFLOW: _starter("site.yml", version=__version__),
        GUIDE: _starter("guide.md", category=first),
    }


def write_site(folder: Path, files: dict[str, str], force: bool = False) -> Written:
    """Write `files` under `folder`, which must be empty or missing unless `force`; a file
    that exists is skipped whatever `force` says (it may be an editor's work)."""
    if folder.exists() and not folder.is_dir():
        raise InitRefused(f"{folder} is a file, not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise InitRefused(f"{folder} is not empty: choose a new folder, or add --force to add "
                          "the missing files (files there are never overwritten)")  # fmt: skip
    written, skipped = [], []
    for rel, text in files.items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with target.open("x", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        except FileExistsError:
            skipped.append(rel)
            continue
        written.append(rel)
    return Written(tuple(written), tuple(skipped))


def _category(text: str) -> tuple[str, str]:
    slug, sep, name = text.partition(":")
    if not sep or not slug.strip() or not name.strip():
        raise InitRefused(f"--category {text!r}: write it as slug:名稱, e.g. news:新聞動態")
    return slug.strip(), name.strip()


def _site_yaml(options: InitOptions, categories: list[tuple[str, str]]) -> str:
    lines = [
        "# Site settings: every key is checked when the site builds (README: Settings).",
        f"title: {_scalar(options.title or DEFAULT_TITLE[options.script])}",
        f"base_url: {_scalar(options.base_url)}",
        f"language: {options.script}",
        "timezone: Asia/Shanghai",
        "page_size: 20",
        "search: true",
        "# In this order in the navigation; an article's `category:` is one of these slugs.",
        "categories:",
    ]
    for slug, name in categories:
        lines += [f"  - slug: {_scalar(slug)}", f"    name: {_scalar(name)}"]
    return "\n".join(lines) + "\n"


def _scalar(value: str) -> str:
    """A YAML scalar that reads back as `value` (quoted when it has to be)."""
    dumped = yaml.safe_dump(value, allow_unicode=True, width=1000)
    return dumped.removesuffix("\n...\n").strip()


def _check(settings: str) -> None:
    """The settings as the build will read them: refused with the build's messages."""
    doc = load_mapping(settings)
    config, problems = check_settings(Path("."), dict(doc.data), dict(doc.lines))
    errors = [p for p in problems if p.is_error]
    if config is None or errors:
        raise InitRefused("; ".join(_problem_text(p) for p in errors) or "site.yaml is invalid")


def _problem_text(problem: Problem) -> str:
    return f"site.yaml would be refused: {problem.message}"


def _example(script: str, category: str, today: dt.date) -> str:
    text = _starter("example.md", category=category, date=today.isoformat())
    return _to_simplified(text) if script == "zh-Hans" else text


def _to_simplified(text: str) -> str:
    """Character by character: enough for the example's plain sentences."""
    from sitegen.search import TABLE_FILE, read_table

    table = read_table(TABLE_FILE)
    return "".join(table.get(char, char) for char in text)


def _starter(name: str, **values: str) -> str:
    """A file of sitegen/starter/ with its @name@ markers filled in (not $name or {name}:
    the workflow is full of GitHub's ${{ ... }})."""
    text = resources.files("sitegen").joinpath("starter", name).read_text("utf-8")
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text


def register(sub) -> None:
    parser = sub.add_parser(
        "init",
        help="write a new site that builds: settings, an example article, a workflow, a guide",
        description="Write a new site into DIR: site.yaml, one example article, .gitignore, a "
        "GitHub Actions workflow that builds, checks and publishes it, and a guide for editors "
        f"({GUIDE}). The layouts come with sitegen. Never overwrites a file.",
    )
    defaults = InitOptions()
    titles = " / ".join(DEFAULT_TITLE.values())
    add = parser.add_argument
    add("dir", type=Path, metavar="DIR", help="the new site's folder")
    add("--title", help=f"the site's title (default: {titles})")
    add("--base-url", default=defaults.base_url, help="where the site is published "
        "(default: %(default)s)")  # fmt: skip
    add("--script", choices=SCRIPTS, default=defaults.script,
        help="traditional or simplified Chinese, the site's language (default: "
        "%(default)s)")  # fmt: skip
    add("--category", action="append", default=[], metavar="SLUG:名稱",
        help="a category, repeatable; the first holds the example article (default: "
        f"{DEFAULT_CATEGORY['zh-Hant']} / {DEFAULT_CATEGORY['zh-Hans']})")  # fmt: skip
    add("--force", action="store_true", help="write into a folder that is not empty, adding "
        "missing files only (default: refuse)")  # fmt: skip
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    options = InitOptions(args.title, args.base_url, args.script, tuple(args.category))
    try:
        files = site_files(options, dt.date.today())
        done = write_site(args.dir, files, args.force)
    except InitRefused as exc:
        print(f"sitegen init: {exc}", file=sys.stderr)
        return 2
    for rel in done.written:
        print(f"wrote {(args.dir / rel).as_posix()}")
    for rel in done.skipped:
        print(f"skipped {(args.dir / rel).as_posix()}: it exists (never overwritten)")
    # Quoted for the shell: a folder name may hold a space (名 稱).
    print(f"next: cd {shlex.quote(args.dir.as_posix())} && sitegen build && sitegen serve")
    return 0
