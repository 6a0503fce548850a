"""INI with line numbers (pgbouncer.ini); configparser forgets where a setting was written."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class IniDoc:
    # section → key → (value, line); keys lower-cased as PgBouncer reads them
    sections: dict[str, dict[str, tuple[str, int]]] = field(default_factory=dict)
    section_lines: dict[str, int] = field(default_factory=dict)

    def get(self, section: str, key: str) -> tuple[str, int] | None:
        return self.sections.get(section, {}).get(key.lower())


def parse_ini(text: str) -> IniDoc:
    doc = IniDoc()
    section = ""
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in ";#":
            continue
        if line.startswith("[") and "]" in line:
            section = line[1 : line.index("]")].strip().lower()
            doc.sections.setdefault(section, {})
            doc.section_lines.setdefault(section, n)
            continue
        if "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        for marker in (" ;", " #"):
            if marker in value:
                value = value[: value.index(marker)].rstrip()
        doc.sections.setdefault(section, {})[key.strip().lower()] = (value, n)
    return doc
