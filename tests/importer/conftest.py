"""Shared fixtures for importer tests: the run context and a tiny site to import into."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sitegen.importer import Context, make_context

SAMPLES = Path(__file__).parent / "samples"

SITE_YAML = textwrap.dedent(
    """\
    # test site
    title: 測試站
    base_url: https://news.example.org/
    language: zh-Hant
    categories:
      - slug: news
        name: 工會要聞
      - slug: law
        name: 法律維權
      - slug: notices
        name: 通知公告
    """
)


@pytest.fixture(scope="session")
def context() -> Context:
    return make_context()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    (root / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    return root
