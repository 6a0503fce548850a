"""`.env` files through python-dotenv's own parser, which keeps each binding's line."""

from __future__ import annotations

import io
from dataclasses import dataclass

from dotenv.parser import parse_stream


@dataclass(frozen=True, slots=True)
class EnvLine:
    key: str
    value: str
    line: int
    col: int  # 1-based column where the value starts


def parse_dotenv(text: str) -> tuple[list[EnvLine], list[int]]:
    """The bindings, and the lines python-dotenv could not parse."""
    out: list[EnvLine] = []
    bad: list[int] = []
    for b in parse_stream(io.StringIO(text)):
        if b.error:
            bad.append(b.original.line)
            continue
        if b.key is None:
            continue
        original = b.original.string
        lead = len(original) - len(original.lstrip("\n"))  # blank lines before the binding
        body = original[lead:]
        eq = body.find("=")
        col = 1
        if eq >= 0:
            rest = body[eq + 1 :]
            col = eq + 2 + (len(rest) - len(rest.lstrip(" \t")))
        out.append(EnvLine(b.key, b.value or "", b.original.line + lead, col))
    return out, bad
