"""build_site(root): read -> assemble -> render -> write, incrementally where it can.

The build reads every source before rendering anything (navigation and lists need the
whole site), renders only the pages whose inputs changed since the last build, stages what
it writes, and puts it in place only when nothing failed.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sitegen import __version__, output
from sitegen.bodies import BodyStore
from sitegen.cache import CACHE_DIR, BuildCache, SourceEntry, load_cache, save_cache
from sitegen.config import Config, load_config
from sitegen.content import CONTENT_DIR, Article, parse_article
from sitegen.markup import EXTENSIONS
from sitegen.problems import Problem, SiteError
from sitegen.render import make_context, make_env, render_page, template_digests
from sitegen.site import Page, Site, assemble, url_clashes

STATIC_DIR: Final = "static"
PARALLEL_FROM: Final = 200  # fewer pages than this render faster in one process
Progress = Callable[[str, int, int], None]


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

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)


@dataclass(frozen=True, slots=True)
class BuildOptions:
    strict: bool = False
    drafts: bool = False
    jobs: int = 1
    clean: bool = False
    progress: Progress | None = None


def build_site(root: Path, out: Path | None = None, **options) -> BuildResult:
    """Build the site in `root` into `out` (default root/public). Never raises for bad input."""
    opts = BuildOptions(**options)
    start = time.perf_counter()
    root = root.resolve()
    out = (out or root / "public").resolve()
    config, problems = load_config(root)
    if config is None:
        return BuildResult(tuple(problems), out)
    cache = BuildCache(_fingerprint(config, opts), str(out))
    if not opts.clean:
        cache = load_cache(root, cache.fingerprint, out)
    sources, articles = read_sources(config, cache, opts.drafts)
    problems += [p for entry in sources.values() for p in entry.problems]
    site = assemble(articles, config)
    problems += url_clashes(site)
    if opts.strict:
        problems = [_as_error(p) for p in problems]
    if any(p.is_error for p in problems):
        return BuildResult(tuple(problems), out, seconds=time.perf_counter() - start)
    result = _write_site(site, cache, out, opts)
    if result.ok:
        cache.sources = sources
        save_cache(root, cache)
    return BuildResult(
        (*problems, *result.problems), out, result.written, result.removed,
        result.unchanged, result.pages, time.perf_counter() - start, cache.warning,
    )  # fmt: skip


def check_sources(root: Path) -> list[Problem]:
    """Every problem of site.yaml and the content files, without rendering anything."""
    config, problems = load_config(root.resolve())
    if config is None:
        return problems
    sources, articles = read_sources(config, BuildCache("", ""), drafts=True)
    problems += [p for entry in sources.values() for p in entry.problems]
    return problems + url_clashes(assemble(articles, config))


def _as_error(problem: Problem) -> Problem:
    if problem.is_error:
        return problem
    return Problem(problem.path, problem.message + " (--strict)", problem.line, "error")


def _fingerprint(config: Config, opts: BuildOptions) -> str:
    settings = repr((__version__, EXTENSIONS, config, opts.drafts))
    return hashlib.sha256(settings.encode("utf-8")).hexdigest()


def content_files(root: Path) -> Iterator[Path]:
    """Markdown files under content/, skipping hidden files and editors' temporary files."""
    for path in sorted((root / CONTENT_DIR).rglob("*.md")):
        rel = path.relative_to(root)
        if not any(part.startswith((".", "#", "~")) for part in rel.parts):
            yield rel


def read_sources(
    config: Config, cache: BuildCache, drafts: bool
) -> tuple[dict[str, SourceEntry], list[Article]]:
    """Each content file's record, parsing only files whose bytes changed since last time."""
    sources: dict[str, SourceEntry] = {}
    for rel in content_files(config.root):
        key = rel.as_posix()
        info = (config.root / rel).stat()
        stat = (info.st_mtime_ns, info.st_size)
        known = cache.sources.get(key)
        if known is not None and known.stat == stat:
            sources[key] = known
            continue
        data = (config.root / rel).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if known is not None and known.digest == digest:
            sources[key] = SourceEntry(stat, digest, known.article, known.problems)
            continue
        parsed = parse_article(rel, data, digest, config)
        sources[key] = SourceEntry(stat, digest, parsed.article, parsed.problems)
    articles = [
        e.article for e in sources.values() if e.article and (drafts or not e.article.draft)
    ]
    return sources, articles


@dataclass(frozen=True, slots=True)
class _Written:
    problems: tuple[Problem, ...]
    written: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    pages: int

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)


def _write_site(site: Site, cache: BuildCache, out: Path, opts: BuildOptions) -> _Written:
    config = site.config
    env = make_env(config)
    digests = template_digests(env, {p.template for p in site.pages if p.template and
                                     p.kind not in ("feed", "sitemap")})  # fmt: skip
    previous = cache.outputs
    fresh = not previous or not out.exists()
    todo, outputs, unchanged = [], {}, 0
    for page in site.pages:
        key = page_key(page, digests)
        known = None if fresh else previous.get(page.output)
        exists = known is not None and (out / page.output).exists()
        if exists and known[0] == key:
            outputs[page.output] = known
            unchanged += 1
        else:  # render; if the bytes come out as they are on disk, nothing is written
            todo.append((page, key, known[1] if exists else None))
    staging = output.begin(out, fresh)
    try:
        rendered = _render_all(config, staging, todo, opts)
        problems = [p for _, _, _, p in rendered if p is not None]
        if any(p.is_error for p in problems):
            output.abandon(staging)
            return _Written(tuple(problems), (), (), 0, len(site.pages))
        written = [o for o, _, wrote, _ in rendered if wrote]
        outputs.update({o: e for o, e, _, _ in rendered if e is not None})
        known = {} if fresh else previous
        written += _copy_static(config.root, staging, known, outputs, out)
        if config.search:
            written += _write_search(site, staging, known, outputs, out)
        removed = sorted(set(previous) - set(outputs))
        output.commit(staging, [] if fresh else removed)
    except BaseException:
        output.abandon(staging)
        raise
    cache.outputs = outputs
    BodyStore(config.root, _bodies_dir(config), "").prune({a.digest for a in site.articles})
    return _Written((), tuple(sorted(written)), tuple(removed), unchanged, len(site.pages))


def page_key(page: Page, template_digests: dict[str, str]) -> str:
    """What a page is made from: its record (articles by path and digest) and its layout."""
    parts = [
        page.kind, page.url, page.title, page.template or "", page.target or "",
        template_digests.get(page.template or "", ""), repr(page.pager), repr(page.months),
        repr(page.year), repr(page.month), repr(page.breadcrumbs), "\0".join(page.children),
    ]  # fmt: skip
    involved = [page.article, page.previous, page.next, *page.entries]
    involved += [a for _, group in page.groups for a in group]
    parts += [f"{a.path.as_posix()}:{a.digest}" if a else "-" for a in involved]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def _bodies_dir(config: Config) -> Path:
    # Bodies depend on the Markdown settings, which change only with sitegen's version.
    tag = hashlib.sha256(repr((__version__, EXTENSIONS)).encode()).hexdigest()[:8]
    return config.root / CACHE_DIR / f"bodies-{tag}"


# Each pool worker process holds one _Renderer, made by _start_worker; nothing else is
# kept at module level, and the parent process never sets it.
_WORKER: _Renderer | None = None


class _Renderer:
    def __init__(self, config: Config, staging: output.Staging) -> None:
        self.env = make_env(config)
        self.context = make_context(config)
        self.bodies = BodyStore(config.root, _bodies_dir(config), self.context.labels["body"])
        self.staging = staging

    def render(self, page: Page, key: str, previous_sha: str | None):
        """(output, (key, sha) or None, whether it was written, problem or None)."""
        try:
            data = render_page(self.env, self.context, page, self.bodies)
        except SiteError as exc:
            return page.output, None, False, exc.problem
        sha = hashlib.sha256(data).hexdigest()
        if sha == previous_sha:  # same bytes as the file already in place: leave it alone
            return page.output, (key, sha), False, None
        self.staging.write(page.output, data)
        return page.output, (key, sha), True, None

    def render_chunk(self, chunk):
        return [self.render(*item) for item in chunk]


def _start_worker(config: Config, staging: output.Staging) -> None:
    global _WORKER
    _WORKER = _Renderer(config, staging)


def _work(chunk):
    assert _WORKER is not None
    return _WORKER.render_chunk(chunk)


def _render_all(config: Config, staging: output.Staging, todo, opts: BuildOptions) -> list:
    # Feeds read the bodies that article pages store, so they come after them.
    first = [t for t in todo if t[0].kind != "feed"]
    last = [t for t in todo if t[0].kind == "feed"]
    jobs = max(1, opts.jobs)
    if jobs == 1 or len(todo) < PARALLEL_FROM:
        renderer = _Renderer(config, staging)
        return [renderer.render(*item) for item in first + last]
    size = max(8, min(256, len(first) // (jobs * 8) or 1))
    results = []
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs, _start_worker, (config, staging)) as pool:
        for phase in (first, last):
            chunks = [phase[i : i + size] for i in range(0, len(phase), size)]
            for done in pool.imap(_work, chunks):
                results += done
                if opts.progress:
                    opts.progress("render", len(results), len(todo))
    return results


def _copy_static(root: Path, staging, previous, outputs, out: Path) -> list[str]:
    folder = root / STATIC_DIR
    written = []
    if not folder.is_dir():
        return written
    for source in sorted(folder.rglob("*")):
        if not source.is_file() or source.name.startswith("."):
            continue
        rel = (Path(STATIC_DIR) / source.relative_to(folder)).as_posix()
        data = source.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        outputs[rel] = ("static", sha)
        if previous.get(rel, ("", ""))[1] == sha and (out / rel).exists():
            continue
        staging.write(rel, data)
        written.append(rel)
    return written


def _write_search(site: Site, staging: output.Staging, previous, outputs, out: Path) -> list[str]:
    """The search index, made again only when an article, or the site's settings, changed."""
    from sitegen.search import SearchDoc, write_index

    parts = [repr(site.config)] + [f"{a.path.as_posix()}:{a.digest}" for a in site.articles]
    key = "search:" + hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()
    old = {o: e for o, e in previous.items() if e[0] == key}
    if old and all((out / o).exists() for o in old):
        outputs.update(old)
        return []
    context = make_context(site.config)
    bodies = BodyStore(site.config.root, _bodies_dir(site.config), context.labels["body"])
    docs = (
        SearchDoc(context.url(a.url), a.title, a.date.strftime("%Y-%m-%d"), a.category,
                  context.category_name(a.category), bodies.get(a).text)
        for a in site.articles
    )  # fmt: skip
    written = []
    for path in write_index(docs, staging.folder):
        rel = path.relative_to(staging.folder).as_posix()
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        outputs[rel] = (key, sha)
        if previous.get(rel, ("", ""))[1] == sha and (out / rel).exists():
            path.unlink()  # same bytes as the file in place: leave that one alone
        else:
            written.append(rel)
    return written


def default_jobs() -> int:
    return os.cpu_count() or 1
