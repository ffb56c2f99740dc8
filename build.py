"""Build this repository's site: `python build.py` is `sitegen build .`.

Run from this folder, `python -m build` finds this file before the PyPA tool of that name
(the current folder comes first on sys.path): that command is handed on to the tool, which
makes the wheel and the sdist.
"""

import os
import runpy
import sys

if __name__ == "__main__" and __spec__ is not None:  # run as `python -m build`
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    runpy.run_module("build", run_name="__main__", alter_sys=True)
elif __name__ == "__main__":
    from sitegen.cli import run

    run(["build", *sys.argv[1:]])
