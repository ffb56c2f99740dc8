"""Import a generated corpus of legacy pages and print pages per second (issue 4, item 11).

    python bench/bench_import.py [--pages 1000]

Target: at least 100 pages/s on one core. Runs the pure per-page importer (decode, clean,
extract, mojibake, convert) and then a full `import_tree` into a throwaway site.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from legacy_pages import generate  # noqa: E402

from sitegen.config import load_config  # noqa: E402
from sitegen.importer import import_page, make_context  # noqa: E402
from sitegen.importer.tree import import_tree  # noqa: E402

SITE_YAML = """title: bench
base_url: https://example.org/
categories:
  - slug: law
    name: 法律維權
  - slug: news
    name: 工會要聞
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = generate(root / "src", args.pages)
        context = make_context()
        raws = [(p.read_bytes(), p.relative_to(root / "src")) for p in files]
        start, cpu = time.perf_counter(), time.process_time()
        kinds: dict[str, int] = {}
        for raw, rel in raws:
            kind = import_page(raw, rel, context).kind
            kinds[kind] = kinds.get(kind, 0) + 1
        pure, pure_cpu = time.perf_counter() - start, time.process_time() - cpu
        (root / "site").mkdir()
        (root / "site/site.yaml").write_text(SITE_YAML, encoding="utf-8")
        config, _ = load_config(root / "site")
        assert config is not None
        start, cpu = time.perf_counter(), time.process_time()
        report = import_tree(root / "src", config, root / "site/content", context)
        full, full_cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"pages: {len(files)} ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})")
    # CPU time is the per-core figure; wall time also counts other processes on the machine
    n = len(files)
    print(f"import_page: {n / pure_cpu:.0f} pages per CPU-second ({n / pure:.0f} pages/s wall)")
    print(
        f"import_tree (with writing): {len(report.pages) / full_cpu:.0f} pages per CPU-second "
        f"({len(report.pages) / full:.0f} pages/s wall)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
