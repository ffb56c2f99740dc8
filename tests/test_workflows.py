"""The GitHub Actions workflows shipped for forks pass actionlint and do what issue 6 asks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    # beside this Python first: an un-activated virtualenv's scripts are not on PATH
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which("actionlint", path=search)
    if found is None:
        pytest.fail("actionlint is not installed: pip install -e '.[test]'")
    command = [found, "-no-color", "-oneline", *map(str, files)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_the_repository_ships_a_site_workflow():
    assert "site.yml" in [p.name for p in WORKFLOWS]


def test_the_shipped_workflows_have_no_actionlint_findings():
    result = actionlint(*WORKFLOWS)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_actionlint_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        textwrap.dedent("""\
            on: push
            jobs:
              deploy:
                needs: biuld
                runs-on: ubuntu-latest
                steps:
                  - run: echo "${{ github.event.head_commit.mesage }}"
            """),
        encoding="utf-8",
    )
    result = actionlint(broken)
    assert result.returncode == 1
    assert 'job "deploy" needs job "biuld" which does not exist' in result.stdout


def load(name: str) -> dict:
    return yaml.safe_load((REPO / ".github" / "workflows" / name).read_text(encoding="utf-8"))


def test_the_site_workflow_runs_on_push_and_pull_request():
    # PyYAML reads the bare key `on` as True (YAML 1.1)
    assert {"push", "pull_request"} <= set(load("site.yml")[True])


def test_the_site_workflow_tests_then_builds_strictly_then_checks():
    runs = [step.get("run", "") for step in load("site.yml")["jobs"]["build"]["steps"]]
    order = [
        next(i for i, run in enumerate(runs) if wanted in run)
        for wanted in ("pip install --editable '.[test]'", "pytest", "sitegen build --strict")
    ]
    order.append(runs.index("sitegen check"))
    assert order == sorted(order)


def test_only_the_default_branch_deploys_to_github_pages():
    jobs = load("site.yml")["jobs"]
    on_default = (
        "github.event_name != 'pull_request' && "
        "github.ref_name == github.event.repository.default_branch"
    )
    upload = next(s for s in jobs["build"]["steps"] if "upload-pages-artifact" in s.get("uses", ""))
    assert (upload["if"], upload["with"]["path"]) == (on_default, "public/")
    deploy = jobs["deploy"]
    assert (deploy["if"], deploy["needs"]) == (on_default, "build")
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["steps"][-1]["uses"].startswith("actions/deploy-pages@")
