"""Shared test helpers: where the fixtures and the shared design folder are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture
def sarif_schema() -> dict:
    """The official SARIF 2.1.0 schema, from the shared folder beside the checkout."""
    path = SHARED / "schemas" / "sarif-schema-2.1.0.json"
    if not path.is_file():
        pytest.skip("../shared/schemas is not beside this checkout")
    return json.loads(path.read_text())
