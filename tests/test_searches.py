"""Recursive searches remember whole answers for the run and partial ones for one search."""

from __future__ import annotations

from collections import Counter

import pytest

from scalelint.analysis.searches import Searches

# every node on cycles: 20 nodes, each pointing two ahead
GRAPH = {n: ((n + 1) % 20, (n + 7) % 20) for n in range(20)}


def _asker(searches: Searches, graph: dict, worked: Counter):
    def ask(n: int) -> frozenset[int]:
        def work() -> frozenset[int]:
            worked[n] += 1
            return frozenset({n}).union(*(ask(m) for m in graph[n]))

        return searches.answer(("node", n), work, frozenset())

    return ask


def test_a_search_through_cycles_works_each_question_out_once():
    worked: Counter = Counter()
    ask = _asker(Searches(), GRAPH, worked)
    assert ask(0) == frozenset(range(20))
    assert set(worked.values()) == {1}  # not once per path: that would be exponential


def test_partial_answers_do_not_outlive_their_search():
    """What node 5 reaches must not depend on whether node 0 was asked first."""
    searches, worked = Searches(), Counter()
    ask = _asker(searches, GRAPH, worked)
    ask(0)
    after_zero = ask(5)
    fresh = _asker(Searches(), GRAPH, Counter())(5)
    assert after_zero == fresh == frozenset(range(20))
    assert worked[5] == 2  # worked out again: its first answer met a cycle


def test_whole_answers_are_kept_for_the_run():
    chain = {n: ((n + 1,) if n < 9 else ()) for n in range(10)}
    searches, worked = Searches(), Counter()
    ask = _asker(searches, chain, worked)
    assert ask(0) == frozenset(range(10))
    assert ask(4) == frozenset(range(4, 10))
    assert set(worked.values()) == {1}


def _walker(searches: Searches, worked: Counter, limit: int):
    """Steps from n to n + 1 until 9, cut short past `limit` steps."""

    def ask(n: int, depth: int = 0) -> int:
        if depth > limit:
            searches.cut()
            return -1

        def work() -> int:
            worked[n] += 1
            return n if n == 9 else ask(n + 1, depth + 1)

        return searches.answer(("n", n), work, -1)

    return ask


def test_a_depth_limit_makes_an_answer_partial():
    searches, worked = Searches(), Counter()
    ask = _walker(searches, worked, 3)
    assert ask(0) == -1  # nine steps away: cut short, and so were the answers of 1, 2 and 3
    assert ask(3) == -1 and worked[3] == 2  # worked out again, not taken from the first search
    before = worked[6]  # met, cut short, in the search from 3
    assert ask(6) == 9 and ask(6) == 9  # three steps: whole, whatever was asked before …
    assert worked[6] == before + 1  # … and kept


def test_the_question_that_opens_a_cycle_sees_all_of_it_and_is_kept():
    searches, worked = Searches(), Counter()
    ask = _asker(searches, GRAPH, worked)
    assert ask(0) == frozenset(range(20))
    assert ask(0) == frozenset(range(20)) and worked[0] == 1  # whole: kept


def test_a_question_cut_short_in_every_search_is_worked_out_a_bounded_number_of_times():
    from scalelint.analysis.searches import MAX_TRIES

    searches, worked = Searches(), Counter()
    ask = _walker(searches, worked, 2)
    for _ in range(3 * MAX_TRIES):
        assert ask(0) == -1
    assert worked[0] == MAX_TRIES


def test_a_failed_search_leaves_no_partial_answer_behind():
    searches = Searches()

    def broken() -> int:
        searches.answer("inner", lambda: searches.cut() or -1, 0)  # partial
        raise RuntimeError("a rule's bug")

    with pytest.raises(RuntimeError):
        searches.answer("outer", broken, 0)
    assert searches.answer("inner", lambda: 7, 0) == 7
