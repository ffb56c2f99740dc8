"""Category pages: the front page shows the newest; numbered pages keep their articles for ever;
one canonical URL for what two pages list."""

from __future__ import annotations

import re

import pytest

from sitegen.pipeline import build_site
from tests.conftest import article, snapshot

PAGE_SIZE = 3  # MINIMAL_CONFIG


def site_with(make_site, count: int):
    files = {
        f"content/law/n{i:03d}.md": article(f"第{i}篇", f"2018-01-01 {i // 60:02d}:{i % 60:02d}")
        for i in range(1, count + 1)
    }
    root = make_site(files)
    assert build_site(root).ok
    return root


def titles(root, rel: str) -> list[int]:
    html = (root / "public" / rel).read_text(encoding="utf-8")
    main = html.split('<main id="main"')[1]
    return [int(n) for n in re.findall(r">第(\d+)篇</a>", main)]


def numbered_pages(root) -> dict[int, list[int]]:
    pages = {}
    for folder in (root / "public/law/page").iterdir():
        html = (folder / "index.html").read_text(encoding="utf-8")
        if 'http-equiv="refresh"' not in html:
            pages[int(folder.name)] = titles(root, f"law/page/{folder.name}/index.html")
    return pages


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, {}),
        (1, {1: [1]}),
        (PAGE_SIZE, {1: [3, 2, 1]}),
        (PAGE_SIZE + 1, {1: [3, 2, 1], 2: [4]}),
        (3 * PAGE_SIZE + 1, {1: [3, 2, 1], 2: [6, 5, 4], 3: [9, 8, 7], 4: [10]}),
    ],
)
def test_numbered_pages_count_from_the_oldest(make_site, count, expected):
    root = site_with(make_site, count)
    assert numbered_pages(root) == expected
    front = titles(root, "law/index.html")
    assert front == list(range(count, count - len(front), -1))  # the newest, newest first
    assert len(front) >= min(count, PAGE_SIZE)


def test_readers_walk_from_the_front_page_to_the_oldest_without_missing_one(make_site):
    root = site_with(make_site, 3 * PAGE_SIZE + 1)
    seen, rel = [], "law/index.html"
    while rel:
        seen += titles(root, rel)
        html = (root / "public" / rel).read_text(encoding="utf-8")
        older = re.search(r'<a rel="next" href="/(law/page/\d+/)">下一頁</a>', html)
        rel = older.group(1) + "index.html" if older else None
    assert seen == list(range(3 * PAGE_SIZE + 1, 0, -1))  # every article once, newest first


def test_the_newest_numbered_page_has_no_previous_page_link_only_the_newest_link(make_site):
    """Nothing is newer than it: 上一頁 used to lead to a redirect back to the front page."""
    root = site_with(make_site, PAGE_SIZE + 1)
    html = (root / "public/law/page/2/index.html").read_text(encoding="utf-8")
    assert "上一頁" not in html and 'rel="prev"' not in html
    assert '<a href="/law/">最新</a>' in html
    older = (root / "public/law/page/1/index.html").read_text(encoding="utf-8")
    assert '<a rel="prev" href="/law/page/2/">上一頁</a>' in older
    stub = (root / "public/law/page/3/index.html").read_text(encoding="utf-8")
    assert 'content="0; url=/law/"' in stub  # for links from sites built by sitegen 0.1


def test_the_pager_is_named_for_screen_readers_without_a_blank_number(make_site):
    root = site_with(make_site, PAGE_SIZE + 1)
    for rel in ("law/index.html", "law/page/1/index.html", "law/page/2/index.html"):
        html = (root / "public" / rel).read_text(encoding="utf-8")
        assert '<nav class="pager" aria-label="分頁">' in html
        assert "第  頁" not in html


def sitemap(root) -> str:
    return (root / "public/sitemap-1.xml").read_text(encoding="utf-8")


def canonical(root, rel: str) -> str:
    html = (root / "public" / rel).read_text(encoding="utf-8")
    return re.search(r'<link rel="canonical" href="([^"]+)">', html).group(1)


def test_a_category_on_one_page_has_one_canonical_page_in_the_sitemap(make_site):
    root = site_with(make_site, 2)
    assert titles(root, "law/page/1/index.html") == titles(root, "law/index.html") == [2, 1]
    assert canonical(root, "law/page/1/index.html") == "https://example.org/law/"
    assert canonical(root, "law/index.html") == "https://example.org/law/"
    assert "<loc>https://example.org/law/</loc>" in sitemap(root)
    assert "law/page/" not in sitemap(root)
    assert "上一頁" not in (root / "public/law/page/1/index.html").read_text(encoding="utf-8")


def test_numbered_pages_that_the_front_page_does_not_repeat_are_their_own_canonical(make_site):
    root = site_with(make_site, 2 * PAGE_SIZE + 1)  # front page: pages 2 and 3 together
    for n in (1, 2, 3):
        rel = f"law/page/{n}/index.html"
        assert canonical(root, rel) == f"https://example.org/law/page/{n}/"
        assert f"<loc>https://example.org/law/page/{n}/</loc>" in sitemap(root)


def test_a_full_newest_page_names_the_front_page_until_an_article_starts_the_next(make_site):
    root = site_with(make_site, 2 * PAGE_SIZE)
    assert canonical(root, "law/page/2/index.html") == "https://example.org/law/"
    assert "law/page/2/" not in sitemap(root) and "law/page/1/" in sitemap(root)
    make_site({"content/law/new.md": article("第999篇", "2019-01-01")})
    assert build_site(root).ok
    assert canonical(root, "law/page/2/index.html") == "https://example.org/law/page/2/"
    assert "law/page/2/" in sitemap(root) and "law/page/3/" in sitemap(root)


@pytest.mark.parametrize("count", [PAGE_SIZE, PAGE_SIZE + 1, 3 * PAGE_SIZE, 3 * PAGE_SIZE + 1])
def test_adding_an_article_leaves_every_numbered_page_but_the_newest_unchanged(make_site, count):
    root = site_with(make_site, count)
    before = snapshot(root / "public/law/page")
    make_site({"content/law/new.md": article("第999篇", "2019-01-01")})
    assert build_site(root).ok
    after = snapshot(root / "public/law/page")
    changed = sorted(k for k in after if before.get(k) != after[k])
    newest = max(int(k.split("/")[0]) for k in after if "refresh" not in after[k].decode())
    allowed = {newest, newest + 1}
    if "refresh" in before[f"{newest}/index.html"].decode():  # a new numbered page began:
        allowed.add(newest - 1)  # the one before it gains its 上一頁 link
    assert {int(k.split("/")[0]) for k in changed} <= allowed
    assert f"{newest}/index.html" in changed
    assert 999 in titles(root, f"law/page/{newest}/index.html")


def test_lists_go_newest_first_by_the_instant_and_by_file_name_for_the_same_one(make_site):
    """第2篇 is dated with an offset: 10:00 in London is 18:00 in the site's zone, so it is
    the newest. 第1篇 and 第3篇 share a time, and keep the order of their file names."""
    files = {
        "content/law/n1.md": article("第1篇", "2018-01-01 12:00"),
        "content/law/n2.md": article("第2篇", "2018-01-01T10:00:00+00:00"),
        "content/law/n3.md": article("第3篇", "2018-01-01 12:00"),
        "content/law/n4.md": article("第4篇", "2018-01-01 17:59"),
    }
    root = make_site(files)
    assert build_site(root).ok
    assert titles(root, "law/page/1/index.html")[:3] == [4, 1, 3]  # oldest page: 3 of them
    assert titles(root, "law/index.html")[0] == 2
    assert titles(root, "archive/2018/01/index.html") == [2, 4, 1]
