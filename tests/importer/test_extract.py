"""Metadata in the spellings real sites use; pages that are not articles are recognised."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.importer import import_page

PARAGRAPH = (
    "為全面掌握社會組織的基本情況，市總工會通過下發調研方案、"
    "召開專題會議等方式進行了廣泛深入的調研。"
)


def article(meta_line: str, crumb: str = "當前位置：首頁 > 法律維權 > 正文") -> str:
    return (
        f"<html><head><title>調研工作取得成效 - 市總工會</title></head><body>"
        f"<div class='nav'><a href='/'>首頁</a> <a href='/a/'>工會要聞</a> "
        f"<a href='/b/'>法律維權</a></div>"
        f"<div>{crumb}</div><h2>調研工作取得成效</h2><div>{meta_line}</div>"
        f"<div id='zoom'><p>{PARAGRAPH}</p><p>{PARAGRAPH}</p></div>"
        f"<div>上一篇：<a href='/1.html'>另一篇</a></div></body></html>"
    )


@pytest.mark.parametrize(
    ("line", "date", "source"),
    [
        ("發布日期：2018-09-21 14:29:29 來源：長春日報", "2018-09-21 14:29:29", "長春日報"),
        ("发布时间:2018/9/21 信息来源:市总工会", "2018-09-21", "市总工会"),
        ("日期：2013年8月14日　　來源：新華網", "2013-08-14", "新華網"),
        ("時間:2013年08月14日 09:30 | 信息來源: 市政府", "2013-08-14 09:30:00", "市政府"),
        ("【發佈時間：二〇一三年八月十四日】【稿件來源：工人日報】", "2013-08-14", "工人日報"),
    ],
)
def test_date_and_source_are_read_in_every_label_variant(context, line, date, source):
    result = import_page(article(line).encode("utf-8"), Path("b/1.html"), context)
    assert (result.meta.date, result.meta.source) == (date, source)


def test_title_author_editor_and_breadcrumb_category_are_extracted(context):
    html = article("作者：王小明 發布時間：2020-05-01").replace(
        "</div><div>上一篇", "</div><div>（責任編輯：李華）</div><div>上一篇"
    )
    meta = import_page(html.encode("utf-8"), Path("b/1.html"), context).meta
    assert (meta.title, meta.author, meta.editor, meta.category) == (
        "調研工作取得成效",
        "王小明",
        "李華",
        "法律維權",
    )


def test_chrome_and_navigation_are_not_part_of_the_body(context):
    html = article("發布日期：2020-05-01").replace(
        "<div id='zoom'>", "<div>【打印本頁】【關閉窗口】 字號：大 中 小</div><div id='zoom'>"
    )
    md = import_page(html.encode("utf-8"), Path("b/1.html"), context).markdown
    for chrome in ("打印", "關閉", "工會要聞", "上一篇", "當前位置", "發布日期"):
        assert chrome not in md
    assert md.count("廣泛深入的調研") == 2


def test_spam_in_the_body_goes_but_a_paragraph_mentioning_a_spam_word_stays(context):
    spam = (
        "<p>澳門賭場,百家樂,六合彩,娛樂城,線上投注</p><p>"
        + "<a href='http://x.example/'>博彩網</a>" * 4
        + "</p>"
    )
    real = "<p>工會組織職工觀看愛國主義電影，並開展免費體檢活動，受到職工歡迎。</p>"
    html = article("發布日期：2020-05-01").replace(
        "</div><div>上一篇", spam + real + "</div><div>上一篇"
    )
    md = import_page(html.encode("utf-8"), Path("b/1.html"), context).markdown
    assert "澳門" not in md and "博彩網" not in md and "愛國主義電影" in md


@pytest.mark.parametrize(
    ("html", "kind"),
    [
        (
            "<html><head><meta http-equiv='refresh' content='0;url=/new.html'></head>"
            "<body></body></html>",
            "redirect",
        ),
        (
            "<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>",
            "error",
        ),
        ("<html><body><div>   </div></body></html>", "empty"),
        (
            "<html><body><h2>通知公告</h2><ul>"
            + "".join(
                f"<li><a href='/t/{i}.html'>關於開展第{i}期職工培訓的通知</a> 2018-09-{i:02d}</li>"
                for i in range(1, 16)
            )
            + "</ul><div>共15條 第1頁</div></body></html>",
            "list",
        ),
    ],
)
def test_pages_that_are_not_articles_are_classified(context, html, kind):
    result = import_page(html.encode("utf-8"), Path("x.html"), context)
    assert result.kind == kind and result.reason


def test_a_short_news_item_in_a_link_heavy_template_is_still_an_article(context):
    # Table layout, side menu, related links and a footer around three short paragraphs.
    sample = Path(__file__).parent / "samples" / "short-news-table-layout.html"
    raw = sample.read_text(encoding="utf-8").encode("gb18030")
    result = import_page(raw, Path("ghdt/124.html"), context)
    assert result.kind == "article", result.reason
    assert "120名困难职工子女" in result.markdown and "澳门赌场" not in result.markdown
    assert (result.meta.source, result.meta.author, result.meta.category) == (
        "市总工会办公室", "李明", "工会动态",
    )  # fmt: skip


def test_a_breadcrumb_labelled_mu_qian_wei_zhi_gives_the_category(context):
    html = article("發布日期：2009/07/01", crumb="目前位置：首頁 &gt; 勞工動態 &gt; 內容")
    assert import_page(html.encode("utf-8"), Path("b/1.html"), context).meta.category == "勞工動態"


def test_a_headline_repeated_as_the_first_body_line_is_not_kept_twice(context):
    sample = Path(__file__).parent / "samples" / "trs-notice-with-link-farm.html"
    result = import_page(sample.read_bytes(), Path("tzgg/8.html"), context)
    md = result.markdown
    assert result.meta.title == "关于2021年度劳动模范评选结果的公示"
    assert result.meta.title not in md
    assert md.startswith("根据《区劳动模范评选管理办法》")
    assert "1. 张伟 区第一人民医院护士长" in md and "异议反映表.docx" in md
    for junk in ("代开发票", "私人侦探", "分享到", "ICP", "字体", "浏览次数"):
        assert junk not in md, junk
