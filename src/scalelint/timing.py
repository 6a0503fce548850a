"""Where a run's time went, for `scalelint check --time` (Semgrep's `--time`, ESLint's
`TIMING=1`).

A hook that takes two seconds on one staged file, or a CI job that got slower, should say
why without a profiler: how many files were parsed again and how many came from the cache,
whether the rules ran at all or their findings were reused, and which rules cost the most.
The run records laps as it goes; the report is printed to stderr after the findings, so the
JSON or SARIF on stdout stays as it is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

TOP_RULES = 10


@dataclass
class Timings:
    # The `scalelint` command starts the clock when its first module loaded, so that the
    # imports count; a run called from Python starts it when it is called.
    start: float = field(default_factory=time.perf_counter)
    laps: list[tuple[str, float]] = field(default_factory=list)  # (what was done, seconds)
    rules: dict[str, float] = field(default_factory=dict)  # rule id → seconds, where it ran
    rules_copies: int = 0  # forked copies of this process that ran some of the rules
    _last: float = 0.0

    def __post_init__(self) -> None:
        self._last = self.start

    def lap(self, what: str) -> None:
        """Record the time since the last lap as spent on `what`."""
        now = time.perf_counter()
        self.laps.append((what, now - self._last))
        self._last = now

    def total(self) -> float:
        return self._last - self.start


def render_timings(t: Timings) -> str:
    lines = [f"scalelint: {t.total():.2f} s in all:"]
    for what, seconds in t.laps:
        lines.append(f"  {seconds:6.2f} s  {what}")
    if t.rules:
        copies = t.rules_copies
        where = (
            f"in this process and {'a forked copy' if copies == 1 else f'{copies} forked copies'}"
            ", at once"
            if copies
            else "one by one"
        )
        lines.append(f"  rules, {where} (the slowest first):")
        ranked = sorted(t.rules.items(), key=lambda kv: (-kv[1], kv[0]))
        for rid, seconds in ranked[:TOP_RULES]:
            lines.append(f"  {seconds:6.2f} s    {rid}")
        rest = ranked[TOP_RULES:]
        if rest:
            lines.append(f"  {sum(s for _, s in rest):6.2f} s    the other {len(rest)} rules")
    return "\n".join(lines) + "\n"


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"
