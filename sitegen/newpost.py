"""`sitegen new`: a new article file with correct front matter, never over an existing one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from sitegen.config import SLUG_RE, load_config
from sitegen.content import CONTENT_DIR


class UsageError(ValueError):
    """A mistake in the command line rather than in the site."""


def write_new_article(
    root: Path, title: str, category: str, slug: str | None, now: dt.datetime | None = None
) -> Path:
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
    path = root / CONTENT_DIR / category / f"{slug}.md"
    quoted_title = yaml.safe_dump(title, allow_unicode=True).removesuffix("\n...\n").strip()
    text = (
        f"---\ntitle: {quoted_title}\ndate: {now:%Y-%m-%d %H:%M:%S}\ncategory: {category}\n"
        "source:\neditor:\n---\n\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:  # "x": never overwrite an editor's file
        handle.write(text)
    return path
