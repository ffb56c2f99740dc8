"""`sitegen import` and `sitegen clean`: thin argument handling around the importer."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sitegen.config import load_config
from sitegen.importer import import_page, make_context
from sitegen.importer.report import Progress, is_report, summary, to_json
from sitegen.importer.tree import import_tree


def register(subparsers: argparse._SubParsersAction) -> None:
    imp = subparsers.add_parser(
        "import",
        help="turn saved pages of an old CMS into Markdown articles",
        description=(
            "Import saved legacy pages (.html .htm .shtml .asp .aspx .php .jsp .txt) from SRC. "
            "Articles go to SITE/content/<category>/<year>/<slug>.md (or --out), images and "
            "attachments to SITE/static/imported/, and new categories into SITE/site.yaml. "
            "Existing files are kept unless --force."
        ),
    )
    imp.add_argument("src", type=Path, metavar="SRC", help="a saved page or a folder of them")
    imp.add_argument("--site", type=Path, default=Path("."), help="site root (default: .)")
    imp.add_argument("--out", type=Path, help="content folder (default: SITE/content)")
    imp.add_argument("--report", type=Path, help="write the JSON report here")
    imp.add_argument("--dry-run", action="store_true", help="write nothing; report only")
    imp.add_argument("--force", action="store_true", help="overwrite files that differ")
    imp.add_argument("--rules", type=Path, help="a YAML file extending the spam/chrome word lists")
    imp.set_defaults(func=run_import)

    cln = subparsers.add_parser("clean", help="print the cleaned Markdown of one saved page")
    cln.add_argument("page", type=Path, metavar="PAGE")
    cln.add_argument("--rules", type=Path, help="a YAML file extending the word lists")
    cln.set_defaults(func=run_clean)


def run_import(args: argparse.Namespace) -> int:
    if not args.src.exists():
        print(f"{args.src}: no such file or folder", file=sys.stderr)
        return 1
    config, problems = load_config(args.site)
    for problem in problems:
        print(problem, file=sys.stderr)
    if config is None:
        return 1
    content = args.out if args.out is not None else config.root / "content"
    refused = _report_refusal(args.report, args.force, content)
    if refused:
        print(f"sitegen import: {refused}", file=sys.stderr)
        return 2
    report = import_tree(
        args.src,
        config,
        content,
        make_context(args.rules),
        dry_run=args.dry_run,
        force=args.force,
        progress=Progress(),
    )
    if args.report is not None:
        try:
            args.report.write_text(to_json(report), encoding="utf-8")
        except OSError as exc:
            print(f"sitegen import: cannot write --report {args.report}: {exc.strerror}",
                  file=sys.stderr)  # fmt: skip
            return 1
    sys.stderr.write(summary(report))
    return 1 if report.failed else 0


def _report_refusal(report: Path | None, force: bool, content: Path) -> str | None:
    """Why the report may not be written to `report`, checked before anything is imported:
    an editor's article, or any other file, is never replaced by a report."""
    if report is None:
        return None
    target = report.resolve()
    if target.is_relative_to(content.resolve()):
        return f"--report {report} is inside {content}, where articles go: name a file outside it"
    if not target.parent.is_dir():
        return f"--report {report}: the folder {report.parent} does not exist"
    if not (report.exists() or report.is_symlink()):
        return None
    if report.is_dir():
        return f"--report {report} is a folder: name a file, e.g. import-report.json"
    if is_report(report) or force:
        return None
    return (f"--report {report} exists and is not an import report: name a new file "
            "(e.g. import-report.json), or add --force to replace it")  # fmt: skip


def run_clean(args: argparse.Namespace) -> int:
    try:
        raw = args.page.read_bytes()
    except OSError as exc:
        print(f"{args.page}: {exc.strerror}", file=sys.stderr)
        return 1
    result = import_page(raw, Path(args.page.name), make_context(args.rules))
    meta = result.meta
    head = [f"# {meta.title}"] if meta.title else []
    fields = [
        ("日期", meta.date),
        ("來源", meta.source),
        ("作者", meta.author),
        ("責任編輯", meta.editor),
        ("欄目", meta.category),
    ]
    head += [f"<!-- {k}: {v} -->" for k, v in fields if v]
    head.append(f"<!-- {result.kind}, {result.encoding} -->")
    sys.stdout.write("\n".join(head) + "\n\n" + result.markdown)
    for problem in result.problems:
        print(problem, file=sys.stderr)
    return 0
