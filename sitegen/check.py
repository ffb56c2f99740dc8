"""`sitegen check [SITE_DIR]`: check a built site offline before it is published (issue 6).

Every internal link, image and attachment must lead to a built file (and a #fragment to an
id in it), every article page needs its print view, feeds and sitemaps must be well-formed
XML with absolute URLs, no page may repeat an id, and the sources must pass the build's
front-matter rules. No page may run a script the layouts do not load: a <script> that is
inline or not from static/js/, an event attribute (onerror=...) or a javascript: URL is
what got past sanitising (issue 13), unless site.yaml says `html: trusted`. Each problem
names the built file and the line of the element.
"""

from __future__ import annotations

import argparse
import os
import posixpath
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Final

from sitegen.checks.html_scan import Ref, Scan, scan_html
from sitegen.checks.urls import SiteFiles, Target, resolve, site_files
from sitegen.checks.xml_files import XmlCheck, check_feed, check_sitemap
from sitegen.config import Config, load_config
from sitegen.problems import Problem
from sitegen.redirects import FILES as REDIRECT_FILES

# Below this many pages starting worker processes costs more than it saves.
PARALLEL_FROM: Final = 400
_WHAT: Final = {"img": "missing image", "a": "broken link", "area": "broken link"}
_LAYOUT_SCRIPTS: Final = "static/js/"  # where the layouts load every script from
_REMOVE: Final = "which sitegen's layouts never write: remove it from the layout or article with it"


@dataclass(frozen=True, slots=True)
class Fragment:
    """A link to `file#fragment` in another page, checked once every page's ids are known."""

    line: int
    url: str
    file: str
    fragment: str


@dataclass(frozen=True, slots=True)
class PageResult:
    page: str  # relative to the output folder
    kind: str | None
    ids: frozenset[str]
    problems: tuple[Problem, ...]
    fragments: tuple[Fragment, ...]
    links: int
    external: int


@dataclass(frozen=True, slots=True)
class CheckReport:
    problems: tuple[Problem, ...]
    pages: int  # HTML pages
    links: int
    external: int
    xml: int = 0  # feeds and sitemaps
    maps: int = 0  # redirect maps (redirects.json and the server files)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """Counted as `sitegen build` counts its pages, so that the two numbers agree."""
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        kinds = [f"{self.pages} HTML", f"{self.xml} feeds and sitemaps"]
        kinds += [f"{self.maps} redirect maps"] if self.maps else []
        total = self.pages + self.xml + self.maps
        return f"checked {total} pages ({', '.join(kinds)}), {self.links} links: {count} {noun}"


def check_site(
    root: Path, out: Path | None = None, *, jobs: int = 1, sources: bool = True
) -> CheckReport:
    """Check the site built from `root` into `out` (default root/public)."""
    config, config_problems = load_config(root)
    if config is None:
        return CheckReport(tuple(config_problems), 0, 0, 0)
    out = root / "public" if out is None else out
    shown = _shown(out, root)
    problems = _source_problems(root) if sources else []
    if not out.is_dir():
        problems.append(Problem(shown, "no built site here: run `sitegen build` first"))
        return CheckReport(tuple(problems), 0, 0, 0)
    files = frozenset(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    site = site_files(config.base_url, files)
    pages = tuple(sorted(f for f in files if f.endswith(".html")))
    results = _scan_all(out, shown, site, pages, jobs, config.html == "trusted")
    for result in results:
        problems += result.problems
    problems += _fragment_problems(results, shown)
    problems += _print_view_problems(results, files, shown)
    problems += _xml_problems(out, shown, site, config)
    problems.sort(key=lambda p: (p.path.as_posix(), p.line or 0, p.message))  # as build does
    links = sum(r.links for r in results)
    xml = sum(1 for f in files if f.endswith(".xml") and _is_feed_or_sitemap(f))
    maps = sum(1 for name in REDIRECT_FILES if name.lstrip("/") in files)
    external = sum(r.external for r in results)
    return CheckReport(tuple(problems), len(pages), links, external, xml, maps)


def _is_feed_or_sitemap(name: str) -> bool:
    """The XML files the build writes (and _xml_problems checks)."""
    base = posixpath.basename(name)
    return base == "feed.xml" or ("/" not in name and base.startswith("sitemap"))


def _shown(out: Path, root: Path) -> Path:
    """The output folder as messages name it: `public`, relative to the site when inside it."""
    try:
        return out.resolve().relative_to(root.resolve())
    except ValueError:
        return out


def _source_problems(root: Path) -> list[Problem]:
    try:  # imported here: the pipeline imports the whole build, which check may not need
        from sitegen.pipeline import check_sources
    except ImportError as exc:
        message = f"cannot check front matter: this sitegen has no pipeline.check_sources ({exc})"
        return [Problem(Path("content"), message)]
    return list(check_sources(root))


def _scan_all(
    out: Path, shown: Path, site: SiteFiles, pages: tuple[str, ...], jobs: int, trusted: bool
) -> list[PageResult]:
    if jobs <= 1 or len(pages) < PARALLEL_FROM:
        return _scan_pages(out, shown, site, trusted, pages)
    # interleaved slices: neighbouring pages are alike in size, so each worker gets a fair share
    chunks = [pages[start :: jobs * 4] for start in range(jobs * 4)]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        parts = pool.map(partial(_scan_pages, out, shown, site, trusted), chunks)
        return sorted((r for part in parts for r in part), key=lambda r: r.page)


def _scan_pages(
    out: Path, shown: Path, site: SiteFiles, trusted: bool, pages: tuple[str, ...]
) -> list[PageResult]:
    memo: dict[tuple[str, str], Target] = {}  # nav and footer links repeat on every page
    return [_scan_page(out, shown, site, page, memo, trusted) for page in pages]


def _scan_page(
    out: Path,
    shown: Path,
    site: SiteFiles,
    page: str,
    memo: dict[tuple[str, str], Target],
    trusted: bool,
) -> PageResult:
    path = shown / page
    data = (out / page).read_bytes()
    problems: list[Problem] = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(path, f"is not UTF-8 (byte {exc.start}): the build writes UTF-8"))
        text = data.decode("utf-8", "replace")
    scan = scan_html(text)
    problems += [
        Problem(path, f"duplicate id {d.id!r} (first at line {d.first_line})", d.line)
        for d in scan.duplicates
    ]
    if not trusted:  # a site that trusts its article HTML may put scripts in it
        problems += _script_problems(scan, path, page, site, memo)
    fragments: list[Fragment] = []
    links = external = 0
    for ref in scan.refs:
        target = _target(ref.url, page, site, memo)
        links += target.kind != "ignored"
        external += target.kind == "external"
        if target.kind == "missing":
            problems.append(Problem(path, _missing(ref, target.file, shown), ref.line))
        elif target.kind == "error":
            problems.append(Problem(path, target.message, ref.line))
        elif target.kind == "internal" and _wants_id(target.file, target.fragment):
            fragments.append(Fragment(ref.line, ref.url, target.file, target.fragment))
    return PageResult(page, scan.kind, scan.ids, tuple(problems), tuple(fragments), links, external)


def _target(url: str, page: str, site: SiteFiles, memo: dict[tuple[str, str], Target]) -> Target:
    key = (_base_for(url, page), url)
    return memo.get(key) or memo.setdefault(key, resolve(url, page, site))


def _script_problems(
    scan: Scan, path: Path, page: str, site: SiteFiles, memo: dict[tuple[str, str], Target]
) -> list[Problem]:
    """Scripts the layouts do not load, and event attributes (the layouts write none)."""
    problems = []
    for ref in scan.scripts:
        if not ref.url:
            problems.append(Problem(path, f"inline <script>, {_REMOVE}", ref.line))
            continue
        target = _target(ref.url, page, site, memo)
        local = target.kind in ("internal", "missing") and target.file.startswith(_LAYOUT_SCRIPTS)
        if not local:
            message = f"<script> from {ref.url}, outside {_LAYOUT_SCRIPTS}, {_REMOVE}"
            problems.append(Problem(path, message, ref.line))
    for ref in scan.handlers:
        message = f"event attribute {ref.attr}= on <{ref.tag}>, {_REMOVE}"
        problems.append(Problem(path, message, ref.line))
    return problems


def _base_for(url: str, page: str) -> str:
    """What else, besides the URL itself, its target depends on (for the memo)."""
    if url.startswith(("http://", "https://")) or url.startswith("/") and not url.startswith("//"):
        return ""
    return page if url.startswith(("#", "?")) or not url else posixpath.dirname(page)


def _missing(ref: Ref, file: str, shown: Path) -> str:
    what = "missing image" if ref.attr in ("srcset", "poster") else _WHAT.get(ref.tag)
    if ref.tag == "meta":
        what = "redirect to a missing page"
    return f"{what or 'missing file'} {ref.url} (no file {(shown / file).as_posix()})"


def _wants_id(file: str, fragment: str) -> bool:
    # "#top" scrolls to the top without an id (HTML standard); fragments in PDFs are pages
    return bool(fragment) and fragment != "top" and file.endswith(".html")


def _fragment_problems(results: list[PageResult], shown: Path) -> list[Problem]:
    ids = {r.page: r.ids for r in results}
    return [
        Problem(
            shown / r.page,
            f"broken fragment {f.url} (no id {f.fragment!r} in {(shown / f.file).as_posix()})",
            f.line,
        )
        for r in results
        for f in r.fragments
        if f.fragment not in ids.get(f.file, frozenset())
    ]


def _print_view_problems(
    results: list[PageResult], files: frozenset[str], shown: Path
) -> list[Problem]:
    if results and not any(r.kind for r in results):
        message = "no page has <body data-page-kind>: cannot tell articles, print views unchecked"
        return [Problem(shown, message, severity="warning")]
    problems = []
    for result in results:
        wanted = posixpath.join(posixpath.dirname(result.page), "print.html")
        if result.kind == "article" and wanted not in files:
            message = f"article has no print view (no file {(shown / wanted).as_posix()})"
            problems.append(Problem(shown / result.page, message))
    return problems


def _xml_problems(out: Path, shown: Path, site: SiteFiles, config: Config) -> list[Problem]:
    xml = sorted(f for f in site.files if f.endswith(".xml") and _is_feed_or_sitemap(f))
    feeds = [f for f in xml if posixpath.basename(f) == "feed.xml"]
    maps = [f for f in xml if f not in feeds]
    problems = [
        Problem(shown / name, f"is missing: the build writes {what} here")
        for name, what in (("feed.xml", "the site's Atom feed"), ("sitemap.xml", "the sitemap"))
        if name not in site.files
    ]
    for name in feeds:
        problems += _xml_file(shown, site, name, check_feed((out / name).read_bytes()))
    for name in maps:
        checked = check_sitemap((out / name).read_bytes(), config.base_url)
        problems += _xml_file(shown, site, name, checked)
    return problems


def _xml_file(shown: Path, site: SiteFiles, name: str, checked: XmlCheck) -> list[Problem]:
    path = shown / name
    problems = [Problem(path, f.message, f.line) for f in checked.findings]
    for url, line in checked.urls:
        target = resolve(url, name, site)
        if target.kind == "missing":
            wanted = (shown / target.file).as_posix()
            problems.append(Problem(path, f"broken link {url} (no file {wanted})", line))
    return problems


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check a built site offline: links, images, print views, feeds, sitemap, sources",
        description="Check the built site in SITE_DIR/public without using the network. "
        "Exit status 1 when anything is wrong.",
    )
    parser.add_argument("site_dir", nargs="?", type=Path, default=Path("."), metavar="SITE_DIR",
                        help="site folder")  # fmt: skip
    parser.add_argument("--out", type=Path, help="the built site (default: SITE_DIR/public)")
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes (default: all cores)",
    )
    parser.add_argument(
        "--no-sources",
        action="store_true",
        help="check only the built files, not the front matter in content/",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    report = check_site(args.site_dir, args.out, jobs=args.jobs, sources=not args.no_sources)
    for problem in report.problems:
        print(problem)
    print(report.summary())
    return 0 if report.ok else 1
