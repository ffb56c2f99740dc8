"""The import review page in headless Chromium, opened from file:// as an editor would: it
loads cleanly, asks no host for anything, filters by status, and shows a page's original
(sandboxed) beside the imported article.

The pages are the importer's samples plus an article and a list page from its corpus, so
real legacy markup (scripts, trackers, remote images, link farms) goes through the page.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sitegen.importer.command import register

pytestmark = pytest.mark.browser

IMPORTER_TESTS = Path(__file__).resolve().parents[1] / "importer"
ARTICLE = ("corpus/dedecms/123.html", "省总工会部署开展“送温暖”工程专项督查")
LIST_PAGE = "corpus/phpcms/lists-catid20.html"
ERROR_PAGE = "corpus/dedecms/404.html"
SITE_YAML = """\
title: 測試站
base_url: https://news.example.org/
language: zh-Hant
categories:
  - slug: news
    name: 工會要聞
  - slug: notices
    name: 通知公告
"""


@pytest.fixture(scope="module")
def review_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("review")
    src = root / "old"
    src.mkdir()
    pages = [*(IMPORTER_TESTS / "samples").glob("*.html"), IMPORTER_TESTS / ARTICLE[0]]
    pages += [IMPORTER_TESTS / LIST_PAGE, IMPORTER_TESTS / ERROR_PAGE]
    for page in pages:
        shutil.copyfile(page, src / page.name)
    site = root / "site"
    site.mkdir()
    (site / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(
        ["import", str(src), "--site", str(site), "--report", str(root / "import.json")]
    )
    assert args.func(args) == 0
    return root / "import.html"  # written beside the report


@pytest.fixture
def traffic(page) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {"requests": [], "errors": []}
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    return seen


def open_row(page, title: str):
    page.locator("button.open", has_text=title).click()
    return page.locator("tr.detail")


def test_it_loads_with_no_errors_and_asks_no_host_for_anything(page, review_page, traffic):
    page.goto(review_page.as_uri())
    rows = page.locator("tr.page")
    assert rows.count() == 6  # three samples, an article, a list page, an error page
    for i in range(rows.count()):  # every original and article rendered
        rows.nth(i).locator("button.open").click()
    assert page.locator("tr.detail iframe").count() == 12
    page.wait_for_load_state("load")
    assert traffic["errors"] == []
    schemes = {urlsplit(url).scheme for url in traffic["requests"]}
    assert schemes <= {"file", "data", "about"}, traffic["requests"]


def test_a_status_filter_hides_the_other_rows(page, review_page):
    page.goto(review_page.as_uri())
    page.select_option("#f-status", "review")
    shown = page.locator("tr.page:visible")
    assert shown.count() >= 1
    assert {shown.nth(i).get_attribute("data-group") for i in range(shown.count())} == {"review"}
    assert page.locator("tr.page", has_text=ARTICLE[1]).is_hidden()
    assert page.locator("#shown").text_content() == str(shown.count())
    page.select_option("#f-status", "")
    page.fill("#f-text", "lists-catid20")
    assert page.locator("tr.page:visible").count() == 1


def test_a_row_opens_the_original_sandboxed_beside_the_imported_article(page, review_page):
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(review_page.as_uri())
    detail = open_row(page, ARTICLE[1])
    original, imported = detail.locator("iframe.original"), detail.locator("iframe.imported")
    assert original.get_attribute("sandbox") == "" and imported.get_attribute("sandbox") == ""
    left, right = original.bounding_box(), imported.bounding_box()
    assert left and right and left["x"] + left["width"] <= right["x"]  # side by side
    assert abs(left["y"] - right["y"]) < 1
    article = page.frame_locator("tr.detail iframe.imported")
    assert article.locator("h1").text_content() == ARTICLE[1]
    assert "2012-03-08" in (article.locator(".meta").text_content() or "")
    source = page.frame_locator("tr.detail iframe.original")
    assert ARTICLE[1] in (source.locator("body").text_content() or "")
    assert source.locator("script, iframe, form, [src]").count() == 0
    facts = detail.locator(".facts").text_content() or ""
    assert "找到的內容" in facts and "疑點" in facts and "刪除內容" in facts
