"""Suppression comments, read by every extractor from the comments its parser already found.

The syntax follows ESLint's reason convention with a tool-specific word, so it never collides
with `noqa` or `eslint-disable` (Ruff reports unknown noqa codes):

    # scalelint: ignore[SL101] -- the pooler URL is injected at deploy time
    // scalelint: ignore-file[SL301]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from scalelint.records import compact_records

_DIRECTIVE = re.compile(
    r"scalelint:\s*(?P<kind>ignore-file|ignore)\b\s*(?:\[(?P<ids>[^\]]*)\])?\s*(?:--\s*(?P<reason>.*))?",
)


@dataclass(frozen=True, slots=True)
class Suppression:
    line: int  # the line the comment is on
    col: int
    own_line: bool  # alone on its line: it also covers the next code line
    file_level: bool
    ids: tuple[str, ...] | None  # None: every rule
    reason: str = ""
    next_line: int = 0  # the code line an own-line comment covers


def parse_directive(
    text: str, line: int, col: int, own_line: bool, leading: bool
) -> Suppression | None:
    """A suppression from one comment's text, or None when it holds no scalelint directive.

    `leading`: the comment is in the file's first comment block, the only place an
    ignore-file directive counts (so a stray one deep in a file does not silence it all).
    """
    if "scalelint" not in text:
        return None
    m = _DIRECTIVE.search(text)
    if m is None:
        return None
    file_level = m.group("kind") == "ignore-file"
    if file_level and not leading:
        return None
    ids = None
    if m.group("ids") is not None:
        ids = tuple(sorted({i.strip().upper() for i in m.group("ids").split(",") if i.strip()}))
    reason = (m.group("reason") or "").strip().rstrip("*/").strip()
    return Suppression(line, col, own_line, file_level, ids, reason)


def line_comment_directives(text: str, markers: tuple[str, ...] = ("#",)) -> list[Suppression]:
    """Directives of a line-oriented config file (`.env`, TOML, INI, Prisma, Dockerfile).

    Only whole-line comments and trailing comments after a marker preceded by whitespace count,
    so a `#` inside a URL fragment is not mistaken for one.
    """
    out: list[Suppression] = []
    leading = True
    pending: list[Suppression] = []
    for i, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped:
            continue
        own = any(stripped.startswith(m) for m in markers)
        if own:
            s = parse_directive(stripped, i, raw.index(stripped[0]) + 1, True, leading)
            if s is not None:
                pending.append(s)
            continue
        leading = False
        for s in pending:
            out.append(_covering(s, i))
        pending = []
        for m in markers:
            idx = raw.find(" " + m)
            if idx >= 0 and "scalelint" in raw[idx:]:
                s = parse_directive(raw[idx + 1 :], i, idx + 2, False, False)
                if s is not None:
                    out.append(s)
                break
    out.extend(pending)
    return out


def _covering(s: Suppression, next_line: int) -> Suppression:
    return Suppression(s.line, s.col, s.own_line, s.file_level, s.ids, s.reason, next_line)


compact_records(globals())
