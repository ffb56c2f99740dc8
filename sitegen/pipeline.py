"""A build with work to do: read -> assemble -> render -> write, incrementally where it can.

`build_site` (sitegen/entry.py, also importable from here) lists the sources and calls
`rebuild` when anything changed. The build reads every source before rendering anything
(navigation and lists need the whole site), renders only the pages whose inputs changed
since the last build, stages what it writes, and puts it in place only when nothing failed.
A long-lived builder (`serve`'s) patches the last site instead when an edit does not move
any article (sitegen/patch.py). The search index is made beside the build, on the second
core where it can (sitegen/indexing.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import time
from collections.abc import Container, Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from itertools import repeat
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Final

from sitegen import assets, output, patch
from sitegen.bodies import bodies_path, body_store
from sitegen.bundles import Listed, article_folders, resolve
from sitegen.cache import (
    CACHE_DIR,
    BuildCache,
    Head,
    QuickState,
    SourceEntry,
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
from sitegen.indexing import META_FILE, SearchIndex, record_index, warm_indexer
from sitegen.pagestore import Resume, list_rows, store_file, update_store, write_store
from sitegen.problems import Problem
from sitegen.render import (
    layouts_cache_name,
    make_context,
    make_env,
    template_digests,
)
from sitegen.scan import Listing, walk
from sitegen.scripts import converter_of, with_scripts
from sitegen.site import Page, Site, assemble, records_of, url_clashes, with_files
from sitegen.theme import source_of, with_theme
from sitegen.workers import SourceTask, Workers


def rebuild(
    config: Config, problems: list[Problem], out: Path, opts: BuildOptions, start: float,
    seen: Seen, begun: tuple[SearchIndex, bool, str | None],
) -> BuildResult:  # fmt: skip
    """The build once there is work (`begun`: the search index's part, started; whether
    only a few articles were saved since the last build; the resident indexer's warmed
    index: see entry._sources_seen)."""
    root, files, others, fingerprint = config.root, seen.files, seen.others, seen.fingerprint
    search, few, warmed = begun
    save_state(root, out, None)  # until this build has finished
    sweep_temporaries(root / CACHE_DIR)  # a killed build's
    # Workers fork before the cache is read, so that they do not each count its memory;
    # after a few edits none are forked unless the work turns out large.
    head = None  # the record's own file, if an edit's build from the page store read it
    with search, Workers(config, opts.jobs, 0 if few else 2 * len(files)) as workers:
        if few and not opts.clean:
            # An edit that moves no article, made from the page store (sitegen/resume.py:
            # imported here, as it imports this module).
            from sitegen.resume import resumed

            done = resumed(config, problems, out, opts, start, seen, (search, workers))
            if isinstance(done, BuildResult):
                return done
            head = done
        cache = _last_record(root, out, fingerprint, opts, head)
        if opts.keep is not None:
            opts.keep.append(cache.outputs)  # replaced by the new record when it is written
        live = _live_manifest(cache, out)
        if cache.outputs and (live is None or cache.generation != live.id):
            cache.outputs = {}  # the folder is not the one this cache describes: write it whole
            if out.exists():  # (one removed, or never made, is simply made: nothing to say)
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
        search.send(articles, workers, patched.edited if patched else None, cache.loaded,
                    edited)  # fmt: skip
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
    # Started here, not in _write_site: from its start it is waited for, or killed.
    with output.Twin(result.fresh) if result.fresh else nullcontext():
        if result.ok:
            if opts.published is not None:
                opts.published((*result.written, *result.removed))
            if not cache.sources:  # a full build: caches kept for other settings are stale
                _remove_other_caches(config)
                assets.prune(config, out)
            _prune_bodies(config, cache.sources, sources, (site, edited))
            moved = cache.plan != made.plan  # articles came, went or moved: lists stored again
            cache.sources, cache.plan = sources, made.plan
            cache.pages = _stored_pages(config, cache, made, result, (seen, found),
                                        (sources, articles, edited), (opts, moved))  # fmt: skip
            parts = save_cache(root, cache, edited)
            if opts.memory is not None:
                opts.memory.keep(root, cache, parts, _held(made, cache, (seen, found), result))
                if result.index_token is None:
                    warm_indexer(config, opts, (cache, seen.files), site.articles)
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


@dataclass(frozen=True, slots=True)
class _Made:
    """The site to write, and what the build found out making it."""

    site: Site
    prepared: assets.Prepared
    clashes: tuple[Problem, ...]
    plan: str
    keys: _Kept | None  # see _keys_kept
    # The pages and files the site makes (210 000 names at 100 000 articles: 0.03 s, not
    # spent again on a patched site, which makes the same).
    claimed: frozenset[str]
    touched: frozenset[int] | None = None  # patched: the only pages whose key can change
    edited: tuple[Article, ...] = ()  # patched: the articles put in


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
    claimed = frozenset(site.outputs) | frozenset(others[1]) | frozenset(prepared.published)
    return _Made(site, prepared, clashes, plan, keys, claimed)


def _edited_since(cache: BuildCache, files: Listing) -> frozenset[str] | None:
    """The content files added, touched or gone since the cache's entries were read (None
    when it has none): by the listing a long-lived builder kept with them, else by the
    stats the entries hold. The sets' difference is a C loop, where comparing 100 000
    files' records one by one took 0.15 s of each build; and the record's parts saved and
    the bodies pruned are those of these files only."""
    held, entries = cache.held, cache.sources
    if isinstance(held, patch.Held):
        last = held.seen.files  # (the listing cache.sources was read from: kept together)
        changed = {rel for rel, _ in files.items() - last.items()}
    elif entries:  # (one loop: making the record's stats a listing to diff took longer)
        changed = {rel for rel, stat in files.items()
                   if (entry := entries.get(rel)) is None or entry.stat != stat}  # fmt: skip
    else:
        return None
    return frozenset(changed.union(entries.keys() - files.keys()))


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
    return _Made(got.site, held.prepared, held.clashes, held.plan, None, held.claimed,
                 got.pages, got.edited)  # fmt: skip


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
    build (`warmed`: see warm_indexer)."""
    held = cache.held
    if isinstance(held, patch.Held) and cache.outputs and META_FILE in intact:
        return held.index_token or warmed
    return None


def _last_record(
    root: Path, out: Path, fingerprint: str, opts: BuildOptions, head: Head | None
) -> BuildCache:
    """The last build's record: none for a clean build, else the one the caller kept in
    memory, if it is still the one on disk, else the one on disk (`head`: its own file,
    if read already)."""
    if opts.clean:
        return BuildCache(fingerprint, str(out))
    kept = opts.memory.take(root, fingerprint, out) if opts.memory is not None else None
    return kept if kept is not None else load_cache(root, fingerprint, out, head)


class UnderTop:
    """The recorded outputs taken as they are: those whose top-level folder (or file) is
    still in the output folder (a section deleted by hand is written again)."""

    def __init__(self, out: Path) -> None:
        self._top = frozenset(top_names(out))

    def __contains__(self, output: str) -> bool:
        return output.partition("/")[0] in self._top

    def holds(self, tops: set[str]) -> bool:
        """Whether every output under these top-level names is taken as intact."""
        return tops <= self._top


def _intact(out: Path, cache: BuildCache, verify: bool) -> UnderTop | set[str]:
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
        return UnderTop(out)
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
    # In the order of their paths, as the plan (see _plan) lists them, and as the record
    # holds them (see cache.load_cache): put in order again only when a file came.
    if edited is None or any(rel not in cache.sources for rel in looked_at):
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
    rendered: tuple[Page, ...] = ()  # every page rendered (bytes the same or not)
    # A fresh build's staging, whose spare rebuild makes the new site's twin (output.Twin).
    fresh: output.Staging | None = None

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)


def _write_site(
    made: _Made, cache: BuildCache, where: tuple[Path, output.Manifest | None],
    opts: BuildOptions, helpers: tuple[Workers, SearchIndex], intact: Container[str],
    found: tuple[Listing, Listing, frozenset[str]],
) -> _Written:  # fmt: skip
    site, keys, touched, published = made.site, made.keys, made.touched, made.prepared.published
    config = site.config
    out, live = where
    workers, search = helpers
    sources, static, kept = found
    previous = cache.outputs
    fresh = not previous
    claimed = output.Claimed(made.claimed, ("search/",), set_aside_folder(config))
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
    made_again = tuple(page for page, _, _ in todo)
    # Let go of the work lists (210 000 pages at 100 000 articles): the search index, made
    # next in a clean build, reuses their memory instead of adding to the peak.
    del todo, rendered
    written += _copy_static(config.root, static, staging, previous, outputs, intact)
    files = _copy_files(published, "file", staging, previous, outputs, intact)
    written += files
    index = search.result(staging)
    workers.close()  # the last of their work: only this process's own is left
    written += index.written
    record_index(outputs, index, previous, holding=patched is not None)
    if patched is not None and not index.whole:  # only index files can have gone
        removed = sorted(o for o, entry in index.entries.items() if entry is None and o in ours)
    else:
        removed = sorted(o for o in previous.keys() - outputs.keys() if o in ours)
    manifest = output.commit(staging, written, removed, outputs)
    cache.generation = manifest.id
    cache.outputs = outputs
    new = kept - staging.live.kept if staging.live else kept
    aside = set_aside_lines(config, staging, claimed)
    return _Written((), tuple(sorted(written)), tuple(removed), unchanged, len(site.pages),
                    tuple(sorted(new)), aside, len(files), index.token, manifest,
                    made_again, staging if staging.fresh else None)  # fmt: skip


def set_aside_folder(config: Config) -> Path:
    """A new folder for files found in the spare that sitegen did not write (see output.begin)."""
    return config.root / CACHE_DIR / "set-aside" / time.strftime("%Y%m%d-%H%M%S")


def set_aside_lines(
    config: Config, staging: output.Staging, claimed: output.Claimed
) -> tuple[str, ...]:
    """What the build reports of the files it set aside: "output -> where it went"."""
    return tuple(f"{o} -> {(claimed.aside / o).relative_to(config.root)}"
                 for o in staging.set_aside)  # fmt: skip


def _pages_to_render(
    site: Site, previous: dict, intact: Container[str], kept: _Kept | None
) -> tuple[list, dict, int]:
    """The pages whose key (what they are made from) changed since the last build, or
    whose file is not as that build left it; the outputs of the others; their number.

    `kept`: what _keys_kept found, when nothing else pages are made from changed but the
    sources it names (see _plan); an article page or print view of such an article
    between two such neighbours, and a list of only such articles, keeps its recorded key,
    which is not computed again (1.3 s of an edit at 100 000 articles). Only the pages
    that can be otherwise are even looked at (see _may_differ), when every recorded
    output is taken as intact.
    """
    pages, names = site.pages, site.outputs
    looked_at: Iterable[int] = range(len(pages))
    outputs: dict = {}
    if kept is not None and previous and _tops_intact(intact, names):
        known = list(map(previous.get, names))
        outputs = dict(zip(names, known, strict=True))  # the others', as recorded
        looked_at = _may_differ(site, known, kept)
    digests = layout_digests(site.config, (pages[at] for at in looked_at))
    todo = []
    memo: dict = {}  # the articles live as long as `site`, so ids stay theirs
    for at in looked_at:
        page, name = pages[at], names[at]
        known = previous.get(name)
        if known is not None and kept is not None and _kept_key(page, kept):
            key = known[0]
        else:
            key = page_key(page, digests, memo)
        exists = known is not None and name in intact
        if exists and known[0] == key:
            outputs[name] = known
        else:  # render; if the bytes come out as they are on disk, nothing is written
            outputs.pop(name, None)
            todo.append((page, key, known[1] if exists else None))
    return todo, outputs, len(pages) - len(todo)


def _tops_intact(intact: Container[str], names: Iterable[str]) -> bool:
    """Whether every one of these outputs is taken as intact (see _intact): by default,
    when the top-level folder (or file) of each is still in the output folder."""
    if not isinstance(intact, UnderTop):
        return False  # (--verify: output by output)
    return intact.holds(set(map(_FIRST, map(str.partition, names, repeat("/")))))  # (in C)


def _may_differ(site: Site, known: list, kept: _Kept) -> list[int]:
    """The pages whose key _kept_key may not keep, by index: the article pages and print
    views of the articles not in `kept.same` and of their neighbours (whose pages name
    them as previous or next), every other kind of page (the lists, a twentieth of them,
    say which of theirs changed), and any page the record has no output for. Found by
    loops that mostly run in C (7 ms at 10 000 articles), where asking _kept_key of every
    article page took 0.02 s."""
    pages = site.pages
    kinds = list(map(_KIND, pages))
    own = [at for at, kind in enumerate(kinds) if kind in _ARTICLE_KINDS]
    paths = list(map(_ARTICLE_PATH, map(pages.__getitem__, own)))
    changed = set(map(_PATH, site.articles)).difference(kept.same)
    hits = [at for at, path in zip(own, paths, strict=True) if path in changed]
    near = {n.path for at in hits for n in (pages[at].previous, pages[at].next) if n is not None}
    if not near <= changed:  # (an article in a second script is another record: by path)
        targets = changed | near
        hits = [at for at, path in zip(own, paths, strict=True) if path in targets]
    others = [at for at, kind in enumerate(kinds) if kind not in _ARTICLE_KINDS]
    unrecorded = [at for at, entry in enumerate(known) if entry is None] if None in known else []
    return sorted({*hits, *others, *unrecorded})


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
    digests = layout_digests(site.config, [pages[i] for i in touched])
    todo, memo = [], {}
    for index in sorted(touched):
        page, name = pages[index], names[index]
        known, key = previous[name], page_key(page, digests, memo)
        if name in intact and known[0] == key:
            continue
        del outputs[name]
        todo.append((page, key, known[1] if name in intact else None))
    return todo, outputs, len(names) - len(todo)


def layout_digests(config: Config, pages: Iterable[Page]) -> dict[str, str]:
    """The digest of each layout these pages are rendered with (feeds and sitemaps are
    made in code, by no layout)."""
    layouts = {p.template for p in pages if p.template and p.kind not in ("feed", "sitemap")}
    references = config.root / CACHE_DIR / "layout-references.marshal"
    return template_digests(make_env(config), layouts, references)


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


def _stored_pages(
    config: Config, cache: BuildCache, made: _Made, written: _Written,
    seen: tuple[Seen, frozenset[str]], read: tuple[dict, list[Article], frozenset[str] | None],
    how: tuple[BuildOptions, bool],
) -> str | None:  # fmt: skip
    """Bring the page store up to this build (see sitegen/pagestore.py) and return its
    token, for the record to name: the pages rendered and the sources edited written
    again into the store the record named (and the lists, when the articles' order
    changed: `how`'s second), else a new store of the whole site. None, and no store, for
    a long-lived builder (it patches the site it keeps) and for a site in two scripts
    (sitegen/resume.py makes no such edit)."""
    (opts, moved), root, out = how, config.root, Path(cache.out)
    if opts.memory is not None or converter_of(config) is not None:
        store_file(root, out).unlink(missing_ok=True)
        return None
    (listed, found), (sources, articles, edited), site = seen, read, made.site
    problems = tuple((path, e.problems) for path, e in sources.items() if e.problems)
    resume = Resume(listed.surroundings, listed.files, found, problems, made.prepared.problems,
                    made.clashes, len(site.pages), len(articles))  # fmt: skip
    if edited is not None and cache.pages is not None:
        pages = ((page.output, page) for page in written.rendered)
        changed = {path: sources.get(path) for path in edited}
        lists = (True, list_rows(site.articles)) if moved else (False, {})
        token = update_store(root, out, cache.pages, pages, written.removed, changed, resume,
                             lists)  # fmt: skip
        if token is not None:
            return token
    pages = zip(site.outputs, site.pages, strict=True)
    return write_store(root, out, pages, sources, resume, list_rows(site.articles))


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
    parts += [_name(a, names) if a else "-" for a in records_of(page)]
    parts += [f"{path}\x1e{image!r}" for path, image in page.images]
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


_ARTICLE_KINDS: Final = frozenset(("article", "print"))
# Lists made only of the order (see _plan): not the sitemaps, whose URLs follow from slugs,
# nor the archive's months and years, or the redirects and the 404 page, which show no articles.
_LISTS: Final = frozenset(("home", "category", "month", "feed"))
_PATH: Final = attrgetter("path")  # (mapped in C over a list's articles)
_KIND: Final = attrgetter("kind")
_FIRST: Final = itemgetter(0)
_ARTICLE_PATH: Final = attrgetter("article.path")
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
