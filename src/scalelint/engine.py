"""The pipeline, once: discover → extract facts (once per file) → project context → rules →
suppress → a sorted finding list with fingerprints. Renderers take it from there.

Findings are kept only for the files the user named (targets), but facts and context come
from the whole project: a hook given one staged route still knows the Prisma schema, the
`.env` files and the platform.
"""

from __future__ import annotations

import gc
import hashlib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from scalelint import __version__
from scalelint.baseline import apply_baseline, read_baseline
from scalelint.cache import Cache, engine_fingerprint
from scalelint.catalogue import (
    RuleMeta,
    knowledge_names,
    knowledge_tables,
    load_rules,
    parsed_catalogue,
    use_parsed,
)
from scalelint.config import Config, check_selector, find_config, load_config, selected
from scalelint.discover import (
    Discovery,
    common_start,
    discover,
    find_root,
    names_a_folder,
    start_listing,
    stop_listing,
)
from scalelint.extraction import Content, extract_all, hash_files, keep_facts, save_stats
from scalelint.findings import Diagnostic, Finding, RunResult
from scalelint.resources import available_cores
from scalelint.suppress import assign_fingerprints
from scalelint.timing import Timings, plural

if TYPE_CHECKING:
    from subprocess import Popen

    from scalelint.facts.model import FileFacts


@dataclass
class RunOptions:
    paths: list[Path] = field(default_factory=lambda: [Path(".")])
    config_file: Path | None = None
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    platform: str | None = None
    force_exclude: bool = False
    debug: bool = False
    baseline: Path | None = None  # report only findings not recorded here
    write_baseline: Path | None = None  # record every finding here instead
    no_cache: bool = False
    cache_dir: Path | None = None  # else SCALELINT_CACHE_DIR, else the project's own folder
    jobs: int = 0  # processes for parsing and rules; 0 = one per CPU this process may use
    # The caller ends the process once it has reported (the command line does): the facts
    # are kept alive instead of freed, see `_RETAINED`.
    process_exits: bool = False
    started: float | None = None  # when `--time`'s clock starts; None: when the run does


@dataclass
class CheckRun:
    result: RunResult
    lines: dict[str, list[str]]
    rules: dict[str, RuleMeta]
    root: Path
    config: Config
    version: str = __version__
    timings: Timings = field(default_factory=Timings)

    def rebased(self, base: Path) -> CheckRun:
        """The same run with paths relative to `base` instead of the project root (the Action
        reports against the repository root when the project is a subfolder of it)."""
        prefix = os.path.relpath(self.root, base.resolve()).replace(os.sep, "/")
        if prefix == ".":
            return self

        def move(path: str) -> str:
            return f"{prefix}/{path}" if path else prefix

        result = replace(
            self.result,
            findings=[replace(f, path=move(f.path)) for f in self.result.findings],
            diagnostics=[
                replace(d, path=move(d.path)) if d.path else d for d in self.result.diagnostics
            ],
        )
        lines = {move(k): v for k, v in self.lines.items()}
        return replace(self, result=result, lines=lines, root=base.resolve())


def run_check(opts: RunOptions) -> CheckRun:
    """One check, with Python's cyclic garbage collector paused: the facts are hundreds of
    thousands of acyclic records, and each collection pass rescans all of them, which made a
    50,000-file project take longer per file than a 10,000-file one. A run is short and frees
    everything when the process ends. When the caller ends the process right after reporting,
    the collector stays paused: switched back on, its first pass would walk every retained
    fact once more, for a second on a large repository."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _run_check(opts)
    finally:
        if was_enabled and not opts.process_exits:
            gc.enable()


def _run_check(opts: RunOptions) -> CheckRun:
    root = find_root(common_start(opts.paths), names_a_folder(opts.paths))
    listing = start_listing(root.resolve())
    try:
        return _check_root(opts, root, listing)
    finally:
        stop_listing(listing)  # if the run stopped before it listed the files (a config error)


def _check_root(opts: RunOptions, root: Path, listing: Popen | None) -> CheckRun:
    timings = Timings() if opts.started is None else Timings(opts.started)
    cache = None if opts.no_cache else Cache(root.resolve(), opts.cache_dir)
    parsed = cache.catalogue() if cache is not None else None
    if parsed is not None:
        use_parsed(parsed)
    metas = load_rules()
    if cache is not None and parsed is None:
        cache.store_catalogue(parsed_catalogue())
    config = load_config(opts.config_file or find_config(root), set(metas), knowledge_names())
    if opts.platform:
        config.platform = opts.platform
    select = config.select if opts.select is None else opts.select
    ignore = [*config.ignore, *opts.ignore]
    for s in [*(opts.select or []), *opts.ignore]:
        check_selector(s, set(metas), "--select/--ignore")
    active = [rid for rid, m in metas.items() if selected(rid, m.enabled, select, ignore)]
    timings.lap("start-up: scalelint's modules, the rule catalogue, the configuration")

    found = discover(
        root, opts.paths, config.exclude, opts.force_exclude, config.max_file_size, listing
    )
    timings.lap(f"listing the project's files: {plural(len(found.files), 'file')} to read")
    contents = hash_files(found.root, found.files, cache)
    read = sum(c.data is not None for c in contents.values())
    unchanged = len(contents) - read
    timings.lap(
        f"reading and hashing: {plural(read, 'file')} read"
        + (f", {unchanged:,} unchanged since the last run" if unchanged else "")
    )
    made: dict[str, FileFacts] = {}
    whole = None
    if cache is not None:
        reparsed: list[str] = []
        made, digests = _changed_facts(found, contents, cache, _jobs(opts), reparsed)
        timings.lap(
            f"facts of new or changed files: {plural(len(reparsed), 'file')} parsed, "
            f"{len(made) - len(reparsed):,} from the cache"
        )
        key = _run_key(config, active, found, digests)
        whole = cache.results(key)
        if isinstance(whole, ProjectFindings):
            timings.lap("findings reused: no file's facts changed since the last run")
    if not isinstance(whole, ProjectFindings):
        whole = check_project(found, contents, cache, config, metas, active, opts, made, timings)
        if cache is not None:
            cache.store_results(key, whole)

    targets = {f.rel for f in found.files if f.target}
    result = RunResult(files_checked=len(targets))
    result.diagnostics.extend(found.diagnostics)
    result.diagnostics.extend(d for d in whole.diagnostics if not d.path or d.path in targets)
    result.findings = [f for f in whole.findings if f.path in targets]
    # Fingerprints and whole-line columns come from the lines as they are now: reused
    # findings may sit on a line whose text changed without changing any fact.
    lines = read_lines(found.root, {f.path for f in result.findings})
    result.findings = assign_fingerprints(result.findings, lines)
    result.suppressed = sum(n for rel, n in whole.suppressed.items() if rel in targets)
    baseline = opts.baseline or (found.root / config.baseline if config.baseline else None)
    if opts.write_baseline is None and baseline is not None:
        applied = apply_baseline(result.findings, read_baseline(baseline), targets)
        result.findings = applied.kept
        result.baselined, result.baseline_stale = applied.matched, applied.stale
    timings.lap(f"the findings of the {plural(len(targets), 'file')} checked")
    return CheckRun(result, lines, metas, found.root, config, timings=timings)


def _jobs(opts: RunOptions) -> int:
    return opts.jobs if opts.jobs > 0 else available_cores()


def _changed_facts(
    found: Discovery, contents: dict[str, Content], cache: Cache, jobs: int, parsed: list[str]
) -> tuple[dict[str, FileFacts], dict[str, str]]:
    """The facts of the files whose facts hash is not on record (new or changed since the
    last run), and every file's facts hash, which is what the findings are keyed by: the rules
    read nothing but facts. An edit that leaves a file's facts as they were (a comment, the
    text inside a JSX element, on lines that stay where they were) keeps the key, and the
    last findings are reused."""
    digests = {rel: c.digest for rel, c in contents.items() if c.digest is not None}
    unknown = [sf for sf in found.files if sf.rel not in digests]
    made = (
        extract_all(found.root, unknown, contents, cache, jobs, digests, parsed) if unknown else {}
    )
    keep_facts(cache, found.files, contents)
    save_stats(cache, contents, digests)
    return made, digests


# The facts and analyses of a large project are millions of small objects, and freeing them
# one by one takes longer than some rules do. A command-line run hands them here and ends its
# process without freeing anything (`scalelint.cli.run`).
_RETAINED: list[object] = []


@dataclass
class ProjectFindings:
    """Everything the rules said about the whole project, before it is cut down to the files a
    run was asked about: what the result cache holds."""

    findings: list[Finding]  # sorted; fingerprinted once they are cut down to the targets
    suppressed: dict[str, int]  # path → findings its comments or per-path ignores hid
    diagnostics: list[Diagnostic]


def check_project(
    found: Discovery,
    contents: dict,
    cache: Cache | None,
    config: Config,
    metas: dict[str, RuleMeta],
    active: list[str],
    opts: RunOptions,
    made: dict[str, FileFacts] | None = None,
    timings: Timings | None = None,
) -> ProjectFindings:
    # The analysis stack (tree-sitter, every rule family) loads only when rules run: a run the
    # result cache answers never pays for it.
    from scalelint.analysis.project import Project
    from scalelint.context import build_context
    from scalelint.extraction import PARALLEL_MIN_FILES
    from scalelint.rule_runs import run_rules
    from scalelint.rules import load_rules as load_rule_functions
    from scalelint.rules import report
    from scalelint.suppress import apply_suppressions, unused_span

    jobs = _jobs(opts)
    timings = timings or Timings()
    made = made or {}
    rest = [sf for sf in found.files if sf.rel not in made]
    parsed: list[str] = []
    more = extract_all(found.root, rest, contents, cache, jobs, None, parsed) if rest else {}
    if cache is not None:
        keep_facts(cache, found.files, contents)
    if rest:
        which = "the other files' facts" if made else "facts"
        loaded = len(more) - len(parsed)
        timings.lap(f"{which}: {plural(len(parsed), 'file')} parsed, {loaded:,} from the cache")
    elif cache is not None:
        timings.lap("keeping the facts in the cache")
    facts = {sf.rel: made.get(sf.rel) or more[sf.rel] for sf in found.files}
    diagnostics = [
        Diagnostic("skipped", f"{f.skipped}, not checked", rel)
        for rel, f in facts.items()
        if f.skipped and f.skipped != "binary"
    ]
    knowledge = knowledge_tables(config.knowledge)
    context = build_context(facts, config, knowledge, found.marker_dirs)
    project = Project(facts, context)
    registry = load_rule_functions()
    timings.lap("the project's context: packages, platforms, settings, the rule functions")
    rules = [(rid, registry[rid], metas[rid]) for rid in active if rid in registry]
    processes = jobs if len(facts) >= PARALLEL_MIN_FILES and not opts.debug else 1
    findings: list[Finding] = []
    for found_here, said in run_rules(project, rules, processes, opts.debug, timings):
        findings.extend(found_here)
        diagnostics.extend(said)
    timings.lap(f"the rules: {plural(len(rules), 'rule')} over {plural(len(facts), 'file')}")

    findings = _unique([_with_severity(f, config) for f in findings if f.path in facts])
    suppressed = apply_suppressions(findings, facts, config.per_path_ignores)
    findings = suppressed.kept
    if "SL002" in active:
        for rel, s in suppressed.unused:
            ids = ", ".join(s.ids) if s.ids else "every rule"
            findings.append(
                report(
                    metas["SL002"],
                    rel,
                    unused_span(s),
                    f"This `scalelint: ignore` ({ids}) suppresses nothing.",
                )
            )
    if opts.process_exits:
        _RETAINED.append((facts, project))
    findings.sort(key=lambda f: f.sort_key)
    return ProjectFindings(findings, suppressed.by_path, diagnostics)


def _run_key(config: Config, active: list[str], found: Discovery, digests: dict[str, str]) -> str:
    """Everything a run's findings depend on: the engine, the configuration, the rules that
    run, and every file of the project by path, kind and facts."""
    h = hashlib.sha256(engine_fingerprint().encode())
    h.update(repr(config).encode())
    h.update(repr(sorted(active)).encode())
    h.update(repr(sorted(found.marker_dirs)).encode())
    for sf in found.files:
        h.update(f"{sf.rel}\0{sf.kind}\0{digests.get(sf.rel)}\n".encode())
    return h.hexdigest()


def read_lines(root: Path, paths: set[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for rel in paths:
        try:
            out[rel] = (root / rel).read_bytes().decode("utf-8", "replace").splitlines()
        except OSError:
            out[rel] = []
    return out


def _with_severity(f: Finding, config: Config) -> Finding:
    level = config.severity.get(f.rule)
    if level is None or level == f.severity:
        return f
    return replace(f, severity=level)


def _unique(findings: list[Finding]) -> list[Finding]:
    seen = set()
    out = []
    for f in findings:
        key = (f.rule, f.path, f.span, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


__all__ = ["CheckRun", "Discovery", "RunOptions", "run_check"]
