"""kill -9 at random moments of a build: public/ is always the complete old site or the
complete new one, and the next build equals a clean one (issue 13).

One generated archive of 1 500 articles (bench/generate.py, search on), three kinds of
build, 36 kills. Each kill falls at a random moment of a running `sitegen build`; the
output folder is then hashed and must equal, file for file, the site of the sources before
the change or the site of the sources after it, each made beforehand by a clean build
elsewhere. A build that finished before its kill flips the change back, so the next kill
falls in a build with work to do again.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

ARTICLES = 1_500
KILLS_PER_KIND = 12
SITEGEN = [sys.executable, "-c", "from sitegen.cli import run; run()"]


def site_hash(folder: Path) -> str:
    """One digest of every file of the site in `folder` (sitegen's manifest aside)."""
    digest = hashlib.sha256()
    for path, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            if name == ".sitegen-manifest":
                continue
            full = Path(path, name)
            digest.update(full.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(full.read_bytes()).digest())
    return digest.hexdigest()


def build(site: Path, *args: str, out: Path | None = None) -> subprocess.CompletedProcess:
    extra = ["--out", str(out)] if out else []
    return subprocess.run([*SITEGEN, "build", str(site), *extra, *args], capture_output=True,
                          text=True, timeout=300)  # fmt: skip


def clean_site_hash(site: Path, scratch: Path) -> str:
    """The hash of a clean build of a copy of `site`'s sources, made elsewhere."""
    copy = scratch / f"copy-{time.monotonic_ns()}"
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns("public", ".*"))
    done = build(copy, "--clean")
    assert done.returncode == 0, done.stderr
    found = site_hash(copy / "public")
    shutil.rmtree(copy)
    return found


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("kill")
    script = REPO / "bench" / "generate.py"
    subprocess.run([sys.executable, str(script), str(ARTICLES), str(root / "site")], check=True,
                   capture_output=True, timeout=300)  # fmt: skip
    return root


class Toggle:
    """A change to the sources that can be made and undone: (apply, undo)."""

    def __init__(self, site: Path, kind: str) -> None:
        self.kind = kind
        if kind == "layout":
            self.path = site / "layouts" / "article.html"
        else:  # an article in the middle of the archive, and the newest one
            self.path = sorted((site / "content").rglob("*.md"))[ARTICLES // 2]
        self.before = self.path.read_bytes()
        if kind == "layout":
            self.after = self.before.replace(b"</nav>", b"</nav><!-- kill test -->", 1)
        else:
            self.after = self.before.replace("。".encode(), "。殺進程測試的新句子。".encode(), 1)
        assert self.after != self.before
        self.applied = False

    def flip(self) -> None:
        self.applied = not self.applied
        self.path.write_bytes(self.after if self.applied else self.before)


def kill_during(site: Path, args: tuple[str, ...], rng: random.Random, longest: float) -> bool:
    """Start a build and kill -9 it at a random moment; True if it finished first."""
    process = subprocess.Popen([*SITEGEN, "build", str(site), *args],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        time.sleep(rng.uniform(0.2 * longest, 1.1 * longest))  # the writing comes late
        finished = process.poll() is not None
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    return finished


@pytest.mark.parametrize("kind", ["clean", "edit", "layout"])
def test_a_build_killed_at_any_moment_leaves_the_old_or_the_new_site_whole(archive, kind):
    site, scratch = archive / "site", archive
    first = build(site)
    assert first.returncode == 0, first.stderr
    rng = random.Random(f"kill-{kind}")
    if kind == "clean":
        hashes = {False: site_hash(site / "public")}
        toggle = None
    else:
        toggle = Toggle(site, kind)
        hashes = {False: site_hash(site / "public")}
        toggle.flip()
        hashes[True] = clean_site_hash(site, scratch)
        toggle.flip()
        assert hashes[True] != hashes[False]
    started = time.monotonic()
    timed = build(site, "--clean" if kind == "clean" else "--jobs=2")
    longest = max(0.3, time.monotonic() - started)
    assert timed.returncode == 0
    finished = 0
    for _ in range(KILLS_PER_KIND):
        if toggle is not None:
            toggle.flip()  # the sources now differ from the site on show
        args = ("--clean",) if kind == "clean" else ()
        finished += kill_during(site, args, rng, longest)
        now = site_hash(site / "public")
        assert now in hashes.values(), f"public/ is neither the old site nor the new ({kind})"
        if toggle is not None and now != hashes[toggle.applied]:
            toggle.flip()  # the kill fell before the swap: the next kill starts from here
    # The next build after all those kills equals a clean build of the same sources.
    after = build(site)
    assert after.returncode == 0 and "Traceback" not in after.stderr, after.stderr
    applied = toggle.applied if toggle else False
    assert site_hash(site / "public") == hashes[applied]
    if toggle is not None and toggle.applied:
        toggle.flip()
        assert build(site).returncode == 0
    assert finished < KILLS_PER_KIND, "every build finished before its kill: nothing was tested"


def test_a_build_killed_while_its_workers_render_takes_them_with_it(archive, tmp_path):
    """Its workers, left alone, each went on to its next result, found the pipe to the
    dead build broken and printed two tracebacks into the editor's terminal."""
    log = tmp_path / "stderr"
    with log.open("wb") as stderr:
        process = subprocess.Popen([*SITEGEN, "build", str(archive / "site"), "--clean"],
                                   stdout=subprocess.DEVNULL, stderr=stderr)  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while b"render:" not in log.read_bytes() and process.poll() is None:
                assert time.monotonic() < deadline, "the build never reached its rendering"
                time.sleep(0.02)
            process.send_signal(signal.SIGKILL)
        finally:
            process.wait(timeout=60)
        time.sleep(2)  # what the workers would do next, they have done by now
    text = log.read_text(encoding="utf-8", errors="replace")
    assert process.returncode == -signal.SIGKILL, "the build finished before its kill"
    assert "Traceback" not in text and "Error" not in text, text[-2000:]


class Interrupted(BaseException):
    """Stands for the kill: raised from inside a system call wrapper."""


@pytest.fixture
def interrupt_after(monkeypatch):
    """interrupt_after(n): the n-th file-system call from now on raises Interrupted, as
    though the process died there (every call that creates, moves or deletes a name)."""

    def arm(limit: int) -> list[int]:
        count = [0]
        for name in ("open", "replace", "rename", "unlink", "link", "rmdir", "mkdir"):
            real = getattr(os, name)

            def wrapper(*args, _real=real, **kwargs):
                count[0] += 1
                if count[0] == limit:
                    raise Interrupted
                return _real(*args, **kwargs)

            monkeypatch.setattr(os, name, wrapper)
        return count

    return arm


def test_a_build_stopped_at_every_step_of_its_writing_leaves_the_old_or_the_new_site(
    make_site, interrupt_after, monkeypatch
):
    """The same promise, without chance: a layout edit's build is stopped at its 1st, 2nd,
    3rd ... file-system call in turn, in one process, until one runs to the end."""
    from sitegen.pipeline import build_site
    from tests.conftest import article

    root = make_site({f"content/law/a{n}.md": article(f"標題{n}", f"2018-01-{n + 1:02d}")
                      for n in range(12)})  # fmt: skip
    layout = root / "layouts" / "article.html"
    old_layout = layout.read_bytes()
    new_layout = old_layout.replace(b"</nav>", b"</nav><!-- step -->", 1)
    assert build_site(root, jobs=1).ok
    old = site_hash(root / "public")
    layout.write_bytes(new_layout)
    assert build_site(root, root / "expected", jobs=1).ok
    new = site_hash(root / "expected")
    layout.write_bytes(old_layout)
    assert build_site(root, jobs=1).ok
    step, seen_new = 1, False
    while not seen_new:
        layout.write_bytes(new_layout)
        interrupt_after(step)
        try:
            build_site(root, jobs=1)
            seen_new = True
        except Interrupted:
            pass
        monkeypatch.undo()
        now = site_hash(root / "public")
        assert now in (old, new), f"stopped at call {step}: public/ is mixed"
        assert build_site(root, jobs=1).ok and site_hash(root / "public") == new
        layout.write_bytes(old_layout)
        assert build_site(root, jobs=1).ok and site_hash(root / "public") == old
        step += 1
    assert step > 20  # the sweep went through the writing, not just its first step


def test_a_clean_build_stopped_at_every_step_leaves_the_site_and_the_next_edit_right(
    make_site, interrupt_after, monkeypatch, tmp_path
):
    """A clean build writes a new tree, swaps it in, then makes the spare its twin: stopped
    at each step in turn, the site stays whole, and the edit built next is right (a spare
    left half made must never pass for a whole one)."""
    from sitegen.pipeline import build_site
    from tests.conftest import article

    root = make_site({f"content/law/a{n}.md": article(f"標題{n}", f"2018-01-{n + 1:02d}")
                      for n in range(8)})  # fmt: skip
    edited = root / "content/law/a3.md"
    original = edited.read_text(encoding="utf-8")
    assert build_site(root, jobs=1).ok
    old = site_hash(root / "public")
    edited.write_text(original.replace("正文。", "改過的正文。"), encoding="utf-8")
    assert build_site(root, tmp_path / "expected", jobs=1).ok
    new = site_hash(tmp_path / "expected")
    edited.write_text(original, encoding="utf-8")
    step, finished = 1, False
    while not finished:
        interrupt_after(step)
        try:
            build_site(root, jobs=1, clean=True)
            finished = True
        except Interrupted:
            pass
        monkeypatch.undo()
        assert site_hash(root / "public") == old, f"stopped at call {step}"
        edited.write_text(original.replace("正文。", "改過的正文。"), encoding="utf-8")
        assert build_site(root, jobs=1).ok
        assert site_hash(root / "public") == new, f"the edit after a stop at call {step}"
        edited.write_text(original, encoding="utf-8")
        assert build_site(root, jobs=1).ok and site_hash(root / "public") == old
        step += 1
    assert step > 20


def test_an_edit_build_stopped_at_any_step_leaves_no_trace_in_the_two_builds_after_it(
    make_site, interrupt_after, monkeypatch, tmp_path
):
    """The build after a stop makes its spare anew; the build after that one must still
    bring the spare up to date. (A spare that took the live manifest's id by a hard link
    passed for up to date, and the second build published a page of the site before the
    first edit.)"""
    from sitegen.pipeline import build_site
    from tests.conftest import article

    root = make_site({f"content/law/a{n}.md": article(f"標題{n}", f"2018-01-{n + 1:02d}")
                      for n in range(8)})  # fmt: skip
    first, second = root / "content/law/a2.md", root / "content/law/a5.md"
    originals = {path: path.read_text(encoding="utf-8") for path in (first, second)}

    def edit(path: Path) -> None:
        path.write_text(originals[path].replace("正文。", "改過的正文。"), encoding="utf-8")

    def restore() -> None:
        for path, text in originals.items():
            path.write_text(text, encoding="utf-8")

    edit(first)
    edit(second)
    assert build_site(root, tmp_path / "expected", jobs=1).ok
    both = site_hash(tmp_path / "expected")
    restore()
    assert build_site(root, jobs=1).ok
    step, finished = 1, False
    while not finished:
        edit(first)
        interrupt_after(step)
        try:
            build_site(root, jobs=1)
            finished = True
        except Interrupted:
            pass
        monkeypatch.undo()
        assert build_site(root, jobs=1).ok
        edit(second)
        assert build_site(root, jobs=1).ok
        assert site_hash(root / "public") == both, f"two builds after a stop at call {step}"
        restore()
        assert build_site(root, jobs=1).ok
        step += 1
    assert step > 20
