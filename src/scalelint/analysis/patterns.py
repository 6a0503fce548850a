"""Name globs and `module:name` callee patterns, compiled once per table.

Every knowledge table names outside callees as "module:name" globs (`stripe:default`,
`ai:generate*`, `@prisma/client:PrismaClient`) and members as globs (`*.waitUntil`). A large
repository asks hundreds of thousands of times whether a call matches one of them; testing
the patterns one `fnmatch` at a time cost more than any rule's own reasoning. Compiled into
one regular expression per table, each question is a single match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from fnmatch import translate
from functools import lru_cache

_NOTHING = re.compile(r"(?!)")


@lru_cache(maxsize=4096)
def _globs(patterns: tuple[str, ...]) -> re.Pattern:
    if not patterns:
        return _NOTHING
    return re.compile("|".join(translate(p) for p in patterns))


@lru_cache(maxsize=4096)
def _callees(patterns: tuple[str, ...]) -> re.Pattern:
    """`module:name` globs as one expression over "module\\nname" (neither part holds a
    newline, so each half of a pattern can only match its own half of the subject)."""
    if not patterns:
        return _NOTHING
    parts = []
    for pattern in patterns:
        module, _, name = pattern.rpartition(":")
        head = translate(module)
        head = head[: head.rindex(")") + 1]  # `(?s:…)` without its end anchor (\Z; \z on 3.14)
        parts.append(f"{head}\\n{translate(name)}")
    return re.compile("|".join(parts))


def glob_match(value: str, patterns: Iterable[str]) -> bool:
    """Whether `value` matches one of the globs (fnmatch syntax, case-sensitive)."""
    return _globs(tuple(patterns)).match(value) is not None


def callee_match(callee: tuple[str, str], patterns: Iterable[str]) -> bool:
    """Whether (module, name) matches one of the "module:name" globs."""
    module, name = callee
    return _callees(tuple(patterns)).match(f"{module}\n{name}") is not None
