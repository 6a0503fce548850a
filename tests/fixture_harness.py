"""Reads the `expect:` / `ok:` annotations of a fixture project and compares them with what
scalelint reports on it.

A comment `expect: SL301` marks the next code line (or its own line, when it trails code) as
one that must be flagged with that rule; `ok: SL301` marks one that must not be. Files that
cannot hold comments (JSON) list their expectations in a sidecar `<name>.expect`, one
`<line>: <RULE>[, <RULE>]` per line. Every finding must be expected: an unannotated finding
fails the fixture as surely as a missing one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from scalelint.engine import RunOptions, run_check

ANNOTATION = re.compile(
    r"(?:#|//|/\*|\*|;|--)\s*(?P<kind>expect|ok):\s*(?P<ids>SL\d{3}(?:\s*,\s*SL\d{3})*)"
)
COMMENT_START = re.compile(r"^\s*(?:#|//|/\*|\*|;|--)")
TEXT_SUFFIXES = {
    ".ts",
    ".tsx",
    ".js",
    ".jsx",
    ".mjs",
    ".cjs",
    ".mts",
    ".cts",
    ".py",
    ".prisma",
    ".toml",
    ".ini",
    ".yml",
    ".yaml",
    ".txt",
}


@dataclass
class Expectations:
    expected: set[tuple[str, int, str]] = field(default_factory=set)
    forbidden: set[tuple[str, int, str]] = field(default_factory=set)


def fixture_projects(root: Path) -> list[Path]:
    """Every folder under fixtures/<RULE>/ that is a project of its own."""
    out = []
    for rule_dir in sorted(
        p for p in root.iterdir() if p.is_dir() and re.fullmatch(r"SL\d{3}", p.name)
    ):
        for case in sorted(p for p in rule_dir.iterdir() if p.is_dir()):
            out.append(case)
    return out


def read_expectations(project: Path) -> Expectations:
    exp = Expectations()
    for path in sorted(project.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(project).as_posix()
        if path.name.endswith(".expect"):
            target = rel[: -len(".expect")]
            for line in path.read_text().splitlines():
                if ":" in line:
                    n, _, ids = line.partition(":")
                    for rule in re.findall(r"SL\d{3}", ids):
                        exp.expected.add((target, int(n), rule))
            continue
        if not _annotatable(path):
            continue
        lines = path.read_bytes().decode("utf-8", "replace").splitlines()
        for i, line in enumerate(lines, start=1):
            for m in ANNOTATION.finditer(line):
                target_line = i if not COMMENT_START.match(line) else _next_code_line(lines, i)
                bucket = exp.expected if m.group("kind") == "expect" else exp.forbidden
                for rule in re.findall(r"SL\d{3}", m.group("ids")):
                    bucket.add((rel, target_line, rule))
    return exp


def _annotatable(path: Path) -> bool:
    return path.suffix in TEXT_SUFFIXES or path.name.startswith((".env", "Dockerfile", "Procfile"))


def _next_code_line(lines: list[str], after: int) -> int:
    for j in range(after, len(lines)):
        text = lines[j].strip()
        if text and not COMMENT_START.match(lines[j]):
            return j + 1
    return after


def run_fixture(project: Path) -> tuple[set[tuple[str, int, str]], Expectations]:
    run = run_check(RunOptions(paths=[project], no_cache=True, jobs=1))
    found = {(f.path, f.span.line, f.rule) for f in run.result.findings}
    return found, read_expectations(project)
