"""Time `sitegen serve` from an editor's save until an open Chromium tab shows it (issue 18).

    python bench/serve_latency.py [--size 10000] [--rounds 5] [--port P] [--no-title]

Target: 0.3 s at 10 000 articles, 1 s at 100 000. The corpus is bench/run.py's (generated
once in bench/out/site-N). `sitegen serve` runs as its own process; once its first build
answers, headless Chromium (Debian's, as tests/browser uses) opens the article bench/run.py
edits. Each round writes a new first sentence into that article's Markdown, takes the time
right after the write, and waits until the tab's text holds the sentence: the reload script
sitegen injects reloads the tab, nothing here does. Then the same with the title changed,
which also changes the category's lists and the neighbours' links. The article is restored
and the server stopped with SIGINT at the end, whatever happened.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

import run

CHROMIUM: Final = Path("/usr/bin/chromium")  # Playwright may not download its own here
CHROMIUM_ARGS: Final = ["--no-sandbox", "--disable-gpu", "--no-first-run"]
FIRST_BUILD: Final = 900.0  # seconds the first build may take (a clean one at 100 000)
SHOWN_WITHIN: Final = 60.0  # seconds a round may take before it counts as a failure
PAUSE: Final = 1.0  # seconds between rounds: each edit meets an idle server
TARGETS: Final = {10_000: 0.3, 100_000: 1.0}  # issue 18
REBUILT: Final = re.compile(r"rebuilt: (\d+) written in ([\d.]+) s")
# The tab's text holds the sentence: checked at each frame, across the reloads.
SHOWS: Final = "text => document.body !== null && document.body.innerText.includes(text)"


@dataclass(frozen=True, slots=True)
class Round:
    seconds: float  # from just after the write until the tab showed the change
    announced: float | None  # from the write until the server told long polls of a new build
    build: float | None  # what the server said its rebuild took
    written: int | None


class EpochWatch(threading.Thread):
    """Long-polls the server's events URL as the injected script does, and notes when each
    good build is announced: the save-to-shown time splits there into server and browser."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.url = base + "__sitegen__/events?build="
        self.announced: list[float] = []  # perf_counter() of each new epoch

    def run(self) -> None:
        build, epoch = -1, None
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}{build}", timeout=30) as answer:
                    state = json.load(answer)
            except (OSError, http.client.HTTPException, ValueError):
                return  # the server stopped, perhaps in the middle of an answer
            if epoch is not None and state["epoch"] != epoch:
                self.announced.append(time.perf_counter())
            build, epoch = state["build"], state["epoch"]

    def since(self, moment: float) -> float | None:
        later = [t for t in self.announced if t >= moment]
        return later[0] - moment if later else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def article_url(corpus: run.Corpus, base: str) -> str:
    """/<category>/<slug>/, the site's permalink, from content/<category>/<yyyy>/<slug>.md."""
    path = corpus.edited.path
    return f"{base}{path.parts[1]}/{path.stem}/"


@contextmanager
def serving(site: Path, port: int, log: IO[bytes]) -> Iterator[subprocess.Popen]:
    """`sitegen serve SITE` as a process, stopped with SIGINT (then waited for) on the way out."""
    command = [sys.executable, "-c", run.SITEGEN, "serve", str(site), "--port", str(port)]
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield server
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=60)  # a build in progress is finished first
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def wait_until_served(url: str, server: subprocess.Popen, log: Path) -> float:
    """Seconds until URL answers 200: the server listens at once but serves after its build."""
    started = time.perf_counter()
    while time.perf_counter() - started < FIRST_BUILD:
        if server.poll() is not None:
            tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise SystemExit(f"sitegen serve exited ({server.returncode}):\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return time.perf_counter() - started
        except (urllib.error.URLError, OSError):
            pass  # not serving yet, or the request timed out while it builds
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {FIRST_BUILD:.0f} s")


def new_sentence(path: Path, marker: str) -> str:
    """Replace the body's first sentence by a unique one, as run.edit_article does."""
    head, body = path.read_text(encoding="utf-8").split("\n---\n", 1)
    first = body.index("。") + 1
    sentence = f"本報訊（即時預覽第{marker}次修訂）經核實，原文數字有誤，現予更正。"
    path.write_text(head + "\n---\n\n" + sentence + body[first:], encoding="utf-8")
    return sentence


def new_title(path: Path, marker: str) -> str:
    """Give the article a new title; it shows in the page's <h1>."""
    text = path.read_text(encoding="utf-8")
    title = f"即時預覽標題更正第{marker}次"
    path.write_text(re.sub(r"(?m)^title: .*$", f"title: {title}", text, count=1), "utf-8")
    return title


@dataclass(frozen=True, slots=True)
class Watched:
    """What a round looks at: the open tab, the server's log and its announcements."""

    page: object  # playwright's Page
    log: Path
    watch: EpochWatch


def timed_round(seen: Watched, path: Path, edit: Callable[[Path, str], str], marker: str) -> Round:
    """One edit, timed from just after its write until the open tab shows it."""
    before = len(REBUILT.findall(seen.log.read_text(encoding="utf-8", errors="replace")))
    text = edit(path, marker)
    written_at = time.perf_counter()
    seen.page.wait_for_function(SHOWS, arg=text, polling="raf", timeout=SHOWN_WITHIN * 1000)
    seconds = time.perf_counter() - written_at
    announced = seen.watch.since(written_at)
    builds = rebuilt_since(seen.log, before)
    if not builds:
        return Round(seconds, announced, None, None)
    return Round(seconds, announced, float(builds[-1][1]), int(builds[-1][0]))


def rebuilt_since(log: Path, before: int, within: float = 30.0) -> list[tuple[str, str]]:
    """The server's "rebuilt" lines after the first `before`. The tab can show the edit
    before the line is printed (after the record is saved: a second at 100 000 articles),
    so it is waited for a while."""
    deadline = time.perf_counter() + within
    while True:
        builds = REBUILT.findall(log.read_text(encoding="utf-8", errors="replace"))[before:]
        if builds or time.perf_counter() > deadline:
            return builds
        time.sleep(0.05)


def rounds(seen: Watched, path: Path, edit, count: int, label: str) -> list[Round]:
    results = []
    for number in range(count):
        marker = f"{label}{number + 1}-{time.time_ns() % 10**6}"  # unique across runs
        done = timed_round(seen, path, edit, marker)
        results.append(done)
        build = f"{done.build:.2f} s, {done.written} written" if done.build else "not seen"
        announced = f"{done.announced:.3f} s" if done.announced is not None else "not seen"
        print(f"  {label} {number + 1}: {done.seconds:.3f} s (announced after {announced}; "
              f"rebuild {build})", file=sys.stderr)  # fmt: skip
        time.sleep(PAUSE)
    return results


def summary(name: str, results: list[Round], size: int) -> list[str]:
    median = statistics.median(r.seconds for r in results)
    each = ", ".join(f"{r.seconds:.3f}" for r in results)
    build = _median([r.build for r in results])
    announced = _median([r.announced for r in results])
    target = TARGETS.get(size)
    met = "" if target is None else f" | ≤ {target} s | {'yes' if median <= target else '**no**'}"
    return [f"| {name} | {median:.3f} s | {each} | {announced} | {build}{met} |"]


def _median(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    return f"{statistics.median(known):.3f} s" if known else "n/a"


def measure_latency(args: argparse.Namespace) -> list[str]:
    body, titles = latency_rounds(args)
    lines = summary("edit the body", body, args.size)
    return lines + (summary("edit the title", titles, args.size) if titles else [])


def latency_rounds(args: argparse.Namespace) -> tuple[list[Round], list[Round]]:
    """The body rounds and the title rounds (none with args.no_title) on a served corpus of
    args.size articles. (bench/run.py --serve calls this too.)"""
    corpus, _ = run.prepare_corpus(args.size, args.seed)
    path = corpus.site / corpus.edited.path
    port = args.port or free_port()
    url = article_url(corpus, f"http://127.0.0.1:{port}/")
    with tempfile.NamedTemporaryFile(suffix=".log") as log:
        logged = Path(log.name)
        try:
            with serving(corpus.site, port, log) as server:
                first = wait_until_served(url, server, logged)
                print(f"  first build served after {first:.1f} s: {url}", file=sys.stderr)
                watch = EpochWatch(f"http://127.0.0.1:{port}/")
                watch.start()
                return in_browser(url, path, args, logged, watch)
        finally:
            # After the server stopped: the restored text is what its next start builds.
            path.write_text(corpus.edited.text, encoding="utf-8")


def in_browser(url: str, path: Path, args: argparse.Namespace, log: Path, watch: EpochWatch):
    """The body rounds, then the title rounds, in one tab that stays open throughout."""
    from playwright.sync_api import sync_playwright  # only once there is something to open

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(url)
            seen = Watched(page, log, watch)
            body = rounds(seen, path, new_sentence, args.rounds, "body")
            titles = [] if args.no_title else rounds(seen, path, new_title, args.rounds, "title")
        finally:
            browser.close()
    return body, titles


def header(args: argparse.Namespace, load: float) -> str:
    about = (
        f"{os.cpu_count()} cores, {platform.system()} {platform.machine()}, Python "
        f"{platform.python_version()}, {run._n(args.size)} articles, {args.rounds} rounds "
        f"each; load average {load:.1f} at start, {os.getloadavg()[0]:.1f} at end"
    )
    columns = (
        "| edit: save to shown in the open tab | median | rounds (s) | announced to the tab "
        "| server's rebuild |"
    )
    if args.size not in TARGETS:
        return f"{about}\n\n{columns}\n|---|---:|---|---:|---:|"
    return f"{about}\n\n{columns} target (issue 18) | met |\n|---|---:|---|---:|---:|---:|:---:|"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000, help="articles (default 10000)")
    parser.add_argument("--rounds", type=int, default=5, help="edits of each kind (default 5)")
    parser.add_argument("--port", type=int, default=0, help="default: a free one")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-title", action="store_true", help="skip the title edits")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        raise SystemExit(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    load = os.getloadavg()[0]
    run.OUT.mkdir(exist_ok=True)
    run.compile_sitegen()  # as bench/run.py does: no compiling at the server's start
    print(f"{run._n(args.size)} articles:", file=sys.stderr)
    lines = measure_latency(args)
    print(header(args, load))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
