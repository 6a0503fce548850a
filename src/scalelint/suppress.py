"""What the user chose not to see: inline comments, per-path ignores from config, and the
fingerprints that let a baseline (and GitHub) recognise a finding after unrelated edits.

Suppressed findings are dropped before any renderer sees them: GitHub code scanning ignores
SARIF `suppressions`, so a suppressed result that was still emitted would open an alert.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from scalelint.facts.comments import Suppression
from scalelint.findings import Finding, Span

if TYPE_CHECKING:
    from scalelint.facts.model import FileFacts


@dataclass
class SuppressionResult:
    kept: list[Finding]
    by_path: dict[str, int]  # how many findings each file's comments or ignores hid
    unused: list[tuple[str, Suppression]]  # (path, directive) that matched nothing


def _covers(s: Suppression, finding: Finding) -> bool:
    if s.ids is not None and not any(finding.rule.startswith(i) for i in s.ids):
        return False
    if s.file_level:
        return True
    line = finding.span.line
    return s.line == line or (s.own_line and s.next_line == line)


def apply_suppressions(
    findings: list[Finding],
    files: Mapping[str, FileFacts],
    per_path_ignores: dict[str, list[str]],
) -> SuppressionResult:
    import pathspec  # here: a run the result cache answers only fingerprints, and needs none

    specs = [
        (pathspec.GitIgnoreSpec.from_lines([glob]), ids) for glob, ids in per_path_ignores.items()
    ]
    used: set[tuple[str, int, int]] = set()
    kept: list[Finding] = []
    by_path: dict[str, int] = {}
    for f in findings:
        if any(
            spec.match_file(f.path) and any(f.rule.startswith(i) or i == "ALL" for i in ids)
            for spec, ids in specs
        ):
            by_path[f.path] = by_path.get(f.path, 0) + 1
            continue
        facts = files.get(f.path)
        hit = None
        if facts is not None:
            hit = next((s for s in facts.suppressions if _covers(s, f)), None)
        if hit is not None:
            used.add((f.path, hit.line, hit.col))
            by_path[f.path] = by_path.get(f.path, 0) + 1
            continue
        kept.append(f)
    unused = [
        (rel, s)
        for rel, facts in files.items()
        for s in facts.suppressions
        if (rel, s.line, s.col) not in used
    ]
    return SuppressionResult(kept, by_path, unused)


def unused_span(s: Suppression) -> Span:
    return Span.at_line(s.line, s.col, len("scalelint: ignore"))


def normalised(line: str) -> str:
    return " ".join(line.split())


def fingerprint(rule: str, path: str, line_text: str, occurrence: int) -> str:
    """rule + path + the finding's line with whitespace folded + which occurrence of that
    triple it is: edits elsewhere in the file do not change it, editing the line does."""
    digest = hashlib.sha256(f"{rule}\0{path}\0{normalised(line_text)}".encode()).hexdigest()[:16]
    return f"{digest}:{occurrence}"


def assign_fingerprints(findings: list[Finding], lines: Mapping[str, list[str]]) -> list[Finding]:
    counts: dict[tuple[str, str, str], int] = {}
    out = []
    for f in findings:
        text = _line(lines, f.path, f.span.line)
        key = (f.rule, f.path, normalised(text))
        counts[key] = counts.get(key, 0) + 1
        f = replace(f, span=f.span.placed(text)) if not f.span.col else f
        out.append(f.with_fingerprint(fingerprint(f.rule, f.path, text, counts[key])))
    return out


def _line(lines: Mapping[str, list[str]], path: str, line: int) -> str:
    file_lines = lines.get(path, [])
    return file_lines[line - 1] if 0 < line <= len(file_lines) else ""
