"""Bytes in GBK, Big5 or UTF-8, declared, undeclared or declared wrongly, decode correctly."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitegen.importer.decode import decode

TEXT = "長春市總工會舉辦職工書畫攝影展，展出作品三百餘件，吸引了眾多職工群眾前來參觀。"
PAGE = "<html><head>{meta}<title>通知</title></head><body><p>{text}</p></body></html>"


def page(meta: str = "") -> str:
    return PAGE.format(meta=meta, text=TEXT)


@pytest.mark.parametrize(
    ("codec", "expected"), [("gbk", "gb18030"), ("big5", "big5hkscs"), ("utf-8", "utf-8")]
)
def test_undeclared_pages_are_detected_and_read_correctly(context, codec, expected):
    decoded = decode(page().encode(codec), Path("a.html"), context.model)
    assert TEXT in decoded.text
    assert decoded.encoding == expected
    assert decoded.problems == ()


def test_gb2312_declaration_is_read_as_gb18030_so_extension_characters_survive(context):
    html = page('<meta charset="gb2312">').replace("餘件", "餘件，其中有鎔字")
    decoded = decode(html.encode("gb18030"), Path("a.html"), context.model)
    assert "鎔" in decoded.text and decoded.encoding == "gb18030"


def test_a_wrong_declaration_is_corrected_and_reported(context):
    raw = page('<meta http-equiv="Content-Type" content="text/html; charset=big5">').encode("gbk")
    decoded = decode(raw, Path("old/a.html"), context.model)
    assert TEXT in decoded.text
    assert decoded.declared == "big5hkscs" and decoded.encoding == "gb18030"
    assert [str(p) for p in decoded.problems] == [
        "old/a.html: warning: page declares charset big5hkscs but its bytes read as gb18030; "
        "decoded as gb18030"
    ]


def test_a_byte_order_mark_wins_over_the_declaration(context):
    raw = "\ufeff".encode() + page('<meta charset="gbk">').encode("utf-8")
    decoded = decode(raw, Path("a.html"), context.model)
    assert decoded.encoding == "utf-8" and TEXT in decoded.text


def test_undecodable_bytes_are_reported_with_their_line(context):
    raw = page('<meta charset="utf-8">').encode("utf-8").replace(b"<p>", b"\n<p>\xff\xfe")
    decoded = decode(raw, Path("a.html"), context.model)
    assert decoded.problems and decoded.problems[0].line == 2


def test_replacement_characters_already_in_a_utf8_page_do_not_make_it_gbk(context):
    # An earlier lossy conversion left U+FFFD in the text; the bytes are still valid UTF-8.
    body = "市總工會召開職工代表大會，審議通過了集體合同草案。" * 3 + "原文有損\ufffd\ufffd。"
    raw = f"<html><head><meta charset='utf-8'></head><body><p>{body}</p></body></html>"
    decoded = decode(raw.encode("utf-8"), Path("a.html"), context.model)
    assert decoded.encoding == "utf-8" and decoded.problems == ()
    assert "審議通過了集體合同草案" in decoded.text
