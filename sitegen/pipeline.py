"""A build with work to do: read -> assemble -> render -> write, incrementally where it can.

`build_site` (sitegen/entry.py, also importable from here) lists the sources and calls
`rebuild` when anything changed. The build reads every source before rendering anything
(navigation and lists need the whole site), renders only the pages whose inputs changed
since the last build, stages what it writes, and puts it in place only when nothing failed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from functools import partial
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from sitegen import assets, output, patch
from sitegen.bodies import BodyStore
from sitegen.bundles import Listed, article_folders, resolve
from sitegen.cache import (
    CACHE_DIR,
    BuildCache,
    QuickState,
    SourceEntry,
    last_build_time,
    load_cache,
    save_cache,
    save_state,
    sweep_temporaries,
    with_shared_values,
)  # fmt: skip
from sitegen.config import Config, load_config
from sitegen.content import Article

# The build's first steps, which a build with nothing to do stops after (and the names other
# modules and tests know from here).
from sitegen.entry import STATIC_DIR, BuildOptions, BuildResult, Seen, as_error, top_names
from sitegen.entry import build_site as build_site
from sitegen.entry import content_listing as content_listing
from sitegen.entry import default_jobs as default_jobs
from sitegen.forked import ChildFailed, Companion, Pending, beside
from sitegen.problems import Problem
from sitegen.render import (
    layouts_cache_name,
    make_context,
    make_env,
    template_digests,
)
from sitegen.scan import Listing, walk
from sitegen.scripts import with_scripts
from sitegen.site import Page, Site, assemble, url_clashes, with_files
from sitegen.theme import source_of, with_theme
from sitegen.workers import SourceTask, Workers, bodies_path, body_store

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from sitegen.search import Layout, SearchDoc

FEW_EDITS: Final = 16  # articles saved since the last build that one process rebuilds sooner


def rebuild(
    config: Config, problems: list[Problem], out: Path, opts: BuildOptions, start: float,
    seen: Seen,
) -> BuildResult:  # fmt: skip
    root, files, others, fingerprint = config.root, seen.files, seen.others, seen.fingerprint
    save_state(root, out, None)  # until this build has finished
    sweep_temporaries(root / CACHE_DIR)  # a killed build's
    # Workers fork before the cache is read, so that they do not each count its memory;
    # after a few edits none are forked unless the work turns out large.
    few = not opts.clean and _few_edits_since(last_build_time(root, out), files, others)
    warmed = _warmed(opts)  # before this build's talk with the indexer begins
    with (
        _SearchIndex(config, files, few, opts.indexer) as search,
        Workers(config, opts.jobs, 0 if few else 2 * len(files)) as workers,
    ):
        cache = _last_record(root, out, fingerprint, opts)
        if opts.keep is not None:
            opts.keep.append(cache.outputs)  # replaced by the new record when it is written
        live = _live_manifest(cache, out)
        if cache.outputs and (live is None or cache.generation != live.id):
            cache.outputs = {}  # the folder is not the one this cache describes: write it whole
            cache.warning = f"{out} is not as the last build left it (was a build stopped?)"
        intact = _intact(out, cache, opts.verify)
        fresh = not cache.outputs or live is None or not out.is_dir()  # as output.begin says
        token = _index_token(cache, intact, warmed)
        search.prepare((cache.outputs, intact), (out, fresh), token)
        edited = _edited_since(cache, files)
        sources, articles = read_sources(config, cache, opts.drafts, workers, files, edited)
        problems += [p for entry in sources.values() for p in entry.problems]
        found = output.foreign_files(out, live, full=opts.verify or not cache.outputs)
        patched = _patched(cache, (sources, edited), seen, found, opts)
        # The index is made of the articles, not the pages: sent before the site is made.
        search.send(articles, workers, patched.edited if patched else None)
        made = patched or _assembled(config, (articles, sources), cache, seen, found,
                                     (workers, out))  # fmt: skip
        site, prepared = made.site, made.prepared
        problems += [*prepared.problems, *made.clashes]
        if opts.strict:
            problems = [as_error(p) for p in problems]
        if any(p.is_error for p in problems):
            return BuildResult(tuple(problems), out, seconds=time.perf_counter() - start)
        result = _write_site(made, cache, (out, live), opts, (workers, search), intact,
                             (files, others[1], found))  # fmt: skip
    if result.ok:
        if opts.published is not None:
            opts.published()
        if not cache.sources:  # a full build: caches kept for other settings are stale
            _remove_other_caches(config)
            assets.prune(config, out)
        _prune_bodies(config, cache.sources, sources, (site, edited))
        cache.sources, cache.plan = sources, made.plan
        parts = save_cache(root, cache, edited)
        if opts.memory is not None:
            opts.memory.keep(root, cache, parts, _held(made, cache, (seen, found), result))
            if result.index_token is None:
                _warm_indexer(config, opts, (cache, seen.files), site.articles)
        warnings = tuple(p for p in problems if not p.is_error)
        generation = cache.generation or ""
        state = QuickState(seen.inputs, generation, top_names(out), result.pages, warnings)
        save_state(root, out, state)
    if opts.keep is not None:
        opts.keep.append((cache, site, sources))
    return BuildResult(
        (*problems, *result.problems), out, result.written, result.removed,
        result.unchanged, result.pages, time.perf_counter() - start, cache.warning,
        kept=result.kept, set_aside=result.set_aside, files_written=result.files_written,
    )  # fmt: skip


@dataclass(slots=True)
class _Made:
    """The site to write, and what the build found out making it."""

    site: Site
    prepared: assets.Prepared
    clashes: tuple[Problem, ...]
    plan: str
    keys: _Kept | None  # see _keys_kept
    touched: frozenset[int] | None = None  # patched: the only pages whose key can change
    edited: tuple[Article, ...] = ()  # patched: the articles put in
    # The pages and files the site makes: the last build's when patched, else made by
    # _write_site (210 000 names at 100 000 articles: 0.03 s).
    claimed: frozenset[str] | None = None


def _assembled(
    config: Config, read: tuple[list[Article], dict[str, SourceEntry]], cache: BuildCache,
    seen: Seen, found: frozenset[str], where: tuple[Workers, Path],
) -> _Made:  # fmt: skip
    """The site made from the articles: its pages, their files and second script, checked."""
    (articles, sources), (workers, out), others = read, where, seen.others
    site = assemble(articles, config)
    listed = Listed(others[3], others[1], article_folders(seen.files))
    prepared = assets.prepare(config, site.articles, listed, workers.map, out)
    site = with_scripts(with_files(site, prepared.files))  # issue 16: sitegen/scripts.py
    plan, keys = _keys_kept(cache, sources, site, seen.surroundings)
    claims = _claimed_files(others[1], found, prepared.published)
    clashes = tuple(url_clashes(site, claims, _reserved(config)))
    return _Made(site, prepared, clashes, plan, keys)


def _edited_since(cache: BuildCache, files: Listing) -> frozenset[str] | None:
    """The content files added, touched or gone since the last build, when a long-lived
    builder kept its listing (None otherwise): the sets' difference is a C loop, where
    comparing 100 000 files' records one by one took 0.15 s of each save."""
    held = cache.held
    if not isinstance(held, patch.Held):
        return None
    last = held.seen.files  # (the listing cache.sources was read from: they were kept together)
    changed = {rel for rel, _ in files.items() - last.items()}
    return frozenset(changed.union(last.keys() - files.keys()))


def _patched(
    cache: BuildCache, read: tuple[dict[str, SourceEntry], frozenset[str] | None], seen: Seen,
    found: frozenset[str], opts: BuildOptions,
) -> _Made | None:  # fmt: skip
    """The last build's site with the edited articles' records, when a long-lived builder
    kept it and nothing else can have changed (see sitegen/patch.py)."""
    held, (sources, edited) = cache.held, read
    if not isinstance(held, patch.Held) or edited is None or opts.verify or not cache.outputs:
        return None
    got = patch.patched(held, (cache.sources, sources), edited, (seen.surroundings, found),
                        opts.drafts)  # fmt: skip
    if got is None:
        return None
    return _Made(got.site, held.prepared, held.clashes, held.plan, None, got.pages, got.edited,
                 held.claimed)  # fmt: skip


def _held(
    made: _Made, cache: BuildCache, found: tuple[Seen, frozenset[str]], written: _Written
) -> patch.Held:
    """What a long-lived builder keeps of this build for the next (see _patched)."""
    token, out = written.index_token, Path(cache.out)
    assert written.manifest is not None, "written by _write_site"
    live = (dataclasses.replace(written.manifest, files=frozenset(cache.outputs)),
            output.manifest_token(out))  # fmt: skip
    if made.touched is not None:  # the same pages in the same places: where stands
        seen = found[0]
        return dataclasses.replace(cache.held, site=made.site, index_token=token, seen=seen,
                                   live=live)  # fmt: skip
    assert made.claimed is not None, "set by _write_site"
    held = patch.hold(made.site, found, (made.prepared, made.claimed), made.clashes, made.plan,
                      token)  # fmt: skip
    return dataclasses.replace(held, live=live)


def _live_manifest(cache: BuildCache, out: Path) -> output.Manifest | None:
    """The output folder's manifest: the one a long-lived builder kept, while the file is
    the one it wrote (reading that of 100 000 articles took 0.08 s of each save)."""
    held = cache.held
    if isinstance(held, patch.Held) and held.live is not None:
        manifest, token = held.live
        if token is not None and output.manifest_token(out) == token:
            return manifest
    return output.read_manifest(out)


def _index_token(cache: BuildCache, intact: Container[str], warmed: str | None) -> str | None:
    """The token of the resident indexer's index, if the live site holds it (see
    resident_indexer): the last build's, or the one it made of the live site after that
    build (`warmed`: see _warm_indexer)."""
    held = cache.held
    if isinstance(held, patch.Held) and cache.outputs and _META_FILE in intact:
        return held.index_token or warmed
    return None


def _warm_indexer(
    config: Config, opts: BuildOptions, record: tuple[BuildCache, Listing],
    articles: Iterable[Article],
) -> None:  # fmt: skip
    """Have the resident indexer index the site just built, while the builder waits for
    the next save, when this build's index was not its own (serve's first build, one of
    many changes): so that the next edit is spliced into an index it holds. (Otherwise the
    first edit after `serve` starts waited for every article to be indexed: 2.5 s at
    100 000.) Its answer is taken by the next build (_warmed)."""
    memory, indexer = opts.memory, opts.indexer
    if memory is None or indexer is None or not config.search:
        return
    cache, sources = record
    folder = Path(tempfile.mkdtemp(prefix=_SEARCH_TEMP, dir=config.root / CACHE_DIR))
    resident = _Resident.start(indexer, config, folder)
    if resident is None:
        shutil.rmtree(folder, ignore_errors=True)
        return
    held = _search_record(cache.outputs, cache.outputs)  # every output as just written
    resident.send((held, cache.out, sources, True), True)  # (laid out even if unchanged)
    resident.send(_search_rows(articles))
    memory.warming = (resident, folder)


def _warmed(opts: BuildOptions) -> str | None:
    """The token of the index the resident indexer made of the live site after the last
    build (see _warm_indexer), once it is done: None if there is none, or if its files are
    not the live site's, byte for byte (then it wrote some)."""
    memory = opts.memory
    warming = memory.warming if memory is not None else None
    if warming is None:
        return None
    memory.warming, (resident, folder) = None, warming
    try:
        answer = resident.result()
    except ChildFailed:
        return None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    written, _, _, token = answer
    return None if written else token


def _last_record(root: Path, out: Path, fingerprint: str, opts: BuildOptions) -> BuildCache:
    """The last build's record: none for a clean build, else the one the caller kept in
    memory, if it is still the one on disk, else the one on disk."""
    if opts.clean:
        return BuildCache(fingerprint, str(out))
    kept = opts.memory.take(root, fingerprint, out) if opts.memory is not None else None
    return kept if kept is not None else load_cache(root, fingerprint, out)


class _UnderTop:
    """The recorded outputs taken as they are: those whose top-level folder (or file) is
    still in the output folder (a section deleted by hand is written again)."""

    def __init__(self, out: Path) -> None:
        self._top = frozenset(top_names(out))

    def __contains__(self, output: str) -> bool:
        return output.partition("/")[0] in self._top


def _intact(out: Path, cache: BuildCache, verify: bool) -> _UnderTop | set[str]:
    """The outputs that are as the last build left them, for the pages whose key did not
    change to be left alone.

    By default the record is trusted: the output folder carries the manifest the last
    build wrote (else the cache's outputs were dropped), so only a top-level name deleted
    by hand is noticed. Statting every output instead cost a no-change rebuild 0.6 s at
    100 000 articles. `verify` reads every output and compares its digest with the record
    (some seconds per 10 000 articles): what a file edited or deleted by hand deep in the
    folder needs.
    """
    if not verify:
        return _UnderTop(out)
    from concurrent.futures import ThreadPoolExecutor  # (6 ms that a plain build does without)

    names = list(cache.outputs)
    with ThreadPoolExecutor(2) as pool:  # reading and hashing let go of the interpreter lock
        digests = pool.map(partial(_digest_of, out), names, chunksize=256)
        return {o for o, sha in zip(names, digests, strict=True) if sha == cache.outputs[o][1]}


def _digest_of(out: Path, rel: str) -> str | None:
    try:
        return hashlib.sha256((out / rel).read_bytes()).hexdigest()
    except OSError:
        return None


def _claimed_files(
    static: Listing, kept: Iterable[str], published: dict[str, assets.Published]
) -> dict[str, str]:
    """Outputs besides the pages, each with who claims it (for clash messages)."""
    claims = {rel: f"the file {rel}" for rel in static}
    claims.update({o: f"the file {p.claim}" for o, p in published.items()})
    claims[output.MANIFEST] = "sitegen's manifest of the output folder"
    claims.update({rel: f"{rel}, a file in the output folder that sitegen did not make"
                   for rel in kept})  # fmt: skip
    return claims


def _reserved(config: Config) -> dict[str, str]:
    return {"search/": "the search index (search/)"} if config.search else {}


def _few_edits_since(since: int | None, files: Listing, others: tuple[Listing, ...]) -> bool:
    """Whether, by modification times, no more than FEW_EDITS articles and no layout, static
    file or setting changed since the last build: an editor's save, not a checkout. (A
    guess, for speed only: forking the workers costs a small rebuild 0.02 s.)"""
    if since is None or any(stat[0] > since for listing in others for stat in listing.values()):
        return False
    return sum(stat[0] > since for stat in files.values()) <= FEW_EDITS


def check_sources(root: Path) -> list[Problem]:
    """Every problem of site.yaml and the content files, without rendering anything."""
    config, problems = load_config(root.resolve())
    if config is None:
        return problems
    files, beside = content_listing(config.root)
    with Workers(config, 1, 0) as workers:
        sources, articles = read_sources(config, BuildCache("", ""), True, workers, files)
    problems += [p for entry in sources.values() for p in entry.problems]
    static = with_theme(walk(config.root, STATIC_DIR), STATIC_DIR)
    listed = Listed(beside, static, article_folders(files))
    for article in articles:  # files the bodies name (photos are checked by the build)
        problems += resolve((article.path, article.url), article.references, listed, {})[1]
    return problems + url_clashes(assemble(articles, config))


def read_sources(
    config: Config, cache: BuildCache, drafts: bool, workers: Workers, files: Listing,
    edited: frozenset[str] | None = None,
) -> tuple[dict[str, SourceEntry], list[Article]]:  # fmt: skip
    """Each content file's record, parsing only files whose bytes changed since last time.
    (`edited`: the files added, touched or gone since the cache's entries were read, when
    the caller knows them: the others are not looked at.)"""
    if edited is None:
        sources: dict[str, SourceEntry] = {}
        for rel, stat in files.items():
            known = cache.sources.get(rel)
            if known is not None and known.stat == stat:
                sources[rel] = known
        looked_at: Iterable[str] = files
    else:
        sources = dict(cache.sources)
        for rel in edited - files.keys():
            del sources[rel]
        looked_at = sorted(edited.intersection(files))
    tasks: list[SourceTask] = []
    for rel in looked_at:
        known, stat = cache.sources.get(rel), files[rel]
        if known is None or known.stat != stat:
            tasks.append((Path(rel), stat, known.digest if known else None))
    for (rel, stat, _), entry in zip(tasks, workers.parse(tasks), strict=True):
        if isinstance(entry, str):  # touched but unchanged: keep what the cache knows
            known = cache.sources[rel.as_posix()]
            entry = SourceEntry(stat, entry, known.article, known.problems)
        else:
            entry = with_shared_values(entry, cache.shared)
        sources[rel.as_posix()] = entry  # (in its place, if the file was there before)
    if len(sources) != len(cache.sources) or edited is None:
        sources = dict(sorted(sources.items()))
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
    kept: tuple[str, ...] = ()
    set_aside: tuple[str, ...] = ()  # "output -> where it went" for files not sitegen's
    files_written: int = 0  # files of article folders and photos' copies
    index_token: str | None = None  # the resident indexer's (see resident_indexer)
    manifest: output.Manifest | None = None  # as written, but for its files (see output.commit)

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)


def _write_site(
    made: _Made, cache: BuildCache, where: tuple[Path, output.Manifest | None],
    opts: BuildOptions, helpers: tuple[Workers, _SearchIndex], intact: Container[str],
    found: tuple[Listing, Listing, frozenset[str]],
) -> _Written:  # fmt: skip
    site, keys, touched, published = made.site, made.keys, made.touched, made.prepared.published
    config = site.config
    out, live = where
    workers, search = helpers
    sources, static, kept = found
    previous = cache.outputs
    fresh = not previous
    aside = config.root / CACHE_DIR / "set-aside" / time.strftime("%Y%m%d-%H%M%S")
    if made.claimed is None:
        made.claimed = frozenset(site.outputs) | frozenset(static) | frozenset(published)
    claimed = output.Claimed(made.claimed, ("search/",), aside)
    staging = output.begin(out, live, fresh, kept, claimed)
    # Only what the live manifest says sitegen wrote is ever removed (the cache is a hint).
    ours = live.files if live is not None and not fresh else frozenset()
    if touched is None:  # (a patched site makes the outputs the last one made)
        # Outputs gone go first: a file may stand where a new page needs a folder. (Set
        # differences: C loops over the 210 000 outputs of 100 000 articles, not Python ones.)
        stale = previous.keys() - claimed.outputs  # the index's files too
        gone = sorted(o for o in stale if not o.startswith("search/"))
        staging.remove(o for o in gone if o in ours)
    patched = _touched_pages(site, previous, intact, touched) if touched is not None else None
    todo, outputs, unchanged = patched or _pages_to_render(site, previous, intact, keys)
    rendered = workers.render(staging, todo, opts.progress)
    problems = [p for _, _, _, p in rendered if p is not None]
    if any(p.is_error for p in problems):
        # The live site was never touched; the spare, left without a manifest, is made
        # again from it by the next build.
        return _Written(tuple(problems), (), (), 0, len(site.pages))
    written = [o for o, _, stat, _ in rendered if stat is not None]
    outputs.update({o: e for o, e, _, _ in rendered if e is not None})
    # Let go of the work lists (210 000 pages at 100 000 articles): the search index, made
    # next in a clean build, reuses their memory instead of adding to the peak.
    del todo, rendered
    written += _copy_static(config.root, static, staging, previous, outputs, intact)
    files = _copy_files(published, "file", staging, previous, outputs, intact)
    written += files
    index = search.result(staging)
    workers.close()  # the last of their work: only this process's own is left
    written += index.written
    _record_index(outputs, index, previous, holding=patched is not None)
    if patched is not None and not index.whole:  # only index files can have gone
        removed = sorted(o for o, entry in index.entries.items() if entry is None and o in ours)
    else:
        removed = sorted(o for o in previous.keys() - outputs.keys() if o in ours)
    manifest = output.commit(staging, written, removed, outputs)
    cache.generation = manifest.id
    cache.outputs = outputs
    new = kept - staging.live.kept if staging.live else kept
    aside = tuple(
        f"{o} -> {(claimed.aside / o).relative_to(config.root)}" for o in staging.set_aside
    )
    return _Written((), tuple(sorted(written)), tuple(removed), unchanged, len(site.pages),
                    tuple(sorted(new)), aside, len(files), index.token, manifest)  # fmt: skip


def _record_index(outputs: dict, index: _Indexed, previous: dict, holding: bool) -> None:
    """Put the index files' record into `outputs`, which holds the last build's (`holding`:
    a patched site's) or none of it."""
    if index.whole == holding:
        search = [(o, e) for o, e in previous.items() if o.startswith(_INDEX_FILES)]
        if holding:  # the whole new record replaces it
            for rel, _ in search:
                del outputs[rel]
        else:  # the changes are to it
            outputs.update(search)
    outputs.update(index.entries)
    for rel in [o for o, entry in index.entries.items() if entry is None]:
        del outputs[rel]


class _SearchIndex:
    """The search index's part of a build.

    When the build is to work in this process alone (an edit: `alone`), the index is made
    in a forked child while this process reads and checks the site and renders the pages:
    an edit's re-indexing (0.2 s at 10 000 articles, 1.4 s at 100 000) then takes the
    second core. The child starts before the last build's record is loaded, and imports
    numpy and readies its tables meanwhile (0.06 s); `prepare` hands it the record of the
    index files once it is loaded, and `send` the articles as soon as they are read: the
    child indexes while this process assembles the site (0.65 s at 100 000 articles).
    (Started any later, it shares the record's memory with this process, and each page of
    it that this process then touches is copied: assembling 10 000 articles took twice as
    long.) It writes into a folder of its own under .sitegen-cache/ (the spare tree is not
    ready yet), whose files are moved into the spare when the result is asked for.
    Otherwise, or if the child fails, the index is made here then.

    A resident indexer (`serve`'s) that made the index the live site holds is sent only
    the articles an edit changed, when the site was patched (see resident_indexer).
    """

    def __init__(
        self, config: Config, sources: Listing, alone: bool, indexer: Companion | None = None
    ) -> None:
        self._config, self._sources = config, sources
        self._ready: tuple | None = None  # see prepare
        self._articles: list[Article] | None = None  # see send
        self._mapper: Callable = map
        self._pending: Pending | _Resident | None = None
        self._folder: Path | None = None
        self._base: str | None = None  # the resident's index that the live site holds
        if config.search and alone:
            self._start(config.root / CACHE_DIR, indexer)

    def _start(self, cache: Path, indexer: Companion | None) -> None:
        for stale in cache.glob(f"{_SEARCH_TEMP}*"):  # a killed build's (builds take a lock)
            shutil.rmtree(stale, ignore_errors=True)
        cache.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=_SEARCH_TEMP, dir=cache))
        if indexer is not None:
            self._pending = _Resident.start(indexer, self._config, folder)
        else:
            self._pending = beside(_search_child, self._config, self._sources, folder, fed=True)
        if self._pending is None:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            self._folder = folder

    def prepare(
        self, record: tuple[dict, Container[str]], where: tuple[Path, bool], base: str | None
    ) -> None:
        """The last build's outputs and those intact; the output folder and whether the
        spare starts empty; the token of the resident indexer's index if the live site
        holds it. (Sent to the child while the site is read and assembled; to a resident
        indexer that may be sent an edit's articles alone, once the site is read.)"""
        if not self._config.search:
            return
        self._ready = (record, where)
        if isinstance(self._pending, _Resident) and base is not None:
            self._base = base
        elif self._pending is not None:
            self._send_record()

    def _send_record(self) -> None:
        assert self._pending is not None and self._ready is not None
        (outputs, intact), (out, fresh) = self._ready
        # A resident indexer is sent the listing too (a forked child has it already).
        sources = self._sources if isinstance(self._pending, _Resident) else None
        record = _search_record(outputs, intact)
        self._pending.send((record, None if fresh else str(out), sources, False), True)

    def send(
        self, articles: list[Article], workers: Workers, changed: tuple[Article, ...] | None
    ) -> None:
        """The articles, once read (in the order of their paths), and the workers, which
        index the blocks if they were forked to read them after all (a child cannot use
        them; workers forked later, to render, leave the child at work). `changed`: the
        articles edited, when they are all that changed (see _patched)."""
        if not self._config.search:
            return
        self._articles, self._mapper = articles, workers.map
        if self._pending is not None and workers.forked:
            self._pending.cancel()
            self._pending = None
        elif self._pending is not None and self._base is not None and changed is not None:
            (_, _), (out, fresh) = self._ready
            sizes = {a.path: self._sources[a.path] for a in changed}
            self._pending.send(("edited", self._base, None if fresh else str(out), sizes), True)
            self._pending.send(_search_rows(changed))
        elif self._pending is not None:
            if self._base is not None:
                self._send_record()  # held back for an edit's articles alone
            self._pending.send(_search_rows(articles))

    def result(self, staging: output.Staging) -> _Indexed:
        if not self._config.search:
            return _Indexed([], {})
        assert self._ready is not None and self._articles is not None, "prepare, send, result"
        record, (_, fresh) = self._ready
        if self._pending is not None:
            pending, self._pending = self._pending, None
            try:
                answer = pending.result()
            except ChildFailed:
                pass  # indexed here instead
            else:
                if staging.fresh == fresh:  # else its files were not judged alike
                    for rel in answer[0]:
                        staging.take(rel, self._folder / rel)
                    return _Indexed(*answer)
        live = None if staging.fresh else staging.out
        rows = _search_rows(self._articles)  # let go of once the docs are made
        self._articles = None
        written, entries, _ = _write_search(
            self._config, _search_record(*record), rows, self._sources,
            (staging.folder, live), self._mapper,
        )  # fmt: skip
        return _Indexed(written, entries)

    def __enter__(self) -> _SearchIndex:
        return self

    def __exit__(self, *exc) -> None:
        """Stop a child whose result was never asked for (the build failed), and remove
        its folder."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


class _Indexed(NamedTuple):
    """The index files a build wrote, and their record: every file's (`whole`), or only
    the changes to the last build's, None for a file gone; `token` names a resident
    indexer's index (see resident_indexer)."""

    written: list[str]
    entries: dict[str, tuple[str, str] | None]
    whole: bool = True
    token: str | None = None


_SEARCH_TEMP: Final = "search-child-"


class _Resident:
    """One build's index by a resident indexer (see resident_indexer), in the part of
    Pending's ways that _SearchIndex uses: the build's values are sent as they come, then
    the answer is taken, or thrown away (cancel), so that the next build's talk starts
    afresh. A failure (the indexer gone, or it raised) is ChildFailed, as a child's."""

    def __init__(self, indexer: Companion) -> None:
        self._indexer = indexer
        self._sent = 0  # of the two values a build sends: (record, live folder), articles
        self._answered = False

    @classmethod
    def start(cls, indexer: Companion, config: Config, folder: Path):
        try:
            indexer.send((config, str(folder)))
        except ChildFailed:
            return None  # indexed in the build's process
        return cls(indexer)

    def send(self, value: Any, more: bool = False) -> None:  # noqa: ARG002 (Pending's)
        self._sent += 1
        with contextlib.suppress(ChildFailed):  # result() says it failed
            self._indexer.send(value)

    def result(self) -> Any:
        self._answered = True
        answer = self._indexer.receive()
        if answer is None:
            raise ChildFailed("the indexer failed")
        return answer

    def cancel(self) -> None:
        """Give up this build's index: None in place of the next value it waits for (it
        then stops and reads no more), and its answer taken."""
        if self._answered:
            return
        with contextlib.suppress(ChildFailed):
            if self._sent < 2:
                self._indexer.send(None)
                self._sent = 2
            self.result()


def resident_indexer(connection: Connection) -> None:
    """A long-lived process that makes edits' search indexes for a long-lived builder
    (`sitegen serve`'s), as _search_child does for one build: started before the builder
    holds a site, it shares none of its memory (a child forked from a builder holding
    100 000 articles' records made the builder copy each page of them it touched, which
    cost more than indexing on the second core saved). Each build sends (settings,
    folder), then what _search_child receives with the sources' listing (and whether to
    lay the docs out even if the index is unchanged: see _warm_indexer), or ("edited",
    token, live folder, the edited files' stats) and the rows of the articles an edit
    changed (see _index_edited); None instead of one of those means the build gave up. Its
    answer: an _Indexed, or None if it failed or was given up (the build then indexes by
    itself).

    It keeps what it made last (_LastIndex), so that an edit lays out again only the edited
    articles' blocks: making the docs of 100 000 articles, sorting them and cutting them
    into blocks again took 0.4 s of each save, and the builder's sending every row and the
    record of every index file another 0.35 s.
    """

    def receive() -> Any:
        value = connection.recv()
        if value is None:
            raise _GivenUp
        return value

    last: _LastIndex | None = None
    while True:
        try:
            config, folder = connection.recv()
        except EOFError:
            return
        answer, later = None, None
        try:
            answer, later = _resident_index(config, Path(folder), receive, last)
        except Exception:  # noqa: BLE001 (given up, or failed: the build indexes instead)
            last = _closed(last)
        connection.send(answer)
        if later is not None:  # made after answering: the builder need not wait for it
            kept = later()
            if last is not None and last.bodies is not kept.bodies:
                last.bodies.close()
            last = kept


def _resident_index(
    config: Config, folder: Path, receive: Callable, last: _LastIndex | None
) -> tuple[_Indexed, Callable[[], _LastIndex] | None]:
    """The index of one build, and what makes the record of it to keep."""
    from sitegen import postings

    postings.get_ready()
    first = receive()
    if first[0] == "edited":
        _, base, live, sizes = first
        rows = receive()
        if last is None or last.token != base or last.settings != repr(config):
            raise _Stale
        return _index_edited(config, last, rows, sizes, (folder, live and Path(live)))
    held, live, sources, whole = first
    rows = receive()
    bodies = last.bodies if last is not None and last.settings == repr(config) else None
    bodies = bodies or body_store(config, make_context(config).labels["body"])
    written, entries, laid = _write_search(
        config, held, rows, sources, (folder, live and Path(live)), map, bodies, whole
    )
    token = os.urandom(8).hex()
    if laid is None:
        return _Indexed(written, entries, True, None), None
    layout, combined = laid

    def kept() -> _LastIndex:
        by_path = {row[0]: row for row in rows}
        ids = {doc.url: at for at, doc in enumerate(layout.order)}
        return _LastIndex(token, repr(config), layout, combined, by_path, ids, entries, bodies)

    return _Indexed(written, entries, True, token), kept


@dataclass(frozen=True, slots=True)
class _LastIndex:
    """What a resident indexer keeps of the index it made last."""

    token: str
    settings: str  # repr of the settings it was made with
    layout: Layout
    combined: int  # see _search_key
    rows: dict[str, tuple]  # _search_rows' rows, by path
    ids: dict[str, int]  # doc ids by URL
    entries: dict[str, tuple[str, str]]  # the record of the index files
    bodies: BodyStore  # kept open: the layout's docs read their texts from it


def _closed(last: _LastIndex | None) -> None:
    if last is not None:
        last.bodies.close()
    return None


def _index_edited(
    config: Config, last: _LastIndex, rows: list[tuple], sources: Listing,
    where: tuple[Path, Path | None],
) -> tuple[_Indexed, Callable[[], _LastIndex]]:  # fmt: skip
    """The index after an edit of the articles of `rows`, which keep their places (the same
    URL, date and category): their blocks indexed again and spliced into the live index,
    which holds the last one (`last`). Answers the changes to the record only."""
    from sitegen.search import FORMAT, Place, relaid, write_layout

    context = make_context(config)
    ids, combined, changed = last.ids, last.combined, {}
    tag = last.bodies.path.stem
    for row, url in zip(rows, context.urls(row[2] for row in rows), strict=True):
        before, at = last.rows.get(row[0]), ids.get(url)
        if before is None or at is None or _row_place(before) != _row_place(row):
            raise _Stale
        combined += _row_hash(row) - _row_hash(before)
        changed[at] = _search_doc(row, url, context.category_name(row[5]), (last.bodies, tag),
                                  sources)  # fmt: skip
    layout = relaid(last.layout, changed)
    if layout is None:
        raise _Stale
    place = Place(*where, _Shas(last.entries))
    blocks = config.root / CACHE_DIR / f"search-{FORMAT}"
    index = write_layout(layout, place, map, blocks, {at // layout.size for at in changed})
    # The same dimensions, so the same files: those listed are all that can have changed.
    listed = _index_entries(index, _search_key(config, combined))
    delta = {rel: entry for rel, entry in listed.items() if last.entries.get(rel) != entry}
    token = os.urandom(8).hex()

    def kept() -> _LastIndex:
        rows_after = {**last.rows, **{row[0]: row for row in rows}}
        entries = {**last.entries, **delta}
        return _LastIndex(token, last.settings, layout, combined, rows_after, ids, entries,
                          last.bodies)  # fmt: skip

    return _Indexed([f.rel for f in index if f.written], dict(delta), False, token), kept


def _row_place(row: tuple) -> tuple:
    """What gives an article's doc its id (see _search_rows): URL, date and category."""
    return row[2], row[4], row[5]


class _Shas(NamedTuple):
    """The sha256 of each index file, as a record of them says (what Place looks up)."""

    entries: dict[str, tuple[str, str]]

    def get(self, rel: str) -> str | None:
        entry = self.entries.get(rel)
        return None if entry is None else entry[1]


class _Stale(Exception):
    """A resident indexer was sent an edit of an index it does not hold (it was restarted,
    say), or one that moves an article: the build indexes by itself."""


class _GivenUp(Exception):
    """The build that was to send the rest of an index's input gave it up."""


def _pages_to_render(
    site: Site, previous: dict, intact: Container[str], kept: _Kept | None
) -> tuple[list, dict, int]:
    """The pages whose key (what they are made from) changed since the last build, or
    whose file is not as that build left it; the outputs of the others; their number.

    `kept`: what _keys_kept found, when nothing else pages are made from changed but the
    sources it names (see _plan); an article page or print view of such an article
    between two such neighbours, and a list of only such articles, keeps its recorded key,
    which is not computed again (1.3 s of an edit at 100 000 articles).
    """
    layouts = {p.template for p in site.pages if p.template and p.kind not in ("feed", "sitemap")}
    references = site.config.root / CACHE_DIR / "layout-references.marshal"
    digests = template_digests(make_env(site.config), layouts, references)
    fresh = not previous
    todo, outputs, unchanged = [], {}, 0
    names: dict = {}  # the articles live as long as `site`, so ids stay theirs
    for page, name in zip(site.pages, site.outputs, strict=True):
        known = None if fresh else previous.get(name)
        if known is not None and kept is not None and _kept_key(page, kept):
            key = known[0]
        else:
            key = page_key(page, digests, names)
        exists = known is not None and name in intact
        if exists and known[0] == key:
            outputs[name] = known
            unchanged += 1
        else:  # render; if the bytes come out as they are on disk, nothing is written
            todo.append((page, key, known[1] if exists else None))
    return todo, outputs, unchanged


def _touched_pages(
    site: Site, previous: dict, intact: Container[str], touched: frozenset[int]
) -> tuple[list, dict, int] | None:
    """As _pages_to_render, for a patched site (see _patched): only the pages that hold a
    new record are keyed; every other page is the last build's, with its recorded key.
    (None if a page has no recorded output: a record no build of this site leaves.)"""
    pages, names = site.pages, site.outputs
    if not all(map(previous.__contains__, names)):
        return None
    outputs = dict(previous)  # the same outputs as the last build's, the index's too
    layouts = {pages[i].template for i in touched if pages[i].template}
    references = site.config.root / CACHE_DIR / "layout-references.marshal"
    digests = template_digests(make_env(site.config), layouts, references)
    todo, memo = [], {}
    for index in sorted(touched):
        page, name = pages[index], names[index]
        known, key = previous[name], page_key(page, digests, memo)
        if name in intact and known[0] == key:
            continue
        del outputs[name]
        todo.append((page, key, known[1] if name in intact else None))
    return todo, outputs, len(names) - len(todo)


def _kept_key(page: Page, kept: _Kept) -> bool:
    """Whether a page's key is the one recorded, as _plan allows: an article page whose
    article and neighbours are sources unchanged since the last build, or a list whose
    articles all are. (A list's articles follow from the order and the months, which
    the plan holds, so the same ones stand in the same places; the key of each of the
    10 000 lists of 100 000 articles cost 0.3 s of an edit to compute again.) Not the
    lists of a category or a month that gained the newest articles (see _Kept)."""
    kind, same = page.kind, kept.same
    if kind in _ARTICLE_KINDS:
        if page.article.path not in same:
            return False
        before, after = page.previous, page.next
        return (before is None or before.path in same) and (after is None or after.path in same)
    if kind not in _LISTS or not page.entries or not same.issuperset(map(_PATH, page.entries)):
        return False
    if kind == "category" and page.category.slug in kept.categories:
        return False
    if kind == "month" and (page.year, page.month) in kept.months:
        return False
    return all(same.issuperset(map(_PATH, group)) for _, group in page.groups)  # the home page's


@dataclass(frozen=True, slots=True)
class _Kept:
    """What lets a page keep its recorded key (see _kept_key): the sources unchanged since
    the last build, and, when the only other change is articles newer than every other
    (a day's upload), their categories and months. Their category's numbered pages gain a
    page or a link to it, their month's pages a count: those lists are keyed again even
    where they show none of the new articles; every other list and page stands as before."""

    same: set[str]
    categories: frozenset[str] = frozenset()
    months: frozenset[tuple[int, int]] = frozenset()


def _keys_kept(
    cache: BuildCache, sources: dict[str, SourceEntry], site: Site, surroundings: str
) -> tuple[str, _Kept | None]:
    """This build's plan, and what lets pages keep their keys: the unchanged sources when
    the plan is the last build's, or when it is the last build's but for new articles
    that come first in the order (a new article at 100 000 computed every page's key
    again: deciding what to render took 1.2 s, now 0.55 s); None otherwise (every key is
    computed)."""
    order = _order(site.articles)
    plan = _plan(surroundings, sources, order)
    if cache.plan == plan:
        return plan, _Kept(_same_sources(cache, sources))
    added = sources.keys() - cache.sources.keys() if cache.sources else None
    newest = site.articles[: len(added)] if added else ()
    if not newest or {a.path for a in newest} != added:
        return plan, None  # nothing new, or a new draft, or a new article dated earlier
    rest = (path for path in sources if path not in added)
    if _plan(surroundings, rest, order[len(newest) :]) != cache.plan:
        return plan, None
    categories = frozenset(a.category for a in newest)
    months = frozenset((a.date.year, a.date.month) for a in newest)
    return plan, _Kept(_same_sources(cache, sources), categories, months)


def _plan(surroundings: str, sources: Iterable[str], order: list[str]) -> str:
    """What an article page or a list is made from besides its articles' records: the
    settings, layouts, static files and the files beside the articles (their signature),
    which sources there are (a draft's folder is an article folder too), and the order of
    the articles, with each one's category and month (which lists it is on, and where:
    see _order)."""
    parts = (surroundings, "\0".join(sources), "\0".join(order))
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _order(articles: Iterable[Article]) -> list[str]:
    """The plan's line for each article, newest first: category, path and month."""
    return [f"{a.category}\0{a.path}\0{a.date.year}-{a.date.month}" for a in articles]


def _same_sources(cache: BuildCache, sources: dict[str, SourceEntry]) -> set[str]:
    """The sources whose record is the one the last build left (the very entry it loaded)."""
    before = cache.sources
    return {path for path, entry in sources.items() if before.get(path) is entry}


def _prune_bodies(
    config: Config, before: dict, after: dict, made: tuple[Site, frozenset[str] | None]
) -> None:
    """Drop stored bodies that no source has any more: after a full build every one not in
    use, after an incremental one those of the sources that changed or went (`edited`, when
    known), unless another file has the same bytes. (An unchanged source's entry is the
    very one loaded: compared by identity first. The store is not opened when no source
    changed.)"""
    site, edited = made
    if not before:
        with body_store(config) as bodies:
            bodies.prune(set(map(_DIGEST, site.articles)))
        return
    paths = before if edited is None else edited.intersection(before)
    changed = set()
    for path in paths:
        entry, now = before[path], after.get(path)
        if now is not entry and (now is None or now.digest != entry.digest):
            changed.add(entry.digest)
    if changed:
        with body_store(config) as bodies:
            bodies.forget(changed.difference(changed.intersection(map(_DIGEST, site.articles))))


def _remove_other_caches(config: Config) -> None:
    """Body stores and compiled layouts of other settings or other sitegen versions (with
    their SQLite side files, and the body folders of earlier versions)."""
    folder = config.root / CACHE_DIR
    kinds = (("bodies-*", bodies_path(config).name),
             ("layouts*", layouts_cache_name(make_context(config))),
             ("images-*", assets.store_folder(config).name))  # fmt: skip
    for pattern, current in kinds:
        for other in folder.glob(pattern):
            if not other.name.startswith(current):
                if other.is_dir():
                    shutil.rmtree(other, ignore_errors=True)
                else:
                    other.unlink(missing_ok=True)


def page_key(page: Page, template_digests: dict[str, str], names: dict) -> str:
    """What a page is made from: its record (articles by path and digest) and its layout.

    `names` memoises each article's "path:digest" by id: a build computes a key for every
    page, and most articles appear on several (their page, print view, neighbours, lists);
    and, by article path, the keys of article pages and print views and the part they share.
    """
    if page.kind in _ARTICLE_KINDS:  # the most pages: a short key, all they vary by
        # (Their URL, title and breadcrumbs follow from the article and the settings; in a
        # site of two scripts, the twin's key is its original's, made once for both.)
        memo = (page.kind, page.article.path)
        found = names.get(memo)
        if found is None:
            text = "\0".join((
                page.kind, template_digests.get(page.template or "", ""),
                _article_part(page, names),
            ))  # fmt: skip
            found = names[memo] = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return found
    pager = page.pager
    parts = [
        page.kind, page.url, page.title, page.template or "", page.target or "",
        page.canonical or "",
        template_digests.get(page.template or "", ""),
        "-" if pager is None else f"{pager.number}|{pager.newer}|{pager.older}|{pager.newest}"
                                  f"|{pager.oldest}|{pager.total_articles}",
        repr(page.months), repr(page.year), repr(page.month),
        "\x1f".join(f"{c.label}\x1e{c.url}" for c in page.breadcrumbs), "\0".join(page.children),
    ]  # fmt: skip
    involved = [page.article, page.previous, page.next, *page.entries]
    involved += [a for _, group in page.groups for a in group]
    parts += [_name(a, names) if a else "-" for a in involved]
    parts += [f"{path}\x1e{image!r}" for path, image in page.images]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


_ARTICLE_KINDS: Final = frozenset(("article", "print"))
# Lists made only of the order (see _plan): not the sitemaps, whose URLs follow from slugs,
# nor the archive's months and years, or the redirects and the 404 page, which show no articles.
_LISTS: Final = frozenset(("home", "category", "month", "feed"))
_PATH: Final = attrgetter("path")  # (mapped in C over a list's articles)
_DIGEST: Final = attrgetter("digest")


def _article_part(page: Page, names: dict) -> str:
    """The part of an article page's key that its print view (and their twins in the other
    script, whose articles are other records of the same files) share, made once for all."""
    memo = (page.article.path, "page")
    try:
        return names[memo]
    except KeyError:
        before, after = page.previous, page.next
        part = names[memo] = "\0".join((
            _name(page.article, names), _name(before, names) if before else "-",
            _name(after, names) if after else "-", page.files.key if page.files else "-",
        ))  # fmt: skip
        return part


def _name(article: Article, names: dict) -> str:
    try:
        return names[id(article)]
    except KeyError:
        name = names[id(article)] = f"{article.path}:{article.digest}"
        return name


def _copy_static(root: Path, static: Listing, staging, previous, outputs, intact) -> list[str]:
    """The files of static/ (as `walk` listed them: no links that lead out of the site), and
    those of the packaged theme that the site has no file of its own for."""
    files = {}
    for rel in static:
        source = source_of(root, rel)
        files[rel] = assets.Published(str(source), hashlib.sha256(source.read_bytes()).hexdigest(),
                                      rel)  # fmt: skip
    return _copy_files(files, "static", staging, previous, outputs, intact)


def _copy_files(
    files: dict[str, assets.Published], kind: str, staging, previous, outputs, intact
) -> list[str]:
    """Files put in the output folder as they are (static files, the files of article
    folders, the copies of their photos), each written only when its bytes are not what
    the output folder already holds."""
    written = []
    for rel, file in sorted(files.items()):
        outputs[rel] = (kind, file.sha)
        if previous.get(rel, ("", ""))[1] == file.sha and rel in intact:
            continue
        staging.copy(rel, file.source)
        written.append(rel)
    return written


def _search_rows(articles: list[Article]) -> list[tuple[str, str, str, str, str, str]]:
    """What the index needs of each article, as plain values a child can be sent: path,
    digest, URL (the site path), title, date and category. (One string per day and per
    category, shared by the rows: pickled once each, and 12 MB less at 100 000 articles.)"""
    days: dict[dt.date, str] = {}
    names: dict[str, str] = {}
    rows = []
    for a in articles:
        day = a.date.date()
        date = days.get(day) or days.setdefault(day, day.isoformat())
        category = names.setdefault(a.category, a.category)
        rows.append((a.path, a.digest, a.url, a.title, date, category))
    return rows


def _search_record(previous: dict, intact: Container[str]) -> tuple[dict, dict]:
    """The last build's record of the index files (output -> (key, sha256)), and the
    sha256 of those the output folder holds as it left them."""
    record = {o: e for o, e in previous.items() if o.startswith(_INDEX_FILES)}
    return record, {o: e[1] for o, e in record.items() if o in intact}


def _search_child(
    config: Config, sources: Listing, folder: Path, receive: Callable
) -> tuple[list[str], dict[str, tuple[str, str]], bool, None]:
    """The index, in the child _SearchIndex starts: numpy and its tables made ready, then
    the index once `receive` gives what it is made from."""
    from sitegen import postings  # imports numpy, a third of an edit's indexing at 10 000

    postings.get_ready()
    held, live, _, _ = receive()
    where = (folder, live and Path(live))
    written, entries, _ = _write_search(config, held, receive(), sources, where, map)
    return written, entries, True, None


def _write_search(
    config: Config, held: tuple[dict, dict], rows: list[tuple], sources: Listing,
    where: tuple[Path, Path | None], mapper: Callable, bodies: BodyStore | None = None,
    whole: bool = False,
) -> tuple[list[str], dict[str, tuple[str, str]], tuple[Layout, int] | None]:  # fmt: skip
    """The search index, made again only when an article, or the site's settings, changed:
    the index files written into the folder `where` names, the output record of every
    index file, and the layout of its docs with the sum its key is made of (None when
    nothing changed).

    Index files whose bytes the live site (`where`'s second) already holds are not
    written (most doc chunks and some shards after an edit); without one (a fresh build)
    every one is written. `held`: what _search_record says; `rows`: what _search_rows
    says. `mapper` spreads the indexing of blocks of documents (over worker processes, say).
    `bodies`: a store to read the texts from, left open (one is opened and closed if none).
    `whole`: lay the docs out even when nothing changed (for a resident indexer to keep).
    """
    from sitegen.search import FORMAT, Place, lay_out, write_layout

    record, shas = held
    combined = sum(map(_row_hash, rows)) % _KEY_MODULUS
    key = _search_key(config, combined)
    meta = record.get(_META_FILE)
    if not whole and meta is not None and meta[0] == key and all(o in shas for o in record):
        return [], record, None
    context = make_context(config)
    place = Place(*where, shas)
    blocks = config.root / CACHE_DIR / f"search-{FORMAT}"
    names = {slug: context.category_name(slug) for slug in {row[5] for row in rows}}
    with contextlib.ExitStack() as stack:
        if bodies is None:
            bodies = stack.enter_context(body_store(config, context.labels["body"]))
        store = (bodies, bodies.path.stem)  # texts follow from the source and the settings
        urls = context.urls(row[2] for row in rows)
        docs = [_search_doc(row, url, names[row[5]], store, sources)
                for url, row in zip(urls, rows, strict=True)]  # fmt: skip
        del rows, urls  # the docs hold what they need of them (the caller gave them up)
        layout = lay_out(docs)
        del docs
        index = write_layout(layout, place, mapper, blocks)
    return [file.rel for file in index if file.written], _index_entries(index, key), (
        layout, combined)  # fmt: skip


def _search_doc(
    row: tuple, url: str, category_name: str, store: tuple[BodyStore, str], sources: Listing
) -> SearchDoc:
    from sitegen.search import SearchDoc

    path, digest, _, title, date, category = row
    bodies, tag = store
    return SearchDoc(url, title, date, category, category_name, _BodyText(bodies, path, digest),
                     f"{tag}:{digest}", sources[path][1])  # fmt: skip


def _index_entries(index: list, key: str) -> dict[str, tuple[str, str]]:
    """The output record of the index files. Only meta.json's holds the key of the whole
    index: the others' stay as they were while their bytes do, so an edit's record of them
    changes only where it wrote."""
    return {f.rel: (key if f.rel == _META_FILE else _FILE_KEY, f.sha) for f in index}


def _row_hash(row: tuple) -> int:
    return int.from_bytes(hashlib.sha256(f"{row[0]}:{row[1]}".encode()).digest()[:16], "big")


def _search_key(config: Config, combined: int) -> str:
    """What the whole index follows from: the settings, and each article's path and digest,
    as the sum of their hashes (`combined`), which an edit's index adjusts by the articles
    it changed instead of going over all of them again."""
    text = f"{config!r}\0{combined % _KEY_MODULUS:032x}"
    return "search:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


_META_FILE: Final = "search/meta.json"
_INDEX_FILES: Final = ("search/s/", "search/d/", _META_FILE)  # (search/index.html is a page)
_FILE_KEY: Final = "search"
_KEY_MODULUS: Final = 1 << 128


class _BodyOf(NamedTuple):
    """An article as the body store reads it (by digest; rendered from its file if need be)."""

    path: str
    digest: str


class _BodyText(NamedTuple):
    """An article's plain text, read from the body store when called (a search doc's text:
    a tuple, 8 MB less than a partial at 100 000 articles)."""

    bodies: BodyStore
    path: str
    digest: str

    def __call__(self) -> str:
        return self.bodies.get(_BodyOf(self.path, self.digest)).text  # type: ignore[arg-type]
