"""Rules shared out between this process and forked copies give what they give in one process."""

from __future__ import annotations

import os
import signal

import pytest

from scalelint.catalogue import load_rules
from scalelint.findings import Finding, Span
from scalelint.rule_runs import (
    MAX_PROCESSES,
    Forked,
    can_fork,
    copies_that_fit,
    in_forked_process,
    run_rules,
    split_families,
)
from scalelint.timing import Timings, render_timings

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
    serial = list(run_rules(None, rules, processes=1, debug=False, timings=serial_times))
    rules_of = [[f.rule for f in found] for found, _ in serial]
    assert rules_of == [["SL101"], ["SL301"], ["SL201"], [], ["SL501"]]
    assert "rule SL302 failed (RuntimeError: bug)" in serial[3][1][0].message
    here = str(os.getpid())
    for processes, copies in ((2, 1), (3, 2), (8, MAX_PROCESSES - 1)):
        split_times = Timings()
        split = list(run_rules(None, rules, processes, debug=False, timings=split_times))
        # every rule's time comes back, from whichever process ran it, failed rules included
        for times in (serial_times, split_times):
            assert set(times.rules) == {r[0] for r in rules}
            assert all(s >= 0 for s in times.rules.values())
        assert split_times.rules_copies == copies and not serial_times.rules_copies
        assert [[f.rule for f in found] for found, _ in split] == rules_of
        assert split[3][1][0].message == serial[3][1][0].message
        ran_in = {f.rule: f.message for found, _ in split for f in found}
        mine, *theirs = split_families([r[0] for r in rules], processes)
        assert {rid for rid, pid in ran_in.items() if pid == here} == mine - {"SL302"}
        pids = {pid for pid in ran_in.values() if pid != here}
        assert len(pids) == copies  # each copy is a process of its own
        for share in theirs:
            assert len({ran_in[rid] for rid in share - {"SL302"}}) <= 1


@pytest.mark.parametrize("shares", [1, 2, 3, 4, 9])
def test_families_stay_together_and_every_share_gets_work(shares):
    ids = list(load_rules())
    split = split_families(ids, shares)
    assert len(split) == shares
    assert set().union(*split) == set(ids) and sum(map(len, split)) == len(ids)
    families = {rid[:3] for rid in ids}
    assert all(split) or shares > len(families)
    for family in families:
        members = {rid for rid in ids if rid.startswith(family)}
        assert sum(members <= share for share in split) == 1, family


def test_two_shares_split_by_weight():
    """The heaviest family goes to the copy; each next one to the lighter share."""
    mine, forked = split_families(["SL101", "SL201", "SL301", "SL401", "SL501"])
    assert forked == {"SL401", "SL201"} and mine == {"SL301", "SL501", "SL101"}


def test_rules_redone_here_when_the_copy_dies_are_not_said_to_have_run_there(monkeypatch):
    import scalelint.rule_runs as rule_runs

    metas = load_rules()
    rules = [(rid, lambda project, meta: iter(()), metas[rid]) for rid in ("SL101", "SL301")]
    monkeypatch.setattr(rule_runs, "in_forked_process", lambda work: Forked(None, None))
    times = Timings()
    assert list(run_rules(None, rules, processes=2, debug=False, timings=times)) == [
        ([], []),
        ([], []),
    ]
    assert set(times.rules) == {"SL101", "SL301"} and not times.rules_copies


def test_time_says_how_many_copies_ran_rules():
    t = Timings(rules={"SL101": 0.25})
    assert "rules, one by one (the slowest first):" in render_timings(t)
    t.rules_copies = 1
    assert "rules, in this process and a forked copy, at once" in render_timings(t)
    t.rules_copies = 3
    assert "rules, in this process and 3 forked copies, at once" in render_timings(t)


@pytest.fixture
def deadline():
    """A failure, not a suite that hangs, when copies wait forever on each other."""

    def expired(*_):
        raise TimeoutError("the forked copies did not end")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _no_children_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def _big(rid: str, n: int = 20_000):
    """A rule with about a megabyte of findings: more than a pipe holds."""

    def rule(project, meta):
        for i in range(n):
            yield Finding(
                rid,
                meta.name,
                "warning",
                "high",
                f"{rid}.ts",
                Span(i + 1, 1, i + 1, 2),
                str(os.getpid()),
                "",
            )

    return rule


FAMILIES = ("SL101", "SL201", "SL301", "SL401", "SL501")


def test_copies_with_more_than_a_pipe_holds_all_come_back(deadline):
    metas = load_rules()
    rules = [(rid, _big(rid), metas[rid]) for rid in FAMILIES]
    times = Timings()
    out = list(run_rules(None, rules, 4, debug=False, timings=times))
    assert [len(found) for found, _ in out] == [20_000] * len(FAMILIES)
    assert [found[0].rule for found, _ in out] == list(FAMILIES)
    assert times.rules_copies == 3 and _no_children_left()


def test_a_copy_that_cannot_be_started_has_its_share_done_here(monkeypatch, deadline):
    import scalelint.rule_runs as rule_runs

    real_fork, forks = os.fork, []

    def fork():
        forks.append(1)
        if len(forks) == 2:
            raise BlockingIOError(11, "Resource temporarily unavailable")
        return real_fork()

    monkeypatch.setattr(rule_runs.os, "fork", fork)
    metas = load_rules()
    rules = [(rid, _big(rid, 10), metas[rid]) for rid in FAMILIES]
    times = Timings()
    out = list(run_rules(None, rules, 4, debug=False, timings=times))
    assert [len(found) for found, _ in out] == [10] * len(FAMILIES)
    assert len(forks) == 3 and times.rules_copies == 2 and _no_children_left()
    pids = {found[0].message for found, _ in out}
    assert len(pids) == 3  # this process, with the unstarted copy's share, and two copies


def test_copies_end_when_this_process_fails(deadline):
    metas = load_rules()

    def broken(project, meta):
        raise RuntimeError("bug")

    mine = split_families(list(FAMILIES), 4)[0]
    rules = [(rid, broken if rid in mine else _big(rid), metas[rid]) for rid in FAMILIES]
    fds = len(os.listdir("/proc/self/fd"))
    with pytest.raises(RuntimeError, match="bug"):
        list(run_rules(None, rules, 4, debug=True))
    assert _no_children_left()  # the copies, blocked on a full pipe, were ended and reaped
    assert len(os.listdir("/proc/self/fd")) == fds  # and no pipe is left open


@pytest.mark.parametrize(
    ("wanted", "free_gib", "copies"),
    [(0, 10, 0), (1, 0.1, 1), (3, 10, 3), (8, 10, 3), (3, 2.5, 2), (3, 0.5, 1), (3, None, 1)],
)
def test_copies_past_the_first_only_as_memory_allows(monkeypatch, wanted, free_gib, copies):
    import scalelint.rule_runs as rule_runs

    gib = 1 << 30
    free = None if free_gib is None else int(free_gib * gib)
    monkeypatch.setattr(rule_runs, "resident_memory", lambda: gib)
    monkeypatch.setattr(rule_runs, "available_memory", lambda: free)
    assert copies_that_fit(wanted) == copies
    rules = [(rid, _big(rid, 1), load_rules()[rid]) for rid in FAMILIES]
    times = Timings()
    list(run_rules(None, rules, wanted + 1, debug=False, timings=times))
    assert times.rules_copies == copies
