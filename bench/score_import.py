"""Score the legacy importer on the fixture corpus and print Markdown tables.

    python bench/score_import.py [--no-pages] [--out FILE]

The corpus is tests/importer/corpus/<family>/<page> with <page>.expected.yaml beside each;
the scorer is tests/importer/scoring.py. Prints per family, per metadata field, per class
and, unless --no-pages, the problems found on each page.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "importer"))

from scoring import CORPUS, report, score_corpus, totals  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--no-pages", action="store_true", help="leave out the per-page list")
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    args = parser.parse_args()
    scores = score_corpus(root=args.corpus)
    t = totals(scores)
    text = (
        f"# Importer corpus score\n\n{t.pages} pages, {len({s.family for s in scores})} "
        f"families: body recall {t.body_recall:.1%}, kind {t.kind_accuracy:.1%}, "
        f"metadata {t.meta_accuracy:.1%}, {t.invented} invented, {t.leaks} leaks, "
        f"{t.script_leaks} pages with script text\n\n" + report(scores, pages=not args.no_pages)
    )
    print(text, end="")
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 1 if t.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
