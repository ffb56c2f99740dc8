"""Hostile front matter: whatever an editor or an importer writes, the build answers with
problems that say where, never with a traceback or a hang (issue 13)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitegen.pipeline import build_site
from tests.conftest import MINIMAL_CONFIG, article, write_site

KEYS = (
    "title", "date", "category", "source", "editor", "author", "subtitle", "summary",
    "legacy_path", "tags", "slug", "aliases", "draft", "pubisher", "Title", "<<", "日期", "1",
)  # fmt: skip
YAMLISH = (
    "2020-02-30", "2020-13-45", "2020-02-03 25:61:00", "2020-01-31T20:30:00-05:00",
    "0001-01-01", "9999-12-31T23:00:00-05:00", "2018-09-21", "2018/09/21 14:29", "上週三",
    "0x1F", "1.10", "1:30", "0b", "0x_", ".inf", "true", "yes", "~", "", "null", "'quoted'",
    "&a x", "*a", "&a [x, x]", "[*a, *a]", "!!set {a, b}", "!!binary aGk=", "!foo x",
    "!!python/object/apply:os.system [ls]", "!!str 12", "!!int '7'", "!!omap [a: 1]",
    '"x\\e\\0\\vy"', '"\\uFFFE"', '"\\ud800"', "[a, b]", "[a, [b]]", "{a: 1}", "[", "{",
    "|\n  block\n  text", ">\n  folded", "law", "news", ".", "..", ".hidden", "index.html",
    "/html/2018/09/21/4512.html", "http://x/", "[/a/, /a/]", "- item",
)  # fmt: skip
# Any character but lone surrogates, which no file can hold: control characters included;
# and text without them, so that some builds get past the front matter.
RAW_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
PRINTABLE = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=20)
VALUES = st.one_of(st.sampled_from(YAMLISH), PRINTABLE, RAW_TEXT, st.integers().map(str))
LINES = st.lists(st.tuples(st.sampled_from(KEYS), VALUES), max_size=6)
BODIES = st.one_of(
    st.just("正文。"),
    st.text(st.characters(exclude_categories=("Cs", "Cc")) | st.just("\n")),
    st.text(st.characters(exclude_categories=("Cs",))),
)


def front_matter_file(lines: list[tuple[str, str]], body: str, valid_start: bool) -> str:
    """A content file: sometimes a valid article with junk after its keys, sometimes only junk."""
    text = "\n".join(f"{key}: {value}" for key, value in lines)
    if valid_start:
        start = article("標題", "2018-09-21", body=body).split("\n---\n", 1)
        return start[0] + "\n" + text + "\n---\n" + start[1]
    return f"---\n{text}\n---\n{body}\n"


def make_root(folder: Path, files: dict[str, str]) -> Path:
    # Written as bytes: the random texts may hold lone surrogates the UTF-8 codec refuses.
    raw = {name: text.encode("utf-8", "surrogatepass") for name, text in files.items()}
    return write_site(folder / "site", raw)


def assert_problems_say_where(root: Path, result) -> None:
    assert result.refused is None
    assert result.ok == (not any(p.is_error for p in result.problems))
    for problem in result.problems:
        shown = problem.path.as_posix()
        assert shown not in ("", "."), problem
        assert not problem.path.is_absolute(), problem
        assert (root / problem.path).exists(), problem
        if shown.startswith("content/"):
            assert problem.line is not None and problem.line >= 1, problem
        assert "Traceback" not in str(problem), problem


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    files=st.lists(
        st.tuples(st.sampled_from(["law/a", "law/b", "news/c"]), LINES, BODIES, st.booleans()),
        min_size=1,
        max_size=3,
        unique_by=lambda item: item[0],
    ),
    strict=st.booleans(),
)
def test_random_front_matter_never_breaks_the_build(files, strict):
    texts = {f"content/{name}.md": front_matter_file(*rest) for name, *rest in files}
    with tempfile.TemporaryDirectory() as folder:
        root = make_root(Path(folder), texts)
        result = build_site(root, strict=strict)
        assert_problems_say_where(root, result)


def bomb(levels: int) -> str:
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    return "\n".join(lines)


def test_an_alias_bomb_in_front_matter_is_refused_at_once(tmp_path):
    text = article("甲", "2018-09-21").replace("\n---\n", "\n" + bomb(9) + "\n---\n", 1)
    root = make_root(tmp_path, {"content/law/a.md": text})
    start = time.perf_counter()
    problems = [str(p) for p in build_site(root).problems]
    assert time.perf_counter() - start < 10  # 9**9 values if anything expanded them
    assert problems[0] == (
        "content/law/a.md:5: error: YAML aliases (&l0 / *l0) are not allowed in front matter: "
        "write the value out"
    )
    assert len(problems) == 9


def test_an_alias_in_site_yaml_is_a_problem_with_its_line(tmp_path):
    root = make_root(tmp_path, {})
    (root / "site.yaml").write_text(MINIMAL_CONFIG + "x: &x [1]\ny: *x\n", encoding="utf-8")
    assert [str(p) for p in build_site(root).problems] == [
        "site.yaml:12: error: YAML aliases (&x / *x) are not allowed "
        "in this file: write the value out"
    ]


def test_a_date_that_does_not_exist_in_site_yaml_is_a_problem_not_a_traceback(tmp_path):
    root = make_root(tmp_path, {})
    (root / "site.yaml").write_text(MINIMAL_CONFIG + "since: 2020-02-30\n", encoding="utf-8")
    assert [str(p) for p in build_site(root).problems] == [
        "site.yaml:12: error: date '2020-02-30' is not a real date "
        "(day is out of range for month): write it as 2018-09-21 or 2018-09-21 14:29"
    ]
