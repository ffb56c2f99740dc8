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

from bs4 import BeautifulSoup, Tag

from sitegen.importer.blocks import Block, blocks_of, collapse
from sitegen.importer.charmodel import CharModel, Script, is_cjk
from sitegen.importer.metadata import crumb_items, find_date, labelled_fields
from sitegen.importer.rules import Rules
from sitegen.importer.scripts import is_attachment
from sitegen.problems import Problem

_SENTENCE = re.compile(r"[。！？；，,.!?;]")
_LIST_SPLIT = re.compile(r"[,，、|｜/\s]+")
_REDIRECT = re.compile(
    r"http-equiv\s*=\s*[\"']?refresh[^>]*url\s*=|location\.(?:href|replace)\s*[=(]", re.I
)
_ERROR = re.compile(
    r"404|Not Found|頁面不存在|页面不存在|找不到|出錯|出错|錯誤頁|错误页|已刪除|已删除"
)
_DATE_LEAD = re.compile(
    r"\s*(?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"
)
_DATE_START = re.compile(r"\s(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}")
_TITLE_TAIL = re.compile(r"\s*(?:[-_|｜—]+\s*[^-_|｜—]*)$")
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
    samples: tuple[tuple[str, str], ...] = ()  # (kind, text) of removed blocks


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
    samples = tuple(  # what an editor checks first: the spam, chrome and links it cut
        (_REMOVED_KIND.get(j.label, j.label), j.block.text)
        for j in judged
        if j.label in ("spam", "chrome", "nav", "crumb")
    )
    title, tail = _split_title(_title_text(judged, title_at), rules)
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
        author=fields.get("author")
        or _marked_author(judged, title_at, rules)
        or _dash_byline(judged, title_at),
        category=_category(judged, rules) or _column(soup, rules),
    )
    kept = _without_repeated_title(kept, meta.title)
    if kept and meta.subtitle and kept[0].text == meta.subtitle:
        kept = kept[1:]  # the subtitle opened the body (DedeCMS): it is shown once, above
    kind, reason = _classify(judged, kept, raw_text, page_title)
    spam = sum(1 for j in judged[start:stop] if j.label == "spam")
    return Extracted(kind, reason, meta, tuple(kept), removed, tuple(problems), spam, samples)


def _title_text(judged: list[_Judged], title_at: int | None) -> str:
    """The title line's text, with the line above it when a text dump wrapped the title
    in two (市总工会召开2017年全市工会 / 经费审查工作会议): the upper line is the longer,
    the lines are next to each other, and neither reads as a sentence."""
    if title_at is None:
        return ""
    text = judged[title_at].block.text
    if title_at == 0:
        return text
    upper, lower = judged[title_at - 1].block, judged[title_at].block
    dump = all(_dump_line(b) for b in (upper, lower))
    if (dump and judged[title_at - 1].label == "short" and upper.line is not None
            and lower.line == upper.line + 1 and 8 <= len(upper.text) <= 40
            and len(upper.text) >= len(text) and not _SENTENCE.search(upper.text)):  # fmt: skip
        return upper.text + text
    return text


def _dump_line(block: Block) -> bool:
    return any(isinstance(n, Tag) and n.has_attr("data-line") for n in block.nodes) or any(
        isinstance(n, Tag) and n.parent is not None and n.parent.has_attr("data-line")
        for n in block.nodes
    )


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
        and not _links_a_file(block)
        and (block.link_density > 0.5 or (block.links >= 3 and block.link_density > 0.3))
    ):
        return "nav"
    if len(text) >= GOOD_MIN and _SENTENCE.search(text):
        return "good"
    return "short"


def _links_a_file(block: Block) -> bool:
    """A line of attachment links (附件：名单.xls) is content, however link-dense."""
    return any(
        is_attachment(str(a.get("href", "")))
        for node in block.nodes
        if isinstance(node, Tag)
        for a in ([node] if node.name == "a" else node.find_all("a"))
    )


def _mostly_fields(text: str, rules: Rules) -> bool:
    """A metadata line is labels and short values, not a sentence that mentions 時間:."""
    first = rules.label.search(text)
    lead = _DATE_LEAD.match(text)  # Discuz: 2012-3-8 14:20| 發佈者: admin| 查看: 1234|…
    start = first.start() - (lead.end() if lead else 0) if first else 99
    return start < 12 and text.count("。") == 0


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
    score += 3 if _marked(j.block, _TITLE_MARKS) else 0
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


_REMOVED_KIND = {"nav": "links", "meta": "metadata", "crumb": "chrome", "end": "chrome"}


def _keep(
    judged: list[_Judged], start: int, stop: int, origin: Path
) -> tuple[list[Block], tuple[tuple[str, int], ...], list[Problem]]:
    kept: list[Block] = []
    removed: Counter[str] = Counter()
    problems: list[Problem] = []
    names = _REMOVED_KIND
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
    """A short line under the title (副標題): marked as one, written as ——记…, or alone
    between the title and the metadata line; a ——记… line may also open the body."""
    if title_at is None:
        return ""
    stop = meta_at if meta_at is not None and meta_at > title_at else title_at + 3
    places = list(range(title_at + 1, min(stop, title_at + 3, len(judged))))
    if meta_at is not None and meta_at > title_at and meta_at + 1 < len(judged):
        places.append(meta_at + 1)
    for at in places:
        j = judged[at]
        text = j.block.text
        if j.label != "short" or len(text) > 80:
            continue
        if _is_dash_subtitle(text) or _marked(j.block, _SUBTITLE_MARKS):
            return text
        if at < stop and meta_at is not None and meta_at - title_at == 2:
            return text if not text.startswith(_SUBTITLE_DASHES) else ""
    return ""


def _is_dash_subtitle(text: str) -> bool:
    """——记… ——…侧记 are subtitles; a short ——红星机械厂工会 under the title is a byline."""
    if not text.startswith(_SUBTITLE_DASHES):
        return False
    rest = text.lstrip("".join(_SUBTITLE_DASHES) + " ")
    return bool(_SUBTITLE_WORDS.search(rest)) or len(rest) > 14


def _dash_byline(judged: list[_Judged], title_at: int | None) -> str:
    """The organisation or person a ——name line under the title credits."""
    if title_at is None or title_at + 1 >= len(judged):
        return ""
    text = judged[title_at + 1].block.text
    if not text.startswith(_SUBTITLE_DASHES) or _is_dash_subtitle(text):
        return ""
    return text.lstrip("".join(_SUBTITLE_DASHES) + " ")


_SUBTITLE_WORDS = re.compile(
    r"^[记記访訪]|侧记|側記|纪实|紀實|写在|寫在|述评|述評|综述|綜述|特写|特寫"
)


def _marked(block: Block, marks: frozenset[str]) -> bool:
    """Whether the block's element, an element in it, or its parent is named or classed as
    one of `marks` (CMS templates name their parts: <founder-title>, class="subtitle")."""
    for node in block.nodes:
        if not isinstance(node, Tag):
            continue
        for tag in (node, node.parent, *node.find_all(True)):
            if isinstance(tag, Tag) and _marks_of(tag) & marks:
                return True
    return False


def _marks_of(tag: Tag) -> set[str]:
    classes = tag.get("class") or []
    return {tag.name.lower(), str(tag.get("id", "")).lower(), *(c.lower() for c in classes)}


_SUBTITLE_DASHES = ("——", "─", "--", "—")
_SUBTITLE_MARKS = frozenset({"subtitle", "sub-title", "sub_title", "fbt", "futi", "vicetitle",
                             "founder-subtitle", "article-subtitle", "subhead"})  # fmt: skip
_TITLE_MARKS = frozenset({"title", "biaoti", "art_title", "article-title", "articletitle",
                          "founder-title", "news_title", "newstitle", "detail-title", "tit",
                          "content-title", "arttitle"})  # fmt: skip
_AUTHOR_MARKS = frozenset({"author", "founder-author", "zuozhe", "art_author", "article-author"})


def _marked_author(judged: list[_Judged], title_at: int | None, rules: Rules) -> str:
    """A byline the template marks as one (<founder-author>本报记者 钱培坚</…>)."""
    if title_at is None:
        return ""
    for j in judged[title_at + 1 : title_at + 4]:
        if j.label == "short" and len(j.block.text) <= 30 and _marked(j.block, _AUTHOR_MARKS):
            return labelled_fields("作者：" + j.block.text, rules).get("author", "")
    return ""


def _category(judged: list[_Judged], rules: Rules) -> str:
    at = _first(judged, "crumb")
    if at is None:
        return ""
    items = crumb_items(judged[at].block.text, rules)
    if not items and at + 1 < len(judged) and len(judged[at + 1].block.text) <= 40:
        items = crumb_items(judged[at + 1].block.text, rules)  # seed: the label has its own line
    return items[-1] if items else ""


# Where templates put the column's name when no breadcrumb says it: a breadcrumb bar
# without a label (PHPCMS .crumbs, Discuz #pt), a column title cell (lmmc, lanmu, lmbt),
# and the navigation item marked as the current one.
_CRUMB_MARK = re.compile(r"crumb|position|location|weizhi|dqwz|^pt$|nav_?path|^path$", re.I)
_COLUMN_MARK = re.compile(r"^(?:lm|lmmc|lmbt|lanmu|column|col_?title|cat_?name|channel_?name)",
                          re.I)  # fmt: skip
_CURRENT_MARK = frozenset({"on", "cur", "current", "active", "selected", "hover_on", "this"})


def _column(soup: BeautifulSoup, rules: Rules) -> str:
    """The column (category) name from the template's markup, when no labelled
    breadcrumb gave it."""
    for tag in soup.find_all(True):
        marks = [*(tag.get("class") or []), str(tag.get("id", ""))]
        text = collapse(tag.get_text())
        if any(_CRUMB_MARK.search(m) for m in marks) and len(text) <= 120:
            items = crumb_items(text, rules)
            if len(items) >= 1 and _CRUMB_SEPARATOR.search(text):
                return items[-1]
    for tag in soup.find_all(True):
        marks = [*(tag.get("class") or []), str(tag.get("id", ""))]
        text = collapse(tag.get_text())
        if any(_COLUMN_MARK.match(m) for m in marks if m) and 2 <= len(text) <= 12:
            return text
    for tag in soup.find_all(["li", "a", "td", "span"]):
        if _CURRENT_MARK & set(tag.get("class") or []):
            text = collapse(tag.get_text())
            if 2 <= len(text) <= 12 and text not in _HOME_WORDS:
                return text
    return ""


_CRUMB_SEPARATOR = re.compile(r">|＞|»|›|→")
_HOME_WORDS = frozenset({"首頁", "首页", "網站首頁", "网站首页", "主頁", "主页", "Home"})


def _classify(
    judged: list[_Judged], kept: list[Block], raw_text: str, page_title: str
) -> tuple[str, str]:
    body_chars = sum(1 for b in kept for c in b.text if is_cjk(c) or c.isalnum())
    # An error page that sends the reader home after a countdown is an error, not a redirect.
    if _ERROR.search(page_title) and body_chars < 300:
        return "error", f"error page: {page_title!r}"
    if _REDIRECT.search(raw_text[:8192]) and body_chars < 200:
        return "redirect", "the page only redirects elsewhere"
    items = sum(1 for j in judged if j.block.link_density > 0.5 and j.block.links)
    items += sum(
        len(j.block.nodes[0].find_all("tr" if j.block.kind == "table" else "li"))
        for j in judged
        if j.label == "nav" and j.block.kind in ("ul", "ol", "table")
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
