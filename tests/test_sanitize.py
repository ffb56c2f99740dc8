"""Article HTML is sanitised by one policy (sitegen/sanitize.py), for the build and the importer.

Raw HTML in a Markdown body, a `javascript:` link or an attribute list with an event handler
must never reach a built page; what our Markdown extensions write must reach it unchanged.
"""

from __future__ import annotations

import hashlib
import sqlite3
from html import unescape
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.bodies import BodyStore
from sitegen.config import load_config
from sitegen.content import parse_article
from sitegen.markup import made_plain, make_markdown, to_html
from sitegen.pipeline import build_site
from sitegen.render import _under_base_path
from sitegen.sanitize import sanitize
from tests.conftest import MINIMAL_CONFIG, article

HOSTILE = "<p>正文<script>alert(1)</script><img src=/a.png onerror=alert(2)></p>"


@pytest.mark.parametrize(
    ("body", "gone"),
    [
        ("正文<script>alert(1)</script>", "alert(1)"),
        ('<img src="/static/a.png" onerror="alert(1)">', "onerror"),
        ("見[連結](javascript:alert(1))。", "javascript:"),
        ('段落\n{: onclick="alert(1)" }', "onclick"),
        ('<iframe src="https://evil.example/"></iframe>', "evil.example"),
        ('<meta http-equiv="refresh" content="0;url=https://evil.example/">', "evil.example"),
        ('<form action="https://evil.example/"><input name="p"></form>', "evil.example"),
        ('<p style="background: url(https://evil.example/x.png)">段落</p>', "evil.example"),
    ],
)
def test_html_that_could_run_script_or_load_urls_never_reaches_article_or_print_pages(
    make_site, body, gone
):
    files = {"content/law/a.md": article("甲", "2018-01-01", body=body),
             "static/a.png": b"\x89PNG\r\n"}  # fmt: skip
    root = make_site(files)
    assert build_site(root).ok
    for page in ("law/a/index.html", "law/a/print.html"):
        assert gone not in (root / "public" / page).read_text(encoding="utf-8"), page


def test_what_the_markdown_extensions_write_passes_the_policy_unchanged():
    source = (
        "## 一、概況 {: .lead lang=en }\n\n"
        "| 項目 | 數量 | 備註 |\n|:---|---:|:---:|\n| 培訓 | 14 | 無 |\n\n"
        '說明[^1]，見[通知](/law/notice/ "通知")與<https://example.org/>。\n\n'
        '![合影](/static/img/a.png "合影")\n\n'
        "3. 第三項\n4. 第四項\n\n"
        "> 引文\n\n"
        "```python\nx = 1 < 2\n```\n\n"
        "[^1]: 注釋。\n"
    )
    html = to_html(make_markdown("返回正文"), source)
    # (nh3 writes &#160; as &nbsp; and &#8617; as ↩: the same text, the same markup)
    assert unescape(sanitize(html)) == unescape(html)


def test_style_attributes_are_dropped_except_the_alignment_of_table_cells():
    html = (
        '<div style="background: url(https://evil.example/)">甲</div>'
        '<table><tr><td style="background: url(x); TEXT-ALIGN: Center">乙</td>'
        '<td style="color: red">丙</td></tr></table>'
    )
    assert sanitize(html) == (
        "<div>甲</div>"
        '<table><tbody><tr><td style="text-align: center;">乙</td><td>丙</td></tr></tbody></table>'
    )


def test_imported_tables_keep_the_alignment_of_their_cells():
    from sitegen.importer.clean import sanitize as importer_sanitize

    cell = '<td rowspan="2" style="text-align:center" class="xl65">項目</td>'
    assert importer_sanitize(f"<table><tr>{cell}</tr></table>") == (
        '<table><tbody><tr><td rowspan="2" style="text-align: center;">項目</td></tr></tbody>'
        "</table>"
    )


_PLAIN_LINES = ["中文段落。", "2023年5月1日，", "## 標題", "# 同", "- 甲項", "1. 一", "2. 二",
                "", "English words", "\u3000全角", "＜全角＞＆", "\u00a0不換行"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PLAIN_LINES), min_size=1, max_size=10).map("\n".join))
def test_documents_on_the_plain_path_hold_nothing_the_policy_would_change(source):
    """Bodies made by markup's plain path skip nh3 (bodies.py): that must lose nothing."""
    md = make_markdown()
    html = to_html(md, source)
    if made_plain(md):
        assert sanitize(html).replace("&nbsp;", "\u00a0") == html


def test_a_base_path_put_into_body_links_cannot_end_their_attribute():
    body = '<p><a href="/law/b/">乙</a></p>'
    linked = _under_base_path(body, '/"><script>alert(1)</script>/')
    assert linked == '<p><a href="/%22%3E%3Cscript%3Ealert(1)%3C/script%3E/law/b/">乙</a></p>'


def _stored(root: Path, store: Path, trusted: bool) -> str:
    """The body of content/law/a.md as a body store at `store` gives it."""
    config, _ = load_config(root)
    data = (root / "content/law/a.md").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    found = parse_article(Path("content/law/a.md"), data, digest, config).article
    with BodyStore(root, store, "返回正文", False, trusted=trusted) as bodies:
        html = bodies.get(found).html
        bodies.save(bodies.take_made())
    return html


def test_a_site_that_trusts_its_html_keeps_raw_html_in_bodies(make_site):
    root = make_site({"content/law/a.md": article("甲", "2018-01-01", body=HOSTILE)})
    assert "<script>alert(1)</script>" in _stored(root, root / "bodies.sqlite", trusted=True)


def test_a_body_store_made_under_another_policy_is_not_served(make_site):
    root = make_site({"content/law/a.md": article("甲", "2018-01-01", body=HOSTILE)})
    store = root / "bodies.sqlite"
    _stored(root, store, trusted=True)
    assert "script" not in _stored(root, store, trusted=False)


def test_bodies_stored_before_sanitising_are_rendered_again(make_site):
    root = make_site({"content/law/a.md": article("甲", "2018-01-01", body=HOSTILE)})
    digest = hashlib.sha256((root / "content/law/a.md").read_bytes()).hexdigest()
    store = root / "bodies.sqlite"
    with sqlite3.connect(store) as db:  # a store as sitegen wrote it before issue 13
        db.execute("CREATE TABLE body (digest TEXT PRIMARY KEY, html TEXT, text TEXT)")
        db.execute("INSERT INTO body VALUES (?, ?, NULL)", (digest, HOSTILE))
    db.close()
    assert "script" not in _stored(root, store, trusted=False)


def test_a_site_that_trusts_its_html_keeps_raw_html_in_article_pages(make_site):
    body = "<script>alert(1)</script>"
    root = make_site({"content/law/a.md": article("甲", "2018-01-01", body=body)},
                     MINIMAL_CONFIG + "html: trusted\n")  # fmt: skip
    assert build_site(root).ok
    assert body in (root / "public/law/a/index.html").read_text(encoding="utf-8")
