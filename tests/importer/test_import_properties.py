"""Properties of the importer's output, on generated pages (Hypothesis).

- Whatever a page holds, the Markdown it becomes never renders to something that runs
  script: no script-like element, no event attribute, no javascript: address.
- A data table survives HTML -> Markdown -> HTML with its cell texts in order, whether it
  becomes a Markdown table or (with merged cells) an HTML one.
"""

from __future__ import annotations

import re
from pathlib import Path

import markdown
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitegen.importer import import_page
from sitegen.importer.blocks import collapse

PROSE = (
    "<p>"
    + "市總工會召開專題會議，研究部署下半年職工服務工作，會議強調要維護職工合法權益。" * 2
    + "</p>"
)
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Pieces hostile pages carry, to be mixed into article-like markup.
HOSTILE = st.sampled_from(
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<a href='javascript:alert(1)'>點此下載</a>",
        "<a href=' JaVaScRiPt:alert(1)'>附件.doc</a>",
        "<a href='vbscript:msgbox(1)'>附件</a>",
        "<a href='data:text/html;base64,PHNjcmlwdD4='>附件.pdf</a>",
        "<iframe src='//evil.example/'></iframe>",
        "<svg onload=alert(1)><circle/></svg>",
        "<object data='x.swf'></object>",
        "<p onclick='alert(1)' style='background:url(javascript:alert(1))'>點擊</p>",
        "<math><mi xlink:href='javascript:alert(1)'>x</mi></math>",
        "<form action='javascript:alert(1)'><button>提交</button></form>",
        "<meta http-equiv='refresh' content='0;url=javascript:alert(1)'>",
        "<base href='javascript:alert(1)//'>",
        "<table><tr><td background='javascript:alert(1)'>甲</td><td>乙</td></tr>"
        "<tr><td>丙</td><td>丁</td></tr></table>",
        "<script>document.write(\"<a href='javascript:alert(1)'>附件.xls</a>\");</script>",
        "<script>document.write(\"<a href='/f.xls' onclick='alert(1)'>附件.xls</a>\");</script>",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "<p>[點此](javascript:alert(1)) ![圖](javascript:alert(1))</p>",
        "<p>&#106;avascript:alert(1)</p>",
        "<a href='&#106;avascript:alert(1)'>附件.doc</a>",
        "<a href='java\tscript:alert(1)'>附件.doc</a>",
    ]
)
PLAIN = st.sampled_from(["<h1>關於舉辦職工書畫展的通知</h1>", "<p>發布日期：2013-08-14</p>",
                         PROSE, "<div>當前位置：首頁 &gt; 通知公告</div>", "<br>"])  # fmt: skip

_SCRIPTY_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "form", "base", "meta",
                 "frame", "frameset", "applet", "link", "style"}  # fmt: skip
_BAD_URL = re.compile(r"^\s*(?:javascript|vbscript|data)\s*:", re.I)


def scriptable(html: str) -> list[str]:
    """What in rendered HTML could run script."""
    found = []
    for tag in BeautifulSoup(html, "html.parser").find_all(True):
        if tag.name in _SCRIPTY_TAGS:
            found.append(f"<{tag.name}>")
        for name, value in tag.attrs.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            if name.lower().startswith("on") or _BAD_URL.match(re.sub(r"[\s\x00]", "", text)):
                found.append(f"{tag.name}[{name}={text}]")
    return found


@SETTINGS
@given(parts=st.lists(st.one_of(HOSTILE, PLAIN), min_size=1, max_size=12))
def test_imported_markdown_never_renders_to_anything_scriptable(parts, context):
    page = "<html><body>" + PROSE + "".join(parts) + PROSE + "</body></html>"
    result = import_page(page.encode("utf-8"), Path("news/2013/0814/1.html"), context)
    rendered = markdown.markdown(result.markdown, extensions=["tables"])
    assert scriptable(rendered) == [], result.markdown


CELL = (
    st.text(
        alphabet=st.sampled_from(list("工會職工人數資金萬元甲乙丙丁123456789.,%|*_<>&#[]`\\-")),
        min_size=1,
        max_size=8,
    )
    .map(collapse)
    .filter(bool)
)


@st.composite
def tables(draw) -> tuple[list[list[str]], bool]:
    """A table of 2-6 rows and 2-5 columns, with a merged header cell sometimes."""
    width = draw(st.integers(2, 5))
    rows = draw(st.lists(st.lists(CELL, min_size=width, max_size=width), min_size=2, max_size=6))
    return rows, draw(st.booleans())


def table_html(rows: list[list[str]], merged: bool) -> str:
    def cell(text: str) -> str:
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return f"<td><p class=MsoNormal><span>{escaped}</span></p></td>"

    body = []
    for index, row in enumerate(rows):
        if merged and index == 0:  # the first two header cells merged into one
            cells = [f"<td colspan=2>{cell(row[0])[4:-5]}</td>", *map(cell, row[2:])]
        else:
            cells = list(map(cell, row))
        body.append("<tr>" + "".join(cells) + "</tr>")
    return "<table class=MsoNormalTable border=1>" + "".join(body) + "</table>"


def expected_cells(rows: list[list[str]], merged: bool) -> list[str]:
    return [c for index, row in enumerate(rows)
            for c in (row[:1] + row[2:] if merged and index == 0 else row)]  # fmt: skip


def cells_of(html: str) -> list[str]:
    tables_found = BeautifulSoup(html, "html.parser").find_all("table")
    assert len(tables_found) == 1, html
    return [collapse(c.get_text()) for c in tables_found[0].find_all(["td", "th"])]


@SETTINGS
@given(table=tables())
def test_a_table_keeps_its_cell_texts_in_order_through_markdown(table, context):
    rows, merged = table
    table_markup = table_html(rows, merged)
    page = f"<html><body><h1>幫扶資金下撥情況</h1>{PROSE}{table_markup}{PROSE}</body></html>"
    result = import_page(page.encode("utf-8"), Path("news/1.html"), context)
    rendered = markdown.markdown(result.markdown, extensions=["tables"])
    assert cells_of(rendered) == expected_cells(rows, merged), result.markdown
    if merged:
        assert 'colspan="2"' in result.markdown
