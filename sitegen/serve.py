"""`sitegen serve`: build, serve on loopback, rebuild on change, reload open tabs.

One watchdog observer feeds a debounced rebuild thread; every good build bumps an epoch
that the injected script long-polls, and a failed build keeps the last good site served
while its problems show in the terminal and as an overlay in the browser. The dev build
goes to .sitegen-cache/serve/ with the reload script in it; public/ is never touched.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Final
from urllib.parse import unquote, urlsplit

from sitegen.cache import CACHE_DIR
from sitegen.pipeline import BuildResult, build_site, default_jobs
from sitegen.scan import is_temporary

EVENTS: Final = "/__sitegen__/events"
WATCHED: Final = ("content", "layouts", "static", "site.yaml")
DEBOUNCE: Final = 0.15  # seconds of quiet before a rebuild: a git checkout is one burst
LONG_POLL: Final = 20.0
_SCRIPT: Final = """<script data-sitegen-reload>
(function () {
  var epoch = %d, build = %d, url = %s;
  function overlay(problems) {
    var box = document.getElementById("sitegen-errors");
    if (!problems.length) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("pre");
      box.id = "sitegen-errors";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;" +
        "margin:0;padding:1em;background:#2b0000;color:#fff;font:14px/1.5 monospace;z-index:9999";
      document.body.appendChild(box);
    }
    box.textContent = "sitegen: build failed\\n\\n" + problems.join("\\n");
  }
  function poll() {
    fetch(url + "?build=" + build).then(function (r) { return r.json(); }).then(function (state) {
      if (state.epoch !== epoch) { location.reload(); return; }
      build = state.build;
      overlay(state.problems);
      poll();
    }).catch(function () { setTimeout(poll, 1000); });
  }
  poll();
})();
</script>"""


@dataclass(frozen=True, slots=True)
class BuildState:
    epoch: int  # bumped by every good build: a tab showing an older epoch reloads
    build: int  # bumped by every build, good or not: what a long poll waits for
    problems: tuple[str, ...]  # of the latest build, empty when it succeeded


def register(subparsers) -> None:
    parser = subparsers.add_parser("serve", help="build, serve and rebuild on change")
    parser.add_argument("site", nargs="?", type=Path, default=Path("."), help="site folder")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback)")
    parser.add_argument("--poll", action="store_true", help="poll for changes (Docker, NFS)")
    parser.add_argument("--drafts", action="store_true")
    parser.set_defaults(func=_serve_command)


def _serve_command(args: argparse.Namespace) -> int:
    server = DevServer(args.site.resolve(), args.host, args.port, args.poll, args.drafts)
    server.start()
    print(f"serving {server.out} at {server.url} (Ctrl+C stops)", file=sys.stderr)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nstopping", file=sys.stderr)
    finally:
        server.stop()
    return 0


class DevServer:
    """The dev server's parts, started and stopped together (tests drive it directly)."""

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 8000,
                 poll: bool = False, drafts: bool = False) -> None:  # fmt: skip
        self.root = root
        self.out = root / CACHE_DIR / "serve"
        self.drafts = drafts
        self._state = BuildState(0, 0, ())
        self._changed = threading.Condition()
        self._dirty = False
        self._stopping = False
        self.httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self.httpd.daemon_threads = True
        self._observer = _make_observer(root, self.mark_dirty, self.out, poll)
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    @property
    def state(self) -> BuildState:
        return self._state

    def start(self) -> None:
        self.rebuild()
        self._observer.start()
        for target in (self.httpd.serve_forever, self._rebuild_loop):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        self._observer.stop()
        self._observer.join(timeout=5)
        self.httpd.shutdown()
        self.httpd.server_close()

    def mark_dirty(self) -> None:
        with self._changed:
            self._dirty = True
            self._changed.notify_all()

    def wait_for_build(self, build: int, timeout: float) -> BuildState:
        """The state after a build newer than `build`, or the current one at the timeout."""
        with self._changed:
            self._changed.wait_for(lambda: self._state.build != build or self._stopping, timeout)
            return self._state

    def rebuild(self) -> BuildResult:
        result = build_site(self.root, self.out, drafts=self.drafts, jobs=default_jobs())
        problems = tuple(str(p) for p in result.problems if p.is_error)
        for problem in result.problems:
            print(problem, file=sys.stderr)
        with self._changed:
            epoch = self._state.epoch + 1 if result.ok else self._state.epoch
            self._state = BuildState(epoch, self._state.build + 1, problems)
            self._changed.notify_all()
        if result.ok:
            print(f"rebuilt: {len(result.written)} written in {result.seconds:.2f} s",
                  file=sys.stderr)  # fmt: skip
        else:
            print("build failed: the last good site is still served", file=sys.stderr)
        return result

    def _rebuild_loop(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._dirty or self._stopping)
                if self._stopping:
                    return
            self._settle()
            self.rebuild()

    def _settle(self) -> None:
        # Wait until no event has come for DEBOUNCE seconds, then build once for the burst.
        while True:
            with self._changed:
                self._dirty = False
            time.sleep(DEBOUNCE)
            with self._changed:
                if not self._dirty:
                    return


def _make_observer(root: Path, on_change, out: Path, poll: bool):
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer
    from watchdog.observers.polling import PollingObserver

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event) -> None:
            if event.event_type in ("opened", "closed_no_write"):
                return
            paths = [event.src_path, getattr(event, "dest_path", "") or ""]
            if any(p and is_source_change(root, Path(str(p)), out) for p in paths):
                on_change()

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
    try:
        rel = path.resolve().relative_to(root)
    except ValueError:
        return False
    if path.resolve().is_relative_to(out) or not rel.parts or rel.parts[0] not in WATCHED:
        return False
    return not is_temporary(rel.name)


def _handler_for(server: DevServer):
    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, directory=str(server.out), **kwargs)

        def log_message(self, format: str, *args) -> None:  # noqa: A002 (the stdlib's name)
            pass  # the terminal is for build messages

        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            parts = urlsplit(self.path)
            if parts.path == EVENTS:
                self._events(parts.query)
            elif not _inside(server.out, parts.path):
                self.send_error(403, "path outside the site")
            elif not self._send_page(parts.path):
                super().do_GET()

        def _send_page(self, url_path: str) -> bool:
            # The reload script is added as a page is served, never written into the build,
            # so the dev build is the real build and its cache stays valid across epochs.
            target = server.out / unquote(url_path).lstrip("/")
            if target.is_dir():
                if not url_path.endswith("/"):
                    return False  # the stdlib redirects /law to /law/
                target = target / "index.html"
            if target.suffix != ".html" or not target.is_file():
                return False
            state = server.state
            script = _SCRIPT % (state.epoch, state.build, json.dumps(EVENTS))
            data = target.read_bytes().replace(b"</body>", script.encode() + b"</body>", 1)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return True

        def do_HEAD(self) -> None:  # noqa: N802
            if not _inside(server.out, urlsplit(self.path).path):
                self.send_error(403, "path outside the site")
            else:
                super().do_HEAD()

        def _events(self, query: str) -> None:
            try:
                build = int(dict(p.split("=", 1) for p in query.split("&") if "=" in p)["build"])
            except (KeyError, ValueError):
                build = -1  # no build named: answer at once
            state = server.state
            if state.build == build:
                state = server.wait_for_build(build, LONG_POLL)
            body = json.dumps(
                {"epoch": state.epoch, "build": state.build, "problems": list(state.problems)}
            )
            data = body.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def end_headers(self) -> None:
            # Never let a browser keep a stale page while an editor is watching for changes.
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

    return Handler


def _inside(folder: Path, url_path: str) -> bool:
    """Whether a request path, decoded (twice, for double encoding), stays inside `folder`."""
    decoded = unquote(unquote(url_path))
    if "\\" in decoded or "\0" in decoded:
        return False
    if any(part == ".." for part in decoded.split("/")):
        return False
    target = (folder / decoded.lstrip("/")).resolve()
    return target.is_relative_to(folder.resolve())
