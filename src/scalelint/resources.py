"""How much of the machine a run may take: CPUs for its processes, memory for the rules'
forked copies.

CPUs are counted as Ruff counts them (Rust's `std::thread::available_parallelism`): the
affinity mask, capped by the CPU quota of the container the process runs in, in whole CPUs
rounded down. `os.cpu_count()` is the machine's count: in a container allowed two CPUs on a
64-core host (a CI runner, a Kubernetes pod) it says 64, and 64 parsers and four rule
processes would then share two CPUs' worth of time, each with its own memory.

Memory is what the kernel says a new allocation can get without swapping (`MemAvailable`),
capped by the room left under the container's memory limit, which `/proc/meminfo` does not
show.

Both limits are in cgroup files. cgroup v2: `cpu.max` ("max 100000", or "200000 100000" for
two CPUs), `memory.max` and `memory.current`. v1: `cpu.cfs_quota_us` over `cpu.cfs_period_us`
(-1 for none), `memory.limit_in_bytes` and `memory.usage_in_bytes`. A group's limit also binds
the groups below it, so the tightest along the path up to the root counts. Where a v1
controller and the v2 hierarchy are both there (a hybrid layout), the v1 controller is the
one in charge.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath

_ESCAPE = re.compile(r"\\([0-7]{3})")
_NO_LIMIT = 1 << 62  # v1 writes "no memory limit" as the largest page-aligned 63-bit number


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
    found = _tightest(system, "cpu", _cpu_v1, _cpu_v2)
    return max(1, found) if found is not None else None


def available_memory(system: Path = Path("/")) -> int | None:
    """Bytes this process can still allocate, or None when it cannot be told (not Linux)."""
    meminfo = _read(system / "proc/meminfo")
    m = re.search(r"^MemAvailable:\s+(\d+) kB", meminfo, re.M)
    free = int(m.group(1)) * 1024 if m else None
    room = _tightest(system, "memory", _memory_v1, _memory_v2)
    if free is None or room is None:
        return free if room is None else room
    return min(free, room)


def resident_memory(system: Path = Path("/")) -> int | None:
    """Bytes of memory this process holds now."""
    fields = _read(system / "proc/self/statm").split()
    return int(fields[1]) * os.sysconf("SC_PAGE_SIZE") if len(fields) > 1 else None


# ── the limits at one level of the hierarchy ──
def _cpu_v2(folder: Path) -> int | None:
    fields = _read(folder / "cpu.max").split()
    if len(fields) == 2 and fields[0].isdigit() and fields[1].isdigit() and int(fields[1]):
        return int(fields[0]) // int(fields[1])
    return None  # "max 100000": no limit at this level


def _cpu_v1(folder: Path) -> int | None:
    quota, period = _number(folder / "cpu.cfs_quota_us"), _number(folder / "cpu.cfs_period_us")
    if quota is None or period is None or quota <= 0 or period <= 0:
        return None  # -1: no limit at this level
    return quota // period


def _memory_v2(folder: Path) -> int | None:
    limit, used = _number(folder / "memory.max"), _number(folder / "memory.current")
    return max(0, limit - used) if limit is not None and used is not None else None


def _memory_v1(folder: Path) -> int | None:
    limit = _number(folder / "memory.limit_in_bytes")
    used = _number(folder / "memory.usage_in_bytes")
    if limit is None or used is None or limit >= _NO_LIMIT:
        return None
    return max(0, limit - used)


# ── finding this process's group ──
def _tightest(
    system: Path,
    controller: str,
    v1: Callable[[Path], int | None],
    v2: Callable[[Path], int | None],
) -> int | None:
    """The smallest of a limit over this process's group and the groups above it."""
    in_v1 = in_v2 = None
    # "0::/path" (v2), or "4:cpu,cpuacct:/path" (v1); nothing when it cannot be read
    for line in _read(system / "proc/self/cgroup").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[1] == "":
            in_v2 = parts[2]
        elif controller in parts[1].split(","):
            in_v1 = parts[2]
    if in_v1 is not None:
        found = _v1_group(system, controller, in_v1)
        return _smallest(*found, v1) if found is not None else None
    if in_v2 is not None:
        mount = system / "sys/fs/cgroup"
        here = mount / in_v2.lstrip("/")
        if os.path.exists(here / "cgroup.controllers"):  # False on any error, not only absent
            return _smallest(here, mount, v2)
    return None


def _v1_group(system: Path, controller: str, group: str) -> tuple[Path, Path] | None:
    """(the group's folder, the controller's mount). The mount comes from mountinfo; inside a
    container its root is the container's own group, which `/proc/self/cgroup` names from the
    host's side."""
    for line in _read(system / "proc/self/mountinfo").splitlines():
        before, sep, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if not sep or len(fields) < 5 or len(tail) < 3 or tail[0] != "cgroup":
            continue
        if controller not in tail[2].split(","):
            continue
        root, point = PurePosixPath(_unescape(fields[3])), _unescape(fields[4])
        path = PurePosixPath(group)
        if root != PurePosixPath("/"):
            if not path.is_relative_to(root):
                continue
            path = path.relative_to(root)
        mount = system / point.lstrip("/")
        return mount / str(path).lstrip("/"), mount
    return None


def _smallest(folder: Path, mount: Path, read: Callable[[Path], int | None]) -> int | None:
    found = None
    while True:
        limit = read(folder)
        if limit is not None:
            found = limit if found is None else min(found, limit)
        if folder == mount or mount not in folder.parents:
            return found
        folder = folder.parent


def _unescape(field: str) -> str:
    """mountinfo writes a space in a path as `\\040` (and a tab, newline and backslash alike)."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), field)


def _number(path: Path) -> int | None:
    text = _read(path)
    try:
        return int(text)
    except ValueError:
        return None  # "max", or nothing there


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return ""
