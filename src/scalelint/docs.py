"""Rule pages for docs/rules/, generated from the catalogue so the YAML stays the one source.

python -m scalelint.docs docs/rules
"""

from __future__ import annotations

import sys
from pathlib import Path

from scalelint.catalogue import RuleMeta, load_rules


def rule_page(meta: RuleMeta) -> str:
    off = "" if meta.enabled else " · off unless selected"
    sources = "\n".join(f"- <{s}>" for s in meta.sources)
    return (
        f"# {meta.id} {meta.name}\n\n"
        f"**Severity:** {meta.severity} · **Confidence:** {meta.confidence}{off}\n\n"
        f"{meta.summary}\n\n{meta.explanation}\n\n## Fix\n\n{meta.fix}\n\n"
        f"## Suppressing it\n\n`scalelint: ignore[{meta.id}] -- why` on the line (or alone on the line above), "
        f"or `ignore: [{meta.id}]` in `.scalelint.yml`.\n\n## Sources\n\n{sources}\n"
    )


def index_page(rules: dict[str, RuleMeta]) -> str:
    rows = "\n".join(
        f"| [{m.id}]({m.id}.md) | {m.name} | {m.severity} | {m.summary} |" for m in rules.values()
    )
    return (
        "# Rules\n\nGenerated from `rules/*.yml` by `python -m scalelint.docs docs/rules`.\n\n"
        "| id | name | severity | what it finds |\n|---|---|---|---|\n" + rows + "\n"
    )


def pages() -> dict[str, str]:
    rules = load_rules()
    out = {f"{m.id}.md": rule_page(m) for m in rules.values()}
    out["README.md"] = index_page(rules)
    return out


def main(argv: list[str]) -> int:
    target = Path(argv[0] if argv else "docs/rules")
    target.mkdir(parents=True, exist_ok=True)
    for name, text in pages().items():
        (target / name).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
