"""Rules split between this process and a forked copy give what they give in one process."""

from __future__ import annotations

import os

import pytest

from scalelint.catalogue import load_rules
from scalelint.findings import Finding, Span
from scalelint.rule_runs import can_fork, in_forked_process, run_rules, split_families
from scalelint.timing import Timings

pytestmark = pytest.mark.skipif(not can_fork(), reason="rules run in one process here")


def test_forked_work_comes_back_or_says_it_failed():
    assert in_forked_process(lambda: {"pid": os.getpid()})()["pid"] != os.getpid()
    assert in_forked_process(lambda: 1 / 0)() is None


def test_split_rules_keep_their_order_and_their_failures():
    metas = load_rules()

    def fine(rid):
        def rule(project, meta):
            span = Span(1, 1, 1, 2)
            yield Finding(rid, meta.name, "warning", "high", "a.ts", span, str(os.getpid()), "")

        return rule

    def broken(project, meta):
        raise RuntimeError("bug")

    rules = [
        ("SL101", fine("SL101"), metas["SL101"]),
        ("SL301", fine("SL301"), metas["SL301"]),
        ("SL201", fine("SL201"), metas["SL201"]),
        ("SL302", broken, metas["SL302"]),
        ("SL501", fine("SL501"), metas["SL501"]),
    ]
    serial_times, split_times = Timings(), Timings()
    serial = list(run_rules(None, rules, parallel=False, debug=False, timings=serial_times))
    split = list(run_rules(None, rules, parallel=True, debug=False, timings=split_times))
    # every rule's time comes back, from whichever process ran it, failed rules included
    for times in (serial_times, split_times):
        assert set(times.rules) == {r[0] for r in rules}
        assert all(s >= 0 for s in times.rules.values())
    assert split_times.rules_forked and not serial_times.rules_forked
    rules_of = [[f.rule for f in found] for found, _ in split]
    assert rules_of == [[f.rule for f in found] for found, _ in serial]
    assert rules_of == [["SL101"], ["SL301"], ["SL201"], [], ["SL501"]]
    assert split[3][1][0].message == serial[3][1][0].message
    assert "rule SL302 failed (RuntimeError: bug)" in split[3][1][0].message
    ran_in = {f.rule: f.message for found, _ in split for f in found}
    mine, forked = split_families([r[0] for r in rules])
    here = str(os.getpid())
    assert {rid for rid, pid in ran_in.items() if pid == here} == mine - {"SL302"}
    assert {rid for rid, pid in ran_in.items() if pid != here} == forked - {"SL302"}


def test_families_stay_together_and_both_shares_get_work():
    ids = list(load_rules())
    mine, forked = split_families(ids)
    assert mine and forked and mine.isdisjoint(forked) and mine | forked == set(ids)
    for family in {rid[:3] for rid in ids}:
        members = {rid for rid in ids if rid.startswith(family)}
        assert members <= mine or members <= forked, family


def test_rules_redone_here_when_the_copy_dies_are_not_said_to_have_run_there(monkeypatch):
    import scalelint.rule_runs as rule_runs

    metas = load_rules()
    rules = [(rid, lambda project, meta: iter(()), metas[rid]) for rid in ("SL101", "SL301")]
    monkeypatch.setattr(rule_runs, "in_forked_process", lambda work: lambda: None)
    times = Timings()
    assert list(run_rules(None, rules, parallel=True, debug=False, timings=times)) == [
        ([], []),
        ([], []),
    ]
    assert set(times.rules) == {"SL101", "SL301"} and not times.rules_forked
