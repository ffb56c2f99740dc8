"""The review page (issue 14): hostile page text stays text, nothing on it can load from a
host, pages come lowest confidence first, and an editor's file is never replaced by one."""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sitegen.importer import ImportResult, MojibakeRun
from sitegen.importer.command import register
from sitegen.importer.extract import Metadata
from sitegen.importer.review import REVIEW_MARK, is_review, render_review
from sitegen.importer.tree import PageOutcome, TreeReport

SAMPLES = Path(__file__).parent / "samples"
HOSTILE = """</script><script>alert(1)</script>"'><img src=x onerror=alert(2)> <!-- 六合彩"""
# An attribute that would make a browser fetch from a host: src=, srcset=, poster=, data=,
# background=, action=, href= of a stylesheet, or url() in CSS; escaped quotes count too.
FETCHING = re.compile(
    r"""(?:src|srcset|poster|data|background|action|href)\s*=\s*\\?["']?\s*(?:https?:)?//"""
    r"""|url\(\s*\\?["']?\s*(?:https?:)?//""",
    re.I,
)


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(list(argv))
    return args.func(args)


def outcome(
    name: str,
    confidence: float = 1.0,
    *,
    title: str | None = None,
    status: str = "written",
    kind: str = "article",
    review: bool = False,
    markdown: str = "正文第一段。\n",
    doubts: tuple[str, ...] = (),
) -> PageOutcome:
    origin = Path(name)
    result = ImportResult(
        origin=origin,
        kind=kind,
        reason="",
        encoding="utf-8",
        meta=Metadata(
            title=name if title is None else title,
            date="2015-06-01",
            date_from="metadata-line",
            source="市總工會",
        ),  # fmt: skip
        markdown=markdown,
        removed=(("decoy", 3), ("spam", 1)),
        mojibake=(MojibakeRun(4, "涓浗", "中國", 0),),
        problems=(),
        confidence=confidence,
        doubts=doubts,
    )
    output = Path("content/news/2015") / f"{origin.stem}.md" if status != "skipped" else None
    return PageOutcome(result, origin, status, output, "news", (), review)


def review_of(*pages: PageOutcome, originals: dict[str, str] | None = None) -> str:
    found = originals or {}
    return render_review(TreeReport(pages, ()), lambda origin: found.get(origin.as_posix()))


class _Tags(HTMLParser):
    """Start tags as a browser's tokenizer sees them (script text is not parsed as tags)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def details(page: str) -> list[dict[str, str]]:
    blocks = re.findall(r'<script type="application/json" id="d\d+">(.*?)</script>', page, re.S)
    return [json.loads(block) for block in blocks]


# --- escaping --------------------------------------------------------------------------------


def test_a_hostile_title_is_text_in_the_table_the_details_and_the_article():
    page = review_of(outcome("evil.html", title=HOSTILE, markdown="正文。\n"))
    tags = _Tags(page).tags
    scripts = [attrs for tag, attrs in tags if tag == "script"]
    # the data blocks and the page's own script; nothing the title could have opened
    assert all(a.get("type") == "application/json" for a in scripts[:-1]) and not scripts[-1]
    assert not [t for t, _ in tags if t == "img"]
    assert not [a for _, attrs in tags for a in attrs if a.startswith("on")]
    assert HOSTILE in "".join(_Tags(page).text)  # shown, as text, in the table
    [data] = details(page)
    for part in ("detail", "article"):
        inner = _Tags(data[part])
        assert {t for t, _ in inner.tags} <= {
            "div", "section", "h3", "dl", "dt", "dd", "ul", "li", "table", "tr", "th", "td",
            "p", "figure", "figcaption", "iframe", "body", "article", "h1", "span", "br",
        }  # fmt: skip
        assert not [a for _, attrs in inner.tags for a in attrs if a.startswith("on")]
        assert HOSTILE in "".join(inner.text)


def test_a_hostile_original_is_inert_in_its_sandboxed_frame():
    hostile = (
        '<html><head><script src="https://evil.example/x.js"></script>'
        '<link rel="stylesheet" href="https://evil.example/s.css"></head>'
        '<body background="http://evil.example/bg.png" onload="steal()">'
        '<p style="background:url(https://evil.example/p.png)">段落</p>'
        '<p style="color:red">紅字</p>'
        '<img src="http://evil.example/i.png" srcset="//evil.example/2x.png 2x" alt="圖">'
        '<iframe src="https://evil.example/frame"></iframe><form action="https://evil.example">'
        '<input name="q"></form><a href="https://spam.example/">垃圾鏈接</a>'
        '<video poster="https://evil.example/v.png"></video><object data="//evil.example/o">'
        "</object><svg><image href='https://evil.example/s.png'/></svg></body></html>"
    )
    page = review_of(outcome("evil.html"), originals={"evil.html": hostile})
    [data] = details(page)
    original = data["original"]
    assert FETCHING.search(page) is None
    assert "<script" not in original and "onload" not in original and "<iframe" not in original
    assert "<form" not in original and "<input" not in original and "<link" not in original
    assert '<p style="color:red">紅字</p>' in original  # layout is kept
    assert '<a href="#https://spam.example/">垃圾鏈接</a>' in original  # says where it led
    assert '<iframe class="original" sandbox=""' in data["detail"]


def test_the_imported_article_makes_no_request_either():
    markdown = (
        "![海報](https://evil.example/poster.png)\n\n"
        '<img src="http://evil.example/raw.png" alt="raw">\n\n'
        "[舊站](https://old.example/a.html) 和 [附件](/uploads/a.doc)\n"
    )
    page = review_of(outcome("a.html", markdown=markdown))
    [data] = details(page)
    assert FETCHING.search(page) is None
    assert 'alt="海報"' in data["article"] and "src=" not in data["article"]
    assert '<a href="#https://old.example/a.html">舊站</a>' in data["article"]


def test_the_page_allows_only_its_own_script_and_no_host():
    page = review_of(outcome("a.html"))
    found = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert found
    policy = dict(d.strip().split(" ", 1) for d in found.group(1).split(";"))
    assert policy["default-src"] == "'none'" and policy["img-src"] == "data:"
    script = re.findall(r"<script>(.*?)</script>", page, re.S)[-1]
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    assert policy["script-src"] == f"'sha256-{digest}'"  # no 'unsafe-inline': only this one


# --- what it shows -----------------------------------------------------------------------------


def test_pages_come_lowest_confidence_first_failed_first_of_all():
    failed = PageOutcome(None, Path("broken.html"), "failed")
    page = review_of(
        outcome("sure.html", 0.9),
        outcome("skipped.html", status="skipped", kind="error"),
        outcome("doubtful.html", 0.3, review=True, doubts=("no-title",)),
        failed,
        outcome("middling.html", 0.6),
    )
    order = re.findall(r'<button type="button" class="open"[^>]*>([^<]*)</button>', page)
    assert order == ["broken.html", "doubtful.html", "middling.html", "sure.html", "skipped.html"]
    groups = re.findall(r'data-group="(\w+)"', page)
    assert groups == ["failed", "review", "imported", "imported", "skipped"]


def test_details_show_metadata_doubts_removals_and_mojibake_in_chinese():
    page = review_of(outcome("a.html", 0.45, doubts=("no-title",)))
    [data] = details(page)
    text = "".join(_Tags(data["detail"]).text)
    for expected in ("2015-06-01", "資訊行", "市總工會", "/a.html", "content/news/2015/a.md"):
        assert expected in text
    assert "沒有找到標題，用了正文第一行" in text  # confidence.DOUBTS, not the key
    assert "誘餌標籤3" in text and "垃圾內容1" in text
    assert "涓浗中國" in text  # original -> repair
    assert "頁面 1" in "".join(_Tags(page).text).replace("\n", "")


def test_samples_of_what_was_removed_are_shown_as_text(context):
    """The spam an import cut is shown to the editor, escaped, under its kind."""
    from sitegen.importer import import_page

    spam = "<div style='display:none'>六合彩 百家樂 <b>&lt;script&gt;</b>娛樂城</div>"
    prose = "<p>" + "市總工會召開會議，研究部署下半年職工服務工作，強調維護職工權益。" * 3 + "</p>"
    raw = f"<html><body><h1>會議召開</h1><p>發布日期：2015-06-01</p>{prose}{spam}</body></html>"
    result = import_page(raw.encode("utf-8"), Path("a.html"), context)
    assert ("hidden", "六合彩 百家樂 <script>娛樂城") in result.samples
    page = render_review(
        TreeReport((PageOutcome(result, Path("a.html"), "written"),), ()), lambda _: None, {}
    )
    [data] = details(page)
    assert "六合彩 百家樂 &lt;script&gt;娛樂城" in data["detail"]


# --- the CLI -----------------------------------------------------------------------------------


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    src = tmp_path / "old"
    src.mkdir()
    for sample in SAMPLES.glob("*.html"):
        (src / sample.name).write_bytes(sample.read_bytes())
    return src


def test_with_report_only_the_review_page_is_written_beside_it(site, archive, tmp_path):
    report = tmp_path / "r.json"
    assert run("import", str(archive), "--site", str(site), "--report", str(report)) == 0
    beside = tmp_path / "r.html"
    assert is_review(beside)
    text = beside.read_text(encoding="utf-8")
    assert "關於舉辦職工書畫攝影展的通知" in text and FETCHING.search(text) is None


def test_an_editors_file_in_the_way_is_refused_before_anything_is_imported(
    site, archive, tmp_path, capsys
):
    mine = tmp_path / "r.html"
    mine.write_text("<p>my notes</p>", encoding="utf-8")
    report = tmp_path / "r.json"
    argv = ("import", str(archive), "--site", str(site), "--report", str(report))
    assert run(*argv, "--force") == 2  # --force is for articles, not a file nobody named
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(mine) in err and "--review" in err
    assert mine.read_text(encoding="utf-8") == "<p>my notes</p>"
    assert not (site / "content").exists() and not report.exists()

    assert run("import", str(archive), "--site", str(site), "--review", str(mine)) == 2
    assert f"--review {mine} exists and is not a review page" in capsys.readouterr().err
    assert mine.read_text(encoding="utf-8") == "<p>my notes</p>"


def test_an_earlier_review_page_is_replaced(site, archive, tmp_path):
    target = tmp_path / "review.html"
    target.write_text(f"<!doctype html><html><head>{REVIEW_MARK}</head></html>", encoding="utf-8")
    assert run("import", str(archive), "--site", str(site), "--review", str(target)) == 0
    assert "關於舉辦職工書畫攝影展的通知" in target.read_text(encoding="utf-8")


def test_a_review_page_inside_the_content_folder_is_refused(site, archive, capsys):
    (site / "content").mkdir()
    target = site / "content" / "review.html"
    assert run("import", str(archive), "--site", str(site), "--review", str(target)) == 2
    assert "where articles go" in capsys.readouterr().err and not target.exists()
