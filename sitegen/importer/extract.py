"""A cleaned tree -> title, metadata, category label and the body blocks of one article.

Every block is judged by its words and its links (jusText and trafilatura do the same), then
the body is the run of blocks with the most article text between the metadata line and the
editor credit, found as a maximum-sum run so that one injected spam block in the middle of
the body neither ends it nor survives.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup

from sitegen.importer.blocks import Block, blocks_of, collapse
from sitegen.importer.charmodel import CharModel, Script, is_cjk
from sitegen.importer.metadata import crumb_items, find_date, labelled_fields
from sitegen.importer.rules import Rules
from sitegen.problems import Problem

_SENTENCE = re.compile(r"[。！？；，,.!?;]")
_LIST_SPLIT = re.compile(r"[,，、|｜/\s]+")
_REDIRECT = re.compile(
    r"http-equiv\s*=\s*[\"']?refresh[^>]*url\s*=|location\.(?:href|replace)\s*[=(]", re.I
)
_ERROR = re.compile(
    r"404|Not Found|頁面不存在|页面不存在|找不到|出錯|出错|錯誤頁|错误页|已刪除|已删除"
)
_DATE_START = re.compile(r"\s(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}")
_TITLE_TAIL = re.compile(r"\s*(?:[-_|｜—]+\s*[^-_|｜—]*)$")
_ATTACHMENT = re.compile(
    r"href=\"[^\"]+\.(?:docx?|xlsx?|pptx?|pdf|zip|rar|7z|wps|et|txt|jpg|png)\"", re.I
)
# <title>s that name no article: editors' tools and empty templates.
_GENERIC_TITLE = re.compile(
    r"\s*(?:Microsoft Word.*|無標題文檔|无标题文档|未命名.*|新建網頁.*|新建网页.*|Untitled.*|"
    r"Document|index|首頁|首页|網站首頁|网站首页)?\s*",
    re.I,
)
GOOD_MIN = 40  # characters: shorter blocks are judged by their neighbours (jusText's "short")


@dataclass(frozen=True, slots=True)
class Metadata:
    title: str = ""
    subtitle: str = ""
    date: str | None = None
    source: str = ""
    editor: str = ""
    author: str = ""
    category: str = ""  # the breadcrumb's label, e.g. 法律維權
    # Where the date was read: metadata-line, title-line, meta-tag or url ("" without one).
    date_from: str = ""


@dataclass(frozen=True, slots=True)
class Extracted:
    kind: str  # article | list | redirect | error | empty
    reason: str
    meta: Metadata
    body: tuple[Block, ...]
    removed: tuple[tuple[str, int], ...]
    problems: tuple[Problem, ...]
    spam_in_body: int = 0  # spam blocks removed from between the body's own blocks


@dataclass(frozen=True, slots=True)
class _Judged:
    block: Block
    label: str  # good short table image meta crumb chrome nav spam end


def extract(
    soup: BeautifulSoup, raw_text: str, origin: Path, rules: Rules, model: CharModel
) -> Extracted:
    page_title = _page_title(soup)
    blocks = blocks_of(soup)
    script = model.guess_script(" ".join(b.text for b in blocks))
    judged = [_Judged(b, _judge(b, rules, model, script)) for b in blocks]
    meta_at = next(
        (i for i, j in enumerate(judged) if j.label == "meta" and _has_date(j, rules)), None
    )
    meta_at = meta_at if meta_at is not None else _first(judged, "meta")
    title_at = _title_index(judged, meta_at, page_title)
    start, stop = _body_range(judged, meta_at, title_at)
    kept, removed, problems = _keep(judged, start, stop, origin)
    title, tail = _split_title(judged[title_at].block.text if title_at is not None else "", rules)
    fields = _fields(judged, meta_at, rules)
    for kind, value in labelled_fields(tail, rules).items():
        fields[kind] = fields.get(kind) or value
    fields["date"] = fields.get("date") or find_date(tail) or ""
    near = None if fields.get("date") else _date_near(judged, title_at)
    meta = Metadata(
        title=title or page_title,
        subtitle=_subtitle(judged, title_at, meta_at),
        date=fields.get("date") or near,
        date_from="metadata-line" if fields.get("date") else ("title-line" if near else ""),
        source=fields.get("source", ""),
        editor=fields.get("editor", ""),
        author=fields.get("author", ""),
        category=_category(judged, rules),
    )
    kept = _without_repeated_title(kept, meta.title)
    kind, reason = _classify(judged, kept, raw_text, page_title)
    spam = sum(1 for j in judged[start:stop] if j.label == "spam")
    return Extracted(kind, reason, meta, tuple(kept), removed, tuple(problems), spam)


def _split_title(text: str, rules: Rules) -> tuple[str, str]:
    """A title line and the metadata written after it on the same line (PHPCMS puts
    发布时间/来源/点击 inside the <h1> after a <br>): (title, the rest)."""
    label = rules.label.search(text)
    date = _DATE_START.search(text)
    cuts = [m.start() for m in (label, date) if m is not None and m.start() >= 4]
    if not cuts:
        return text, ""
    cut = min(cuts)
    return text[:cut].strip(" |｜　"), text[cut:]


def _without_repeated_title(kept: list[Block], title: str) -> list[Block]:
    # CMS editors often paste the headline again as the body's first line (TRS-style pages);
    # the article page shows the title already, so a first block equal to it is dropped.
    squeeze = "".join
    if kept and title and squeeze(kept[0].text.split()) == squeeze(title.split()):
        return kept[1:]
    return kept


def _page_title(soup: BeautifulSoup) -> str:
    tag = soup.find("title")
    text = collapse(tag.get_text()) if tag else ""
    for head in soup.find_all(["title", "head"]):
        head.decompose()
    text = _TITLE_TAIL.sub("", text) or text
    return "" if _GENERIC_TITLE.fullmatch(text) else text


def _judge(block: Block, rules: Rules, model: CharModel, script: Script) -> str:
    text = block.text
    if block.kind == "table":
        return "nav" if block.link_density > 0.5 else "table"
    if not any(is_cjk(c) or c.isalpha() for c in text):
        # list numbering left from a text dump ("2.") or a lone separator
        return "image" if block.has_image else ("chrome" if len(text) < 12 else "short")
    if any(p.search(text) for p in rules.end_markers):
        return "end"
    if len(text) < 160 and rules.label.search(text) and _mostly_fields(text, rules):
        return "meta"
    if len(text) < 120 and rules.breadcrumb.match(text):
        return "crumb"
    if _is_spam(block, rules, model, script):
        return "spam"
    if len(text) < 120 and any(p.search(text) for p in rules.chrome_lines):
        return "chrome"
    if _chrome_share(text, rules) > 0.6:
        return "chrome"
    if (
        block.links
        and not _ATTACHMENT.search(str(block.nodes))
        and (block.link_density > 0.5 or (block.links >= 3 and block.link_density > 0.3))
    ):
        return "nav"
    if len(text) >= GOOD_MIN and _SENTENCE.search(text):
        return "good"
    return "short"


def _mostly_fields(text: str, rules: Rules) -> bool:
    """A metadata line is labels and short values, not a sentence that mentions 時間:."""
    first = rules.label.search(text)
    return first is not None and first.start() < 12 and text.count("。") == 0


def _chrome_share(text: str, rules: Rules) -> float:
    if len(text) > 80:
        return 0.0
    letters = [c for c in text if c.isalnum()]
    rest = [c for c in rules.chrome_words.sub("", text) if c.isalnum()]
    return 1 - len(rest) / len(letters) if letters else 1.0


def _is_spam(block: Block, rules: Rules, model: CharModel, script: Script) -> bool:
    """Spam by content: spam words in a keyword list, or many of them, or a link farm."""
    text = block.text
    hits = len(set(rules.spam_words.findall(text)))
    items = [i for i in _LIST_SPLIT.split(text) if i]
    keyword_list = len(items) >= 3 and len(text) / len(items) <= 16 and "。" not in text
    foreign = sum(1 for c in text if model.is_other_script(c, script))
    if hits >= 3 or (hits >= 1 and keyword_list) or (hits >= 2 and "。" not in text):
        return True
    # a keyword block in the other script pasted into the page (simplified spam on a Big5 site)
    return keyword_list and hits >= 1 and foreign * 4 > len(text)


def _has_date(judged: _Judged, rules: Rules) -> bool:
    return bool(labelled_fields(judged.block.text, rules).get("date"))


def _first(judged: list[_Judged], label: str) -> int | None:
    return next((i for i, j in enumerate(judged) if j.label == label), None)


def _title_index(judged: list[_Judged], meta_at: int | None, page_title: str) -> int | None:
    """The line that names the article, scored among the lines above the metadata line
    (or above the body when there is none): a heading, a bold line, the line just above
    the date, a line the <title> holds. A <title> alone decides nothing: sites put their
    own name there, or "Microsoft Word", or spam."""
    limit = meta_at if meta_at is not None else _first(judged, "good")
    limit = len(judged) if limit is None else limit
    best, best_score = None, 1
    for i in range(max(0, limit - 12), limit):
        score = _title_score(judged[i], i, meta_at, page_title)
        if score >= best_score:  # ties: the later line, nearer the body
            best, best_score = i, score
    return best


def _title_score(j: _Judged, at: int, meta_at: int | None, page_title: str) -> int:
    text = j.block.text
    if j.label not in ("short", "good") or not 2 <= len(text) <= 120 or text.endswith("。"):
        return 0
    score = {"h1": 4, "h2": 3, "h3": 2}.get(j.block.kind, 0)
    score += 2 if _all_bold(j.block) else 0
    if page_title and len(text) >= 6 and (text in page_title or page_title in text):
        score += 3
    if meta_at is not None and 0 < meta_at - at <= 2:
        score += 2 if meta_at - at == 1 else 1
    return score


def _all_bold(block: Block) -> bool:
    nodes = [n for n in block.nodes if not (isinstance(n, str) and not n.strip())]
    if len(nodes) == 1 and getattr(nodes[0], "name", None) in ("p", "div", "center", "font"):
        nodes = [n for n in nodes[0].contents if not (isinstance(n, str) and not n.strip())]
    return len(nodes) == 1 and getattr(nodes[0], "name", None) in ("strong", "b")


def _body_range(
    judged: list[_Judged], meta_at: int | None, title_at: int | None
) -> tuple[int, int]:
    """[start, stop) of the body: the maximum-sum run of article text after the metadata line."""
    lower = max(x for x in (meta_at, title_at, -1) if x is not None) + 1
    stop = next((i for i in range(lower, len(judged)) if judged[i].label == "end"), len(judged))
    if meta_at is not None and title_at is not None and meta_at > title_at:
        before = _good_chars(judged[title_at + 1 : meta_at])
        if before > _good_chars(judged[lower:stop]):  # the date line sits under the body
            lower, stop = title_at + 1, meta_at
    start, end = _best_run(judged, lower, stop)
    while start > lower and judged[start - 1].label in ("short", "image", "table"):
        start -= 1
    # spam injected after the last paragraph must not cut off the lines below it
    probe = end
    while probe < stop and judged[probe].label in ("short", "image", "table", "spam", "nav"):
        probe += 1
        if judged[probe - 1].label in ("short", "image", "table"):
            end = probe
    return start, end


def _good_chars(judged: list[_Judged]) -> int:
    return sum(len(j.block.text) for j in judged if j.label == "good")


def _best_run(judged: list[_Judged], lower: int, stop: int) -> tuple[int, int]:
    weights = {"good": None, "table": None, "short": 0, "image": 0}
    best, best_range, total, begin = 0, (lower, lower), 0, lower
    for i in range(lower, stop):
        j = judged[i]
        weight = weights.get(j.label, -max(30, len(j.block.text)))
        weight = len(j.block.text) if weight is None else weight
        if total <= 0 and weight > 0:
            total, begin = 0, i
        total += weight
        if total > best:
            best, best_range = total, (begin, i + 1)
    return best_range


def _keep(
    judged: list[_Judged], start: int, stop: int, origin: Path
) -> tuple[list[Block], tuple[tuple[str, int], ...], list[Problem]]:
    kept: list[Block] = []
    removed: Counter[str] = Counter()
    problems: list[Problem] = []
    names = {"nav": "links", "meta": "metadata", "crumb": "chrome", "end": "chrome"}
    for i, j in enumerate(judged):
        if start <= i < stop and j.label in ("good", "short", "table", "image"):
            kept.append(j.block)
        elif start <= i < stop or j.label in ("spam", "chrome", "nav"):
            removed[names.get(j.label, j.label)] += 1
        else:
            removed["boilerplate"] += 1
    credit = next((i for i in range(stop, len(judged)) if judged[i].label == "end"), None)
    for j in judged[credit + 1 :] if credit is not None else ():
        if j.label == "good":
            problems.append(
                Problem(
                    origin,
                    f"text after the editor credit left out: {j.block.text[:40]!r}",
                    j.block.line,
                    "warning",
                )
            )
    return kept, tuple(sorted(removed.items())), problems


def _fields(judged: list[_Judged], meta_at: int | None, rules: Rules) -> dict[str, str]:
    found: dict[str, str] = {}
    order = ([meta_at] if meta_at is not None else []) + list(range(len(judged)))
    for i in order:
        if judged[i].label in ("meta", "end"):
            for kind, value in labelled_fields(judged[i].block.text, rules).items():
                if value and not found.get(kind):
                    found[kind] = value
    return found


def _date_near(judged: list[_Judged], title_at: int | None) -> str | None:
    """A date line without a label, just below or above the title."""
    if title_at is None:
        return None
    for j in judged[max(title_at - 2, 0) : title_at + 4]:
        if len(j.block.text) < 60:
            found = find_date(j.block.text)
            if found:
                return found
    return None


def _subtitle(judged: list[_Judged], title_at: int | None, meta_at: int | None) -> str:
    """A short line between the title and the metadata line (副標題), if the page has one."""
    if title_at is None or meta_at is None or meta_at - title_at != 2:
        return ""
    j = judged[title_at + 1]
    return j.block.text if j.label == "short" and len(j.block.text) <= 80 else ""


def _category(judged: list[_Judged], rules: Rules) -> str:
    at = _first(judged, "crumb")
    if at is None:
        return ""
    items = crumb_items(judged[at].block.text, rules)
    if not items and at + 1 < len(judged) and len(judged[at + 1].block.text) <= 40:
        items = crumb_items(judged[at + 1].block.text, rules)  # seed: the label has its own line
    return items[-1] if items else ""


def _classify(
    judged: list[_Judged], kept: list[Block], raw_text: str, page_title: str
) -> tuple[str, str]:
    body_chars = sum(1 for b in kept for c in b.text if is_cjk(c) or c.isalnum())
    if _REDIRECT.search(raw_text[:8192]) and body_chars < 200:
        return "redirect", "the page only redirects elsewhere"
    if _ERROR.search(page_title) and body_chars < 300:
        return "error", f"error page: {page_title!r}"
    items = sum(1 for j in judged if j.block.link_density > 0.5 and j.block.links)
    items += sum(
        len(j.block.nodes[0].find_all("li"))
        for j in judged
        if j.label == "nav" and j.block.kind in ("ul", "ol")
    )
    good = sum(len(b.text) for b in kept if len(b.text) >= GOOD_MIN)
    # A short news item in a link-heavy template is still an article when it carries its own
    # metadata line (時間/來源/作者); a list page's dated items are many, not one or two.
    meta_lines = sum(1 for j in judged if j.label == "meta")
    short_article = 1 <= meta_lines <= 2 and good >= GOOD_MIN
    if items >= 5 and good < 150 and not short_article:
        return "list", f"a list page: {items} link lines and little text of its own"
    if body_chars < 20 and not any(b.has_image for b in kept):
        return "empty", "no article text found"
    return "article", ""
