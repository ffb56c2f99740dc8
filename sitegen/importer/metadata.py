"""Metadata lines of legacy pages: labelled fields, dates, breadcrumbs.

Sites spell the same line many ways (發布日期：2013年8月14日 來源：xx, 发布时间:2018-09-21
14:29:29 | 信息来源:…, 【作者：…】); the labels live in rules.yaml so an owner can add theirs.
"""

from __future__ import annotations

import datetime as dt
import re

from sitegen.importer.rules import Rules

_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "Ｏ": 0}
_DATE_RE = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:(?:\s*|T)(?P<H>\d{1,2})\s*[:：時时点點]\s*(?P<M>\d{1,2})(?:\s*[:：分]\s*(?P<S>\d{1,2}))?)?"
)
_CN_DATE_RE = re.compile(
    r"([〇○零一二三四五六七八九Ｏ]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日"
)
_STAFF_PREFIX = re.compile(r"^\s*[\w]{0,6}?(?:記者|记者|通訊員|通讯员)\s+")
_VALUE_END = re.compile(r"[\s|｜【】\[\]（）()]")
_CRUMB_SPLIT = re.compile(r"\s*(?:>>|>|＞|»|›|→|/|\|)\s*")
_CRUMB_SKIP = frozenset(
    {
        "首頁",
        "首页",
        "主頁",
        "主页",
        "網站首頁",
        "网站首页",
        "正文",
        "內容",
        "内容",
        "詳細內容",
        "详细内容",
        "查看內容",
        "查看内容",
        "文章內容",
        "文章内容",
        "正文內容",
        "正文内容",
        "閱讀",
        "阅读",
    }
)


def find_date(text: str) -> str | None:
    """The first date in `text` as 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS', or None."""
    found = _DATE_RE.search(text)
    if found:
        parts = {k: int(v) for k, v in found.groupdict().items() if v is not None}
        return _format(parts)
    found = _CN_DATE_RE.search(text)
    if found:
        year = int("".join(str(_CN_DIGITS[c]) for c in found.group(1)))
        return _format(
            {"y": year, "m": _cn_number(found.group(2)), "d": _cn_number(found.group(3))}
        )
    return None


def _cn_number(text: str) -> int:
    if "十" not in text:
        return _CN_DIGITS.get(text, 0)
    tens, _, ones = text.partition("十")
    return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)


def _format(parts: dict[str, int]) -> str | None:
    try:
        day = dt.date(parts["y"], parts["m"], parts["d"])
        if "H" not in parts:
            return day.isoformat()
        moment = dt.time(parts["H"], parts["M"], parts.get("S", 0))
    except ValueError:
        return None
    return f"{day.isoformat()} {moment.isoformat()}"


_META_TAG = re.compile(r"<meta\b[^>]*>", re.I)
_ATTRIBUTE = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
# <meta> names that carry an article's fields: the Chinese government site standard (2019:
# ArticleTitle, PubDate, ContentSource, ColumnName), TRS/Hanweb's publishdate, Open Graph.
HEAD_FIELDS = {
    "articletitle": "title",
    "pubdate": "date",
    "publishdate": "date",
    "publish_date": "date",
    "publishtime": "date",
    "article:published_time": "date",
    "og:release_date": "date",
    "dc.date": "date",
    "dcterms.created": "date",
    "contentsource": "source",
    "columnname": "category",
}  # (not name="author": sites fill it with their own or their CMS maker's name)


def head_fields(html: str) -> dict[str, str]:
    """{title, date, source, category, author} named by the page's <meta> tags (read from
    the raw text: cleaning drops <meta>). A date is kept only when it parses as one."""
    found: dict[str, str] = {}
    for tag in _META_TAG.findall(html[:65536]):
        attributes = {m[0].lower(): m[1] or m[2] or m[3] for m in _ATTRIBUTE.findall(tag)}
        name = (attributes.get("name") or attributes.get("property") or "").strip().lower()
        kind = HEAD_FIELDS.get(name)
        value = " ".join(attributes.get("content", "").split())
        if kind == "date":
            value = find_date(value) or ""
        if kind and value and kind not in found:
            found[kind] = value
    return found


_URL_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})[/_-]?(0[1-9]|1[0-2])[/_-]?([0-3]\d)(?!\d{3})")
# A page named by its time of publishing: 20050430093021.htm
_URL_STAMP = re.compile(
    r"(?<!\d)((?:19|20)\d{2})(0[1-9]|1[0-2])([0-3]\d)[0-2]\d[0-5]\d[0-5]\d(?!\d)"
)
_URL_SLASHED = re.compile(r"/((?:19|20)\d{2})/(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])/")
_URL_MONTH = re.compile(r"(?<!\d)((?:19|20)\d{2})[/_-]?(0[1-9]|1[0-2])(?:/|$)")
_URL_YEAR = re.compile(r"(?:^|/)((?:19|20)\d{2})(?:/|$)")


def url_date(path: str) -> str | None:
    """A whole date in an old URL's path: t20120308_123.html, /2012/0308/, /2012-03-08/.
    (Not in its query: ArticleID=20120308 is a number.)"""
    path = path.split("?", 1)[0]
    for found in (*_URL_DATE.finditer(path), *_URL_STAMP.finditer(path),
                  *_URL_SLASHED.finditer(path)):  # fmt: skip
        try:
            return dt.date(*(int(g) for g in found.groups())).isoformat()
        except ValueError:
            continue
    return None


def url_partial_date(path: str) -> str | None:
    """The year and month ('2012-03') or the year ('2012') an old URL's folders give."""
    path = path.split("?", 1)[0]
    found = _URL_MONTH.search(path)
    if found:
        return f"{found.group(1)}-{found.group(2)}"
    found = _URL_YEAR.search(path)
    return found.group(1) if found else None


def labelled_fields(text: str, rules: Rules) -> dict[str, str]:
    """{kind: value} for every label in a metadata line; a label with no value maps to ''."""
    found: dict[str, str] = {}
    matches = list(rules.label.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        kind = rules.label_kind[match.group("label")]
        raw = text[match.end() : end].strip()
        if kind == "date":
            value = find_date(raw) or ""
        else:
            if kind == "author":  # 作者：本报记者 钱培坚 -> 钱培坚: a post, not a name
                raw = _STAFF_PREFIX.sub("", raw, count=1)
            cut = _VALUE_END.search(raw)
            value = (raw[: cut.start()] if cut else raw).strip(" :：,，;；")
        found.setdefault(kind, value)
    return found


def crumb_items(text: str, rules: Rules) -> list[str]:
    """The items of a breadcrumb line after its label, without 首頁 and 正文."""
    label = rules.breadcrumb.match(text)
    rest = text[label.end() :] if label else text
    items = [i.strip(" :：") for i in _CRUMB_SPLIT.split(rest)]
    return [i for i in items if i and i not in _CRUMB_SKIP]
