"""The `sitegen` command: parse arguments, call one stage, turn the result into an exit code.

0: done; 1: the input has problems (each printed as path:line: message); 2: usage errors.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Final, NoReturn

from sitegen import __version__
from sitegen.entry import BuildResult, build_site, default_jobs
from sitegen.problems import Problem, did_you_mean, internal_error, system_error

# Sub-commands defined beside the code they run; a module is imported only when its command
# is asked for (or for --help), so `sitegen build` does not pay for the importer's imports.
_PLUGINS = {
    "init": "sitegen.scaffold",
    "serve": "sitegen.serve",
    "import": "sitegen.importer.command",
    "preview-import": "sitegen.importer.command",
    "clean": "sitegen.importer.command",  # the old name of preview-import, until 0.3
    "check": "sitegen.check",
    "theme": "sitegen.theme",
}
DESCRIPTION: Final = (
    "sitegen turns an archive of Chinese-language news, kept as Markdown files with front "
    "matter, into a static website with category pages, print views, feeds, a sitemap and "
    "search, and imports the pages of an old CMS into it."
)


def run(argv: list[str] | None = None) -> NoReturn:
    """The `sitegen` command itself: main(), then exit without tearing the interpreter down.

    A build leaves a few hundred thousand small objects behind (the site, the cache), and
    freeing them one by one at exit took 0.03-0.04 s of every small rebuild (0.27 s at
    100 000 articles): the build hands them to `kept`, which lives until the exit. Nothing
    is left to do at exit but flush the output: files and caches are written and closed,
    the worker pool is joined. (Tests call main(), which returns.)
    """
    kept: list = []
    code = main(argv, kept)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: list[str] | None = None, kept: list | None = None) -> int:
    """The command line's work; `kept`, if given, holds a build's records until the caller
    exits (see run)."""
    argv = sys.argv[1:] if argv is None else argv
    # --debug is taken wherever it stands, so that it works with every command.
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    parser = _parser(argv)
    unknown = _unknown_command(parser, argv)
    if unknown is not None:
        parser.print_usage(sys.stderr)
        print(f"sitegen: {unknown}", file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    args.keep = kept
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("sitegen: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        if debug:
            raise
        said = system_error(exc)
        print(said or internal_error(exc), file=sys.stderr)
        return 1 if said else 3
    except Exception as exc:
        if debug:
            raise
        print(internal_error(exc), file=sys.stderr)
        return 3


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every option's default after its help, unless the help says it already or there is
    none to say (a flag that is off, an option that is unset)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if "default" in text or action.default in (None, False, [], argparse.SUPPRESS):
            return text
        return super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose sub-command parsers share its help formatter."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)


def _parser(argv: list[str]) -> argparse.ArgumentParser:
    parser = Parser(prog="sitegen", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"sitegen {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of a bug")
    sub = parser.add_subparsers(metavar="COMMAND")
    build = sub.add_parser("build", help="build the site into public/",
                           description="Build the site in SITE into SITE/public.")  # fmt: skip
    build.add_argument("site", nargs="?", type=Path, default=Path("."), help="site folder")
    build.add_argument("--out", type=Path, help="output folder (default: SITE/public)")
    build.add_argument("--strict", action="store_true", help="treat warnings as errors")
    build.add_argument("--drafts", action="store_true", help="include articles with draft: true")
    build.add_argument("--clean", action="store_true",
                       help="ignore the build cache and render every page")  # fmt: skip
    build.add_argument("--verify", action="store_true",
                       help="read every file of the output folder and write again any "
                       "that was edited or deleted by hand (a plain build trusts its "
                       "record)")  # fmt: skip
    build.add_argument(
        "--jobs", type=int, default=default_jobs(), help="processes (default: cores, %(default)s)"
    )
    build.set_defaults(func=_build)
    new = sub.add_parser("new", help="write a new article with its front matter",
                         description="Write content/CATEGORY/SLUG.md (or, with --bundle, "
                         "SLUG/index.md) with its front matter; never over an existing "
                         "file.")  # fmt: skip
    new.add_argument("title", help="the article's title (標題)")
    new.add_argument("--category", required=True, help="a category slug from site.yaml")
    new.add_argument("--slug", help="file name and URL (default: from the date and time)")
    new.add_argument("--site", type=Path, default=Path("."), help="site folder")
    new.add_argument(
        "--bundle", action="store_true",
        help="make the article a folder (SLUG/index.md) for photos and attachments beside it",
    )  # fmt: skip
    new.set_defaults(func=_new)
    command = next((a for a in argv if not a.startswith("-")), None)
    wanted = [_PLUGINS[command]] if command in _PLUGINS else []
    if command not in ("build", "new") and not wanted:
        wanted = list(dict.fromkeys(_PLUGINS.values()))  # help: list every command
    for module in wanted:
        _register(sub, module)
    parser.set_defaults(commands=tuple(sub.choices))
    return parser


def _unknown_command(parser: argparse.ArgumentParser, argv: list[str]) -> str | None:
    """What to say about a command sitegen does not have (`sitegen biuld`), or None."""
    command = next((a for a in argv if not a.startswith("-")), None)
    commands = parser.get_default("commands")
    if command is None or command in commands:
        return None
    hint = did_you_mean(command, commands) or f"; the commands are: {', '.join(commands)}"
    return f"unknown command {command!r}{hint}"


def _register(sub, module: str) -> None:
    import importlib

    try:
        importlib.import_module(module).register(sub)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise


def _build(args: argparse.Namespace) -> int:
    if not args.site.is_dir():
        print(f"sitegen build: {args.site} is not a folder: name a site folder", file=sys.stderr)
        return 2
    if args.jobs < 1:
        print("sitegen build: --jobs must be 1 or more", file=sys.stderr)
        return 2
    result = build_site(
        args.site, args.out, strict=args.strict, drafts=args.drafts, jobs=args.jobs,
        clean=args.clean, verify=args.verify, progress=progress_printer(), waiting=_say,
        keep=args.keep,
    )  # fmt: skip
    report_build(result)
    if result.refused is not None:
        return 2
    return 0 if result.ok else 1


def _say(message: str) -> None:
    print(f"sitegen: {message}", file=sys.stderr, flush=True)


def report_build(result: BuildResult, stream=None) -> None:
    stream = stream or sys.stderr
    if result.cache_warning:
        print(f"warning: full build: {result.cache_warning}", file=stream)
    print_problems(result.problems, stream)
    if result.refused is not None:
        print(f"sitegen build: {result.refused}", file=stream)
        return
    for moved in result.set_aside:
        print(f"  put aside {moved}: not made by sitegen, and not in the live site",
              file=stream)  # fmt: skip
    for name in result.kept:
        print(f"  kept {name}: not made by sitegen (files of your own belong in static/)",
              file=stream)  # fmt: skip
    if not result.ok:
        count = sum(p.is_error for p in result.problems)
        print(f"build failed: {count} error(s); {result.out} was left as it was", file=stream)
        return
    for name in result.written[:20]:
        print(f"  wrote {name}", file=stream)
    if len(result.written) > 20:
        print(f"  ... and {len(result.written) - 20} more", file=stream)
    for name in result.removed:
        print(f"  removed {name}", file=stream)
    print(
        f"built {result.pages} pages into {result.out} in "
        f"{result.seconds:.2f} s: {_written(result)}, {result.unchanged} pages "
        f"unchanged, {len(result.removed)} removed",
        file=stream,
    )


def _written(result: BuildResult) -> str:
    """How many files were written, with the ones that are not pages counted apart, so
    that the numbers add up (issue 17: "95 pages ... 112 written" read as a contradiction)."""
    written, files = result.written, result.files_written
    static = sum(name.startswith("static/") for name in written)
    index = sum(name.startswith("search/") and not name.endswith(".html") for name in written)
    if not static and not index and not files:
        return f"{len(written)} files written"
    pages = len(written) - static - index - files
    parts = [f"{pages} pages", *([f"{files} article files"] if files else []),
             f"{static} static", f"{index} search index"]  # fmt: skip
    return f"{len(written)} files written ({', '.join(parts)})"


def print_problems(problems, stream=None) -> None:
    stream = stream or sys.stderr
    for problem in sorted(problems, key=_problem_order):
        print(problem, file=stream)


def _problem_order(problem: Problem) -> tuple:
    return (problem.path.as_posix(), problem.line or 0, problem.message)


def progress_printer():
    """A progress callback: a bar on a terminal, a line every 10 % in logs."""
    tty = sys.stderr.isatty()
    last = [-1]

    def show(stage: str, done: int, total: int) -> None:
        percent = done * 100 // max(total, 1)
        if tty:
            bar = "#" * (percent // 4)
            end = "\n" if done >= total else ""
            print(f"\r{stage}: [{bar:<25}] {done}/{total}", end=end, file=sys.stderr, flush=True)
        elif percent // 10 != last[0] // 10 or done >= total:
            print(f"{stage}: {done}/{total} ({percent}%)", file=sys.stderr, flush=True)
        last[0] = percent

    return show


def _new(args: argparse.Namespace) -> int:
    from sitegen.newpost import UsageError, write_new_article

    try:
        path = write_new_article(
            args.site, args.title, args.category, args.slug, bundle=args.bundle
        )
    except FileExistsError as exc:
        print(f"{exc}: choose another --slug", file=sys.stderr)
        return 1
    except UsageError as exc:
        print(f"sitegen new: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    run()
