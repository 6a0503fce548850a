"""The catalogue is the one source of rule docs: every rule is complete, and the generated
pages in docs/rules/ match it."""

from __future__ import annotations

from pathlib import Path

import pytest

from scalelint.catalogue import load_rules
from scalelint.docs import pages
from scalelint.rules import load_rules as load_rule_functions

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("meta", load_rules().values(), ids=lambda m: m.id)
def test_rule_yaml_is_complete(meta):
    for section in ("## What it does", "## Why", "## Example", "## Use instead"):
        assert section in meta.explanation, f"{meta.id} lacks {section}"
    assert meta.severity in ("error", "warning", "info")
    assert meta.confidence in ("high", "medium")
    assert meta.sources and all(s.startswith("https://") for s in meta.sources)
    assert meta.fix.strip()


def test_every_catalogued_rule_has_code():
    functions = load_rule_functions()
    missing = [rid for rid in load_rules() if rid not in functions and rid != "SL002"]
    assert not missing, f"rules in rules/*.yml with no implementation: {missing}"


def test_generated_rule_pages_are_current():
    for name, text in pages().items():
        path = REPO / "docs" / "rules" / name
        assert path.is_file() and path.read_text() == text, (
            f"docs/rules/{name} is stale: run `python -m scalelint.docs docs/rules`"
        )


def test_every_client_construction_is_known_to_the_query_analysis():
    """A client added to db-clients.yml must say which query API it speaks, or that it is
    none (an adapter); otherwise queries on it silently stop counting."""
    from scalelint.catalogue import knowledge_tables

    k = knowledge_tables()
    mapped = {cid for spec in k["query-apis"].values() for cid in spec.get("clients", [])}
    ids = {e["id"] for e in k["db-clients"]}
    assert ids - mapped - set(k["query-non-receivers"]) == set()
    assert mapped - ids == set(), "query-apis names a construction db-clients does not have"
