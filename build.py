"""Build this repository's site: `python build.py` is `sitegen build .`."""

import sys

from sitegen.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["build", *sys.argv[1:]]))
