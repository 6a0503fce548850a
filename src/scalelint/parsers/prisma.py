"""The parts of a Prisma schema scalelint reads: `datasource` and `generator` settings (with
`env("X")` kept as a reference), and model names with their fields, each with its line.

Prisma's own parser is a Rust binary; this is the small line-oriented subset the rules need.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_BLOCK = re.compile(r"^\s*(datasource|generator|model|enum|view|type)\s+(\w+)\s*\{\s*$")
_SETTING = re.compile(r"^\s*(\w+)\s*=\s*(.+?)\s*$")
_ENV = re.compile(r'^env\(\s*"([^"]*)"\s*\)$')
_FIELD = re.compile(r"^\s*(\w+)\s+([\w.]+)(\[\])?(\?)?")


@dataclass(frozen=True, slots=True)
class PrismaValue:
    """A setting's value: a literal string, an env("X") reference, or anything else as text."""

    kind: str  # "string", "env", "other"
    value: str
    line: int
    col: int


@dataclass
class PrismaBlock:
    kind: str
    name: str
    line: int
    settings: dict[str, PrismaValue] = field(default_factory=dict)
    fields: list[tuple[str, str, bool, int]] = field(
        default_factory=list
    )  # name, type, is_list, line


@dataclass
class PrismaDoc:
    blocks: list[PrismaBlock] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[PrismaBlock]:
        return [b for b in self.blocks if b.kind == kind]


def parse_prisma(text: str) -> PrismaDoc:
    doc = PrismaDoc()
    current: PrismaBlock | None = None
    for n, raw in enumerate(text.splitlines(), start=1):
        line = _strip_comment(raw)
        if not line.strip():
            continue
        if current is None:
            m = _BLOCK.match(line)
            if m is not None:
                current = PrismaBlock(m.group(1), m.group(2), n)
                doc.blocks.append(current)
            elif line.strip() != "}":
                doc.errors.append((n, "expected a block such as `datasource db {`"))
            continue
        stripped = line.strip()
        if stripped == "}":
            current = None
            continue
        if current.kind in ("datasource", "generator"):
            m = _SETTING.match(line)
            if m is None:
                continue
            key, value = m.group(1), m.group(2)
            col = line.index(value, m.start(2)) + 1
            env = _ENV.match(value)
            if env is not None:
                current.settings[key] = PrismaValue("env", env.group(1), n, col)
            elif len(value) >= 2 and value[0] == value[-1] == '"':
                current.settings[key] = PrismaValue("string", value[1:-1], n, col)
            else:
                current.settings[key] = PrismaValue("other", value, n, col)
        elif current.kind in ("model", "view", "type") and not stripped.startswith("@@"):
            m = _FIELD.match(line)
            if m is not None:
                current.fields.append((m.group(1), m.group(2), bool(m.group(3)), n))
    if current is not None:
        doc.errors.append((current.line, f"`{current.kind} {current.name}` is never closed"))
    return doc


def _strip_comment(line: str) -> str:
    """The line without a `//` comment, leaving `//` inside strings (URLs) alone."""
    quote = False
    for i, ch in enumerate(line):
        if ch == '"' and (i == 0 or line[i - 1] != "\\"):
            quote = not quote
        elif not quote and line.startswith("//", i):
            return line[:i]
    return line
