"""The import report: JSON for every page, a short summary and progress for the terminal."""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Final, TextIO

from sitegen.importer.extract import Metadata
from sitegen.importer.tree import TreeReport

REPORT_MARK: Final = "sitegen_import_report"


def is_report(path: Path) -> bool:
    """Whether `path` holds a report an earlier `sitegen import` wrote."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and REPORT_MARK in data


def report_data(report: TreeReport) -> dict:
    pages = []
    for page in report.pages:
        result = page.result
        pages.append(
            {
                "source": page.origin.as_posix(),
                "status": page.status,
                "kind": result.kind if result else None,
                "reason": result.reason if result else "",
                "output": page.output.as_posix() if page.output else None,
                "category": page.category or None,
                "encoding": result.encoding if result else None,
                "title": result.meta.title if result else None,
                "meta": _meta(result.meta) if result else {},
                "confidence": result.confidence if result else None,
                "doubts": list(result.doubts) if result else [],
                "needs_review": page.review,
                "removed": dict(result.removed) if result else {},
                "removed_samples": _by_kind(result.samples) if result else {},
                "mojibake": [
                    {
                        "file": page.origin.as_posix(),
                        "line": run.line,
                        "original": run.original,
                        "repair": run.repair,
                        "unrecovered": run.unrecovered,
                    }
                    for run in (result.mojibake if result else ())
                ],
                "warnings": [str(p) for p in (result.problems if result else ()) + page.problems],
            }
        )
    return {
        REPORT_MARK: 1,  # so a later import knows the file is a report it may replace
        "summary": dict(Counter(p.status for p in report.pages))
        | ({"needs review": report.needs_review} if report.needs_review else {}),
        "categories_added": [{"slug": c.slug, "name": c.name} for c in report.categories_added],
        "pages": pages,
    }


def _by_kind(samples: tuple[tuple[str, str], ...]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for kind, text in samples:
        found.setdefault(kind, []).append(text)
    return found


def _meta(meta: Metadata) -> dict[str, str]:
    """The fields found on the page (the date with where it was read), empty ones left out."""
    return {name: value for name, value in asdict(meta).items() if value}


def to_json(report: TreeReport) -> str:
    return json.dumps(report_data(report), ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def summary(report: TreeReport) -> str:
    counts = Counter(p.status for p in report.pages)
    kinds = Counter(p.result.kind for p in report.pages if p.status == "skipped" and p.result)
    runs = sum(len(p.result.mojibake) for p in report.pages if p.result)
    parts = [f"{n} {status}" for status, n in sorted(counts.items())]
    lines = [f"{len(report.pages)} pages: " + ", ".join(parts)]
    if report.needs_review:
        lines.append(f"needs review: {report.needs_review} (written as drafts; see the report)")
    if kinds:
        lines.append("skipped: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
    if runs:
        lines.append(f"mojibake runs found: {runs} (see the report)")
    done = "would be added to site.yaml (dry run)" if report.dry_run else "added to site.yaml"
    for cat in report.categories_added:
        lines.append(f"category {done}: {cat.slug} ({cat.name})")
    for page in report.pages:
        if page.status == "failed":
            lines += [str(p) for p in page.problems]
    return "\n".join(lines) + "\n"


class Progress:
    """A progress bar on a terminal; plain lines every tenth of the way elsewhere."""

    def __init__(self, stream: TextIO = sys.stderr, minimum: int = 50) -> None:
        self.stream = stream
        self.minimum = minimum  # short imports need no progress at all
        self.tty = stream.isatty()

    def __call__(self, done: int, total: int) -> None:
        if total < self.minimum:
            return
        if self.tty:
            filled = done * 30 // total
            self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total}")
            if done == total:
                self.stream.write("\n")
            self.stream.flush()
        elif done == total or done % max(total // 10, 1) == 0:
            self.stream.write(f"imported {done}/{total} pages\n")
