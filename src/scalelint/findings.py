"""What a rule reports and what the run itself reports, as plain data every renderer reads."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from scalelint.records import compact_records, value_record

SEVERITIES = ("error", "warning", "info")
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
CONFIDENCES = ("high", "medium")


@value_record
class Span:
    """A region of a file: 1-based lines, 1-based columns, end column exclusive.

    The exclusive end column is what SARIF's `endColumn` means, so one shape serves every
    renderer.
    """

    line: int
    col: int
    end_line: int
    end_col: int

    @staticmethod
    def at_line(line: int, col: int = 1, length: int = 0) -> Span:
        return Span(line, col, line, col + max(length, 1))

    @staticmethod
    def whole_line(line: int) -> Span:
        """The code on a line, first to last non-blank character; the columns are filled in
        from the source once it is read (col 0 marks the span as not yet placed)."""
        return Span(max(line, 1), 0, max(line, 1), 0)

    def placed(self, text: str) -> Span:
        if self.col:
            return self
        stripped = text.rstrip()
        start = len(stripped) - len(stripped.lstrip()) + 1
        return Span(self.line, start, self.line, max(len(stripped) + 1, start + 1))


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    name: str
    severity: str
    confidence: str
    path: str  # relative to the project root, "/"-separated
    span: Span
    message: str
    fix: str
    fingerprint: str = ""

    def with_fingerprint(self, fingerprint: str) -> Finding:
        return replace(self, fingerprint=fingerprint)

    @property
    def sort_key(self) -> tuple:
        s = self.span
        return (self.path, s.line, s.col, self.rule, self.message)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """Something the run wants the user to know that is not a problem in their code:
    a skipped file, a config warning, results cut at a limit."""

    kind: str  # "skipped", "config", "limit", "baseline"
    message: str
    path: str = ""


@dataclass(slots=True)
class RunResult:
    findings: list[Finding] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files_checked: int = 0
    suppressed: int = 0
    baselined: int = 0
    baseline_stale: int = 0


compact_records(globals())
