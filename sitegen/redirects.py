"""Old URLs with a query string (/ShowArticle.asp?ArticleID=123): a redirect map, not pages.

A static host serves files by path and never looks at the query, so such an alias cannot
be a redirect page. Every one is written instead into a map, in four forms: redirects.json,
which the site's 404 page looks up in the browser (static/js/redirect-map.js), and files for
servers that redirect by themselves: an nginx `map` include, an Apache `RewriteMap` text
file and a Netlify `_redirects` file. docs/publishing.md says how to use each.

Pure functions: site.py makes one Page per file (kind "redirects", `entries` = the articles
with such aliases), render.py writes them with `render_map`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Final
from urllib.parse import quote, unquote

if TYPE_CHECKING:
    from sitegen.content import Article
    from sitegen.site import Page

MAP_JSON: Final = "/redirects.json"
NGINX: Final = "/redirects.nginx.conf"
APACHE: Final = "/redirects.apache.txt"
NETLIFY: Final = "/_redirects"
FILES: Final = (MAP_JSON, NGINX, APACHE, NETLIFY)

# What browsers leave as it is in a path and in a query (WHATWG URL's percent-encode sets,
# without the backslash, which no server config should see raw); '%' stays, so an alias
# copied already encoded is not encoded twice. The server files match what browsers send.
_PATH_SAFE: Final = "!$%&'()*+,/:;=@[]^|"
_QUERY_SAFE: Final = "!$%&()*+,/:;=?@[]^`{|}"
# encodeURI and encodeURIComponent leave these (besides letters, digits and "_.-~"), so the
# keys below are what static/js/redirect-map.js computes in the browser, character for character.
_URI_SAFE: Final = ";,/?:@&=+$#!*'()"
_COMPONENT_SAFE: Final = "!*'()"
_BAD_ESCAPE: Final = re.compile(r"%(?![0-9A-Fa-f]{2})")


def has_query(alias: str) -> bool:
    return "?" in alias


def split(alias: str) -> tuple[str, str]:
    """(path, query) of an alias; a #fragment never reaches a server, so it is dropped."""
    path, _, query = alias.partition("?")
    return path, query.partition("#")[0]


def parameters(query: str) -> list[str]:
    """The parameters that say something: a trailing '&', '&&' or `page=` with no value
    is how old CMSs wrote links, and must not make an old URL another one."""
    return [part for part in query.split("&") if part and not part.endswith("=")]


def request_form(base_path: str, alias: str) -> tuple[str, str]:
    """(path, query) of an alias under the base path, percent-encoded as a browser sends it."""
    path, query = split(alias)
    full = base_path.rstrip("/") + "/" + path.lstrip("/")
    return quote(full, safe=_PATH_SAFE), quote(query, safe=_QUERY_SAFE)


def lookup_key(path: str, query: str) -> str:
    """The key of an old URL in redirects.json: the path in any letter case, the query's
    parameters in any order, each decoded and encoded again one way. redirect-map.js
    computes the same from `location`: change both or neither."""
    parts = sorted(_canonical(part) for part in parameters(query))
    head = quote(_decode(path), safe=_URI_SAFE).lower()
    return head + "?" + "&".join(parts) if parts else head


def _canonical(part: str) -> str:
    name, equals, value = part.partition("=")
    return _component(name) + (equals + _component(value) if equals else "")


def _component(text: str) -> str:
    return quote(_decode(text.replace("+", " ")), safe=_COMPONENT_SAFE)


def _decode(text: str) -> str:
    # As JavaScript's decodeURIComponent, which gives up on a malformed escape or bytes that
    # are not UTF-8 (a GBK link): then the text stays as it is.
    if _BAD_ESCAPE.search(text):
        return text
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        return text


def old_urls(articles: Iterable[Article]) -> list[tuple[str, Article]]:
    """Every alias with a query string, with its article, in the order given."""
    return [(alias, a) for a in articles for alias in a.aliases if has_query(alias)]


def render_map(page: Page, base_path: str, url: Callable[[str], str]) -> str:
    """One of the files of FILES for the aliases of `page.entries`; `url` makes a site path
    a link under the base path (SiteContext.url)."""
    rows = _rows(page.entries, base_path, url)
    return _WRITERS[page.url](rows)


def _rows(articles, base_path: str, url) -> list[tuple[str, str, str]]:
    """(path, query, target) of each old URL as written, once, ordered by lookup key.

    Two spellings of one old URL (parameters in another order) both stay: the server
    files match the URL exactly as a browser sends it. (Two articles claiming one old URL
    are an error of url_clashes, so one key never has two targets here.)
    """
    rows = set()
    for alias, article in old_urls(articles):
        rows.add((*request_form(base_path, alias), url(article.url)))
    return sorted(rows, key=lambda row: (lookup_key(row[0], row[1]), row))


def _json(rows) -> str:
    table = {lookup_key(path, query): target for path, query, target in rows}
    return json.dumps(table, indent=0, sort_keys=True) + "\n"


def _nginx(rows) -> str:
    # Both sides quoted: the URLs are percent-encoded, so they hold no '"' or '\' that could
    # end the string; '$' in a value would name a variable, so it is encoded too.
    lines = [f'"{path}?{query}" "{target.replace("$", "%24")}";' for path, query, target in rows]
    return "\n".join([*_NGINX_HEAD, *lines, ""])


def _apache(rows) -> str:
    return "\n".join([*_APACHE_HEAD, *(f"{p}?{q} {target}" for p, q, target in rows), ""])


def _netlify(rows) -> str:
    lines = []
    for path, query, target in rows:
        pairs = _netlify_pairs(query)
        if pairs is None:
            lines.append(f"# {path}?{query} {target}: not expressible here; the 404 page has it")
        else:
            lines.append(" ".join([path, *pairs, target, "301"]))
    return "\n".join([*_NETLIFY_HEAD, *lines, ""])


def _netlify_pairs(query: str) -> list[str] | None:
    """`name=value` tokens, or None where Netlify's parser would read something else: a
    parameter with no name or no '=', a value with '=' or starting with ':' (a placeholder),
    a name twice."""
    pairs = [pair.partition("=") for pair in parameters(query)]
    names = {name for name, _, _ in pairs}
    if len(names) < len(pairs) or any(
        not name or not equals or "=" in value or value.startswith(":")
        for name, equals, value in pairs
    ):
        return None
    return ["".join(pair) for pair in pairs]


_NGINX_HEAD: Final = (
    "# Old URLs with a query string -> their articles. Written by sitegen: edit the articles'",
    "# `aliases`, not this file. Include it in nginx's http block (docs/publishing.md):",
    "#   map $request_uri $sitegen_redirect { include /path/to/redirects.nginx.conf; }",
    "# and in the site's server block:",
    "#   if ($sitegen_redirect) { return 301 $sitegen_redirect; }",
)
_APACHE_HEAD: Final = (
    "# Old URLs with a query string -> their articles, a RewriteMap of type txt. Written by",
    "# sitegen: edit the articles' `aliases`, not this file. In the server or virtual host",
    "# configuration (a RewriteMap cannot be declared in .htaccess; docs/publishing.md):",
    "#   RewriteEngine on",
    "#   RewriteMap sitegen txt:/path/to/redirects.apache.txt",
    "#   RewriteCond %{THE_REQUEST} ^[A-Z]+\\s+(\\S+)",
    "#   RewriteCond ${sitegen:%1} ^(/.*)$",
    "#   RewriteRule ^ %1 [R=301,L,NE,QSD]",
)
_NETLIFY_HEAD: Final = (
    "# Old URLs with a query string -> their articles, for Netlify. Written by sitegen: edit",
    "# the articles' `aliases`, not this file. Cloudflare Pages cannot match query strings",
    "# and skips these lines (docs/publishing.md): there the 404 page redirects.",
)
_WRITERS: Final = {MAP_JSON: _json, NGINX: _nginx, APACHE: _apache, NETLIFY: _netlify}
