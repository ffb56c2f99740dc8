"""Generate a corpus of legacy CMS pages for the import benchmark (deterministic by seed).

Each page mixes what real archives hold: GBK, Big5 or UTF-8 bytes (declared or not), nav,
breadcrumb, a metadata line in one of several spellings, tool bars, hidden spam, decoy tags,
a body of 5-20 paragraphs with section titles, sometimes a table, image or attachment,
an editor credit with spam after it, and a footer; a few list, redirect and empty pages.
"""

from __future__ import annotations

import random
from pathlib import Path

SENTENCES = (
    "市總工會召開專題會議，研究部署下半年職工服務工作",
    "各級工會組織積極開展送溫暖活動，慰問困難職工家庭",
    "會議強調，要把維護職工合法權益作為工會工作的出發點和落腳點",
    "活動現場氣氛熱烈，參加活動的職工紛紛表示收穫很大",
    "通過購買服務的方式，為基層工會和廣大職工提供精準法律服務",
    "全年共舉辦各類培訓班十四期，培訓職工兩千餘人次",
    "勞模創新工作室在推動技術革新方面發揮了重要作用",
    "下一步將繼續加大投入，確保各項措施落到實處",
)
CATEGORIES = (("law", "法律維權"), ("news", "工會要聞"), ("workers", "職工風采"))
META = (
    "發布日期：{y}-{m:02d}-{d:02d} 10:{d:02d}:00　來源：市總工會",
    "发布时间:{y}/{m}/{d} 信息来源:宣传部",
    "日期：{y}年{m}月{d}日　作者：王小明",
)
SPAM = "<div style='display:none'>六合彩 百家樂 娛樂城 免費看</div>"


def paragraph(rng: random.Random) -> str:
    return "，".join(rng.choice(SENTENCES) for _ in range(rng.randint(2, 5))) + "。"


def article(rng: random.Random, number: int) -> tuple[str, str]:
    slug, name = rng.choice(CATEGORIES)
    y, m, d = rng.randint(2005, 2020), rng.randint(1, 12), rng.randint(1, 28)
    body = []
    for i in range(rng.randint(5, 20)):
        if i % 4 == 1:
            body.append(f"<p>{'一二三四五六'[i // 4]}、工作重點{i}</p>")
        body.append(f"<p>　　{paragraph(rng)}</p>")
    if rng.random() < 0.3:
        body.append(
            "<table border=1><tr><td>項目</td><td>人數</td></tr>"
            "<tr><td>培訓</td><td>120</td></tr></table>"
        )
    if rng.random() < 0.3:
        body.append(f"<p><img src='/uploads/{number}.jpg' alt='活動現場'></p>")
    decoy = "".join(f"<{t} id='ed{number % 97}'></{t}>" for t in ("button", "em", "form", "dd"))
    html = (
        f"<html><head><meta charset='{{charset}}'>"
        f"<title>工會工作動態第{number}期 - 市總工會</title>"
        f"<style>.k{number}{{display:none}}</style></head><body>{decoy}"
        f"<div class='nav'><a href='/'>首頁</a> | <a href='/news/'>工會要聞</a> | "
        f"<a href='/law/'>法律維權</a></div>"
        f"<div>當前位置：<a href='/'>首頁</a> &gt; <a href='/{slug}/'>{name}</a></div>"
        f"<h1>工會工作動態第{number}期</h1><div>{rng.choice(META).format(y=y, m=m, d=d)}</div>"
        f"<div>【打印】【關閉】 字號：大 中 小</div>{SPAM}"
        f"<div class='k{number}'><a href='http://x/'>娛樂城</a></div>"
        f"<div id='zoom'>{''.join(body)}</div><div>（責任編輯：李華）</div>"
        f"<p>美國無碼視頻,三級片免費看,一本一道</p>"
        f"<div>上一篇：<a href='/{slug}/{number - 1}.html'>上一期</a></div>"
        f"<div>版權所有 市總工會 吉ICP備05001234號</div>"
        f"<script>var a={number};</script></body></html>"
    )
    return f"{slug}/{y}/{number}.html", html


def other(rng: random.Random, number: int) -> tuple[str, str]:
    items = "".join(
        f"<li><a href='/news/{i}.html'>工會動態第{i}期</a> 2018-01-01</li>" for i in range(20)
    )
    kind = rng.choice(("list", "redirect", "empty"))
    if kind == "list":
        return f"list/{number}.html", f"<html><body><ul>{items}</ul></body></html>"
    if kind == "redirect":
        return (
            f"old/{number}.html",
            "<html><head><meta http-equiv='refresh' content='0;url=/'></head></html>",
        )
    return f"empty/{number}.html", "<html><body></body></html>"


def generate(out: Path, count: int, seed: int = 4) -> list[Path]:
    rng = random.Random(seed)
    written = []
    for number in range(1, count + 1):
        rel, html = article(rng, number) if rng.random() < 0.95 else other(rng, number)
        codec = rng.choice(("gbk", "big5", "utf-8"))
        declared = rng.choice((codec, codec, "gb2312" if codec == "big5" else codec, ""))
        html = (
            html.replace("{charset}", declared)
            if declared
            else html.replace("<meta charset='{charset}'>", "")
        )
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        python_codec = {"gbk": "gb18030", "big5": "big5hkscs"}.get(codec, codec)
        # simplified characters a Big5 page cannot hold become &#...; as old CMSs wrote them
        path.write_bytes(html.encode(python_codec, errors="xmlcharrefreplace"))
        written.append(path)
    return written
