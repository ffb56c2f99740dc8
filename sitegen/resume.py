"""An edit's build from the page store: what `serve`'s builder does in memory
(sitegen/patch.py), done by `sitegen build` from disk.

When the only change since the last build is a few articles edited in what does not place
them (their body, title, summary, source ...; see patch.place), the site a full build
would assemble is the last one with those articles' records in place of the old. Such a
build reads the record's own file (the outputs), the edited files' entries, and from the
page store (sitegen/pagestore.py) the pages that hold the edited records and the articles
on them; it renders those pages, has the search child splice the edited articles, and
writes the same files a full build writes, byte for byte (tests/test_resume.py). At
100 000 articles an edit no longer loads 100 000 records and assembles 210 000 pages.
When the only change is one new article, the pages it changes are worked out from the
store's lists (sitegen/addition.py) and built the same way.

Anything else, or any doubt (no store, or not the one the record names; a stored page that
does not key to its recorded key; a file gone, or more than one added; a layout, setting
or file beside the articles changed; an error), and the build is made as usual: `resumed`
returns None before it has written anything.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from itertools import chain
from operator import ne
from pathlib import Path
from typing import Final, NamedTuple

from sitegen import output, patch
from sitegen.addition import Added, added, may_add
from sitegen.bodies import body_store
from sitegen.cache import (
    INDEX_FILES,
    BuildCache,
    Head,
    QuickState,
    SourceEntry,
    cache_file,
    entries_of,
    load_head,
    replace_entries,
    save_head,
    save_state,
    with_shared_values,
)  # fmt: skip
from sitegen.config import Config
from sitegen.content import Article
from sitegen.entry import BuildOptions, BuildResult, Seen, as_error, top_names
from sitegen.indexing import Indexed, NotIndexed, SearchIndex
from sitegen.pagestore import PageStore, Resume, page_from_plain, paths_of, update_store
from sitegen.pipeline import (
    UnderTop,
    layout_digests,
    page_key,
    set_aside_folder,
    set_aside_lines,
)  # fmt: skip
from sitegen.problems import Problem
from sitegen.scan import Listing
from sitegen.scripts import converter_of
from sitegen.site import Page
from sitegen.workers import SourceTask, Workers


def resumed(
    config: Config, problems: list[Problem], out: Path, opts: BuildOptions, start: float,
    seen: Seen, helpers: tuple[SearchIndex, Workers],
) -> BuildResult | Head | None:  # fmt: skip
    """The build made from the page store. When it cannot be (nothing written), the record's
    own file if it was read, for the build to go on with (the search child may have been
    sent the record of its index from it: see SearchIndex.prepare), else None."""
    search, workers = helpers
    if not _eligible(config, opts, seen):
        return None
    head = load_head(config.root, seen.fingerprint, out)
    if head is None or head.pages is None or not search.takes_since():
        return head
    # Now, for the child to read while this process lists what changed and reads the
    # edited files and pages (a build that goes on as usual reads this very record: see
    # SearchIndex.prepare).
    search.prepare_from_file(cache_file(config.root, out), head.index, (out, False))
    sent, edit = False, None
    with PageStore(config.root, out, head.pages) as store:
        try:
            found = _found(config, store, (head, seen, out), (workers, opts.drafts))
            if found is not None:
                # The edited articles to the child at once: it splices them while this
                # process reads the record's outputs (0.1 s at 100 000 articles) and
                # works out the pages they change.
                search.send_since(found.shown(opts.drafts), found.articles)
                sent, head = True, head.read()
                edit = _edit(config, store, head, found, out)
        except _DAMAGE:  # a store, a part or the record damaged: build as usual
            edit = None
    left = None if edit is None else _as_left(head, edit.resume, out)  # (0.02 s)
    if left is None:
        if sent:
            search.abandon()  # the build indexes every article as usual
        return head
    try:
        return _build(config, problems, (out, *left), opts, start, seen, (search, workers),
                      head, edit)  # fmt: skip
    except NotIndexed:
        return head  # the child failed: the build indexes every article as usual


# What reading a damaged store or part can raise (a full build then reads it afresh, or
# says why it cannot).
_DAMAGE: Final = (sqlite3.DatabaseError, ValueError, TypeError, EOFError, KeyError, IndexError)


class _Edit(NamedTuple):
    """What the edit changes: the edited files' entries before and now, the pages that
    hold their records and those to render (page, key, the recorded digest of its file),
    and what the last build left."""

    resume: Resume
    before: dict[str, SourceEntry]
    now: dict[str, SourceEntry]
    pages: list[tuple[str, Page]]
    todo: list[tuple[Page, str, str | None]]
    # A new article's: the lists it joins, with it (see sitegen/addition.py), and how many
    # pages and articles the site has more.
    lists: dict[str, tuple[str, ...]] = {}  # noqa: RUF012 (a NamedTuple's default)
    grown: tuple[int, int] = (0, 0)

    @property
    def counts(self) -> tuple[int, int]:
        """The site's pages and articles after the edit."""
        return self.resume.pages + self.grown[0], self.resume.articles + self.grown[1]


def _eligible(config: Config, opts: BuildOptions, seen: Seen) -> bool:
    """Whether this build may be made from the store at all: an incremental build by a
    process that keeps no record in memory (serve patches its own), of a site in one
    script, with no link met among the sources."""
    if opts.clean or opts.verify or opts.memory is not None:
        return False
    return not (seen.outside or seen.linked) and converter_of(config) is None


class _Found(NamedTuple):
    """A change the store's way may build, found before the record's outputs are read:
    the store's summary, the changed files' entries before (none for a new file) and
    now, and the records an edit puts in place of the old (None for a new article)."""

    resume: Resume
    before: dict[str, SourceEntry]
    now: dict[str, SourceEntry]
    swaps: dict[str, Article] | None

    @property
    def articles(self) -> int:
        """The site's articles after the change."""
        return self.resume.articles + (self.swaps is None)

    def shown(self, drafts: bool) -> list[Article]:
        """The changed articles the site shows, in the order of their paths."""
        return [e.article for _, e in sorted(self.now.items()) if _shown(e.article, drafts)]


def _found(
    config: Config, store: PageStore, last: tuple[Head, Seen, Path], how: tuple[Workers, bool]
) -> _Found | None:  # fmt: skip
    """The edited (or new) files' entries, when the change is one the store's way takes."""
    (head, seen, out), (workers, drafts) = last, how
    resume = store.resume() if store.usable else None
    if resume is None or resume.surroundings != seen.surroundings:
        return None
    edited = _edited(resume.listing, seen.files)
    if edited is None:
        return _addition(config, store, resume, seen, workers)
    before = entries_of(config.root, out, head.parts, edited)
    if before.keys() != edited:
        return None  # an entry the record does not keep (its file is parsed every time)
    now = _parsed(workers, seen.files, before)
    swaps = patch.new_records((before, now), edited, resume.checked, drafts)
    return None if swaps is None else _Found(resume, before, now, swaps)


def _addition(
    config: Config, store: PageStore, resume: Resume, seen: Seen, workers: Workers
) -> _Found | None:
    """One new article, when it is the only change and one addition.py may take."""
    path = _new_file(resume.listing, seen.files)
    if path is None:
        return None
    now = _parsed(workers, seen.files, {path: None})
    entry = now[path]
    article = entry.article
    if article is None or any(p.is_error for p in entry.problems):
        return None
    return _Found(resume, {}, now, None) if may_add(config, store, article) else None


def _edit(
    config: Config, store: PageStore, head: Head, found: _Found, out: Path
) -> _Edit | None:  # fmt: skip
    """The pages the change found makes, with the record's outputs read."""
    if found.swaps is not None:
        made = _pages(config, store, head.outputs, found.swaps, UnderTop(out))
        return None if made is None else _Edit(found.resume, found.before, found.now, *made)
    ((_, entry),) = found.now.items()
    change = added(config, store, entry.article, _Taken(out, head.outputs))
    if change is None:
        return None
    made = _made(config, store, head.outputs, change, UnderTop(out))
    if made is None:
        return None
    grown = (len(change.new), 1)
    return _Edit(found.resume, {}, found.now, *made, change.lists, grown)


def _new_file(last: Listing, files: Listing) -> str | None:
    """The one content file added since the last build, when nothing else changed. The
    listings are compared as lists, in C (the new file is most often listed where the others
    were, in the same order): 0.01 s at 100 000 files, where copying the listing to compare
    it without the new file took 0.05 s, before the search child could be sent it."""
    if len(files) != len(last) + 1:
        return None
    names, before = list(files), list(last)
    flags = list(map(ne, names, before))  # (as long as `before`)
    at = flags.index(True) if True in flags else len(before)
    if names[at + 1 :] == before[at:]:
        values = list(files.values())
        del values[at]
        return names[at] if values == list(last.values()) else None
    new = files.keys() - last.keys()  # listed in another order
    if len(new) != 1:
        return None
    (path,) = new
    rest = dict(files)
    del rest[path]
    return path if rest == last else None


class _Taken:
    """Whether an output name is taken: by a page or file of the last build (`outputs`),
    or by anything in the output folder, or under a file there (a folder it needs)."""

    def __init__(self, out: Path, outputs: Mapping[str, object]) -> None:
        self._out, self._outputs = out, outputs

    def __call__(self, name: str) -> bool:
        if name in self._outputs or os.path.lexists(self._out / name):
            return True
        folder = name.rpartition("/")[0]
        while folder:
            if folder in self._outputs or (self._out / folder).is_file():
                return True
            folder = folder.rpartition("/")[0]
        return False


def _made(
    config: Config, store: PageStore, recorded: Mapping[str, tuple[str, str]], change: Added,
    intact: UnderTop,
) -> tuple[list[tuple[str, Page]], list[tuple[Page, str, str | None]]] | None:  # fmt: skip
    """The pages a new article changes or adds, and those of them to render; the store's
    of them must key to their recorded keys (else None: the store is not the record's)."""
    records = dict(change.records)
    forms = [*change.forms.values(), *change.before.values()]
    wanted = {path for form in forms for path in paths_of(form)} - records.keys()
    found = store.articles(sorted(wanted), config)
    if found is None:
        return None
    records.update(found)
    old = {name: page_from_plain(form, records, config) for name, form in change.before.items()}
    new = {name: page_from_plain(form, records, config) for name, form in change.forms.items()}
    return _keyed(config, recorded, (old, new), intact)


def _keyed(
    config: Config, recorded: Mapping[str, tuple[str, str]],
    pages: tuple[dict[str, Page], dict[str, Page]], intact: UnderTop,
) -> tuple[list[tuple[str, Page]], list[tuple[Page, str, str | None]]] | None:  # fmt: skip
    """The pages as they are now, by name, and those of them to render (page, key, the
    recorded digest of its file), when each page as stored (`pages`: as stored, and now)
    keys to the key its file was recorded with; else None (the store is not the record's)."""
    old, new = pages
    digests = layout_digests(config, chain(old.values(), new.values()))
    memo: dict = {}
    for name, page in old.items():
        if name not in recorded or page_key(page, digests, memo) != recorded[name][0]:
            return None
    now, todo, memo = [], [], {}
    for name, page in new.items():
        key, known = page_key(page, digests, memo), recorded.get(name)
        now.append((name, page))
        if known is None or key != known[0] or name not in intact:
            todo.append((page, key, known[1] if known is not None and name in intact else None))
    return now, todo


def _as_left(
    head: Head, resume: Resume, out: Path
) -> tuple[output.Manifest, frozenset[str]] | None:
    """The output folder's manifest and the files in it that sitegen did not write, when
    the folder is as the last build left it (else None: the build is made as usual)."""
    live = output.read_manifest(out)
    if live is None or live.id != head.generation or not out.is_dir():
        return None
    if not live.top <= set(top_names(out)):
        return None  # a section deleted by hand: written again whole, as a full build does
    found = output.foreign_files(out, live, full=False)
    return (live, found) if found == resume.found else None


def _edited(last: Listing, files: Listing) -> frozenset[str] | None:
    """The files touched since the last build, when no file came or went and there are a
    few (else None). A listing comes in the same order as the last one when no file came
    or went: compared in that order (list comparisons in C, 8 ms at 100 000 files, where
    the set difference of their items took 40 ms)."""
    if list(last) != list(files):
        if last.keys() != files.keys():
            return None
        changed = frozenset(rel for rel, _ in files.items() - last.items())
    elif list(last.values()) == list(files.values()):
        return None
    else:
        pairs = zip(files, files.values(), last.values(), strict=True)
        changed = frozenset(rel for rel, now, before in pairs if now != before)
    return changed if 0 < len(changed) <= patch.MOST else None


def _parsed(
    workers: Workers, files: Listing, before: Mapping[str, SourceEntry | None]
) -> dict[str, SourceEntry]:
    """The edited (or new: None before) files' entries now, as pipeline.read_sources makes
    them."""
    tasks: list[SourceTask] = [(Path(r), files[r], getattr(before[r], "digest", None))
                               for r in sorted(before)]  # fmt: skip
    now, shared = {}, {}
    for (rel, stat, _), entry in zip(tasks, workers.parse(tasks), strict=True):
        known = before[rel.as_posix()]
        if isinstance(entry, str):  # touched but unchanged
            assert known is not None, "a new file has no digest to compare"
            entry = SourceEntry(stat, entry, known.article, known.problems)
        else:
            entry = with_shared_values(entry, shared)
        now[rel.as_posix()] = entry
    return now


def _pages(
    config: Config, store: PageStore, recorded: dict[str, tuple[str, str]],
    swaps: dict[str, Article], intact: UnderTop,
) -> tuple[list[tuple[str, Page]], list[tuple[Page, str, str | None]]] | None:  # fmt: skip
    """The pages that hold the edited records, with the new ones in place, and those of
    them to render. Each as stored must key to the key its file was recorded with (else
    the store is not the record's: None); a page no longer made is left out."""
    names = store.holding(swaps)
    if names is None:
        return None
    plain = store.pages(sorted(n for n in names if n in recorded))
    if plain is None:
        return None
    articles = store.articles({path for form in plain.values() for path in paths_of(form)}, config)
    if articles is None:
        return None
    old = {name: page_from_plain(form, articles, config) for name, form in plain.items()}
    new = {}
    for name, page in old.items():
        for article in swaps.values():
            page = patch.with_record(page, article)
        new[name] = page
    return _keyed(config, recorded, (old, new), intact)


def _build(
    config: Config, problems: list[Problem],
    where: tuple[Path, output.Manifest, frozenset[str]], opts: BuildOptions, start: float,
    seen: Seen, helpers: tuple[SearchIndex, Workers], head: Head, edit: _Edit,
) -> BuildResult:  # fmt: skip
    """Render the edit's pages (the child indexes its articles), put them in place, save."""
    (out, live, kept), (search, workers), resume = where, helpers, edit.resume
    by_path = _source_problems(resume, edit.now)
    found = [p for _, problems_of in by_path for p in problems_of]
    problems = [*problems, *found, *resume.checked, *resume.clashes]
    if opts.strict:
        problems = [as_error(p) for p in problems]
    if any(p.is_error for p in problems):
        return BuildResult(tuple(problems), out, seconds=time.perf_counter() - start)
    previous = head.outputs
    claimed = output.Claimed(previous.keys(), ("search/",), set_aside_folder(config))
    staging = output.begin(out, live, False, kept, claimed)
    rendered = workers.render(staging, edit.todo, opts.progress)
    failed = [p for _, _, _, p in rendered if p is not None]
    if any(p.is_error for p in failed):
        return BuildResult((*problems, *failed), out, seconds=time.perf_counter() - start)
    written = [o for o, _, stat, _ in rendered if stat is not None]
    # The pages' (the child keeps the index files' record), packed: see sitegen/pagerecord.py.
    outputs = previous.updated({o: e for o, e, _, _ in rendered if e is not None})
    # The store, the parts and the pages' record, while the child splices: the record's
    # own file, written last, names them (a build stopped before it leaves them unnamed).
    saved = _save_entries(config, out, seen, (head, edit, by_path, kept))
    saved = (*saved, outputs.dumps())
    index = search.result(staging)
    workers.close()
    if config.search and index.saved is None:
        raise NotIndexed("the child kept no record of the index's files")
    written += index.written
    token, names = index.saved or (head.index, [])
    removed = _index_gone(index, names, live.files) if config.search else []
    manifest = output.commit(staging, written, removed, chain(outputs, names))
    if opts.published is not None:
        opts.published((*written, *removed))
    if opts.keep is not None:  # freed at the process's exit, not here (see BuildOptions):
        opts.keep.append((outputs, head, edit, live))  # (the live manifest's 314 000 names
        # and the listings `edit` holds took 0.06 s to free at 100 000 articles)
    _save_record(config, out, seen, (head, edit, saved), (outputs, manifest.id, token), problems)
    return BuildResult(
        (*problems, *failed), out, tuple(sorted(written)), tuple(removed),
        edit.counts[0] - len(edit.todo), edit.counts[0], time.perf_counter() - start,
        kept=tuple(sorted(kept - live.kept)), set_aside=set_aside_lines(config, staging, claimed),
    )  # fmt: skip


def _index_gone(index: Indexed, names: list[str], ours: AbstractSet[str]) -> list[str]:
    """The index's files that are not in it any more (those sitegen wrote: `ours`)."""
    if not index.whole:
        return sorted(o for o, entry in index.entries.items() if entry is None and o in ours)
    now = set(names)
    return sorted(o for o in ours if o.startswith(INDEX_FILES) and o not in now)


def _shown(article: Article | None, drafts: bool) -> bool:
    return article is not None and (drafts or not article.draft)


def _source_problems(
    resume: Resume, now: Mapping[str, SourceEntry]
) -> list[tuple[str, tuple[Problem, ...]]]:
    """The problems of each source that has any, in the order of their paths (as a full
    build lists them), the edited files' as they are now."""
    by_path = dict(resume.problems)
    by_path.update((path, entry.problems) for path, entry in now.items())
    return [(path, found) for path, found in sorted(by_path.items()) if found]


def _save_entries(
    config: Config, out: Path, seen: Seen,
    edit: tuple[Head, _Edit, list[tuple[str, tuple[Problem, ...]]], frozenset[str]],
) -> tuple[str | None, list[str | None]]:  # fmt: skip
    """Write the page store and the record's parts as this build leaves them (the pages
    that hold the edited records, the edited files' entries, the listing and problems);
    the store's token and the parts' tokens, for the record's own file to name."""
    (head, change, by_path, kept), root, resume = edit, config.root, edit[1].resume
    now = Resume(seen.surroundings, seen.files, kept, tuple(by_path), resume.checked,
                 resume.clashes, *change.counts)  # fmt: skip
    lists = (False, change.lists)
    token = update_store(root, out, head.pages, change.pages, (), change.now, now, lists)
    return token, replace_entries(root, out, head.parts, change.now)


def _save_record(
    config: Config, out: Path, seen: Seen, edit: tuple[Head, _Edit, tuple],
    written: tuple[dict[str, tuple[str, str]], str, str], problems: list[Problem],
) -> None:  # fmt: skip
    """Save the record's own file (the pages' outputs, naming the store, the parts and the
    index's record just written) and the state a build with nothing to do trusts; let go
    of the bodies no article has any more."""
    (head, change, (token, parts, dumped)), (outputs, generation, index) = edit, written
    # A new article changes the plan (see pipeline._plan), which only a full build makes:
    # none kept, the next full build keys every page and stores the lists again.
    plan = "" if change.lists else head.plan
    record = BuildCache(seen.fingerprint, str(out), outputs=outputs, generation=generation,
                        plan=plan, pages=token)  # fmt: skip
    save_head(config.root, record, parts, (index, dumped))
    _forget_bodies(config, out, token, change)
    warnings = tuple(p for p in problems if not p.is_error)
    top = top_names(out)
    state = QuickState(seen.inputs, generation, top, change.counts[0], warnings)
    save_state(config.root, out, state)


def _forget_bodies(config: Config, out: Path, token: str | None, change: _Edit) -> None:
    """The stored bodies of the edited files' old bytes, unless another article has them."""
    old = {
        entry.digest
        for path, entry in change.before.items()
        if change.now[path].digest != entry.digest
    }  # fmt: skip
    if not old:
        return
    with PageStore(config.root, out, token) as store:
        if not store.usable:
            return  # (the next full build prunes every body no article has)
        unused = {digest for digest in old if not store.digest_in_use(digest)}
    if unused:
        with body_store(config) as bodies:
            bodies.forget(unused)
