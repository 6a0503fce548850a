"""How many processes a run uses when `--jobs` is not given: the CPUs this process may run
on, counted as Ruff counts them (Rust's `std::thread::available_parallelism`): the affinity
mask, capped by the CPU quota of the container it runs in, in whole CPUs rounded down.

`os.cpu_count()` is the machine's count. In a container allowed two CPUs on a 64-core host (a
CI runner, a Kubernetes pod) it says 64, and 64 parsers and four rule processes would then
share two CPUs' worth of time, each with its own memory: slower than two. The quota is in the
cgroup files: `cpu.max` ("max 100000", or "200000 100000" for two CPUs) for cgroup v2, and
`cpu.cfs_quota_us` over `cpu.cfs_period_us` (-1 for none) for v1. A group's quota also binds
the groups below it, so the smallest along the path up to the root counts.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

_ESCAPE = re.compile(r"\\([0-7]{3})")


def available_cores(system: Path = Path("/")) -> int:
    """At least 1. `system` is where `/proc` and `/sys` are read from (tests give a folder)."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        count = os.cpu_count() or 1
    quota = cgroup_quota(system)
    return max(1, min(count, quota) if quota is not None else count)


def cgroup_quota(system: Path = Path("/")) -> int | None:
    """The CPU quota of this process's cgroup in whole CPUs (at least 1), or None when there
    is none or it cannot be read."""
    try:
        lines = (system / "proc/self/cgroup").read_text().splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    v1 = v2 = None
    for line in lines:  # "0::/path" (v2), or "4:cpu,cpuacct:/path" (v1)
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[1] == "":
            v2 = parts[2]
        elif "cpu" in parts[1].split(","):
            v1 = parts[2]
    # a v1 cpu controller is the one in charge when both are there (a hybrid layout)
    if v1 is not None:
        found = _quota_v1(system, v1)
    elif v2 is not None:
        found = _quota_v2(system, v2)
    else:
        return None
    return max(1, found) if found is not None else None


def _quota_v2(system: Path, group: str) -> int | None:
    mount = system / "sys/fs/cgroup"
    here = mount / group.lstrip("/")
    if not os.path.exists(here / "cgroup.controllers"):  # False on any error, not only absent
        return None  # not a cgroup v2 hierarchy
    return _smallest(here, mount, _read_v2)


def _read_v2(folder: Path) -> int | None:
    fields = _read(folder / "cpu.max").split()
    if len(fields) == 2 and fields[0].isdigit() and fields[1].isdigit() and int(fields[1]):
        return int(fields[0]) // int(fields[1])
    return None  # "max 100000": no limit at this level


def _quota_v1(system: Path, group: str) -> int | None:
    """The cpu controller's mount comes from mountinfo; inside a container its root is the
    container's own group, which `/proc/self/cgroup` names from the host's side."""
    try:
        mounts = (system / "proc/self/mountinfo").read_text().splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for line in mounts:
        before, sep, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if not sep or len(fields) < 5 or len(tail) < 3 or tail[0] != "cgroup":
            continue
        if "cpu" not in tail[2].split(","):
            continue
        root, point = PurePosixPath(_unescape(fields[3])), _unescape(fields[4])
        path = PurePosixPath(group)
        if root != PurePosixPath("/"):
            if not path.is_relative_to(root):
                continue
            path = path.relative_to(root)
        mount = system / point.lstrip("/")
        return _smallest(mount / str(path).lstrip("/"), mount, _read_v1)
    return None


def _unescape(field: str) -> str:
    """mountinfo writes a space in a path as `\\040` (and a tab, newline and backslash alike)."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), field)


def _read_v1(folder: Path) -> int | None:
    quota, period = _read(folder / "cpu.cfs_quota_us"), _read(folder / "cpu.cfs_period_us")
    try:
        q, p = int(quota), int(period)
    except ValueError:
        return None
    return q // p if q > 0 and p > 0 else None  # -1: no limit at this level


def _smallest(folder: Path, mount: Path, read) -> int | None:
    found = None
    while True:
        quota = read(folder)
        if quota is not None:
            found = quota if found is None else min(found, quota)
        if folder == mount or mount not in folder.parents:
            return found
        folder = folder.parent


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return ""
