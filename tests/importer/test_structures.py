"""Tables, script-written attachment links, ASP.NET forms and title lines (issue 14)."""

from __future__ import annotations

from pathlib import Path

from sitegen.importer import import_page
from sitegen.importer.scripts import written_links

PROSE = "<p>" + "市總工會下撥專項資金，用於幫扶困難職工家庭，確保各項措施落到實處。" * 3 + "</p>"


def imported(body: str, context, title: str = "通知", head: str = ""):
    html = (f"<html><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
            f"<body>{body}</body></html>")  # fmt: skip
    return import_page(html.encode("utf-8"), Path("news/2013/0814/1.html"), context)


WORD_TABLE = """<table class=MsoNormalTable border=1>
<tr><td><p class=MsoNormal><span style='font-size:10.5pt'>單位<o:p></o:p></span></p></td>
<td><p class=MsoNormal><span>困難職工戶數</span></p></td>
<td><p class=MsoNormal><span>下撥資金（萬元）</span></p></td></tr>
<tr><td><p class=MsoNormal><span>朝陽區</span></p></td><td><p class=MsoNormal>126</p></td>
<td><p class=MsoNormal><span>37.8</span></p></td></tr>
<tr><td><p class=MsoNormal>南關區</p></td><td><p class=MsoNormal>98</p></td>
<td><p class=MsoNormal>29.4</p></td></tr></table>"""


def test_a_word_pasted_table_becomes_a_markdown_table(context):
    found = imported(f"<h1>幫扶資金下撥情況</h1>{PROSE}{WORD_TABLE}{PROSE}", context)
    assert "| 單位 | 困難職工戶數 | 下撥資金（萬元） |" in found.markdown
    assert "| 朝陽區 | 126 | 37.8 |" in found.markdown
    assert "MsoNormal" not in found.markdown and "o:p" not in found.markdown


def test_merged_cells_stay_an_html_table_with_their_spans(context):
    table = ("<table border=1><tr><td rowspan=2>項目</td><td colspan=2>選舉結果</td></tr>"
             "<tr><td>當選人</td><td>得票數</td></tr>"
             "<tr><td>理事</td><td><a href='/list.xls'>林志明等</a></td><td>1,236</td></tr>"
             "</table>")  # fmt: skip
    found = imported(f"<h1>選舉結果公告</h1>{PROSE}{table}", context)
    assert '<td rowspan="2">項目</td><td colspan="2">選舉結果</td>' in found.markdown
    assert '<a href="/list.xls">林志明等</a>' in found.markdown


def test_a_layout_table_is_unwrapped_not_kept(context):
    layout = (f"<table><tr><td width=200><a href='/a'>首頁</a></td><td>{PROSE}{PROSE}</td></tr>"
              "<tr><td>導航</td><td>版權所有</td></tr></table>")  # fmt: skip
    found = imported(f"<h1>職工書畫展開幕</h1>{layout}", context)
    assert "<table" not in found.markdown and "|" not in found.markdown
    assert "幫扶困難職工家庭" in found.markdown


def test_attachment_links_written_by_a_script_are_kept():
    links = '<a href="./P0201.doc">名錄.doc</a><br/><a href="./P0202.xls">登記表.xls</a>'
    script = f"""var file_appendix = '{links}';
    if (file_appendix != "") {{ document.write('<div>附件：' + file_appendix + '</div>'); }}"""
    assert written_links(script) == f"<div>附件：{links}</div>"


def test_script_writes_of_unknown_values_or_tracking_tags_are_left_alone():
    pager = 'document.write("<a href=\\"t_" + prevPage + ".html\\">上一頁</a>");'
    tracker = "document.write(unescape(\"%3Cscript src='http://hm.example.com/h.js'%3E\"));"
    tag = "document.write(\"<img src='/count.asp?id=1'>\");"
    assert written_links(pager) == written_links(tracker) == written_links(tag) == ""


def test_a_script_written_attachment_reaches_the_markdown(context):
    link = "<a href='../files/2012/名單.xls'>附件：代表名單.xls</a>"
    script = f'<script>document.write("{link}");</script>'
    found = imported(f"<h1>代表大會閉幕</h1>{PROSE}<p>{script}</p>", context)
    assert "[附件：代表名單.xls](/news/2013/files/2012/名單.xls)" in found.markdown
    assert "document.write" not in found.markdown


def test_an_aspnet_page_inside_one_form_keeps_its_article(context):
    body = (f"<form method='post' action='show.aspx?id=3301' id='form1'><input type=hidden "
            f"name='__VIEWSTATE' value='dDwtMTA'><h1>關於做好春節慰問工作的通知</h1>{PROSE}"
            "<input type=submit value='搜索'></form>")  # fmt: skip
    found = imported(body, context)
    assert found.kind == "article" and found.meta.title == "關於做好春節慰問工作的通知"
    assert "幫扶困難職工家庭" in found.markdown and "VIEWSTATE" not in found.markdown


def test_metadata_written_inside_the_title_line_is_read_and_cut_off(context):
    h1 = ("<h1>市總工會召開女職工工作會議<br><span>發布時間：2012-03-08 14:20:00　"
          "來源：市總工會女職工部　點擊：<span id='hits'></span></span></h1>")  # fmt: skip
    found = imported(h1 + PROSE, context)
    assert found.meta.title == "市總工會召開女職工工作會議"
    assert (found.meta.date, found.meta.source) == ("2012-03-08 14:20:00", "市總工會女職工部")


def test_a_title_tag_holding_the_site_or_a_tool_name_loses_to_the_heading(context):
    for junk in ("Microsoft Word - 文檔1", "吉林工會網 - 職工之家", "無標題文檔"):
        found = imported(
            f"<div>職工之家</div><p><b>勞模工作室掛牌成立</b></p>{PROSE}", context, junk
        )
        assert found.meta.title == "勞模工作室掛牌成立", junk
