"""Front matter: every problem reported at once, with the file and the line of the key."""

from __future__ import annotations

from sitegen.pipeline import build_site
from tests.conftest import article, write_site


def problems_of(root):
    return [str(p) for p in build_site(root).problems]


def test_missing_title_date_and_category_are_each_reported_with_their_line(make_site):
    root = make_site({"content/law/a.md": "---\nsource: 長春市總工會\n---\n正文\n"})
    assert problems_of(root) == [
        "content/law/a.md:1: error: front matter has no 'title': add a line 'title: 標題'",
        "content/law/a.md:1: error: front matter has no 'date': "
        "add a line 'date: 2018-09-21 14:29'",
        "content/law/a.md:1: error: front matter has no 'category': "
        "add a line 'category: <a slug from site.yaml>'",
    ]


def test_unparseable_date_points_at_the_date_line(make_site):
    root = make_site({"content/law/a.md": "---\ntitle: 標題\ncategory: law\ndate: 上週三\n---\n"})
    assert problems_of(root) == [
        "content/law/a.md:4: error: cannot read date '上週三': "
        "write it as 2018-09-21 or 2018-09-21 14:29"
    ]


def test_unknown_category_lists_the_known_ones(make_site):
    root = make_site({"content/law/a.md": article("標題", "2018-09-21", category="lwa")})
    assert problems_of(root) == [
        "content/law/a.md:4: error: unknown category 'lwa' (did you mean 'law'?); "
        "site.yaml has: law, news"
    ]


def test_two_files_claiming_one_url_name_each_other(make_site):
    root = make_site({
        "content/law/a.md": article("甲", "2018-09-21", slug="same"),
        "content/law/b.md": article("乙", "2018-09-22", slug="same"),
    })  # fmt: skip
    assert problems_of(root) == [
        "content/law/a.md:5: error: URL /law/same/ is also claimed by content/law/b.md:5 "
        "— give one of them another slug or alias"
    ]


def test_alias_clashing_with_another_article_is_reported(make_site):
    root = make_site({
        "content/law/a.md": article("甲", "2018-09-21", aliases="[/law/b/]"),
        "content/law/b.md": article("乙", "2018-09-22"),
    })  # fmt: skip
    [problem] = build_site(root).problems
    assert "alias /law/b/ is also claimed by content/law/b.md" in str(problem)
    assert str(problem).startswith("content/law/a.md:5: error:")


def test_a_gbk_file_is_named_as_not_utf8_with_its_likely_encoding(make_site):
    text = article("工會發布的通知", "2018-09-21", body="這是中國工會的文章。")
    root = make_site({"content/law/a.md": text.encode("gb18030")})
    [problem] = problems_of(root)
    assert problem.startswith("content/law/a.md:2: error: is not UTF-8 (it looks like GBK;")


def test_a_big5_file_is_named_as_big5(make_site):
    text = article("工會發布的通知", "2018-09-21", body="這是中國工會的文章。")
    root = make_site({"content/law/a.md": text.encode("big5")})
    assert "it looks like Big5" in problems_of(root)[0]


def test_unclosed_front_matter_is_reported(make_site):
    root = make_site({"content/law/a.md": "---\ntitle: 標題\ndate: 2018-09-21\n正文\n"})
    assert problems_of(root) == [
        "content/law/a.md:1: error: front matter is not closed: add a line '---' after its last key"
    ]


def test_front_matter_that_is_a_list_is_reported(make_site):
    root = make_site({"content/law/a.md": "---\n- title\n- date\n---\n"})
    assert problems_of(root) == [
        "content/law/a.md:2: error: front matter must be a mapping of keys (title: ...), not a list"
    ]


def test_yaml_syntax_error_gives_the_file_line(make_site):
    root = make_site({"content/law/a.md": "---\ntitle: 標題\ntags: [工會\ndate: 2018-09-21\n---\n"})
    [problem] = problems_of(root)
    assert problem.startswith("content/law/a.md:3: error: YAML syntax error in front matter")


def test_every_problem_of_every_file_comes_in_one_run(make_site):
    root = make_site({
        "content/law/a.md": "---\ntitle: 甲\n---\n",
        "content/law/b.md": article("乙", "明天"),
        "content/news/c.md": article("丙", "2018-09-21", category="sports"),
    })  # fmt: skip
    problems = problems_of(root)
    assert len(problems) == 4
    assert {p.split(":")[0] for p in problems} == {
        "content/law/a.md", "content/law/b.md", "content/news/c.md"
    }  # fmt: skip


def test_unknown_key_is_a_warning_and_reaches_templates(make_site):
    root = make_site({
        "content/law/a.md": article("甲", "2018-09-21", pubisher="市總"),
        "layouts/article.html": "{{ page.article.extra.pubisher }}",
    })  # fmt: skip
    result = build_site(root)
    assert result.ok
    assert [str(p) for p in result.problems] == [
        "content/law/a.md:5: warning: unknown front matter key 'pubisher'"
    ]
    assert (root / "public/law/a/index.html").read_text(encoding="utf-8") == "市總"


def test_strict_turns_warnings_into_errors_and_writes_nothing(make_site):
    root = make_site({"content/law/a.md": article("甲", "2018-09-21", colour="red")})
    result = build_site(root, strict=True)
    assert not result.ok
    assert [str(p) for p in result.problems] == [
        "content/law/a.md:5: error: unknown front matter key 'colour' (--strict)"
    ]
    assert not (root / "public").exists()


def test_drafts_are_left_out_unless_asked_for(make_site):
    root = make_site({"content/law/a.md": article("草稿", "2018-09-21", draft="true")})
    build_site(root)
    assert not (root / "public/law/a/index.html").exists()
    build_site(root, drafts=True)
    assert (root / "public/law/a/index.html").exists()


def test_a_draft_dated_only_by_year_or_month_waits_for_its_date_even_with_drafts(make_site):
    """What an import writes when the page gave no day: left out, not filed on a made-up
    day; the same partial date on a published article is an error."""
    head = "---\ntitle: 待核\ncategory: law\n"
    root = make_site({"content/law/a.md": head + "date: 2012\ndraft: true\n---\n正文\n",
                      "content/law/b.md": head + "date: 2012-03\ndraft: true\n---\n正文\n",
                      "content/law/c.md": head + "draft: true\n---\n正文\n"})  # fmt: skip
    result = build_site(root, drafts=True, strict=True)
    assert result.ok and result.pages and not (root / "public/law/a").exists()
    assert not list((root / "public/law").glob("[abc]/index.html"))
    write_site(root, {"content/law/a.md": head + "date: 2012\n---\n正文\n"})
    assert problems_of(root) == ["content/law/a.md:4: error: cannot read date 2012: "
                                 "write it as 2018-09-21 or 2018-09-21 14:29"]  # fmt: skip


# Issue 13: strict, safe front matter.

ALIAS_BOMB = "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: &c [*b, *b, *b]\n"


def test_yaml_aliases_are_refused_at_each_anchor(make_site):
    front = "---\ntitle: 甲\ndate: 2018-09-21\ncategory: law\n" + ALIAS_BOMB + "---\n正文\n"
    root = make_site({"content/law/a.md": front})
    assert problems_of(root) == [
        f"content/law/a.md:{line}: error: YAML aliases (&{name} / *{name}) are not allowed "
        "in front matter: write the value out"
        for line, name in ((5, "a"), (6, "b"), (7, "c"))
    ]


def test_dates_that_do_not_exist_are_each_reported_with_their_line(make_site):
    text = article("甲", "2020-02-30", seen="2020-13-45", at="2020-02-03 25:61:00")
    root = make_site({"content/law/a.md": text})
    hint = "write it as 2018-09-21 or 2018-09-21 14:29"
    assert problems_of(root) == [
        "content/law/a.md:3: error: date '2020-02-30' is not a real date "
        f"(day is out of range for month): {hint}",
        f"content/law/a.md:5: error: date '2020-13-45' is not a real date "
        f"(month must be in 1..12): {hint}",
        "content/law/a.md:6: error: date '2020-02-03 25:61:00' is not a real date "
        f"(hour must be in 0..23): {hint}",
    ]


def test_a_control_character_escaped_in_the_title_is_reported_at_its_column(make_site):
    root = make_site({"content/law/a.md": article('"x\\e\\0\\vy"', "2018-09-21")})
    assert problems_of(root) == [
        "content/law/a.md:2: error: 'title' holds the control character U+001B at column 10: "
        "remove it"
    ]


def test_a_control_character_typed_into_front_matter_is_reported_at_its_column(make_site):
    root = make_site({"content/law/a.md": article("甲", "2018-09-21", source="市\x1b總工會")})
    assert problems_of(root) == [
        "content/law/a.md:5: error: 'source' holds the control character U+001B at column 10: "
        "remove it"
    ]


def test_a_control_character_in_the_body_is_reported_at_its_line_and_column(make_site):
    text = article("甲", "2018-09-21", body="第一段。\n\n第二\x0c段。")
    root = make_site({"content/law/a.md": text})
    assert problems_of(root) == [
        "content/law/a.md:9: error: the body holds the control character U+000C at column 3: "
        "remove it"
    ]


def test_a_key_given_twice_is_an_error_that_names_the_first_line(make_site):
    text = article("甲", "2018-09-21").replace("\n---\n\n", "\ntitle: 乙\n---\n\n")
    root = make_site({"content/law/a.md": text})
    assert problems_of(root) == [
        "content/law/a.md:5: error: key 'title' is given twice (first on line 2): keep one"
    ]


def test_a_number_in_a_text_key_is_kept_as_written_with_a_warning(make_site):
    root = make_site({
        "content/law/a.md": article("0x1F", "2018-09-21", source="1.10", tags="[2020, 工會]"),
        "layouts/article.html": "{{ page.article.title }}|{{ page.article.source }}|"
                                "{{ page.article.tags|join(',') }}",
    })  # fmt: skip
    result = build_site(root)
    quote = 'write it in quotes, "{0}", to keep it as text'
    assert [str(p) for p in result.problems] == [
        "content/law/a.md:2: warning: 'title' has 0x1F, which YAML reads as a number: "
        + quote.format("0x1F"),
        "content/law/a.md:5: warning: 'source' has 1.10, which YAML reads as a number: "
        + quote.format("1.10"),
        "content/law/a.md:6: warning: 'tags' has 2020, which YAML reads as a number: "
        + quote.format("2020"),
    ]
    assert (root / "public/law/a/index.html").read_text(encoding="utf-8") == "0x1F|1.10|2020,工會"


def test_strict_makes_true_in_a_text_key_an_error(make_site):
    root = make_site({"content/law/a.md": article("甲", "2018-09-21", editor="yes")})
    result = build_site(root, strict=True)
    assert [str(p) for p in result.problems] == [
        "content/law/a.md:5: error: 'editor' has yes, which YAML reads as true or false: "
        'write it in quotes, "yes", to keep it as text (--strict)'
    ]
    assert not result.ok


def test_tags_other_than_yaml_plain_types_are_errors_at_their_lines(make_site):
    root = make_site({
        "content/law/a.md": article("!!set {a, b}", "2018-09-21", colour="!shade red"),
    })  # fmt: skip
    rest = "write plain text, a list or key: value lines"
    assert problems_of(root) == [
        f"content/law/a.md:2: error: YAML tag !!set is not allowed in front matter: {rest}",
        f"content/law/a.md:5: error: YAML tag !shade is not allowed in front matter: {rest}",
    ]


def test_a_date_with_an_offset_is_shown_in_the_site_time_zone(make_site):
    root = make_site({
        "content/law/a.md": article("甲", "2020-01-31T20:30:00-05:00"),
        "layouts/article.html": "{{ page.article.date.strftime('%Y-%m-%d %H:%M') }}",
    })  # fmt: skip
    assert build_site(root).ok
    assert (root / "public/law/a/index.html").read_text(encoding="utf-8") == "2020-02-01 09:30"


def test_a_date_outside_1900_to_2100_is_refused(make_site):
    root = make_site({"content/law/a.md": article("甲", "0001-01-01")})
    assert problems_of(root) == [
        "content/law/a.md:3: error: date 0001-01-01 is out of range: use a year from 1900 to 2100"
    ]


def test_a_slug_of_dots_is_refused(make_site):
    root = make_site({"content/law/a.md": article("甲", "2018-09-21", slug="..")})
    assert problems_of(root) == [
        "content/law/a.md:5: error: slug '..' must start with a letter, digit or '_' and hold only "
        "letters, digits, '-', '_' and '.'"
    ]
