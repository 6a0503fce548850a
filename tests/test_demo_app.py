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


def test_connection_and_pooler_messages_name_what_to_change_and_hide_passwords():
    """A user who did not write the config reads one sentence: it must say which variable (or
    pooler app) and which host, give the fix, and never print a password back."""
    from scalelint.engine import RunOptions, run_check

    run = run_check(RunOptions(paths=[DEMO], no_cache=True, jobs=1))
    env_files = [p for p in DEMO.rglob("*") if p.is_file() and p.name.startswith(".env")]
    passwords = {"Sup3rS3cret!"} | {
        line.split(":", 2)[2].split("@", 1)[0]
        for p in env_files
        for line in p.read_text().splitlines()
        if "://" in line and "@" in line
    }
    findings = [f for f in run.result.findings if f.rule[:3] in ("SL1", "SL6")]
    assert findings
    for f in findings:
        text = f"{f.message} {f.fix}"
        assert f.fix, f
        assert not any(pw and pw in text for pw in passwords), f
        if f.rule.startswith("SL1"):
            assert "`" in f.message and (".supabase." in f.message), f
        elif f.rule in ("SL601", "SL602", "SL603"):
            assert "`launchpad-pgbouncer" in f.message, f
        elif "://" in f.message or "connection URL" in f.message:
            assert ".supabase.co" in f.message, f
