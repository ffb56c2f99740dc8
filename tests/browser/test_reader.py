"""What readers see and do, in headless Chromium: 字號, 打印 and 關閉, print output, layout on
phones and desktops, accessibility, and no request leaving the site.

The site is built once per module under a sub-path (/union/), as many archives are hosted, with
articles written for these tests: one has a table, an image from static/ and links. Screenshots
for people to look at go to tests/screenshots/ (git-ignored).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError

from sitegen.pipeline import build_site
from sitegen.theme import THEME_DIR

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "tests" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 780}
SITE_TITLE = "長春市總工會新聞檔案"
CONFIG = f"""\
title: {SITE_TITLE}
description: 長春市總工會歷年新聞、通知與報告的存檔。
base_url: https://news.example.org/union/
language: zh-Hant
timezone: Asia/Shanghai
page_size: 5
search: true
categories:
  - slug: news
    name: 工會要聞
  - slug: law
    name: 法律維權
  - slug: notices
    name: 通知公告
"""
# Everything around an article that must not reach paper.
NAV_LABELS = ("首頁", "工會要聞", "法律維權", "通知公告", "當前位置", "搜索", "欄目導航",
              "字號", "打印", "關閉", "上一篇", "下一篇", "歸檔", "訂閱", "跳到正文")  # fmt: skip

OVERTIME = """\
---
title: 加班工資怎麼算？職工常見問題解答
subtitle: 市總工會法律服務中心整理
date: 2023-06-12 09:30:00
category: law
source: 長春市總工會法律服務中心
author: 法律服務中心
editor: 李明
tags: [勞動法, 工資]
---

近來，市總工會職工服務熱線接到不少關於加班工資的諮詢。法律服務中心把職工問得最多的幾個問題
整理如下，供大家參考；遇到具體情況，歡迎到各區總工會法律援助站當面諮詢。

## 一、加班工資按什麼標準計算？

根據勞動法第四十四條，用人單位安排勞動者延長工作時間的，應當按照下表支付高於正常工作時間
工資的報酬。

| 加班情形 | 支付標準 | 能否以補休代替 |
|---|---|---|
| 工作日延長工作時間 | 不低於工資的百分之一百五十 | 否 |
| 休息日安排工作 | 不低於工資的百分之二百 | 可以先安排補休 |
| 法定休假日安排工作 | 不低於工資的百分之三百 | 否 |

## 二、計算基數怎麼確定？

加班工資的計算基數一般是勞動合同約定的本人工資標準；合同沒有約定的，按職工本人正常工作時間
的實際工資確定，但不得低於本市最低工資標準。獎金、津貼是否計入，要看單位規章制度和合同約定。

![二〇二二年職工服務熱線諮詢類別統計](../../static/img/hotline-2022.svg)

去年熱線接到的諮詢中，勞動報酬類最多，其中近四成與加班工資有關。

## 三、單位拖欠加班工資怎麼辦？

職工可以先與單位協商，也可以撥打職工服務熱線12351，或者申請勞動爭議仲裁。相關做法可參閱
[冬季欠薪維權指引](../wage-arrears/)，法律原文見[國家法律法規數據庫](https://flk.npc.gov.cn/)，
或直接打開條文頁面：<https://flk.npc.gov.cn/detail2.html?ZmY4MDgwODE2ZjNjYmIzYzAxNmY0MTI1MjE5NjAxNjE>。
"""
WAGE_ARREARS = """\
---
title: 冬季欠薪維權指引：農民工討薪七步走
date: 2022-12-01 10:00:00
category: law
source: 長春市總工會
---

年關將近，市總工會提醒廣大農民工朋友：保存好考勤記錄和工資條，遇到欠薪先協商，協商不成可以
向勞動保障監察機構投訴，也可以請工會法律援助律師幫助申請仲裁。
"""
HEAT = """\
---
title: 市總工會啟動夏季送清涼活動
date: 2023-07-05 08:00:00
category: news
source: 長春市總工會
---

入伏以來，市總工會組織慰問組走進建築工地、環衛站點和快遞網點，為戶外勞動者送去防暑降溫物品。
"""
CONTEST = """\
---
title: 關於開展2023年度職工職業技能競賽的通知
date: 2023-03-01 09:00:00
category: notices
---

各區總工會、各產業工會：為弘揚勞模精神和工匠精神，市總工會決定開展年度職工職業技能競賽。
"""
CHART = """\
<svg xmlns="http://www.w3.org/2000/svg" width="640" height="300" viewBox="0 0 640 300">
  <rect width="640" height="300" fill="#f6f8fa"/>
  <g fill="#a4161a">
    <rect x="60" y="60" width="90" height="200"/><rect x="200" y="130" width="90" height="130"/>
    <rect x="340" y="180" width="90" height="80"/><rect x="480" y="215" width="90" height="45"/>
  </g>
  <g font-size="18" text-anchor="middle" fill="#1f2328">
    <text x="105" y="285">勞動報酬</text><text x="245" y="285">社會保險</text>
    <text x="385" y="285">勞動合同</text><text x="525" y="285">其他</text>
  </g>
</svg>
"""
# Older 法律維權 articles, so that the category page is paged and looks like a real one.
OLDER_LAW = [
    ("2022-09-15", "工傷認定申請指南：哪些情形可以認定為工傷"),
    ("2022-05-20", "勞動合同到期不續簽，經濟補償怎麼算"),
    ("2021-11-03", "區總工會法律援助站值班律師名單"),
    ("2021-04-28", "女職工特殊勞動保護十問"),
    ("2020-08-12", "試用期內被辭退，職工有哪些權利"),
]
ARTICLE = "law/overtime-pay/"
OTHER_ARTICLE = "law/wage-arrears/"


@pytest.fixture(scope="module")
def site(tmp_path_factory, serve_dir) -> str:
    """The test site served under /union/; returns its base URL."""
    root = tmp_path_factory.mktemp("reader-site")
    shutil.copytree(THEME_DIR / "layouts", root / "layouts")
    shutil.copytree(THEME_DIR / "static", root / "static")
    (root / "static" / "img").mkdir(exist_ok=True)
    (root / "static" / "img" / "hotline-2022.svg").write_text(CHART, encoding="utf-8")
    (root / "site.yaml").write_text(CONFIG, encoding="utf-8")
    articles = {"law/overtime-pay": OVERTIME, "law/wage-arrears": WAGE_ARREARS,
                "news/heat": HEAT, "notices/contest": CONTEST}  # fmt: skip
    for n, (date, title) in enumerate(OLDER_LAW, start=1):
        articles[f"law/older-{n}"] = (
            f"---\ntitle: {title}\ndate: {date}\ncategory: law\n---\n\n{title}，詳見正文。\n"
        )
    for name, text in articles.items():
        path = root / "content" / f"{name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    served = tmp_path_factory.mktemp("reader-served")
    result = build_site(root, served / "union")
    assert result.ok, [str(p) for p in result.problems]
    return serve_dir(served) + "union/"


@pytest.fixture(scope="module")
def shots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def require_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    reason = f"{name} is not installed (apt-get install poppler-utils)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason + "; CI must run the browser tests")
    pytest.skip(reason)


def px(page, selector: str, prop: str = "fontSize", pseudo: str | None = None) -> float:
    value = page.eval_on_selector(
        selector, f"(e, p) => getComputedStyle(e, p)[{prop!r}]", pseudo
    )  # fmt: skip
    return float(value.removesuffix("px"))


def menu_link(page, name: str):
    return page.get_by_role("navigation", name="欄目導航").get_by_role("link", name=name)


def font_button(page, label: str):
    return page.get_by_role("group", name="字號").get_by_role("button", name=label, exact=True)


# --- 字號 -------------------------------------------------------------------------------------


def test_clicking_大_enlarges_the_article_text_but_not_the_navigation(page, site):
    page.goto(site + ARTICLE)
    body, nav = px(page, ".article-body p"), px(page, ".nav-list a")
    assert font_button(page, "中").get_attribute("aria-pressed") == "true"
    font_button(page, "大").click()
    assert px(page, ".article-body p") > body * 1.2
    assert px(page, ".nav-list a") == nav
    assert font_button(page, "大").get_attribute("aria-pressed") == "true"
    assert font_button(page, "中").get_attribute("aria-pressed") == "false"


def test_the_chosen_size_holds_on_another_article_and_after_a_reload_from_the_first_paint(
    page, site
):
    # Record the text size the moment the article body is parsed: a size set only after the
    # page loaded would show here as the default, i.e. as a flash of the wrong size.
    page.add_init_script("""
        new MutationObserver((_, observer) => {
          const body = document.querySelector(".article-body");
          if (!body) return;
          window.firstSize = getComputedStyle(body).fontSize;
          observer.disconnect();
        }).observe(document, {childList: true, subtree: true});
    """)
    page.goto(site + ARTICLE)
    medium = px(page, ".article-body")
    font_button(page, "大").click()
    large = px(page, ".article-body")
    assert large > medium
    page.goto(site + OTHER_ARTICLE, wait_until="domcontentloaded")
    assert page.evaluate("window.firstSize") == f"{large:g}px"
    assert font_button(page, "大").get_attribute("aria-pressed") == "true"
    page.reload(wait_until="domcontentloaded")
    assert page.evaluate("window.firstSize") == f"{large:g}px"
    page.goto(site + ARTICLE + "print.html")
    assert px(page, ".article-body") == large


def test_font_size_buttons_work_from_the_keyboard(page, site):
    page.goto(site + ARTICLE)
    medium = px(page, ".article-body")
    page.get_by_role("link", name="打印").focus()
    for _ in range(3):  # 大, 中, 小: in reading order after 打印
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "小"
    page.keyboard.press("Enter")
    assert px(page, ".article-body") < medium
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Space")
    assert px(page, ".article-body") > medium
    assert font_button(page, "大").get_attribute("aria-pressed") == "true"


def test_without_javascript_the_article_reads_fully_and_no_control_pretends_to_work(browser, site):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    try:
        page.goto(site + ARTICLE)
        assert page.locator(".font-size").is_hidden()
        assert page.get_by_role("heading", name="三、單位拖欠加班工資怎麼辦？").is_visible()
        assert menu_link(page, "法律維權").is_visible()  # the menu stays open
        page.get_by_role("link", name="打印").click()
        assert page.url == site + ARTICLE + "print.html"
        assert page.locator('[data-action="print"]').is_hidden()
        assert page.locator(".font-size").is_hidden()
        page.get_by_role("link", name="關閉").click()
        assert page.url == site + ARTICLE
    finally:
        context.close()


# --- 打印 and 關閉 -------------------------------------------------------------------------------


def test_打印_leads_to_the_print_view_with_title_subtitle_meta_body_and_full_url(page, site):
    page.goto(site + ARTICLE)
    page.get_by_role("link", name="打印").click()
    assert page.url == site + ARTICLE + "print.html"
    assert page.get_by_role("heading", level=1).inner_text() == "加班工資怎麼算？職工常見問題解答"
    text = page.locator("main").inner_text()
    for expected in ("市總工會法律服務中心整理", "發布日期：2023-06-12 09:30",
                     "來源：長春市總工會法律服務中心", "加班工資的計算基數一般是",
                     "本文網址：https://news.example.org/union/law/overtime-pay/"):  # fmt: skip
        assert expected in text


def test_the_print_button_opens_the_print_dialog(page, site):
    page.add_init_script("window.print = () => { window.printed = (window.printed ?? 0) + 1 }")
    page.goto(site + ARTICLE + "print.html")
    page.get_by_role("button", name="打印").click()
    assert page.evaluate("window.printed") == 1


def test_關閉_closes_a_print_window_that_a_script_opened(page, site):
    page.goto(site + ARTICLE)
    with page.expect_popup() as opened:
        page.evaluate("window.open('print.html', 'print', 'width=800,height=600')")
    popup = opened.value
    popup.wait_for_load_state()
    with popup.expect_event("close"), contextlib.suppress(PlaywrightError):
        # The window may close before Playwright's click returns: that is the point of 關閉.
        popup.get_by_role("link", name="關閉").click()
    assert popup.is_closed() and page.url == site + ARTICLE


def test_關閉_returns_to_the_article_when_the_print_view_was_opened_directly(page, site):
    page.goto(site + ARTICLE + "print.html")
    page.get_by_role("link", name="關閉").click()
    assert page.url == site + ARTICLE


def test_printing_the_article_page_leaves_only_the_article_in_black_on_white(page, site):
    page.goto(site + ARTICLE)
    page.emulate_media(media="print")
    for chrome in (".masthead", ".site-nav", ".search-box", ".breadcrumb", ".tools",
                   ".neighbours", ".site-footer"):  # fmt: skip
        assert page.locator(chrome).is_hidden(), chrome
    address = "本文網址：https://news.example.org/union/law/overtime-pay/"
    assert page.get_by_text(address).is_visible()
    colours = "(e) => [getComputedStyle(e).color, getComputedStyle(document.body).backgroundColor]"
    black_on_white = ["rgb(0, 0, 0)", "rgb(255, 255, 255)"]
    assert page.eval_on_selector(".article-body p", colours) == black_on_white


def test_printed_links_show_their_full_address_after_the_text(page, site):
    page.goto(site + ARTICLE)
    page.emulate_media(media="print")
    after = "(e) => getComputedStyle(e, '::after').content"
    inside = page.get_by_role("link", name="冬季欠薪維權指引")
    outside = page.get_by_role("link", name="國家法律法規數據庫")
    assert inside.evaluate(after) == '" (https://news.example.org/union/law/wage-arrears/)"'
    assert outside.evaluate(after) == '" (https://flk.npc.gov.cn/)"'


def test_printed_headings_stay_with_their_text_and_images_and_rows_are_not_split(page, site):
    page.goto(site + ARTICLE + "print.html")
    page.emulate_media(media="print")
    style = "(e, p) => getComputedStyle(e)[p]"
    assert page.eval_on_selector(".article-body h2", style, "breakAfter") == "avoid"
    assert page.eval_on_selector(".article-body img", style, "breakInside") == "avoid"
    assert page.eval_on_selector(".article-body tr", style, "breakInside") == "avoid"


@pytest.mark.parametrize("view", ["print.html", ""], ids=["print-view", "article-page"])
def test_a_pdf_has_title_body_and_address_but_no_navigation_labels(page, site, shots, view):
    pdftotext = require_tool("pdftotext")
    pdf = shots / ("print-view.pdf" if view else "article-printed.pdf")
    page.goto(site + ARTICLE + view)
    page.pdf(path=str(pdf), format="A4")
    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip
    flat = re.sub(r"\s+", "", text)
    assert "加班工資怎麼算？職工常見問題解答" in flat
    assert "法定休假日安排工作" in flat and "不得低於本市最低工資標準" in flat
    assert "https://news.example.org/union/law/overtime-pay/" in flat
    assert [label for label in NAV_LABELS if label in flat] == []
    if view:
        pdftoppm = require_tool("pdftoppm")
        stem = shots / "print-page-1"
        subprocess.run([pdftoppm, "-png", "-r", "96", "-f", "1", "-l", "1", "-singlefile",
                        str(pdf), str(stem)], check=True)  # fmt: skip
        assert stem.with_suffix(".png").stat().st_size > 10_000


# --- Layout ------------------------------------------------------------------------------------


def test_article_text_runs_35_to_45_characters_a_line_in_a_system_cjk_font(page, site, shots):
    page.set_viewport_size(DESKTOP)
    page.goto(site + ARTICLE)
    size = px(page, ".article-body p")
    assert 35 <= px(page, ".article-body", "width") / size <= 45
    assert px(page, ".article-body p", "lineHeight") / size >= 1.7
    assert page.evaluate("document.fonts.size") == 0  # no web font is declared or fetched
    assert used_font(page, ".article-body p") in CJK_SYSTEM_FONTS
    page.screenshot(path=str(shots / "article-desktop.png"))
    page.screenshot(path=str(shots / "article-desktop-full.png"), full_page=True)


CJK_SYSTEM_FONTS = ("PingFang TC", "Hiragino Sans TC", "Microsoft JhengHei", "Noto Sans CJK TC",
                    "Source Han Sans TC")  # fmt: skip


def used_font(page, selector: str) -> str:
    """The font Chromium actually drew the most glyphs of `selector` with."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return max(fonts, key=lambda f: f["glyphCount"])["familyName"]


@pytest.mark.parametrize("path", ["", "law/", ARTICLE, ARTICLE + "print.html"],
                         ids=["home", "category", "article", "print"])  # fmt: skip
def test_at_360_px_no_page_is_wider_than_the_screen(page, site, shots, path):
    page.set_viewport_size(PHONE)
    page.goto(site + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    if path == ARTICLE:
        page.screenshot(path=str(shots / "article-mobile.png"))
        page.screenshot(path=str(shots / "article-mobile-full.png"), full_page=True)


def test_the_category_menu_folds_on_phones_and_opens_from_its_button(page, site, shots):
    page.set_viewport_size(PHONE)
    page.goto(site + "law/")
    menu = page.get_by_role("button", name="欄目導航")
    assert menu.get_attribute("aria-expanded") == "false"
    assert menu_link(page, "通知公告").is_hidden()
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    assert menu_link(page, "通知公告").is_visible()
    page.screenshot(path=str(shots / "category-mobile-menu-open.png"))
    page.keyboard.press("Escape")
    assert menu_link(page, "通知公告").is_hidden()
    page.set_viewport_size(DESKTOP)
    assert menu.is_hidden() and menu_link(page, "通知公告").is_visible()
    assert menu_link(page, "法律維權").get_attribute("aria-current") == "page"
    page.screenshot(path=str(shots / "category-desktop.png"), full_page=True)


# --- Every page kind: clean console, local requests only, accessible -------------------------

PAGE_KINDS = {
    "home": "",
    "category": "law/",
    "category-page": "law/page/1/",
    "article": ARTICLE,
    "print": ARTICLE + "print.html",
    "archive": "archive/",
    "year": "archive/2023/",
    "month": "archive/2023/06/",
    "404": "404.html",
}


@pytest.fixture
def traffic(page) -> Iterator[dict[str, list[str]]]:
    seen: dict[str, list[str]] = {"errors": [], "failed": [], "outside": []}

    def on_request(request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme != "data" and parts.hostname != "127.0.0.1":
            seen["outside"].append(request.url)

    page.on("console", lambda m: m.type == "error" and seen["errors"].append(m.text))
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.on("request", on_request)
    page.on("requestfailed", lambda r: seen["failed"].append(f"{r.url} {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and seen["failed"].append(f"{r.status} {r.url}"))
    yield seen


@pytest.mark.parametrize("path", PAGE_KINDS.values(), ids=PAGE_KINDS.keys())
def test_a_page_logs_no_error_and_requests_nothing_outside_the_site(page, site, traffic, path):
    page.goto(site + path, wait_until="networkidle")
    assert page.locator("h1").count() >= 1
    assert traffic == {"errors": [], "failed": [], "outside": []}


@pytest.mark.parametrize("path", ["", "law/", ARTICLE, ARTICLE + "print.html"],
                         ids=["home", "category", "article", "print"])  # fmt: skip
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_axe_finds_no_serious_or_critical_accessibility_problem(page, site, path, viewport):
    from axe_playwright_python.sync_playwright import Axe

    page.set_viewport_size(viewport)
    page.goto(site + path)
    violations = Axe().run(page).response["violations"]
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in violations
               if v["impact"] in ("serious", "critical")]  # fmt: skip
    assert serious == []
