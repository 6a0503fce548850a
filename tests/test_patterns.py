"""The knowledge tables' globs and `module:name` patterns, compiled, match as fnmatch does."""

from __future__ import annotations

import fnmatch
import itertools

import pytest

from scalelint.analysis import patterns
from scalelint.analysis.patterns import callee_match, glob_match

PATTERNS = ["stripe:default", "ai:generate*", "stripe:[A-Z]*.*", "*:waitUntil", "npm:pg:Pool"]
CALLEES = [
    ("stripe", "default"),
    ("stripe", "Customer.create"),
    ("stripe", "customer.create"),
    ("ai", "generateText"),
    ("ai", "x"),
    ("env", "waitUntil"),
    ("npm:pg", "Pool"),
    ("pg", "Pool"),
]


def _one_by_one(callee, pats) -> bool:
    module, name = callee
    return any(
        fnmatch.fnmatchcase(name, p.rpartition(":")[2])
        and fnmatch.fnmatchcase(module, p.rpartition(":")[0])
        for p in pats
    )


# Python 3.14 ends translate()'s expression with `\z` instead of `\Z`; `\Z\Z` stands in for
# any other spelling of the end anchor on the Pythons that lack `\z`.
@pytest.mark.parametrize("anchor", [r"\Z", r"\Z\Z"])
def test_compiled_patterns_match_as_fnmatch_does(anchor, monkeypatch):
    def translate(pat: str) -> str:
        return fnmatch.translate(pat).removesuffix(r"\Z") + anchor

    monkeypatch.setattr(patterns, "translate", translate)
    patterns._callees.cache_clear()
    patterns._globs.cache_clear()
    try:
        for r in (1, 2):
            for pats in itertools.combinations(PATTERNS, r):
                for callee in CALLEES:
                    assert callee_match(callee, pats) == _one_by_one(callee, pats), (callee, pats)
        assert glob_match("generateText", ["generate*"])
        assert not glob_match("text", ["generate*", "x?"])
    finally:
        patterns._callees.cache_clear()
        patterns._globs.cache_clear()
