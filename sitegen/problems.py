"""Problems found while building or importing, and the one error type that carries them.

Every message a user sees about their input is a `Problem`: it names the file, the line
where known, and says what to do. Stages collect problems and go on, so one run reports
every problem at once; `SiteError` stops work on a single file only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

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


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """A ' (did you mean 'x'?)' hint for a misspelt key, or ''."""
    import difflib

    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
