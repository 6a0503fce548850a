"""The baseline: today's findings, recorded so a team with a year of AI-written code can adopt
scalelint and see only what is new.

Entries are keyed by fingerprint (rule + path + the finding's line with whitespace folded +
occurrence), so edits above a finding do not bring it back, and editing the line itself does.
Entries that no longer match anything are counted, so the file can be pruned by writing it
again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from scalelint import __version__
from scalelint.findings import Finding

FORMAT = 1


class BaselineError(Exception):
    pass


@dataclass
class BaselineResult:
    kept: list[Finding]
    matched: int
    stale: int


def write_baseline(path: Path, findings: Iterable[Finding]) -> int:
    entries = sorted(
        (
            {"rule": f.rule, "path": f.path, "fingerprint": f.fingerprint, "message": f.message}
            for f in findings
        ),
        key=lambda e: (e["path"], e["rule"], e["fingerprint"]),
    )
    doc = {"scalelint_baseline": FORMAT, "version": __version__, "findings": entries}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as e:
        raise BaselineError(f"cannot write baseline {path}: {e.strerror or e}") from e
    return len(entries)


def read_baseline(path: Path) -> set[tuple[str, str, str]]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise BaselineError(
            f"baseline {path} does not exist (create it with --write-baseline {path})"
        ) from e
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BaselineError(f"baseline {path} is not a scalelint baseline: {e}") from e
    if (
        not isinstance(doc, dict)
        or doc.get("scalelint_baseline") != FORMAT
        or not isinstance(doc.get("findings"), list)
    ):
        raise BaselineError(f"baseline {path} is not a scalelint baseline (format {FORMAT})")
    out = set()
    for e in doc["findings"]:
        if isinstance(e, dict) and {"rule", "path", "fingerprint"} <= e.keys():
            out.add((str(e["rule"]), str(e["path"]), str(e["fingerprint"])))
    return out


def apply_baseline(
    findings: list[Finding], entries: set[tuple[str, str, str]], checked: set[str]
) -> BaselineResult:
    """Drop findings the baseline records; count its entries for checked files that matched
    nothing (entries for files outside this run — a hook given five files — are not stale)."""
    kept = []
    used = set()
    for f in findings:
        key = (f.rule, f.path, f.fingerprint)
        if key in entries:
            used.add(key)
        else:
            kept.append(f)
    stale = sum(1 for e in entries - used if e[1] in checked)
    return BaselineResult(kept, len(used), stale)
