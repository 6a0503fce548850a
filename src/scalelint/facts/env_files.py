"""`.env`, `.env.local`, `.env.example`…: every variable with the line and column of its value."""

from __future__ import annotations

from scalelint.facts.comments import line_comment_directives
from scalelint.facts.model import EnvVar, FileFacts, Problem
from scalelint.findings import Span
from scalelint.parsers.dotenv import parse_dotenv


def extract_dotenv(facts: FileFacts, text: str) -> None:
    bindings, bad = parse_dotenv(text)
    for b in bindings:
        first_line = b.value.split("\n", 1)[0]
        facts.env.append(
            EnvVar(b.key, b.value, Span.at_line(b.line, b.col, len(first_line)), "dotenv")
        )
    for line in bad:
        facts.problems.append(
            Problem(line, "this line is not `NAME=value`; python-dotenv skips it")
        )
    facts.suppressions = line_comment_directives(text, ("#",))
