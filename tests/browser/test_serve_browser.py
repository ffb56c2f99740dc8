"""The dev server in a real browser: a tab reloads itself, and shows build errors over the page."""

from __future__ import annotations

from tests.conftest import article


def test_an_open_tab_reloads_after_an_edit_and_shows_then_clears_a_build_error(page, dev_server):
    root, server = dev_server
    source = root / "content/law/a.md"
    page.goto(server.url + "law/a/")
    assert page.locator("h1").inner_text() == "第一版標題"

    with page.expect_navigation(timeout=5000):
        source.write_text(article("第二版標題", "2018-09-21"), encoding="utf-8")
    assert page.locator("h1").inner_text() == "第二版標題"

    source.write_text("---\ntitle: 壞了\n---\n", encoding="utf-8")
    overlay = page.locator("#sitegen-errors")
    overlay.wait_for(timeout=5000)
    assert "content/law/a.md:1: error: front matter has no 'date'" in overlay.inner_text()
    assert page.locator("h1").inner_text() == "第二版標題"  # the last good page stays

    with page.expect_navigation(timeout=5000):
        source.write_text(article("修好了", "2018-09-21"), encoding="utf-8")
    assert page.locator("h1").inner_text() == "修好了"
    assert page.locator("#sitegen-errors").count() == 0
