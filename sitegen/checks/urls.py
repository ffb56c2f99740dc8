"""Where a URL written in the built site leads: a file in the output folder, or elsewhere.

A URL is internal when it is relative, an absolute path, or an absolute URL on base_url's
host under its base path. Internal URLs map to files the way a static host serves them:
`dir/` -> `dir/index.html`, query and fragment dropped, percent-escapes decoded (slugs may be
Chinese, `/law/%E5%B7%A5%E6%9C%83/`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import unquote, urljoin, urlsplit

IGNORED_SCHEMES: Final = frozenset({"mailto", "tel", "sms", "data", "about"})
Kind = Literal["internal", "missing", "external", "ignored", "error"]


@dataclass(frozen=True, slots=True)
class SiteFiles:
    """What a link may point at: the files in the output folder and where the site is served."""

    origin: str  # "https://news.example.org"
    base_path: str  # "/" or "/news/"
    files: frozenset[str]  # posix paths relative to the output folder


@dataclass(frozen=True, slots=True)
class Target:
    kind: Kind
    file: str = ""  # "internal": the file that answers; "missing": the one that would
    fragment: str = ""  # decoded, without "#"
    message: str = ""  # "error": what is wrong with the URL itself


def site_files(base_url: str, files: frozenset[str]) -> SiteFiles:
    parts = urlsplit(base_url)
    return SiteFiles(f"{parts.scheme}://{parts.netloc}", parts.path or "/", files)


def resolve(url: str, page: str, site: SiteFiles) -> Target:
    """Follow `url` as written in `page` (a path relative to the output folder)."""
    url = url.strip()
    if not url:
        return Target("ignored")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "javascript":
        return Target("error", message="javascript: URL: use a real link or a button")
    if scheme in IGNORED_SCHEMES:
        return Target("ignored")
    if scheme not in ("", "http", "https"):
        return Target("external")
    found = urlsplit(urljoin(site.origin + site.base_path + page, url))
    if found.netloc.lower() != urlsplit(site.origin).netloc.lower():
        return Target("external")
    if not (found.path + "/").startswith(site.base_path):
        if scheme:  # a full URL to another part of the same host is deliberate
            return Target("external")
        message = f"link {url} is outside the site's base path {site.base_path}"
        if _to_file(found.path[1:], "", site).kind == "internal":  # the base path was left out
            message += f" (write {site.base_path}{url[1:]})"
        return Target("error", message=message)
    return _to_file(found.path[len(site.base_path) :], unquote(found.fragment), site)


def _to_file(rel_url: str, fragment: str, site: SiteFiles) -> Target:
    rel = unquote(rel_url)
    if rel == "" or rel.endswith("/"):
        wanted = rel + "index.html"
        if wanted in site.files:
            return Target("internal", wanted, fragment)
    elif rel in site.files:
        return Target("internal", rel, fragment)
    elif rel + "/index.html" in site.files:  # static hosts redirect /law to /law/
        return Target("internal", rel + "/index.html", fragment)
    else:
        wanted = rel
    return Target("missing", wanted)
