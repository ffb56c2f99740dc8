"""Dates are read from the page, its <meta> tags or its old URL, and never invented."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from sitegen.importer import import_page
from sitegen.importer.command import register
from sitegen.importer.metadata import head_fields, url_date, url_partial_date
from sitegen.pipeline import build_site

BODY = (
    "<p>"
    + "市總工會召開會議，研究部署下半年職工服務工作，會議強調要維護職工合法權益。" * 3
    + "</p>"
)


def page(head: str = "", meta_line: str = "") -> bytes:
    html = (f"<html><head><meta charset='utf-8'><title>通知</title>{head}</head><body>"
            f"<h1>關於舉辦職工書畫展的通知</h1>{meta_line}{BODY}</body></html>")  # fmt: skip
    return html.encode("utf-8")


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_the_metadata_line_wins_and_says_so(context):
    found = import_page(page(meta_line="<p>發布日期：2013-08-14 來源：宣傳部</p>"),
                        Path("t/1.html"), context)  # fmt: skip
    assert (found.meta.date, found.meta.date_from) == ("2013-08-14", "metadata-line")


def test_a_date_only_in_a_meta_tag_is_read_from_it(context):
    head = (
        "<meta name='PubDate' content='2012-03-08 14:20'><meta name='ContentSource' content='市總'>"
    )
    found = import_page(page(head), Path("t/1.html"), context)
    assert (found.meta.date, found.meta.date_from) == ("2012-03-08 14:20:00", "meta-tag")
    assert found.meta.source == "市總"


def test_a_date_only_in_the_url_is_read_from_it_but_not_from_its_query(context):
    found = import_page(page(), Path("gzdt/201203/t20120308_512345.html"), context)
    assert (found.meta.date, found.meta.date_from) == ("2012-03-08", "url")
    assert "date-from-url" in found.doubts
    found = import_page(page(), Path("ShowArticle.asp?ArticleID=20120308"), context)
    assert found.meta.date is None and "no-date" in found.doubts


def test_url_dates_whole_and_partial():
    assert url_date("a/gzdt/2012/0308/123.html") == "2012-03-08"
    assert url_date("news/t20180921_123.html") == url_date("n/2018-09/21/5.html") == "2018-09-21"
    assert url_date("html/20050430093021.htm") == "2005-04-30"
    assert url_date("html/20050430999999.htm") is None  # not a time of day
    assert url_date("news/2012-02-30/x.html") is None  # no such day
    assert url_date("x/123456789.html") is None
    assert url_partial_date("col/col3351/art/2012/art_88.html") == "2012"
    assert url_partial_date("news/201203/x.html") == "2012-03"
    assert url_partial_date("ShowArticle.asp?id=2012") is None


def test_head_fields_take_the_first_of_each_kind_and_parse_dates():
    html = ("<meta name=PubDate content='not a date'><meta property='article:published_time' "
            "content='2016-03-08T09:30:00+08:00'>"
            "<META NAME='ArticleTitle' CONTENT='關於  召開'>")  # fmt: skip
    assert head_fields(html) == {"date": "2016-03-08 09:30:00", "title": "關於 召開"}


def test_an_undated_page_is_a_draft_that_the_build_keeps_out(site, tmp_path):
    """The file's modification time is when it was saved, not published: never used. The
    page becomes a draft with the partial date its URL gives, and the site still builds
    strictly (a draft without a whole date is left out until an editor dates it)."""
    src = tmp_path / "old"
    saved = src / "col/col3351/art/2012/art_88.html"
    saved.parent.mkdir(parents=True)
    saved.write_bytes(page())
    an_hour_ago = time.time() - 3600
    os.utime(saved, (an_hour_ago, an_hour_ago))
    assert run("import", str(src), "--site", str(site)) == 0
    [written] = (site / "content").rglob("*.md")
    text = written.read_text(encoding="utf-8")
    assert "\ndate: 2012\ndraft: true\n" in text
    assert time.strftime("%Y-%m-%d") not in text
    assert written.parent.name == "2012"
    result = build_site(site, strict=True)
    assert result.ok, result.problems
    assert not any("書畫展" in p.read_text(encoding="utf-8")
                   for p in (site / "public").rglob("*.html"))  # fmt: skip
