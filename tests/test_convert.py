"""zh-Hant <-> zh-Hans by phrase (convert.py), and `sitegen import --fix-naive-traditional`."""

from __future__ import annotations

import argparse
import pickle
import textwrap
from pathlib import Path

import pytest

from sitegen.convert import CONVERSIONS, Change, Converter, naive_fix

# Each case is one a character table gets wrong (checked below): the phrase decides.
PHRASES = [
    ("s2t", "头发", "頭髮"),
    ("s2t", "干净", "乾淨"),
    ("s2t", "理发", "理髮"),
    ("s2t", "面条", "麪條"),
    ("s2t", "钟表", "鐘錶"),
    ("s2t", "联系", "聯繫"),
    ("s2t", "手表", "手錶"),
    ("s2t", "日历", "日曆"),
    ("s2t", "复杂", "複雜"),
    ("s2t", "答复", "答覆"),
    ("s2t", "制造", "製造"),
    ("s2t", "一只", "一隻"),
    ("s2t", "卷发", "捲髮"),
    ("s2t", "收获", "收穫"),
    ("s2t", "一周", "一週"),
    ("s2t", "词汇", "詞彙"),
    ("s2t", "尽管", "儘管"),
    ("s2t", "胡须", "鬍鬚"),
    ("s2t", "谷物", "穀物"),
    ("s2t", "皇后", "皇后"),
    ("s2t", "一干人", "一干人"),
    ("s2t", "面包", "麪包"),
    ("s2t", "头发长", "頭髮長"),
    ("s2tw", "面条", "麵條"),
    ("s2twp", "软件", "軟體"),
    ("s2twp", "信息", "資訊"),
    ("s2twp", "网络", "網路"),
    ("s2twp", "鼠标", "滑鼠"),
    ("s2twp", "打印", "列印"),
    ("s2twp", "内存", "記憶體"),
    ("s2twp", "程序", "程式"),
    ("s2twp", "出租车", "計程車"),
    ("s2twp", "自行车", "腳踏車"),
    ("s2twp", "联系", "聯絡"),
    ("s2twp", "发布", "釋出"),
    ("t2s", "乾隆", "乾隆"),
    ("t2s", "乾坤", "乾坤"),
    ("tw2sp", "軟體", "软件"),
    ("tw2sp", "資訊", "信息"),
    ("tw2sp", "網路", "网络"),
    ("tw2sp", "滑鼠", "鼠标"),
    ("tw2sp", "程式", "程序"),
]


@pytest.mark.parametrize(("conversion", "source", "expected"), PHRASES)
def test_phrases_are_converted_as_phrases(conversion, source, expected):
    converter = Converter(conversion)
    assert converter.text(source) == expected
    assert "".join(converter.text(c) for c in source) != expected  # a character table fails


@pytest.mark.parametrize(
    ("conversion", "source", "expected"),
    [
        ("t2s", "頭髮乾淨，後來發展", "头发干净，后来发展"),
        ("t2s", "關於聯繫先後出發", "关于联系先后出发"),
        ("s2t", "关于联系先后出发，后来发展", "關於聯繫先後出發，後來發展"),
        ("s2t", "台湾", "臺灣"),
        ("s2hk", "台湾", "台灣"),
        ("s2t", "里面", "裏面"),
        ("s2tw", "里面", "裡面"),
    ],
)
def test_sentences_and_regional_forms(conversion, source, expected):
    assert Converter(conversion).text(source) == expected


def test_an_unknown_conversion_is_refused_with_a_hint():
    with pytest.raises(ValueError, match=r"unknown conversion 's2x' \(did you mean 's2t'\?\)"):
        Converter("s2x")
    assert {"s2t", "t2s", "s2twp", "s2hk", "tw2s", "hk2s", "t2tw"} <= set(CONVERSIONS)


def test_a_converter_pickles_by_its_name():
    copy = pickle.loads(pickle.dumps(Converter("s2twp")))
    assert copy == Converter("s2twp") and copy.text("软件") == "軟體"


def test_text_keeps_urls_e_mail_addresses_and_file_names():
    text = "头发见 https://例子.com/规则.pdf 或名单.xlsx，写信给 li@例子.cn。网址http://x.cn查询。"
    assert Converter("s2t").text(text) == (
        "頭髮見 https://例子.com/规则.pdf 或名单.xlsx，寫信給 li@例子.cn。網址http://x.cn查詢。"
    )


def test_html_converts_text_but_not_markup_or_code():
    html = (
        '<p>头发<a href="/files/规则.pdf" title="下载规则" class="发展">规则.pdf</a></p>\n'
        "<pre><code>头发 = 1\n</code></pre>\n<p>发展<code>发展</code><kbd>发展</kbd>"
        "<samp>发展</samp>干净</p>"
    )
    assert Converter("s2t").html(html) == (
        '<p>頭髮<a href="/files/规则.pdf" title="下載規則" class="发展">规则.pdf</a></p>\n'
        "<pre><code>头发 = 1\n</code></pre>\n<p>發展<code>发展</code><kbd>发展</kbd>"
        "<samp>发展</samp>乾淨</p>"
    )


def test_html_converts_alt_but_never_src():
    html = '<p><img alt="头发" src="/图片/头发.jpg" id="头发"></p>'
    assert Converter("s2t").html(html) == '<p><img alt="頭髮" src="/图片/头发.jpg" id="头发"></p>'


@pytest.mark.parametrize(
    "marked",
    [
        '<span lang="zh-Hans">头发</span>',
        '<p lang="zh-Hant">头发<em>干净</em></p>',  # {: lang="zh-Hant" } in Markdown
        '<span lang="en">头发</span>',
        '<span translate="no">头发</span>',
        '<span class="name no-convert">头发</span>',
    ],
)
def test_html_keeps_elements_an_editor_marked(marked):
    html = f"<p>发展{marked}发展</p>"
    assert Converter("s2t").html(html) == f"<p>發展{marked}發展</p>"


def test_html_keeps_entities_and_a_greater_than_sign_in_a_quoted_value():
    html = "<p title='a>b 发展'>发展 &amp; &lt;头发&gt; &nbsp;</p>"
    assert Converter("s2t").html(html) == "<p title='a>b 發展'>發展 &amp; &lt;頭髮&gt; &nbsp;</p>"


def test_html_after_a_kept_element_converts_again():
    html = "<p><code>发</code>头发<span lang='zh-Hans'><b>发</b>发</span>头发</p><p>头发</p>"
    assert Converter("s2t").html(html) == (
        "<p><code>发</code>頭髮<span lang='zh-Hans'><b>发</b>发</span>頭髮</p><p>頭髮</p>"
    )


NAIVE = textwrap.dedent(
    """\
    # 關于聯系工作的通知

    各單位先后發布了通知，見[關于](/a/關于.html)與 `關于` 代碼。

    - 請聯系 http://例子.com/關于.pdf
    """
)


def test_naive_fix_repairs_character_by_character_traditional_with_lines():
    fixed, changes = naive_fix(NAIVE)
    assert fixed == textwrap.dedent(
        """\
        # 關於聯繫工作的通知

        各單位先後發布了通知，見[關於](/a/關于.html)與 `關于` 代碼。

        - 請聯繫 http://例子.com/關于.pdf
        """
    )
    assert changes == [
        Change(1, "關于", "關於"),
        Change(1, "聯系", "聯繫"),
        Change(3, "先后", "先後"),
        Change(3, "關于", "關於"),
        Change(5, "聯系", "聯繫"),
    ]


def test_naive_fix_leaves_correct_text_byte_for_byte():
    text = (
        "頭髮乾淨，關於聯繫。\r\n我們了解到，行政院發布新聞稿，這裡的麵包；台灣的計畫。\n\n"
        "聽取匯報，借助標桿，任務艱巨。\n"
        "> 引文 **粗體**  \n| 表 | 格 |\n|---|---|\n| 一週 | 佔領 |\n"
    )
    assert naive_fix(text) == (text, [])


def test_naive_fix_leaves_markdown_code_and_link_targets():
    text = "```\n關于 = 1\n```\n\n[聯系](</關于/名單.xlsx>){: .x }\n"
    fixed, changes = naive_fix(text)
    assert fixed == "```\n關于 = 1\n```\n\n[聯繫](</關于/名單.xlsx>){: .x }\n"
    assert changes == [Change(5, "聯系", "聯繫")]


# --- the importer flag, end to end -----------------------------------------------------

SITE_YAML = "title: 測試站\nbase_url: https://news.example.org/\nlanguage: zh-Hant\ncategories:\n"
SITE_YAML += "  - slug: news\n    name: 工會要聞\n"
PAGE = """<html><head><title>關于聯系群眾的通知</title></head><body>
<div class="crumb">首頁 &gt; 工會要聞</div>
<h1>關于聯系群眾的通知</h1>
<div class="info">發布時間：2018-09-21 14:29:29 來源：市總工會</div>
<div class="content">
<p>各級工會要密切聯系職工群眾，先后開展了多項活動，工會的聯系工作取得了成效。</p>
<p>關于這項工作，市總工會提出了明確要求，各單位要認真貫徹落實，切實做好服務職工的工作。</p>
<p>這些活動受到了廣大職工的歡迎，大家紛紛表示要繼續努力工作，為城市發展作出新的貢獻。</p>
</div></body></html>
"""


def _import(tmp_path: Path, *flags: str) -> tuple[Path, str]:
    from sitegen.importer.command import register

    site = tmp_path / "site"
    site.mkdir()
    (site / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
    src = tmp_path / "old" / "news" / "2018"
    src.mkdir(parents=True)
    (src / "5566.html").write_bytes(PAGE.encode("gb18030"))
    report = tmp_path / "report.json"
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(
        ["import", str(tmp_path / "old"), "--site", str(site), "--report", str(report), *flags]
    )
    assert args.func(args) == 0
    written = next((site / "content").rglob("*.md"))
    return written, report.read_text(encoding="utf-8")


def test_import_fix_naive_traditional_repairs_and_reports_each_change(tmp_path):
    written, report = _import(tmp_path, "--fix-naive-traditional")
    text = written.read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: 關於聯繫群眾的通知\n")
    assert "密切聯繫職工群眾，先後開展" in text and "關於這項工作" in text
    assert "關于" not in text and "聯系" not in text
    lines = text.split("\n")
    rel = written.relative_to(tmp_path / "site").as_posix()
    first = next(n for n, line in enumerate(lines, 1) if "密切聯繫" in line)
    assert f"{rel}:2: warning: naive traditional 關于 → 關於" in report
    assert f"{rel}:{first}: warning: naive traditional 聯系 → 聯繫" in report
    assert f"{rel}:{first}: warning: naive traditional 先后 → 先後" in report


def test_import_without_the_flag_keeps_the_text_as_it_was(tmp_path):
    written, report = _import(tmp_path)
    text = written.read_text(encoding="utf-8")
    assert text.startswith("---\ntitle: 關于聯系群眾的通知\n")
    assert "密切聯系職工群眾，先后開展" in text
    assert "naive traditional" not in report
