"""Search as a reader uses it: a built site under /news/, searched in headless Chromium."""

from __future__ import annotations

import shutil
from urllib.parse import urlencode

import pytest

from sitegen import search as search_index
from sitegen.pipeline import build_site
from sitegen.theme import THEME_DIR
from tests.test_search import segment_count

pytestmark = pytest.mark.browser

CONFIG = """\
title: 測試工會
base_url: https://example.org/news/
categories:
  - slug: news
    name: 工會要聞
  - slug: law
    name: 法律維權
  - slug: culture
    name: 文體活動
  - slug: notices
    name: 通知公告
"""
# (category/slug, title, date, body): traditional and simplified, as real archives mix them.
ARTICLES = [
    (
        "law/wage-check",
        "農民工工資支付專項檢查啟動",
        "2019-03-02",
        "市總工會會同人社部門啟動農民工工資支付專項檢查，重點檢查建築工地和勞務派遣單位。",
    ),
    (
        "news/cooling",
        "送清凉活动走进户外劳动者驿站",
        "2021-07-15",
        "夏季高温期间，市总工会为环卫工人送去防暑降温物品，职工代表表示感谢。",
    ),
    (
        "culture/reading",
        "全民讀書月活動在職工書屋開幕",
        "2018-04-23",
        "職工書屋新增圖書兩千冊，讀書月期間每週開放六天。",
    ),
    (
        "law/mediation",
        "劳动争议调解中心全年调解案件三百余件",
        "2022-11-08",
        "调解中心设在区总工会，会员代表轮流值班，为职工提供免费法律咨询。",
    ),
    (
        "news/model-workers",
        "勞動模範表彰大會隆重召開",
        "2020-05-01",
        "市總工會表彰勞動模範一百名，號召廣大職工學習勞模精神。",
    ),
    (
        "news/hotline",
        "職工服務熱線開通",
        "2024-02-01",
        "熱線提供政策諮詢和勞動爭議調解預約服務。",
    ),
] + [
    (
        f"notices/training-{n}",
        f"關於做好第{n}批職業技能培訓報名工作的通知",
        f"2023-01-{n:02d}",
        "請各單位於月底前報送名單。",
    )
    for n in range(1, 13)
]


@pytest.fixture(scope="module")
def site_base(tmp_path_factory, serve_dir) -> str:
    """Build the site into SERVED/news/ and serve SERVED, so the site lives under a sub-path."""
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(THEME_DIR / "layouts", root / "layouts")
    shutil.copytree(THEME_DIR / "static", root / "static")
    (root / "site.yaml").write_text(CONFIG, encoding="utf-8")
    for path, title, date, body in ARTICLES:
        text = f"---\ntitle: {title}\ndate: {date}\ncategory: {path.split('/')[0]}\n---\n\n{body}\n"
        (root / "content" / f"{path}.md").parent.mkdir(parents=True, exist_ok=True)
        (root / "content" / f"{path}.md").write_text(text, encoding="utf-8")
    served = tmp_path_factory.mktemp("served")
    # Indexed in blocks of a few docs (two to a doc chunk), so that a word's postings lie in
    # several segments of its shard, as in a large archive, and search.js must join them;
    # each block's segments a piece of its own, so that search.js inflates shards of pieces.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search_index, "CHUNK_BYTES", 300)
        patch.setattr(search_index, "BLOCK_DOCS", 4)
        patch.setattr(search_index, "_piece_span", lambda shards: 1)
        result = build_site(root, served / "news")
    assert result.ok, [str(p) for p in result.problems]
    shards = [s.read_bytes() for s in (served / "news" / "search" / "s").glob("*.bin")]
    assert max(segment_count(search_index.shard_segments(shard)) for shard in shards) > 1
    assert max(len(search_index._pieces(shard) or ()) for shard in shards) > 1
    return serve_dir(served) + "news/"


def search(page, site_base: str, **params: str) -> list[tuple[str, str]]:
    """Open the search page with these parameters; return (title, URL path) of each hit."""
    page.goto(site_base + "search/?" + urlencode(params))
    page.wait_for_selector("#search[data-state=done]", state="attached")
    hits = page.locator(".search-hit .search-title a")
    return [
        (hits.nth(i).inner_text(), hits.nth(i).get_attribute("href")) for i in range(hits.count())
    ]


def titles(hits: list[tuple[str, str]]) -> list[str]:
    return [title for title, _url in hits]


def test_a_traditional_phrase_finds_the_traditional_article(page, site_base):
    assert search(page, site_base, q="專項檢查") == [
        ("農民工工資支付專項檢查啟動", "/news/law/wage-check/")
    ]


def test_a_simplified_phrase_finds_the_traditional_article_with_the_match_marked(page, site_base):
    assert titles(search(page, site_base, q="工资支付")) == ["農民工工資支付專項檢查啟動"]
    assert page.locator(".search-title mark").all_inner_texts() == ["工資支付"]
    assert page.locator(".search-excerpt mark").all_inner_texts() == ["工資支付"]


def test_a_traditional_phrase_finds_the_simplified_article(page, site_base):
    assert titles(search(page, site_base, q="戶外勞動者")) == ["送清凉活动走进户外劳动者驿站"]


def test_a_two_character_word_finds_every_article_holding_it_newest_first(page, site_base):
    assert titles(search(page, site_base, q="工會")) == [
        "劳动争议调解中心全年调解案件三百余件",
        "送清凉活动走进户外劳动者驿站",
        "勞動模範表彰大會隆重召開",
        "農民工工資支付專項檢查啟動",
    ]
    assert page.locator(".search-status").inner_text() == "共 4 篇"


def test_a_query_of_several_words_lists_only_articles_holding_all_of_them(page, site_base):
    assert titles(search(page, site_base, q="工会 检查")) == ["農民工工資支付專項檢查啟動"]


def test_the_category_filter_keeps_only_that_categorys_articles(page, site_base):
    assert titles(search(page, site_base, q="工會", cat="law")) == [
        "劳动争议调解中心全年调解案件三百余件",
        "農民工工資支付專項檢查啟動",
    ]
    assert page.locator("select[name=cat]").input_value() == "law"


def test_the_year_filter_keeps_only_that_years_articles(page, site_base):
    assert titles(search(page, site_base, q="工會", year="2021")) == [
        "送清凉活动走进户外劳动者驿站"
    ]


def test_a_three_character_query_whose_pairs_occur_apart_finds_nothing(page, site_base):
    # 區總工會，會員代表 holds 工會 and 會員 but not 工會員.
    assert search(page, site_base, q="工會員") == []
    assert page.locator(".search-status").inner_text() == "沒有找到相關文章。"


def test_results_come_ten_to_a_page_with_a_link_to_the_next(page, site_base):
    first = search(page, site_base, q="培訓報名")
    assert len(first) == 10
    assert first[0][0] == "關於做好第12批職業技能培訓報名工作的通知"
    page.click(".search-pager a[rel=next]")
    page.wait_for_selector("#search[data-state=done]", state="attached")
    assert page.locator(".search-hit").count() == 2
    assert page.locator(".search-pager a[rel=prev]").count() == 1


def test_sorting_by_relevance_puts_the_article_with_the_word_in_its_title_first(page, site_base):
    assert titles(search(page, site_base, q="調解")) == [
        "職工服務熱線開通",
        "劳动争议调解中心全年调解案件三百余件",
    ]
    assert titles(search(page, site_base, q="調解", sort="relevance")) == [
        "劳动争议调解中心全年调解案件三百余件",
        "職工服務熱線開通",
    ]


def test_the_header_search_box_leads_to_results_without_requests_elsewhere(page, site_base):
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(site_base)
    page.fill(".masthead input[name=q]", "讀書月")
    page.press(".masthead input[name=q]", "Enter")
    page.wait_for_selector("#search[data-state=done]", state="attached")
    assert titles_on(page) == ["全民讀書月活動在職工書屋開幕"]
    assert [url for url in requested if not url.startswith(site_base)] == []


def titles_on(page) -> list[str]:
    return page.locator(".search-hit .search-title a").all_inner_texts()
