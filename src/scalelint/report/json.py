"""The JSON format (documented in docs/json-output.md): one object, findings sorted, paths
relative to the project root with `/`."""

from __future__ import annotations

import json

from scalelint.report import ReportData


def render_json(data: ReportData) -> str:
    c = data.counts()
    doc = {
        "version": data.version,
        "findings": [
            {
                "rule": f.rule,
                "name": f.name,
                "severity": f.severity,
                "confidence": f.confidence,
                "path": f.path,
                "line": f.span.line,
                "column": f.span.col,
                "end_line": f.span.end_line,
                "end_column": f.span.end_col,
                "message": f.message,
                "fix": f.fix,
                "fingerprint": f.fingerprint,
            }
            for f in data.result.findings
        ],
        "diagnostics": [
            {"kind": d.kind, "path": d.path, "message": d.message} for d in data.result.diagnostics
        ],
        "summary": {
            "files_checked": data.result.files_checked,
            "errors": c["error"],
            "warnings": c["warning"],
            "info": c["info"],
            "suppressed": data.result.suppressed,
            "baselined": data.result.baselined,
            "baseline_stale": data.result.baseline_stale,
        },
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
