"""Builds side by side: a `sitegen build` while `sitegen serve` rebuilds the same site, and
three builds at once. One waits for the other (a per-site lock); nothing is shared unlocked,
and every site that comes out equals a clean build (issue 13)."""

from __future__ import annotations

import shutil
import subprocess
import sys

from sitegen.pipeline import build_site
from sitegen.serve import DevServer
from tests.conftest import article, snapshot

SITEGEN = [sys.executable, "-c", "from sitegen.cli import run; run()"]
ARTICLES = 150


def many(count: int, word: str = "正文") -> dict[str, str]:
    return {f"content/law/a{n}.md": article(f"標題{n}", f"2019-{n % 12 + 1:02d}-{n % 28 + 1:02d}",
                                             body=f"{word}{n}。" * 40)
            for n in range(count)}  # fmt: skip


def clean_copy(root, tmp_path, name: str):
    copy = tmp_path / name
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("public", ".*"))
    assert build_site(copy, clean=True).ok
    return copy / "public"


def test_a_build_beside_serve_waits_its_turn_and_both_sites_come_out_whole(make_site, tmp_path):
    root = make_site(many(ARTICLES))
    server = DevServer(root, port=0)
    server.start()
    try:
        build = server.state.build
        # An edit that serve rebuilds for, and a build started at the same moment.
        for name, text in many(ARTICLES, "修改後").items():
            (root / name).write_text(text, encoding="utf-8")
        server.mark_dirty()
        done = subprocess.run([*SITEGEN, "build", str(root)], capture_output=True, text=True,
                              timeout=300)  # fmt: skip
        state = server.wait_for_build(build, timeout=120)
        while True:  # until the watcher's rebuilds have settled
            later = server.wait_for_build(state.build, timeout=3)
            if later.build == state.build:
                break
            state = later
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert state.build > build and state.problems == ()
    expected = snapshot(clean_copy(root, tmp_path, "clean"))
    assert snapshot(root / "public") == expected
    assert snapshot(root / ".sitegen-cache" / "serve").keys() == expected.keys()


def test_three_builds_at_once_end_in_the_site_a_clean_build_makes(make_site, tmp_path):
    root = make_site(many(ARTICLES))
    runs = [subprocess.Popen([*SITEGEN, "build", str(root)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(3)]  # fmt: skip
    results = [(run.wait(timeout=300), run.stderr.read()) for run in runs]
    for run in runs:
        run.stdout.close()
        run.stderr.close()
    assert [code for code, _ in results] == [0, 0, 0], results
    assert not any("Traceback" in err for _, err in results)
    # The ones that came second and third said why they waited.
    assert sum("waiting for another build of this site" in err for _, err in results) >= 1
    assert snapshot(root / "public") == snapshot(clean_copy(root, tmp_path, "clean"))
