"""Renderers: one per output format, all reading the same finished finding list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scalelint.catalogue import RuleMeta
from scalelint.findings import Finding, RunResult


@dataclass
class ReportData:
    result: RunResult
    lines: Mapping[str, list[str]]  # source lines of the files that have findings
    rules: Mapping[str, RuleMeta]  # the whole catalogue
    root: Path
    version: str

    def line(self, finding: Finding) -> str:
        lines = self.lines.get(finding.path, [])
        n = finding.span.line
        return lines[n - 1] if 0 < n <= len(lines) else ""

    def counts(self) -> dict[str, int]:
        out = {"error": 0, "warning": 0, "info": 0}
        for f in self.result.findings:
            out[f.severity] += 1
        return out
