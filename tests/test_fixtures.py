"""Every annotated fixture project: each expected finding appears, nothing else does."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from scalelint.catalogue import load_rules
from scalelint.engine import RunOptions, run_check
from scalelint.findings import Finding
from tests.fixture_harness import fixture_projects, read_expectations, run_fixture

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PROJECTS = fixture_projects(FIXTURES)


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture(project: Path) -> None:
    found, exp = run_fixture(project)
    missing = sorted(exp.expected - found)
    extra = sorted(found - exp.expected)
    wrongly = sorted(exp.forbidden & found)
    assert not missing and not extra and not wrongly, (
        f"missing: {missing}\nunexpected: {extra}\nflagged although marked ok: {wrongly}"
    )


@pytest.mark.parametrize("rule", sorted(load_rules()))
def test_every_rule_has_flag_and_silent_fixtures(rule: str) -> None:
    """A rule is done when it has code it must flag and tempting code it must not."""
    cases = [p for p in PROJECTS if p.parent.name == rule]
    assert cases, f"no fixtures/{rule}/ projects"
    flagged = set()
    silent = set()
    for case in cases:
        exp = read_expectations(case)
        flagged |= {r for _, _, r in exp.expected}
        silent |= {r for _, _, r in exp.forbidden}
    assert rule in flagged, f"fixtures/{rule}/ has no `expect: {rule}`"
    assert rule in silent, f"fixtures/{rule}/ has no `ok: {rule}`"


def test_fixture_projects_are_roots() -> None:
    """Each fixture is its own project: a marker file stops the root search there."""
    for project in PROJECTS:
        assert any(
            (project / m).exists() for m in ("package.json", "pyproject.toml", ".scalelint.yml")
        ), project


@cache
def _sl301_findings(case: str) -> list[Finding]:
    return run_check(
        RunOptions(paths=[FIXTURES / "SL301" / case], no_cache=True, jobs=1)
    ).result.findings


def test_a_repeated_query_on_one_line_is_one_finding() -> None:
    """`qs.first().x if qs.first() else None` runs the same query twice per item: one finding
    says so; two different queries on one line stay two findings."""
    by_line: dict[int, list[str]] = {}
    for f in _sl301_findings("django"):
        if f.path == "shop/repeats.py":
            by_line.setdefault(f.span.line, []).append(f.message)
    assert len(by_line[9]) == 1, by_line[9]
    assert "twice on this line" in by_line[9][0] and "two Django ORM queries" in by_line[9][0]
    assert len(by_line[11]) == 2, by_line[11]


@pytest.mark.parametrize(
    ("case", "path", "line", "cost"),
    [
        ("drizzle", "src/routes/orders.ts", 13, "one of the few pooled connections"),
        ("drizzle", "src/routes/subscribers.ts", 12, "an HTTP request to the database"),
        ("drizzle", "src/routes/labels.ts", 12, "an HTTP request to the database"),
        ("drizzle", "src/routes/labels.ts", 16, "in this process"),
        ("sql-drivers", "src/jobs.ts", 39, "an HTTPS request to Neon"),
        ("sql-drivers", "src/jobs.ts", 60, "an HTTPS request to PlanetScale"),
    ],
)
def test_query_in_loop_names_the_cost_of_its_driver(case, path, line, cost) -> None:
    """A driver that keeps no connection costs a network round trip per query, not a pooled
    connection: the message says which."""
    at = (path, line, "SL301")
    messages = [f.message for f in _sl301_findings(case) if (f.path, f.span.line, f.rule) == at]
    assert len(messages) == 1 and cost in messages[0], messages
