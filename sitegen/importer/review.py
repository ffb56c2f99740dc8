"""The review page of an import (issue 14): one self-contained HTML file for editors.

`render_review` is pure: a TreeReport (and a way to read each saved page) in, an HTML string
out; `sitegen import` writes it. The page must be safe to open from file:// although every
value on it comes from hostile legacy pages, and must make no network request, so:

- every value is escaped here, in Python, in one place (`_e`); the script only moves strings
  that were escaped here into the page, and `textContent` for nothing else;
- the original page is sanitised with nh3 (no scripts, handlers, forms, frames, styles that
  load anything), its `src` attributes dropped and its links made fragments ("#http://...",
  so hovering still shows where they went), and shown in an `<iframe sandbox>` with srcdoc;
- the imported article is rendered by the build's own Markdown and sanitiser, then made inert
  the same way, in a second sandboxed frame;
- a Content-Security-Policy admits only this page's own script (by its hash), inline styles
  and data: images, so anything the sanitisers missed still cannot load or run.

Details of a page are JSON in their own `<script type="application/json">` block, parsed only
when the editor opens that row: ten thousand pages still open at once. Originals are capped per
page and in total; the pages shown first (lowest confidence) get the budget first.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import nh3

from sitegen.importer import ImportResult
from sitegen.importer.charmodel import CharModel
from sitegen.importer.confidence import DOUBTS
from sitegen.importer.decode import decode
from sitegen.importer.tree import PageOutcome, TreeReport, first_line, old_url
from sitegen.markup import made_plain, make_markdown, to_html
from sitegen.sanitize import ATTRIBUTES, TAGS, make_cleaner, sanitize

# Every word the page shows, zh-Hant, in one place (a translation replaces this dict).
LABELS: Final[dict[str, str]] = {
    "title": "導入審核",
    "intro": "按可信度由低到高排列；點擊標題查看原頁面與導入結果。",
    "pages": "頁面",
    "status": "狀態",
    "confidence": "可信度",
    "category": "欄目",
    "source_path": "原路徑",
    "output": "輸出路徑",
    "filter_status": "按狀態篩選",
    "filter_category": "按欄目篩選",
    "filter_text": "搜索標題或路徑",
    "all": "全部",
    "shown": "顯示",
    "group.failed": "失敗",
    "group.review": "需要審核",
    "group.imported": "已導入",
    "group.skipped": "已略過",
    "status.written": "已寫入",
    "status.unchanged": "未變更",
    "status.exists": "已存在，保留原文件",
    "status.dry-run": "試運行，未寫入",
    "status.skipped": "已略過",
    "status.failed": "失敗",
    "draft": "存為草稿",
    "needs_review": "需要審核",
    "skipped_by_kind": "略過的頁面",
    "mojibake_runs": "亂碼段",
    "not_judged": "只評估文章頁面的可信度",
    "found": "找到的內容",
    "page_title": "標題",
    "subtitle": "副標題",
    "date": "日期",
    "date_from": "日期來源",
    "source": "來源",
    "editor": "責任編輯",
    "author": "作者",
    "aliases": "別名（舊網址）",
    "kind": "頁面類型",
    "reason": "原因",
    "encoding": "編碼",
    "links": "正文鏈接",
    "doubts": "疑點",
    "no_doubts": "沒有疑點",
    "removed": "刪除內容",
    "removed_count": "數量",
    "removed_none": "沒有刪除任何內容",
    "removed_samples": "樣本",
    "mojibake": "亂碼修復",
    "mojibake_line": "行",
    "mojibake_original": "原文",
    "mojibake_repair": "修復為",
    "mojibake_lost": "無法修復的字數",
    "problems": "問題",
    "original": "原頁面",
    "imported": "導入結果",
    "untitled": "無題",
    "none": "無",
    "not_imported": "此頁沒有導入",
    "no_original": "無法讀取原頁面",
    "original_capped": "原頁面太大，只顯示前 {kb} KB。",
    "original_budget": "審核頁已達大小上限，此頁的原頁面沒有嵌入；請直接查看 {path}。",
    "noscript": "篩選與詳情需要啟用 JavaScript。",
    "kind.article": "文章",
    "kind.list": "列表頁",
    "kind.redirect": "跳轉頁",
    "kind.error": "錯誤頁",
    "kind.empty": "空白頁",
    "date_from.metadata-line": "資訊行",
    "date_from.title-line": "標題行",
    "date_from.meta-tag": "meta 標籤",
    "date_from.url": "舊網址",
    "removed.decoy": "誘餌標籤",
    "removed.hidden": "隱藏元素",
    "removed.spam": "垃圾內容",
    "removed.chrome": "網站框架",
    "removed.links": "鏈接列表",
    "removed.boilerplate": "正文以外的內容",
    "removed.metadata": "資訊行",
    "removed.script": "腳本",
    "removed.style": "樣式",
    "removed.iframe": "內嵌框架",
    "removed.embed": "嵌入物件",
    "removed.form": "表單控件",
    "removed.tracking": "追蹤像素",
    "removed.empty": "空元素",
}

# Written into every review page; `is_review` looks for it before a file may be replaced.
REVIEW_MARK: Final = '<meta name="generator" content="sitegen-import-review">'
ORIGINAL_CAP: Final = 200_000  # characters of one sanitised original page
ORIGINALS_BUDGET: Final = 40_000_000  # characters of all originals on one review page
_GROUP_ORDER: Final = ("failed", "review", "imported", "skipped")
_IMPORTED: Final = frozenset({"written", "unchanged", "exists", "dry-run"})


def is_review(path: Path) -> bool:
    """Whether `path` holds a review page an earlier `sitegen import` wrote."""
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return REVIEW_MARK.encode("ascii") in head


def original_reader(base: Path, model: CharModel) -> Callable[[Path], str | None]:
    """Reads a saved page (`origin` relative to `base`) as the importer decoded it."""

    def read(origin: Path) -> str | None:
        try:
            raw = (base / origin).read_bytes()
        except OSError:
            return None
        return decode(raw, origin, model).text

    return read


def render_review(
    report: TreeReport,
    original: Callable[[Path], str | None],
    categories: Mapping[str, str] | None = None,
) -> str:
    """The review page of `report`. `original(origin)` gives a saved page's text (or None);
    `categories` names category slugs for the filter."""
    names = dict(categories or {}) | {c.slug: c.name for c in report.categories_added}
    pages = sorted(report.pages, key=_order)
    budget = _Budget(ORIGINALS_BUDGET)
    renderer = _Renderer()
    rows = [_row(i, page, names) for i, page in enumerate(pages)]
    details = [
        _detail_json(i, page, renderer, budget, original(page.origin))
        for i, page in enumerate(pages)
    ]
    return _document(report, names, "".join(rows), "".join(details))


# --- ordering and grouping ---------------------------------------------------------------------


def _group(page: PageOutcome) -> str:
    if page.status == "failed":
        return "failed"
    if page.review:
        return "review"
    return "imported" if page.status in _IMPORTED else "skipped"


def _judged(page: PageOutcome) -> bool:
    """Only articles get a confidence (confidence.py); the others carry 1.0 meaning "not
    judged", which must not be shown as certainty."""
    return page.result is not None and page.result.kind == "article"


def _order(page: PageOutcome) -> tuple[float, int, str]:
    """Lowest confidence first; a failed page has none and comes first of all; among equals,
    the pages that need an editor before the others."""
    confidence = page.result.confidence if page.result else 0.0
    return confidence, _GROUP_ORDER.index(_group(page)), page.origin.as_posix()


# --- the table of pages ------------------------------------------------------------------------


def _e(value: object) -> str:
    """Escaped for HTML text and quoted attributes: page text is hostile."""
    return html.escape(str(value), quote=True)


def _title(result: ImportResult | None) -> str:
    if result is None:
        return ""
    return result.meta.title or first_line(result.markdown)


def _confidence(page: PageOutcome) -> str:
    if not _judged(page):
        return f'<span title="{_e(LABELS["not_judged"])}">—</span>'
    return f"{round(page.result.confidence * 100)}%"  # type: ignore[union-attr]


def _status(page: PageOutcome) -> str:
    group = _group(page)
    text = LABELS[f"group.{group}"]
    if group in ("review", "imported"):
        text += f"（{LABELS.get(f'status.{page.status}', page.status)}）"
    elif group == "skipped" and page.result is not None:
        text += f"：{LABELS.get(f'kind.{page.result.kind}', page.result.kind)}"
    return f'<span class="badge {group}">{_e(text)}</span>'


def _row(i: int, page: PageOutcome, names: Mapping[str, str]) -> str:
    title = _title(page.result) or page.origin.name
    path = page.origin.as_posix()
    output = page.output.as_posix() if page.output else ""
    words = f"{title} {path} {output}".lower()
    category = names.get(page.category, page.category)
    return (
        f'<tr class="page" data-i="{i}" data-group="{_group(page)}" '
        f'data-category="{_e(page.category)}" data-text="{_e(words)}">'
        f'<td class="num">{_confidence(page)}</td><td>{_status(page)}</td>'
        f'<td><button type="button" class="open" aria-expanded="false">{_e(title)}</button></td>'
        f"<td>{_e(category)}</td><td><code>{_e(path)}</code></td>"
        f"<td><code>{_e(output)}</code></td></tr>\n"
    )


# --- one page's details --------------------------------------------------------------------------


@dataclass(slots=True)
class _Budget:
    left: int

    def take(self, size: int) -> bool:
        if size > self.left:
            return False
        self.left -= size
        return True


class _Renderer:
    """The build's Markdown converter and sanitiser, and the cleaners that make pages inert,
    each made once for the whole review page."""

    def __init__(self) -> None:
        self.md = make_markdown()
        self.build = make_cleaner()
        self.inert = nh3.Cleaner(
            tags=set(TAGS),
            attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
            attribute_filter=_inert,
            link_rel=None,
        )
        self.original = _original_cleaner()

    def article(self, markdown: str) -> str:
        """Body HTML as `sitegen build` makes it (bodies.BodyStore.render), then inert."""
        body = to_html(self.md, markdown)
        if not made_plain(self.md):
            body = sanitize(body, self.build)
        return self.inert.clean(body)


def _detail_json(
    i: int, page: PageOutcome, renderer: _Renderer, budget: _Budget, text: str | None
) -> str:
    data = {
        "detail": _facts(page) + _sides(),
        "original": _original_doc(page, renderer, budget, text),
        "article": _article_doc(page, renderer),
    }
    return f'<script type="application/json" id="d{i}">{_json(data)}</script>\n'


def _json(data: object) -> str:
    """JSON that cannot end its <script> element ("</") or open a comment inside it ("<!--").
    Only those two: escaping every "<" would make pages of markup half as big again."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<!--", "\\u003c!--").replace("</", "<\\/")


def _facts(page: PageOutcome) -> str:
    result = page.result
    parts = [_found(page)]
    if result is not None:
        parts += [_doubts(result), _removed(result), _mojibake(result)]
    problems = (result.problems if result else ()) + page.problems
    if problems:
        items = "".join(f"<li>{_e(p)}</li>" for p in problems)
        parts.append(_section("problems", f"<ul>{items}</ul>"))
    return f'<div class="facts">{"".join(parts)}</div>'


def _section(label: str, body: str) -> str:
    return f"<section><h3>{_e(LABELS[label])}</h3>{body}</section>"


def _found(page: PageOutcome) -> str:
    result = page.result
    rows = [("page_title", _title(result))] + (_found_on_page(page, result) if result else [])
    rows += [
        ("aliases", old_url(page.origin) or ""),
        ("source_path", page.origin.as_posix()),
        ("output", page.output.as_posix() if page.output else ""),
    ]
    if result is not None and result.links:
        rows.append(("links", " ".join(result.links)))
    items = "".join(f"<dt>{_e(LABELS[k])}</dt><dd>{_e(v)}</dd>" for k, v in rows if v)
    return _section("found", f"<dl>{items}</dl>")


def _found_on_page(page: PageOutcome, result: ImportResult) -> list[tuple[str, str]]:
    meta = result.meta
    date_from = LABELS.get(f"date_from.{meta.date_from}", meta.date_from) if meta.date else ""
    return [
        ("subtitle", meta.subtitle),
        ("date", meta.date or LABELS["none"]),
        ("date_from", date_from or LABELS["none"]),
        ("source", meta.source),
        ("editor", meta.editor),
        ("author", meta.author),
        ("category", _category(page)),
        ("kind", LABELS.get(f"kind.{result.kind}", result.kind)),
        ("reason", result.reason),
        ("encoding", result.encoding),
    ]


def _category(page: PageOutcome) -> str:
    label = page.result.meta.category if page.result else ""
    if label and page.category:
        return f"{label} → {page.category}"
    return label or page.category


def _doubts(result: ImportResult) -> str:
    if not result.doubts:
        return _section("doubts", f"<p>{_e(LABELS['no_doubts'])}</p>")
    items = "".join(f"<li>{_e(DOUBTS[d][1] if d in DOUBTS else d)}</li>" for d in result.doubts)
    return _section("doubts", f'<ul class="doubts">{items}</ul>')


def _removed(result: ImportResult) -> str:
    if not result.removed:
        return _section("removed", f"<p>{_e(LABELS['removed_none'])}</p>")
    samples: dict[str, list[str]] = {}
    for kind, text in result.samples:
        samples.setdefault(kind, []).append(text)
    rows = "".join(
        f'<tr><td>{_e(LABELS.get(f"removed.{kind}", kind))}</td><td class="num">{number}</td>'
        f"<td>{'<br>'.join(_e(t) for t in samples.get(kind, []))}</td></tr>"
        for kind, number in result.removed
    )
    head = (f"<tr><th></th><th>{_e(LABELS['removed_count'])}</th>"
            f"<th>{_e(LABELS['removed_samples'])}</th></tr>")  # fmt: skip
    return _section("removed", f'<table class="removed">{head}{rows}</table>')


def _mojibake(result: ImportResult) -> str:
    if not result.mojibake:
        return ""
    head = "".join(
        f"<th>{_e(LABELS[k])}</th>"
        for k in ("mojibake_line", "mojibake_original", "mojibake_repair", "mojibake_lost")
    )
    rows = "".join(
        f'<tr><td class="num">{_e(run.line or "")}</td><td>{_e(run.original)}</td>'
        f'<td>{_e(run.repair)}</td><td class="num">{run.unrecovered}</td></tr>'
        for run in result.mojibake
    )
    return _section("mojibake", f'<table class="mojibake"><tr>{head}</tr>{rows}</table>')


def _sides() -> str:
    """Two empty sandboxed frames; the script fills their srcdoc when the row is opened.
    `sandbox` with no tokens: no scripts, no forms, no popups, no navigating this page."""
    frames = "".join(
        f"<figure><figcaption>{_e(LABELS[name])}</figcaption>"
        f'<iframe class="{name}" sandbox="" referrerpolicy="no-referrer" '
        f'title="{_e(LABELS[name])}"></iframe></figure>'
        for name in ("original", "imported")
    )
    return f'<div class="sides">{frames}</div>'


# --- the two documents shown side by side -------------------------------------------------------

_ORIGINAL_CSS: Final = (
    "body{font:14px/1.5 sans-serif;margin:8px;color:#222}"
    "img{display:inline-block;min-width:3em;min-height:1.5em;outline:1px dashed #999}"
    "a{color:#1a4fa0;text-decoration:underline}"
    ".capped{background:#fff3cd;padding:.5em;border:1px solid #e0c36a}"
)
_ARTICLE_CSS: Final = (
    "body{margin:0;background:#fff;color:#1a1a1a;font:17px/1.9 'Noto Serif CJK TC',"
    "'Songti TC',serif}"
    "article{max-width:38em;margin:0 auto;padding:1.5em 1.2em}"
    "h1{font-size:1.6em;line-height:1.4;margin:0 0 .4em}"
    ".subtitle{font-size:1.1em;color:#444;margin:0 0 .6em}"
    ".meta{color:#666;font-size:.85em;border-bottom:1px solid #ddd;padding-bottom:.6em}"
    ".meta span+span{margin-left:1.2em}"
    "img{display:inline-block;min-width:4em;min-height:2em;outline:1px dashed #aaa}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em}"
    "a{color:#1a4fa0}.editor{color:#666;font-size:.85em;text-align:right}"
    ".draft{color:#8a5a00}"
)


def _frame_head(css: str) -> str:
    return f'<!doctype html><html lang="zh-Hant"><head><meta charset="utf-8"><style>{css}</style>'


def _original_doc(page: PageOutcome, renderer: _Renderer, budget: _Budget, text: str | None) -> str:
    """The body of the original's frame (its head, once for all pages, is in the page)."""
    if text is None:
        return _note(LABELS["no_original"] + " " + page.origin.as_posix())
    body = renderer.original.clean(text)
    note = ""
    if len(body) > ORIGINAL_CAP:
        # Cut, then clean again so the cut closes every open tag.
        body = renderer.original.clean(body[:ORIGINAL_CAP])
        note = (
            f'<p class="capped">{_e(LABELS["original_capped"].format(kb=ORIGINAL_CAP // 1000))}</p>'
        )
    if not budget.take(len(body.encode("utf-8"))):
        return _note(LABELS["original_budget"].format(path=page.origin.as_posix()))
    return f"<body>{note}{body}</body>"


def _article_doc(page: PageOutcome, renderer: _Renderer) -> str:
    result = page.result
    if result is None or page.output is None:
        reason = f"：{result.reason}" if result is not None and result.reason else ""
        return _note(LABELS["not_imported"] + reason)
    meta = result.meta
    line = [(LABELS["date"], meta.date or ""), (LABELS["source"], meta.source),
            (LABELS["author"], meta.author)]  # fmt: skip
    spans = "".join(f"<span>{_e(k)}：{_e(v)}</span>" for k, v in line if v)
    draft = f'<p class="draft">{_e(LABELS["draft"])}</p>' if page.review else ""
    subtitle = f'<p class="subtitle">{_e(meta.subtitle)}</p>' if meta.subtitle else ""
    editor = (
        f'<p class="editor">{_e(LABELS["editor"])}：{_e(meta.editor)}</p>' if meta.editor else ""
    )
    return (
        f"<body><article>{draft}"
        f'<h1>{_e(_title(result))}</h1>{subtitle}<p class="meta">{spans}</p>'
        f'<div class="body">{renderer.article(result.markdown)}</div>{editor}</article>'
        "</body>"
    )


def _note(text: str) -> str:
    return f"<body><p>{_e(text)}</p></body>"


# Tags of old pages worth seeing as they were laid out; everything else is unwrapped (its
# text kept) or, for the DROP list, removed with its content.
_ORIGINAL_TAGS: Final = frozenset(
    {
        *("a", "abbr", "b", "big", "blockquote", "br", "caption", "center", "cite", "code"),
        *("col", "colgroup", "dd", "del", "div", "dl", "dt", "em", "font", "hr", "i", "ins"),
        *("kbd", "li", "ol", "p", "pre", "q", "s", "small", "span", "strike", "strong"),
        *("sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u"),
        *("ul", "img", "figure", "figcaption", "section", "article", "header", "footer"),
        *("nav", "aside", "main", "h1", "h2", "h3", "h4", "h5", "h6", "address", "label"),
    }
)
_ORIGINAL_DROP: Final = frozenset(
    {"script", "style", "noscript", "template", "iframe", "object", "svg", "math", "title",
     "textarea", "select", "option", "frameset", "noframes", "applet"}
)  # fmt: skip
# Layout attributes only: none of these can load anything (no `background`, `src`, `data`).
_ORIGINAL_ATTRIBUTES: Final = frozenset(
    {"align", "valign", "width", "height", "colspan", "rowspan", "bgcolor", "color", "size",
     "face", "border", "cellpadding", "cellspacing", "title", "lang", "dir", "style", "hidden"}
)  # fmt: skip
# A style that could fetch (url(), image-set(), @import) or run (expression, behavior) is
# dropped whole; escapes and comments could hide those words, so they drop it too.
_RISKY_STYLE: Final = ("url(", "image-set", "@import", "expression", "behavior", "binding",
                       "\\", "/*", "javascript:")  # fmt: skip


def _original_cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(_ORIGINAL_TAGS),
        clean_content_tags=set(_ORIGINAL_DROP),
        attributes={"*": set(_ORIGINAL_ATTRIBUTES), "a": {"href"}, "img": {"alt"}},
        attribute_filter=_inert,
        link_rel=None,
        strip_comments=True,
    )


def _inert(tag: str, name: str, value: str) -> str | None:
    """Nothing loads, nothing navigates: sources go, links become fragments that still say
    where they led, and styles that could fetch go."""
    if name in ("src", "srcset"):
        return None
    if name == "href":
        return value if value.startswith("#") else "#" + value
    if name == "style":
        lowered = "".join(value.lower().split())
        return None if any(word in lowered for word in _RISKY_STYLE) else value
    return value


# --- the page around it -------------------------------------------------------------------------

_CSS: Final = """
body{font:14px/1.5 system-ui,'Noto Sans CJK TC',sans-serif;margin:0;color:#1a1a1a}
header,main{padding:0 1.2em}h1{font-size:1.4em;margin:.6em 0 .2em}
.counts{display:flex;flex-wrap:wrap;gap:.4em 1.4em;margin:.4em 0;padding:0;list-style:none}
.counts b{font-size:1.15em}.filters{display:flex;flex-wrap:wrap;gap:.6em 1.2em;margin:.8em 0}
table.pages{border-collapse:collapse;width:100%}
.pages th,.pages td{border-bottom:1px solid #e3e3e3;padding:.3em .5em;text-align:left;
vertical-align:top}
.pages thead th{position:sticky;top:0;background:#f6f6f6}.num{text-align:right}
button.open{all:unset;cursor:pointer;color:#1a4fa0;text-decoration:underline}
button.open:focus-visible{outline:2px solid #1a4fa0}
.badge{white-space:nowrap;padding:0 .4em;border-radius:.3em}
.badge.failed{background:#f8d7da}.badge.review{background:#fff3cd}
.badge.imported{background:#d4edda}.badge.skipped{background:#e9ecef}
tr.detail>td{background:#fafafa;padding:.8em}
.facts{display:flex;flex-wrap:wrap;gap:1em 2em}.facts section{min-width:16em;max-width:40em}
.facts h3{font-size:1em;margin:.2em 0}.facts dl{display:grid;grid-template-columns:auto 1fr;
gap:.1em .8em;margin:0}.facts dt{color:#555}.facts dd{margin:0;word-break:break-all}
.facts table{border-collapse:collapse}.facts td,.facts th{border:1px solid #ddd;padding:.1em .4em}
.doubts li{color:#8a3b00}.note{color:#666;font-size:.9em}
.sides{display:grid;grid-template-columns:1fr 1fr;gap:1em;margin-top:1em}
.sides figure{margin:0}.sides figcaption{font-weight:bold;margin-bottom:.3em}
.sides iframe{width:100%;height:70vh;border:1px solid #bbb;background:#fff}
"""

# Filters hide rows; opening a row parses its JSON block and moves strings escaped in Python
# into the page. Nothing here builds markup from page values itself.
_SCRIPT: Final = """
(() => {
  const rows = Array.from(document.querySelectorAll("tr.page"));
  const status = document.getElementById("f-status");
  const category = document.getElementById("f-category");
  const text = document.getElementById("f-text");
  const shown = document.getElementById("shown");
  const heads = JSON.parse(document.getElementById("heads").textContent);
  function apply() {
    const s = status.value, c = category.value, q = text.value.trim().toLowerCase();
    let n = 0;
    for (const row of rows) {
      const ok = (!s || row.dataset.group === s) && (!c || row.dataset.category === c) &&
        (!q || row.dataset.text.includes(q));
      row.hidden = !ok;
      const next = row.nextElementSibling;
      if (next && next.classList.contains("detail")) next.hidden = !ok;
      if (ok) n += 1;
    }
    shown.textContent = String(n);
  }
  function toggle(row, button) {
    const next = row.nextElementSibling;
    if (next && next.classList.contains("detail")) {
      next.remove();
      button.setAttribute("aria-expanded", "false");
      return;
    }
    const data = JSON.parse(document.getElementById("d" + row.dataset.i).textContent);
    const detail = document.createElement("tr");
    detail.className = "detail";
    const cell = document.createElement("td");
    cell.colSpan = row.cells.length;
    cell.innerHTML = data.detail;
    cell.querySelector("iframe.original").srcdoc = heads.original + data.original;
    cell.querySelector("iframe.imported").srcdoc = heads.article + data.article;
    detail.append(cell);
    row.after(detail);
    button.setAttribute("aria-expanded", "true");
  }
  for (const input of [status, category]) input.addEventListener("change", apply);
  text.addEventListener("input", apply);
  document.querySelector("table.pages tbody").addEventListener("click", (event) => {
    const button = event.target.closest("button.open");
    if (button) toggle(button.closest("tr"), button);
  });
  for (const control of document.querySelectorAll(".filters [hidden]")) control.hidden = false;
  apply();
})();
"""


def _heads() -> str:
    """The frames' heads, once: each page's JSON holds only the body to put after one."""
    heads = {"original": _frame_head(_ORIGINAL_CSS), "article": _frame_head(_ARTICLE_CSS)}
    return f'<script type="application/json" id="heads">{_json(heads)}</script>\n'


def _csp() -> str:
    """Only this page's own script runs; nothing is fetched from anywhere (images: data: only;
    frames: the srcdoc ones, which inherit this policy)."""
    digest = base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode()
    return (
        f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


def _counts(report: TreeReport) -> str:
    statuses = Counter(p.status for p in report.pages)
    kinds = Counter(p.result.kind for p in report.pages if p.status == "skipped" and p.result)
    runs = sum(len(p.result.mojibake) for p in report.pages if p.result)
    items = [(LABELS["pages"], len(report.pages))]
    items += [(LABELS.get(f"status.{s}", s), n) for s, n in sorted(statuses.items())]
    items.append((LABELS["needs_review"], report.needs_review))
    items += [
        (f"{LABELS['skipped_by_kind']}：{LABELS.get(f'kind.{k}', k)}", n)
        for k, n in sorted(kinds.items())
    ]
    items.append((LABELS["mojibake_runs"], runs))
    lis = "".join(f"<li>{_e(label)} <b>{n}</b></li>" for label, n in items)
    return f'<ul class="counts">{lis}</ul>'


def _filters(report: TreeReport, names: Mapping[str, str]) -> str:
    groups = Counter(_group(p) for p in report.pages)
    status = "".join(
        f'<option value="{g}">{_e(LABELS[f"group.{g}"])} ({groups[g]})</option>'
        for g in _GROUP_ORDER
        if groups[g]
    )
    slugs = sorted({p.category for p in report.pages if p.category})
    category = "".join(f'<option value="{_e(s)}">{_e(names.get(s, s))}</option>' for s in slugs)
    everything = f'<option value="">{_e(LABELS["all"])}</option>'
    return (
        '<div class="filters">'
        f'<label hidden>{_e(LABELS["filter_status"])} <select id="f-status">{everything}'
        f"{status}</select></label>"
        f'<label hidden>{_e(LABELS["filter_category"])} <select id="f-category">{everything}'
        f"{category}</select></label>"
        f'<label hidden>{_e(LABELS["filter_text"])} <input id="f-text" type="search"></label>'
        f'<span>{_e(LABELS["shown"])} <b id="shown">{len(report.pages)}</b> / '
        f"{len(report.pages)}</span></div>"
    )


def _document(report: TreeReport, names: Mapping[str, str], rows: str, details: str) -> str:
    heads = "".join(
        f"<th>{_e(LABELS[k])}</th>"
        for k in ("confidence", "status", "page_title", "category", "source_path", "output")
    )
    return (
        '<!doctype html>\n<html lang="zh-Hant"><head><meta charset="utf-8">\n'
        f"{REVIEW_MARK}\n"
        f'<meta http-equiv="Content-Security-Policy" content="{_csp()}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(LABELS['title'])}</title><style>{_CSS}</style></head>\n<body>"
        f"<header><h1>{_e(LABELS['title'])}</h1>{_counts(report)}"
        f'<p class="note">{_e(LABELS["intro"])}</p>'
        f"<noscript><p>{_e(LABELS['noscript'])}</p></noscript>{_filters(report, names)}</header>\n"
        f'<main><table class="pages"><thead><tr>{heads}</tr></thead><tbody>\n{rows}'
        f"</tbody></table></main>\n{_heads()}{details}<script>{_SCRIPT}</script>\n</body></html>\n"
    )
