"""SARIF 2.1.0 for GitHub code scanning, built with sarif-om.

GitHub's table (rule short/full description, help text and markdown, default level,
`precision` and `problem.severity`, relative URIs with `%SRCROOT%`, 1-based columns,
`primaryLocationLineHash`) is met here. Two sarif-om traps are avoided: its classes default
many fields to values that are not "absent" (rank -1, kind "fail"), so only None is dropped
and every field that matters is set explicitly; and suppressed results are never emitted —
GitHub ignores `suppressions` and would open alerts for them.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import attr
import sarif_om as om

from scalelint.catalogue import RuleMeta
from scalelint.findings import Finding
from scalelint.report import ReportData

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
MAX_RESULTS = 25_000  # GitHub rejects more per run
MAX_TAGS = 20
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_PROBLEM = {"error": "error", "warning": "warning", "info": "recommendation"}


def render_sarif(data: ReportData) -> str:
    rules = sorted(data.rules.values(), key=lambda r: r.id)
    index = {r.id: i for i, r in enumerate(rules)}
    findings = data.result.findings
    notifications = []
    if len(findings) > MAX_RESULTS:
        rank = {"error": 0, "warning": 1, "info": 2}
        findings = sorted(findings, key=lambda f: (rank[f.severity], f.sort_key))[:MAX_RESULTS]
        findings.sort(key=lambda f: f.sort_key)
        notifications.append(
            om.Notification(
                message=om.Message(
                    text=f"{len(data.result.findings)} results found; only the {MAX_RESULTS} most severe "
                    f"are included (GitHub code scanning accepts at most {MAX_RESULTS} per run)."
                ),
                level="warning",
            )
        )
    for d in data.result.diagnostics:
        text = f"{d.path}: {d.message}" if d.path else d.message
        notifications.append(om.Notification(message=om.Message(text=text), level="note"))
    run = om.Run(
        tool=om.Tool(
            driver=om.ToolComponent(
                name="scalelint",
                version=data.version,
                semantic_version=data.version,
                information_uri="https://github.com/scalelint/scalelint",
                rules=[_rule(r) for r in rules],
            )
        ),
        results=[_result(f, index, data) for f in findings],
        column_kind="unicodeCodePoints",
        original_uri_base_ids={
            "%SRCROOT%": om.ArtifactLocation(uri=data.root.resolve().as_uri() + "/")
        },
        invocations=[
            om.Invocation(
                execution_successful=True,
                tool_execution_notifications=notifications or None,
            )
        ],
    )
    log = om.SarifLog(version="2.1.0", schema_uri=SCHEMA_URI, runs=[run])
    return json.dumps(to_sarif(log), indent=2, ensure_ascii=False) + "\n"


def _rule(r: RuleMeta) -> om.ReportingDescriptor:
    props = om.PropertyBag(tags=list(r.tags[:MAX_TAGS]) or None)
    props.precision = "high" if r.confidence == "high" else "medium"
    setattr(props, "problem.severity", _PROBLEM[r.severity])
    return om.ReportingDescriptor(
        id=r.id,
        name=r.name,
        short_description=om.MultiformatMessageString(text=r.summary[:1024]),
        full_description=om.MultiformatMessageString(text=_what_it_does(r)[:1024]),
        help=om.MultiformatMessageString(text=_plain(r.explanation), markdown=r.explanation),
        help_uri=r.help_uri,
        default_configuration=om.ReportingConfiguration(
            level=_LEVEL[r.severity], enabled=r.enabled
        ),
        properties=props,
    )


def _result(f: Finding, index: dict[str, int], data: ReportData) -> om.Result:
    s = f.span
    end_col = s.end_col if (s.end_line > s.line or s.end_col > s.col) else s.col + 1
    props = om.PropertyBag()
    props.confidence = f.confidence
    return om.Result(
        rule_id=f.rule,
        rule_index=index[f.rule],
        kind="fail",
        level=_LEVEL[f.severity],
        message=om.Message(text=f"{f.message} Fix: {f.fix}"),
        locations=[
            om.Location(
                physical_location=om.PhysicalLocation(
                    artifact_location=om.ArtifactLocation(
                        uri=_uri(f.path), uri_base_id="%SRCROOT%"
                    ),
                    region=om.Region(
                        start_line=max(s.line, 1),
                        start_column=max(s.col, 1),
                        end_line=max(s.end_line, s.line, 1),
                        end_column=max(end_col, 1),
                    ),
                )
            )
        ],
        partial_fingerprints={"primaryLocationLineHash": f.fingerprint},
        properties=props,
    )


def _uri(path: str) -> str:
    return quote(path, safe="/")


def _what_it_does(r: RuleMeta) -> str:
    m = re.search(r"## What it does\s*\n(.*?)(?:\n## |\Z)", r.explanation, re.S)
    text = m.group(1) if m else r.summary
    return " ".join(text.split())


def _plain(markdown: str) -> str:
    return re.sub(r"^#+ ", "", markdown, flags=re.M)


def _unset_sentinel(value, default) -> bool:
    """sarif-om defaults indexes and ranks to -1, SARIF's "unset" value: writing it out only
    makes validators complain (SARIF2004), so it is dropped like None."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and value == -1
        and value == default
    )


def to_sarif(obj):
    """sarif-om objects → JSON-ready dicts with the schema's camelCase names, None dropped."""
    if attr.has(type(obj)):
        out = {}
        for f in attr.fields(type(obj)):
            v = getattr(obj, f.name)
            if v is None or _unset_sentinel(v, f.default):
                continue
            out[f.metadata.get("schema_property_name", f.name)] = to_sarif(v)
        if isinstance(obj, om.PropertyBag):
            out.update(
                {k: to_sarif(v) for k, v in vars(obj).items() if k != "tags" and v is not None}
            )
        return out
    if isinstance(obj, list | tuple):
        return [to_sarif(x) for x in obj]
    if isinstance(obj, dict):
        return {k: to_sarif(v) for k, v in obj.items()}
    return obj
