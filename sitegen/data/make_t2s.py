"""Regenerate t2s.txt, the traditional -> simplified character table used by search.

Run at development time only, with OpenCC's dictionaries installed from PyPI:
    pip install --target /tmp/opencc opencc-python-reimplemented
    python sitegen/data/make_t2s.py /tmp/opencc/opencc/dictionary > sitegen/data/t2s.txt
The dictionaries are OpenCC's (Apache-2.0). Search needs one character for one character, so
a character with several simplified forms takes OpenCC's first, and Taiwan/Hong Kong variant
forms are folded to OpenCC's standard form first. Index and query use the same table, so the
choice can never lose a match; it can only let two rare variants match each other.
"""

from __future__ import annotations

import sys
from pathlib import Path


def read_pairs(path: Path) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        source, _, targets = line.partition("\t")
        first = targets.split(" ")[0]
        if len(source) == 1 and len(first) == 1:
            pairs[source] = first
    return pairs


def build_table(folder: Path) -> dict[str, str]:
    to_simple = read_pairs(folder / "TSCharacters.txt")
    variants = read_pairs(folder / "TWVariantsRev.txt") | read_pairs(folder / "HKVariantsRev.txt")
    table: dict[str, str] = {}
    for char in sorted(set(to_simple) | set(variants)):
        seen = {char}
        mapped = char
        while True:  # follow variant -> standard -> simplified until it settles
            step = to_simple.get(variants.get(mapped, mapped), variants.get(mapped, mapped))
            if step in seen:
                break
            seen.add(step)
            mapped = step
        if mapped != char:
            table[char] = mapped
    return table


def main() -> None:
    table = build_table(Path(sys.argv[1]))
    print("# Traditional -> simplified, one character each; made by make_t2s.py from OpenCC")
    print("# (Apache-2.0). Each line holds pairs: traditional character then simplified.")
    items = [a + b for a, b in sorted(table.items())]
    for start in range(0, len(items), 40):
        print("".join(items[start : start + 40]))


if __name__ == "__main__":
    main()
