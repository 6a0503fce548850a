"""pgbouncer.ini → pool mode and listen port, with lines."""

from __future__ import annotations

from scalelint.facts.comments import line_comment_directives
from scalelint.facts.model import FileFacts, PgbouncerFacts
from scalelint.parsers.ini import parse_ini


def extract_pgbouncer(facts: FileFacts, text: str) -> None:
    doc = parse_ini(text)
    mode = doc.get("pgbouncer", "pool_mode")
    port = doc.get("pgbouncer", "listen_port")
    facts.pgbouncer = PgbouncerFacts(
        pool_mode=mode[0].lower() if mode is not None else None,
        pool_mode_line=mode[1] if mode is not None else 0,
        section_line=doc.section_lines.get("pgbouncer", 1),
        listen_port=int(port[0]) if port is not None and port[0].isdigit() else None,
    )
    facts.suppressions = line_comment_directives(text, (";", "#"))
