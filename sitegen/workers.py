"""Work spread over processes: parsing changed sources, rendering pages, indexing blocks.

The pool is forked early, before the parent has read the site, so the workers start
small; they receive sources and pages in chunks and write rendered files themselves.
Bodies they render go back to the parent, the one writer of the body store.
Each worker process keeps one `_Worker` (its Jinja environment, Markdown converter and
body store) in `_WORKER`, set by the pool's initializer; the parent never sets it.
"""

from __future__ import annotations

import gc
import hashlib
import os
import signal
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Final

from sitegen.bodies import BodyStore, ConvertedBodies, body_store
from sitegen.cache import SourceEntry
from sitegen.config import Config
from sitegen.content import parse_article
from sitegen.forked import end_with
from sitegen.output import Staging
from sitegen.problems import Problem, SiteError
from sitegen.render import make_context, make_env, render_page
from sitegen.scripts import converter_of
from sitegen.site import Page

PARALLEL_FROM: Final = 200  # fewer items than this are done faster in one process
Progress = Callable[[str, int, int], None]
# (output, (key, sha) or None when it failed, (mtime_ns, size) if it was written, problem)
Rendered = tuple[str, tuple[str, str] | None, tuple[int, int] | None, Problem | None]
# (path relative to the root, (mtime_ns, size), digest the cache knows or None)
SourceTask = tuple[Path, tuple[int, int], str | None]


class _Worker:
    def __init__(self, config: Config) -> None:
        self.config = config
        self._store: BodyStore | None = None
        self._renderers: dict[str, tuple] = {}  # by page.script: (env, context, bodies)

    def parse(self, task: SourceTask) -> SourceEntry | str:
        """A changed file's entry, or just its digest when its bytes are what the cache knows."""
        rel, stat, known_digest = task
        try:
            data = (self.config.root / rel).read_bytes()
        except OSError as exc:  # removed or made unreadable since it was listed
            problem = Problem(rel, f"cannot be read ({exc.strerror}): check the file")
            return SourceEntry(stat, "", None, (problem,))
        digest = hashlib.sha256(data).hexdigest()
        if digest == known_digest:
            return digest
        try:
            parsed = parse_article(rel, data, digest, self.config)
        except Exception as exc:
            exc.add_note(f"while reading {rel.as_posix()}")
            raise
        return SourceEntry(stat, digest, parsed.article, parsed.problems)

    def _renderer(self, script: str) -> tuple:
        """The layouts, their `site` and the bodies for the pages of `script` (a site in two
        scripts renders the second's pages with their own, and converted bodies)."""
        found = self._renderers.get(script)
        if found is None:
            env = make_env(self.config, script)
            context = env.globals["site"]  # the layouts' `site`: one URL cache, not two
            if self._store is None:
                self._store = body_store(self.config, make_context(self.config).labels["body"])
            bodies = self._store
            if script:
                bodies = ConvertedBodies(self._store, converter_of(self.config))
            found = self._renderers[script] = (env, context, bodies)
        return found

    def render(self, staging: Staging, page: Page, key: str, previous_sha: str | None) -> Rendered:
        env, context, bodies = self._renderer(page.script)
        try:
            data = render_page(env, context, page, bodies)
        except SiteError as exc:
            return page.output, None, None, exc.problem
        except Exception as exc:
            source = f" from {page.article.path}" if page.article else ""
            exc.add_note(f"while making {page.output}{source}")
            raise
        sha = hashlib.sha256(data).hexdigest()
        if sha == previous_sha:  # the same bytes as the file in place: leave it alone
            return page.output, (key, sha), None, None
        return page.output, (key, sha), staging.write(page.output, data), None

    def take_made(self) -> list[tuple[str, str, str | None]]:
        return self._store.take_made() if self._store is not None else []

    def close(self) -> None:
        # The parent forks a new pool for each build; no database connection may cross it.
        if self._store is not None:
            self._store.close()
            self._store = None
            self._renderers = {}


_WORKER: _Worker | None = None


def _start(config: Config, parent: int) -> None:
    global _WORKER
    # A build killed by kill -9 takes its workers with it: left alone, each went on to its
    # next result, found the pipe to the build broken, and printed two tracebacks.
    end_with(parent)
    gc.enable()  # forked from a build that paused it; rendering can leave cycles behind
    # Ctrl+C reaches the whole process group: only the parent answers it (and SIGTERM, which
    # `serve` turns into an interrupt), so a worker prints no traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked by the parent's fork
    _WORKER = _Worker(config)


def _parse_chunk(chunk: list[SourceTask]) -> list[SourceEntry | str]:
    assert _WORKER is not None
    return [_WORKER.parse(task) for task in chunk]


def _render_chunk(job: tuple[Staging, list]) -> tuple[list[Rendered], list]:
    assert _WORKER is not None
    staging, chunk = job
    return [_WORKER.render(staging, *item) for item in chunk], _WORKER.take_made()


class Workers:
    """A pool of `jobs` processes when there is enough work for one, else the caller itself.

    The pool is forked at once when `expected_items` says it will be needed, while the
    parent is still small; otherwise only if a call brings enough work after all (a late
    fork shares more of the parent's memory, but only rare builds need one).
    """

    def __init__(self, config: Config, jobs: int, expected_items: int) -> None:
        self._local = _Worker(config)
        self._pool = None
        self.jobs = max(1, jobs)
        if expected_items >= PARALLEL_FROM:
            self._pool_for(expected_items)

    def _pool_for(self, items: int):
        """The pool if `items` are worth spreading over processes, forked if need be."""
        if self._pool is None and self.jobs > 1 and items >= PARALLEL_FROM:
            import multiprocessing  # (5 ms of every edit's start, which needs no pool)

            context = multiprocessing.get_context("fork")
            # Ctrl+C held back while the workers fork: one arriving before a worker ignores
            # it would raise in the Python code that runs first in the child (logging's
            # after-fork hook) and print a traceback. Here it is answered once forked.
            blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                self._pool = context.Pool(self.jobs, _start, (self._local.config, os.getpid()))
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        return self._pool if items >= PARALLEL_FROM else None

    @property
    def forked(self) -> bool:
        """Whether the worker processes run (else the work is done in this process)."""
        return self._pool is not None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Let the worker processes go (a later call that needs them forks them again).

        A build calls it once the last block of the search index is made: what remains,
        the manifest and the record, runs in this process, and at 300 000 articles the two
        idle workers held 220 MB at that peak."""
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            # The pool's __del__ runs Python code: a Ctrl+C landing in it would be printed
            # as an ignored exception, with a traceback, and lost. Held back while the pool
            # goes, it is answered right after.
            blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                self._pool = None
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def _chunks(self, items: list) -> list[list]:
        size = max(8, min(256, len(items) // (self.jobs * 8) or 1))
        return [items[i : i + size] for i in range(0, len(items), size)]

    def parse(self, tasks: list[SourceTask]) -> list[SourceEntry | str]:
        pool = self._pool_for(len(tasks))
        if pool is None:
            return [self._local.parse(task) for task in tasks]
        return [entry for done in pool.imap(_parse_chunk, self._chunks(tasks))
                for entry in done]  # fmt: skip

    def map(self, function: Callable, items: Iterable) -> Iterable:
        """function(item) for each item, in order, spread over the pool (each item is a
        large piece of work, such as a block of the search index)."""
        pool = self._pool_for(PARALLEL_FROM)
        if pool is None:
            return map(function, items)
        return pool.imap(function, items)

    def render(self, staging: Staging, todo: list, progress: Progress | None) -> list[Rendered]:
        # Feeds read the bodies that article pages store, so they come after them.
        phases = (
            [t for t in todo if t[0].kind != "feed"],
            [t for t in todo if t[0].kind == "feed"],
        )
        results: list[Rendered] = []
        pool = self._pool_for(len(todo))  # forked before the body store is opened here
        with body_store(self._local.config) as store:
            for phase in phases:
                if pool is None:
                    done_chunks = (self._render_here(staging, chunk)
                                   for chunk in self._chunks(phase))  # fmt: skip
                else:
                    jobs = [(staging, chunk) for chunk in self._chunks(phase)]
                    done_chunks = pool.imap(_render_chunk, jobs)
                for done, made in done_chunks:
                    store.save(made)  # the one writer: workers only read the store
                    results += done
                    if progress and len(todo) >= PARALLEL_FROM:
                        progress("render", len(results), len(todo))
        self._local.close()
        return results

    def _render_here(self, staging: Staging, chunk: list) -> tuple[list[Rendered], list]:
        return [self._local.render(staging, *item) for item in chunk], self._local.take_made()
