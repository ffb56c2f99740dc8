"""The dev server in a real browser: an open tab shows each new build (patched in place when
only text changed, reloaded otherwise), and shows build errors over the page."""

from __future__ import annotations

from tests.conftest import article

SHOWS = "text => document.body.innerText.includes(text)"


def test_an_open_tab_reloads_after_an_edit_and_shows_then_clears_a_build_error(page, dev_server):
    root, server = dev_server
    source = root / "content/law/a.md"
    page.goto(server.url + "law/a/")
    assert page.locator("h1").inner_text() == "第一版標題"

    # A second paragraph is more than new text: the page is loaded again.
    with page.expect_navigation(timeout=5000):
        source.write_text(article("第二版標題", "2018-09-21", body="甲。\n\n乙。"), "utf-8")
    assert page.locator("h1").inner_text() == "第二版標題"

    source.write_text("---\ntitle: 壞了\n---\n", encoding="utf-8")
    overlay = page.locator("#sitegen-errors")
    overlay.wait_for(timeout=5000)
    assert "content/law/a.md:1: error: front matter has no 'date'" in overlay.inner_text()
    assert page.locator("h1").inner_text() == "第二版標題"  # the last good page stays

    source.write_text(article("修好了", "2018-09-21", body="甲。\n\n乙。"), encoding="utf-8")
    page.wait_for_function(SHOWS, arg="修好了", timeout=5000)
    assert page.locator("h1").inner_text() == "修好了"
    assert page.locator("#sitegen-errors").count() == 0


def test_a_text_edit_is_patched_into_the_open_tab_without_a_reload(page, dev_server):
    """An editor's typo fix shows without reloading the page: what the reader did on it (the
    font size chosen, the scroll position) stays, and its buttons still work."""
    root, server = dev_server
    source = root / "content/law/a.md"
    page.goto(server.url + "law/a/")
    page.evaluate("window.notReloaded = true")
    page.locator(".font-size button[data-font-size='large']").first.click()

    source.write_text(article("第一版標題", "2018-09-21", body="改過的正文。"), "utf-8")
    page.wait_for_function(SHOWS, arg="改過的正文", timeout=5000)
    assert page.evaluate("window.notReloaded") is True
    assert "正文。" not in page.locator("article").inner_text().replace("改過的正文。", "")

    source.write_text(article("新的標題", "2018-09-21", body="改過的正文。"), "utf-8")
    page.wait_for_function(SHOWS, arg="新的標題", timeout=5000)
    assert page.evaluate("window.notReloaded") is True
    assert "新的標題" in page.title()  # <title> and the headline both
    assert page.evaluate("document.documentElement.dataset.fontSize") == "large"

    page.locator(".font-size button[data-font-size='small']").first.click()
    assert page.evaluate("document.documentElement.dataset.fontSize") == "small"
    # What the tab shows is what a fresh load of the page shows.
    shown = page.locator("main").inner_html()
    fresh = page.context.new_page()
    fresh.goto(server.url + "law/a/")
    assert fresh.locator("main").inner_html() == shown


# The tab's script fetched its page again (to patch it) this many times.
FETCHED = (
    "n => performance.getEntriesByType('resource').filter(e => e.name === location.href)"
    ".length >= n"
)


def test_a_tab_reloads_for_a_new_stylesheet_and_stays_for_other_pages(page, dev_server):
    root, server = dev_server
    other = root / "content/law/b.md"
    other.write_text(article("另一篇", "2018-09-22"), "utf-8")
    page.goto(server.url + "law/a/")
    page.wait_for_function(SHOWS, arg="另一篇", timeout=5000)  # its neighbour link
    page.evaluate("window.notReloaded = true")

    other.write_text(article("另一篇", "2018-09-22", body="只改了另一篇的正文。"), "utf-8")
    page.wait_for_function(FETCHED, arg=1, timeout=5000)
    assert page.evaluate("window.notReloaded") is True  # its page is as it was

    css = root / "static/css/site.css"
    with page.expect_navigation(timeout=5000):
        css.write_text(css.read_text(encoding="utf-8") + "\nh1 { color: rgb(1, 2, 3) }\n", "utf-8")
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).color") == "rgb(1, 2, 3)"


def test_a_tab_whose_scripts_changed_what_the_build_changes_is_reloaded(page, dev_server):
    """A patch never overwrites what the page's own scripts put in place: where the build
    changed a text that the open page no longer holds as served, the tab reloads."""
    root, server = dev_server
    page.goto(server.url + "law/a/")
    page.evaluate("document.querySelector('h1').firstChild.data = '腳本改過'")
    with page.expect_navigation(timeout=5000):
        (root / "content/law/a.md").write_text(article("第三版標題", "2018-09-21"), "utf-8")
    assert page.locator("h1").inner_text() == "第三版標題"
