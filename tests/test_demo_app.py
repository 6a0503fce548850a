"""The demo app holds one real instance of every shipped rule, and nothing else."""

from __future__ import annotations

from pathlib import Path

from scalelint.catalogue import load_rules
from tests.fixture_harness import run_fixture

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "demo-app"


def test_demo_app_reports_exactly_its_planted_problems():
    found, exp = run_fixture(DEMO)
    assert found == exp.expected, (
        f"missing {sorted(exp.expected - found)}, extra {sorted(found - exp.expected)}"
    )


def test_demo_app_covers_every_shipped_rule():
    _, exp = run_fixture(DEMO)
    planted = {rule for _, _, rule in exp.expected}
    shipped = {rid for rid in load_rules() if not rid.startswith("SL0")}
    assert shipped <= planted, f"no planted instance of {sorted(shipped - planted)}"
