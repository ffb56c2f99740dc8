"""Tiny sites under tmp_path, with a copy of the packaged theme's layouts and static files."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from sitegen.theme import THEME_DIR

REPO = Path(__file__).resolve().parent.parent

MINIMAL_CONFIG = """\
title: 測試檔案館
base_url: https://example.org/
language: zh-Hant
timezone: Asia/Shanghai
page_size: 3
search: false
categories:
  - slug: law
    name: 法律維權
  - slug: news
    name: 工會要聞
"""


def bench_module(name: str):
    """A script of bench/ imported as a module. bench/ is not a package: its scripts import
    each other by name, as run.py does, so the folder is on the path while it loads."""
    import importlib

    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(REPO / "bench"))
        return importlib.import_module(name)


def article(title: str, date: str, category: str = "law", body: str = "正文。", **extra) -> str:
    """A content file's text with the given front matter."""
    lines = [f"title: {title}", f"date: {date}", f"category: {category}"]
    lines += [f"{key}: {value}" for key, value in extra.items()]
    return "---\n" + "\n".join(lines) + "\n---\n\n" + body + "\n"


def write_site(root: Path, files: dict[str, str | bytes], config: str = MINIMAL_CONFIG) -> Path:
    """Write a site under `root` (a copy of the theme, `config`, then `files`);
    files are added to a site that exists already."""
    if not root.exists():
        shutil.copytree(THEME_DIR / "layouts", root / "layouts")
        shutil.copytree(THEME_DIR / "static", root / "static")
        (root / "site.yaml").write_text(config, encoding="utf-8")
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text) if name.endswith(".yaml") else text,
                            encoding="utf-8")  # fmt: skip
    return root


@pytest.fixture
def make_site(tmp_path: Path):
    """make_site({"content/law/a.md": "..."}) -> site root with the theme's layouts and static."""

    def make(files: dict[str, str | bytes], config: str = MINIMAL_CONFIG) -> Path:
        return write_site(tmp_path / "site", files, config)

    return make


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of the site under `folder` by relative path, for byte-for-byte comparisons
    (sitegen's manifest aside: it names each build, so no two builds share it)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".sitegen-manifest"
    }


@pytest.fixture
def dev_server(make_site):
    """A running `sitegen serve` on a free port over a one-article site: (root, server).
    Its builds run in the builder process, as the command's do, even when an earlier test
    left a thread behind (which would rightly stop the fork): see DevServer.start."""
    import sitegen.forked
    from sitegen.serve import DevServer

    root = make_site({"content/law/a.md": article("第一版標題", "2018-09-21")})
    server = DevServer(root, port=0)
    with pytest.MonkeyPatch.context() as patch:  # only while the builder is forked
        patch.setattr(sitegen.forked.threading, "active_count", lambda: 1)
        server.start()
    assert server._builder is not None
    yield root, server
    server.stop()
