"""SARIF that validates against the official 2.1.0 schema and meets GitHub code scanning's
table: rule texts, levels, precision, relative URIs, 1-based columns, fingerprints."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from scalelint.cli import main
from tests.sarif_checks import assert_github_accepts

REPO = Path(__file__).resolve().parents[1]


def sarif_of(capsys, path: Path) -> dict:
    main(["check", str(path), "--format", "sarif"])
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def demo(tmp_path) -> Path:
    """A copy of a fixture with findings of several rules and files."""
    dst = tmp_path / "proj"
    shutil.copytree(REPO / "fixtures" / "SL105" / "pg-named-queries", dst)
    (dst / ".env.production").write_text(
        "DATABASE_URL=postgresql://postgres:pw@db.abcdefghijklmnop.supabase.co:5432/postgres\n"
    )
    return dst


def test_validates_against_the_official_schema(capsys, demo, sarif_schema):
    log = sarif_of(capsys, demo)
    validator = jsonschema.validators.validator_for(sarif_schema)(sarif_schema)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    assert log["runs"][0]["results"], "the fixture must produce results to validate"


def test_meets_github_code_scanning_requirements(capsys, demo):
    log = sarif_of(capsys, demo)
    assert log["runs"][0]["results"]
    assert_github_accepts(log)


def test_deterministic_across_runs(capsys, demo):
    a, b = sarif_of(capsys, demo), sarif_of(capsys, demo)
    assert a == b


def _lines_by_fingerprint(log: dict) -> dict[str, tuple[str, int]]:
    return {
        r["partialFingerprints"]["primaryLocationLineHash"]: (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in log["runs"][0]["results"]
    }


def test_fingerprints_survive_edits_above(capsys, demo):
    before = _lines_by_fingerprint(sarif_of(capsys, demo))
    route = demo / "app" / "api" / "users" / "route.ts"
    route.write_text("// a comment added above\n\n" + route.read_text())
    after = _lines_by_fingerprint(sarif_of(capsys, demo))
    assert after.keys() == before.keys()
    moved = [fp for fp, (uri, line) in before.items() if uri.endswith("route.ts")]
    assert moved and all(after[fp][1] == before[fp][1] + 2 for fp in moved)


def test_results_capped_at_github_limit(monkeypatch, capsys, demo):
    import scalelint.report.sarif as sarif

    monkeypatch.setattr(sarif, "MAX_RESULTS", 1)
    log = sarif_of(capsys, demo)
    run = log["runs"][0]
    assert len(run["results"]) == 1 and run["results"][0]["level"] == "error"
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any("only the 1 most severe" in n["message"]["text"] for n in notes)
