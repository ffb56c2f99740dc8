"""Pages -> bytes. The contract for layout authors.

Layouts are found in the site's `layouts/` first, then in sitegen's packaged default theme
(`sitegen/theme/`), file by file. Every layout is a Jinja2 template (autoescape on,
StrictUndefined, so a typo fails the build with the template's file and line). It sees
two names (`site` is a global, so macros see it without `with context`):

- `site`: a `SiteContext`: `site.config` (the settings of site.yaml: title, description,
  language, categories ...), `site.labels` (the interface text for the site's language,
  e.g. `site.labels.published` = 發布日期), `site.categories`, and the URL helpers
  `site.url("/law/")` (adds the base path) and `site.abs_url(...)` (adds the base URL).
- `page`: a `sitegen.site.Page`: `page.kind` (home, category, article, print, archive,
  year, month, 404, search, alias), `page.url`, `page.title`, `page.category`,
  `page.article` (title, subtitle, date, source, editor, author, tags ...), `page.body`
  (the article's HTML, sanitised unless site.yaml says `html: trusted`; output it as it
  is), `page.previous` / `page.next` (上一篇 / 下一篇), `page.entries` (articles of a list
  page, newest first), `page.groups` (home page: (category, articles) pairs), `page.pager`,
  `page.breadcrumbs`, `page.months`, `page.target` (where an alias redirects to; on the 404
  page, the redirect map of old URLs with a query string, or None: see sitegen/redirects.py).

Filters: `date` (default format 2018-09-21 14:29), `isodate`, `url` and `abs_url` (the same as
site.url and site.abs_url, and cheaper in a layout: Jinja calls a filter directly, while
every call of a method goes through its runtime).

Settings and labels are fixed for a build, so `{{ site.labels.print }}` and the like are
compiled into the layout as text (layouts are compiled again when site.yaml changes).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import marshal
import re
import traceback
from pathlib import Path
from typing import Final

import jinja2
from jinja2 import nodes
from jinja2.visitor import NodeTransformer
from markupsafe import Markup
from markupsafe import escape as escape_markup

from sitegen import __version__, theme
from sitegen.bodies import BodyStore
from sitegen.bundles import Resource, place, variant_url
from sitegen.cache import CACHE_DIR, write_atomically
from sitegen.config import Config
from sitegen.content import Article
from sitegen.context import SiteContext, make_context, quote_url
from sitegen.plaintext import excerpt
from sitegen.problems import Problem, SiteError
from sitegen.redirects import render_map
from sitegen.script_settings import prefix_of
from sitegen.scripts import is_page_path
from sitegen.site import Page
from sitegen.theme import LAYOUTS_DIR

# xml.sax.saxutils has these, but importing it pulls in urllib.request and email (20 ms
# of every build's start-up).
_XML_TEXT: Final = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_XML_ATTR: Final = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


def escape(text: str) -> str:
    return text.translate(_XML_TEXT)


def quoteattr(text: str) -> str:
    return '"' + text.translate(_XML_ATTR) + '"'


class _SiteEnvironment(jinja2.Environment):
    """Compiles layouts with the site's fixed values in place (see `_SiteConstants`)."""

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        # The one place every layout's syntax tree passes between parsing and compiling.
        return _SiteConstants(self.globals["site"], self).visit(
            super()._parse(source, name, filename)
        )


class _SiteConstants(NodeTransformer):
    """`site.config.title`, `site.labels.print` ...: fixed for a build, so compiled in.

    A layout outputs some twenty-five of them per page; as constants Jinja escapes them once
    when it compiles, not on every page, and `{% if site.config.search %}` costs nothing.
    Only chains of attributes from the `site` global that end in a string, number, bool or
    None; and not in a layout that binds the name `site` itself.
    """

    def __init__(self, site: SiteContext, env: jinja2.Environment) -> None:
        self.site, self.env = site, env

    def visit_Template(self, node: nodes.Template) -> nodes.Node:  # noqa: N802 (Jinja's API)
        return node if "site" in _bound_names(node) else self.generic_visit(node)

    def visit_Getattr(self, node: nodes.Getattr) -> nodes.Node:  # noqa: N802 (Jinja's API)
        value = self._value(node)
        if type(value) in _SCALARS:
            return nodes.Const(value, lineno=node.lineno, environment=self.env)
        return self.generic_visit(node)

    def _value(self, node: nodes.Node) -> object:
        if isinstance(node, nodes.Name) and node.name == "site" and node.ctx == "load":
            return self.site
        if isinstance(node, nodes.Getattr) and node.ctx == "load":
            base = self._value(node.node)
            if base is not _NOT_FIXED:
                value = self.env.getattr(base, node.attr)
                return _NOT_FIXED if isinstance(value, jinja2.Undefined) else value
        return _NOT_FIXED


def _bound_names(tree: nodes.Template) -> set[str]:
    """Names a layout sets, loops over, takes as parameters or imports."""
    bound = {name.name for name in tree.find_all(nodes.Name) if name.ctx != "load"}
    bound |= {found.target for found in tree.find_all(nodes.Import)}
    for found in tree.find_all(nodes.FromImport):
        bound |= {name[1] if isinstance(name, tuple) else name for name in found.names}
    return bound


_NOT_FIXED: Final = object()
_SCALARS: Final = frozenset({str, int, float, bool, type(None)})


def make_env(config: Config, script: str = "") -> jinja2.Environment:
    """The layouts' environment for the pages of `script` ("" for the articles' own)."""
    context = make_context(config, script)
    env = _SiteEnvironment(
        loader=theme.layout_loader(config.root),  # the site's layouts/, then the packaged theme's
        undefined=jinja2.StrictUndefined,  # a layout typo fails loudly, with file and line
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        cache_size=-1,  # a plain dict: every page looks its layouts up again
        bytecode_cache=_bytecode_cache(context, _layouts_name(config, script)),
    )
    # A global rather than a render argument: macros imported without `with context` see it
    # too, and Jinja then runs _macros.html once per process instead of once per page.
    env.globals["site"] = context
    env.filters["date"] = _format_date
    env.filters["isodate"] = lambda d: d.isoformat()
    env.filters["url"] = context.url
    env.filters["abs_url"] = context.abs_url
    env.filters["filesize"] = file_size
    return env


def _layouts_name(config: Config, script: str) -> str:
    # The second script's folder is named after the first's: a full build keeps the
    # folders whose names start with the current settings' (pipeline._remove_other_caches).
    name = layouts_cache_name(make_context(config))
    return name + "-" + prefix_of(script).rstrip("/") if script else name


def _bytecode_cache(site: SiteContext, name: str) -> jinja2.BytecodeCache | None:
    """Compiled layouts, kept between builds: compiling them is a tenth of a small rebuild.

    Jinja keys each by the layout's source, but compiled code also holds values of the
    settings (constants above, and filters such as `url` on a constant string, which Jinja
    applies when it compiles): so a folder per settings.
    """
    folder = site.config.root / CACHE_DIR / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only checkout: compile each time
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


def layouts_cache_name(site: SiteContext) -> str:
    fixed = repr((__version__, site.config, sorted(site.labels.items())))
    return "layouts-" + hashlib.sha256(fixed.encode("utf-8")).hexdigest()[:16]


def file_size(size: int) -> str:
    """A file's size as readers read it: 812 B, 23 KB, 4.2 MB."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _format_date(value: dt.datetime | dt.date, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.strftime(fmt)


def render_page(env: jinja2.Environment, site: SiteContext, page: Page, bodies: BodyStore) -> bytes:
    """Render one page; raises SiteError naming the layout file and line on a template error."""
    if page.kind == "feed":
        return render_feed(site, page, bodies).encode("utf-8")
    if page.kind == "sitemap":
        return render_sitemap(site, page).encode("utf-8")
    if page.kind == "redirects":  # old URLs with a query string, for the 404 page and servers
        return render_map(page, site.config.base_path, site.url).encode("utf-8")
    if page.kind in ("article", "print") and page.article is not None:
        body = _under_base_path(bodies.get(page.article).html, site.config.base_path, site.prefix)
        body = place(body, page.files, site.url, printed=page.kind == "print")
        page = page.with_body(Markup(body))
    try:
        template = env.get_template(page.template or "")
        return template.render(page=page).encode("utf-8")
    except jinja2.TemplateSyntaxError as exc:
        raise SiteError(_template_problem(env, page, exc, exc.filename, exc.lineno)) from None
    except jinja2.TemplateNotFound as exc:
        message = (f"layout {exc.name!r} not found in {LAYOUTS_DIR}/ nor in sitegen's default "
                   f"theme (needed for {_what(page)})")  # fmt: skip
        raise SiteError(Problem(Path(LAYOUTS_DIR) / str(exc.name), message)) from None
    except Exception as exc:  # a runtime error inside a layout: blame its file and line
        filename, lineno = _layout_frame(exc)
        raise SiteError(_template_problem(env, page, exc, filename, lineno)) from None


_ROOT_LINK: Final = re.compile(r'(<(?:a|img|source|link)\b[^>]*?\s(?:href|src)=")/(?!/)([^"]*)')


def _under_base_path(body: str, base_path: str, prefix: str = "") -> str:
    """Editors link other articles as /law/slug/: put such links under the site's base path.

    Done here, not when the Markdown is rendered, so stored bodies stay valid for any base URL.
    The base path goes into an attribute: percent-encoded as the layouts' links are, and
    escaped, so that no base URL can end the attribute (config refuses such URLs too).
    In the second script (`prefix` "zh-hans/"), links to pages lead to their twins there.
    """
    if base_path == "/" and not prefix:
        return body
    base = str(escape_markup(quote_url(base_path)))
    if not prefix:
        return _ROOT_LINK.sub(lambda m: m.group(1) + base + m.group(2), body)
    return _ROOT_LINK.sub(lambda m: m.group(1) + base + (prefix if is_page_path("/" + m.group(2))
                                                         else "") + m.group(2), body)  # fmt: skip


def _what(page: Page) -> str:
    return page.article.path if page.article else f"page {page.url}"


def _template_problem(env, page: Page, exc: Exception, filename, lineno) -> Problem:
    root = env.globals["site"].config.root
    path = Path(filename) if filename else Path(LAYOUTS_DIR) / (page.template or "?")
    message = getattr(exc, "message", None) or str(exc)
    message = f"template error: {message} (while rendering {_what(page)})"
    if path.is_absolute() and path.is_relative_to(theme.THEME_DIR):
        # named as the site's own file would be, which is where a fix goes
        path = path.relative_to(theme.THEME_DIR)
        message += f"; the layout is sitegen's default: `sitegen theme export --only {path.name}`"
    elif path.is_absolute() and path.is_relative_to(root):
        path = path.relative_to(root)
    return Problem(path, message, lineno)


def _layout_frame(exc: Exception) -> tuple[str | None, int | None]:
    # Jinja rewrites tracebacks so that template frames carry the template's file and line.
    found: tuple[str | None, int | None] = (None, None)
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(".html") or f"/{LAYOUTS_DIR}/" in frame.filename:
            found = (frame.filename, frame.lineno)
    return found


def render_feed(site: SiteContext, page: Page, bodies: BodyStore) -> str:
    """An Atom feed of `page.entries`, each with its summary or the start of its text."""
    feed_url = site.abs_url(page.url)
    home = site.abs_url(f"/{page.category.slug}/" if page.category else "/")
    updated = page.entries[0].date.isoformat() if page.entries else "1970-01-01T00:00:00+00:00"
    title = page.title if page.category is None else f"{site.config.title} - {page.title}"
    head = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom"{_MEDIA_NS if page.images else ""} '
        f"xml:lang={quoteattr(site.config.language)}>",
        f"<title>{escape(title)}</title>",
        f"<id>{escape(feed_url)}</id>",
        f'<link rel="self" href={quoteattr(feed_url)}/>',
        f'<link rel="alternate" type="text/html" href={quoteattr(home)}/>',
        f"<updated>{updated}</updated>",
        "<generator>sitegen</generator>",
    ]
    images = dict(page.images)
    entries = [_feed_entry(site, a, bodies, images.get(a.path)) for a in page.entries]
    return "\n".join([*head, *entries, "</feed>", ""])


_MEDIA_NS: Final = ' xmlns:media="http://search.yahoo.com/mrss/"'


def _thumbnail(site: SiteContext, image: Resource | None) -> str:
    """A feed reader's picture for the entry: the article's first image, at about the
    width of a reader's column (absolute: a feed is read away from the site)."""
    if image is None or image.image is None:
        return ""
    info = image.image
    fallback = info.copies()
    chosen = next((v for v in fallback if v.width >= _THUMBNAIL_WIDTH), fallback[-1])
    url = site.abs_url(variant_url(image, chosen.name))
    return (f"<media:thumbnail url={quoteattr(url)} width=\"{chosen.width}\" "
            f'height="{chosen.height}"/>')  # fmt: skip


_THUMBNAIL_WIDTH: Final = 480


def _feed_entry(
    site: SiteContext, article: Article, bodies: BodyStore, image: Resource | None = None
) -> str:
    link = site.abs_url(article.url)
    summary = article.summary or excerpt(bodies.get(article).text, 200)
    author = article.author or article.editor or site.config.title
    return (
        f"<entry><title>{escape(article.title)}</title>"
        f'<link rel="alternate" type="text/html" href={quoteattr(link)}/>'
        f"<id>{escape(link)}</id>"
        f"<published>{article.date.isoformat()}</published>"
        f"<updated>{article.date.isoformat()}</updated>"
        f"<author><name>{escape(author)}</name></author>"
        f"<category term={quoteattr(article.category)} "
        f"label={quoteattr(site.category_name(article.category))}/>"
        f"<summary>{escape(summary)}</summary>{_thumbnail(site, image)}</entry>"
    )


def render_sitemap(site: SiteContext, page: Page) -> str:
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    xmlns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    if page.template == "index":
        items = _each_in(_locs(site, page.children), "<sitemap><loc>", "</loc></sitemap>")
        return "\n".join([head, f"<sitemapindex {xmlns}>", *items, "</sitemapindex>", ""])
    if site.scripts:
        xmlns += ' xmlns:xhtml="http://www.w3.org/1999/xhtml"'
        items = [_sitemap_twins(site, u) for u in page.children]
    else:
        items = _each_in(_locs(site, page.children), "<url><loc>", "</loc></url>")
    return "\n".join([head, f"<urlset {xmlns}>", *items, "</urlset>", ""])


def _locs(site: SiteContext, paths: list[str]) -> str:
    """The absolute URL of each path, escaped for XML, one a line: escaped together, in
    one string (a URL has no line break: quote_url encodes them)."""
    return escape("\n".join(site.abs_urls(paths)))


def _each_in(lines: str, start: str, end: str) -> list[str]:
    """Each line between the tags, in one string (or none): one C loop, not a Python one
    for each of a sitemap's 50 000 URLs. A new article at 100 000 articles renders the
    sitemaps' 110 000 URLs again: 0.07 s one by one, 0.03 s so (with _locs)."""
    return [start + lines.replace("\n", f"{end}\n{start}") + end] if lines else []


def _sitemap_twins(site: SiteContext, url: str) -> str:
    """A page in each script, each naming both as alternates (as search engines ask)."""
    found = site.alternates(url)[:-1]  # no x-default here: both are listed
    links = "".join(f'<xhtml:link rel="alternate" hreflang="{s}" href={quoteattr(u)}/>'
                    for s, u in found)  # fmt: skip
    return "\n".join(f"<url><loc>{escape(u)}</loc>{links}</url>" for _, u in found)


def template_digests(
    env: jinja2.Environment, names: set[str], known: Path | None = None
) -> dict[str, str]:
    """For each layout, a digest of its source and of every layout it extends or includes.

    A page's cache key holds its layout's digest, so editing base.html re-renders every
    page while editing print.html re-renders only the print views. The layouts each source
    refers to are kept in the file `known` by the source's digest: parsing every layout
    again took 0.02 s of each rebuild.
    """
    loader = env.loader
    assert loader is not None
    sources: dict[str, str] = {}
    uses: dict[str, set[str]] = {}
    refs = _load_refs(known)
    before = dict(refs)

    def visit(name: str) -> None:
        if name in sources:
            return
        source = loader.get_source(env, name)[0]
        sources[name] = source
        referenced = _referenced(env, source, refs)
        if None in referenced:  # a computed template name: depend on every layout
            referenced = set(env.list_templates(extensions=["html", "xml"]))
        uses[name] = {r for r in referenced if r}
        for other in uses[name]:
            visit(other)

    digests = {}
    for name in sorted(names):
        try:
            visit(name)
        except (jinja2.TemplateError, OSError):
            digests[name] = "missing"  # render_page reports it with the file and line
            continue
        closure, todo = set(), [name]
        while todo:
            current = todo.pop()
            if current not in closure:
                closure.add(current)
                todo += uses.get(current, ())
        joined = "\0".join(f"{n}\0{sources[n]}" for n in sorted(closure))
        digests[name] = hashlib.sha256(joined.encode("utf-8")).hexdigest()
    if known is not None and refs != before:
        write_atomically(known, marshal.dumps(refs))
    return digests


def _referenced(env: jinja2.Environment, source: str, refs: dict[str, list]) -> set:
    """The layout names a source extends, includes or imports (None for a computed one)."""
    from jinja2 import meta

    digest = hashlib.sha256(source.encode("utf-8")).hexdigest()
    if not isinstance(refs.get(digest), list):
        refs[digest] = list(meta.find_referenced_templates(env.parse(source)))
    return set(refs[digest])


def _load_refs(path: Path | None) -> dict[str, list]:
    try:
        value = marshal.loads(path.read_bytes()) if path is not None else {}
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    return value if isinstance(value, dict) else {}
