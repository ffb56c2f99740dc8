"""Write a deterministic sitegen site of N realistic articles for the build benchmark.

    python bench/generate.py N OUT_DIR [--seed S]

The site looks like a city trade-union news archive: 8 categories, 20 years of dates,
traditional Chinese prose of 2-6 KB per article with `## 一、…` headings, lists and an
occasional table. Same N and seed give the same bytes: every article draws from its own
`random.Random(f"{seed}:{i}")`, so the first 1 000 articles of a 10 000 corpus are the
1 000-article corpus, and nothing depends on the clock, dict order or hash seeds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final

REPO: Final = Path(__file__).resolve().parent.parent
MARKER: Final = ".bench-corpus"  # lets a later run replace a corpus, and only a corpus

# (slug, zh-Hant name, weight): news and city news dominate a real union archive.
CATEGORIES: Final = (
    ("news", "工會要聞", 30),
    ("city", "城市動態", 20),
    ("notices", "通知公告", 12),
    ("workers", "職工風采", 10),
    ("culture", "文體活動", 10),
    ("law", "法律維權", 8),
    ("policy", "政策法規", 5),
    ("reports", "調研報告", 5),
)
FIRST_DAY: Final = dt.date(2006, 1, 1)
DAYS: Final = (dt.date(2025, 12, 31) - FIRST_DAY).days + 1
BODY_MAX: Final = 6000  # bytes

ORGS: Final = (
    "市總工會",
    "區總工會",
    "市人力資源和社會保障局",
    "市住房和城鄉建設局",
    "市婦聯",
    "團市委",
    "市交通運輸局",
    "市衛生健康委員會",
    "市教育局",
    "市應急管理局",
    "汽車產業工會",
    "企業工會聯合會",
    "職工服務中心",
    "街道辦事處",
    "社區工作站",
    "市司法局",
    "法律援助中心",
    "市文化廣電和旅遊局",
    "市統計局",
    "市生態環境局",
    "鐵路局工會",
    "市政公用集團工會",
)
PLACES: Final = (
    "朝陽區",
    "南關區",
    "寬城區",
    "二道區",
    "綠園區",
    "雙陽區",
    "九台區",
    "經開區",
    "高新區",
    "汽車城",
    "淨月區",
    "長春新區",
    "農安縣",
    "德惠市",
    "榆樹市",
    "公主嶺市",
)
ACTIVITIES: Final = (
    "職工技能大賽",
    "困難職工幫扶",
    "農民工工資支付專項檢查",
    "安全生產月活動",
    "勞動模範表彰大會",
    "職工療休養",
    "金秋助學",
    "送清涼活動",
    "冬季送溫暖",
    "集體協商要約行動",
    "工資集體協商",
    "職工書屋建設",
    "戶外勞動者驛站建設",
    "女職工權益保護",
    "法律援助進工地",
    "職工醫療互助",
    "新就業形態勞動者入會",
    "勞動爭議調解",
    "職業技能培訓",
    "勞模創新工作室創建",
    "全民健身運動會",
    "職工文藝匯演",
    "全民讀書月活動",
    "老舊小區改造",
    "公共交通線路調整",
    "垃圾分類宣傳",
    "冬季供暖保障",
    "防汛備汛工作",
    "就業援助月",
    "職工之家建設",
)
VERBS: Final = ("召開", "舉辦", "啟動", "部署", "推進", "開展", "落實", "總結", "組織", "籌備")
PUSH: Final = ("深化", "規範", "拓展", "鞏固", "完善", "推廣", "提升")
GOALS: Final = (
    "服務職工",
    "維護職工合法權益",
    "構建和諧勞動關係",
    "推動高質量發展",
    "加強基層組織建設",
    "提升職工素質",
    "保障和改善民生",
    "優化營商環境",
)
ADVERBS: Final = ("紮紮實實", "一以貫之", "持之以恆", "不折不扣", "精準有效")
FOCUS: Final = (
    "職工急難愁盼問題",
    "一線職工需求",
    "重點行業領域",
    "新業態勞動者",
    "基層工會短板",
    "職工技能提升",
    "勞動安全衛生",
    "職工文化生活",
)
SURNAMES: Final = "王李張劉陳楊趙黃周吳徐孫馬朱胡郭何林高羅鄭梁謝宋唐許韓馮鄧曹"
GIVEN: Final = "偉芳娜敏靜麗強磊軍洋勇艷傑娟濤明超秀霞平剛桂英華玉萍紅娥玲蘭鳳潔梅琳素雲蓮"
ROLES: Final = (
    "市總工會主席",
    "市總工會副主席",
    "市總工會黨組書記",
    "職工代表",
    "一線工人",
    "社區幹部",
    "工會法律顧問",
    "車間主任",
    "企業工會主席",
    "勞動模範",
    "快遞員",
    "網約車司機",
    "環衛工人",
)
QUOTES: Final = (
    "工會就是職工的娘家人，職工有困難，我們第一時間到",
    "這次培訓讓我學到了很多新技術",
    "有了驛站，冬天送外賣總算有個喝熱水的地方",
    "工資按時足額發放，大家幹活更有勁了",
    "我們要把好事辦好，把實事辦實",
    "感謝工會幫我們討回了被拖欠的工資",
    "比賽既是展示，也是交流，回去要把經驗帶到班組裡",
    "法律援助律師講得明白，心裡有底了",
)
SOURCES: Final = (
    "市總工會辦公室",
    "長春日報",
    "城市晚報",
    "新華網",
    "中工網",
    "市總工會宣教部",
    "市總工會法律工作部",
    "基層工會",
    "市政府辦公廳",
    "吉林工人報",
)
HEADINGS: Final = (
    "高度重視，周密部署",
    "突出重點，狠抓落實",
    "創新方式，提升實效",
    "加強宣傳，營造氛圍",
    "基本情況",
    "主要做法",
    "取得的成效",
    "存在的問題",
    "下一步工作打算",
    "工作要求",
    "聚焦主業，服務大局",
    "夯實基礎，織密網絡",
    "典型經驗",
    "意見建議",
)
TAGS: Final = (
    "職工",
    "幫扶",
    "技能",
    "安全生產",
    "勞動模範",
    "農民工",
    "女職工",
    "法律援助",
    "集體協商",
    "職工書屋",
    "驛站",
    "送溫暖",
    "金秋助學",
    "療休養",
    "文藝",
    "體育",
    "讀書",
    "就業",
    "社區",
    "城市建設",
    "交通",
    "供暖",
    "防汛",
    "環保",
    "教育",
    "衛生",
    "新就業形態",
    "勞動爭議",
)
NUMERALS: Final = "一二三四五六七八九十"
SENTENCES: Final = (
    "{date}，{org}在{place}{verb}{activity}，{n}名職工參加。",
    "{org}負責人表示，將進一步{push}{activity}，切實{goal}。",
    "據統計，{year}年以來全市共{verb}{activity}{k}場次，惠及職工{m}人次。",
    "會議強調，各級工會要把{activity}作為{goal}的重要抓手，{adv}抓好落實。",
    "{place}{org}結合實際，創新{activity}工作方式，形成了可複製、可推廣的經驗。",
    "活動現場，{person}介紹了{activity}的相關政策，並解答了職工提出的{k}個問題。",
    "{role}{person}說：「{quote}。」",
    "下一步，{org}將繼續聚焦{focus}，推動{activity}向縱深發展。",
    "截至{month}月底，{place}已建成服務站點{k}個，累計服務職工{m}人次。",
    "{org}、{org2}聯合{verb}{activity}，覆蓋{place}等{k}個區縣（市）。",
    "據了解，此次{activity}共投入資金{money}萬元，重點幫扶{n}戶困難職工家庭。",
    "與會人員圍繞{focus}進行了深入交流，並對做好{activity}提出了意見建議。",
    "{person}是{place}的一名{role}，從業{k}年來始終堅守崗位。",
    "{org}要求，各單位要{adv}做好{activity}，確保{goal}各項措施落到實處。",
    "通過{activity}，{place}職工的獲得感、幸福感、安全感進一步增強。",
)
LIST_ITEMS: Final = (
    "加強組織領導，明確責任分工",
    "建立工作台賬，實行動態管理",
    "做好政策宣傳，提高知曉率",
    "開通服務熱線，及時回應訴求",
    "落實資金保障，規範使用管理",
    "強化督導檢查，確保工作實效",
    "健全長效機制，鞏固工作成果",
    "及時總結經驗，報送工作信息",
    "優先保障一線職工和困難職工",
    "做好疫情防控和安全保障工作",
    "按時報送統計表和工作總結",
    "主動對接企業，摸清職工需求",
)


@dataclass(frozen=True, slots=True)
class Corpus:
    """The shared ingredients every article draws from: made once per seed."""

    sentences: tuple[str, ...]
    people: tuple[str, ...]


def make_corpus(seed: int) -> Corpus:
    """Fill the sentence templates once, so each article only picks (fast at 100 000)."""
    rng = random.Random(f"{seed}:pool")
    people = tuple(_person(rng) for _ in range(400))
    sentences = tuple(_sentence(rng, people) for _ in range(6000))
    return Corpus(sentences, people)


def _person(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES) + given


def _sentence(rng: random.Random, people: tuple[str, ...]) -> str:
    day = FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS))
    org, org2 = rng.sample(ORGS, 2)
    return rng.choice(SENTENCES).format(
        date=f"{day.year}年{day.month}月{day.day}日",
        org=org,
        org2=org2,
        place=rng.choice(PLACES),
        verb=rng.choice(VERBS),
        push=rng.choice(PUSH),
        activity=rng.choice(ACTIVITIES),
        goal=rng.choice(GOALS),
        adv=rng.choice(ADVERBS),
        focus=rng.choice(FOCUS),
        person=rng.choice(people),
        role=rng.choice(ROLES),
        quote=rng.choice(QUOTES),
        year=day.year,
        month=rng.randint(1, 12),
        n=rng.randint(30, 3000),
        k=rng.randint(2, 60),
        m=rng.randint(500, 200000),
        money=rng.randint(5, 900),
    )


@dataclass(frozen=True, slots=True)
class Generated:
    path: Path  # relative to the site root: content/<cat>/<yyyy>/<slug>.md
    text: str


def article(index: int, seed: int, corpus: Corpus, when: dt.datetime | None = None) -> Generated:
    """Article number INDEX of the corpus; depends on nothing but its arguments.

    WHEN overrides the drawn date: the benchmark adds "today's" article this way.
    """
    rng = random.Random(f"{seed}:{index}")
    slug, _, _ = rng.choices(CATEGORIES, weights=[c[2] for c in CATEGORIES])[0]
    drawn = dt.datetime.combine(FIRST_DAY, dt.time(8)) + dt.timedelta(
        days=rng.randrange(DAYS), seconds=rng.randrange(12 * 3600)
    )
    when = when or drawn
    name = f"{when:%Y%m%d}-{index + 1:06d}"
    path = Path("content", slug, f"{when:%Y}", f"{name}.md")
    body = _body(rng, corpus, with_table=rng.random() < 0.1)
    return Generated(path, _front_matter(rng, corpus, slug, when) + body)


def _title(rng: random.Random, category: str, year: int) -> str:
    activity = rng.choice(ACTIVITIES)
    if category == "notices":
        return f"關於做好{year}年{activity}工作的通知"
    if category == "reports":
        return f"關於{rng.choice(PLACES)}{activity}情況的調研報告"
    if category == "workers":
        return f"{rng.choice(ROLES)}：在平凡崗位上書寫不平凡"
    patterns = (
        f"{rng.choice(ORGS)}{rng.choice(VERBS)}{year}年{activity}",
        f"{rng.choice(PLACES)}：{activity}惠及{rng.randint(100, 9000)}名職工",
        f"{rng.choice(PUSH)}{activity} {rng.choice(GOALS)}",
        f"{rng.choice(ORGS)}召開{activity}推進會",
    )
    return rng.choice(patterns)


def _front_matter(rng: random.Random, corpus: Corpus, category: str, when: dt.datetime) -> str:
    lines = [
        "---",
        f"title: {_title(rng, category, when.year)}",
        f"date: {when:%Y-%m-%d %H:%M:%S}",
        f"category: {category}",
        f"source: {rng.choice(SOURCES)}",
        f"editor: {rng.choice(corpus.people[:12])}",
    ]
    if rng.random() < 0.4:
        lines.append(f"author: 記者 {rng.choice(corpus.people)}")
    if rng.random() < 0.3:
        lines.append("tags:")
        lines += [f"  - {tag}" for tag in rng.sample(TAGS, rng.randint(1, 3))]
    return "\n".join(lines) + "\n---\n\n"


def _body(rng: random.Random, corpus: Corpus, *, with_table: bool) -> str:
    """2-6 KB of UTF-8: a lead paragraph, then sections with distinct numbered headings."""
    target = rng.randint(2200, 5000)  # bytes; each CJK character is 3
    headings = rng.sample(HEADINGS, len(NUMERALS))
    parts = [_paragraph(rng, corpus)]
    size = len(parts[0].encode("utf-8"))
    while size < target and len(parts) <= len(NUMERALS):
        number = len(parts) - 1
        block = _section(rng, corpus, f"{NUMERALS[number]}、{headings[number]}", with_table)
        if size + len(block.encode("utf-8")) > BODY_MAX:
            break
        parts.append(block)
        size += len(block.encode("utf-8"))
        with_table = False  # one table at most, in the first section
    return "\n\n".join(parts) + "\n"


def _section(rng: random.Random, corpus: Corpus, heading: str, table: bool) -> str:
    blocks = [f"## {heading}", _paragraph(rng, corpus)]
    if table:
        blocks.append(_table(rng))
    elif rng.random() < 0.3:
        blocks.append(_list(rng))
    if rng.random() < 0.5:
        blocks.append(_paragraph(rng, corpus))
    return "\n\n".join(blocks)


def _paragraph(rng: random.Random, corpus: Corpus) -> str:
    return "".join(rng.choices(corpus.sentences, k=rng.randint(2, 5)))


def _list(rng: random.Random) -> str:
    items = rng.sample(LIST_ITEMS, rng.randint(3, 5))
    if rng.random() < 0.5:
        return "\n".join(f"{n}. {item}。" for n, item in enumerate(items, start=1))
    return "\n".join(f"- {item}；" for item in items)


def _table(rng: random.Random) -> str:
    rows = ["| 單位 | 參加人數 | 場次 | 幫扶資金（萬元） |", "| --- | ---: | ---: | ---: |"]
    for place in rng.sample(PLACES, rng.randint(4, 8)):
        n, k, money = rng.randint(50, 5000), rng.randint(1, 40), rng.randint(1, 300)
        rows.append(f"| {place} | {n} | {k} | {money} |")
    return "\n".join(rows)


def site_yaml() -> str:
    cats = "".join(f"  - slug: {slug}\n    name: {name}\n" for slug, name, _ in CATEGORIES)
    return (
        "# Written by bench/generate.py for the build benchmark.\n"
        "title: 長春市總工會新聞檔案（基準測試）\n"
        "description: 用於構建基準測試的生成內容。\n"
        "base_url: https://bench.example.org/\n"
        "language: zh-Hant\n"
        "timezone: Asia/Shanghai\n"
        "page_size: 20\n"
        "categories:\n" + cats
    )


def prepare(out: Path) -> None:
    """Empty OUT for a new corpus; refuse a folder that was not made by this script."""
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise SystemExit(f"{out} is not empty and holds no {MARKER}: refusing to overwrite it")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)


def copy_theme(out: Path) -> None:
    """A copy of the packaged theme's layouts and static files, as they are right now (the
    benchmark's template edit changes the copy)."""
    for name in ("layouts", "static"):
        if (out / name).exists():
            shutil.rmtree(out / name)
        shutil.copytree(REPO / "sitegen" / "theme" / name, out / name)


def generate(count: int, out: Path, seed: int = 1) -> list[Path]:
    """Write the whole site; returns the article paths relative to OUT, in index order."""
    prepare(out)
    (out / "site.yaml").write_text(site_yaml(), encoding="utf-8")
    copy_theme(out)
    corpus = make_corpus(seed)
    made: set[Path] = set()
    paths = []
    for index in range(count):
        item = article(index, seed, corpus)
        folder = (out / item.path).parent
        if folder not in made:
            folder.mkdir(parents=True, exist_ok=True)
            made.add(folder)
        (out / item.path).write_bytes(item.text.encode("utf-8"))
        paths.append(item.path)
    (out / MARKER).write_text(f"{count} {seed}\n", encoding="utf-8")
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help="number of articles")
    parser.add_argument("out", type=Path, help="folder for the site (replaced if it is a corpus)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.count < 0:
        parser.error("count must not be negative")
    generate(args.count, args.out, args.seed)
    print(f"wrote {args.count} articles to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
