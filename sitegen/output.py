"""Writing a build's files so that a failed build never touches the previous site.

Everything a build produces goes first into a staging folder beside the output folder
(same file system, so moves are renames). Only when every page rendered does `commit`
move the staged files into place and remove the outputs that are gone; a first or clean
build swaps the whole folder instead, so the result equals a build into an empty folder.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from sitegen.problems import Problem, SiteError


@dataclass(frozen=True, slots=True)
class Staging:
    out: Path
    folder: Path
    fresh: bool  # True: the staging folder becomes the whole new site
    # Folders this process has made: mkdir is a system call per page otherwise.
    made: set[str] = field(default_factory=set, compare=False, repr=False)

    def target(self, output: str) -> str:
        """Where to stage `output` (a relative path from the site), checked to stay inside."""
        # A lexical check: the staging folder is ours and freshly made, so no link inside it
        # can lead out, and resolve()'s system calls cost more than rendering a small page.
        clean = os.path.normpath(output)
        if os.path.isabs(clean) or clean == ".." or clean.startswith("../"):
            raise SiteError(Problem(Path(output), f"output {output!r} escapes {self.out}"))
        return os.path.join(self.folder, clean)

    def write(self, output: str, data: bytes) -> tuple[int, int]:
        """Stage `output`; returns its (mtime_ns, size), which the move into place keeps.

        Plain strings and os calls: a clean build writes 20 000 files, and pathlib's and
        open()'s objects cost more per file than the system calls.
        """
        target = self.target(output)
        parent = os.path.dirname(target)
        if parent not in self.made:
            os.makedirs(parent, exist_ok=True)
            self.made.add(parent)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            info = os.fstat(fd)
        finally:
            os.close(fd)
        return info.st_mtime_ns, info.st_size


def begin(out: Path, fresh: bool) -> Staging:
    folder = out.parent / f".{out.name}.staging"
    if folder.exists():
        shutil.rmtree(folder)  # left by a build that was killed
    folder.mkdir(parents=True)
    return Staging(out, folder, fresh or not out.exists())


def abandon(staging: Staging) -> None:
    shutil.rmtree(staging.folder, ignore_errors=True)


def commit(staging: Staging, removed: list[str]) -> None:
    """Put the staged files in place and delete `removed` outputs."""
    out = staging.out
    if staging.fresh:
        old = out.parent / f".{out.name}.old"
        if old.exists():
            shutil.rmtree(old)
        if out.exists():
            out.rename(old)
        staging.folder.rename(out)
        shutil.rmtree(old, ignore_errors=True)
        return
    for staged in sorted(staging.folder.rglob("*")):
        if staged.is_file():
            final = out / staged.relative_to(staging.folder)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, final)  # atomic: a reader never sees half a file
    for output in removed:
        gone = out / output
        gone.unlink(missing_ok=True)
        _remove_empty_parents(gone.parent, out)
    shutil.rmtree(staging.folder, ignore_errors=True)


def _remove_empty_parents(folder: Path, stop: Path) -> None:
    while folder != stop and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
