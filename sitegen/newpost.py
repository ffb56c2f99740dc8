"""`sitegen new`: a new article file with correct front matter, never over an existing one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from sitegen.bundles import BUNDLE_INDEX
from sitegen.config import SLUG_RE, load_config
from sitegen.content import CONTENT_DIR


class UsageError(ValueError):
    """A mistake in the command line rather than in the site."""


def write_new_article(
    root: Path, title: str, category: str, slug: str | None, now: dt.datetime | None = None,
    bundle: bool = False,
) -> Path:  # fmt: skip
    """Write the article's file (content/<category>/<slug>.md, or with `bundle` a folder
    content/<category>/<slug>/index.md, for photos and attachments to sit beside)."""
    config, problems = load_config(root)
    if config is None:
        raise ValueError("\n".join(str(p) for p in problems))
    if config.category(category) is None:
        known = ", ".join(c.slug for c in config.categories)
        raise ValueError(f"unknown category {category!r}; site.yaml has: {known}")
    now = now or dt.datetime.now(config.zone)
    # Titles are Chinese, and a Chinese slug makes a long percent-encoded URL: default to time.
    slug = slug or now.strftime("%Y%m%d-%H%M%S")
    if not SLUG_RE.fullmatch(slug) or slug.startswith("."):
        raise UsageError(f"--slug {slug!r} may hold letters, digits, '-', '_' and '.' only "
                         "(no '/'): it names the file and the URL")  # fmt: skip
    folder = root / CONTENT_DIR / category
    path = folder / slug / BUNDLE_INDEX if bundle else folder / f"{slug}.md"
    for other in (folder / f"{slug}.md", folder / slug / BUNDLE_INDEX):
        if other.exists():  # the other form of the same article: one URL, two files
            raise FileExistsError(f"{other} exists")
    quoted_title = yaml.safe_dump(title, allow_unicode=True).removesuffix("\n...\n").strip()
    text = (
        f"---\ntitle: {quoted_title}\ndate: {now:%Y-%m-%d %H:%M:%S}\ncategory: {category}\n"
        "source:\neditor:\n---\n\n"
    )
    if bundle:
        text += _BUNDLE_HINT
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:  # "x": never overwrite an editor's file
        handle.write(text)
    return path


# The body of a new article folder: how to show its photos and files, to delete or adapt.
_BUNDLE_HINT = """\
<!-- 把照片和附件放在本文件旁邊，然後這樣引用：
![照片說明](photo.jpg "圖片標題")
[附件名稱](名單.xlsx)
-->
"""
