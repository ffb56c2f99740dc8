"""The cleaner drops what no reader saw and never lets active content through."""

from __future__ import annotations

import re
from pathlib import Path

import markdown
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.importer import import_page
from sitegen.importer.blocks import blocks_of
from sitegen.importer.clean import clean, sanitize
from sitegen.importer.to_markdown import body_html, to_markdown

BODY = "<p>工會為職工提供法律援助，一年來挽回經濟損失二千一百多萬元，受到職工好評。</p>"


def cleaned_text(html: str) -> str:
    return clean(html).soup.get_text()


def test_elements_hidden_by_style_attribute_or_page_css_are_removed():
    html = (
        "<style>.k{display:none} #farm {visibility:hidden}</style>"
        "<div style='display: none'>隱藏甲</div><div hidden>隱藏乙</div>"
        "<div class='k other'>隱藏丙</div><div id='farm'>隱藏丁</div>"
        "<span style='position:absolute;left:-9999px'>隱藏戊</span>"
        "<span style='font-size:0'>隱藏己</span>" + BODY
    )
    text = cleaned_text(html)
    assert "隱藏" not in text and "法律援助" in text
    assert dict(clean(html).removed)["hidden"] == 6


def test_decoy_tags_sharing_a_random_id_are_removed_but_real_text_under_it_stays():
    html = '<button id="x9"></button><em id="x9"><u id="x9"></u></em><p id="x9">正文段落。</p>'
    result = clean(html)
    assert "正文段落" in result.soup.get_text()
    assert not result.soup.find(["button", "em", "u"])


def test_scripts_forms_frames_and_tracking_pixels_are_removed():
    html = (
        "<script>alert(1)</script><form><input name=q></form><iframe src=x></iframe>"
        "<img src='http://c.example/p.gif' width=1 height=1>" + BODY
    )
    removed = dict(clean(html).removed)
    assert removed["script"] == 1 and removed["form"] == 1
    assert removed["iframe"] == 1 and removed["tracking"] == 1


def test_real_content_survives_cleaning_and_conversion(context):
    html = (
        "<html><body><h1>標題</h1><div>發布時間：2020-01-02</div>"
        "<p><strong>一、總體要求</strong></p>"
        + BODY
        + "<ul><li>第一項內容</li><li>第二項內容</li></ul>"
        "<table><tr><td>項目</td><td>金額</td></tr><tr><td>培訓</td><td>三萬元</td></tr></table>"
        "<p><img src='a.jpg' alt='會場'><br>圖為會場</p>"
        "<p>附件：<a href='/files/plan.pdf'>實施方案.pdf</a></p>"
        "<p>這是<em>重點</em>內容，請各單位認真貫徹落實，確保工作取得實效。</p></body></html>"
    )
    md = import_page(html.encode("utf-8"), Path("x/1.html"), context).markdown
    for kept in (
        "## 一、總體要求",
        "- 第一項內容",
        "| 培訓 | 三萬元 |",
        "![會場](/x/a.jpg)",
        "[實施方案.pdf](/files/plan.pdf)",
        "*重點*",
        "挽回經濟損失",
    ):
        assert kept in md, kept


def test_sanitizer_strips_event_handlers_and_javascript_urls():
    html = sanitize('<p onclick="x()">字<a href="javascript:alert(1)">連</a><script>y</script></p>')
    assert "onclick" not in html and "javascript" not in html and "script" not in html


def active_content(html: str) -> list[str]:
    """Script elements, event-handler attributes and javascript: URLs in parsed HTML."""
    found = [
        str(t) for t in BeautifulSoup(html, "html.parser").find_all(True) if t.name == "script"
    ]
    for tag in BeautifulSoup(html, "html.parser").find_all(True):
        for name, value in tag.attrs.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            if name.lower().startswith("on") or re.sub(r"\s", "", text).lower().startswith(
                "javascript:"
            ):
                found.append(str(tag))
    return found


markup = st.lists(
    st.sampled_from(
        [
            "<p>",
            "</p>",
            "<script>",
            "</script>",
            "<a href='javascript:x()'>",
            "</a>",
            "<img ",
            "onerror=alert(1)>",
            "<div style='display:none'>",
            "</div>",
            "<table><tr><td>",
            "字",
            "工會職工。",
            "&lt;script&gt;",
            "<br>",
            "<svg onload=x>",
            " ",
            "\n",
            "<",
            ">",
            "'",
            '"',
            "<a href=' JaVaScRiPt:x'>",
            "<iframe>",
            "<![CDATA[",
            "<!--",
            "-->",
            "<b id=d1>",
        ]
    )
    | st.text(max_size=5),
    max_size=40,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(markup)
def test_the_cleaner_never_raises_and_never_outputs_active_content(html):
    result = clean(html)
    out = body_html(blocks_of(result.soup))
    assert active_content(out) == []
    assert active_content(markdown.markdown(to_markdown(out))) == []
