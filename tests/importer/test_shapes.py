"""Columns, download links, subtitles and page kinds in the shapes other CMSs give them."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from sitegen.importer import import_page
from sitegen.importer.command import register

PROSE = "<p>" + "市總工會下撥專項資金，用於幫扶困難職工家庭，確保各項措施落到實處。" * 3 + "</p>"


def imported(body: str, context, origin: str = "news/2013/0814/1.html", title: str = "通知"):
    html = (
        f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>{body}</body></html>"
    )
    return import_page(html.encode("utf-8"), Path(origin), context)


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(list(argv))
    return args.func(args)


@pytest.mark.parametrize(
    "chrome",
    [
        "<div class='crumbs'><a href='/'>首页</a> &gt; <a href='/g/'>工会动态</a> &gt; 正文</div>",
        "<div id='pt'><a href='/'>門戶</a> › <a href='/c/'>工会动态</a> › 查看內容</div>",
        "<div class='lmbt'>工会动态</div>",
        "<ul><li><a href='/'>首页</a></li><li class='on'><a href='/g/'>工会动态</a></li></ul>",
    ],
)
def test_the_column_is_read_from_the_templates_markup(chrome, context):
    found = imported(f"{chrome}<h1>春送崗位招聘會舉行</h1>{PROSE}", context)
    assert found.meta.category == "工会动态"


def test_a_column_spelled_in_the_other_script_is_the_same_category(site, tmp_path):
    """site.yaml says 工會要聞 (news); the old page says 工会要闻: no new category."""
    src = tmp_path / "old"
    (src / "x").mkdir(parents=True)
    crumb = "<p>當前位置：<a href='/'>首頁</a> &gt; 工会要闻</p>"
    head = "<h1>職工運動會開幕</h1><p>發布日期：2014-05-06</p>"
    page = f"<html><body>{crumb}{head}{PROSE}</body></html>"
    (src / "x/1.html").write_bytes(page.encode("utf-8"))
    before = (site / "site.yaml").read_text(encoding="utf-8")
    assert run("import", str(src), "--site", str(site)) == 0
    assert (site / "site.yaml").read_text(encoding="utf-8") == before
    assert (site / "content/news/2014/1.md").exists()


def test_a_url_column_code_alone_gives_a_slug_named_by_the_code(site, tmp_path):
    src = tmp_path / "old"
    (src / "col/col1204/art/2014/9/15").mkdir(parents=True)
    page = f"<html><body><h1>勞模療休養活動安排</h1>{PROSE}</body></html>"
    (src / "col/col1204/art/2014/9/15/art_1204_1.html").write_bytes(page.encode("utf-8"))
    assert run("import", str(src), "--site", str(site)) == 0
    text = (site / "site.yaml").read_text(encoding="utf-8")
    assert text.endswith("  - slug: col1204\n    name: col1204\n")
    assert (site / "content/col1204/2014/art_1204_1.md").exists()


def test_a_download_script_link_keeps_the_file_name_its_query_gives(site, tmp_path):
    src = tmp_path / "old"
    (src / "news/2014").mkdir(parents=True)
    (src / "module/download").mkdir(parents=True)
    saved = "downfile.jsp?classid=0&filename=名單.xls"
    (src / "module/download" / saved).write_bytes(b"xls bytes")
    links = (f"<p>附件：<a href='/module/download/{saved}'>附件1</a> "
             "<a href='/module/download/downfile.jsp?filename=標準.doc'>附件2</a></p>")  # fmt: skip
    page = f"<html><body><h1>幫扶對象名單公示</h1><p>發布日期：2014-09-15</p>{PROSE}{links}"
    (src / "news/2014/1.html").write_bytes((page + "</body></html>").encode("utf-8"))
    report = tmp_path / "r.json"
    assert run("import", str(src), "--site", str(site), "--report", str(report)) == 0
    index = next((site / "content").rglob("index.md"))
    text = index.read_text(encoding="utf-8")
    assert index.parent.name == "1"
    assert "[附件1](名單.xls)" in text
    assert (index.parent / "名單.xls").read_bytes() == b"xls bytes"
    assert "[附件2](/module/download/downfile.jsp?filename=標準.doc)" in text  # kept, reported
    assert "downfile.jsp?filename=標準.doc is not in the saved pages" in report.read_text(
        encoding="utf-8"
    )


def test_a_dashed_line_under_the_title_is_a_subtitle_or_a_byline(context):
    found = imported(f"<h1>三十年堅守焊花閃耀</h1><p>——記市勞動模範王建國</p>{PROSE}", context)
    assert (found.meta.subtitle, found.meta.author) == ("——記市勞動模範王建國", "")
    found = imported(f"<h1>職工之家建設經驗交流</h1><p>——紅星機械廠工會</p>{PROSE}", context)
    assert (found.meta.subtitle, found.meta.author) == ("", "紅星機械廠工會")


def test_a_404_page_that_sends_readers_home_is_an_error_not_a_redirect(context):
    home = "<script>setTimeout(function(){location.href='/';},5000)</script>"
    body = f"<p>抱歉，您訪問的頁面不存在。</p>{home}"
    found = imported(body, context, title="404 Not Found - 工會網")
    assert found.kind == "error"


def test_a_list_laid_out_as_table_rows_is_a_list(context):
    rows = "".join(
        f"<tr><td><a href='ShowArticle.asp?ArticleID={n}'>第{n}期職工法律講座通知</a></td>"
        f"<td>2012-11-{n:02d}</td></tr>"
        for n in range(1, 11)
    )
    found = imported(f"<table>{rows}</table><div>共 126 篇文章 下一頁</div>", context)
    assert found.kind == "list"


def test_a_title_wrapped_over_two_lines_of_a_text_dump_is_joined(context):
    line = "3月21日，市總工會召開全市工會經費審查工作會議，總結去年經審工作，部署今年任務。\n"
    dump = ("<button id='q7'></button>\n首頁\n當前位置: 工會要聞\n市總工會召開2017年全市工會\n"
            "經費審查工作會議\n發布日期:2017-03-22 15:30:00 來源:市總工會\n打印|關閉\n"
            + line * 3)  # fmt: skip
    found = import_page(dump.encode("utf-8"), Path("jsgz/1.html"), context)
    assert found.meta.title == "市總工會召開2017年全市工會經費審查工作會議"
