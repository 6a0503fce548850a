"""schema.prisma → the datasource's URLs (literal or `env("X")`), generators and models."""

from __future__ import annotations

from scalelint.facts.comments import line_comment_directives
from scalelint.facts.model import FileFacts, PrismaFacts, PrismaSetting, Problem
from scalelint.findings import Span
from scalelint.parsers.prisma import PrismaValue, parse_prisma


def extract_prisma(facts: FileFacts, text: str) -> None:
    doc = parse_prisma(text)
    out = PrismaFacts()
    for ds in doc.of_kind("datasource")[:1]:
        out.datasource_line = ds.line
        provider = ds.settings.get("provider")
        out.provider = provider.value if provider is not None else None
        out.url = _setting(ds.settings.get("url"))
        out.direct_url = _setting(ds.settings.get("directUrl"))
        out.shadow_url = _setting(ds.settings.get("shadowDatabaseUrl"))
    for gen in doc.of_kind("generator"):
        provider = gen.settings.get("provider")
        if provider is not None:
            out.generators.append(provider.value)
    for model in doc.of_kind("model"):
        out.models[model.name] = [(name, typ, is_list) for name, typ, is_list, _ in model.fields]
    facts.prisma = out
    facts.problems.extend(Problem(line, msg) for line, msg in doc.errors)
    facts.suppressions = line_comment_directives(text, ("//",))


def _setting(v: PrismaValue | None) -> PrismaSetting | None:
    if v is None:
        return None
    width = len(v.value) + (7 if v.kind == "env" else 2)
    return PrismaSetting(v.kind, v.value, Span.at_line(v.line, v.col, width))
