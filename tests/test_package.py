"""The package as a user gets it: `python -m build` makes a wheel and an sdist, and the wheel,
installed into a fresh virtual environment (not editable), can init, build and check a site
with nothing else: the theme and the starter files travel inside it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from sitegen import __version__

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def run(*argv: str | Path, cwd: Path, timeout: int = 600) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    result = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=timeout, check=False)  # fmt: skip
    assert result.returncode == 0, f"{argv}:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """The wheel and sdist, built from a copy of the sources (the checkout stays as it is)."""
    work = tmp_path_factory.mktemp("package")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "CHANGELOG.md", "MANIFEST.in"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(REPO / "sitegen", source / "sitegen",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))  # fmt: skip
    # no isolation: the build backend of the test extras, so that no download is needed
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", work / "dist", source,
        cwd=work)  # fmt: skip
    return work / "dist"


def test_build_makes_a_wheel_and_an_sdist_of_this_version(dist):
    assert sorted(p.name for p in dist.iterdir()) == [
        f"sitegen_archive-{__version__}-py3-none-any.whl", f"sitegen_archive-{__version__}.tar.gz"
    ]  # fmt: skip


def test_the_wheel_holds_the_default_theme_and_the_starter_files(dist):
    names = set(zipfile.ZipFile(next(dist.glob("*.whl"))).namelist())
    theme = REPO / "sitegen" / "theme"
    shipped = {p.relative_to(REPO).as_posix() for p in theme.rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}  # fmt: skip
    assert shipped - names == set()
    assert {"sitegen/starter/site.yml", "sitegen/starter/guide.md"} <= names


def test_the_sdist_holds_the_theme_the_starter_files_and_the_changelog(dist):
    with tarfile.open(next(dist.glob("*.tar.gz"))) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    wanted = {"CHANGELOG.md", "sitegen/theme/layouts/article.html", "sitegen/starter/site.yml",
              "sitegen/theme/static/js/print.js"}  # fmt: skip
    assert wanted - names == set()


def test_python_m_build_in_the_repository_is_the_packaging_tool_not_build_py():
    """build.py (`python build.py` builds the sample site) must not shadow the tool there."""
    assert run(sys.executable, "-m", "build", "--version", cwd=REPO).startswith("build ")


def test_the_installed_wheel_inits_builds_strictly_and_checks_a_new_site(dist, tmp_path):
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    wheel = next(dist.glob("*.whl"))
    run(bin_dir / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel,
        cwd=tmp_path)  # fmt: skip
    sitegen = bin_dir / "sitegen"
    assert run(sitegen, "--version", cwd=tmp_path).strip() == f"sitegen {__version__}"
    run(sitegen, "init", "site", "--title", "新的檔案館", cwd=tmp_path)
    site = tmp_path / "site"
    assert not (site / "layouts").exists()  # the theme comes from the installed package
    built = run(sitegen, "build", "--strict", cwd=site)
    assert "built " in built
    assert "0 problems" in run(sitegen, "check", cwd=site)
    assert "新的檔案館" in (site / "public/index.html").read_text(encoding="utf-8")
    assert (site / "public/static/js/print.js").is_file()
