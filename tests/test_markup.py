"""Markdown for Chinese text: no stray spaces where a paragraph's source lines were broken."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sitegen.markup import made_plain, make_markdown, to_html
from sitegen.plainmd import plain_html as _plain_html


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("第一行中文\n第二行中文", "<p>第一行中文第二行中文</p>"),
        ("他說：\n“好。”", "<p>他說：“好。”</p>"),
        ("車門……\n這套", "<p>車門……這套</p>"),
        ("中國夢·\n勞動美", "<p>中國夢·勞動美</p>"),
        ("強調**重點**\n內容", "<p>強調<strong>重點</strong>內容</p>"),
        ("參見\n[通知](/notices/a/)", '<p>參見<a href="/notices/a/">通知</a></p>'),
        ("一\n二\n三", "<p>一二三</p>"),  # each break on its own, though they share 二
        ("前文 \n  *後文*", "<p>前文<em>後文</em></p>"),
    ],
)
def test_a_break_between_chinese_characters_is_dropped(source, expected):
    assert to_html(make_markdown(), source) == expected


@pytest.mark.parametrize(
    "source",
    ["English words\nwrap here", "中文\nEnglish", "“quote”\n“another”", "```\n中\n文\n```"],
)
def test_a_break_next_to_western_text_or_in_code_stays(source):
    assert "\n" in to_html(make_markdown(), source).strip().removesuffix("</code></pre>")


def test_tables_footnotes_attribute_lists_and_heading_ids_are_on():
    html = to_html(
        make_markdown(),
        "## 一、概況 {: .lead }\n\n| 項目 | 數量 |\n|---|---|\n| 培訓 | 14 |\n\n"
        "說明[^1]\n\n[^1]: 注釋。",
    )
    assert '<h2 class="lead" id="一概況">一、概況</h2>' in html
    assert "<td>培訓</td>" in html
    assert 'class="footnote-ref"' in html and "注釋。" in html


# Prose, block structure, and the inline constructs Python-Markdown knows, mixed at random.
_PROSE = [
    "中文", "段落。", "Word", "「引」", "\u3000", " ", "\t", "\n", "\n\n", "- ", "* ", "+ ", "1. ",
    "## ", "    ", "(", ")", "!", ">", "#", "===", "---", "***", "|", "{: .x }", "[id]: /x",
    "[^1]: 注", "~~~", ":", "\r\n", " \n", "\x02",
]  # fmt: skip
_INLINE = [
    "**粗體**", "*斜體*", "_斜體_", "`代碼`", "\\*", "[連結](/a/)", "![圖](/i.png)", "[^1]",
    "<b>粗</b>", "<http://example.org/>", "<a@b.cn>", "&amp;", "&#20013;", "&", "<", "*", "_",
    "  \n", "{: .x }", "| a | b |\n|---|---|\n| 1 | 2 |\n", "```\n",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PROSE) | st.sampled_from(_INLINE), max_size=10).map("".join))
@example("強調**重點**內容")
@example("強調_重點_內容")
@example("代碼`x = 1`內容")
@example("轉義\\*星號\\*")
@example("參見[通知](/n/)")
@example("<http://example.org/>")
@example("第一行  \n第二行")
@example("<b>粗</b>")
@example("<div>\n塊\n</div>\n\n段落")
@example("```\n代碼\n```")
@example("~~~\n代碼\n~~~")
@example("中文\n    ")
@example("&#2023年")
@example("段落\n{: .lead }")
@example("段落\n續行\n\n- 項目\n續行\n\n    縮進")
@example("標題\n===\n\n正文\n---")
@example("甲 | 乙\n--- | ---\n丙 | 丁")
@example("> 引文\n續行")
@example("- 項目\n\n    第二段\n\n正文")
def test_the_shortcuts_change_no_output(source):
    """Plain prose skips Python-Markdown's inline patterns, its block processors' tests and
    the processors it gives nothing to do; nothing else may change: the converter gives the
    same HTML with every shortcut taken out."""
    assert to_html(make_markdown(), source) == to_html(make_markdown(shortcuts=False), source)


# Lines of plain documents, and lines that only look like them.
_PLAIN_LINES = [
    "通過就業援助月，職工的獲得感進一步增強。", "2023年11月24日，市司法局部署工作。", "Word 與中文",
    "1.5萬元已發放。", "12", "## 一、聚焦主業", "# 標題", "###### 六級", "####### 七級", "#標題",
    "## 標題 ##", "## C# 語言", "## 同", "- 甲項", "+ 乙項", "- 2023年完成", "1. 第一", "2. 第二",
    "01. 零一", "10. 第十", "-甲項", "- 1. 甲", "1.", "2. ", "---", "===", "- ", "  縮進",
    "\u3000全角空格", "段落 > 引號", "句末空格 ", "## 全角空格結尾\u3000", "- 甲項\u3000",
    "段落\u3000", "## 標題 #", "",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PLAIN_LINES), min_size=1, max_size=12).map("\n".join))
@example("段落一\n段落二\n\n## 標題\n\n- 甲\n- 乙\n\n1. 一\n2. 二")
@example("- 甲\n\n- 乙")
@example("1. 一\n\n2. 二")
@example("2. 二\n3. 三")
@example("## 同\n\n## 同\n\n## 1")
@example("段落\n- 項目")
@example("- 項目\n段落")
def test_plain_documents_convert_as_python_markdown_converts_them(source):
    """Paragraphs, ATX headings and tight lists skip Python-Markdown altogether; the HTML
    must be what it makes, and anything that only looks plain must go through it."""
    assert to_html(make_markdown(), source) == to_html(make_markdown(shortcuts=False), source)


def test_a_typical_article_takes_the_plain_path():
    # Otherwise the test above could pass without ever taking it.
    source = "2023年5月1日，市總工會舉辦活動。\n\n## 一、概況\n\n- 甲項\n- 乙項\n\n結語。"
    assert _plain_html(source) == (
        '<p>2023年5月1日，市總工會舉辦活動。</p>\n<h2 id="一概況">一、概況</h2>\n'
        "<ul>\n<li>甲項</li>\n<li>乙項</li>\n</ul>\n<p>結語。</p>"
    )


@pytest.mark.parametrize(
    "source",
    [
        "見[連結](javascript:alert(1))。",  # no < and no &, yet a script URL
        '段落\n{: onclick="alert(1)" }',
        "<http://example.org/>",
        "實體&#20013;",
        "粗<b>體</b>",
    ],
)
def test_documents_that_can_carry_urls_attributes_or_html_are_not_made_plain(source):
    # Bodies made plain skip sanitising (bodies.py): only markup.py's own tags may be in them.
    md = make_markdown()
    to_html(md, source)
    assert not made_plain(md)


def test_a_plain_document_is_known_to_be_made_plain():
    md = make_markdown()
    to_html(md, "2023年5月1日，市總工會舉辦活動。\n\n## 一、概況\n\n- 甲項")
    assert made_plain(md)


def test_making_the_converter_reads_no_installed_packages_metadata():
    """Markdown looks an extension given by name up among every installed package's entry
    points (importlib.metadata): 40 ms of each build, an edit's included."""
    code = ("import sys; from sitegen.markup import make_markdown, to_html; "
            "html = to_html(make_markdown(), '| a |\\n|---|\\n| 1 |\\n\\n文[^1]\\n\\n[^1]: 注'); "
            "assert '<table>' in html and 'footnote' in html, html; "
            "print('importlib.metadata' in sys.modules)")  # fmt: skip
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "False"
