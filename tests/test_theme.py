"""The packaged default theme: a site's own layouts/ and static/ override it file by file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sitegen import theme
from sitegen.check import check_site
from sitegen.cli import main
from sitegen.pipeline import build_site
from sitegen.theme import THEME_DIR
from tests.conftest import MINIMAL_CONFIG, article


def bare_site(root: Path, files: dict[str, str] | None = None) -> Path:
    """site.yaml and one article: no layouts/ or static/ of its own."""
    base = {"site.yaml": MINIMAL_CONFIG, "content/law/a.md": article("勞動法講座", "2018-09-21")}
    write(root, {**base, **(files or {})})
    return root


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def test_a_site_without_layouts_builds_strictly_with_the_packaged_theme(tmp_path):
    root = bare_site(tmp_path)
    result = build_site(root, strict=True)
    assert [str(p) for p in result.problems] == []
    page = (root / "public/law/a/index.html").read_text(encoding="utf-8")
    assert "勞動法講座" in page and "打印" in page and "字號" in page
    published = root / "public/static/js/print.js"
    assert published.read_bytes() == (THEME_DIR / "static/js/print.js").read_bytes()
    assert check_site(root).problems == ()


def test_a_site_that_overrides_article_html_keeps_the_rest_of_the_theme(tmp_path):
    root = bare_site(tmp_path)
    mine = "{% block content %}<h1 class=mine>{{ page.article.title }}</h1>{% endblock %}"
    write(root, {"layouts/article.html": "{% extends 'base.html' %}\n" + mine})
    assert build_site(root, strict=True).ok
    page = (root / "public/law/a/index.html").read_text(encoding="utf-8")
    assert "<h1 class=mine>勞動法講座</h1>" in page
    assert "當前位置" not in page.split("<h1 class=mine>")[1]  # the theme's article body is gone
    assert "static/css/site.css" in page  # base.html is still the theme's
    assert "static/js/print.js" in (root / "public/law/a/print.html").read_text(encoding="utf-8")


def test_a_site_static_file_replaces_the_theme_file_of_the_same_path_only(tmp_path):
    root = bare_site(tmp_path)
    write(root, {"static/css/site.css": "body { color: red }\n", "static/img/logo.svg": "<svg/>"})
    assert build_site(root).ok
    assert (root / "public/static/css/site.css").read_text(encoding="utf-8") == (
        "body { color: red }\n"
    )
    assert (root / "public/static/img/logo.svg").is_file()
    assert (root / "public/static/js/fontsize.js").is_file()  # the theme's still


def test_a_missing_layout_is_named_as_a_file_under_layouts(tmp_path):
    root = bare_site(tmp_path)
    write(root, {"layouts/print.html": "{% include 'footer-notes.html' %}"})
    problems = {str(p) for p in build_site(root).problems}
    assert problems == {
        "layouts/footer-notes.html: error: layout 'footer-notes.html' not found in layouts/ nor "
        "in sitegen's default theme (needed for content/law/a.md)"
    }


@pytest.fixture
def own_theme(tmp_path, monkeypatch) -> Path:
    """A copy of the packaged theme standing in for it: as a newer sitegen would ship it."""
    copy = tmp_path / "installed-theme"
    shutil.copytree(THEME_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    monkeypatch.setattr(theme, "THEME_DIR", copy)
    return copy


def test_a_changed_packaged_layout_or_script_is_built_again(tmp_path, own_theme):
    root = bare_site(tmp_path / "site")
    assert build_site(root).ok
    layout = own_theme / "layouts/print.html"
    layout.write_text(layout.read_text(encoding="utf-8") + "<!-- 新版 -->\n", encoding="utf-8")
    script = own_theme / "static/js/print.js"
    script.write_text("// 新版\n", encoding="utf-8")
    result = build_site(root)
    assert sorted(result.written) == ["law/a/print.html", "static/js/print.js"]
    assert "<!-- 新版 -->" in (root / "public/law/a/print.html").read_text(encoding="utf-8")
    assert build_site(root).written == ()


def test_an_error_in_a_packaged_layout_says_how_to_get_a_copy_to_fix(tmp_path, own_theme):
    root = bare_site(tmp_path / "site")
    (own_theme / "layouts/print.html").write_text("\n{{ page.nosuch.title }}\n", encoding="utf-8")
    problems = [str(p) for p in build_site(root).problems]
    assert len(problems) == 1
    assert problems[0].startswith("layouts/print.html:2: error: template error:")
    assert problems[0].endswith(
        "; the layout is sitegen's default: `sitegen theme export --only print.html`"
    )


def test_theme_export_copies_every_default_file_then_skips_what_the_site_has(tmp_path, capsys):
    root = bare_site(tmp_path)
    assert main(["theme", "export", str(root)]) == 0
    assert (root / "layouts/article.html").read_bytes() == (
        THEME_DIR / "layouts/article.html"
    ).read_bytes()
    assert (root / "static/js/fontsize.js").is_file()
    capsys.readouterr()
    (root / "layouts/article.html").write_text("mine", encoding="utf-8")
    assert main(["theme", "export", "--only", "article.html", str(root)]) == 0
    assert capsys.readouterr().out == (
        "skipped layouts/article.html: the site has it already (--force overwrites it)\n"
    )
    assert (root / "layouts/article.html").read_text(encoding="utf-8") == "mine"
    assert build_site(root, strict=True).ok  # an exported theme builds as the packaged one


def test_theme_export_only_one_file_and_force(tmp_path, capsys):
    root = bare_site(tmp_path)
    write(root, {"layouts/article.html": "mine"})
    assert main(["theme", "export", "--only", "print.js", "--only", "article.html", "--force",
                 str(root)]) == 0  # fmt: skip
    assert capsys.readouterr().out == "wrote layouts/article.html\nwrote static/js/print.js\n"
    files = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert files == {"site.yaml", "content/law/a.md", "layouts/article.html", "static/js/print.js"}
    assert (root / "layouts/article.html").read_bytes() != b"mine"


def test_theme_export_of_a_file_the_theme_lacks_is_a_usage_error(tmp_path, capsys):
    root = bare_site(tmp_path)
    assert main(["theme", "export", "--only", "artcle.html", str(root)]) == 2
    assert "no theme file 'artcle.html'" in capsys.readouterr().err
    assert not (root / "layouts").exists()


def test_the_sample_site_uses_the_packaged_theme_and_passes_the_check(tmp_path):
    """The repository's layouts/ and static/ hold the sample's overrides: one layout."""
    repo = THEME_DIR.parent.parent
    assert sorted(p.name for p in (repo / "layouts").iterdir()) == ["_site_footer.html"]
    assert not (repo / "static").exists()
    # Built as a copy: a build keeps its record in the site's .sitegen-cache/, of which the
    # repository's own gathered one per run of this test.
    site, out = tmp_path / "site", tmp_path / "public"
    for name in ("content", "layouts"):
        shutil.copytree(repo / name, site / name)
    shutil.copy(repo / "site.yaml", site / "site.yaml")
    assert build_site(site, out, strict=True).ok
    assert "本站為 sitegen 示例檔案館" in (out / "index.html").read_text(encoding="utf-8")
    assert (out / "static/js/print.js").is_file() and (out / "static/js/fontsize.js").is_file()
    report = check_site(site, out)
    assert [str(p) for p in report.problems] == []
