"""The settings of a site in two scripts (issue 16): `scripts`, `conversion`, `no_convert`.

    scripts: [zh-Hant, zh-Hans]   # the first is the articles' script, the site at /
    conversion: t2s               # OpenCC's, from the first to the second
    no_convert: [source]          # front-matter values kept as written in both

The second script's site lives under a prefix named after it (/zh-hans/). Checked here,
with the rest of site.yaml (config.py calls `check_scripts`), and kept apart from
scripts.py, which makes the pages: config.py may not import the site's modules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from sitegen.problems import did_you_mean

SCRIPTS: Final = ("zh-Hant", "zh-Hans")
# The conversions that go from one script to the other, the default first; the others
# are Taiwan's and Hong Kong's forms (s2twp also their words: 软件 -> 軟體).
CONVERSIONS_FROM: Final = {
    "zh-Hant": ("t2s", "tw2s", "tw2sp", "hk2s", "hk2sp"),
    "zh-Hans": ("s2t", "s2tw", "s2twp", "s2hk", "s2hkp"),
}
# Front-matter values that are text readers see, so converted unless named in no_convert.
CONVERTED_KEYS: Final = ("title", "subtitle", "source", "editor", "author", "summary", "tags")
# How each script is named on the switch between them, in its own script.
SHORT_NAMES: Final = {"zh-Hant": "繁", "zh-Hans": "简"}


def prefix_of(script: str) -> str:
    """The folder of a script's site under the output, and its URL path: "zh-hans/"."""
    return script.lower() + "/"


def default_conversion(source: str) -> str:
    return CONVERSIONS_FROM[source][0]


def check_scripts(values: dict[str, Any], raw: dict[str, Any], report: Callable) -> None:
    """Check `scripts`, `conversion` and `no_convert` in `values` (the settings of the right
    types), reporting each problem by key; a bad value is dropped, as config.py does."""
    if "scripts" in values:
        _check_list(values, report)
    if "scripts" in values and "language" in raw and raw["language"] != values["scripts"][0]:
        report("language", f"'language' is {raw['language']!r} but the first of 'scripts' is "
               f"{values['scripts'][0]!r}: the first script is the articles' own, make the two "
               "agree (or leave 'language' out)")  # fmt: skip
        del values["scripts"]
    elif "scripts" in values:
        values["language"] = values["scripts"][0]
    scripts = values.get("scripts", ())
    if "conversion" in values:
        _check_conversion(values, scripts, report)
    if "no_convert" in values:
        _check_no_convert(values, report)
    if len(scripts) == 2:
        _check_prefix_free(raw.get("categories"), prefix_of(scripts[1])[:-1], report)


def _check_list(values: dict[str, Any], report: Callable) -> None:
    scripts = values["scripts"]
    for name in scripts:
        if name not in SCRIPTS:
            shown = name if isinstance(name, str) else repr(name)
            hint = did_you_mean(str(name), SCRIPTS) or _case_hint(str(name))
            report("scripts", f"unknown script {shown!r} in 'scripts'{hint}; known: "
                   f"{', '.join(SCRIPTS)}")  # fmt: skip
            del values["scripts"]
            return
    if not 1 <= len(scripts) <= 2 or len(set(scripts)) != len(scripts):
        report("scripts", "'scripts' must name the articles' script, then the other one at "
               "most once: [zh-Hant, zh-Hans] or [zh-Hans, zh-Hant]")  # fmt: skip
        del values["scripts"]
        return
    values["scripts"] = tuple(scripts) if len(scripts) == 2 else ()


def _case_hint(name: str) -> str:
    found = [s for s in SCRIPTS if s.casefold() == name.replace("_", "-").casefold()]
    return f" (did you mean {found[0]!r}?)" if found else ""


def _check_conversion(values: dict[str, Any], scripts: tuple[str, ...], report) -> None:
    conversion = values["conversion"]
    if len(scripts) != 2:
        report("conversion", "'conversion' has no effect with one script: add 'scripts: "
               "[zh-Hant, zh-Hans]' or remove it", "warning")  # fmt: skip
        del values["conversion"]
        return
    allowed = CONVERSIONS_FROM[scripts[0]]
    if conversion not in allowed:
        backwards = conversion in CONVERSIONS_FROM[scripts[1]]
        hint = " (it converts the other way)" if backwards else did_you_mean(conversion, allowed)
        report("conversion", f"'conversion' {conversion!r} does not convert {scripts[0]} to "
               f"{scripts[1]}{hint}; use one of: {', '.join(allowed)}")  # fmt: skip
        del values["conversion"]


def _check_no_convert(values: dict[str, Any], report: Callable) -> None:
    keys = values["no_convert"]
    bad = [k for k in keys if k not in CONVERTED_KEYS]
    if bad:
        shown = bad[0] if isinstance(bad[0], str) else repr(bad[0])
        report("no_convert", f"'no_convert' names {shown!r}, which is not converted"
               f"{did_you_mean(str(bad[0]), CONVERTED_KEYS)}; it may name: "
               f"{', '.join(CONVERTED_KEYS)}")  # fmt: skip
        del values["no_convert"]
    else:
        values["no_convert"] = tuple(dict.fromkeys(keys))


def _check_prefix_free(categories: Any, folder: str, report: Callable) -> None:
    """A category named like the second script's folder would share its URLs."""
    for item in categories if isinstance(categories, list) else ():
        if isinstance(item, dict) and str(item.get("slug", "")).casefold() == folder:
            report("categories", f"category slug {item['slug']!r} is the folder of the site "
                   "in the second script: choose another")  # fmt: skip
