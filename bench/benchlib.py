"""What bench/run.py and bench/scale.py share: running a command and reading its wall time,
CPU time and peak memory from the OS, medians, the machine line, and table formatting.

Plain standard library, no scalelint import at module level: the scripts must also measure a
scalelint installed elsewhere (`--scalelint PATH`), and the helpers are unit-tested without one.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

# The kinds scalelint parses with tree-sitter, by the name scalelint's discovery gives them.
CODE_KINDS = ("typescript", "tsx", "javascript", "python")

# used only when scalelint cannot be imported (its `discover.file_kind` is asked first)
_SUFFIX_KIND = {
    **dict.fromkeys((".ts", ".mts", ".cts"), "typescript"),
    **dict.fromkeys((".js", ".jsx", ".mjs", ".cjs"), "javascript"),
    ".tsx": "tsx",
    ".py": "python",
}


def _skip_dirs() -> frozenset[str]:
    """Folders scalelint never reads (the plain names among its default excludes). They are
    left out of the benchmark's temporary copy so that Semgrep, whose own ignore list is
    switched off, scans the same tree."""
    try:
        from scalelint.discover import DEFAULT_EXCLUDES
    except ImportError:  # measuring a scalelint installed elsewhere
        DEFAULT_EXCLUDES = ("node_modules",)
    names = {e for e in DEFAULT_EXCLUDES if not any(c in e for c in "*?[/")}
    return frozenset({".git", ".scalelint_cache", *names})


SKIP_DIRS = _skip_dirs()


@dataclass(frozen=True)
class Sample:
    """One whole-process run: wall seconds, CPU seconds (user + system, children included) and
    the peak resident set of the largest single process in its tree, in MiB."""

    wall: float
    cpu: float
    peak_mib: float
    returncode: int


def usable_cores() -> int:
    """The CPUs this process may run on, counted as scalelint counts them for its default
    `--jobs` (affinity mask and cgroup quota), so that a container's two-CPU quota on a
    64-core host reads as 2, not 64. Without scalelint importable, the affinity mask."""
    try:
        from scalelint.resources import available_cores
    except ImportError:
        try:
            return len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            return os.cpu_count() or 1
    return available_cores()


def add_common_args(p: argparse.ArgumentParser, temp_what: str) -> None:
    """The options bench/run.py and bench/scale.py share."""
    p.add_argument(
        "--jobs", type=int, default=usable_cores(), help="processes (default: usable CPUs)"
    )
    p.add_argument("--scalelint", help="scalelint command (default: beside this Python, or PATH)")
    p.add_argument("--markdown", action="store_true", help="print Markdown tables")
    p.add_argument("--json-out", type=Path, help="save the raw samples to FILE")
    p.add_argument(
        "--from-json", type=Path, help="print the tables of a saved run; measure nothing"
    )
    p.add_argument("--tmp", help=f"where {temp_what} go (default: the system temp dir)")
    p.add_argument("--keep", action="store_true", help=f"keep {temp_what}")


def saved_or_measured(args: argparse.Namespace, measure) -> dict:
    """The results of `--from-json FILE`, else of `measure(args)` (saved to `--json-out`)."""
    if args.from_json:
        return json.loads(args.from_json.read_text())
    res = measure(args)
    if args.json_out:
        args.json_out.write_text(json.dumps(res, indent=1) + "\n")
    return res


def child_env() -> dict[str, str]:
    """The environment the measured commands run in: no scalelint settings, and Python allowed
    to write and read bytecode. An installed package has its `.pyc` files (pip compiles them);
    with `PYTHONDONTWRITEBYTECODE` set, an editable checkout recompiles every module on every
    run, which adds tens of milliseconds that no user's install pays."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SCALELINT_") and k != "PYTHONDONTWRITEBYTECODE"
    }


def run_measured(
    cmd: Sequence[str],
    cwd: Path | str | None = None,
    env: dict[str, str] | None = None,
    stdout_path: Path | None = None,
) -> Sample:
    """Run `cmd` to completion and read its costs from `wait4`, the OS's own accounting.

    `wait4` returns the child's rusage with its own reaped children folded in, so `ru_maxrss`
    is the largest single process of the tree (a pool worker or the parent) — the same
    figure `/usr/bin/time -v` prints as "Maximum resident set size".
    """
    out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL  # noqa: SIM115
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd),
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        # stderr is small (diagnostics); read it before waiting so a chatty child cannot block
        err = proc.stderr.read() if proc.stderr else b""
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    finally:
        if stdout_path:
            out.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.stderr:
        proc.stderr.close()
    rc = proc.returncode
    if rc not in (0, 1):
        tail = err.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise RuntimeError(f"`{' '.join(cmd)}` exited {rc}:\n" + "\n".join(tail))
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, rc)


def median(values: Iterable[float]) -> float:
    vals = list(values)
    if not vals:
        raise ValueError("median of nothing")
    return statistics.median(vals)


def fmt_s(seconds: float | None) -> str:
    """Seconds the way the tables print them: 3 decimals under 10 s, 2 above."""
    if seconds is None:
        return "—"
    return f"{seconds:.3f} s" if seconds < 10 else f"{seconds:.2f} s"


def fmt_ratio(ratio: float | None) -> str:
    if ratio is None:
        return "—"
    return f"{ratio:.2f}×" if ratio < 10 else f"{ratio:.1f}×"


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or b <= 0:
        return None
    return a / b


def goal_mark(value: float | None, limit: float) -> str:
    """`met` / `NOT met` for a value that must be at most `limit`."""
    if value is None:
        return "not measured"
    return "met" if value <= limit else "NOT met"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    rows = [[str(c) for c in r] for r in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)
    ]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [fmt.format(*header), fmt.format(*("-" * w for w in widths))]
    out += [fmt.format(*r) for r in rows]
    return "\n".join(line.rstrip() for line in out)


def kind_of(name: str) -> str | None:
    """The tree-sitter kind of a code file by name (declaration files are not code)."""
    try:
        from scalelint.discover import file_kind
    except ImportError:
        if re.search(r"\.d\.[mc]?ts$", name):
            return None
        return _SUFFIX_KIND.get(os.path.splitext(name)[1])
    kind = file_kind(name)
    return kind if kind in CODE_KINDS else None


# --- what ran, on what ------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def find_scalelint(explicit: str | None) -> str:
    """The scalelint command to measure: `--scalelint`, else the one beside this Python, else
    the one on PATH."""
    if explicit:
        return explicit
    beside = Path(sys.executable).parent / "scalelint"
    if beside.exists():
        return str(beside)
    found = shutil.which("scalelint")
    if not found:
        raise SystemExit("no `scalelint` command found; pass --scalelint PATH")
    return found


def _interpreter_of(script: str) -> str:
    """The Python a console script runs under (its `#!` line), for asking it questions."""
    try:
        with open(script, "rb") as f:
            first = f.readline().decode("utf-8", "replace").strip()
    except OSError:
        return sys.executable
    if first.startswith("#!") and "python" in first:
        return first[2:].strip().split()[0]
    return sys.executable


def scalelint_info(scalelint: str) -> dict[str, str]:
    """Version, source folder and git commit (with `-dirty` when the tree has local changes)
    of the scalelint a command runs."""
    info = {"command": scalelint, "version": "?", "source": "?", "commit": "?"}
    with contextlib.suppress(OSError):
        info["version"] = subprocess.run(
            [scalelint, "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
    py = _interpreter_of(scalelint)
    res = subprocess.run(
        [
            py,
            "-c",
            "import scalelint, os; print(os.path.dirname(os.path.abspath(scalelint.__file__)))",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    src = res.stdout.strip()
    if src:
        info["source"] = src
        info["commit"] = git_commit(Path(src), describe_dirty=True) or "not a git checkout"
    return info


def git_commit(path: Path, describe_dirty: bool = False) -> str | None:
    res = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    if res.returncode != 0:
        return None
    sha = res.stdout.strip()
    if describe_dirty:
        # local changes that can change what scalelint does (not the benchmark or the docs)
        outside = [":(top,exclude)bench", ":(top,exclude)docs", ":(top,exclude)tests"]
        dirty = subprocess.run(
            [
                "git",
                "-C",
                str(path),
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ":(top)",
                *outside,
            ],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if dirty:
            sha += "-dirty"
    return sha


def corpus_commit(checkout: Path, readme: Path = Path("/work/corpus/README.md")) -> str | None:
    """The commit of a checkout without `.git`, from a corpus README table that names its path."""
    try:
        text = readme.read_text(encoding="utf-8")
    except OSError:
        return None
    return commit_from_readme(text, str(checkout.resolve()))


def commit_from_readme(text: str, checkout: str) -> str | None:
    needle = checkout.rstrip("/")
    for line in text.splitlines():
        if needle + "/`" in line or needle + "`" in line:
            m = re.search(r"`([0-9a-f]{40})`", line)
            if m:
                return m.group(1)
    return None


def machine_line(scalelint: dict[str, str], repo_commit: str | None = None) -> str:
    parts = [
        f"CPU: {cpu_model()}",
        f"cores: {usable_cores()}",
        f"Python {platform.python_version()}",
        f"{scalelint['version']} @ {scalelint['commit']}",
    ]
    if repo_commit:
        parts.append(f"repo commit: {repo_commit}")
    return "machine: " + "; ".join(parts)


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
        return f"{one:.2f} {five:.2f} {fifteen:.2f}"
    except OSError:
        return "?"
