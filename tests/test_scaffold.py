"""`sitegen init DIR`: a new site that builds strictly and checks clean, and never overwrites."""

from __future__ import annotations

import yaml

from sitegen import __version__
from sitegen.check import check_site
from sitegen.cli import main
from sitegen.pipeline import build_site
from tests.test_workflows import actionlint

FILES = {
    "site.yaml",
    "content/news/welcome.md",
    ".gitignore",
    ".github/workflows/site.yml",
    "如何發布文章.md",
}


def listing(root) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_init_writes_a_site_that_builds_strictly_and_passes_the_check(tmp_path, capsys):
    root = tmp_path / "union"
    assert main(["init", str(root), "--title", "市總工會", "--base-url", "https://u.example/"]) == 0
    assert listing(root) == FILES
    result = build_site(root, strict=True)
    assert [str(p) for p in result.problems] == []
    assert "市總工會" in (root / "public/index.html").read_text(encoding="utf-8")
    assert (root / "public/news/welcome/index.html").is_file()
    report = check_site(root)
    assert [str(p) for p in report.problems] == []


def test_the_next_step_printed_works_for_a_folder_with_a_space(tmp_path, capsys):
    root = tmp_path / "職工 檔案"
    assert main(["init", str(root)]) == 0
    step = capsys.readouterr().out.strip().splitlines()[-1]
    assert step == f"next: cd '{root.as_posix()}' && sitegen build && sitegen serve"


def test_init_sets_the_language_and_categories_asked_for(tmp_path):
    root = tmp_path / "site"
    argv = ["init", str(root), "--script", "zh-Hans", "--category", "law:法律维权",
            "--category", "news:工会要闻"]  # fmt: skip
    assert main(argv) == 0
    settings = yaml.safe_load((root / "site.yaml").read_text(encoding="utf-8"))
    assert settings["language"] == "zh-Hans"
    assert settings["categories"] == [
        {"slug": "law", "name": "法律维权"}, {"slug": "news", "name": "工会要闻"}
    ]  # fmt: skip
    example = (root / "content/law/welcome.md").read_text(encoding="utf-8")
    assert "欢迎" in example and "歡迎" not in example  # written in the site's script
    assert build_site(root, strict=True).ok
    assert 'lang="zh-Hans"' in (root / "public/index.html").read_text(encoding="utf-8")


def test_init_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["init", str(tmp_path)]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert listing(tmp_path) == {"notes.txt"}


def test_init_with_force_adds_missing_files_and_never_overwrites_one(tmp_path, capsys):
    (tmp_path / "site.yaml").write_text("title: 我的\n", encoding="utf-8")
    assert main(["init", str(tmp_path), "--force"]) == 0
    assert (tmp_path / "site.yaml").read_text(encoding="utf-8") == "title: 我的\n"
    out = capsys.readouterr().out
    assert f"skipped {tmp_path.as_posix()}/site.yaml: it exists (never overwritten)" in out
    assert listing(tmp_path) == FILES


def test_a_category_option_that_site_yaml_would_refuse_writes_nothing(tmp_path, capsys):
    root = tmp_path / "site"
    assert main(["init", str(root), "--category", "static:靜態"]) == 2
    assert capsys.readouterr().err.startswith("sitegen init: site.yaml would be refused:")
    assert main(["init", str(root), "--category", "news"]) == 2
    assert "write it as slug:名稱" in capsys.readouterr().err
    assert not root.exists()


def test_the_site_workflow_pins_this_sitegen_caches_the_build_and_deploys_pages(tmp_path):
    assert main(["init", str(tmp_path / "s")]) == 0
    workflow = tmp_path / "s/.github/workflows/site.yml"
    result = actionlint(workflow)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    jobs = yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"]
    steps = jobs["build"]["steps"]
    runs = [s.get("run", "") for s in steps]
    assert f'pip install "sitegen-archive=={__version__}"' in runs
    assert runs.index("sitegen build --strict") < runs.index("sitegen check")
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"].split() == [".sitegen-cache", "public"]
    assert cache["with"]["key"].endswith("${{ github.sha }}")
    assert cache["with"]["key"].startswith(cache["with"]["restore-keys"].strip())
    uses = [s.get("uses", "") for s in steps + jobs["deploy"]["steps"]]
    assert "actions/upload-pages-artifact@v3" in uses and "actions/deploy-pages@v4" in uses
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert "default_branch" in jobs["deploy"]["if"]


def test_the_editors_guide_explains_front_matter_photos_preview_and_errors(tmp_path):
    assert main(["init", str(tmp_path / "s")]) == 0
    guide = (tmp_path / "s/如何發布文章.md").read_text(encoding="utf-8")
    needed = ("`title`", "`category`", "content/news/2024-labour-day/index.md", "sitegen serve",
              "content/news/a.md:4: error:")  # fmt: skip
    assert [text for text in needed if text not in guide] == []
