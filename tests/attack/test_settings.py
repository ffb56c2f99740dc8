"""Hostile site.yaml values: whatever a new site's author writes, the build answers with
problems that name site.yaml and a line, never with a traceback (issue 13)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitegen.pipeline import build_site
from tests.attack.test_front_matter import VALUES, assert_problems_say_where, make_root
from tests.conftest import MINIMAL_CONFIG, article

KEYS = (
    "title", "description", "base_url", "language", "timezone", "page_size", "permalink",
    "feed_size", "home_per_category", "search", "html", "categories", "titel", "",
)  # fmt: skip
SETTING_VALUES = st.one_of(
    VALUES,
    st.sampled_from((
        "https://a.example/", "'https://a.example/\"><script>x</script>/'", "ftp://x/",
        "https://a.example/news/", "https://a b/", "/{category}/{slug}/", "/{slug}.html",
        "/{category}/../../{slug}/", "/{year}/{month}/{slug}/", "/{nope}/", "//{slug}/",
        "Asia/Taipei", "Mars/Base", "zh-Hans", "klingon", "0", "-1", "100000", "safe",
        "trusted", "[{slug: index.html, name: x}]", "[{slug: feed.xml}]", "[{slug: law}]",
        "[{slug: law, name: a}, {slug: law, name: b}]", "[{slug: '../x'}]", "[]", "[1, 2]",
    )),
)  # fmt: skip


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.lists(st.tuples(st.sampled_from(KEYS), SETTING_VALUES), max_size=4))
def test_random_settings_never_break_the_build(changes):
    text = MINIMAL_CONFIG + "".join(f"{key}: {value}\n" for key, value in changes)
    files = {
        "content/law/a.md": article("甲", "2018-09-21", aliases="[/old/a.html]"),
        "content/news/b.md": article("乙", "2019-01-02", category="news"),
    }
    with tempfile.TemporaryDirectory() as folder:
        root = make_root(Path(folder), files)
        (root / "site.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        result = build_site(root)
        assert_problems_say_where(root, result)
        for problem in result.problems:
            if problem.path.as_posix() == "site.yaml" and problem.is_error:
                assert problem.line is None or problem.line >= 1
