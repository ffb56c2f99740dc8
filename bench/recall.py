"""Recall of site search, measured in headless Chromium on a built archive.

    python bench/recall.py --articles 10000 --queries 300 [--seed 1] [--work DIR]

Generates an archive with bench/generate.py, builds it with sitegen (base path /news/), then
picks random 2-6 character CJK runs from random articles' Markdown (title or body; half are
turned into simplified characters) and searches each on the built site in Chromium:
  * recall: search with the article's category and year as filters and open the result page
    where the article must appear, given every article that holds the run (found by brute
    force over the indexed text, newest first); a miss or a false hit before it moves it off
    that page and counts as a miss.
  * bytes: a cold, unfiltered first-page search in a fresh browser context; the sum of the
    index files it fetched (meta, shards, doc chunks), page and script not counted.
Prints the recall share and the median and maximum bytes per query.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sitegen.markup import make_markdown, to_html  # noqa: E402
from sitegen.pipeline import build_site  # noqa: E402
from sitegen.plaintext import plain_text  # noqa: E402
from sitegen.search import CJK, Normalizer, SearchDoc, read_table, write_index  # noqa: E402

BASE_URL = "https://example.org/news/"
PAGE_SIZE = 10  # search.js shows ten results a page
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
RUN = re.compile(f"[{CJK}]{{2,}}")


@dataclass(frozen=True, slots=True)
class Query:
    text: str
    url: str  # the article it was taken from
    category: str
    year: str


def build(articles: int, seed: int, work: Path, jobs: int, index_only: bool) -> Path:
    """Generate and build the archive; returns the folder served (the site is in news/).

    With index_only, the site is built without its articles (home, search page, static
    files) and the index of every article is written into it: the search sees the same
    index in a fraction of the time a 100 000-article build takes.
    """
    site = work / "site"
    subprocess.run(
        [sys.executable, str(REPO / "bench" / "generate.py"), str(articles), str(site),
         "--seed", str(seed)], check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    config = site / "site.yaml"
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    settings.update(base_url=BASE_URL, search=True)
    config.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    served = work / "served"
    shutil.rmtree(served, ignore_errors=True)
    started = time.perf_counter()
    built = _without_content(site, work / "shell") if index_only else site
    result = build_site(built, served / "news", jobs=jobs)
    if not result.ok:
        raise SystemExit("\n".join(str(p) for p in result.problems[:20]))
    print(f"built {built.name} in {time.perf_counter() - started:.0f} s", flush=True)
    if not index_only and not (served / "news" / "search" / "meta.json").is_file():
        raise SystemExit("the build wrote no search index")
    if index_only:
        started = time.perf_counter()
        write_index(docs_from_sources(site, settings), served / "news")
        print(f"wrote the index from the sources in {time.perf_counter() - started:.0f} s")
    return served


def _without_content(site: Path, shell: Path) -> Path:
    shutil.rmtree(shell, ignore_errors=True)
    for name in ("layouts", "static"):
        shutil.copytree(site / name, shell / name)
    shutil.copy(site / "site.yaml", shell / "site.yaml")
    return shell


def docs_from_sources(site: Path, settings: dict) -> Iterator[SearchDoc]:
    """SearchDocs made as the pipeline makes them (--index-only builds no articles)."""
    names = {c["slug"]: c["name"] for c in settings["categories"]}
    md = make_markdown()
    for path in sorted((site / "content").rglob("*.md")):
        _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
        meta = yaml.safe_load(front)
        slug, category = meta.get("slug", path.stem), meta["category"]
        yield SearchDoc(
            f"/news/{category}/{slug}/", meta["title"], str(meta["date"])[:10], category,
            names[category], plain_text(to_html(md, body)),
        )  # fmt: skip


def indexed_docs(search_dir: Path) -> list[list]:
    """Every doc row of the index, in id order (oldest first)."""
    meta = json.loads((search_dir / "meta.json").read_text(encoding="utf-8"))
    rows: list[list] = []
    for number in range((meta["docs"] + meta["per_chunk"] - 1) // meta["per_chunk"]):
        rows += json.loads(gzip.decompress((search_dir / "d" / f"{number}.json.gz").read_bytes()))
    return rows


def pick_queries(site: Path, count: int, seed: int) -> list[Query]:
    rng = random.Random(seed)
    to_simple = read_table(REPO / "sitegen" / "data" / "t2s.txt")
    files = sorted((site / "content").rglob("*.md"))
    queries = []
    while len(queries) < count:
        path = rng.choice(files)
        _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
        meta = yaml.safe_load(front)
        runs = RUN.findall(meta["title"] + "\n" + body)
        run = rng.choice(runs)
        length = rng.randint(2, min(6, len(run)))
        start = rng.randint(0, len(run) - length)
        text = run[start : start + length]
        if len(queries) % 2:
            text = "".join(to_simple.get(c, c) for c in text)
        url = f"/news/{meta['category']}/{meta.get('slug', path.stem)}/"
        queries.append(Query(text, url, meta["category"], str(meta["date"])[:4]))
    return queries


def expected_page(query: Query, rows: list[list], normalized: list[str], norm: Normalizer) -> int:
    """The result page the article must be on: its rank among all holders in its cat/year."""
    needle = norm.text(query.text)
    rank = 0
    # Results are listed newest first: descending doc ids, the rows read backwards.
    for row, text in zip(reversed(rows), reversed(normalized), strict=True):
        if row[0] == query.url:
            return rank // PAGE_SIZE + 1
        if row[3] == query.category and row[2][:4] == query.year and needle in text:
            rank += 1
    raise SystemExit(f"{query.url} is not in the index")


def open_search(tab, base: str, **params: str) -> list[str]:
    tab.goto(base + "search/?" + urlencode(params))
    tab.wait_for_selector("#search[data-state]", state="attached", timeout=60_000)
    if tab.get_attribute("#search", "data-state") != "done":
        raise SystemExit(f"search failed for {params}")
    return tab.eval_on_selector_all(".search-hit .search-title a", "as => as.map(a => a.href)")


INDEX_BYTES = """() => {
    const sizes = {meta: 0, s: 0, d: 0};
    for (const e of performance.getEntriesByType('resource')) {
        const kind = /\\/search\\/(meta|s|d)[./]/.exec(e.name);
        if (kind) sizes[kind[1]] += e.encodedBodySize;
    }
    return sizes;
}"""


def run_queries(
    served: Path, queries: list[Query], verbose: bool
) -> tuple[int, list[dict], list[Query]]:
    from playwright.sync_api import sync_playwright

    rows = indexed_docs(served / "news" / "search")
    norm = Normalizer.from_file()
    normalized = [norm.text(row[1]) + "\0" + norm.text(row[4]) for row in rows]
    handler = functools.partial(_Quiet, directory=str(served))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/news/"
    found, sizes, missed = 0, [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        filtered = browser.new_context().new_page()
        for number, query in enumerate(queries, 1):
            cold = browser.new_context()
            page = cold.new_page()
            open_search(page, base, q=query.text)
            sizes.append(page.evaluate(INDEX_BYTES))
            if verbose:
                print(query.text, sizes[-1], flush=True)
            cold.close()
            on = expected_page(query, rows, normalized, norm)
            params = {"q": query.text, "cat": query.category, "year": query.year}
            hits = open_search(filtered, base, **params, page=str(on))
            if base.rstrip("/") + query.url.removeprefix("/news") in hits:
                found += 1
            else:
                missed.append(query)
            if number % 50 == 0:
                print(f"{number} queries, {found} found", flush=True)
        browser.close()
    server.shutdown()
    server.server_close()
    return found, sizes, missed


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--verbose", action="store_true", help="print bytes of each query")
    parser.add_argument(
        "--index-only", action="store_true", help="build the site without articles, add the index"
    )
    parser.add_argument("--reuse", action="store_true", help="search the site built last time")
    parser.add_argument("--jobs", type=int, default=1, help="build processes")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out" / "recall")
    args = parser.parse_args()
    served = args.work / "served"
    if not (args.reuse and (served / "news" / "search" / "meta.json").is_file()):
        served = build(args.articles, args.seed, args.work, args.jobs, args.index_only)
    queries = pick_queries(args.work / "site", args.queries, args.seed)
    found, sizes, missed = run_queries(served, queries, args.verbose)
    share = 100 * found / len(queries)
    print(f"recall: {found}/{len(queries)} = {share:.1f} % of queries found their article")
    totals = [sum(size.values()) for size in sizes]
    print(f"index bytes per query: median {statistics.median(totals):,.0f}, max {max(totals):,}")
    for kind, name in (("meta", "meta.json"), ("s", "shards"), ("d", "doc chunks")):
        part = [size[kind] for size in sizes]
        print(f"  {name}: median {statistics.median(part):,.0f}, max {max(part):,}")
    for query in missed[:20]:
        print(f"  missed {query.text!r} from {query.url}")
    return 0 if found == len(queries) else 1


if __name__ == "__main__":
    raise SystemExit(main())
