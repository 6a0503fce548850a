"""Memory for the project's recursive searches: what a name exports, which function a call
runs, which query receiver a value is.

Each search stops at a depth limit and at a question that leads back to itself (a cycle),
answering "nothing" there. Such an answer is partial: asked from elsewhere, the same
question would reach further. Kept for the whole run, a partial answer made the first file
to ask decide what every other file learned, so that deleting an unrelated route could
bring back a finding in another. So only whole answers, those no cycle or limit cut short,
are kept for the run. Partial ones are kept until the outermost search that needed them
ends, so that one search still asks each question once rather than again at every turn of
a cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")
_PENDING = object()  # a question being worked out


class Searches:
    def __init__(self) -> None:
        self.cuts = 0  # searches cut short so far, by a cycle or a depth limit
        self._kept: dict[Hashable, object] = {}
        self._partial: dict[Hashable, object] = {}
        self._open = 0  # searches under way

    def cut(self) -> None:
        """A search reached a depth limit: what it answers is partial."""
        self.cuts += 1

    def answer(self, key: Hashable, work: Callable[[], T], in_cycle: T) -> T:
        """The answer to `key`: remembered, or `work()`; `in_cycle` when `key` is asked again
        while it is being worked out."""
        if key in self._kept:
            return self._kept[key]  # type: ignore[return-value]
        if key in self._partial:
            found = self._partial[key]
            if found is _PENDING:
                self.cuts += 1
                return in_cycle
            return found  # type: ignore[return-value]
        self._partial[key] = _PENDING
        cuts = self.cuts
        self._open += 1
        try:
            out = work()
        finally:
            self._open -= 1
            del self._partial[key]
        if self.cuts == cuts:
            self._kept[key] = out
        else:
            self._partial[key] = out
        if not self._open:
            self._partial.clear()
        return out
