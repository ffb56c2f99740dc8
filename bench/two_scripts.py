"""The site in two scripts against one (issue 16): `python bench/run.py --scripts`.

    python bench/run.py --scripts --sizes 10000 [--repeat 3] [--out-root /dev/shm --settle 0]

On bench/run.py's corpus: clean builds in one script (site.yaml as generated) and in two
(`scripts: [zh-Hant, zh-Hans]`), alternating round by round so that both see the machine
alike; then the no-change rebuild and the one-article edit of each. The issue's budget: the
clean build in two scripts within 1.6x of the one in one. Kept apart from run.py, which
lends its corpus, timing and disk handling.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import run

SCRIPTS_LINE = "scripts: [zh-Hant, zh-Hans]\n"
BUDGET = 1.6  # issue 16: two scripts within 1.6x of one


def set_scripts(site: Path, two: bool) -> None:
    path = site / "site.yaml"
    text = path.read_text(encoding="utf-8").replace(SCRIPTS_LINE, "")
    path.write_text(text + (SCRIPTS_LINE if two else ""), encoding="utf-8")


def bench(count: int, args: argparse.Namespace) -> tuple[run.SizeResult, run.SizeResult]:
    print(f"{run._n(count)} articles, one script and two:", file=sys.stderr)
    disk = run.Disk(args.settle)
    disk.empty([args.out_root, run.OUT])
    corpus, seconds = run.prepare_corpus(count, args.seed, not args.no_search, args.out_root)
    if seconds:
        disk.deleted()
    two = dataclasses.replace(corpus, public=args.out_root / f"public-{count}-scripts")
    one_result, two_result = run.SizeResult(count), run.SizeResult(count)
    try:
        for round_ in range(args.repeat):
            print(f"  clean builds {round_ + 1}: one script, then two", file=sys.stderr)
            set_scripts(corpus.site, False)
            run.clean_round(corpus, one_result, args.jobs, disk)
            set_scripts(corpus.site, True)
            run.clean_round(two, two_result, args.jobs, disk)
        for round_ in range(args.repeat):  # on the site in two scripts, built last
            print(f"  rebuilds in two scripts {round_ + 1}:", file=sys.stderr)
            run.edit_round(two, two_result, round_, args.jobs, run.EDITS[:2])
        run.restore(corpus)
        set_scripts(corpus.site, False)
        print("  one script again, for its rebuilds:", file=sys.stderr)
        run.clean_round(corpus, one_result, args.jobs, disk)
        for round_ in range(args.repeat):
            print(f"  rebuilds in one script {round_ + 1}:", file=sys.stderr)
            run.edit_round(corpus, one_result, round_, args.jobs, run.EDITS[:2])
    finally:
        run.restore(corpus)
        set_scripts(corpus.site, False)
    disk.empty([])
    return one_result, two_result


def table(pairs: list[tuple[run.SizeResult, run.SizeResult]], args) -> str:
    rows = [
        f"search {'off' if args.no_search else 'on'}, output in {args.out_root}, "
        f"median of {args.repeat}",
        "",
        "| articles | scripts | pages | clean build (CPU) | no-change | one-article edit "
        "(written) | two / one, clean |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for one, two in pairs:
        ratio = two.seconds("clean") / one.seconds("clean")
        verdict = "within" if ratio <= BUDGET else "**over**"
        for name, result, note in (("one", one, ""), ("two", two, f"{ratio:.2f}x ({verdict} "
                                                                  f"{BUDGET}x)")):  # fmt: skip
            rows.append(
                f"| {run._n(result.count)} | {name} | {run._n(result.pages)} | "
                f"{result.seconds('clean'):.2f} s ({result.cpu('clean'):.1f} s) | "
                f"{result.seconds('no-change'):.2f} s | {result.seconds('edit'):.2f} s "
                f"({result.writes('edit')}) | {note} |"
            )
    return "\n".join(rows) + "\n"


def main(sizes: list[int], args: argparse.Namespace) -> int:
    pairs = [bench(count, args) for count in sizes]
    text = table(pairs, args)
    (run.OUT / "results-scripts.md").write_text(text, encoding="utf-8")
    print(text)
    return 0
