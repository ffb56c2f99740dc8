"""The command line: exit codes, what a build prints, and `sitegen new`."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from sitegen.cli import main
from sitegen.newpost import write_new_article
from sitegen.pipeline import build_site
from tests.conftest import MINIMAL_CONFIG, REPO, article

SITEGEN = [sys.executable, "-m", "sitegen.cli"]  # what the `sitegen` script runs, in this Python


def test_build_prints_what_it_wrote_the_time_and_every_warning(make_site, capsys):
    root = make_site({"content/law/a.md": article("甲", "2018-09-21", colour="紅")})
    assert main(["build", str(root), "--jobs", "1"]) == 0
    err = capsys.readouterr().err
    assert "content/law/a.md:5: warning: unknown front matter key 'colour'" in err
    assert "wrote law/a/index.html" in err
    assert f"pages into {root / 'public'} in " in err and " s: " in err


def test_build_with_errors_exits_1_and_says_public_was_kept(make_site, capsys):
    root = make_site({"content/law/a.md": "---\ntitle: 甲\n---\n"})
    assert main(["build", str(root)]) == 1
    err = capsys.readouterr().err
    assert (
        "content/law/a.md:1: error: front matter has no 'date': add a line 'date: 2018-09-21 14:29'"
        in err
    )
    assert "build failed: 2 error(s);" in err


def test_strict_flag_fails_on_warnings(make_site):
    root = make_site({"content/law/a.md": article("甲", "2018-09-21", colour="紅")})
    assert main(["build", str(root), "--strict"]) == 1


def test_out_flag_builds_elsewhere(make_site, tmp_path):
    root = make_site({"content/law/a.md": article("甲", "2018-09-21")})
    assert main(["build", str(root), "--out", str(tmp_path / "elsewhere")]) == 0
    assert (tmp_path / "elsewhere/law/a/index.html").exists()


def test_new_writes_a_file_that_builds(make_site):
    root = make_site({})
    now = dt.datetime(2024, 3, 12, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    path = write_new_article(root, "市總工會召開年度工作會議", "law", None, now)
    assert path == root / "content/law/20240312-093000.md"
    text = path.read_text(encoding="utf-8")
    assert text == (
        "---\ntitle: 市總工會召開年度工作會議\ndate: 2024-03-12 09:30:00\ncategory: law\n"
        "source:\neditor:\n---\n\n"
    )
    result = build_site(root)
    assert result.ok and not result.problems
    assert "市總工會召開年度工作會議" in (root / "public/law/20240312-093000/index.html").read_text(
        encoding="utf-8"
    )


def test_new_bundle_makes_a_folder_whose_photos_the_build_publishes(make_site, capsys):
    root = make_site({})
    argv = ["new", "勞模表彰", "--category", "law", "--slug", "award", "--bundle"]
    assert main([*argv, "--site", str(root)]) == 0
    index = root / "content/law/award/index.md"
    assert capsys.readouterr().out.strip() == str(index)
    assert "![照片說明](photo.jpg" in index.read_text(encoding="utf-8")  # how, in a comment
    assert build_site(root).ok  # the comment names no file the build must find
    text = index.read_text(encoding="utf-8") + "\n![大會現場](photo.jpg)\n"
    index.write_text(text, encoding="utf-8")
    Image.new("RGB", (640, 480), (90, 120, 160)).save(index.parent / "photo.jpg")
    assert build_site(root).ok
    assert (root / "public/law/award/photo-480w.webp").is_file()
    # The same slug as a single file is refused: the two would claim one URL.
    assert main(["new", "再一篇", "--category", "law", "--slug", "award", "--site", str(root)]) == 1
    assert "content/law/award/index.md exists" in capsys.readouterr().err


def test_new_never_overwrites_an_existing_file(make_site, capsys):
    root = make_site({"content/law/meeting.md": "編輯改過的內容"})
    code = main(["new", "標題", "--category", "law", "--slug", "meeting", "--site", str(root)])
    assert code == 1
    assert (root / "content/law/meeting.md").read_text(encoding="utf-8") == "編輯改過的內容"
    assert "choose another --slug" in capsys.readouterr().err


def test_the_command_exits_with_the_builds_status_and_prints_everything_first(make_site):
    """`sitegen` skips the interpreter's teardown at exit: its status and everything it
    printed must still come out, also where output is buffered (a pipe)."""
    root = make_site({"content/law/a.md": article("甲", "2018-09-21")})
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    done = subprocess.run([*SITEGEN, "build", str(root)], capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stderr.rstrip().splitlines()[-1].startswith("built ")
    (root / "content/law/b.md").write_text("---\ntitle: 乙\n---\n", encoding="utf-8")
    done = subprocess.run([*SITEGEN, "build", str(root)], capture_output=True, text=True)
    assert done.returncode == 1
    assert "content/law/b.md" in done.stderr
    assert done.stderr.rstrip().endswith("was left as it was")
    new = [*SITEGEN, "new", "丙", "--category", "law", "--slug", "c", "--site", str(root)]
    done = subprocess.run(new, capture_output=True, text=True, env=buffered)
    assert (done.returncode, done.stdout.strip()) == (0, str(root / "content/law/c.md"))


def test_new_rejects_an_unknown_category(make_site, capsys):
    root = make_site({})
    assert main(["new", "標題", "--category", "sport", "--site", str(root)]) == 1
    assert "unknown category 'sport'; site.yaml has: law, news" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["sitegen", "build"], [sys.executable, "build.py"]])
def test_the_repository_sample_site_builds_strictly_with_no_warnings(command, tmp_path):
    # A copy: a build keeps its record in the site's .sitegen-cache/, which the repository's
    # own would gather one of per run.
    site, out = tmp_path / "site", tmp_path / "public"
    for name in ("content", "layouts"):
        shutil.copytree(REPO / name, site / name)
    for name in ("site.yaml", "build.py"):
        shutil.copy(REPO / name, site / name)
    done = subprocess.run(
        [*command, *([] if command[-1] == "build.py" else ["."]), "--strict", "--out", str(out)],
        cwd=site, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr
    for page in ("index.html", "law/index.html", "law/page/1/index.html", "archive/index.html",
                 "404.html", "feed.xml", "sitemap.xml", "html/2018/09/21/4512.html",
                 "law/2018-union-hub-social-organisations/print.html"):  # fmt: skip
        assert (out / page).is_file(), page


def test_a_long_build_reports_progress_as_plain_lines_in_logs(make_site, capsys):
    files = {f"content/law/a{i}.md": article(f"文章{i}", "2018-01-01") for i in range(120)}
    root = make_site(files)
    assert main(["build", str(root), "--jobs", "1"]) == 0
    lines = [x for x in capsys.readouterr().err.splitlines() if x.startswith("render: ")]
    assert lines[-1].endswith("(100%)") and len(lines) <= 12  # one line per tenth, not per page
    assert all("\r" not in line for line in lines)


def test_the_top_level_help_says_what_the_tool_is(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert "sitegen turns an archive of Chinese-language news" in " ".join(out.split())
    assert "parse arguments" not in out  # not the module's docstring for developers


def every_option():
    """(command, action) for each option of each command, as `sitegen COMMAND --help` has it."""
    import argparse

    from sitegen.cli import _parser

    parser = _parser(["--help"])  # every command registered
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)][0]
    commands = dict(subs.choices)
    theme_sub = [a for a in commands.pop("theme")._actions
                 if isinstance(a, argparse._SubParsersAction)][0]  # fmt: skip
    commands["theme export"] = theme_sub.choices["export"]
    for name, command in commands.items():
        for action in command._actions:
            if not isinstance(action, argparse._HelpAction):
                yield name, command, action


def test_every_option_of_every_command_has_help_that_shows_its_default():
    missing, no_default = [], []
    for name, command, action in every_option():
        label = f"{name} {'/'.join(action.option_strings) or action.dest}"
        if not action.help:
            missing.append(label)
        shown = command.formatter_class("sitegen")._get_help_string(action) or ""
        if action.default not in (None, False, []) and "default" not in shown:
            no_default.append(label)
    assert (missing, no_default) == ([], [])


def test_a_mistyped_command_suggests_the_nearest_one(capsys):
    assert main(["biuld"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "sitegen: unknown command 'biuld' (did you mean 'build'?)"
    )
    assert main(["chekc", "."]) == 2
    assert "(did you mean 'check'?)" in capsys.readouterr().err


def test_an_unknown_command_with_nothing_near_lists_the_commands(capsys):
    assert main(["xyzzy"]) == 2
    last = capsys.readouterr().err.splitlines()[-1]
    assert last.startswith("sitegen: unknown command 'xyzzy'; the commands are: build, new, init")


PAGE = """<html><head><meta charset="utf-8"><title>職工維權</title></head><body>
<h1>職工維權講座</h1><p>發布日期：2018-09-21</p><p>市總工會舉辦職工維權講座，講解勞動合同。</p>
</body></html>"""


def test_preview_import_prints_a_page_as_the_importer_would_write_it(tmp_path, capsys):
    page = tmp_path / "old.html"
    page.write_text(PAGE, encoding="utf-8")
    assert main(["preview-import", str(page)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("# 職工維權講座\n")
    assert "講解勞動合同" in captured.out and "deprecated" not in captured.err


def test_clean_still_previews_an_import_for_one_version_and_says_its_new_name(tmp_path, capsys):
    page = tmp_path / "old.html"
    page.write_text(PAGE, encoding="utf-8")
    assert main(["clean", str(page)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("# 職工維權講座\n")
    assert captured.err.splitlines()[0] == (
        "sitegen: `sitegen clean` is now `sitegen preview-import` (the old name goes in 0.3)"
    )


def test_build_and_check_count_the_same_pages_and_the_other_files_add_up(make_site, capsys):
    files = {f"content/law/{n}.md": article(f"文章{n}", f"2018-09-2{n}") for n in range(1, 5)}
    files["content/news/q.md"] = article("舊址", "2018-09-21", category="news",
                                          aliases="[/show.asp?id=7]")  # fmt: skip
    root = make_site(files, MINIMAL_CONFIG.replace("search: false", "search: true"))
    assert main(["build", str(root), "--jobs", "1"]) == 0
    built = capsys.readouterr().err.splitlines()[-1]
    found = re.search(r"built (\d+) pages .*: (\d+) files written \((\d+) pages, (\d+) static, "
                      r"(\d+) search index\), 0 pages unchanged, 0 removed$", built)  # fmt: skip
    assert found, built
    pages, written, written_pages, static, index = map(int, found.groups())
    assert written_pages == pages and written == pages + static + index and static and index
    assert main(["check", str(root), "--jobs", "1"]) == 0
    checked = capsys.readouterr().out.splitlines()[-1]
    assert checked.startswith(f"checked {pages} pages (")
    assert "feeds and sitemaps, 4 redirect maps)" in checked


def test_the_files_of_an_article_folder_are_counted_apart_from_its_pages(make_site, capsys):
    photo = io.BytesIO()
    Image.new("RGB", (600, 400), (90, 120, 160)).save(photo, "JPEG")
    root = make_site({
        "content/law/award/index.md": article("表彰", "2018-09-21", body="![合影](a.jpg)"),
        "content/law/award/a.jpg": photo.getvalue(),
        "content/law/award/名單.pdf": b"%PDF-1.4",
    })  # fmt: skip
    assert main(["build", str(root), "--jobs", "1"]) == 0
    built = capsys.readouterr().err.splitlines()[-1]
    found = re.search(r"built (\d+) pages .*: (\d+) files written \((\d+) pages, 6 article "
                      r"files, (\d+) static, 0 search index\)", built)  # fmt: skip
    assert found, built  # the photo, its 480- and 600-px WebP and JPEG copies, and the PDF
    pages, written, written_pages, static = map(int, found.groups())
    assert written_pages == pages and written == pages + 6 + static
