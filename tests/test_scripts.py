"""A site in two scripts (issue 16): every page once more in 简体 under /zh-hans/, converted
by phrase, one click apart; and a site in one script exactly as before."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sitegen.check import check_site
from sitegen.config import load_config
from sitegen.convert import Converter
from sitegen.pipeline import build_site
from tests.conftest import MINIMAL_CONFIG, article, snapshot

TWO = MINIMAL_CONFIG.replace("language: zh-Hant", "scripts: [zh-Hant, zh-Hans]").replace(
    "search: false", "search: true"
)

MEETING = article(
    "市總工會召開發展大會",
    "2018-09-21 14:29",
    "news",
    "會議強調，要把乾淨整潔的職工之家辦好。理髮師傅為職工剪頭髮。\n\n"
    "乾隆年間的會館舊址也將修繕。詳見[法律問答](/law/wage/)。\n",
    source="長春日報",
    editor="張麗華",
    summary="部署下一年度發展任務。",
    aliases="[/html/2018/09/21/4512.html, /ShowArticle.asp?ArticleID=4512]",
)
WAGE = article(
    "欠薪維權問答",
    "2019-01-10 09:00",
    "law",
    "職工被拖欠工資，可撥打12351熱線。\n",
    source="市總工會法律部",
    editor="李國強",
)


@pytest.fixture
def two_scripts(make_site) -> Path:
    root = make_site({"content/news/meeting.md": MEETING, "content/law/wage.md": WAGE}, TWO)
    result = build_site(root)
    assert result.ok, [str(p) for p in result.problems]
    return root / "public"


def html_pages(public: Path) -> set[str]:
    return {p.relative_to(public).as_posix() for p in public.rglob("*.html")}


def read(public: Path, name: str) -> str:
    return (public / name).read_text(encoding="utf-8")


def test_every_page_of_the_site_has_its_twin_under_zh_hans(two_scripts):
    pages = html_pages(two_scripts)
    mine = {p for p in pages if not p.startswith("zh-hans/")}
    twins = {p.removeprefix("zh-hans/") for p in pages if p.startswith("zh-hans/")}
    assert mine == twins
    for kind in ("index.html", "news/meeting/index.html", "news/meeting/print.html",
                 "news/index.html", "archive/index.html", "archive/2018/index.html",
                 "archive/2018/09/index.html", "search/index.html", "404.html",
                 "html/2018/09/21/4512.html"):  # fmt: skip
        assert kind in mine and kind in twins, kind
    for feed in ("feed.xml", "news/feed.xml", "law/feed.xml"):
        assert (two_scripts / feed).is_file() and (two_scripts / "zh-hans" / feed).is_file()
    # One sitemap for both, one redirect map for the old URLs (never under /zh-hans/).
    assert not (two_scripts / "zh-hans/sitemap.xml").exists()
    assert not (two_scripts / "zh-hans/redirects.json").exists()
    assert (two_scripts / "redirects.json").is_file()


def test_each_page_links_to_its_twin_and_says_its_language(two_scripts):
    hant = read(two_scripts, "news/meeting/index.html")
    hans = read(two_scripts, "zh-hans/news/meeting/index.html")
    assert '<html lang="zh-Hant">' in hant and '<html lang="zh-Hans">' in hans
    assert re.search(r'<a href="/zh-hans/news/meeting/" hreflang="zh-Hans"[^>]*>简</a>', hant)
    assert re.search(r'<a href="/news/meeting/" hreflang="zh-Hant"[^>]*>繁</a>', hans)
    for page in (hant, hans):
        assert ('<link rel="alternate" hreflang="zh-Hant" '
                'href="https://example.org/news/meeting/">') in page  # fmt: skip
        assert ('<link rel="alternate" hreflang="zh-Hans" '
                'href="https://example.org/zh-hans/news/meeting/">') in page  # fmt: skip
        assert 'hreflang="x-default" href="https://example.org/news/meeting/"' in page
    # The print view and the redirect of an old URL too, each to its own script's page.
    assert 'href="/news/meeting/print.html"' in read(two_scripts, "zh-hans/news/meeting/print.html")
    redirect = read(two_scripts, "zh-hans/html/2018/09/21/4512.html")
    assert "url=/zh-hans/news/meeting/" in redirect and '<html lang="zh-Hans">' in redirect


def test_the_second_script_is_converted_by_phrase_with_its_own_labels(two_scripts):
    hans = read(two_scripts, "zh-hans/news/meeting/index.html")
    assert '<h1 id="article-title">市总工会召开发展大会</h1>' in hans
    assert "干净整洁" in hans and "理发师傅为职工剪头发" in hans and "乾隆年间" in hans
    for label in ("当前位置", "发布日期", "来源：长春日报", "责任编辑：张丽华", "工会要闻"):
        assert label in hans, label
    for label in ("當前位置", "發布日期", "來源：長春日報", "責任編輯：張麗華"):
        assert label not in hans, label
    # Links inside the body lead to the other article in the same script; files stay shared.
    assert 'href="/zh-hans/law/wage/"' in hans
    assert 'href="/static/css/site.css"' in hans
    home = read(two_scripts, "zh-hans/index.html")
    assert "<title>测试档案馆</title>" in home and 'href="/zh-hans/news/meeting/"' in home
    feed = read(two_scripts, "zh-hans/feed.xml")
    assert 'xml:lang="zh-Hans"' in feed and "<summary>部署下一年度发展任务。</summary>" in feed
    assert "https://example.org/zh-hans/news/meeting/" in feed


def test_the_sitemap_lists_both_scripts_with_their_alternates(two_scripts):
    sitemap = read(two_scripts, "sitemap-1.xml")
    assert 'xmlns:xhtml="http://www.w3.org/1999/xhtml"' in sitemap
    entry = re.search(r"<url><loc>https://example.org/zh-hans/news/meeting/</loc>.*?</url>",
                      sitemap).group()  # fmt: skip
    assert ('<xhtml:link rel="alternate" hreflang="zh-Hant" '
            'href="https://example.org/news/meeting/"/>') in entry  # fmt: skip
    assert "<loc>https://example.org/news/meeting/</loc>" in sitemap


def test_the_search_page_of_each_script_reads_the_one_index(two_scripts):
    hans = read(two_scripts, "zh-hans/search/index.html")
    assert 'data-base="/"' in hans and 'action="/zh-hans/search/"' in hans
    assert (two_scripts / "search/meta.json").is_file()
    assert not (two_scripts / "zh-hans/search/meta.json").exists()


def test_sitegen_check_passes_on_a_site_in_two_scripts(two_scripts):
    report = check_site(two_scripts.parent)
    assert report.ok, [str(p) for p in report.problems]
    assert report.pages == len(html_pages(two_scripts))


def test_a_site_in_one_script_shows_no_trace_of_a_second(make_site, tmp_path):
    files = {"content/news/meeting.md": MEETING, "content/law/wage.md": WAGE}
    one = make_site(files, TWO.replace("scripts: [zh-Hant, zh-Hans]", "language: zh-Hant"))
    assert build_site(one).ok
    single = snapshot(one / "public")
    assert not [n for n in single if "zh-hans" in n or "script-" in n]
    for name, data in single.items():
        text = data.decode("utf-8", "replace")
        assert "hreflang" not in text and "script-switch" not in text, name
        assert "/zh-hans/" not in text, name
    # The same site in two scripts: its pages at / are those of the site in one script,
    # plus the lines of the switch and the alternates, and nothing else.
    (one / "site.yaml").write_text(TWO, encoding="utf-8")
    assert build_site(one, tmp_path / "two").ok
    both = snapshot(tmp_path / "two")
    own = {n: d for n, d in both.items() if not n.startswith("zh-hans/")}
    assert set(own) - set(single) == {"static/js/script-choice.js", "static/css/script-switch.css"}
    assert set(single) - set(own) == set()
    added = re.compile(r'<link rel="alternate" hreflang[^\n]*\n|<link rel="stylesheet" href="/st'
                       r'atic/css/script-switch.css">\n|<script src="/static/js/script-choice'
                       r'.js" defer></script>\n|<p class="script-switch"[^\n]*</p>\n')  # fmt: skip
    for name, data in single.items():
        if name.endswith(".html"):
            assert added.sub("", own[name].decode("utf-8")) == data.decode("utf-8"), name


EXCLUDED = article(
    "張三在乾淨的會場發言",
    "2020-05-01 10:00",
    "news",
    "代碼 `發展頭髮` 照舊。網址 https://例子.com/發展.html 與 檔案 發展規劃.pdf 照舊。\n\n"
    '記者<span lang="zh-Hant">發展鄉</span>報道，<span class="no-convert">頭髮村</span>亦然。\n\n'
    "發展委員會的聲明全文照登。\n"
    '{: lang="zh-Hant" }\n\n'
    '專訪[鄭發展](https://example.org/){: lang="zh-Hant" }。其他發展正常轉換。\n',
    source="發展日報",
    editor="鄭發展",
)


def test_code_urls_file_names_marked_spans_and_chosen_keys_are_never_converted(make_site):
    config = TWO + "no_convert: [source]\n"
    root = make_site({"content/news/x.md": EXCLUDED}, config)
    assert build_site(root).ok
    hans = read(root / "public", "zh-hans/news/x/index.html")
    assert "<code>發展頭髮</code>" in hans  # a code span
    assert "https://例子.com/發展.html" in hans  # a URL
    assert "發展規劃.pdf" in hans  # a file name
    assert '<span lang="zh-Hant">發展鄉</span>' in hans  # marked by language
    assert '<span class="no-convert">頭髮村</span>' in hans  # marked by class
    assert '<p lang="zh-Hant">發展委員會的聲明全文照登。</p>' in hans  # a Markdown attribute
    assert '<a href="https://example.org/" lang="zh-Hant">鄭發展</a>' in hans  # on a link too
    assert "来源：發展日報" in hans  # no_convert: [source]
    assert "责任编辑：郑发展" in hans  # the others are converted
    assert "其他发展正常转换" in hans and "张三在干净的会场发言" in hans


def test_an_edit_converts_one_article_and_a_second_build_converts_none(make_site, monkeypatch):
    files = {
        f"content/law/a{i}.md": article(f"第{i}篇發展報告", f"2018-01-1{i} 10:00",
                                        body=f"第{i}篇正文，發展頭髮。")
        for i in range(5)
    }  # fmt: skip
    root = make_site(files, TWO)
    converted: list[str] = []
    original = Converter.html

    def counting(self, fragment):
        converted.append(fragment)
        return original(self, fragment)

    texts: list[str] = []
    original_texts = Converter.texts

    def counting_texts(self, items):
        texts.extend(items)
        return original_texts(self, items)

    monkeypatch.setattr(Converter, "html", counting)
    monkeypatch.setattr(Converter, "texts", counting_texts)
    assert build_site(root).ok
    assert len(converted) == 5  # each body once, for its page, print view and feeds
    assert all(f"第{i}篇發展報告" in texts for i in range(5))
    converted.clear()
    texts.clear()
    path = root / "content/law/a2.md"
    path.write_text(path.read_text(encoding="utf-8").replace("正文", "新正文"), encoding="utf-8")
    result = build_site(root)
    assert result.ok and converted == ["<p>第2篇新正文，發展頭髮。</p>"]
    titles = [t for t in texts if t.endswith("篇發展報告")]
    assert titles == ["第2篇發展報告"]  # the other articles' titles were kept from last time
    assert "zh-hans/law/a2/index.html" in result.written
    assert "第2篇新正文，发展头发。" in read(root / "public", "zh-hans/law/a2/index.html")
    converted.clear()
    again = build_site(root)
    assert again.written == () and converted == []


def test_a_new_title_in_two_scripts_reaches_the_neighbours_twins_as_a_clean_build(
    make_site, tmp_path
):
    """An edit that moves nothing: the pages around the article (its neighbours name it)
    are found in both scripts, whose records of the same file are two (see
    pipeline._may_differ)."""
    files = {f"content/law/a{i}.md": article(f"第{i}篇發展報告", f"2018-01-1{i} 10:00")
             for i in range(5)}  # fmt: skip
    root = make_site(files, TWO)
    assert build_site(root).ok
    path = root / "content/law/a2.md"
    path.write_text(path.read_text(encoding="utf-8").replace("第2篇", "第二篇"), encoding="utf-8")
    result = build_site(root)
    assert result.ok and "zh-hans/law/a3/index.html" in result.written
    assert "第二篇发展报告" in read(root / "public", "zh-hans/law/a1/index.html")
    assert build_site(root, tmp_path / "clean", clean=True).ok
    assert snapshot(root / "public") == snapshot(tmp_path / "clean")


def test_an_incremental_build_in_two_scripts_gives_the_bytes_of_a_clean_one(make_site, tmp_path):
    root = make_site({"content/news/meeting.md": MEETING, "content/law/wage.md": WAGE}, TWO)
    assert build_site(root).ok
    (root / "content/law/wage.md").write_text(WAGE.replace("熱線", "熱線諮詢"), encoding="utf-8")
    (root / "content/law/new.md").write_text(article("新文章", "2019-02-01"), encoding="utf-8")
    assert build_site(root).ok
    assert build_site(root, tmp_path / "clean", clean=True).ok
    assert snapshot(root / "public") == snapshot(tmp_path / "clean")


def test_taiwan_forms_are_a_setting(make_site):
    source = article("軟體與資訊", "2020-05-01 10:00", "news", "下載軟體。")
    root = make_site({"content/news/x.md": source}, TWO + "conversion: tw2sp\n")
    assert build_site(root).ok
    assert '<h1 id="article-title">软件与信息</h1>' in read(
        root / "public", "zh-hans/news/x/index.html"
    )


def test_a_simplified_archive_gets_its_traditional_twin_under_zh_hant(make_site):
    config = TWO.replace("[zh-Hant, zh-Hans]", "[zh-Hans, zh-Hant]") + "conversion: s2twp\n"
    source = article("软件发布会", "2020-05-01 10:00", "news", "头发与软件。")
    root = make_site({"content/news/x.md": source}, config)
    assert build_site(root).ok
    hant = read(root / "public", "zh-hant/news/x/index.html")
    assert '<html lang="zh-Hant">' in hant and "頭髮與軟體" in hant and "當前位置" in hant
    assert '<html lang="zh-Hans">' in read(root / "public", "news/x/index.html")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ("scripts: [zh-Hant, zh-hans]",
         "site.yaml:3: error: unknown script 'zh-hans' in 'scripts' (did you mean 'zh-Hans'?); "
         "known: zh-Hant, zh-Hans"),
        ("scripts: [zh-Hant, zh-Hant]",
         "site.yaml:3: error: 'scripts' must name the articles' script, then the other one at "
         "most once: [zh-Hant, zh-Hans] or [zh-Hans, zh-Hant]"),
        ("scripts: [zh-Hant, zh-Hans]\nconversion: s2t",
         "site.yaml:4: error: 'conversion' 's2t' does not convert zh-Hant to zh-Hans (it "
         "converts the other way); use one of: t2s, tw2s, tw2sp, hk2s, hk2sp"),
        ("scripts: [zh-Hant, zh-Hans]\nno_convert: [sorce]",
         "site.yaml:4: error: 'no_convert' names 'sorce', which is not converted (did you mean "
         "'source'?); it may name: title, subtitle, source, editor, author, summary, tags"),
        ("language: zh-Hans\nscripts: [zh-Hant, zh-Hans]",
         "site.yaml:3: error: 'language' is 'zh-Hans' but the first of 'scripts' is 'zh-Hant': "
         "the first script is the articles' own, make the two agree (or leave 'language' out)"),
        ("conversion: t2s",
         "site.yaml:3: warning: 'conversion' has no effect with one script: add 'scripts: "
         "[zh-Hant, zh-Hans]' or remove it"),
    ],
)  # fmt: skip
def test_a_bad_script_setting_names_its_line_and_the_way_out(tmp_path, settings, message):
    config = MINIMAL_CONFIG.replace("language: zh-Hant\n", "")
    config = config.replace("base_url: https://example.org/\n",
                            f"base_url: https://example.org/\n{settings}\n")  # fmt: skip
    (tmp_path / "site.yaml").write_text(config, encoding="utf-8")
    _, problems = load_config(tmp_path)
    assert [str(p) for p in problems] == [message]


def test_a_category_may_not_take_the_second_scripts_folder(tmp_path):
    config = TWO.replace("slug: news", "slug: zh-hans")
    (tmp_path / "site.yaml").write_text(config, encoding="utf-8")
    config_found, problems = load_config(tmp_path)
    assert config_found is None
    assert [str(p) for p in problems] == [
        "site.yaml:7: error: category slug 'zh-hans' is the folder of the site in the second "
        "script: choose another"
    ]


def test_sitemap_files_hold_fifty_thousand_urls_counting_both_scripts(monkeypatch, make_site):
    from sitegen import site as site_module

    monkeypatch.setattr(site_module, "SITEMAP_LIMIT", 4)
    files = {f"content/law/a{i}.md": article(f"文章{i}", f"2018-01-0{i}") for i in range(1, 6)}
    root = make_site(files, TWO)
    assert build_site(root).ok
    parts = sorted((root / "public").glob("sitemap-*.xml"))
    assert len(parts) > 2
    assert all(p.read_text(encoding="utf-8").count("<url>") <= 4 for p in parts)


def test_every_label_exists_in_both_scripts_and_the_simplified_ones_are_simplified():
    from sitegen.i18n import LABELS

    hant, hans = LABELS["zh-Hant"], LABELS["zh-Hans"]
    assert set(hant) == set(hans)
    to_simplified = Converter("t2s")
    assert {k: to_simplified.text(v) for k, v in hant.items()} == dict(hans)
