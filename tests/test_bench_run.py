"""bench/run.py's table of issue 18's targets: the serve rows come from --serve's rounds;
its header names the kernel's cached dentries."""

from __future__ import annotations

from types import ModuleType

import pytest

from tests.conftest import bench_module


@pytest.fixture(scope="module")
def run() -> ModuleType:
    return bench_module("run")


def test_serve_rounds_are_judged_by_their_median_against_each_sizes_target(run) -> None:
    small = run.SizeResult(10_000, peak_rss=[250 * 2**20], serve=[0.31, 0.27, 0.29])
    large = run.SizeResult(100_000, peak_rss=[900 * 2**20], serve=[1.4, 0.9, 1.2])
    rows = run.target_rows([small, large])
    served = [row for row in rows if "serve" in row]
    assert served == [
        "| 10 000 serve: save to shown in an open tab ≤ 0.3 s (issue 18) "
        "| 0.29 s (0.31, 0.27, 0.29) | yes |",
        "| 100 000 serve: save to shown in an open tab ≤ 1 s (issue 18) "
        "| 1.20 s (1.40, 0.90, 1.20) | **no** |",
    ]


def test_without_serve_rounds_the_table_has_no_serve_row(run) -> None:
    rows = run.target_rows([run.SizeResult(10_000, peak_rss=[250 * 2**20])])
    assert rows and not any("serve" in row for row in rows)


def test_the_header_names_the_dentries_the_kernel_holds(run, monkeypatch) -> None:
    """Read from /proc (its two first fields: cached, unused); left out where there is none."""
    found = run.dentries()
    if found is not None:  # Linux
        assert found[0] >= found[1] >= 0 and found[0] > 0
    monkeypatch.setattr(run, "dentries", lambda: (1_770_000, 540_000))
    args = run.argparse.Namespace(
        jobs=None, no_search=False, out_root="/dev/shm/b", repeat=2, load=0.8,
        hugo=False, pelican=False, dentries=(1_166_000, 100_000),
    )  # fmt: skip
    built = run.SizeResult(10_000, pages=21_163, peak_rss=[2**28], peak_pss=[2**27],
                           steps={"clean": [run.Step(7.5, 13.2, 0)]},
                           dentries=(2_950_000, 1_200_000))  # fmt: skip
    header = run.report([built], args).splitlines()[0]
    assert header.endswith(
        "; dentries cached 1 166 000 (100 000 unused) at start, 1 770 000 (540 000 unused) "
        "at end, before the rebuilds of 10 000: 2 950 000 (1 200 000 unused)"
    )
    args.dentries = None
    assert "dentries" not in run.report([built], args)


MOUNTS = """\
/dev/vda / ext4 rw,relatime 0 0
tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0
/dev/vdb /dev/shm/disk ext4 rw 0 0
/dev/vdc /mnt/my\\040disk ext4 rw 0 0
tmpfs /mnt/my\\040disk/ram tmpfs rw 0 0
"""


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/dev/shm/b/public-100000", True),
        ("/dev/shm", True),
        ("/dev/shmx/b", False),  # not under /dev/shm, only named like it
        ("/dev/shm/disk/public", False),  # a disk mounted inside the tmpfs
        ("/work/main/bench/out", False),
        ("/mnt/my disk/ram/public", True),  # a space, as the kernel writes it: \040
        ("/mnt/my disk/public", False),
    ],
)
def test_outputs_in_memory_are_told_from_outputs_on_a_disk(run, tmp_path, path, expected):
    (tmp_path / "mounts").write_text(MOUNTS, encoding="utf-8")
    assert run.on_tmpfs(run.Path(path), tmp_path / "mounts") is expected
    assert run.on_tmpfs(run.Path(path), tmp_path / "none") is False


def test_outputs_moved_aside_in_memory_are_deleted_before_the_rebuilds(run, tmp_path, monkeypatch):
    """Kept on a tmpfs, each moved-aside output pins its files' dentries and inodes and so
    slows every lookup of the rebuilds timed after it; on a disk it stays until the end
    (deleting it there would slow the next builds' writes: see Disk)."""
    memory, disk_root = tmp_path / "shm", tmp_path / "disk"
    monkeypatch.setattr(run, "on_tmpfs", lambda path: memory in run.Path(path).parents)
    disk = run.Disk(0.0)
    stamp = disk.deleted_at
    for root in (memory, disk_root):
        (root / "public-10000/news").mkdir(parents=True)
        (root / "public-10000/news/index.html").write_text("<p>舊</p>", encoding="utf-8")
        disk.discard(root / "public-10000")
    disk.empty_memory()
    assert not (memory / ".bench-trash").exists()
    assert [path.name for path in (disk_root / ".bench-trash").iterdir()][0].startswith("public")
    assert disk.trash == [disk_root / ".bench-trash"] and disk.deleted_at == stamp
