"""Front matter: every problem reported at once, with the file and the line of the key."""

from __future__ import annotations

from sitegen.pipeline import build_site
from tests.conftest import article


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
