"""Memory for the project's recursive searches: what a name exports, which function a call
runs, which query receiver a value is.

Each search stops at a depth limit and at a question that leads back to one still being
worked out (a cycle), answering "nothing" there. Kept for the whole run, such partial answers
made the first file to ask decide what every other file learned: deleting an unrelated route
could bring back a finding in another. So an answer is kept for the run only when it is
whole: no depth limit cut anything under it, and every cycle under it led back to the
question itself, not to one asked before it (the question that opens a cycle sees all of it;
the ones inside it do not, as in Tarjan's strongly connected components). Partial answers are
kept until the outermost search ends, so that one search asks each question once rather than
again at every turn of a cycle, and a question is worked out at most `MAX_TRIES` times.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")
_WHOLE = 1 << 62  # no open question is this deep
# A question whose answer is partial this many times is answered so for the rest of the run:
# in a project of thousands of files that `export *` each other, working every partial
# answer out again in every search would take a quadratic time.
MAX_TRIES = 4


class Searches:
    def __init__(self) -> None:
        self.cuts = 0  # searches cut short so far by a depth limit
        self._kept: dict[Hashable, object] = {}
        # partial answers of this search, and the open question each one led back to
        self._partial: dict[Hashable, tuple[object, Hashable | None]] = {}
        self._open: dict[Hashable, int] = {}  # questions being worked out → nesting level
        self._low = _WHOLE  # the lowest open question the current one led back to
        self._tries: dict[Hashable, int] = {}  # times each question was worked out

    def cut(self) -> None:
        """A search reached a depth limit: what it answers is partial."""
        self.cuts += 1

    def answer(self, key: Hashable, work: Callable[[], T], in_cycle: T) -> T:
        """The answer to `key`: remembered, or `work()`; `in_cycle` when `key` is asked again
        while it is being worked out."""
        if key in self._kept:
            return self._kept[key]  # type: ignore[return-value]
        level = self._open.get(key)
        if level is not None:
            self._low = min(self._low, level)
            return in_cycle
        if key in self._partial:
            found, led_to = self._partial[key]
            level = self._open.get(led_to) if led_to is not None else None
            if level is None:
                self.cuts += 1  # cut short by a limit, or by a question since closed
            else:
                self._low = min(self._low, level)
            return found  # type: ignore[return-value]
        level = len(self._open)
        self._open[key] = level
        outer_low, self._low = self._low, _WHOLE
        cuts = self.cuts
        try:
            out = work()
            tries = self._tries[key] = self._tries.get(key, 0) + 1
            if (self.cuts == cuts and self._low >= level) or tries >= MAX_TRIES:
                self._kept[key] = out
            else:
                led_to = next((k for k, n in self._open.items() if n == self._low), None)
                self._partial[key] = (out, led_to if self.cuts == cuts else None)
        finally:
            del self._open[key]
            low = self._low
            self._low = min(outer_low, low if low < level else _WHOLE)
            if not self._open:
                self._partial.clear()  # also when a search failed part way
        return out
