"""SL0: scalelint's own diagnostics about the files it read."""

from __future__ import annotations

from collections.abc import Iterator

from scalelint.analysis.project import Project
from scalelint.catalogue import RuleMeta
from scalelint.findings import Finding, Span
from scalelint.rules import report, rule


@rule("SL001")
def parse_error(project: Project, meta: RuleMeta) -> Iterator[Finding]:
    """A file that could not be read or parsed, with the reason; the run goes on."""
    for f in project.files.values():
        for problem in f.problems:
            yield report(meta, f.rel, Span.whole_line(problem.line), problem.message)
