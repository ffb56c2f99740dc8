"""The dev server end to end: serve, rebuild on edit, reload tabs, show errors, answer as a host."""

from __future__ import annotations

import contextlib
import http.client
import json
import queue
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sitegen.serve import EVENTS, DevServer, is_source_change, pages_only
from tests.conftest import article

IGNORE_SIGINT = "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN); "


@pytest.fixture
def running(dev_server):
    return dev_server


def get(server: DevServer, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection(*server.httpd.server_address[:2], timeout=10)
    connection.request("GET", path)  # sent as written: no client-side path clean-up
    response = connection.getresponse()
    body = response.read().decode("utf-8", "replace")
    connection.close()
    return response.status, body


def events(server: DevServer, build: int) -> dict:
    """What the page script hears after `build`: the next build's state (a long poll)."""
    with urllib.request.urlopen(f"{server.url}{EVENTS.lstrip('/')}?build={build}", timeout=25) as r:
        return json.loads(r.read())


def test_pages_are_served_with_the_reload_script_but_built_without_it(running):
    root, server = running
    status, body = get(server, "/law/a/")
    assert status == 200 and "第一版標題" in body and "data-sitegen-reload" in body
    built = (root / ".sitegen-cache/serve/law/a/index.html").read_text(encoding="utf-8")
    assert "data-sitegen-reload" not in built
    assert not (root / "public").exists()


def test_files_of_an_article_folder_are_served_under_chinese_names_with_spaces(running):
    root, server = running
    folder = root / "content/law/b"
    folder.mkdir(parents=True)
    (folder / "名 單.pdf").write_bytes(b"%PDF-1.4 ...")
    body = "名單見[附件](<名 單.pdf>)。"
    build = server.state.build
    (folder / "index.md").write_text(article("公示", "2018-09-22", body=body), encoding="utf-8")
    assert events(server, build)["problems"] == []
    page = get(server, "/law/b/")[1]
    link = re.search(r'href="([^"]+pdf)"', page).group(1)
    assert link == "/law/b/" + urllib.parse.quote("名 單.pdf")
    with urllib.request.urlopen(server.url + link.lstrip("/"), timeout=5) as response:
        assert response.status == 200 and response.read() == b"%PDF-1.4 ..."


def test_an_edit_is_rebuilt_and_announced_within_two_seconds(running):
    root, server = running
    epoch, build = server.state.epoch, server.state.build
    started = time.monotonic()
    (root / "content/law/a.md").write_text(article("第二版標題", "2018-09-21"), encoding="utf-8")
    state = events(server, build)
    assert state["epoch"] == epoch + 1 and state["problems"] == []
    assert "第二版標題" in get(server, "/law/a/")[1]
    assert time.monotonic() - started < 2.0


def test_a_broken_file_is_reported_and_the_last_good_site_stays_until_it_is_fixed(running):
    root, server = running
    epoch, build = server.state.epoch, server.state.build
    (root / "content/law/a.md").write_text("---\ntitle: 壞了\n---\n", encoding="utf-8")
    state = events(server, build)
    assert state["epoch"] == epoch  # no reload: the tab keeps the last good page
    assert (
        "content/law/a.md:1: error: front matter has no 'date': add a line 'date: 2018-09-21 14:29'"
        in state["problems"]
    )
    assert "第一版標題" in get(server, "/law/a/")[1]
    (root / "content/law/a.md").write_text(article("修好了", "2018-09-21"), encoding="utf-8")
    assert events(server, state["build"]) == {
        "epoch": epoch + 1, "build": state["build"] + 1, "problems": [], "assets": epoch
    }  # fmt: skip
    assert "修好了" in get(server, "/law/a/")[1]


def test_tabs_are_told_the_last_build_that_changed_more_than_pages(running):
    """An open tab may patch a page's new text in place only while no build since its own
    wrote a stylesheet, script or photo (see data/reload.js): the server says which did."""
    root, server = running
    first = server.state.epoch
    assert server.state.assets == first  # the first build wrote everything
    (root / "content/law/a.md").write_text(article("新標題", "2018-09-21"), encoding="utf-8")
    state = events(server, server.state.build)
    assert (state["epoch"], state["assets"]) == (first + 1, first)
    css = root / "static/css/site.css"
    css.write_text(css.read_text(encoding="utf-8") + "\nh1 { color: red }\n", "utf-8")
    state = events(server, state["build"])
    assert (state["epoch"], state["assets"]) == (first + 2, first + 2)
    (root / "content/law/a.md").write_text(article("又改了", "2018-09-21"), encoding="utf-8")
    state = events(server, state["build"])
    assert (state["epoch"], state["assets"]) == (first + 3, first + 2)


def test_pages_only_tells_pages_from_what_pages_load():
    assert pages_only(("law/a/index.html", "law/feed.xml", "search/s/3.bin", ".sitegen-manifest"))
    assert pages_only(())
    assert not pages_only(("law/a/index.html", "static/css/site.css"))
    assert not pages_only(("law/2024-photo/合影-480w.webp",))


@pytest.mark.parametrize(
    "path",
    ["/../site.yaml", "/%2e%2e/site.yaml", "/%252e%252e/site.yaml", "/law/..%2f..%2f..%2fsite.yaml",
     "/..\\site.yaml"],
)  # fmt: skip
def test_paths_outside_the_site_are_refused(running, path):
    status, body = get(running[1], path)
    assert status == 403
    assert "title:" not in body


def test_editor_swap_files_and_output_do_not_trigger_builds(tmp_path):
    root = tmp_path
    out = root / ".sitegen-cache/serve"
    assert is_source_change(root, root / "content/law/a.md", out)
    assert is_source_change(root, root / "site.yaml", out)
    ignored_files = (
        "content/law/.a.md.swp", "content/law/a.md~", "content/law/4913",
        ".sitegen-cache/serve/index.html", "public/index.html", "README.md",
    )  # fmt: skip
    for ignored in ignored_files:
        assert not is_source_change(root, root / ignored, out), ignored


def test_the_watcher_names_the_file_an_editor_saved_but_not_a_folders_files(make_site):
    """What the next build stats again (see entry._listed_again): the file itself for a
    save in place or by rename; nothing it can vouch for when a folder comes."""
    from sitegen.serve import _make_observer

    root = make_site({"content/law/a.md": article("甲", "2018-09-21")}).resolve()
    calls: queue.Queue = queue.Queue()
    observer = _make_observer(root, calls.put, root / ".sitegen-cache/serve", poll=False)
    observer.start()
    try:
        (root / "content/law/a.md").write_text(article("乙", "2018-09-21"), encoding="utf-8")
        said = until(calls, lambda c: c and "content/law/a.md" in c)
        swap = root / "content/law/.a.md.swp"
        swap.write_text(article("丙", "2018-09-21"), encoding="utf-8")
        swap.rename(root / "content/law/a.md")  # an editor's save by rename
        said += until(calls, lambda c: c and "content/law/a.md" in c)
        (root / "content/law/b.md").write_text(article("新", "2018-09-23"), encoding="utf-8")
        said += until(calls, lambda c: c and "content/law/b.md" in c)
        assert None not in said  # files saved, renamed and made are named, every one
        (root / "content/news").mkdir()
        (root / "content/news/b.md").write_text(article("丁", "2018-09-22"), encoding="utf-8")
        assert None in until(calls, lambda c: c is None)
    finally:
        observer.stop()
        observer.join(timeout=5)


def until(calls: queue.Queue, wanted) -> list:
    """The calls that arrive until one that `wanted` accepts (within 5 s), that one too."""
    deadline, found = time.monotonic() + 5, []
    while True:
        found.append(calls.get(timeout=max(0.01, deadline - time.monotonic())))
        if wanted(found[-1]):
            return found


def test_the_reload_script_is_told_which_build_the_page_is_of(running):
    root, server = running
    _, body = get(server, "/law/a/")
    script = body.split("<script data-sitegen-reload>")[1].split("</script>")[0]
    state = server.state
    assert script.rstrip().endswith(f"({state.epoch}, {state.build}, {json.dumps(EVENTS)});")
    assert "location.reload()" in script


def test_serve_refuses_nothing_inside_the_site(running):
    status, _ = get(running[1], "/static/css/site.css")
    assert status == 200
    assert get(running[1], "/nope/")[0] == 404
    assert Path(running[0] / ".sitegen-cache/serve/static/css/site.css").exists()


def test_polling_mode_sees_edits_too(make_site):
    root = make_site({"content/law/a.md": article("輪詢前", "2018-09-21")})
    server = DevServer(root, port=0, poll=True)
    server.start()
    try:
        build = server.state.build
        (root / "content/law/a.md").write_text(article("輪詢後", "2018-09-21"), encoding="utf-8")
        assert events(server, build)["problems"] == []
        assert "輪詢後" in get(server, "/law/a/")[1]
    finally:
        server.stop()


def sitegen(*args: str, prelude: str = "") -> list[str]:
    """The command line of `sitegen ARGS`, run as the installed script runs it."""
    return [sys.executable, "-c", prelude + "from sitegen.cli import run; run()", *args]


@dataclass(frozen=True)
class Running:
    """A sitegen process whose stderr is read as it comes, so that no read blocks a test."""

    process: subprocess.Popen
    lines: queue.Queue  # stderr lines, then None at its end

    def url(self, timeout: float = 30) -> str:
        """The URL from the 'serving' line, once the server announces it."""
        deadline = time.monotonic() + timeout
        while (line := self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))) is not None:
            if found := re.search(r"serving .* at (http://\S+)", line):
                return found.group(1)
        raise AssertionError("the server stopped before it served")

    def finish(self, timeout: float = 30) -> tuple[int, str]:
        """(exit status, the rest of stderr) once the process ends within `timeout`."""
        code = self.process.wait(timeout=timeout)
        rest = []
        while (line := self.lines.get(timeout=10)) is not None:
            rest.append(line)
        return code, "".join(rest)


@pytest.fixture
def start_sitegen(tmp_path: Path) -> Iterator:
    """start_sitegen(command) -> Running; every process is killed at teardown if still alive."""
    started: list[tuple[subprocess.Popen, threading.Thread]] = []

    def start(command: list[str]) -> Running:
        process = subprocess.Popen(
            command, cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, encoding="utf-8", errors="replace",
        )  # fmt: skip
        lines: queue.Queue = queue.Queue()
        reader = threading.Thread(target=_read_lines, args=(process.stderr, lines), daemon=True)
        reader.start()
        started.append((process, reader))
        return Running(process, lines)

    try:
        yield start
    finally:
        for process, reader in started:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
            reader.join(timeout=10)
            process.stderr.close()


def _read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuchdir"], "nosuchdir is not a folder: name a site folder (sitegen serve SITE)"),
        (["empty"], "empty has no site.yaml: name a site folder (sitegen serve SITE)"),
        (["site", "--port", "70000"],
         "--port 70000 is not a port: pick one from 1 to 65535 (0 picks a free one)"),
    ],
)  # fmt: skip
def test_a_mistaken_command_line_is_refused_before_anything_starts(
    make_site, start_sitegen, tmp_path, args, message
):
    make_site({"content/law/a.md": article("甲", "2018-09-21")})
    (tmp_path / "empty").mkdir()
    code, stderr = start_sitegen(sitegen("serve", *args)).finish()
    assert (code, stderr) == (2, f"sitegen serve: {message}\n")
    assert not any(tmp_path.rglob(".sitegen-cache"))


def test_a_port_in_use_is_named_with_what_to_do(make_site, start_sitegen):
    root = make_site({"content/law/a.md": article("甲", "2018-09-21")})
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        code, stderr = start_sitegen(sitegen("serve", str(root), "--port", str(port))).finish()
    assert code == 2
    assert stderr == (
        f"sitegen serve: port {port} on 127.0.0.1 is in use: stop the other server or pick "
        "another with --port (--port 0 picks a free one)\n"
    )
    assert not (root / ".sitegen-cache").exists()  # refused before building


def test_an_address_this_machine_does_not_have_is_named_with_what_to_do(make_site, start_sitegen):
    root = make_site({"content/law/a.md": article("甲", "2018-09-21")})
    command = sitegen("serve", str(root), "--host", "192.0.2.1", "--port", "0")  # TEST-NET-1
    assert start_sitegen(command).finish() == (
        2,
        "sitegen serve: cannot listen on 192.0.2.1: it is not an address of this machine: "
        "pick another with --host (127.0.0.1 serves this machine only)\n",
    )


@pytest.mark.parametrize(
    ("stop", "prelude"),
    [(signal.SIGINT, ""), (signal.SIGINT, IGNORE_SIGINT), (signal.SIGTERM, ""),
     (signal.SIGTERM, IGNORE_SIGINT)],
    ids=["SIGINT", "SIGINT-inherited-ignored", "SIGTERM", "SIGTERM-inherited-ignored"],
)  # fmt: skip
def test_sigint_and_sigterm_stop_the_server_cleanly_whatever_it_inherited(
    make_site, start_sitegen, stop, prelude
):
    root = make_site({"content/law/a.md": article("甲", "2018-09-21")})
    running = start_sitegen(sitegen("serve", str(root), "--port", "0", prelude=prelude))
    url = running.url()
    with urllib.request.urlopen(url + "law/a/", timeout=10) as response:
        assert response.status == 200
    running.process.send_signal(stop)
    code, rest = running.finish(timeout=5)
    assert code == 0
    assert rest == "sitegen serve: stopped\n"
    with pytest.raises(OSError):  # the port is closed
        urllib.request.urlopen(url, timeout=2)


def test_unknown_paths_get_the_sites_own_404_page_with_status_404(running):
    root, server = running
    status, body = get(server, "/law/nosuch/")
    built = (root / ".sitegen-cache/serve/404.html").read_text(encoding="utf-8")
    assert status == 404
    assert body.startswith(built.split("</body>")[0])  # the site's page, reload script added
    assert "data-sitegen-reload" in body


def test_a_site_without_a_404_page_gets_a_short_plain_one(running):
    root, server = running
    (root / ".sitegen-cache/serve/404.html").unlink()
    status, body = get(server, "/law/nosuch.html")
    assert status == 404
    assert "<p>/law/nosuch.html is not in the built site (and it has no 404.html).</p>" in body


def test_a_folder_without_an_index_is_404_not_a_listing(running):
    root, server = running
    assert (root / ".sitegen-cache/serve/static/css/site.css").is_file()
    status, body = get(server, "/static/css/")
    assert status == 404
    assert ">site.css</a>" not in body and "Directory listing" not in body


@pytest.mark.parametrize("name", ["%E9%95%B7" * 100, "loop"], ids=["too-long", "symlink-loop"])
def test_paths_the_file_system_cannot_open_are_404_without_a_traceback(running, capsys, name):
    root, server = running
    loop = root / ".sitegen-cache/serve/loop"
    loop.symlink_to(loop)
    status, _ = get(server, f"/{name}/")
    assert status == 404
    assert "Traceback" not in capsys.readouterr().err


def test_head_answers_as_get_would_without_the_body(running):
    _, server = running
    for path, status in (("/law/a/", 200), ("/nosuch/", 404), ("/static/css/site.css", 200)):
        connection = http.client.HTTPConnection(*server.httpd.server_address[:2], timeout=10)
        connection.request("HEAD", path)
        head = connection.getresponse()
        connection.close()
        assert head.status == status
        assert head.read() == b""
        got = get_response(server, path)
        assert head.getheader("Content-Length") == str(len(got)), path


@pytest.mark.parametrize(
    ("link", "path"),
    [("leak.html", "/leak.html"), ("leak", "/leak/secret.html"), ("%41.html", "/%2541.html")],
    ids=["file", "folder", "double-encoded-name"],
)
def test_symlinks_in_the_site_that_lead_out_of_it_are_never_served(running, tmp_path, link, path):
    root, server = running
    secret = tmp_path / "outside"
    secret.mkdir()
    (secret / "secret.html").write_text("<body>機密</body>", encoding="utf-8")
    target = secret if link == "leak" else secret / "secret.html"
    (root / ".sitegen-cache/serve" / link).symlink_to(target)
    status, body = get(server, path)
    assert status in (403, 404)
    assert "機密" not in body


def test_a_tab_that_drops_its_long_poll_leaves_no_traceback(running, capsys):
    root, server = running
    build = server.state.build
    client = socket.create_connection(server.httpd.server_address[:2])
    client.sendall(f"GET {EVENTS}?build={build} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    time.sleep(0.2)  # the server is now waiting for the next build
    # Closed with a reset, as a browser drops a fetch when its tab reloads.
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()
    (root / "content/law/a.md").write_text(article("第二版標題", "2018-09-21"), encoding="utf-8")
    assert events(server, build)["problems"] == []
    time.sleep(0.3)  # the dropped poll's answer has been written (and failed) by now
    assert "Traceback" not in capsys.readouterr().err


def test_a_first_build_that_fails_does_not_claim_a_last_good_site(make_site, capsys):
    root = make_site({"content/law/a.md": "---\ntitle: 壞了\n---\n"})
    server = DevServer(root, port=0)
    try:
        server.start()
        assert get(server, "/law/a/")[0] == 404
    finally:
        server.stop()
    err = capsys.readouterr().err
    assert "build failed: fix the problems above; the site is served once it builds" in err
    assert "last good site" not in err


def get_response(server: DevServer, path: str) -> bytes:
    connection = http.client.HTTPConnection(*server.httpd.server_address[:2], timeout=10)
    connection.request("GET", path)
    data = connection.getresponse().read()
    connection.close()
    return data


class FakeClock:
    """time.monotonic and time.sleep for sitegen.serve, with events scheduled at set times."""

    def __init__(self, server: DevServer, events: list[float]) -> None:
        self.now = 0.0
        self.server = server
        self.events = sorted(events)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        until = self.now + seconds
        while self.events and self.events[0] <= until:
            self.now = self.events.pop(0)
            self.server.mark_dirty()
        self.now = until


def test_a_burst_of_events_is_built_once_its_last_event_is_old_enough(make_site, monkeypatch):
    """An editor's save is several file events a few milliseconds apart: the build starts one
    quiet interval after the last of them, not one interval after each that came meanwhile."""
    import sitegen.serve as serve

    server = DevServer(make_site({"content/law/a.md": article("甲", "2018-09-21")}), port=0)
    try:
        clock = FakeClock(server, [0.004, 0.012])
        monkeypatch.setattr(serve.time, "monotonic", clock.monotonic)
        monkeypatch.setattr(serve.time, "sleep", clock.sleep)
        server.mark_dirty()  # the save's first event, at 0
        server._settle()
        assert clock.now == pytest.approx(0.012 + serve.DEBOUNCE)
        assert not clock.events
    finally:
        server.stop()


def test_a_full_disk_while_serving_is_named_and_the_last_good_site_stays_served(
    make_site, capsys, monkeypatch
):
    """A rebuild that the machine refuses (the disk is full) is reported like a failed
    build, naming the file; the rebuild loop lives on and the last good site is served."""
    import errno

    import sitegen.serve

    root = make_site({"content/law/a.md": article("甲", "2018-09-21")})
    server = DevServer(root, port=0)
    builds = []
    real = sitegen.serve.build_site

    def full_after_the_first(*args, **kwargs):  # (set before the builder process forks)
        builds.append(args)
        if len(builds) == 1:
            return real(*args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device", str(root / "public/x.html"))

    monkeypatch.setattr(sitegen.serve, "build_site", full_after_the_first)
    try:
        server.start()
        assert get(server, "/law/a/")[0] == 200
        assert server.rebuild() is None
        state = server.state
        assert state.epoch == 1 and state.build == 2 and "no space left" in state.problems[0]
        assert get(server, "/law/a/")[0] == 200
    finally:
        server.stop()
    err = capsys.readouterr().err
    assert "x.html: error: no space left on the device" in err and "Traceback" not in err
    assert "the last good site is still served" in err


def test_serve_keeps_its_record_in_memory_and_builds_what_sitegen_build_builds(
    make_site, monkeypatch
):
    """serve's rebuilds take the last build's record from memory, not from disk, and still
    give, byte for byte, the site that `sitegen build` gives (search index included)."""
    from sitegen import pipeline
    from sitegen.pipeline import build_site
    from tests.conftest import MINIMAL_CONFIG, snapshot

    files = {f"content/law/a{n}.md": article(f"標題{n}", f"2018-09-2{n}") for n in range(4)}
    root = make_site(files, MINIMAL_CONFIG.replace("search: false", "search: true"))
    server = DevServer(root, port=0)
    try:
        assert server.rebuild().ok
        loads = []
        load = pipeline.load_cache
        monkeypatch.setattr(pipeline, "load_cache", lambda *a: loads.append(a) or load(*a))
        edits = (("a1", "標題1", "改寫的正文。"), ("a2", "新標題", "正文。"),
                 ("a9", "新文章", "後記。"))  # fmt: skip
        for name, title, body in edits:
            path = root / f"content/law/{name}.md"
            path.write_text(article(title, "2018-09-25", body=body), encoding="utf-8")
            assert server.rebuild().written
        assert loads == [] and server.state.epoch == 4
    finally:
        server.stop()
    assert build_site(root).ok
    assert snapshot(server.out) == snapshot(root / "public")


def test_open_tabs_reload_before_the_build_saves_its_record(make_site):
    """A good build announces itself as soon as the site is in place, and saves its record
    only once the tabs that were waiting have come back for the new site (their reload
    then has the process to itself)."""
    from sitegen.cache import cache_file

    root = make_site({"content/law/a.md": article("甲", "2018-09-21")})
    server = DevServer(root, port=0)
    try:
        server.start()
        record = cache_file(root.resolve(), server.out.resolve())
        saved = record.stat().st_mtime_ns
        seen = []

        def tab() -> None:
            state = events(server, server.state.build)  # the injected script's long poll
            time.sleep(0.3)  # a slow reload
            seen.append(record.stat().st_mtime_ns == saved)
            seen.append("新的正文" in get(server, "/law/a/")[1])
            with contextlib.suppress(OSError):  # the server may stop while this one waits
                events(server, state["build"])  # the reloaded page polls again

        threading.Thread(target=tab, daemon=True).start()
        deadline = time.monotonic() + 10
        while server._polling == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        (root / "content/law/a.md").write_text(
            article("甲", "2018-09-21", body="新的正文。"), "utf-8"
        )
        while record.stat().st_mtime_ns == saved and time.monotonic() < deadline:
            time.sleep(0.01)
        assert seen == [True, True]
    finally:
        server.stop()


def _children(pid: int) -> set[int]:
    """The processes `pid` forked and has not reaped (Linux's /proc)."""
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found |= {int(n) for n in (task / "children").read_text().split()}
    return found


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":  # ended, waiting to be reaped by its parent
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def builder_forks(monkeypatch):
    """The builder process is forked, as `sitegen serve` forks it, even if an earlier test
    in this run left a thread behind (which would rightly stop the fork)."""
    import sitegen.forked

    monkeypatch.setattr(sitegen.forked.threading, "active_count", lambda: 1)


class _Unwatched:
    """An observer that sees no change."""

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def join(self, timeout: float | None = None) -> None:
        pass


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads Linux's /proc")
def test_serve_builds_in_a_process_of_its_own_and_ends_it_when_it_stops(
    make_site, monkeypatch, builder_forks
):
    """The builds (the search child's fork with them) happen in a builder process forked
    before the server's threads, which keeps the record in its memory: this process never
    builds, and the site is still byte for byte what `sitegen build` makes."""
    import os

    import sitegen.serve
    from sitegen.pipeline import build_site
    from tests.conftest import MINIMAL_CONFIG, snapshot

    files = {f"content/law/a{n}.md": article(f"標題{n}", f"2018-09-2{n}") for n in range(4)}
    root = make_site(files, MINIMAL_CONFIG.replace("search: false", "search: true"))
    server = DevServer(root, port=0)
    # This test asks for each rebuild: the watcher's own rebuild of an edit, if it came
    # first, would leave the one asked for nothing to write.
    monkeypatch.setattr(sitegen.serve, "_make_observer", lambda *args: _Unwatched())
    before = _children(os.getpid())
    try:
        server.start()
        (builder,) = _children(os.getpid()) - before
        here = []  # builds in this process (the builder forked before this was set)
        monkeypatch.setattr(sitegen.serve, "build_site", lambda *a, **k: here.append(a))
        for name, title in (("a1", "新標題"), ("a9", "新文章")):
            path = root / f"content/law/{name}.md"
            path.write_text(article(title, "2018-09-25", body="改寫的正文。"), encoding="utf-8")
            assert server.rebuild().written
        assert here == [] and server.state.epoch == 3
        assert "新文章" in get(server, "/law/a9/")[1]
    finally:
        server.stop()
    assert _gone(builder, within=5)
    assert build_site(root).ok
    assert snapshot(server.out) == snapshot(root / "public")


def test_builds_asked_for_at_once_take_turns_with_the_build_process(
    make_site, capsys, builder_forks
):
    """The rebuild loop's build and one asked for directly (or two of each) share one
    conversation with the builder process: they must not read each other's answers."""
    root = make_site({"content/law/a.md": article("甲", "2018-09-21")})
    server = DevServer(root, port=0)
    results = []

    def rebuilds(name: str) -> None:
        for n in range(4):
            # Whole files only (by rename): the other thread's build may list the folder
            # at any moment, and a file caught half written is rightly an error.
            path = root / f"content/law/{name}{n}.md"
            temporary = path.with_name(f".{path.name}.tmp")
            temporary.write_text(article(f"{name}{n}", "2018-09-22"), encoding="utf-8")
            temporary.replace(path)
            results.append(server.rebuild())

    try:
        server.start()
        threads = [threading.Thread(target=rebuilds, args=(name,)) for name in ("b", "c")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(results) == 8 and all(r is not None and r.ok for r in results)
        assert server._builder is not None  # still the one started
    finally:
        server.stop()
    err = capsys.readouterr().err
    assert "build process ended" not in err and "Traceback" not in err


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads Linux's /proc")
def test_a_build_process_that_was_killed_is_said_and_the_server_builds_on_its_own(
    make_site, capsys, builder_forks
):
    import os

    root = make_site({"content/law/a.md": article("甲", "2018-09-21")})
    server = DevServer(root, port=0)
    before = _children(os.getpid())
    try:
        server.start()
        (builder,) = _children(os.getpid()) - before
        os.kill(builder, signal.SIGKILL)
        (root / "content/law/a.md").write_text(
            article("甲", "2018-09-21", body="新正文。"), "utf-8"
        )
        result = server.rebuild()
        assert result is not None and result.ok and "新正文" in get(server, "/law/a/")[1]
        assert server.state.epoch == 2
    finally:
        server.stop()
    err = capsys.readouterr().err
    assert "the build process ended; building in this one from now on" in err
    assert "Traceback" not in err


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads Linux's /proc")
def test_a_server_killed_outright_takes_its_build_process_and_its_port_with_it(
    make_site, start_sitegen
):
    root = make_site({"content/law/a.md": article("甲", "2018-09-21")})
    running = start_sitegen(sitegen("serve", str(root), "--port", "0"))
    url = running.url()
    (builder,) = _children(running.process.pid)
    running.process.kill()
    running.process.wait(timeout=10)
    assert _gone(builder, within=10)
    with pytest.raises(OSError):  # nothing holds the port open
        urllib.request.urlopen(url, timeout=2)
