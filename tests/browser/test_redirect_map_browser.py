"""Old URLs with a query string, in headless Chromium: the 404 page looks them up in the
redirect map and goes on to the article.

The site is built under /news/ and served as GitHub Pages serves one: every path it has no
file for gets the site's 404.html with status 404, whatever the query.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from sitegen.pipeline import build_site
from tests.conftest import MINIMAL_CONFIG, article, write_site

pytestmark = pytest.mark.browser

CONFIG = MINIMAL_CONFIG.replace("https://example.org/", "https://news.example.org/news/")
SLUG = "加班工資"
ALIASES = "['/ShowArticle.asp?ArticleID=123&page=1', '/index.php?m=content&c=index&id=88']"


class _PagesHandler(SimpleHTTPRequestHandler):
    """Files as they are; for anything missing, the site's own 404.html with status 404."""

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib's name
        pass

    def send_error(self, code: int, message: str | None = None, explain: str | None = None):
        if code != 404:
            super().send_error(code, message, explain)
            return
        body = (Path(self.directory) / "news" / "404.html").read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[str]:
    """The site's base URL, http://127.0.0.1:PORT/news/."""
    root = write_site(tmp_path_factory.mktemp("redirect-map") / "site", {
        "content/law/a.md": article("加班工資怎麼算", "2023-06-12", slug=SLUG, aliases=ALIASES),
        "content/law/b.md": article("另一篇", "2023-06-13"),
    }, CONFIG)  # fmt: skip
    served = tmp_path_factory.mktemp("redirect-map-served")
    result = build_site(root, served / "news")
    assert result.ok, [str(p) for p in result.problems]
    handler = functools.partial(_PagesHandler, directory=str(served))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/news/"
    server.shutdown()
    server.server_close()


def visit(page, url: str) -> list[str]:
    """Open `url` and wait for the page to settle; returns every URL the page asked for."""
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return requests


@pytest.mark.parametrize("old", [
    "ShowArticle.asp?ArticleID=123&page=1",  # as the alias has it
    "ShowArticle.asp?page=1&ArticleID=123",  # parameters in another order
    "showarticle.ASP?ArticleID=123&page=1&",  # the path in other letters, a trailing &
    "index.php?id=88&c=index&m=content&a=",  # an empty parameter
])  # fmt: skip
def test_an_old_url_with_a_query_lands_on_its_article(page, site, old):
    requests = visit(page, site + old)
    assert unquote(urlsplit(page.url).path) == f"/news/law/{SLUG}/"
    assert page.locator("h1").first.inner_text() == "加班工資怎麼算"
    assert all(urlsplit(u).netloc == urlsplit(site).netloc for u in requests), requests


def test_an_unknown_query_is_looked_up_and_the_404_page_stays(page, site):
    requests = visit(page, site + "ShowArticle.asp?ArticleID=999")
    assert site + "redirects.json" in requests  # looked up, and not found
    assert urlsplit(page.url).path == "/news/ShowArticle.asp"
    assert page.locator("h1").inner_text() == "找不到頁面"


def test_a_404_without_a_query_loads_the_script_but_never_fetches_the_map(page, site):
    requests = visit(page, site + "no-such-page/")
    assert site + "static/js/redirect-map.js" in requests
    assert site + "redirects.json" not in requests
    assert page.locator("h1").inner_text() == "找不到頁面"
