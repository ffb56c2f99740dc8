"""Listing folders quickly: one os.scandir per folder, paths kept as strings.

A no-change rebuild of a large archive is mostly this listing, so it avoids pathlib's
per-path parsing; `Snapshot` compares two listings of the same folders.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from sitegen.forked import ChildFailed, beside

Listing = dict[str, tuple[int, int]]  # posix path relative to the root -> (mtime_ns, size)


def is_temporary(name: str) -> bool:
    """Hidden files and editors' temporary files, which are never sources (nor build triggers)."""
    return (
        name.startswith((".", "#", "~"))
        or name.endswith(("~", ".swp", ".swx", ".swo", ".tmp", ".part"))
        or name == "4913"  # vim writes it to test whether a folder is writable
    )


def walk(root: Path, folder: str, suffix: str = "", outside: list[str] | None = None) -> Listing:
    """Every file under root/folder (ending in `suffix`), skipping temporary ones.

    Links are followed only while they stay inside the site: one that leads out of it
    (to /etc/passwd, to another site's content) is left out, and named in `outside` for
    the build to report. A link to a folder inside the one walked, or to one holding it,
    is not followed (its files are read once, under their own names), and two links to
    one folder are followed once.
    """
    found: Listing = {}
    top = os.path.join(root, folder)
    inside = os.path.realpath(root) + os.sep
    if os.path.isfile(top):  # a single file, such as site.yaml
        if os.path.islink(top) and not _leads_in(top, inside):
            _note(outside, folder)
            return found
        info = os.stat(top)
        return {folder: (info.st_mtime_ns, info.st_size)}
    walked = os.path.realpath(top)
    todo, seen = [(top, folder)], {walked}
    while todo:
        path, rel = todo.pop()
        try:
            entries = list(os.scandir(path))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if is_temporary(entry.name):
                continue
            child = f"{rel}/{entry.name}" if rel else entry.name
            if entry.is_symlink() and not _leads_in(entry.path, inside):
                _note(outside, child)
            elif entry.is_dir(follow_symlinks=True):
                if entry.is_symlink() and not _new_folder(entry.path, walked, seen):
                    continue  # its files are read under their own names
                todo.append((entry.path, child))
            elif entry.name.endswith(suffix):
                info = entry.stat()
                found[child] = (info.st_mtime_ns, info.st_size)
    return found


def _new_folder(link: str, walked: str, seen: set[str]) -> bool:
    """Whether a link to a folder leads somewhere not read yet: outside the folder being
    walked (and not to a folder holding it), and not to a folder another link led to."""
    real = os.path.realpath(link)
    if real in seen or (real + os.sep).startswith(walked + os.sep):
        return False
    if (walked + os.sep).startswith(real + os.sep):
        return False  # a folder that holds the one being walked: a loop
    seen.add(real)
    return True


def _leads_in(path: str, inside: str) -> bool:
    """Whether a link resolves to an existing file or folder inside the site (or the site's
    own folder, which `walk` then declines as a loop)."""
    real = os.path.realpath(path)
    return (real + os.sep).startswith(inside) and os.path.exists(real)


def _note(outside: list[str] | None, rel: str) -> None:
    if outside is not None:
        outside.append(rel)


def stat_files(root: Path, names: Iterable[str]) -> Listing:
    """The (mtime_ns, size) of each named file under root that exists.

    Relative to an open handle on root: the kernel then walks only the names' own folders
    (a quarter less time for the 30 000 outputs of a rebuild with search).
    """
    found: Listing = {}
    try:
        folder = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:  # no output folder yet
        return found
    try:
        for name in names:
            try:
                info = os.stat(name, dir_fd=folder)
            except OSError:
                continue
            found[name] = (info.st_mtime_ns, info.st_size)
    finally:
        os.close(folder)
    return found


def stat_files_beside(root: Path, names: Iterable[str]) -> Callable[[], Listing]:
    """`stat_files`, run in a forked child while this process goes on; call the result
    for the listing.

    A rebuild of a large archive stats some 30 000 outputs (0.1 s) while it loads its
    cache: in a second process the two take the time of one on a machine with two cores.
    Where no child can be forked, or it does not answer, the files are statted here: the
    answer is the same either way.
    """
    names = list(names)
    pending = beside(stat_files, root, names)

    def result() -> Listing:
        if pending is not None:
            try:
                return pending.result()
            except ChildFailed:
                pass
        return stat_files(root, names)

    return result


def signature(*listings: Listing, extra: str = "") -> str:
    """One digest for listings: equal digests mean no file was added, removed or touched.

    (Each listing sorted and marshalled whole: a C loop, a fifth of the time of formatting
    the 30 000 entries of a large site one by one. marshal's bytes may differ between
    Python versions, which at worst costs the next build its no-change shortcut.)
    """
    digest = hashlib.sha256(extra.encode("utf-8"))
    for listing in listings:
        digest.update(marshal.dumps(sorted(listing.items())))
    return digest.hexdigest()
