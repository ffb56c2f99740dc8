"""`sitegen import` and `sitegen preview-import`: thin argument handling around the importer."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from sitegen.config import load_config
from sitegen.convert import naive_fix
from sitegen.importer import import_page, make_context
from sitegen.importer.report import Progress, is_report, summary, to_json
from sitegen.importer.review import is_review, original_reader, render_review
from sitegen.importer.tree import import_tree


def register(subparsers: argparse._SubParsersAction) -> None:
    imp = subparsers.add_parser(
        "import",
        help="turn saved pages of an old CMS into Markdown articles",
        description=(
            "Import saved legacy pages (.html .htm .shtml .asp .aspx .php .jsp .txt) from SRC. "
            "Articles go to SITE/content/<category>/<year>/<slug>.md (or --out); an article "
            "with images or attachments becomes a folder, <slug>/index.md beside its files. "
            "New categories go into SITE/site.yaml. "
            "Existing files are kept unless --force."
        ),
    )
    imp.add_argument("src", type=Path, metavar="SRC", help="a saved page or a folder of them")
    imp.add_argument("--site", type=Path, default=Path("."), help="site folder (default: .)")
    imp.add_argument("--out", type=Path, help="content folder (default: SITE/content)")
    imp.add_argument("--report", type=Path, help="write the JSON report here")
    imp.add_argument(
        "--review",
        type=Path,
        help="write the HTML review page for editors here (default with --report: beside it, "
        "as REPORT.html)",
    )
    imp.add_argument(
        "--old-site",
        metavar="URL",
        help="the old site's address (https://old.example.org): links to files the saved "
        "pages do not hold point there instead of nowhere",
    )
    imp.add_argument("--dry-run", action="store_true", help="write nothing; report only")
    imp.add_argument("--force", action="store_true", help="overwrite files that differ")
    imp.add_argument("--rules", type=Path, help="a YAML file extending the spam/chrome word lists")
    imp.add_argument(
        "--fix-naive-traditional",
        action="store_true",
        help="repair traditional text converted from simplified character by character "
        "(關于 -> 關於, 聯系 -> 聯繫, 先后 -> 先後) in titles and bodies, by phrase (OpenCC); "
        "variants and regional choices (裡/裏, 發布/發佈) are kept; each fix is a warning",
    )
    imp.set_defaults(func=run_import)

    # `clean` was easy to take for `build --clean`; the old name stays for one version.
    for name, func, what in (
        ("preview-import", run_preview, "print one saved page as the importer would write it"),
        ("clean", run_clean, "the old name of preview-import (removed in 0.3)"),
    ):
        preview = subparsers.add_parser(
            name, help=what, description="Print the Markdown the importer would write for "
            "one saved legacy page, with the metadata it found, and write nothing.",
        )  # fmt: skip
        preview.add_argument("page", type=Path, metavar="PAGE", help="a saved legacy page")
        preview.add_argument("--rules", type=Path, help="a YAML file extending the word lists")
        preview.set_defaults(func=func)


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
    if args.old_site is not None and not _OLD_SITE.fullmatch(args.old_site):
        print(f"sitegen import: --old-site {args.old_site!r} is not a site address: give one "
              "like https://old.example.org", file=sys.stderr)  # fmt: skip
        return 2
    review = args.review if args.review is not None else beside_report(args.report)
    refused = _report_refusal(args.report, args.force, content) or _review_refusal(
        review, args, content
    )
    if refused:
        print(f"sitegen import: {refused}", file=sys.stderr)
        return 2
    context = make_context(args.rules)
    report = import_tree(
        args.src,
        config,
        content,
        context,
        dry_run=args.dry_run,
        force=args.force,
        progress=Progress(),
        old_site=args.old_site,
        fix=naive_fix if args.fix_naive_traditional else None,
    )
    if args.report is not None and not _write(args.report, "--report", to_json(report)):
        return 1
    if review is not None:
        base = args.src if args.src.is_dir() else args.src.parent
        names = {c.slug: c.name for c in config.categories}
        page = render_review(report, original_reader(base, context.model), names)
        if not _write(review, "--review", page):
            return 1
    sys.stderr.write(summary(report))
    if review is not None:
        print(f"review page: {review}", file=sys.stderr)
    return 1 if report.failed else 0


_OLD_SITE = re.compile(r"https?://[A-Za-z0-9.-]+(?::\d+)?(?:/[^\s?#]*)?")


def _write(path: Path, flag: str, text: str) -> bool:
    """Write through a temporary file, so a failed write never leaves half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        print(f"sitegen import: cannot write {flag} {path}: {exc.strerror}", file=sys.stderr)
        return False
    return True


def beside_report(report: Path | None) -> Path | None:
    """Where the review page goes when only --report is given: r.json -> r.html."""
    if report is None:
        return None
    beside = report.with_suffix(".html")
    return beside if beside != report else report.with_suffix(".review.html")


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


def _review_refusal(review: Path | None, args: argparse.Namespace, content: Path) -> str | None:
    """Why the review page may not be written to `review`, checked before anything is
    imported. A file that is not an earlier review page is never replaced unless the editor
    named it with --review and added --force; one beside --report is never replaced at all,
    since nobody asked for that name."""
    if review is None:
        return None
    named = args.review is not None
    flag = f"--review {review}" if named else f"the review page {review} (beside --report)"
    target = review.resolve()
    if target.is_relative_to(content.resolve()):
        return f"{flag} is inside {content}, where articles go: name a file outside it"
    if args.report is not None and target == args.report.resolve():
        return f"--review and --report both name {review}: give them different files"
    if not target.parent.is_dir():
        return f"{flag}: the folder {review.parent} does not exist"
    if not (review.exists() or review.is_symlink()) or is_review(review):
        return None
    if review.is_dir():
        return f"{flag} is a folder: name a file, e.g. --review import-review.html"
    if named and args.force:
        return None
    if named:
        return (f"--review {review} exists and is not a review page sitegen wrote: name a new "
                "file (e.g. import-review.html), or add --force to replace it")  # fmt: skip
    return (f"{review} exists and is not a review page sitegen wrote, so the review page "
            "cannot go beside --report: move that file, or name another with --review FILE"
            )  # fmt: skip


def run_clean(args: argparse.Namespace) -> int:
    print("sitegen: `sitegen clean` is now `sitegen preview-import` (the old name goes in 0.3)",
          file=sys.stderr)  # fmt: skip
    return run_preview(args)


def run_preview(args: argparse.Namespace) -> int:
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
