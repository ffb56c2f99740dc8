"""The importer's word lists (rules.yaml) compiled once per run into immutable rules.

Site owners extend the lists by passing their own YAML file with the same keys; its
entries are added to the shipped ones, never replace them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

LABEL_KINDS = ("date", "source", "editor", "author", "views")


@dataclass(frozen=True, slots=True)
class Rules:
    label: re.Pattern[str]  # any metadata label followed by a colon; group "label"
    label_kind: dict[str, str]  # label -> date | source | editor | author | views
    breadcrumb: re.Pattern[str]
    chrome_words: re.Pattern[str]
    chrome_lines: tuple[re.Pattern[str], ...]
    end_markers: tuple[re.Pattern[str], ...]
    spam_words: re.Pattern[str]


def load_rules(extra: Path | None = None) -> Rules:
    """The shipped rules, plus a site owner's YAML file of the same shape when given."""
    data = yaml.safe_load(
        resources.files("sitegen.importer").joinpath("rules.yaml").read_text("utf-8")
    )
    if extra is not None:
        more = yaml.safe_load(extra.read_text(encoding="utf-8")) or {}
        data = _merge(data, more)
    kinds = {word: kind for kind in LABEL_KINDS for word in data["labels"].get(kind, [])}
    return Rules(
        label=re.compile(rf"(?P<label>{_alternation(kinds)})\s*[:：]"),
        label_kind=kinds,
        breadcrumb=re.compile(
            rf"^\s*(?:\d+[.、]\s*|[•·*-]\s*)?(?:{_alternation(data['breadcrumb'])})\s*[:：>»]"
        ),
        chrome_words=re.compile(_alternation(data["chrome"])),
        chrome_lines=tuple(re.compile(p, re.I) for p in data["chrome_lines"]),
        end_markers=tuple(re.compile(p) for p in data["end_markers"]),
        spam_words=re.compile(_alternation(data["spam_words"])),
    )


def _alternation(words: object) -> str:
    # longest first, so 責任編輯 wins over 編輯
    return "|".join(re.escape(w) for w in sorted({str(w) for w in words}, key=len, reverse=True))


def _merge(base: dict, more: dict) -> dict:
    merged = dict(base)
    for key, value in more.items():
        if isinstance(value, dict):
            merged[key] = _merge(base.get(key, {}), value)
        elif isinstance(value, list):
            merged[key] = list(base.get(key, [])) + value
    return merged
