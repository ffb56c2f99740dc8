"""Old URLs with a query string: no redirect page, a redirect map for the 404 page and for
servers (sitegen/redirects.py), checked and written like any other output."""

from __future__ import annotations

import json

from sitegen.pipeline import build_site
from sitegen.redirects import lookup_key
from tests.conftest import MINIMAL_CONFIG, article, snapshot, write_site

UNDER_NEWS = MINIMAL_CONFIG.replace("https://example.org/", "https://example.org/news/")
MAP_FILES = ("redirects.json", "redirects.nginx.conf", "redirects.apache.txt", "_redirects")
TARGET = "/news/law/%E5%8A%A0%E7%8F%AD%E5%B7%A5%E8%B3%87/"  # /news/law/加班工資/


def two_aliases(**extra) -> str:
    return article("加班工資怎麼算", "2018-09-21", slug="加班工資", **extra,
                   aliases="['/ShowArticle.asp?ArticleID=123', "
                           "'/index.php?m=content&c=index&a=show&catid=20&id=88']")  # fmt: skip


def build(root):
    result = build_site(root)
    assert result.ok, [str(p) for p in result.problems]
    return result


def body_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.startswith("#")]


def test_the_map_and_the_server_files_send_old_urls_under_the_base_path(tmp_path):
    root = write_site(tmp_path / "site", {"content/law/a.md": two_aliases()}, UNDER_NEWS)
    build(root)
    public = root / "public"
    old_cms = "/news/index.php?m=content&c=index&a=show&catid=20&id=88"
    assert json.loads((public / "redirects.json").read_text("utf-8")) == {
        "/news/index.php?a=show&c=index&catid=20&id=88&m=content": TARGET,
        "/news/showarticle.asp?ArticleID=123": TARGET,
    }
    assert body_lines((public / "redirects.nginx.conf").read_text("utf-8")) == [
        f'"{old_cms}" "{TARGET}";',
        f'"/news/ShowArticle.asp?ArticleID=123" "{TARGET}";',
    ]
    assert body_lines((public / "redirects.apache.txt").read_text("utf-8")) == [
        f"{old_cms} {TARGET}",
        f"/news/ShowArticle.asp?ArticleID=123 {TARGET}",
    ]
    assert body_lines((public / "_redirects").read_text("utf-8")) == [
        f"/news/index.php m=content c=index a=show catid=20 id=88 {TARGET} 301",
        f"/news/ShowArticle.asp ArticleID=123 {TARGET} 301",
    ]
    # No redirect page under a file name with '?' in it, which no browser could reach.
    assert not [p for p in public.rglob("*") if "?" in p.name]
    page_404 = (public / "404.html").read_text("utf-8")
    assert '<script src="/news/static/js/redirect-map.js" data-map="/news/redirects.json">' in (
        page_404
    )


def test_the_lookup_key_ignores_parameter_order_path_case_and_empty_parameters():
    key = lookup_key("/ShowArticle.asp", "ArticleID=123&page=1")
    assert key == "/showarticle.asp?ArticleID=123&page=1"
    for query in ("page=1&ArticleID=123", "ArticleID=123&page=1&", "&page=1&&ArticleID=123&x="):
        assert lookup_key("/SHOWARTICLE.ASP", query) == key
    assert lookup_key("/show.asp", "ArticleID=124&page=1") != lookup_key("/show.asp", "page=1")
    # Encoded or not, one key; a GBK escape (not UTF-8) is kept as it came.
    assert lookup_key("/s.asp", "k=%E5%B7%A5+%E6%9C%83") == lookup_key("/s.asp", "k=工%20會")
    assert lookup_key("/s.asp", "k=%B9%A4") == "/s.asp?k=%25B9%25A4"


def test_server_files_cannot_be_broken_out_of_by_an_alias(tmp_path):
    evil = "['/a.asp?x=1\";return 302 http://evil/;#&y=$host', '/b.asp?v=:id&w=1']"
    root = write_site(tmp_path / "site",
                      {"content/law/a.md": article("甲", "2018-09-21", aliases=evil)})  # fmt: skip
    build(root)
    nginx = body_lines((root / "public" / "redirects.nginx.conf").read_text("utf-8"))
    assert nginx == ['"/a.asp?x=1%22;return%20302%20http://evil/;" "/law/a/";',
                     '"/b.asp?v=:id&w=1" "/law/a/";']  # fmt: skip
    # Netlify reads ":id" as a placeholder: that URL is left to the 404 page, and said so.
    netlify = (root / "public" / "_redirects").read_text("utf-8").splitlines()
    assert "# /b.asp?v=:id&w=1 /law/a/: not expressible here; the 404 page has it" in netlify


def test_two_articles_claiming_one_old_url_name_each_other(make_site):
    root = make_site({
        "content/law/a.md": article("甲", "2018-09-21", aliases="['/show.asp?id=5&page=1']"),
        "content/law/b.md": article("乙", "2018-09-22", aliases="['/Show.asp?page=1&id=5']"),
    })  # fmt: skip
    result = build_site(root)
    assert [str(p) for p in result.problems] == [
        "content/law/a.md:5: error: old URL /show.asp?id=5&page=1 is also claimed by "
        "content/law/b.md:5 (as /Show.asp?page=1&id=5; parameters match in any order, the "
        "path in any case) — keep it in one of them"
    ]
    assert not (root / "public").exists()


def test_a_page_or_a_file_kept_by_hand_cannot_take_a_map_files_name(make_site):
    root = make_site({
        "content/law/a.md": article("甲", "2018-09-21", aliases="['/show.asp?id=5']"),
        "content/law/b.md": article("乙", "2018-09-22", aliases="[/redirects.json]"),
    })  # fmt: skip
    assert [str(p) for p in build_site(root).problems] == [
        "content/law/b.md:5: error: URL /redirects.json is also made by sitegen for a "
        "redirects page — change the slug or alias"
    ]
    (root / "content/law/b.md").unlink()
    build(root)
    (root / "content/law/a.md").write_text(article("甲", "2018-09-21"), encoding="utf-8")
    build(root)  # the map files go; a Netlify user puts their own _redirects in by hand
    (root / "public" / "_redirects").write_text("/old /new 301\n", encoding="utf-8")
    (root / "content/law/a.md").write_text(
        article("甲", "2018-09-21", aliases="['/show.asp?id=5']"), encoding="utf-8"
    )
    assert [str(p) for p in build_site(root).problems] == [
        "content/law/a.md:5: error: the redirect map /_redirects is also claimed by _redirects, "
        "a file in the output folder that sitegen did not make — rename or remove that file"
    ]


def test_an_alias_with_nothing_after_the_question_mark_is_an_error(make_site):
    root = make_site({"content/law/a.md": article("甲", "2018-09-21", aliases="['/a.asp?&']")})
    assert [str(p) for p in build_site(root).problems] == [
        "content/law/a.md:5: error: alias '/a.asp?&' has nothing after '?': leave the '?' out, "
        "or give the old URL's query, like /show.asp?id=12"
    ]


def test_an_old_url_on_a_path_the_site_serves_is_a_warning(make_site):
    root = make_site({"content/law/a.md": article("甲", "2018-09-21", aliases="['/?p=12']")})
    result = build(root)
    assert [str(p) for p in result.problems] == [
        "content/law/a.md:5: warning: old URL /?p=12: the site has a page at /, which a static "
        "host serves, so its 404 page never sees this URL; only a server's redirect "
        "(docs/publishing.md) can send it on"
    ]
    assert "/?p=12 /law/a/" in (root / "public" / "redirects.apache.txt").read_text("utf-8")


def test_adding_and_removing_an_old_url_writes_and_removes_the_map_files(make_site):
    plain = {"content/law/a.md": article("甲", "2018-09-21", aliases="[/html/1.html]"),
             "content/law/b.md": article("乙", "2018-09-22")}  # fmt: skip
    root = make_site(plain)
    build(root)
    before = snapshot(root / "public")
    assert not [name for name in MAP_FILES if name in before]
    assert b"redirect-map.js" not in before["404.html"]

    (root / "content/law/b.md").write_text(two_aliases(), encoding="utf-8")
    written = build(root).written
    assert set(MAP_FILES) | {"404.html"} <= set(written)
    edited = two_aliases().replace("ArticleID=123", "ArticleID=124")
    (root / "content/law/b.md").write_text(edited, encoding="utf-8")
    written = build(root).written
    assert set(MAP_FILES) <= set(written) and "404.html" not in written
    assert "ArticleID=124" in (root / "public" / "_redirects").read_text("utf-8")

    (root / "content/law/b.md").write_text(plain["content/law/b.md"], encoding="utf-8")
    result = build(root)
    assert set(MAP_FILES) <= set(result.removed)
    assert snapshot(root / "public") == before  # byte for byte the site it was
