"""Problems found while building or importing, and the one error type that carries them.

Every message a user sees about their input is a `Problem`: it names the file, the line
where known, and says what to do. Stages collect problems and go on, so one run reports
every problem at once; `SiteError` stops work on a single file only.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from sitegen.frozen import pickled_by_fields

Severity = Literal["error", "warning"]


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Problem:
    path: Path
    message: str
    line: int | None = None
    severity: Severity = "error"

    def __str__(self) -> str:
        where = self.path.as_posix() + (f":{self.line}" if self.line else "")
        return f"{where}: {self.severity}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class SiteError(Exception):
    """Stops work on one file; the caller records `problem` and goes on with the rest."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def internal_error(exc: BaseException) -> str:
    """One line for an exception that no input should cause: what failed, where, and how to
    get the traceback. (Where: the notes the build adds to an exception, naming the file
    it was working on.)"""
    where = "; ".join(getattr(exc, "__notes__", ()))
    where = f" {where}" if where else ""
    return (f"sitegen: internal error{where}: {exc.__class__.__name__}: {exc}. This is a bug in "
            "sitegen, not in your site (a build leaves the last complete site in place). Run the "
            "same command with --debug for the traceback, and report it.")  # fmt: skip


# What the machine, not the site, refused: (errno names, what to say, what to do).
_SYSTEM_ERRORS: Final = (
    (
        ("ENOSPC", "EDQUOT"),
        "no space left on the device (or the disk quota is used up)",
        "free some space, or build into another folder with --out, and run it again",
    ),
    (("EROFS",), "the file system is read-only", "build into a folder you can write to (--out)"),
    (
        ("EACCES", "EPERM"),
        "permission denied",
        "give yourself write access to that folder, or build into another with --out",
    ),
    (("EMFILE", "ENFILE"), "too many open files", "raise the limit (ulimit -n) and run it again"),
    (
        ("EFBIG",),
        "a file is larger than this process may write",
        "raise the limit (ulimit -f) and run it again",
    ),
)


def system_error(exc: OSError) -> str | None:
    """One line for a refusal of the machine's (a full disk, a read-only folder): the file,
    what happened, what to do; None for any other OSError (a bug of sitegen's, then)."""
    for names, what, fix in _SYSTEM_ERRORS:
        if errno.errorcode.get(exc.errno) in names:
            where = f"{exc.filename}: " if exc.filename else ""
            return f"{where}error: {what}: {fix}"
    return None


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """A ' (did you mean 'x'?)' hint for a misspelt key, or ''."""
    import difflib

    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
