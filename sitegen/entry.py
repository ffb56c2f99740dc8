"""build_site(root): a build's first steps, and its last when nothing changed.

A build reads the settings, takes the build lock, lists the sources, and compares what it
listed with what the last build saw (sitegen/cache.py's QuickState): when nothing changed it
stops there, having imported only what those steps need. The rest of sitegen (Markdown,
Jinja2, the body store: sitegen/pipeline.py and what it imports) is imported only when there
is work to do: importing it all took 0.075 s of the 0.26 s of a build of 10 000 articles
that had nothing to do.
"""

from __future__ import annotations

import gc
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING, Final

from sitegen import __version__, output
from sitegen.cache import BuildMemory, last_build_time, load_state, old_listing
from sitegen.config import MARKDOWN_EXTENSIONS, SITE_FILE, Config, load_config
from sitegen.content import CONTENT_DIR
from sitegen.problems import Problem
from sitegen.scan import Listing, is_temporary, signature, walk
from sitegen.scripts import static_files
from sitegen.theme import LAYOUTS_DIR, with_theme

if TYPE_CHECKING:
    from sitegen.forked import Companion
    from sitegen.workers import Progress

STATIC_DIR: Final = "static"
FEW_EDITS: Final = 16  # articles saved since the last build that one process rebuilds sooner


@dataclass(frozen=True, slots=True)
class BuildResult:
    problems: tuple[Problem, ...]
    out: Path
    written: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: int = 0
    pages: int = 0
    seconds: float = 0.0
    cache_warning: str | None = None
    refused: str | None = None  # the output folder may not be written: a usage error
    kept: tuple[str, ...] = ()  # files found in the output folder that sitegen did not make
    set_aside: tuple[str, ...] = ()  # such files found in the spare tree, moved out of it
    files_written: int = 0  # of `written`, the files of article folders and photos' copies

    @property
    def ok(self) -> bool:
        return self.refused is None and not any(p.is_error for p in self.problems)


@dataclass(frozen=True, slots=True)
class BuildOptions:
    strict: bool = False
    drafts: bool = False
    jobs: int = 1
    clean: bool = False
    verify: bool = False  # check every output's bytes against the record (see pipeline._intact)
    progress: Progress | None = None
    waiting: Callable[[str], None] | None = None  # told when another build holds the lock
    memory: BuildMemory | None = None  # a long-lived caller's: the last build's record
    # A long-lived caller's process for edits' search indexes (see indexing.resident_indexer), used
    # instead of a child forked by each build.
    indexer: Companion | None = None
    # The files under content/ that a long-lived caller's watcher saw change since its last
    # build began (`serve`'s); None when it cannot tell (see _listed_again).
    changed: frozenset[str] | None = None
    # Called once the new site is in place, before the record is saved (serve reloads its
    # tabs then: saving and freeing the last build's records take 0.5 s at 100 000), with
    # the outputs the build wrote or removed.
    published: Callable[[tuple[str, ...]], None] | None = None
    # A caller that exits right after the build (`sitegen build`, by os._exit) passes a list
    # that holds the build's records until then: freeing them one by one took an edit of
    # 100 000 articles 0.27 s.
    keep: list | None = None


def build_site(root: Path, out: Path | None = None, **options) -> BuildResult:
    """Build the site in `root` into `out` (default root/public). Never raises for bad input.

    The cyclic garbage collector is paused in this process while it builds: the build makes
    tens of thousands of small acyclic records, and the collector's passes over them cost
    about a tenth of a small rebuild. (Worker processes keep theirs: rendering can leave cycles.)
    Records handed to `keep` are set aside from the collector's passes for good (gc.freeze):
    the first pass after the build would otherwise go over all of them.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        return _build(root, out, **options)
    finally:
        if options.get("keep"):
            gc.freeze()
        if paused:
            gc.enable()


def _build(root: Path, out: Path | None = None, **options) -> BuildResult:
    opts = BuildOptions(**options)
    start = time.perf_counter()
    root = root.resolve()
    out = (out or root / "public").resolve()
    config, problems = load_config(root)
    if config is None:
        return BuildResult(tuple(problems), out)
    refused = output.refusal(root, out, lambda: old_listing(root, out))
    if refused is not None:
        return BuildResult(tuple(problems), out, refused=refused)
    with output.build_lock(root, opts.waiting):
        output.recover(out)
        return _sources_seen(config, problems, out, opts, start)


def _sources_seen(config, problems, out, opts, start) -> BuildResult:
    """The build, once the sources are listed: stopped at once when nothing changed."""
    fingerprint = _fingerprint(config, opts)
    early = _early_index(config, opts, out)
    try:
        seen = _listed_again(config, fingerprint, out, opts) or _listed(config, fingerprint)
        problems += [_outside_problem(config.root, rel) for rel in seen.outside]
        load = not (opts.clean or opts.verify or seen.outside)
        state = load_state(config.root, out) if load else None
        if state is not None and state.inputs == seen.inputs:
            quick = _nothing_to_do(state, out, problems, opts, start)
            if quick is not None:
                if opts.keep is not None:  # (freeing the listing of 100 000 articles: 0.02 s)
                    opts.keep.append(seen)
                return quick
        return _work(config, problems, out, opts, start, (seen, early))
    finally:
        if early is not None:
            early.__exit__(None, None, None)  # (a no-change build's, or one not used)


def _early_index(config: Config, opts: BuildOptions, out: Path):
    """The search index's child for an edit's build, forked before the sources are listed
    (0.25 s at 100 000 articles), so that it has made the last index's docs ready by the
    time the build sends it the edited articles: when the site has search and a last build
    into `out`, the index is not a long-lived builder's, and there is a second core. A build
    that then has nothing to do, or many changes, lets it go: 4 ms at 10 000 articles, and
    at 100 000 the listing takes 0.04 s longer beside the child's start."""
    if not config.search or opts.clean or opts.memory is not None or opts.indexer is not None:
        return None
    if last_build_time(config.root, out) is None or _cores() < 2:
        return None  # (on one core it would only slow the listing down)
    from sitegen.indexing import SearchIndex  # (imports neither Markdown nor Jinja2: 6 ms)

    return SearchIndex(config, None, True, None, out)


def _cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _work(config, problems, out, opts, start, found) -> BuildResult:
    """The build once there is work (`found`: what was listed, and the search index's
    child forked before, if any)."""
    # The search index's child forks first, while this process has not imported Markdown
    # and Jinja2 (0.05 s, sitegen/indexing.py needs neither): at 10 000 articles, an
    # edit's build sent it the edited rows before it was ready for them.
    from sitegen.indexing import SearchIndex, warmed_index

    seen, early = found
    few = not opts.clean and _few_edits_since(last_build_time(config.root, out), seen)
    warmed = warmed_index(opts)  # before this build's talk with the indexer begins
    if early is not None and few:
        search = early.listed(seen.files)
    else:
        if early is not None:  # let go now: its docs would weigh on the whole build's peak
            early.__exit__(None, None, None)
        search = SearchIndex(config, seen.files, few, opts.indexer, out)
    # (rebuild's `with` ends it once the index is taken; this one, if rebuild never runs)
    with search:
        from sitegen.pipeline import rebuild  # now the rest of sitegen is needed

        return rebuild(config, problems, out, opts, start, seen, (search, few, warmed))


def _few_edits_since(since: int | None, seen: Seen) -> bool:
    """Whether, by modification times, no more than FEW_EDITS articles and no layout, static
    file or setting changed since the last build: an editor's save, not a checkout. (A
    guess, for speed only: forking the workers costs a small rebuild 0.02 s.)"""
    if since is None:
        return False
    if any(stat[0] > since for listing in seen.others for stat in listing.values()):
        return False
    return sum(stat[0] > since for stat in seen.files.values()) <= FEW_EDITS


@dataclass(frozen=True, slots=True)
class Seen:
    """What a build found before it read anything: sources, settings and outputs."""

    files: Listing  # content files
    # layouts, static files, site.yaml, and the other files under content/ (photos, ...)
    others: tuple[Listing, Listing, Listing, Listing]
    fingerprint: str  # of the settings
    inputs: str  # signature of all of the above
    surroundings: str  # signature of all but the content files
    outside: tuple[str, ...] = ()  # links that lead out of the site, left out
    linked: bool = False  # a link was met under content/: its files have two names


def _listed(config: Config, fingerprint: str) -> Seen:
    """Every source, listed afresh."""
    root = config.root
    outside: list[str] = []
    links: list[str] = []
    files, beside = content_listing(root, outside, links)
    layouts, static, settings = (
        walk(root, name, outside=outside) for name in (LAYOUTS_DIR, STATIC_DIR, SITE_FILE)
    )
    # The packaged theme's files count as inputs too: upgrading sitegen re-renders what changed.
    layouts, static = with_theme(layouts, LAYOUTS_DIR), with_theme(static, STATIC_DIR)
    static = static_files(config, static)  # the 繁/简 switch's script only where it is used
    others = (layouts, static, settings, beside)
    surroundings = signature(*others, extra=fingerprint)
    inputs = signature(files, extra=surroundings)
    return Seen(files, others, fingerprint, inputs, surroundings, tuple(outside), bool(links))


def _listed_again(config: Config, fingerprint: str, out: Path, opts: BuildOptions) -> Seen | None:
    """The last build's listing with the files a long-lived caller's watcher saw change
    statted again, or None (list afresh) when the caller cannot tell what changed, kept
    no listing, or a change is not one file's: a folder made, moved or removed, a layout,
    static file or setting changed, a link met. (Listing 100 000 articles took 0.35 s of
    each save.)"""
    held = opts.memory.held(config.root, fingerprint, out) if opts.memory else None
    last = getattr(held, "seen", None)
    changed = opts.changed
    if changed is None or not isinstance(last, Seen) or last.linked or last.outside:
        return None
    files, beside = dict(last.files), dict(last.others[3])
    for rel in changed:
        parts = rel.split("/")
        if parts[0] != CONTENT_DIR or len(parts) < 2:
            return None
        if any(map(is_temporary, parts)):
            continue  # never a source (see scan.walk)
        try:
            found = os.lstat(config.root / rel)
        except FileNotFoundError:
            files.pop(rel, None)
            beside.pop(rel, None)
            continue
        except OSError:
            return None
        if not S_ISREG(found.st_mode):
            return None
        listing = files if rel.endswith(".md") else beside
        listing[rel] = (found.st_mtime_ns, found.st_size)
    others = (*last.others[:3], beside)
    same = beside == last.others[3]
    surroundings = last.surroundings if same else signature(*others, extra=fingerprint)
    inputs = signature(files, extra=surroundings)
    return Seen(files, others, fingerprint, inputs, surroundings)


def top_names(out: Path) -> tuple[str, ...]:
    try:
        return tuple(sorted(os.listdir(out)))
    except OSError:
        return ()


def _outside_problem(root: Path, rel: str) -> Problem:
    target = os.path.realpath(root / rel)
    return Problem(Path(rel), f"is a link to {target}, outside the site: copy the file into the "
                   "site instead (links that lead out of it are never published)")  # fmt: skip


def _nothing_to_do(state, out, problems, opts, start) -> BuildResult | None:
    """The result of a build that has nothing to do, or None when there is work.

    Nothing to do: no source, layout, static file or setting touched (the caller compared
    `state.inputs`), and the output folder the one the last build left, with the same
    names at its top (see pipeline._intact). Its warnings are reported again all the same.
    """
    if output.manifest_id(out) != state.generation or top_names(out) != state.top:
        return None
    found = [*problems, *state.warnings]
    if opts.strict:
        found = [as_error(p) for p in found]
    seconds = time.perf_counter() - start
    return BuildResult(tuple(found), out, unchanged=state.pages, pages=state.pages, seconds=seconds)


def as_error(problem: Problem) -> Problem:
    if problem.is_error:
        return problem
    return Problem(problem.path, problem.message + " (--strict)", problem.line, "error")


def _fingerprint(config: Config, opts: BuildOptions) -> str:
    settings = repr((__version__, MARKDOWN_EXTENSIONS, config, opts.drafts))
    return hashlib.sha256(settings.encode("utf-8")).hexdigest()


def content_listing(
    root: Path, outside: list[str] | None = None, links: list[str] | None = None
) -> tuple[Listing, Listing]:
    """The Markdown files under content/, and the other files there (photos, attachments),
    in one walk, skipping hidden files and editors' temporary files (and links that lead out
    of the site, named in `outside`; links met, in `links`)."""
    everything = walk(root, CONTENT_DIR, "", outside, links)
    markdown = {rel: stat for rel, stat in everything.items() if rel.endswith(".md")}
    if len(markdown) == len(everything):
        return everything, {}
    return markdown, {rel: stat for rel, stat in everything.items() if rel not in markdown}


def default_jobs() -> int:
    return os.cpu_count() or 1
