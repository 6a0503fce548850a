"""Running the rules over a project's facts: one after another, or shared out between this
process and forked copies of it, one per core up to `MAX_PROCESSES` and as many as the memory
left holds (see `copies_that_fit`).

On a large repository the rules take seconds after the facts are in, in one process, while
the other cores wait. A forked copy already holds every fact and the project context, so it
can run part of the rules at once without any of it being sent over; only its findings come
back. The rules of one family share their analyses (the query index of the N+1 rules, the
webhooks of the slow-call rules), so a family stays in one process, and the families are
shared out by how long they usually take. Results are put back in the order of the rule
list, so the output is the same whatever the number of processes.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Generic, TypeVar

from scalelint.findings import Diagnostic, Finding
from scalelint.resources import available_memory, resident_memory

if TYPE_CHECKING:
    from scalelint.analysis.project import Project
    from scalelint.catalogue import RuleMeta
    from scalelint.timing import Timings

log = logging.getLogger("scalelint")

# How long each rule family takes, relative to the others, so that the split puts about as
# much in each process. SL4 is the heaviest on dub, saleor, polar, midday and inbox-zero alike
# (0.4-1.1 s in one process, against 0.4-0.6 s for SL3 and 0.1-0.5 s for SL5).
FAMILY_WEIGHTS = {"SL4": 3.0, "SL3": 2.0, "SL5": 1.5, "SL2": 1.0}
OTHER_WEIGHT = 0.5
# Past the four heavy families a copy would get only light ones, while each copy costs a fork
# and its own share of the memory (the pages of the facts it touches get copied).
MAX_PROCESSES = 4

Result = tuple[list[Finding], list[Diagnostic]]
T = TypeVar("T")


def run_rules(
    project: Project,
    rules: list[tuple[str, Callable, RuleMeta]],
    processes: int,
    debug: bool,
    timings: Timings | None = None,
) -> Iterator[Result]:
    """Each rule's findings and diagnostics, in the order of `rules`, with the rules shared out
    between this process and up to `processes - 1` forked copies. `timings`, when given,
    receives how long each rule took in the process it ran in."""
    seconds = timings.rules if timings is not None else {}
    shares = 1 + copies_that_fit(processes - 1) if processes > 1 else 1
    mine, *theirs = split_families([r[0] for r in rules], shares)
    theirs = [share for share in theirs if share]
    if not (mine and theirs and can_fork()):
        for rid, fn, meta in rules:
            yield _timed(project, rid, fn, meta, debug, seconds)
        return

    def work_of(share: list) -> Callable[[], tuple[list[Result], dict[str, float]]]:
        def work() -> tuple[list[Result], dict[str, float]]:
            spent: dict[str, float] = {}
            return [_timed(project, *r, debug, spent) for r in share], spent

        return work

    their_rules = [[r for r in rules if r[0] in share] for share in theirs]
    copies: list[Forked] = []
    try:
        for share in their_rules:
            copies.append(in_forked_process(work_of(share)))
        results = {r[0]: _timed(project, *r, debug, seconds) for r in rules if r[0] in mine}
        for share, copy in zip(their_rules, copies, strict=True):
            came = copy()
            if came is None:  # the copy died (out of memory, killed) or never started
                came = [_timed(project, *r, debug, seconds) for r in share], {}
            elif timings is not None:
                timings.rules_copies += 1
            there, spent = came
            seconds.update(spent)
            results.update({r[0]: res for r, res in zip(share, there, strict=True)})
    finally:  # this process failed (a rule under --debug, Ctrl-C): end the copies too
        for copy in copies:
            copy.discard()
    for rid, _, _ in rules:
        yield results[rid]


def copies_that_fit(wanted: int) -> int:
    """How many forked copies run rules: `wanted`, at most `MAX_PROCESSES - 1`, and past the
    first only as many as the memory left holds, each counted at this process's size.

    A copy shares this process's memory until it writes to it, but reading a Python object
    writes its reference count, and the rules read most of the facts: on dub and on a
    generated 10,000-file project each copy added about half this process's size (dub, all
    processes together: 368 MiB with one copy, 589 MiB with three; the generated project:
    1,058 and 1,811 MiB). On a 50,000-file monorepo that is gigabytes a copy, more than a
    CI runner may have. One copy is always made, as before copies were counted."""
    wanted = min(wanted, MAX_PROCESSES - 1)
    if wanted <= 1:
        return max(wanted, 0)
    size, free = resident_memory(), available_memory()
    if not size or free is None:
        return 1
    return max(1, min(wanted, free // size))


def _timed(
    project: Project, rid: str, fn: Callable, meta: RuleMeta, debug: bool, spent: dict
) -> Result:
    start = time.perf_counter()
    try:
        return _run_one(project, rid, fn, meta, debug)
    finally:
        spent[rid] = time.perf_counter() - start


def split_families(rule_ids: list[str], shares: int = 2) -> list[set[str]]:
    """`shares` sets of whole families, of about equal weight: this process's first, then
    each copy's (some may be empty). The heaviest family goes to a copy, each next one to
    the lightest share, this process first among equals."""
    families: dict[str, list[str]] = {}
    for rid in rule_ids:
        families.setdefault(rid[:3], []).append(rid)
    out: list[set[str]] = [set() for _ in range(max(shares, 1))]
    load = [0.0] * len(out)
    ranked = sorted(families, key=lambda f: (-FAMILY_WEIGHTS.get(f, OTHER_WEIGHT), f))
    for i, family in enumerate(ranked):
        side = min(1, len(out) - 1) if i == 0 else min(range(len(out)), key=load.__getitem__)
        out[side].update(families[family])
        load[side] += FAMILY_WEIGHTS.get(family, OTHER_WEIGHT)
    return out


def _run_one(project: Project, rid: str, fn: Callable, meta: RuleMeta, debug: bool) -> Result:
    try:
        return list(fn(project, meta)), []
    except Exception as e:  # a rule bug must not take the whole run down
        if debug:
            raise
        log.debug("rule %s failed:\n%s", rid, traceback.format_exc())
        said = f"rule {rid} failed ({type(e).__name__}: {e}); its findings are missing"
        return [], [Diagnostic("internal", said)]


def can_fork() -> bool:
    """Linux only: elsewhere forking a process that has loaded system libraries is unsafe
    (macOS) or impossible (Windows)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


# The pipes this process reads its copies' results from. A copy started later closes them:
# were it to hold another copy's pipe open, that copy could not tell that nobody reads it
# any more, and would wait forever to write when this process stops waiting for it.
_READ_ENDS: set[int] = set()


class Forked(Generic[T]):
    """Work running in a forked copy of this process: call it to wait for the result."""

    def __init__(self, pid: int | None, read_end: int | None) -> None:
        self._pid, self._read_end = pid, read_end  # None: the copy never started
        if read_end is not None:
            _READ_ENDS.add(read_end)

    def __call__(self) -> T | None:
        """The copy's result, or None when it failed or never started."""
        if self._read_end is None:
            return None
        with os.fdopen(self._read_end, "rb") as pipe:
            _READ_ENDS.discard(self._read_end)
            self._read_end = None
            data = pipe.read()
        if not self._reap() or not data:
            return None
        try:
            return pickle.loads(data)
        except Exception:  # cut short: the copy was killed while it wrote
            log.debug("a forked copy's result could not be read:\n%s", traceback.format_exc())
            return None

    def discard(self) -> None:
        """Stop waiting. A copy still at work fails to send its result, ends, and is reaped
        here; nothing is left running or open. Does nothing once the result was read."""
        if self._read_end is not None:
            _READ_ENDS.discard(self._read_end)
            os.close(self._read_end)
            self._read_end = None
        self._reap()

    def _reap(self) -> bool:
        pid, self._pid = self._pid, None
        return pid is not None and os.waitpid(pid, 0)[1] == 0


def in_forked_process(work: Callable[[], T]) -> Forked[T]:
    """Start `work` in a forked copy of this process. When the copy cannot be started (a
    container's limit on processes), the result is None, as for a copy that failed."""
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError as e:
        os.close(read_end)
        os.close(write_end)
        log.debug("could not start a copy of this process: %s", e)
        return Forked(None, None)
    if pid == 0:  # the copy: do the work, send the result, and end without cleaning up
        code = 1
        try:
            for fd in (read_end, *_READ_ENDS):
                os.close(fd)
            data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    return Forked(pid, read_end)
