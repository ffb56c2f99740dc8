"""The built site: every page kind, its links and content, and what a failed build leaves."""

from __future__ import annotations

import re
import string
from pathlib import Path
from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.pipeline import build_site
from tests.conftest import MINIMAL_CONFIG, article, snapshot

SEED_LIKE = article(
    "發揮工會樞紐型社會組織作用",
    "2018-09-21 14:29:29",
    body="## 一、基本情況\n\n聯系和引導勞動關系領域社會組織，\n"
    "是黨中央賦予工會組織的重要政治責任。\n",
    source="長春市總工會",
    editor="baibing",
    author="宣傳部",
    subtitle="切實做好聯系服務工作",
    tags="[工會, 社會組織]",
    aliases="[/html/2018/09/21/4512.html]",
)


def read(root: Path, rel: str) -> str:
    return (root / "public" / rel).read_text(encoding="utf-8")


def hrefs(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="([^"]+)"', html)


def test_article_page_shows_breadcrumb_meta_line_body_and_editor(make_site):
    root = make_site({"content/law/hub.md": SEED_LIKE})
    assert build_site(root).ok
    page = read(root, "law/hub/index.html")
    crumbs = re.sub(r"<[^>]+>|\s", "", page.split('class="breadcrumb"')[1].split("</nav>")[0])
    assert crumbs.endswith("當前位置：首頁›法律維權›正文")
    assert '<h1 id="article-title">發揮工會樞紐型社會組織作用</h1>' in page
    assert "切實做好聯系服務工作" in page
    assert '發布日期：<time datetime="2018-09-21T14:29:29+08:00">2018-09-21 14:29</time>' in page
    assert "來源：長春市總工會" in page and "作者：宣傳部" in page
    assert "責任編輯：baibing" in page
    assert '<h2 id="一基本情況">一、基本情況</h2>' in page
    assert '<span class="tag">工會</span>' in page
    assert 'href="/law/hub/print.html">打印</a>' in page


def test_a_line_break_between_chinese_characters_becomes_no_space(make_site):
    root = make_site({"content/law/hub.md": SEED_LIKE})
    build_site(root)
    assert "社會組織，是黨中央賦予" in read(root, "law/hub/index.html")


def test_print_view_has_the_article_and_its_full_url_but_no_navigation(make_site):
    root = make_site({"content/law/hub.md": SEED_LIKE})
    build_site(root)
    page = read(root, "law/hub/print.html")
    assert "聯系和引導勞動關系領域社會組織" in page
    assert "本文網址：https://example.org/law/hub/" in page
    assert 'class="site-nav"' not in page and "breadcrumb" not in page
    assert 'data-action="close"' in page


def test_neighbours_link_within_the_category_in_date_order(make_site):
    root = make_site({
        "content/law/a.md": article("最早", "2018-01-01"),
        "content/law/b.md": article("中間", "2018-02-01"),
        "content/news/x.md": article("別的欄目", "2018-01-15", category="news"),
        "content/law/c.md": article("最新", "2018-03-01"),
    })  # fmt: skip
    build_site(root)
    middle = read(root, "law/b/index.html")
    assert '上一篇：<a rel="prev" href="/law/a/">最早</a>' in middle
    assert '下一篇：<a rel="next" href="/law/c/">最新</a>' in middle
    assert "上一篇：沒有了" in read(root, "law/a/index.html")


def test_navigation_lists_categories_in_site_order_and_marks_the_current_one(make_site):
    root = make_site({"content/news/x.md": article("要聞", "2018-01-15", category="news")})
    build_site(root)
    page = read(root, "news/x/index.html")
    nav = page.split('class="nav-list"')[1].split("</ul>")[0]
    assert nav.index("法律維權") < nav.index("工會要聞")
    assert re.search(r'href="/news/" aria-current="true">工會要聞', nav)
    assert 'href="/news/" aria-current="page"' in read(root, "news/index.html")


def test_home_page_shows_latest_articles_of_each_category(make_site):
    root = make_site({
        "content/law/a.md": article("維權案例", "2018-01-01"),
        "content/news/x.md": article("市總要聞", "2018-01-15", category="news"),
    })  # fmt: skip
    build_site(root)
    home = read(root, "index.html")
    law = home.split('id="col-law"')[1].split("</section>")[0]
    news = home.split('id="col-news"')[1].split("</section>")[0]
    assert "維權案例" in law and "市總要聞" not in law
    assert "市總要聞" in news


def test_date_archive_has_year_and_month_pages(make_site):
    root = make_site({
        "content/law/a.md": article("九月文章", "2018-09-21"),
        "content/law/b.md": article("十月文章", "2018-10-02"),
    })  # fmt: skip
    build_site(root)
    assert "2018年9月" in read(root, "archive/index.html")
    assert 'href="/archive/2018/10/"' in read(root, "archive/2018/index.html")
    month = read(root, "archive/2018/09/index.html")
    assert "九月文章" in month and "十月文章" not in month


def test_feeds_are_atom_with_absolute_links_and_latest_entries_only(make_site):
    import xml.etree.ElementTree as ET

    config = MINIMAL_CONFIG.replace("page_size: 3", "page_size: 3\nfeed_size: 2")
    files = {f"content/law/a{i}.md": article(f"文章{i}", f"2018-01-0{i}") for i in range(1, 5)}
    root = make_site(files, config)
    build_site(root)
    atom = "{http://www.w3.org/2005/Atom}"
    for feed in ("feed.xml", "law/feed.xml"):
        tree = ET.fromstring((root / "public" / feed).read_bytes())
        titles = [e.findtext(f"{atom}title") for e in tree.iter(f"{atom}entry")]
        assert titles == ["文章4", "文章3"]
        links = [link.get("href") for link in tree.iter(f"{atom}link")]
        assert all(link.startswith("https://example.org/") for link in links)


def test_sitemap_is_an_index_of_sitemap_files(make_site):
    import xml.etree.ElementTree as ET

    root = make_site({"content/law/a.md": article("甲", "2018-01-01")})
    build_site(root)
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    index = ET.fromstring((root / "public/sitemap.xml").read_bytes())
    assert [e.text for e in index.iter(f"{ns}loc")] == ["https://example.org/sitemap-1.xml"]
    urls = [
        e.text for e in ET.fromstring((root / "public/sitemap-1.xml").read_bytes()).iter(f"{ns}loc")
    ]
    assert "https://example.org/law/a/" in urls
    assert not any(u.endswith("print.html") for u in urls)


def test_sitemap_urls_are_percent_encoded_and_escaped(make_site):
    """CJK names percent-encoded, so the file is XML and each loc is the page's URL; a
    character XML must escape is escaped (no slug holds one, but the locs are escaped
    together and cut apart again: see render._locs), with every URL plain or not (see
    context._all_plain)."""
    import xml.etree.ElementTree as ET

    from sitegen.config import load_config
    from sitegen.context import make_context
    from sitegen.render import render_sitemap
    from sitegen.site import Page

    root = make_site({"content/law/勞動合同.md": article("甲", "2018-01-01")})
    assert build_site(root).ok
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    sitemap = ET.fromstring((root / "public/sitemap-1.xml").read_bytes())
    urls = [e.text for e in sitemap.iter(f"{ns}loc")]
    assert "https://example.org/law/%E5%8B%9E%E5%8B%95%E5%90%88%E5%90%8C/" in urls
    site = make_context(load_config(root)[0])

    def locs(*paths: str) -> list[str]:
        page = Page("sitemap", "/sitemap-1.xml", "sitemap", children=paths)
        text = render_sitemap(site, page)
        return [e.text for e in ET.fromstring(text.encode()).iter(f"{ns}loc")]

    assert locs("/a&b/", "/law/勞動合同/", "/x<y>/", "/a b/") == [
        "https://example.org/a&b/",
        "https://example.org/law/%E5%8B%9E%E5%8B%95%E5%90%88%E5%90%8C/",
        "https://example.org/x%3Cy%3E/",
        "https://example.org/a%20b/",
    ]
    assert locs("/a&b/", "/c/") == ["https://example.org/a&b/", "https://example.org/c/"]
    assert locs() == []


def test_sitemap_files_hold_at_most_fifty_thousand_urls(monkeypatch, make_site):
    from sitegen import site as site_module

    monkeypatch.setattr(site_module, "SITEMAP_LIMIT", 4)
    files = {f"content/law/a{i}.md": article(f"文章{i}", f"2018-01-0{i}") for i in range(1, 6)}
    root = make_site(files)
    build_site(root)
    parts = sorted(p.name for p in (root / "public").glob("sitemap-*.xml"))
    assert len(parts) > 1
    for part in parts:
        assert read(root, part).count("<url>") <= 4


def test_alias_gets_a_redirect_page_with_canonical_link(make_site):
    root = make_site({"content/law/hub.md": SEED_LIKE})
    build_site(root)
    page = read(root, "html/2018/09/21/4512.html")
    assert '<meta http-equiv="refresh" content="0; url=/law/hub/">' in page
    assert '<link rel="canonical" href="https://example.org/law/hub/">' in page


def test_404_page_and_static_files_are_written(make_site):
    root = make_site({"static/img/logo.png": b"\x89PNG fake", "content/law/a.md": SEED_LIKE})
    build_site(root)
    assert "找不到頁面" in read(root, "404.html")
    assert (root / "public/static/img/logo.png").read_bytes() == b"\x89PNG fake"


def test_every_internal_link_honours_a_base_url_with_a_sub_path(make_site):
    config = MINIMAL_CONFIG.replace("https://example.org/", "https://example.org/archive/union/")
    root = make_site({"content/law/hub.md": SEED_LIKE}, config)
    build_site(root)
    for page in (root / "public").rglob("*.html"):
        for link in hrefs(page.read_text(encoding="utf-8")):
            if link.startswith("/"):
                assert link.startswith("/archive/union/"), (page, link)
    redirect = read(root, "html/2018/09/21/4512.html")
    assert "url=/archive/union/law/hub/" in redirect


@settings(max_examples=300)
@given(path=st.text(alphabet=string.printable + "職工 %ä/", max_size=16))
def test_links_are_percent_encoded_as_quote_encodes_them(path):
    """Links skip quote() when there is nothing to encode; what they hold must not change."""
    from sitegen.config import Config
    from sitegen.render import make_context

    config = Config(root=Path("."), title="工會", base_url="https://example.org/news/")
    context = make_context(config)
    assert context.url(path) == quote("/news/" + path.lstrip("/"), safe="/#?=&%~:+,;@!$'()*")
    assert context.abs_url(path) == quote(
        "https://example.org/news/" + path.lstrip("/"), safe="/#?=&%~:+,;@!$'()*"
    )


def test_unicode_file_names_become_working_slugs(make_site):
    root = make_site({"content/law/職工書畫展.md": article("職工書畫展開幕", "2019-05-01")})
    assert build_site(root).ok
    assert (root / "public/law/職工書畫展/index.html").exists()
    listing = read(root, "law/index.html")
    assert 'href="/law/%E8%81%B7%E5%B7%A5%E6%9B%B8%E7%95%AB%E5%B1%95/"' in listing


def test_template_error_names_the_layout_line_and_the_article(make_site):
    root = make_site({
        "content/law/a.md": article("甲", "2018-01-01"),
        "layouts/article.html": "{% extends 'base.html' %}\n{% block content %}\n"
                                "{{ page.article.titel }}\n{% endblock %}\n",
    })  # fmt: skip
    result = build_site(root)
    assert not result.ok
    [problem] = [str(p) for p in result.problems]
    assert problem.startswith("layouts/article.html:3: error: template error:")
    assert "titel" in problem and "(while rendering content/law/a.md)" in problem


def test_a_misspelt_site_label_fails_with_its_layout_line(make_site):
    # Labels and settings are compiled into layouts as constants; one that does not exist
    # must still fail at its line, not vanish.
    root = make_site({
        "content/law/a.md": article("甲", "2018-01-01"),
        "layouts/print.html": "<p>{{ site.labels.print }}</p>\n<p>{{ site.labels.prnit }}</p>\n",
    })  # fmt: skip
    [problem] = [str(p) for p in build_site(root).problems]
    assert problem.startswith("layouts/print.html:2: error: template error:") and "prnit" in problem


def test_a_layout_may_use_the_name_site_for_its_own_value(make_site):
    layout = "{{ site.config.title }}|{% set site = {'config': {'title': 'own'}} %}"
    root = make_site({
        "content/law/a.md": article("甲", "2018-01-01"),
        "layouts/print.html": layout + "{{ site.config.title }}",
        "layouts/_own.html": "{% set site = {'config': {'title': 'imported'}} %}",
        "layouts/404.html": "{% from '_own.html' import site %}{{ site.config.title }}",
    })  # fmt: skip
    assert build_site(root).ok
    assert read(root, "law/a/print.html") == "測試檔案館|own"
    assert read(root, "404.html") == "imported"


def test_template_syntax_error_names_the_layout_and_line(make_site):
    root = make_site({
        "content/law/a.md": article("甲", "2018-01-01"),
        "layouts/category.html": "{% extends 'base.html' %}\n{% block content %}\n{% if %}\n",
    })  # fmt: skip
    problems = [str(p) for p in build_site(root).problems]
    assert problems and all(p.startswith("layouts/category.html:3: error:") for p in problems)


def test_a_failed_build_leaves_the_previous_site_byte_for_byte(make_site):
    root = make_site({"content/law/a.md": article("甲", "2018-01-01")})
    assert build_site(root).ok
    before = snapshot(root / "public")
    make_site({
        "content/law/a.md": article("甲改", "2018-01-01"),
        "content/law/b.md": "---\ntitle: 乙\n---\n",
    })  # fmt: skip
    result = build_site(root)
    assert not result.ok
    assert snapshot(root / "public") == before
    # Beside public/, only the spare tree that builds are made in (see output.py).
    assert [p.name for p in root.iterdir() if p.name.startswith(".public")] == [
        ".public.sitegen-spare"
    ]


def test_a_template_error_also_leaves_the_previous_site_untouched(make_site):
    root = make_site({"content/law/a.md": article("甲", "2018-01-01")})
    build_site(root)
    before = snapshot(root / "public")
    make_site({"content/law/a.md": article("甲改", "2018-01-01"),
               "layouts/print.html": "{{ nothing.here }}"})  # fmt: skip
    assert not build_site(root).ok
    assert snapshot(root / "public") == before


def test_site_yaml_problems_are_all_reported_with_lines(make_site):
    config = (
        "title: 測試\nbase_url: example.org\ntimezone: Mars/Olympus\npage_size: 0\n"
        "langauge: zh-Hant\ncategories:\n  - slug: law\n    name: 法律維權\n"
    )
    root = make_site({}, config)
    assert [str(p) for p in build_site(root).problems] == [
        "site.yaml:5: warning: unknown setting 'langauge' (did you mean 'language'?)",
        "site.yaml:4: error: 'page_size' must be at least 1",
        "site.yaml:2: error: 'base_url' must be a full URL such as https://example.org/news/",
        "site.yaml:3: error: unknown time zone 'Mars/Olympus'; use e.g. Asia/Taipei",
    ]


def test_dates_are_read_in_the_site_time_zone(make_site):
    config = MINIMAL_CONFIG.replace("Asia/Shanghai", "Asia/Taipei")
    root = make_site({"content/law/a.md": article("甲", "2018-09-21 23:30")}, config)
    build_site(root)
    assert 'datetime="2018-09-21T23:30:00+08:00"' in read(root, "law/a/index.html")
    assert (root / "public/archive/2018/09/index.html").exists()


def test_links_written_in_an_article_body_follow_the_base_path(make_site):
    config = MINIMAL_CONFIG.replace("https://example.org/", "https://example.org/union/")
    body = "見[另一篇](/law/b/)與![圖](/static/img/a.png)及[外站](https://other.example/)。"
    files = {"content/law/a.md": article("甲", "2018-01-01", body=body),
             "static/img/a.png": b"\x89PNG\r\n"}  # fmt: skip
    root = make_site(files, config)
    assert build_site(root).ok
    page = read(root, "law/a/index.html")
    assert 'href="/union/law/b/"' in page and 'src="/union/static/img/a.png"' in page
    assert 'href="https://other.example/"' in page


def test_a_slug_windows_cannot_hold_as_a_folder_is_built_with_a_warning(make_site):
    """CON, NUL, COM1... (whatever follows a dot) and a name ending in '.' cannot be folders
    on Windows: the site builds, but each such slug, of an article or a category, is named
    with its file and line, so an archive bound for a Windows server is not found broken
    when it is copied there."""
    config = MINIMAL_CONFIG + "  - slug: nul\n    name: 空類\n"
    root = make_site(
        {
            "content/law/con.md": article("設備名稱", "2019-03-02"),
            "content/law/b.md": article("帶點的別名", "2019-03-03", slug="aux.2019"),
            "content/law/c.md": article("結尾是點", "2019-03-04", slug="report."),
            "content/law/consumer.md": article("消費維權", "2019-03-05"),
        },
        config,
    )
    result = build_site(root)
    assert result.ok
    warned = {(p.path.as_posix(), p.line) for p in result.problems if "Windows" in p.message}
    assert warned == {("content/law/con.md", 1), ("content/law/b.md", 5),
                      ("content/law/c.md", 5), ("site.yaml", 7)}  # fmt: skip
    assert all(p.severity == "warning" for p in result.problems)
    assert (root / "public/law/consumer/index.html").is_file()
