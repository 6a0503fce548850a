"""GitHub Actions workflow commands: one annotation per finding on the PR's changed lines."""

from __future__ import annotations

from scalelint.report import ReportData

_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(data: ReportData) -> str:
    out = []
    for f in data.result.findings:
        s = f.span
        props = ",".join(
            [
                f"file={_prop(f.path)}",
                f"line={s.line}",
                f"col={s.col}",
                f"endLine={s.end_line}",
                f"endColumn={s.end_col}",
                f"title={_prop(f'{f.rule} {f.name}')}",
            ]
        )
        out.append(f"::{_LEVEL[f.severity]} {props}::{_data(f.message + ' Fix: ' + f.fix)}")
    return "\n".join(out) + ("\n" if out else "")
