"""TOML through tomllib for the values, plus the line each key is written on.

tomllib keeps no positions, and a finding must point at `auto_stop_machines = "stop"`, not at
the top of fly.toml. The values always come from tomllib; the small scanner below only
remembers where table headers and keys start, so a malformed file still fails in tomllib with
its own message.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TomlError = tomllib.TOMLDecodeError

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)


@dataclass
class TomlDoc:
    data: dict
    lines: dict[tuple, int]  # (table…, key) → line; array-of-table entries carry their index

    def line_of(self, *path, default: int = 1) -> int:
        """The line of `path`, or of its nearest written ancestor."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return default


def parse_toml(text: str) -> TomlDoc:
    data = tomllib.loads(text)
    return TomlDoc(data, _key_lines(text))


def _split_key(raw: str) -> tuple[str, ...]:
    parts = re.findall(r'"[^"]*"|\'[^\']*\'|[A-Za-z0-9_-]+', raw)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


def _key_lines(text: str) -> dict[tuple, int]:
    lines: dict[tuple, int] = {}
    table: tuple = ()
    counters: dict[tuple, int] = {}
    in_multiline: str | None = None
    depth = 0  # open brackets of a multi-line array or inline table
    for n, line in enumerate(text.splitlines(), start=1):
        if in_multiline is not None:
            if in_multiline in line:
                in_multiline = None
            continue
        if depth > 0:
            depth += _bracket_balance(line)
            continue
        m = _HEADER.match(line)
        if m is not None and "=" not in line.split("#")[0]:
            key = _split_key(m.group(2))
            if m.group(1) == "[[":
                full = (*_with_indices(key[:-1], counters), key[-1])
                counters[full] = counters.get(full, 0) + 1
                table = (*full, counters[full] - 1)
            else:
                table = _with_indices(key, counters)
            lines[table] = n
            continue
        m = _KEY.match(line)
        if m is None:
            continue
        lines[(*table, *_split_key(m.group(1)))] = n
        rest = line[m.end() :]
        for q in ('"""', "'''"):
            if rest.count(q) == 1:
                in_multiline = q
        if in_multiline is None:
            depth = max(0, _bracket_balance(rest))
    return lines


def _with_indices(key: tuple, counters: dict[tuple, int]) -> tuple:
    """`[services.ports]` inside the 2nd `[[services]]` → ("services", 1, "ports")."""
    out: list = []
    for part in key:
        out.append(part)
        if tuple(out) in counters:
            out.append(counters[tuple(out)] - 1)
    return tuple(out)


def _bracket_balance(s: str) -> int:
    bal = 0
    quote = None
    for ch in s:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            break
        elif ch in "[{":
            bal += 1
        elif ch in "]}":
            bal -= 1
    return bal
