"""Photos in an article, as a phone and a desktop browser load them (headless Chromium)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from sitegen.pipeline import build_site
from tests.conftest import MINIMAL_CONFIG, article

pytestmark = pytest.mark.browser


def _photo(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    img = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(img)
    for x in range(0, size[0], 120):
        draw.rectangle([x, size[1] // 3, x + 60, size[1]], fill=(240, 200, 120))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


# Enough text between the photos that the second is well below the first screen.
PARAGRAPH = "段：大會號召全市職工以勞動模範為榜樣，愛崗敬業、爭創一流。\n\n"
BODY = (
    "表彰大會在市工人文化宮舉行。\n\n"
    '![勞模代表在主席台前合影](hall.jpg "表彰大會現場")\n\n'
    + "".join(f"第{n}{PARAGRAPH}" for n in range(40))
    + "![頒獎儀式](award.jpg)\n"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory, serve_dir) -> str:
    root = tmp_path_factory.mktemp("photo-site")
    (root / "site.yaml").write_text(MINIMAL_CONFIG, encoding="utf-8")
    folder = root / "content/news/2024-award"
    folder.mkdir(parents=True)
    (folder / "index.md").write_text(
        article("勞模表彰大會舉行", "2024-04-28 10:00", "news", BODY), encoding="utf-8"
    )
    (folder / "hall.jpg").write_bytes(_photo((2400, 1600), (60, 90, 140)))
    (folder / "award.jpg").write_bytes(_photo((1800, 1200), (140, 60, 60)))
    served = tmp_path_factory.mktemp("photo-served")
    result = build_site(root, served / "public")
    assert result.ok, [str(p) for p in result.problems]
    return serve_dir(served / "public") + "news/2024-award/"


# Layout shifts as Chromium measures them (the Cumulative Layout Shift of web vitals).
_SHIFTS = """() => new Promise(resolve => {
  let total = 0;
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) total += entry.value;
  }).observe({type: "layout-shift", buffered: true});
  setTimeout(() => resolve(total), 300);
})"""


@pytest.mark.parametrize(("width", "chosen"), [(360, "-480w.webp"), (1280, "-960w.webp")])
def test_the_browser_loads_the_copy_that_fits_the_screen(browser, site, width, chosen):
    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        page.goto(site)
        first = page.locator("figure img").first
        first.evaluate("img => img.complete || new Promise(r => img.onload = r)")
        assert first.evaluate("img => img.currentSrc").endswith(chosen)
        shown = first.bounding_box()
        assert shown is not None and shown["width"] <= width
        assert page.evaluate(_SHIFTS) == 0  # width and height reserved the space
        caption = page.locator("figcaption").first
        assert caption.is_visible() and caption.inner_text() == "表彰大會現場"
        # The second photo is far below the first screen: not loaded until scrolled to.
        second = page.locator("figure img").nth(1)
        assert second.get_attribute("loading") == "lazy"
        assert second.evaluate("img => img.currentSrc") == ""
        second.scroll_into_view_if_needed()
        second.evaluate("img => img.complete && img.currentSrc || new Promise(r => img.onload = r)")
        assert second.evaluate("img => img.currentSrc").endswith(chosen)
    finally:
        context.close()


def test_the_print_view_shows_the_photo_for_paper(page, site):
    page.goto(site + "print.html")
    img = page.locator("figure img").first
    img.evaluate("img => img.complete || new Promise(r => img.onload = r)")
    assert img.evaluate("img => img.naturalWidth") == 1600
    assert Path(img.evaluate("img => img.currentSrc")).name.endswith("-1600w.jpg")
