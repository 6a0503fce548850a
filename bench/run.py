"""Side-by-side benchmark: scalelint against Semgrep and the tree-sitter parse floor on one checkout.

    python bench/run.py CHECKOUT [--rounds 5] [--jobs N] [--markdown] [--json-out FILE]
    python bench/run.py --from-json FILE --markdown      # re-print the tables of a saved run

It fetches nothing: CHECKOUT is a folder you already have. The checkout itself is never
written to — everything runs on a temporary copy (without `.git`, `node_modules` and the other
folders scalelint never reads), which also gets the empty `.semgrepignore` that makes Semgrep
scan every file instead of skipping `tests/` and the like.

Each round runs every measurement once, in this order, and the rounds repeat (one warm-up
round first, not counted), so a busy moment on a shared machine hits all of them alike:

  floor      read + tree-sitter parse of the files scalelint checks (TS/TSX/JS/Python, the
             same grammars), in a pool of N processes — bench/parse_floor.py
  cold       scalelint check COPY --no-cache --jobs N   (every rule, no cache)
  semgrep    semgrep scan -j N with bench/semgrep-rules.yml (3 rules)
  semgrep-j1 the same with -j 1 (Semgrep -j 2 is no faster here, and suffers most when a
             neighbour takes a core: both are shown, each against the goal)
  semgrep-1  Semgrep on a folder holding one TS file of the repo (its start-up cost)
  fill       scalelint check COPY, cache emptied first (a cold run that fills the cache)
  warm1/2    scalelint check COPY twice more: nothing changed
  changed    one TS file gets a comment appended (new text every round), then scalelint check
  code-edited  the same file gets a new statement appended instead (`export const …`), which
             changes its facts: what a real edit costs
  pre-commit scalelint check --force-exclude F1 … F5 from inside the copy, warm cache
  pre-commit-edited  the same after a comment is appended to each of F1 … F5 (new text every
             round)
  pre-commit-code-edited  the same after a new statement is appended to each of F1 … F5: what a
             hook meets on a real commit

Every time is the whole process's wall time (start-up included), its CPU time, and the peak
resident memory of its largest process, read from the OS (`wait4`). Medians are printed, with
the ratios the speed goals use. `--no-cache` and `--jobs` are detected from
`scalelint check --help`; when missing, the plain command runs (and the output says so), with
the cache folder removed before every cold run either way.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import (
    CODE_KINDS,
    SKIP_DIRS,
    Sample,
    add_common_args,
    child_env,
    corpus_commit,
    find_scalelint,
    fmt_ratio,
    fmt_s,
    git_commit,
    goal_mark,
    kind_of,
    load_average,
    machine_line,
    markdown_table,
    median,
    ratio,
    run_measured,
    saved_or_measured,
    scalelint_info,
    text_table,
)

BENCH = Path(__file__).resolve().parent
RULES = BENCH / "semgrep-rules.yml"
CACHE_DIR = ".scalelint_cache"

# (key, label) in the order the tables list them
MEASUREMENTS = [
    ("floor", "tree-sitter parse floor, {jobs} processes"),
    ("cold", "scalelint check, cold{cold_flags}"),
    ("semgrep", "Semgrep, 3 rules, `-j {jobs}`"),
    ("semgrep-j1", "Semgrep, 3 rules, `-j 1`"),
    ("semgrep-1", "Semgrep on a one-file folder (start-up)"),
    ("fill", "scalelint check, filling the cache"),
    ("warm1", "scalelint check, warm, nothing changed (1st)"),
    ("warm2", "scalelint check, warm, nothing changed (2nd)"),
    ("changed", "scalelint check, one file changed (a comment appended)"),
    ("code-edited", "scalelint check, one file's code edited"),
    ("pre-commit", "scalelint check --force-exclude, 5 files, warm"),
    ("pre-commit-edited", "scalelint check --force-exclude, 5 files, a comment appended"),
    ("pre-commit-code-edited", "scalelint check --force-exclude, 5 files' code edited"),
]

# the speed goals: (label, how the value is computed, limit, unit)
GOALS = [
    ("scalelint cold ÷ Semgrep `-j {jobs}`", "cold/semgrep", 0.25, "×"),
    ("scalelint cold ÷ Semgrep `-j 1`", "cold/semgrep-j1", 0.25, "×"),
    ("scalelint cold ÷ parse floor", "cold/floor", 2.5, "×"),
    ("warm, nothing changed", "warm", 0.2, "s"),
    ("one file changed, a comment appended", "changed", 0.2, "s"),
    ("one file's code edited", "code-edited", 0.2, "s"),
    ("pre-commit shape, 5 files", "pre-commit", 0.4, "s"),
    ("pre-commit shape, 5 files, a comment appended", "pre-commit-edited", 0.4, "s"),
    ("pre-commit shape, 5 files' code edited", "pre-commit-code-edited", 0.4, "s"),
]


# --- preparing -------------------------------------------------------------------------------


def detect_flags(scalelint: str) -> dict[str, bool]:
    res = subprocess.run([scalelint, "check", "--help"], capture_output=True, text=True)
    text = res.stdout + res.stderr
    return {"no_cache": "--no-cache" in text, "jobs": "--jobs" in text}


def copy_checkout(src: Path, dest: Path, git: bool = True) -> None:
    """A copy scalelint and Semgrep may write into; folders scalelint never reads stay out.
    With `git`, the copy gets a git index of its files (no commit), as a real checkout has:
    scalelint then lists files with `git ls-files`, as it does for its users."""

    def skip(folder: str, names: list[str]) -> list[str]:
        return [n for n in names if n in SKIP_DIRS and os.path.isdir(os.path.join(folder, n))]

    shutil.copytree(src, dest, symlinks=True, ignore=skip)
    markers = (".scalelint.yml", ".scalelint.yaml", "package.json", "pyproject.toml")
    if git:
        subprocess.run(["git", "init", "-q", str(dest)], check=True)
        subprocess.run(["git", "-C", str(dest), "add", "-A"], check=True, capture_output=True)
    elif (src / ".git").exists() and not any((dest / m).exists() for m in markers):
        # without .git the copy would lose its project root; an empty repository keeps it
        subprocess.run(["git", "init", "-q", str(dest)], check=True)
    (dest / ".semgrepignore").write_text("")


def code_files(root: Path) -> tuple[list[tuple[str, str]], str]:
    """(kind, absolute path) of every code file scalelint checks under `root`, found by
    scalelint's own discovery when it can be imported, else by a plain walk."""
    try:
        from scalelint.catalogue import knowledge_names, load_rules
        from scalelint.config import find_config, load_config
        from scalelint.discover import common_start, discover, find_root

        proj = find_root(common_start([root]))
        cfg = load_config(find_config(proj), set(load_rules()), knowledge_names())
        found = discover(proj, [root], cfg.exclude, False, cfg.max_file_size)
        files = [(f.kind, str(found.root / f.rel)) for f in found.files if f.kind in CODE_KINDS]
        return files, "scalelint's discovery (config, excludes and .gitignore applied)"
    except Exception as e:  # another scalelint version: fall back to names
        files = []
        for folder, dirs, names in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
            for n in sorted(names):
                k = kind_of(n)
                if k and not os.path.islink(os.path.join(folder, n)):
                    files.append((k, os.path.join(folder, n)))
        return files, f"a plain walk by file name (scalelint discovery unavailable: {e})"


def new_statement(rel: str, tag: str) -> str:
    """A line of code that gives the file new facts (a new module-level name) and no finding,
    in the file's language."""
    if rel.endswith(".py"):
        return f"\nscalelint_bench_{tag} = 1\n"
    return f"\nexport const scalelintBench_{tag} = 1;\n"


def pick_changed(files: list[tuple[str, str]], root: Path) -> str:
    """The TS file the 'one file changed' run edits: a route handler if there is one."""
    ts = sorted(os.path.relpath(p, root) for k, p in files if k == "typescript")
    if not ts:
        ts = sorted(os.path.relpath(p, root) for _, p in files)
    routes = [p for p in ts if p.endswith("route.ts")]
    pool = routes or ts
    return pool[len(pool) // 2]


def pick_staged(files: list[tuple[str, str]], root: Path, n: int = 5) -> list[str]:
    """n TS/TSX files spread evenly over the sorted list: a stand-in for a commit's staged files."""
    ts = sorted(os.path.relpath(p, root) for k, p in files if k in ("typescript", "tsx"))
    if not ts:
        ts = sorted(os.path.relpath(p, root) for _, p in files)
    if len(ts) <= n:
        return ts
    return [ts[(2 * i + 1) * len(ts) // (2 * n)] for i in range(n)]


# --- measuring -------------------------------------------------------------------------------


def findings_of(path: Path) -> list | None:
    try:
        return json.loads(path.read_text())["findings"]
    except (OSError, ValueError, KeyError):
        return None


def measure(args: argparse.Namespace) -> dict:
    checkout = Path(args.checkout).resolve()
    if not checkout.is_dir():
        raise SystemExit(f"{checkout}: not a folder")
    scalelint = find_scalelint(args.scalelint)
    info = scalelint_info(scalelint)
    flags = detect_flags(scalelint)
    semgrep = None
    if not args.no_semgrep:
        semgrep = args.semgrep or shutil.which("semgrep", path=f"{Path(sys.executable).parent}")
        semgrep = semgrep or shutil.which("semgrep")
        if not semgrep:
            print("semgrep not found (pip install semgrep): Semgrep rows skipped", file=sys.stderr)
    repo_commit = git_commit(checkout) or corpus_commit(checkout)
    jobs = args.jobs

    tmp = Path(tempfile.mkdtemp(prefix="scalelint-bench-", dir=args.tmp))
    try:
        copy = tmp / checkout.name
        t0 = time.perf_counter()
        copy_checkout(checkout, copy, git=not args.no_git)
        copy_s = time.perf_counter() - t0
        files, how = code_files(copy)
        if not files:
            raise SystemExit(f"{checkout}: no TS/TSX/JS/Python files")
        file_list = tmp / "files.txt"
        file_list.write_text("".join(f"{k}\t{p}\n" for k, p in files))
        changed = pick_changed(files, copy)
        staged = pick_staged(files, copy)
        one = tmp / "one-file"
        one.mkdir()
        first_ts = next((p for k, p in files if k in ("typescript", "tsx")), files[0][1])
        shutil.copy(first_ts, one / Path(first_ts).name)
        (one / ".semgrepignore").write_text("")

        kinds: dict[str, int] = {}
        for k, _ in files:
            kinds[k] = kinds.get(k, 0) + 1
        size = sum(os.path.getsize(p) for _, p in files)

        env = child_env()
        env["NO_COLOR"] = "1"
        sem_env = dict(env, SEMGREP_SEND_METRICS="off", SEMGREP_ENABLE_VERSION_CHECK="0")
        out = lambda name: tmp / f"{name}.json"  # noqa: E731
        sl_tail = ["--format", "json", "--exit-zero"]
        cold_flags = (["--no-cache"] if flags["no_cache"] else []) + (
            ["--jobs", str(jobs)] if flags["jobs"] else []
        )

        def clear_cache() -> None:
            shutil.rmtree(copy / CACHE_DIR, ignore_errors=True)

        def sl(name: str, extra: list[str], paths: list[str], cwd: Path) -> Sample:
            cmd = [scalelint, "check", *paths, *extra, *sl_tail, "-o", str(out(name))]
            return run_measured(cmd, cwd=cwd, env=env)

        def semgrep_cmd(name: str, j: int = jobs) -> list[str]:
            return [
                semgrep, "scan", "--config", str(RULES), "--metrics=off",
                "--disable-version-check", "-j", str(j), "--json", "-o", str(out(name)), ".",
            ]  # fmt: skip

        round_no = [0]

        def change_one() -> Sample:
            with open(copy / changed, "a", encoding="utf-8") as f:
                f.write(f"\n// scalelint bench: round {round_no[0]}\n")
            return sl("changed", [], [str(copy)], tmp)

        def edit_one() -> Sample:
            with open(copy / changed, "a", encoding="utf-8") as f:
                f.write(new_statement(changed, f"edited{round_no[0]}"))
            return sl("code-edited", [], [str(copy)], tmp)

        def edit_staged() -> Sample:
            for rel in staged:
                with open(copy / rel, "a", encoding="utf-8") as f:
                    f.write(f"\n// scalelint bench: staged in round {round_no[0]}\n")
            return sl("pre-commit-edited", ["--force-exclude"], staged, copy)

        def code_staged() -> Sample:
            for rel in staged:
                with open(copy / rel, "a", encoding="utf-8") as f:
                    f.write(new_statement(rel, f"staged{round_no[0]}"))
            return sl("pre-commit-code-edited", ["--force-exclude"], staged, copy)

        def cold() -> Sample:
            clear_cache()
            return sl("cold", cold_flags, [str(copy)], tmp)

        def fill() -> Sample:
            clear_cache()
            return sl("fill", [], [str(copy)], tmp)

        steps = [
            ("floor", lambda: run_measured(
                [sys.executable, str(BENCH / "parse_floor.py"), str(file_list), str(jobs)], env=env)),
            ("cold", cold),
            ("semgrep", lambda: run_measured(semgrep_cmd("semgrep"), cwd=copy, env=sem_env)),
            ("semgrep-j1", lambda: run_measured(semgrep_cmd("semgrep-j1", 1), cwd=copy, env=sem_env)),
            ("semgrep-1", lambda: run_measured(semgrep_cmd("semgrep-1"), cwd=one, env=sem_env)),
            ("fill", fill),
            ("warm1", lambda: sl("warm1", [], [str(copy)], tmp)),
            ("warm2", lambda: sl("warm2", [], [str(copy)], tmp)),
            ("changed", change_one),
            ("code-edited", edit_one),
            ("pre-commit", lambda: sl("pre-commit", ["--force-exclude"], staged, copy)),
            ("pre-commit-edited", edit_staged),
            ("pre-commit-code-edited", code_staged),
        ]  # fmt: skip
        if not semgrep:
            steps = [s for s in steps if not s[0].startswith("semgrep")]
        elif jobs == 1:  # the -j N row already is -j 1
            steps = [s for s in steps if s[0] != "semgrep-j1"]

        samples: dict[str, list[list[float]]] = {k: [] for k, _ in steps}
        same = {
            k: True
            for k in (
                "cold",
                "fill",
                "warm1",
                "warm2",
                "changed",
                "code-edited",
                "pre-commit",
                "pre-commit-edited",
                "pre-commit-code-edited",
            )
        }
        reference = None
        cache_written = False
        load_before = load_average()
        for r in range(args.warmup + args.rounds):
            round_no[0] = r
            counted = r >= args.warmup
            tag = f"round {r - args.warmup + 1}/{args.rounds}" if counted else "warm-up"
            for key, step in steps:
                s = step()
                if counted:
                    samples[key].append([s.wall, s.cpu, s.peak_mib])
                print(
                    f"  {tag:12} {key:11} {s.wall:8.3f} s  {s.peak_mib:6.0f} MiB", file=sys.stderr
                )
                if key == "fill":
                    cache_written = cache_written or (copy / CACHE_DIR).exists()
            # same findings cold, warm, after the one-file edits, and for the staged files
            cold_f = findings_of(out("cold"))
            reference = reference if reference is not None else cold_f
            for key in same:
                if key == "cold":
                    same[key] = same[key] and cold_f is not None and cold_f == reference
                    continue
                got = findings_of(out(key))
                want = cold_f
                if key.startswith("pre-commit") and cold_f is not None:
                    want = [f for f in cold_f if f["path"] in set(staged)]
                same[key] = same[key] and got is not None and got == want

        sem = json.loads(out("semgrep").read_text()) if semgrep else {}
        return {
            "checkout": str(checkout),
            "repo_commit": repo_commit,
            "scalelint": info,
            "flags": flags,
            "cold_command": " ".join(["scalelint check PATH", *cold_flags]),
            "semgrep_version": _version(semgrep) if semgrep else None,
            "machine": machine_line(info, repo_commit),
            "jobs": jobs,
            "rounds": args.rounds,
            "warmup": args.warmup,
            "load_before": load_before,
            "load_after": load_average(),
            "files": len(files),
            "files_by_kind": kinds,
            "bytes": size,
            "file_list_from": how,
            "copy_seconds": round(copy_s, 2),
            "changed_file": changed,
            "staged_files": staged,
            "cache_written": cache_written,
            "findings": len(reference) if reference is not None else None,
            "same_findings": same,
            "semgrep_results": len(sem.get("results", [])) if sem else None,
            "semgrep_scanned": len(sem.get("paths", {}).get("scanned", [])) if sem else None,
            "samples": samples,
            "when": time.strftime("%Y-%m-%d %H:%M"),
        }
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def _version(cmd: str) -> str:
    # without the flag and the variable, `semgrep --version` waits for the network to time out
    env = dict(os.environ, SEMGREP_ENABLE_VERSION_CHECK="0")
    res = subprocess.run(
        [cmd, "--version", "--disable-version-check"], capture_output=True, text=True, env=env
    )
    return res.stdout.strip().splitlines()[-1] if res.stdout.strip() else "?"


# --- reporting -------------------------------------------------------------------------------


def medians(res: dict) -> dict[str, float]:
    return {k: median(s[0] for s in v) for k, v in res["samples"].items() if v}


def goal_values(res: dict) -> dict[str, float | None]:
    m = medians(res)
    warm = max((m[k] for k in ("warm1", "warm2") if k in m), default=None)
    return {
        "cold/semgrep": ratio(m.get("cold"), m.get("semgrep")),
        "cold/semgrep-j1": ratio(m.get("cold"), m.get("semgrep-j1")),
        "cold/floor": ratio(m.get("cold"), m.get("floor")),
        "warm": warm,
        "changed": m.get("changed"),
        "code-edited": m.get("code-edited"),
        "pre-commit": m.get("pre-commit"),
        "pre-commit-edited": m.get("pre-commit-edited"),
        "pre-commit-code-edited": m.get("pre-commit-code-edited"),
    }


def measurement_rows(res: dict) -> list[list[str]]:
    m = medians(res)
    cold_flags = " " + " ".join(res["cold_command"].split()[3:]) if res["cold_command"] else ""
    labels = {
        k: lab.format(jobs=res["jobs"], cold_flags=cold_flags.rstrip()) for k, lab in MEASUREMENTS
    }
    rows = []
    for key, _ in MEASUREMENTS:
        runs = res["samples"].get(key)
        if not runs:
            continue
        walls = [s[0] for s in runs]
        rows.append(
            [
                labels[key],
                fmt_s(m[key]),
                f"{fmt_s(min(walls))} – {fmt_s(max(walls))}",
                fmt_s(median(s[1] for s in runs)),
                f"{max(s[2] for s in runs):.0f} MiB",
                fmt_ratio(ratio(m[key], m.get("floor"))),
            ]
        )
    return rows


def goal_rows(res: dict) -> list[list[str]]:
    vals = goal_values(res)
    rows = []
    for label, key, limit, unit in GOALS:
        v = vals[key]
        shown = fmt_ratio(v) if unit == "×" else fmt_s(v)
        goal = f"≤ {limit}×" if unit == "×" else f"≤ {limit} s"
        rows.append([label.format(jobs=res["jobs"]), shown, goal, goal_mark(v, limit)])
    return rows


def notes(res: dict) -> list[str]:
    out = []
    f = res["flags"]
    missing = [n for n, ok in (("--no-cache", f["no_cache"]), ("--jobs", f["jobs"])) if not ok]
    if missing:
        out.append(
            f"This scalelint has no {' / '.join(missing)}: the cold row ran `{res['cold_command']}` "
            f"(the `{CACHE_DIR}` folder removed first), not `--no-cache --jobs {res['jobs']}`."
        )
    if not res["cache_written"]:
        out.append(
            f"No `{CACHE_DIR}` folder was written: this scalelint has no cache, so the "
            "fill / warm / changed / pre-commit rows redo the whole cold work."
        )
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(res["files_by_kind"].items()))
    out.append(
        f"Files parsed by the floor: {res['files']} ({kinds}; {res['bytes'] / 1e6:.1f} MB), "
        f"listed by {res['file_list_from']}."
    )
    if res.get("semgrep_results") is not None:
        out.append(
            f"Semgrep {res['semgrep_version']}: {res['semgrep_scanned']} files scanned "
            f"(.ts/.tsx only), {res['semgrep_results']} results."
        )
    same = res["same_findings"]
    diff = [k for k, ok in same.items() if not ok]
    out.append(
        f"scalelint findings (cold): {res['findings']}; "
        + (
            "identical in every round, cold, filling, warm, after the one-file edits, and "
            "(for the 5 staged files) in the pre-commit runs."
            if not diff
            else f"DIFFERENT from the cold run in: {', '.join(diff)}."
        )
    )
    out.append(
        f"Changed file: `{res['changed_file']}`; staged files: "
        + ", ".join(f"`{p}`" for p in res["staged_files"])
        + "."
    )
    out.append(f"Load average before / after: {res['load_before']} / {res['load_after']}.")
    return out


def render(res: dict, md: bool) -> str:
    table = markdown_table if md else text_table
    mhead = ["what", "wall (median)", "range", "CPU (median)", "peak RSS", "÷ floor"]
    ghead = ["goal", "measured", "target", ""]
    bullet = "- " if md else ""
    parts = [
        bullet + res["machine"],
        bullet + f"checkout: {res['checkout']}; {res['rounds']} rounds after {res['warmup']} "
        f"warm-up, jobs {res['jobs']}; {res['when']}",
        "",
        table(mhead, measurement_rows(res)),
        "",
        table(ghead, goal_rows(res)),
        "",
        *(("- " if md else "") + n for n in notes(res)),
    ]
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("checkout", nargs="?", help="folder to benchmark (never written to)")
    p.add_argument("--rounds", type=int, default=5, help="counted rounds (default 5)")
    p.add_argument("--warmup", type=int, default=1, help="uncounted rounds first (default 1)")
    p.add_argument("--semgrep", help="semgrep command (default: beside this Python, or PATH)")
    p.add_argument("--no-semgrep", action="store_true", help="skip the Semgrep rows")
    p.add_argument(
        "--no-git",
        action="store_true",
        help="leave the copy without a git index (scalelint then walks the folders)",
    )
    add_common_args(p, "the temporary copy and its outputs")
    args = p.parse_args(argv)
    if not args.checkout and not args.from_json:
        p.error("CHECKOUT is required (or --from-json)")
    sys.stdout.write(render(saved_or_measured(args, measure), args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
