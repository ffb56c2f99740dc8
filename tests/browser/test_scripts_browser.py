"""繁/简 as a reader uses it (issue 16): a site in two scripts under /news/, in Chromium."""

from __future__ import annotations

import shutil

import pytest

from sitegen.pipeline import build_site
from sitegen.theme import THEME_DIR

pytestmark = pytest.mark.browser

CONFIG = """\
title: 長春市總工會新聞檔案
base_url: https://example.org/news/
scripts: [zh-Hant, zh-Hans]
categories:
  - slug: news
    name: 工會要聞
  - slug: law
    name: 法律維權
"""
ARTICLES = {
    "news/hall": ("職工之家乾淨整潔", "2024-03-01 09:00",
                  "職工之家經過修繕，乾淨整潔，理髮室為職工剪頭髮。"),
    "news/model": ("勞動模範表彰大會召開", "2024-04-28 10:00",
                   "會議表彰勞動模範一百名，號召職工學習勞模精神。"),
    "law/wage": ("欠薪維權熱線開通", "2024-05-02 08:30",
                 "職工遇到欠薪可撥打熱線，工會提供法律援助。"),
}  # fmt: skip


@pytest.fixture(scope="module")
def site_base(tmp_path_factory, serve_dir) -> str:
    root = tmp_path_factory.mktemp("scripts-site")
    shutil.copytree(THEME_DIR / "layouts", root / "layouts")
    (root / "site.yaml").write_text(CONFIG, encoding="utf-8")
    for path, (title, date, body) in ARTICLES.items():
        text = (f"---\ntitle: {title}\ndate: {date}\ncategory: {path.split('/')[0]}\n"
                f"source: 長春日報\neditor: 張麗華\n---\n\n{body}\n")  # fmt: skip
        (root / "content" / f"{path}.md").parent.mkdir(parents=True, exist_ok=True)
        (root / "content" / f"{path}.md").write_text(text, encoding="utf-8")
    served = tmp_path_factory.mktemp("scripts-served")
    result = build_site(root, served / "news")
    assert result.ok, [str(p) for p in result.problems]
    return serve_dir(served) + "news/"


def path_of(page) -> str:
    return page.evaluate("location.pathname")


def test_the_choice_of_script_takes_the_reader_to_the_same_page_and_holds(page, site_base):
    page.goto(site_base + "news/hall/")
    assert page.locator("html").get_attribute("lang") == "zh-Hant"
    hreflangs = page.locator("link[rel=alternate][hreflang]")
    assert {hreflangs.nth(i).get_attribute("hreflang") for i in range(hreflangs.count())} == {
        "zh-Hant", "zh-Hans", "x-default"}  # fmt: skip
    page.click(".script-switch a")  # 简
    page.wait_for_url("**/news/zh-hans/news/hall/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.locator("#article-title").inner_text() == "职工之家干净整洁"
    assert "理发室为职工剪头发" in page.locator("#article-body").inner_text()
    assert "责任编辑：张丽华" in page.locator(".article-footer").inner_text()
    page.click("a[rel=next]")  # 下一篇, in 简体 too
    page.wait_for_url("**/news/zh-hans/news/model/")
    assert page.locator("#article-title").inner_text() == "劳动模范表彰大会召开"
    # The choice is remembered: from the 繁體 home page (where a link from elsewhere, or a
    # search engine, lands: it is never redirected), a click leads into 简体.
    page.goto(site_base)
    assert path_of(page) == "/news/" and page.locator("html").get_attribute("lang") == "zh-Hant"
    page.click(".columns a[href$='/law/wage/']")
    page.wait_for_url("**/news/zh-hans/law/wage/")
    assert page.locator("#article-title").inner_text() == "欠薪维权热线开通"
    # Back to 繁: remembered as well.
    page.click(".script-switch a")
    page.wait_for_url("**/news/law/wage/")
    page.goto(site_base + "zh-hans/")
    page.click(".columns a[href$='/news/hall/']")
    page.wait_for_url("**/news/news/hall/")
    assert page.locator("#article-title").inner_text() == "職工之家乾淨整潔"


def test_a_first_visit_stays_where_the_address_says(page, site_base):
    page.goto(site_base)
    page.wait_for_load_state("load")
    assert path_of(page) == "/news/"
    assert page.locator(".script-switch a").get_attribute("href") == "/news/zh-hans/"
    assert page.evaluate("localStorage.getItem('sitegen-script')") is None


def test_search_from_the_simplified_pages_leads_to_simplified_pages(page, site_base):
    page.goto(site_base + "zh-hans/search/?q=理发")
    page.wait_for_selector("#search[data-state=done]", state="attached")
    link = page.locator(".search-hit .search-title a")
    assert link.count() == 1
    assert link.get_attribute("href") == "/news/zh-hans/news/hall/"
    category = page.locator(".search-hit .search-category")
    assert category.inner_text() == "工会要闻"
    assert category.get_attribute("href") == "/news/zh-hans/news/"
    link.click()
    page.wait_for_url("**/news/zh-hans/news/hall/")
