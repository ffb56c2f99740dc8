"""site.yaml: settings that would break the build or its pages are errors with their line."""

from __future__ import annotations

import pytest

from sitegen.config import load_config
from sitegen.pipeline import build_site
from tests.conftest import MINIMAL_CONFIG, article


def problems(make_site, config: str) -> list[str]:
    _, found = load_config(make_site({}, config))
    return [str(p) for p in found]


def test_article_html_is_sanitised_unless_the_site_says_otherwise(make_site):
    config, _ = load_config(make_site({}))
    assert config is not None and config.html == "safe"


def test_a_site_may_trust_its_article_html(make_site):
    config, _ = load_config(make_site({}, MINIMAL_CONFIG + "html: trusted\n"))
    assert config is not None and config.html == "trusted"


def test_an_unknown_html_mode_is_an_error_with_its_line(make_site):
    assert problems(make_site, MINIMAL_CONFIG + "html: trustd\n") == [
        "site.yaml:12: error: 'html' must be 'safe' (article HTML sanitised) or 'trusted' "
        "(kept as written), not 'trustd' (did you mean 'trusted'?)"
    ]


def test_a_base_url_that_could_end_an_attribute_is_refused(make_site):
    config = MINIMAL_CONFIG.replace(
        "https://example.org/", "'https://news.example.org/\"><script>alert(1)</script>/'"
    )
    assert problems(make_site, config) == [
        "site.yaml:2: error: 'base_url' may not hold quotes, <, >, \\, spaces or control "
        "characters: write '\"' percent-encoded, as %22"
    ]


@pytest.mark.parametrize(
    ("url", "char"),
    [("'https://example.org/a b/'", "%20"), ("https://example.org/a\\b/", "%5C"),
     ("\"https://example.org/a\\tb/\"", "%09"), ("https://example.org/<a>/", "%3C")],
)  # fmt: skip
def test_a_base_url_with_spaces_backslashes_or_controls_is_refused(make_site, url, char):
    [found] = problems(make_site, MINIMAL_CONFIG.replace("https://example.org/", url))
    assert found.startswith("site.yaml:2: error: 'base_url' may not hold") and char in found


@pytest.mark.parametrize(
    "slug",
    ["index.html", "feed.xml", "sitemap.xml", "sitemap-2.xml", "404.html", "search", "static",
     "archive", "Index.html", "_redirects", "redirects.json"],
)  # fmt: skip
def test_a_category_slug_that_names_a_top_level_output_is_refused(make_site, slug):
    config = MINIMAL_CONFIG.replace("slug: news", f"slug: {slug}")
    assert problems(make_site, config) == [
        f"site.yaml:7: error: category slug {slug!r} is the name of a file or folder the build "
        "writes at the top of the site: choose another (reserved: 404.html, _redirects, "
        "archive, feed.xml, index.html, redirects.apache.txt, redirects.json, "
        "redirects.nginx.conf, search, sitemap-N.xml, sitemap.xml, static)"
    ]


def test_a_category_named_index_html_fails_the_build_with_a_message_not_a_crash(make_site):
    config = MINIMAL_CONFIG.replace("slug: news", "slug: index.html")
    root = make_site({"content/law/a.md": article("甲", "2018-01-01")}, config)
    result = build_site(root)
    assert [p.line for p in result.problems] == [7] and not result.ok


@pytest.mark.parametrize(
    "permalink",
    ["/{category}/../../{slug}/", "/{category}/./{slug}/", "/{category}//{slug}/",
     "/{category}\\{slug}/", "/{category}/{slug}?p=1", "/{category}/{slug}/#top",
     "/{category}/{slug} x/", "/..{slug}/../"],
)  # fmt: skip
def test_a_permalink_that_leaves_its_folder_or_ends_the_path_early_is_refused(make_site, permalink):
    config = MINIMAL_CONFIG + f"permalink: '{permalink}'\n"
    assert problems(make_site, config) == [
        f"site.yaml:12: error: 'permalink' {permalink!r} names a folder of the site: it may not "
        "hold . or .. segments, //, \\, ?, # or spaces"
    ]


def test_a_permalink_with_dot_dot_fails_the_build_with_a_message_not_a_crash(make_site):
    config = MINIMAL_CONFIG + "permalink: /{category}/../../{slug}/\n"
    root = make_site({"content/law/a.md": article("甲", "2018-01-01")}, config)
    result = build_site(root)
    assert [p.line for p in result.problems] == [12] and not result.ok
