"""`sitegen serve`: build, serve on loopback, rebuild on change, reload open tabs.

One watchdog observer feeds a debounced rebuild thread; every good build bumps an epoch
that the injected script long-polls, and a failed build keeps the last good site served
while its problems show in the terminal and as an overlay in the browser. The dev build
goes to .sitegen-cache/serve/ with the reload script in it; public/ is never touched.
The builds run in a builder process forked before the server's threads start (see
DevServer.start), which keeps the last build's record in memory.

It answers as a static host would: the site's own 404.html for what it does not have (and
for folders without an index.html: no listings), 403 for anything outside the built site,
symlinks included. SIGINT and SIGTERM stop it cleanly even when it was started with SIGINT
ignored (a background job of a script).
"""

from __future__ import annotations

import argparse
import errno
import html
import json
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Final
from urllib.parse import unquote, urlsplit, urlunsplit

from sitegen.cache import CACHE_DIR, BuildMemory
from sitegen.forked import ChildFailed, Companion, companion
from sitegen.indexing import INDEX_FILES, resident_indexer
from sitegen.pipeline import BuildResult, build_site, default_jobs
from sitegen.problems import internal_error, system_error
from sitegen.scan import is_temporary

EVENTS: Final = "/__sitegen__/events"
WATCHED: Final = ("content", "layouts", "static", "site.yaml")
DEBOUNCE: Final = 0.05  # seconds of quiet before a rebuild: a git checkout is one burst
# Files changed in one burst beyond which the next build lists every source again: a flood
# of events may overflow the kernel's queue, which drops events without a word.
MANY_CHANGES: Final = 256
LONG_POLL: Final = 20.0
# Seconds a good build waits, before it saves its record, for the open tabs to reload.
TABS_RELOAD: Final = 1.0
STOP_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)
_NOT_FOUND: Final = """<!doctype html>
<html><head><meta charset="utf-8"><title>404 Not Found</title></head>
<body><h1>404 Not Found</h1><p>%s is not in the built site (and it has no 404.html).</p></body>
</html>
"""
# The script added to each served page (see sitegen/data/reload.js), called with the
# page's epoch and build and the events URL.
_SCRIPT_FILE: Final = Path(__file__).with_name("data").joinpath("reload.js")


@dataclass(frozen=True, slots=True)
class BuildState:
    epoch: int  # bumped by every good build: a tab showing an older epoch shows the new one
    build: int  # bumped by every build, good or not: what a long poll waits for
    problems: tuple[str, ...]  # of the latest build, empty when it succeeded
    # The last epoch whose build wrote or removed anything but pages (a stylesheet, a
    # script, a photo): a tab of an earlier epoch reloads, where one that only has pages to
    # catch up with may patch its text in place (see data/reload.js).
    assets: int = 0


# What an open tab's page is made of besides pages' own text: a build that writes only these
# leaves its stylesheets, scripts and images as they were. (Feeds, sitemaps and the search
# index are read by no page but the search page, which is always reloaded: its <noscript>.)
_PAGE_ONLY: Final = (".html", ".xml", ".sitegen-manifest")


def pages_only(outputs: tuple[str, ...]) -> bool:
    """Whether a build that wrote or removed `outputs` changed nothing but pages."""
    return all(o.endswith(_PAGE_ONLY) or o.startswith(INDEX_FILES) for o in outputs)


def register(subparsers) -> None:
    parser = subparsers.add_parser("serve", help="build, serve and rebuild on change")
    parser.add_argument("site", nargs="?", type=Path, default=Path("."), help="site folder")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback)")
    parser.add_argument("--poll", action="store_true", help="poll for changes (Docker, NFS)")
    parser.add_argument("--drafts", action="store_true", help="include articles with draft: true")
    parser.set_defaults(func=_serve_command)


def _serve_command(args: argparse.Namespace) -> int:
    mistake = _command_mistake(args)
    if mistake is None:
        try:
            server = DevServer(args.site.resolve(), args.host, args.port, args.poll, args.drafts)
        except OSError as exc:
            mistake = _listen_failure(args.host, args.port, exc)
    if mistake is not None:
        print(f"sitegen serve: {mistake}", file=sys.stderr)
        return 2
    with _stop_signals():
        try:
            server.start()
            print(f"sitegen serve: serving {server.out} at {server.url} (Ctrl+C stops)",
                  file=sys.stderr, flush=True)  # fmt: skip
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass  # SIGINT or SIGTERM: see _stop_signals
        finally:
            server.stop()
    # On a terminal, Ctrl+C leaves "^C" on the line: start a fresh one.
    print(("\n" if sys.stderr.isatty() else "") + "sitegen serve: stopped", file=sys.stderr)
    return 0


def _command_mistake(args: argparse.Namespace) -> str | None:
    """What is wrong with the command line, checked before anything is started, or None."""
    site = args.site.as_posix() if args.site.parts else f"this folder ({Path.cwd()})"
    if not args.site.is_dir():
        return f"{site} is not a folder: name a site folder (sitegen serve SITE)"
    if not (args.site / "site.yaml").is_file():
        return f"{site} has no site.yaml: name a site folder (sitegen serve SITE)"
    if not 0 <= args.port <= 65535:
        return f"--port {args.port} is not a port: pick one from 1 to 65535 (0 picks a free one)"
    return None


def _listen_failure(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (f"port {port} on {host} is in use: stop the other server or pick another "
                "with --port (--port 0 picks a free one)")  # fmt: skip
    if exc.errno == errno.EADDRNOTAVAIL:
        return (f"cannot listen on {host}: it is not an address of this machine: pick another "
                "with --host (127.0.0.1 serves this machine only)")  # fmt: skip
    if exc.errno == errno.EACCES:
        return f"port {port} is reserved for the administrator: pick one above 1023 with --port"
    reason = exc.strerror or str(exc)
    return f"cannot listen on {host} port {port} ({reason}): check --host and --port"


@contextmanager
def _stop_signals() -> Iterator[None]:
    """SIGINT and SIGTERM raise KeyboardInterrupt in the main thread while serving.

    Set explicitly, because what a process inherits varies: a background job of a
    non-interactive shell starts with SIGINT ignored (Python then installs no handler of
    its own), and SIGTERM's default ends the process without stopping anything.
    """
    previous = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    for number in STOP_SIGNALS:
        signal.signal(number, signal.default_int_handler)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # A tab that reloads or closes drops its long poll: writing the answer then fails,
        # which is no error. Anything else is said in one line, not a traceback.
        exc = sys.exc_info()[1]
        if not isinstance(exc, ConnectionError):
            print(f"sitegen serve: a request failed: {exc.__class__.__name__}: {exc}",
                  file=sys.stderr)  # fmt: skip


class DevServer:
    """The dev server's parts, started and stopped together (tests drive it directly).

    Made, it holds its port; `start()` builds, then serves and watches; `stop()` undoes
    whatever part of that was done.
    """

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 8000,
                 poll: bool = False, drafts: bool = False) -> None:  # fmt: skip
        self.root = root
        self.out = root / CACHE_DIR / "serve"
        self.drafts = drafts
        self.poll = poll
        self._state = BuildState(0, 0, ())
        self._memory = BuildMemory()  # the last build's record, not read back from disk
        self._builder: Companion | None = None  # see start()
        self._building = threading.Lock()  # one build at a time talks to the builder
        self._changed = threading.Condition()
        self._dirty = False
        self._last_change = 0.0  # time.monotonic() of the last source event
        # The sources the watcher saw change since the last build began; None when it cannot
        # tell (before it watched, or after an event of a folder): see entry._listed_again.
        self._changes: set[str] | None = None
        self._stopping = False
        self._polling = 0  # long polls waiting for the next build: about one per open tab
        self._back = 0  # long polls since the last build that ask about it: tabs reloaded
        self.httpd = _HTTPServer((host, port), _handler_for(self))
        self._observer = None
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    @property
    def state(self) -> BuildState:
        return self._state

    def start(self) -> None:
        # Builds run in a process of their own, forked before this one starts its threads:
        # it may fork the search child and the workers (a process with other threads may
        # not: a child could inherit a lock one of them holds), and keeps the last build's
        # record in its memory. Without fork, builds run here, as they do in tests that
        # drive rebuild() without start().
        self._builder = companion(_builder, self.root, self.out, self.drafts, self.httpd.fileno())
        self.rebuild()
        self._observer = _make_observer(self.root, self.mark_dirty, self.out, self.poll)
        self._observer.start()
        for target in (self.httpd.serve_forever, self._rebuild_loop):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
        if self._threads:
            self.httpd.shutdown()  # waits for serve_forever: only once it was started
        self.httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=1)
            if thread.is_alive():  # a build in progress: let it finish and keep its cache
                print("sitegen serve: stopping after the build in progress", file=sys.stderr)
                thread.join()
        if self._builder is not None:
            self._builder.close()  # it ends once it reads that the connection is closed
            self._builder = None

    def mark_dirty(self, paths: tuple[str, ...] | None = None) -> None:
        """A source changed: the files `paths` (relative to the site), or unknown ones."""
        with self._changed:
            if paths is None or self._changes is None or len(self._changes) > MANY_CHANGES:
                self._changes = None
            else:
                self._changes.update(paths)
            self._dirty = True
            self._last_change = time.monotonic()
            self._changed.notify_all()

    def wait_for_build(self, build: int, timeout: float) -> BuildState:
        """The state after a build newer than `build`, or the current one at the timeout."""
        with self._changed:
            if build == self._state.build:
                self._back += 1
                self._changed.notify_all()
            self._polling += 1
            try:
                self._changed.wait_for(
                    lambda: self._state.build != build or self._stopping, timeout
                )
            finally:
                self._polling -= 1
            return self._state

    def rebuild(self) -> BuildResult | None:
        shown = []  # the new site was announced as soon as it was in place

        def published(pages: bool) -> None:
            tabs = self._announce(True, (), pages)
            shown.append(True)
            # The tabs reload while this thread waits: saving the record and freeing the
            # last one hold the interpreter lock that serving the pages needs (the reload
            # took 0.15 s instead of 0.07 at 10 000 articles).
            with self._changed:
                self._changed.wait_for(lambda: self._back >= tabs or self._stopping, TABS_RELOAD)

        result = self._build(published)
        if isinstance(result, str):  # it raised: the server goes on serving the last good site
            said = result
            print(said, file=sys.stderr)
            print("build failed: the last good site is still served", file=sys.stderr)
            self._announce(False, (said,))
            return None
        for problem in result.problems:
            print(problem, file=sys.stderr)
        if result.refused is not None:
            print(f"sitegen serve: {result.refused}", file=sys.stderr)
        if not shown:
            problems = tuple(str(p) for p in result.problems if p.is_error)
            self._announce(result.ok, problems, pages_only((*result.written, *result.removed)))
        if result.ok:
            print(f"rebuilt: {len(result.written)} written in {result.seconds:.2f} s",
                  file=sys.stderr)  # fmt: skip
        elif self._state.epoch == 0:
            print("build failed: fix the problems above; the site is served once it builds",
                  file=sys.stderr)  # fmt: skip
        else:
            print("build failed: the last good site is still served", file=sys.stderr)
        return result

    def _build(self, published: Callable[[bool], None]) -> BuildResult | str:
        """A build, by the builder process if there is one, else here; what it raised, said
        in one line, if it raised. A builder that is gone (killed) is not asked again.
        (One at a time: the rebuild loop's, and one asked for directly, as tests do.)"""
        with self._building:
            with self._changed:  # events from now on are the next build's (a build asked
                # for without any, as the first is, lists every source)
                changes = frozenset(self._changes) if self._changes else None
                self._changes = set() if self._observer is not None else None
            builder = self._builder
            if builder is not None:
                try:
                    return _ask(builder, published, changes)
                except ChildFailed:
                    self._builder = None
                    builder.close()
                    print("sitegen serve: the build process ended; building in this one from "
                          "now on", file=sys.stderr)  # fmt: skip
            return _build_here(self.root, self.out, self.drafts, self._memory, _say_waiting,
                               published, changes=changes)  # fmt: skip

    def _announce(self, good: bool, problems: tuple[str, ...], pages: bool = False) -> int:
        """Count a build; a good one starts a new epoch, which the open tabs show (`pages`:
        it wrote pages only, see BuildState.assets). Returns how many tabs were waiting to
        hear of it."""
        with self._changed:
            last = self._state
            epoch = last.epoch + 1 if good else last.epoch
            assets = epoch if good and not pages else last.assets
            self._state = BuildState(epoch, last.build + 1, problems, assets)
            self._back = 0
            self._changed.notify_all()
            return self._polling

    def _rebuild_loop(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._dirty or self._stopping)
                if self._stopping:
                    return
            self._settle()
            with self._changed:
                if self._stopping:
                    return
            self.rebuild()

    def _settle(self) -> None:
        """Wait until DEBOUNCE seconds have passed since the last event, then build once for
        the burst. (Counted from the last event: an editor's save is several, and waiting a
        whole DEBOUNCE again after each one that came during the wait cost up to twice it.)"""
        while True:
            with self._changed:
                quiet = time.monotonic() - self._last_change
                if quiet >= DEBOUNCE or self._stopping:
                    self._dirty = False
                    return
            time.sleep(DEBOUNCE - quiet)


def _make_observer(root: Path, on_change, out: Path, poll: bool):
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer
    from watchdog.observers.polling import PollingObserver

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event) -> None:
            if event.event_type in ("opened", "closed_no_write"):
                return
            paths = [event.src_path, getattr(event, "dest_path", "") or ""]
            sources = [s for p in paths if p and (s := source_path(root, Path(str(p)), out))]
            if not sources or (event.is_directory and event.event_type == "modified"):
                return  # (a folder is "modified" when a file in it comes or goes: its event
                # names the file)
            # A folder made, moved or removed: its files are not named one by one.
            on_change(None if event.is_directory else tuple(sources))

    observer = PollingObserver(timeout=0.2) if poll else Observer()
    handler = Handler()
    for name in WATCHED:
        target = root / name
        if target.is_dir():
            observer.schedule(handler, str(target), recursive=True)
    observer.schedule(handler, str(root), recursive=False)  # site.yaml, and folders made later
    return observer


def is_source_change(root: Path, path: Path, out: Path) -> bool:
    """Whether a file event concerns the site's sources (not output, cache or editor files)."""
    return source_path(root, path, out) is not None


def source_path(root: Path, path: Path, out: Path) -> str | None:
    """The source a file event concerns, relative to the site (None: not a source)."""
    try:
        rel = path.resolve().relative_to(root)
    except ValueError:
        return None
    if path.resolve().is_relative_to(out) or not rel.parts or rel.parts[0] not in WATCHED:
        return None
    return None if is_temporary(rel.name) else rel.as_posix()


@dataclass(frozen=True, slots=True)
class Located:
    """What a request path names in the built site."""

    status: int  # 200 a file, 301 a folder asked for without its '/', 403 outside, 404 none
    path: Path | None = None  # the file, symlinks resolved, when status is 200


def locate(folder: Path, url_path: str) -> Located:
    """The file a request path names inside `folder`, as a static host would find it.

    A folder is served by its index.html, never listed. Containment is checked on the path
    as it will be opened, symlinks resolved: a link in the site that leads out of it is 403.
    """
    if _escapes(url_path):
        return Located(403)
    base = folder.resolve()
    try:
        real = (base / unquote(url_path).lstrip("/")).resolve()
        if real.is_relative_to(base) and real.is_dir():
            if not url_path.endswith("/"):
                return Located(301)
            real = (real / "index.html").resolve()
        if not real.is_relative_to(base):
            return Located(403)
        return Located(200, real) if real.is_file() else Located(404)
    except (OSError, RuntimeError):  # a file taken for a folder, a name too long, a link loop
        return Located(404)


def _handler_for(server: DevServer):
    class Handler(SimpleHTTPRequestHandler):
        # A reply is written as headers, then body: with Nagle's algorithm the body waited
        # for the browser's delayed acknowledgement of the headers (a reloading tab's
        # stylesheet and scripts took 21-27 ms each, 7-9 ms without it).
        disable_nagle_algorithm = True

        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, directory=str(server.out), **kwargs)

        def log_message(self, format: str, *args) -> None:  # noqa: A002 (the stdlib's name)
            pass  # the terminal is for build messages

        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            parts = urlsplit(self.path)
            if parts.path == EVENTS:
                self._events(parts.query)
            else:
                self._answer(head=False)

        def do_HEAD(self) -> None:  # noqa: N802
            self._answer(head=True)

        def _answer(self, head: bool) -> None:
            parts = urlsplit(self.path)
            found = locate(server.out, parts.path)
            if found.status == 403:
                self.send_error(403, "path outside the site")
            elif found.status == 301:
                self.send_response(301)
                self.send_header("Location", urlunsplit(parts._replace(path=parts.path + "/")))
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif found.path is None:
                self._not_found(parts.path, head)
            else:
                self._send_found(found.path, parts.path, head)

        def _send_found(self, path: Path, url_path: str, head: bool) -> None:
            try:
                if path.suffix == ".html":
                    self._send(200, "text/html; charset=utf-8", _with_script(path), head)
                else:
                    self._send_file(path, head)
            except FileNotFoundError:  # removed by a rebuild since it was found
                self._not_found(url_path, head)

        def _not_found(self, url_path: str, head: bool) -> None:
            # The site's own 404.html, as its host will serve it; a plain page before the
            # first good build has made one.
            page = locate(server.out, "/404.html")
            if page.path is not None:
                data = _with_script(page.path)
            else:
                text = _NOT_FOUND % html.escape(unquote(url_path))
                data = text.encode("utf-8").replace(b"</body>", _script_bytes() + b"</body>")
            self._send(404, "text/html; charset=utf-8", data, head)

        def _send(self, status: int, content_type: str, data: bytes, head: bool) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if not head:
                self.wfile.write(data)

        def _send_file(self, path: Path, head: bool) -> None:
            with path.open("rb") as file:  # streamed: attachments can be large
                self.send_response(200)
                self.send_header("Content-Type", self.guess_type(str(path)))
                self.send_header("Content-Length", str(os.fstat(file.fileno()).st_size))
                self.end_headers()
                if not head:
                    shutil.copyfileobj(file, self.wfile)

        def _events(self, query: str) -> None:
            try:
                build = int(dict(p.split("=", 1) for p in query.split("&") if "=" in p)["build"])
            except (KeyError, ValueError):
                build = -1  # no build named: answer at once
            state = server.state
            if state.build == build:
                state = server.wait_for_build(build, LONG_POLL)
            said = {"epoch": state.epoch, "build": state.build,
                    "problems": list(state.problems), "assets": state.assets}  # fmt: skip
            body = json.dumps(said)
            self._send(200, "application/json; charset=utf-8", body.encode("utf-8"), head=False)

        def end_headers(self) -> None:
            # Never let a browser keep a stale page while an editor is watching for changes.
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

    def _script_bytes() -> bytes:
        state = server.state
        call = f"{_script_text()}({state.epoch}, {state.build}, {json.dumps(EVENTS)});"
        return f"<script data-sitegen-reload>\n{call}\n</script>".encode()

    def _with_script(page: Path) -> bytes:
        # The reload script is added as a page is served, never written into the build,
        # so the dev build is the real build and its cache stays valid across epochs.
        # The epoch is read before the page: a build is announced after its site is in
        # place, so the page is at least that epoch's (read after, a page of the last
        # epoch could be told it was of the new one, and never show it).
        script = _script_bytes()
        return page.read_bytes().replace(b"</body>", script + b"</body>", 1)

    return Handler


@cache
def _script_text() -> str:
    return _SCRIPT_FILE.read_text(encoding="utf-8").strip()


def _escapes(url_path: str) -> bool:
    """Whether a request path, decoded (twice, for double encoding), tries to leave the site."""
    decoded = unquote(unquote(url_path))
    return "\\" in decoded or "\0" in decoded or ".." in decoded.split("/")


def _say_waiting(message: str) -> None:
    print(f"sitegen serve: {message}", file=sys.stderr, flush=True)


def _build_here(root: Path, out: Path, drafts: bool, memory: BuildMemory,
                waiting: Callable[[str], None], published: Callable[[bool], None],
                indexer: Companion | None = None,
                changes: frozenset[str] | None = None) -> BuildResult | str:  # fmt: skip
    """The build in this process; what it raised, said in one line, if it raised.
    (`published` is told whether the build wrote pages only.)"""
    try:
        return build_site(root, out, drafts=drafts, jobs=default_jobs(), waiting=waiting,
                          memory=memory, published=lambda o: published(pages_only(o)),
                          indexer=indexer, changed=changes)  # fmt: skip
    except Exception as exc:  # noqa: BLE001 (said, and the last good site stays served)
        return (system_error(exc) if isinstance(exc, OSError) else None) or internal_error(exc)


def _ask(
    builder: Companion, published: Callable[[bool], None], changes: frozenset[str] | None
) -> BuildResult | str:
    """One build by the builder process: what it says while it builds is said here (it may
    write to a terminal this process's output was redirected from), and the tabs reload
    before it saves its record, as they do for a build in this process."""
    builder.send(("build", changes))
    while True:
        kind, value = builder.receive()
        if kind == "waiting":
            _say_waiting(value)
        elif kind == "published":
            published(value)
            builder.send("go on")
        else:
            return value


def _builder(connection: Connection, root: Path, out: Path, drafts: bool, listening: int) -> None:
    """The builder process: a build for each request, with the last one's record kept in
    memory, until the server closes the connection. Its edits' search indexes are made by
    an indexer process it starts before it holds a site (see indexing.resident_indexer)."""
    os.close(listening)  # the server's port is the server's: it must close with it
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # as Ctrl+C: the server ends this process
    memory = BuildMemory()
    indexer = companion(resident_indexer)

    def published(pages: bool) -> None:
        connection.send(("published", pages))
        connection.recv()  # the open tabs have reloaded (or the server gave up waiting)

    while True:
        try:
            _, changes = connection.recv()
        except EOFError:
            if indexer is not None:
                indexer.close()
            return
        waiting = partial(_tell, connection, "waiting")
        built = _build_here(root, out, drafts, memory, waiting, published, indexer, changes)
        connection.send(("done", built))


def _tell(connection: Connection, kind: str, value: str) -> None:
    connection.send((kind, value))
