"""The default theme, packaged with sitegen: `layouts/` and `static/` beside this file.

A site's own `layouts/` and `static/` override it file by file: a site that changes only
`layouts/article.html` keeps every other layout and script from here, and `{% extends %}` or
`{% include %}` finds a layout in either place (the site's first). `sitegen theme export`
copies the default files into a site so that they can be changed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from sitegen.scan import Listing, walk

if TYPE_CHECKING:
    import jinja2

THEME_DIR: Final = Path(__file__).resolve().parent
THEME_FOLDERS: Final = ("layouts", "static")
LAYOUTS_DIR: Final = "layouts"  # a site's own layouts, as the theme's


def with_theme(listing: Listing, folder: str) -> Listing:
    """A site's files of `folder` (layouts or static) and the theme's files it does not
    override, by the same relative names ("static/css/site.css").

    The theme's entries carry their own times and sizes, so that a build's input signature
    changes when an upgrade of sitegen changes one of them.
    """
    return {**walk(THEME_DIR, folder), **listing}


def source_of(root: Path, rel: str) -> Path:
    """Where the file published at `rel` ("static/js/print.js") is read from: the site's own
    file, or else the theme's."""
    local = root / rel
    return local if local.is_file() else THEME_DIR / rel


def layout_loader(root: Path) -> jinja2.BaseLoader:
    """The site's layouts/ first, then the theme's."""
    import jinja2  # not for a build that has nothing to do (see sitegen/entry.py)

    return jinja2.ChoiceLoader([
        jinja2.FileSystemLoader(root / LAYOUTS_DIR),
        jinja2.FileSystemLoader(THEME_DIR / "layouts"),
    ])  # fmt: skip


@dataclass(frozen=True, slots=True)
class Exported:
    written: tuple[str, ...]
    skipped: tuple[str, ...]  # files the site has already: never overwritten without force


def theme_files(only: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The theme's files ("layouts/article.html" ...), or those named by `only`: a path
    ("static/js/print.js") or a bare file name ("article.html")."""
    found = sorted(rel for folder in THEME_FOLDERS for rel in walk(THEME_DIR, folder))
    if not only:
        return tuple(found)
    return tuple(rel for rel in found if rel in only or rel.rsplit("/", 1)[-1] in only)


def export(root: Path, files: tuple[str, ...], force: bool = False) -> Exported:
    """Copy theme files into the site at `root`; a file the site has is left alone unless
    `force` (it may hold the site's own changes)."""
    written, skipped = [], []
    for rel in files:
        target = root / rel
        if target.exists() and not force:
            skipped.append(rel)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(THEME_DIR / rel, target)
        written.append(rel)
    return Exported(tuple(written), tuple(skipped))


def register(sub) -> None:
    theme = sub.add_parser(
        "theme",
        help="copy the default theme's layouts and static files into a site, to change them",
        description="The default theme ships with sitegen; a site's own layouts/ and static/ "
        "override it file by file.",
    )
    actions = theme.add_subparsers(metavar="ACTION", required=True)
    export_parser = actions.add_parser(
        "export",
        help="copy the default files into SITE/layouts and SITE/static",
        description="Copy the default theme's files into the site's layouts/ and static/, where "
        "they override the packaged ones. A file the site has already is skipped.",
    )
    export_parser.add_argument(
        "site", nargs="?", type=Path, default=Path("."), metavar="SITE", help="site folder"
    )
    export_parser.add_argument(
        "--only", action="append", default=[], metavar="FILE",
        help="only this file, e.g. article.html or static/js/print.js (repeatable; default: "
        "every file)",
    )  # fmt: skip
    export_parser.add_argument(
        "--force", action="store_true", help="overwrite files the site has already"
    )
    export_parser.set_defaults(func=_export)


def _export(args: argparse.Namespace) -> int:
    if not args.site.is_dir():
        print(f"sitegen theme export: {args.site} is not a folder", file=sys.stderr)
        return 2
    files = theme_files(tuple(args.only))
    unknown = [name for name in args.only if not theme_files((name,))]
    if unknown:
        names = ", ".join(rel.rsplit("/", 1)[-1] for rel in theme_files())
        print(f"sitegen theme export: no theme file {unknown[0]!r}; the theme has: {names}",
              file=sys.stderr)  # fmt: skip
        return 2
    done = export(args.site, files, args.force)
    for rel in done.written:
        print(f"wrote {rel}")
    for rel in done.skipped:
        print(f"skipped {rel}: the site has it already (--force overwrites it)")
    return 0
