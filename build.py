"""Build this repository's site: `python build.py` is `sitegen build .`."""

import sys

from sitegen.cli import run

if __name__ == "__main__":
    run(["build", *sys.argv[1:]])
