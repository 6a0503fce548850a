"""Command line: argument parsing and exit codes only.

Exit codes follow Ruff and ESLint: 0 nothing at or above `--fail-on`, 1 findings, 2 usage,
config or internal error (one line, no traceback unless `--debug`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from scalelint import STARTED, __version__
from scalelint.baseline import BaselineError, write_baseline
from scalelint.catalogue import CatalogueError, load_rules
from scalelint.config import PLATFORMS, ConfigError
from scalelint.findings import SEVERITY_RANK

if TYPE_CHECKING:
    from scalelint.timing import Timings

FORMATS = ("text", "json", "sarif", "github")


def _ids(value: str) -> list[str]:
    return [v.strip().upper() for v in value.split(",") if v.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scalelint",
        description="Find what makes a web app fall over at 50 concurrent users, before launch does.",
    )
    parser.add_argument("--version", action="version", version=f"scalelint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="check files or folders (default: .)")
    check.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH")
    check.add_argument(
        "--format", choices=FORMATS, default=os.environ.get("SCALELINT_FORMAT", "text")
    )
    check.add_argument(
        "--output", "-o", type=Path, help="write the report to FILE instead of stdout"
    )
    check.add_argument("--sarif-output", type=Path, metavar="FILE", help="also write SARIF to FILE")
    check.add_argument("--json-output", type=Path, metavar="FILE", help="also write JSON to FILE")
    check.add_argument(
        "--select", type=_ids, help="rule ids or prefixes to run (SL1,SL301); replaces config"
    )
    check.add_argument("--ignore", type=_ids, default=[], help="rule ids or prefixes to skip")
    check.add_argument(
        "--fail-on",
        choices=("error", "warning", "info"),
        default="warning",
        help="lowest severity that makes the exit code 1 (default: warning)",
    )
    check.add_argument(
        "--exit-zero", action="store_true", help="exit 0 even when problems are found"
    )
    check.add_argument(
        "--platform", choices=PLATFORMS, help="where the code runs (overrides detection)"
    )
    check.add_argument(
        "--config", type=Path, help="config file (default: .scalelint.yml or [tool.scalelint])"
    )
    check.add_argument(
        "--force-exclude",
        action="store_true",
        help="apply excludes and .gitignore to files named on the command line too",
    )
    check.add_argument(
        "--statistics", action="store_true", help="print counts per rule instead of findings"
    )
    check.add_argument(
        "--time",
        action="store_true",
        help="after the report, print to stderr where the run's time went",
    )
    check.add_argument("--quiet", "-q", action="store_true", help="print findings and nothing else")
    check.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    check.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help="report only findings not recorded in FILE (see --write-baseline)",
    )
    check.add_argument(
        "--write-baseline",
        type=Path,
        metavar="FILE",
        help="record every current finding in FILE and exit 0",
    )
    check.add_argument(
        "--paths-relative-to",
        type=Path,
        metavar="DIR",
        help="print paths relative to DIR instead of the project root",
    )
    check.add_argument(
        "--no-cache", action="store_true", help="neither read nor write .scalelint_cache/"
    )
    check.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="keep the cache in DIR instead of the project's .scalelint_cache/ "
        "(also SCALELINT_CACHE_DIR)",
    )
    check.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=0,
        metavar="N",
        help="processes for parsing and rules (default: one per CPU this process may use, "
        "a container's CPU quota included; 1 = all in this process)",
    )
    check.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")

    clean = sub.add_parser("clean", help="remove the project's .scalelint_cache/")
    clean.add_argument("path", nargs="?", type=Path, default=Path("."), metavar="PATH")
    clean.add_argument(
        "--cache-dir", type=Path, metavar="DIR", help="the cache is in DIR (see check)"
    )

    rules = sub.add_parser("rules", help="list the rules, or show one rule's documentation")
    rules.add_argument("rule", nargs="?", help="a rule id such as SL101")
    rules.add_argument("--format", choices=("text", "json"), default="text")
    return parser


def run() -> NoReturn:
    """The `scalelint` command: `main`, then an immediate exit. Interpreter shutdown would free
    every fact of the project one object at a time, which on a large repository costs a good
    part of a second and serves nothing."""
    code = 2
    try:
        code = main(process_exits=True)
    except SystemExit as e:  # argparse: --help, --version, a usage error
        if e.code is None or isinstance(e.code, int):
            code = e.code or 0
        else:
            print(e.code, file=sys.stderr)
            code = 1
    except KeyboardInterrupt:
        code = 130
    except BaseException:  # --debug re-raises: show the traceback it asked for
        traceback.print_exc()
        code = 2
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing to say
                stream.flush()
        os._exit(code)


def main(argv: list[str] | None = None, process_exits: bool = False) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    debug = getattr(args, "debug", False)
    try:
        if args.command == "rules":
            return _rules(args)
        if args.command == "clean":
            return _clean(args)
        return _check(args, process_exits)
    except (ConfigError, CatalogueError, BaselineError) as e:
        print(f"scalelint: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `scalelint check | head`: the reader has what it wanted
        return 1
    except Exception as e:
        if debug:
            raise
        print(
            f"scalelint: internal error: {type(e).__name__}: {e} (run with --debug for details)",
            file=sys.stderr,
        )
        return 2


def _check(args: argparse.Namespace, process_exits: bool = False) -> int:
    from scalelint.engine import RunOptions, run_check
    from scalelint.report import ReportData

    run = run_check(
        RunOptions(
            paths=args.paths,
            config_file=args.config,
            select=args.select,
            ignore=args.ignore,
            platform=args.platform,
            force_exclude=args.force_exclude,
            debug=args.debug,
            baseline=args.baseline,
            write_baseline=args.write_baseline,
            no_cache=args.no_cache,
            cache_dir=args.cache_dir,
            jobs=args.jobs,
            process_exits=process_exits,
            started=STARTED if process_exits else None,  # the command: count its imports
        )
    )
    if args.write_baseline is not None:
        n = write_baseline(args.write_baseline, run.result.findings)
        print(
            f"Wrote {n} finding{'s' if n != 1 else ''} to {args.write_baseline}; "
            f"pass `--baseline {args.write_baseline}` to report only new ones."
        )
        if args.time:
            _print_timings(run.timings, "writing the baseline")
        return 0
    if args.paths_relative_to is not None:
        run = run.rebased(args.paths_relative_to)
    data = ReportData(run.result, run.lines, run.rules, run.root, run.version)
    to_file = args.output is not None
    color = args.color == "always" or (
        args.color == "auto"
        and not to_file
        and sys.stdout.isatty()
        and not os.environ.get("NO_COLOR")
    )
    text = _render(args.format, data, color, args.quiet, args.statistics)
    if to_file:
        _write(args.output, text)
    else:
        sys.stdout.write(text)
    for path, fmt in ((args.sarif_output, "sarif"), (args.json_output, "json")):
        if path is not None:
            _write(path, _render(fmt, data, False, False, False))
    if args.format == "text" and not args.quiet:
        _print_diagnostics(run.result.diagnostics)
    if args.time:
        _print_timings(run.timings, "the report")
    if args.exit_zero:
        return 0
    threshold = SEVERITY_RANK[args.fail_on]
    return 1 if any(SEVERITY_RANK[f.severity] >= threshold for f in run.result.findings) else 0


def _print_timings(timings: Timings, last_step: str) -> None:
    from scalelint.timing import render_timings

    timings.lap(last_step)
    sys.stderr.write(render_timings(timings))


def _print_diagnostics(diagnostics) -> None:
    """Skipped bundles are expected and summed up in one line; anything else is said in full
    (a path outside the project, a rule that failed)."""
    routine = [
        d
        for d in diagnostics
        if d.kind == "skipped" and ("minified" in d.message or "limit" in d.message)
    ]
    for d in diagnostics:
        if d in routine:
            continue
        where = f"{d.path}: " if d.path else ""
        level = "error" if d.kind == "internal" else "warning"
        print(f"scalelint: {level}: {where}{d.message}", file=sys.stderr)
    if routine:
        print(
            f"scalelint: skipped {len(routine)} minified or oversized file{'s' if len(routine) > 1 else ''} "
            f"(`--format json` lists them; `max-file-size` in config raises the limit)",
            file=sys.stderr,
        )


def _render(fmt: str, data, color: bool, quiet: bool, statistics: bool) -> str:
    if fmt == "json":
        from scalelint.report.json import render_json

        return render_json(data)
    if fmt == "sarif":
        from scalelint.report.sarif import render_sarif

        return render_sarif(data)
    if fmt == "github":
        from scalelint.report.github import render_github

        return render_github(data)
    from scalelint.report.text import render_text

    return render_text(data, color=color, quiet=quiet, statistics=statistics)


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"cannot write {path}: {e.strerror or e}") from e


def _clean(args: argparse.Namespace) -> int:
    from scalelint.cache import cache_base, clean
    from scalelint.discover import common_start, find_root, names_a_folder

    root = find_root(common_start([args.path]), names_a_folder([args.path]))
    removed = clean(root, args.cache_dir)
    where = cache_base(root, args.cache_dir)
    print(f"{'Removed' if removed else 'No'} {where}{'' if removed else ' to remove'}.")
    return 0


def _rules(args: argparse.Namespace) -> int:
    rules = load_rules()
    if args.rule:
        meta = rules.get(args.rule.upper())
        if meta is None:
            print(f"scalelint: error: no rule {args.rule} (see `scalelint rules`)", file=sys.stderr)
            return 2
        if args.format == "json":
            print(json.dumps(_rule_json(meta), indent=2))
        else:
            print(f"# {meta.id} {meta.name}\n")
            print(
                f"Severity: {meta.severity} · Confidence: {meta.confidence}"
                f"{'' if meta.enabled else ' · off unless selected'}\n"
            )
            print(f"{meta.summary}\n\n{meta.explanation}\n\n## Fix\n{meta.fix}\n\n## Sources")
            for s in meta.sources:
                print(f"- {s}")
        return 0
    if args.format == "json":
        print(json.dumps([_rule_json(m) for m in rules.values()], indent=2))
        return 0
    width = max(len(m.name) for m in rules.values())
    for m in rules.values():
        off = "" if m.enabled else " (off unless selected)"
        print(f"{m.id}  {m.severity:<7}  {m.name:<{width}}  {m.summary}{off}")
    return 0


def _rule_json(meta) -> dict:
    return {
        "id": meta.id,
        "name": meta.name,
        "severity": meta.severity,
        "confidence": meta.confidence,
        "enabled": meta.enabled,
        "summary": meta.summary,
        "explanation": meta.explanation,
        "fix": meta.fix,
        "sources": list(meta.sources),
        "url": meta.help_uri,
    }


if __name__ == "__main__":
    raise SystemExit(main())
