"""What a run may take of the machine: CPUs (container quotas included) and memory."""

from __future__ import annotations

import os
from pathlib import Path

from scalelint.engine import RunOptions, _jobs
from scalelint.resources import (
    available_cores,
    available_memory,
    cgroup_quota,
    resident_memory,
)


def _affinity() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_cgroup_v2_quota_is_the_smallest_on_the_way_up_in_whole_cpus(tmp_path):
    system = _tree(
        tmp_path,
        {
            "proc/self/cgroup": "0::/ci/job\n",
            "sys/fs/cgroup/cgroup.controllers": "cpu memory\n",
            "sys/fs/cgroup/ci/cpu.max": "250000 100000\n",  # 2.5 CPUs for the runner
            "sys/fs/cgroup/ci/job/cgroup.controllers": "cpu\n",
            "sys/fs/cgroup/ci/job/cpu.max": "max 100000\n",  # none of its own
        },
    )
    assert cgroup_quota(system) == 2
    assert available_cores(system) == min(_affinity(), 2)
    (system / "sys/fs/cgroup/ci/job/cpu.max").write_text("50000 100000\n")  # half a CPU
    assert cgroup_quota(system) == 1 and available_cores(system) == 1
    (system / "sys/fs/cgroup/ci/job/cpu.max").write_text("max 100000\n")
    (system / "sys/fs/cgroup/ci/cpu.max").write_text("max 100000\n")
    assert cgroup_quota(system) is None and available_cores(system) == _affinity()


def test_cgroup_v1_quota_inside_a_container_whose_mount_root_is_its_own_group(tmp_path):
    mount = "sys/fs/cgroup/cpu and more"  # a space: `\\040` in mountinfo
    system = _tree(
        tmp_path,
        {
            "proc/self/cgroup": "5:memory:/docker/abc/job\n4:cpu,cpuacct:/docker/abc/job\n0::/\n",
            "proc/self/mountinfo": (
                "30 23 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
                "33 30 0:29 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
                "34 30 0:30 /docker/abc /sys/fs/cgroup/cpu\\040and\\040more rw,nosuid shared:9"
                " - cgroup cgroup rw,cpu,cpuacct\n"
            ),
            # the container's own group is the mount's root; the process sits one below it
            f"{mount}/cpu.cfs_quota_us": "300000\n",
            f"{mount}/cpu.cfs_period_us": "100000\n",
            f"{mount}/job/cpu.cfs_quota_us": "-1\n",
            f"{mount}/job/cpu.cfs_period_us": "100000\n",
            # v1 is in charge when both hierarchies are there, so this is not read
            "sys/fs/cgroup/cgroup.controllers": "cpu\n",
            "sys/fs/cgroup/cpu.max": "100000 100000\n",
        },
    )
    assert cgroup_quota(system) == 3
    (system / mount / "job/cpu.cfs_quota_us").write_text("200000\n")
    assert cgroup_quota(system) == 2
    (system / mount / "job/cpu.cfs_quota_us").write_text("-1\n")
    (system / mount / "cpu.cfs_quota_us").write_text("-1\n")
    assert cgroup_quota(system) is None


def test_unreadable_or_strange_cgroup_files_mean_no_quota(tmp_path):
    assert cgroup_quota(tmp_path) is None  # no /proc at all (not Linux)
    system = _tree(tmp_path, {"proc/self/cgroup": "garbage\n\x00\n"})
    assert cgroup_quota(system) is None
    _tree(tmp_path, {"proc/self/cgroup": "0::/\n", "sys/fs/cgroup/cpu.max": "lots 0\n"})
    assert cgroup_quota(system) is None  # cgroup.controllers missing: not a v2 hierarchy
    _tree(tmp_path, {"sys/fs/cgroup/cgroup.controllers": "cpu\n"})
    assert cgroup_quota(system) is None  # a quota that does not parse
    assert available_cores(system) == _affinity()
    _tree(tmp_path, {"proc/self/cgroup": f"0::/{'x' * 300}/job\n"})
    assert cgroup_quota(system) is None  # a name too long to look up: an error, not a crash


def test_memory_left_is_the_tighter_of_the_machine_and_the_container(tmp_path):
    gib = 1 << 30
    meminfo = f"MemTotal: {16 * gib // 1024} kB\nMemAvailable:   {12 * gib // 1024} kB\n"
    system = _tree(tmp_path, {"proc/meminfo": meminfo})
    assert available_memory(system) == 12 * gib  # no cgroup files: the machine's
    _tree(
        tmp_path,
        {
            "proc/self/cgroup": "0::/ci/job\n",
            "sys/fs/cgroup/ci/job/cgroup.controllers": "memory\n",
            "sys/fs/cgroup/ci/memory.max": f"{7 * gib}\n",
            "sys/fs/cgroup/ci/memory.current": f"{3 * gib}\n",
            "sys/fs/cgroup/ci/job/memory.max": "max\n",
            "sys/fs/cgroup/ci/job/memory.current": f"{2 * gib}\n",
        },
    )
    assert available_memory(system) == 4 * gib  # the runner's 7 GiB, 3 of them in use
    _tree(
        tmp_path,
        {
            "proc/self/cgroup": "4:memory:/docker/abc\n0::/ci/job\n",
            "proc/self/mountinfo": (
                "33 30 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
            ),
            "sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": f"{2 * gib}\n",
            "sys/fs/cgroup/memory/docker/abc/memory.usage_in_bytes": f"{gib}\n",
        },
    )
    assert available_memory(system) == gib  # a v1 memory controller is in charge
    no_limit = "9223372036854771712\n"
    _tree(tmp_path, {"sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": no_limit})
    assert available_memory(system) == 12 * gib
    assert available_memory(tmp_path / "nothing") is None


def test_this_machine_and_the_default_jobs(monkeypatch):
    assert (resident_memory() or 0) > 1 << 20 and (available_memory() or 0) > 1 << 20
    assert 1 <= available_cores() <= (os.cpu_count() or 1)
    monkeypatch.setattr("scalelint.engine.available_cores", lambda: 7)
    assert _jobs(RunOptions()) == 7
    assert _jobs(RunOptions(jobs=3)) == 3
