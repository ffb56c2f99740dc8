"""The output folder: who owns it, one build at a time, and old or new, never mixed.

A build never writes into the live site. It keeps a second tree beside it, the spare
(`.public.sitegen-spare` beside `public/`), which holds the site as the build before last
left it, sharing every unchanged file with the live tree by hard link. A build brings the
spare up to the live site (it links in what the last build changed), writes its own
changes into the spare (always as new files: a shared inode is never written through),
and then swaps the two folders with one `renameat2(RENAME_EXCHANGE)`. A reader, a web
server or a `kill -9` at any instant finds `public/` complete: the old site or the new one.
An edit costs what it changes, not what the site holds; a first or clean build writes a
whole new tree.

Each tree carries a manifest (`.sitegen-manifest`) naming every file sitegen wrote there,
the files it found there and kept, and what changed since the tree before it; a folder with
no manifest is not sitegen's, and is written into only when it is empty. The spare's
manifest is written last, so a spare without one is known to be half made and is made
again from the live tree.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import itertools
import os
import shutil
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

from sitegen.forked import end_with
from sitegen.problems import Problem, SiteError

if TYPE_CHECKING:
    import subprocess

MANIFEST: Final = ".sitegen-manifest"
_HEADER: Final = "sitegen-manifest 1"
_SECTIONS: Final = ("changed", "removed", "files", "kept", "top")
# The site's own sources, which no output folder may be, hold or sit inside.
SOURCES: Final = ("content", "layouts", "static", "site.yaml")


@dataclass(frozen=True, slots=True)
class Manifest:
    id: str  # a random name for this tree's contents
    previous: str  # the id of the tree this one was made from by `changed` and `removed`
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    files: AbstractSet[str] = frozenset()  # every file sitegen wrote, the manifest aside
    kept: frozenset[str] = frozenset()  # files found in the folder that sitegen did not write
    top: frozenset[str] = frozenset()  # the names at the folder's top, the manifest aside


def _manifest_blocks(tree: str, previous: str, *sections: Iterable[str]) -> Iterator[bytes]:
    """A manifest's text in blocks of some thousand lines, its sections in _SECTIONS' order.

    In blocks, not joined: a clean build of 300 000 articles lists 950 000 files twice
    (changed and files), which as one string and its bytes held another 110 MB at the
    build's peak. Names go unsorted: 30 000 of them cost 10 ms to sort.
    """
    yield f"{_HEADER}\nid {tree}\nprevious {previous}\n".encode()
    for name, lines in zip(_SECTIONS, sections, strict=True):
        yield f"[{name}]\n".encode()
        lines = iter(lines)
        while block := list(itertools.islice(lines, 4096)):
            yield ("\n".join(block) + "\n").encode("utf-8")


def spare_of(out: Path) -> Path:
    return out.parent / f".{out.name}.sitegen-spare"


def read_manifest(folder: Path) -> Manifest | None:
    """The manifest of a tree, or None when it has none (or one that cannot be read)."""
    try:
        text = (folder / MANIFEST).read_text(encoding="utf-8")
        header, tree, previous, rest = text.split("\n", 3)
        if header != _HEADER or not tree.startswith("id ") or not text.endswith("\n"):
            return None
        sections = _sections("\n" + rest)
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    changed, removed, files, kept, top = sections
    return Manifest(tree[3:], previous.removeprefix("previous "), tuple(_lines(changed)),
                    tuple(_lines(removed)), _Names(files), frozenset(_lines(kept)),
                    frozenset(_lines(top)))  # fmt: skip


def _sections(body: str) -> list[str]:
    """The text of each section of a manifest's `body` (which starts with a line break and
    ends with one), in _SECTIONS' order; ValueError if one is missing."""
    marks = []
    at = 0
    for name in _SECTIONS:
        at = body.index(f"\n[{name}]\n", at)
        marks.append((at, at + len(name) + 4))
    ends = [start for start, _ in marks[1:]] + [len(body) - 1]
    return [body[first:end] for (_, first), end in zip(marks, ends, strict=True)]


def _lines(section: str) -> list[str]:
    return section.split("\n") if section else []


class _Names(AbstractSet[str]):
    """The files a manifest names, made into a set when first looked into: an edit's build
    reads the live manifest for its other sections and the changes, and at 100 000
    articles making a set of its 314 000 files took 0.04 s."""

    __slots__ = ("_set", "_text")

    def __init__(self, text: str) -> None:
        self._text: str = text
        self._set: frozenset[str] | None = None

    def _names(self) -> frozenset[str]:
        if self._set is None:
            self._set, self._text = frozenset(_lines(self._text)), ""
        return self._set

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    @classmethod
    def _from_iterable(cls, names: Iterable[str]) -> frozenset[str]:
        return frozenset(names)  # (what `|`, `-` and `&` make)


def refusal(root: Path, out: Path, listed: Callable[[], Iterable[str]]) -> str | None:
    """Why `out` may not be the output folder of the site in `root`, or None.

    `listed` gives the outputs an earlier sitegen recorded for `out` in its cache (a site
    built before output folders carried a manifest is still taken as sitegen's when every
    file in it is one of those).
    """
    advice = "build into SITE/public or another new or empty folder with --out"
    if root.is_relative_to(out):
        return f"the output folder {out} holds the site's own sources: {advice}"
    for name in SOURCES:
        if out.is_relative_to(root / name):
            return f"the output folder {out} is inside the site's {name}: {advice}"
    if not out.exists() and not out.is_symlink():
        return None
    if not out.is_dir():
        return f"the output folder {out} is not a folder: {advice}"
    if (out / MANIFEST).is_file() or not any(out.iterdir()):
        return None
    known = set(listed())
    if known and all(rel in known for rel in _files_under(out)):
        return None  # written by a sitegen of before manifests
    return (
        f"{out} is not empty and was not made by sitegen (it has no {MANIFEST}); sitegen "
        f"writes only into folders it made: {advice}, or empty {out} yourself"
    )


def _files_under(folder: Path) -> Iterator[str]:
    for path, _dirs, files in os.walk(folder):
        rel = os.path.relpath(path, folder)
        for name in files:
            yield name if rel == "." else f"{rel}/{name}".replace(os.sep, "/")


@contextmanager
def build_lock(root: Path, waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """One build of a site at a time: a second one (or `serve`'s) waits for the first.

    flock: the kernel releases it when its process ends, however it ends, so a killed
    build never leaves a stale lock behind.
    """
    folder = root / ".sitegen-cache"
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / "build.lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "another process"
            if waiting is not None:
                waiting(f"waiting for another build of this site to finish (pid {holder})")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


@dataclass(frozen=True, slots=True)
class Staging:
    """The spare tree a build writes its changes into (`folder`), for the live `out`."""

    out: Path
    folder: Path
    fresh: bool  # True: the folder started empty, so no file in it is shared with `out`
    live: Manifest | None = None  # the live tree's manifest
    kept: frozenset[str] = frozenset()  # files of someone else's, carried into the new tree
    set_aside: tuple[str, ...] = ()  # files of someone else's found in the spare, moved out
    # Folders this process has made: mkdir is a system call per page otherwise.
    made: set[str] = field(default_factory=set, compare=False, repr=False)

    def target(self, output: str) -> str:
        """Where to stage `output` (a relative path from the site), checked to stay inside."""
        # A lexical check: the spare is ours, made from our own outputs, so no link inside it
        # can lead out, and resolve()'s system calls cost more than rendering a small page.
        clean = os.path.normpath(output)
        if os.path.isabs(clean) or clean == ".." or clean.startswith("../"):
            raise SiteError(Problem(Path(output), f"output {output!r} escapes {self.out}"))
        return os.path.join(self.folder, clean)

    def write(self, output: str, data: bytes) -> tuple[int, int]:
        """Stage `output`; returns its (mtime_ns, size), which the swap into place keeps.

        Always a new file: in a spare that is not fresh the old one may be a hard link to
        the live site's file, which must not change. Plain strings and os calls: a clean
        build writes 20 000 files, and pathlib's and open()'s objects cost more per file.
        """
        return self.write_blocks(output, (data,))

    def copy(self, output: str, source: str) -> tuple[int, int]:
        """Stage `output` as a copy of the file `source`, in pieces: an attachment may be a
        video of hundreds of megabytes, which `write` would hold in memory whole."""
        with open(source, "rb") as handle:
            return self.write_blocks(output, iter(lambda: handle.read(1 << 20), b""))

    def take(self, output: str, source: Path) -> None:
        """Stage `output` by moving the file `source` (made by another process) into place:
        a new directory entry, so a shared inode is never written through either."""
        target = self.target(output)
        parent = os.path.dirname(target)
        if parent not in self.made:
            os.makedirs(parent, exist_ok=True)
            self.made.add(parent)
        try:
            os.replace(source, target)
        except OSError:  # another file system (an --out elsewhere): copied instead
            self.copy(output, str(source))

    def write_blocks(self, output: str, blocks: Iterable[bytes]) -> tuple[int, int]:
        """Stage `output` as `blocks` written one after another, as `write` does with one:
        for a file too large to hold whole (a copied video, a manifest of a million lines)."""
        fd = self._new_file(output)
        try:
            for block in blocks:
                view = memoryview(block)
                while view:
                    view = view[os.write(fd, view) :]
            info = os.fstat(fd)
        except OSError as exc:  # a full disk, say: the message must name the file
            exc.filename = exc.filename or self.target(output)
            raise
        finally:
            os.close(fd)
        return info.st_mtime_ns, info.st_size

    def _new_file(self, output: str) -> int:
        """A new, empty file for `output` in the staging tree, opened for writing."""
        return create_new(self.target(output))

    def remove(self, outputs: Iterable[str]) -> None:
        """Delete outputs the new site no longer has (before writing: a file may stand where
        a new page needs a folder)."""
        for output in outputs:
            target = Path(self.target(output))
            _unlink(target)
            _remove_empty_parents(target.parent, self.folder)


def create_new(target: str) -> int:
    """A new, empty file at `target`, opened for writing: never an old one written through
    (in a spare tree the old file is a hard link to the live site's, which must not
    change). Its folder is made if need be. Opened to be created first, as most often
    nothing is in the way and the folder is there: one system call where checking first
    took two or three (an edit's search child writes 800 index files at 100 000 articles)."""
    try:
        return os.open(target, _NEW_FILE, 0o666)
    except FileExistsError:
        os.unlink(target)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(target), exist_ok=True)
    return os.open(target, _NEW_FILE, 0o666)


_NEW_FILE: Final = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def _unlink(path: str | Path) -> None:
    # Gone already, or a file now stands where its folder was (an alias /a.html/b that
    # became /a.html): either way it is not there.
    with suppress(FileNotFoundError, NotADirectoryError):
        os.unlink(path)


def begin(
    out: Path, live: Manifest | None, fresh: bool, kept: frozenset[str], claimed: Claimed
) -> Staging:
    """The spare, ready for a build's changes: empty when `fresh`, else equal to `out`
    (whose manifest is `live`); either way holding the `kept` files of the live site (see
    `foreign_files`). A spare made anew loses no file sitegen did not write: such files
    (put by hand into public/ deep down, and swapped out with it) go to `claimed.aside`."""
    spare = spare_of(out)
    fresh = fresh or live is None or not out.is_dir()
    mine = manifest_id(spare)
    remade = fresh or mine not in (live.id, live.previous)
    strays = _put_aside(spare, live, claimed) if remade and spare.is_dir() else ()
    # Half made from here until commit writes a manifest again: a kill in between leaves a
    # spare that the next build knows to make anew.
    _unlink(spare / MANIFEST)
    if remade:
        _remove_tree(spare)
    if fresh:
        spare.mkdir(parents=True)
    elif remade:
        _link_tree(out, spare, with_manifest=False)  # half made until commit writes one
    else:
        _bring_up(out, spare, live, mine)
        for rel in live.kept - kept:  # deleted from the live site since
            _unlink(spare / rel)
    for rel in kept:
        _link(out / rel, spare / rel)
    return Staging(out, spare, fresh, live, kept, strays)


@dataclass(frozen=True, slots=True)
class Claimed:
    """What the build knows to be its own, and where it puts files that are not."""

    outputs: AbstractSet[str]  # the pages and static files this build makes
    prefixes: tuple[str, ...]  # folders all of whose files are its own (search/)
    aside: Path  # a new folder for files found in a spare that sitegen did not write


def _put_aside(spare: Path, live: Manifest | None, claimed: Claimed) -> tuple[str, ...]:
    """Move out of the spare every file that no manifest, and no output of this build,
    says sitegen wrote; return their names."""
    before = read_manifest(spare)
    known = (live.files | live.kept) if live else frozenset()
    known |= (before.files | before.kept) if before else frozenset()
    strays = []
    for rel in _files_under(spare):
        ours = rel in known or rel in claimed.outputs or rel.startswith(claimed.prefixes)
        if ours or rel == MANIFEST:
            continue
        _move(spare / rel, claimed.aside / rel)
        strays.append(rel)
    return tuple(strays)


def _move(source: Path, target: Path) -> None:
    """Move a file: shutil.move renames it, or copies it and removes it where a rename
    cannot (an output folder on another file system than the site's: --out /var/www/news,
    a mounted volume)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(source, target)


def foreign_files(out: Path, live: Manifest | None, full: bool) -> frozenset[str]:
    """Files in the live site that sitegen did not write and keeps: those it kept before
    and still there, and new ones, looked for in the whole folder when `full` (a build
    that writes everything anyway), else at its top level (CNAME, a verification file).
    """
    if live is None:  # a new or empty folder, or one an older sitegen wrote whole
        return frozenset()
    if full:
        ours = live.files
        found = {rel for rel in _files_under(out) if rel not in ours and rel != MANIFEST}
    else:
        found = set()
        for entry in os.scandir(out):
            if entry.name in live.top or entry.name == MANIFEST:
                continue
            if entry.is_dir(follow_symlinks=False):
                found.update(f"{entry.name}/{rel}" for rel in _files_under(Path(entry.path)))
            else:
                found.add(entry.name)
    found.update(rel for rel in live.kept if os.path.lexists(out / rel))
    return frozenset(found)


def _bring_up(out: Path, spare: Path, live: Manifest, mine: str | None) -> None:
    """Make the spare (whose manifest had the id `mine`: the live tree's, or the one it was
    made from) equal to the live tree, by the live tree's own list of changes."""
    if mine == live.id:
        return
    for rel in live.removed:
        _unlink(spare / rel)
        _remove_empty_parents((spare / rel).parent, spare)
    for rel in live.changed:
        _link(out / rel, spare / rel)


def manifest_token(folder: Path) -> tuple[int, int, int] | None:
    """What tells a tree's manifest file from any other (one written since, by anyone)."""
    try:
        found = os.stat(folder / MANIFEST)
    except OSError:
        return None
    return found.st_ino, found.st_size, found.st_mtime_ns


def manifest_id(folder: Path) -> str | None:
    """The id of a tree's manifest, from its first lines only."""
    try:
        with open(folder / MANIFEST, "rb") as handle:
            head = handle.read(200).decode("utf-8", "replace").split("\n")
    except OSError:
        return None
    whole = len(head) > 2 and head[0] == _HEADER and head[1].startswith("id ")
    return head[1][3:] if whole else None


def _link(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    _unlink(target)
    with suppress(FileNotFoundError):  # deleted by hand since: the build writes it again
        os.link(source, target, follow_symlinks=False)


def _link_tree(source: Path, target: Path, with_manifest: bool = True) -> None:
    """A copy of `source` made of hard links (folders are new, files shared). The manifest
    comes last, if at all: a copy cut short by a kill must not claim to be whole."""
    for path, _dirs, files in os.walk(source):
        here = Path(target, os.path.relpath(path, source))
        here.mkdir(parents=True, exist_ok=True)
        for name in files:
            if name != MANIFEST or path != str(source):
                os.link(os.path.join(path, name), here / name, follow_symlinks=False)
    if with_manifest and (source / MANIFEST).exists():
        os.link(source / MANIFEST, target / MANIFEST)


def _remove_tree(folder: Path) -> None:
    _unlink(folder / MANIFEST)  # first: a tree cut short must not pass for a whole one
    if folder.is_dir() and not folder.is_symlink():
        shutil.rmtree(folder)
    elif folder.exists() or folder.is_symlink():
        folder.unlink()


def commit(staging: Staging, changed: Iterable[str], removed: Iterable[str],
           files: Iterable[str]) -> Manifest:  # fmt: skip
    """Put the spare in place of the live site, in one step, and return its manifest, as
    read_manifest would read it but for `files` (left empty: a caller that keeps it, to
    read no manifest the next time, fills them in). `changed` and `removed` are what this
    build did to the spare; `files`, every output of the new site (each once)."""
    changed = tuple(changed)
    live = staging.live
    removed = tuple(removed)
    staging.remove(p for p in removed if not os.path.isdir(staging.target(p)))
    top = frozenset(os.listdir(staging.folder)) - {MANIFEST}
    tree = os.urandom(8).hex()
    previous = live.id if live and not staging.fresh else "-"
    # A new file like every other the build writes (see Staging.write): written through a
    # hard link to the live manifest, it gave the old tree the new tree's id, and the next
    # build took that tree as up to date. `files` is written as it is iterated, never held
    # as a set (every file sitegen wrote, each written once).
    blocks = _manifest_blocks(tree, previous, changed, removed, files, staging.kept, top)
    staging.write_blocks(MANIFEST, blocks)
    swap(staging.folder, staging.out)
    # A fresh build's spare now holds the old site, all of it stale: see Twin.
    return Manifest(tree, previous, changed, removed, frozenset(), frozenset(staging.kept), top)


class Twin:
    """The spare made the twin of the site a fresh build has just put in place (old files
    removed, new ones hard-linked), so that the next edit finds it ready: done now, while a
    whole build is under way anyway. In a child process, while the build saves its record:
    done in the build, it was a clean build's last step on one core (0.8 s at 10 000
    articles, 9 s at 100 000). A kill or a failure in between leaves a spare without a
    manifest, which the next build makes anew (see begin).

    The child is a new interpreter (`twin_child`), not a fork of the build: a fork shares
    the build's memory, and the build, saving the records of every page meanwhile,
    touched and so copied most of it (peak memory of a clean build of 100 000 articles:
    733 MB before, 976 MB with a fork). Linux only, where the child ends with the build
    (see forked.end_with); elsewhere the build does the work itself.

    Held as a context: leaving it waits for the child (the next build works in the
    spare, so this one keeps the build lock until then), and a child that failed has its
    work done again in the build; leaving it by an exception kills the child instead."""

    def __init__(self, staging: Staging) -> None:
        self._trees = (staging.out, staging.folder)
        self._child = _start_twin(*self._trees)
        if self._child is None:
            _make_twin(*self._trees)

    def __enter__(self) -> Twin:
        return self

    def __exit__(self, failed: type[BaseException] | None, *_: object) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        if failed is not None:
            child.kill()
            child.wait()
        elif child.wait() != 0:
            _make_twin(*self._trees)


# What the child runs (see _start_twin).
_TWIN_CODE: Final = "import sys; from sitegen.output import twin_child; twin_child(*sys.argv[1:])"


def _start_twin(out: Path, spare: Path) -> subprocess.Popen | None:
    if not sys.platform.startswith("linux") or not sys.executable:
        return None
    import subprocess  # (a fresh build's only: 5 ms of every build's start otherwise)

    # The folder holding the package goes on its path: a build run from a checkout
    # (python build.py) starts a child that finds the same package.
    package = str(Path(__file__).resolve().parents[1])
    paths = [package, *filter(None, [os.environ.get("PYTHONPATH")])]
    command = [sys.executable, "-c", _TWIN_CODE, str(out), str(spare), str(os.getpid())]
    quiet, env = subprocess.DEVNULL, {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    try:
        return subprocess.Popen(command, stdin=quiet, stdout=quiet, stderr=quiet, env=env)
    except (OSError, ValueError):
        return None


def twin_child(out: str, spare: str, parent: str) -> None:
    """The work of Twin's child, which ends with the build that started it. Ctrl+C reaches
    the whole process group: the build answers it, and kills the child."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    end_with(int(parent))
    _make_twin(Path(out), Path(spare))


def _make_twin(out: Path, spare: Path) -> None:
    _remove_tree(spare)
    _link_tree(out, spare)


def swap(spare: Path, out: Path) -> None:
    """Exchange the spare and the live folder atomically (or move the spare into place)."""
    if not out.exists():
        spare.rename(out)
        return
    if _exchange(spare, out):
        return
    # No renameat2 here (not Linux, or a file system without it): three renames, with a
    # moment in which `out` is missing; `recover` finishes the job if a kill falls there.
    aside = _aside(out)
    out.rename(aside)
    spare.rename(out)
    aside.rename(spare)


def _aside(out: Path) -> Path:
    return out.parent / f".{out.name}.sitegen-old"


def recover(out: Path) -> None:
    """Finish a swap that a kill interrupted between its renames (the fallback path)."""
    aside, spare = _aside(out), spare_of(out)
    if aside.is_dir() and not out.exists() and read_manifest(spare) is not None:
        spare.rename(out)
        aside.rename(spare)
    elif aside.is_dir() and out.is_dir():
        _remove_tree(aside)


def _exchange(a: Path, b: Path) -> bool:
    """renameat2(a, b, RENAME_EXCHANGE); False where the system has no such call."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    call = getattr(libc, "renameat2", None)
    if call is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if call(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _remove_empty_parents(folder: Path, stop: Path) -> None:
    # rmdir refuses a folder that is not empty: listing one to find out read the 100 000
    # names of search/d/ when one doc chunk went (0.05 s).
    while folder != stop:
        try:
            folder.rmdir()
        except OSError:  # not empty, not there, or not a folder
            return
        folder = folder.parent
