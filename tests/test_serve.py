"""The dev server end to end: serve, rebuild on edit, reload tabs, show errors, refuse escapes."""

from __future__ import annotations

import http.client
import json
import time
import urllib.request
from pathlib import Path

import pytest

from sitegen.serve import EVENTS, DevServer, is_source_change
from tests.conftest import article


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
        "epoch": epoch + 1, "build": state["build"] + 1, "problems": []
    }  # fmt: skip
    assert "修好了" in get(server, "/law/a/")[1]


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


def test_the_reload_script_reloads_an_open_tab(running):
    root, server = running
    _, body = get(server, "/law/a/")
    script = body.split("<script data-sitegen-reload>")[1]
    state = server.state
    assert f"var epoch = {state.epoch}, build = {state.build}," in script
    assert "location.reload()" in script


def test_serve_refuses_nothing_inside_the_site(running):
    status, _ = get(running[1], "/static/css/site.css")
    assert status == 200
    assert get(running[1], "/nope/")[0] == 404
    assert Path(running[0] / ".sitegen-cache/serve/static/css/site.css").exists()


def test_ctrl_c_stops_the_server_cleanly(make_site):
    import signal
    import subprocess
    import sys

    root = make_site({"content/law/a.md": article("甲", "2018-09-21")})
    process = subprocess.Popen(
        [sys.executable, "-m", "sitegen.cli", "serve", str(root), "--port", "0"],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stderr is not None
    line = ""
    while "serving" not in line:
        line = process.stderr.readline()
        assert line, "the server stopped before it served"
    url = line.split(" at ")[1].split(" ")[0]
    with urllib.request.urlopen(url + "law/a/", timeout=10) as response:
        assert response.status == 200
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 0
    rest = process.stderr.read()
    process.stderr.close()
    assert "stopping" in rest and "Traceback" not in rest


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
