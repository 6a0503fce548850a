"""The rule catalogue: `rules/*.yml` (one rule each) and `rules/knowledge/*.yml` (tables more
than one rule reads). The CLI's `scalelint rules`, the docs pages and SARIF's
`tool.driver.rules` all read this one source; rule code reads its `knowledge` and never
repeats those lists."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

DOCS_URL = "https://github.com/scalelint/scalelint/blob/main/docs/rules/{id}.md"
_REQUIRED = ("id", "name", "severity", "confidence", "summary", "explanation", "fix", "sources")


class CatalogueError(Exception):
    pass


@dataclass(frozen=True)
class RuleMeta:
    id: str
    name: str
    severity: str
    confidence: str
    summary: str
    explanation: str
    fix: str
    sources: tuple[str, ...]
    tags: tuple[str, ...] = ()
    enabled: bool = True  # off-by-default rules run only when selected
    knowledge: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def help_uri(self) -> str:
        return DOCS_URL.format(id=self.id)

    @property
    def title(self) -> str:
        return f"{self.id} {self.name}"


# Every catalogue file parsed so far, by its path in the catalogue. A run the cache can answer
# fills it from the cache instead (`use_parsed`) and never imports yaml at all.
_PARSED: dict[str, object] = {}


def _load_yaml(path: Path):
    key = path.relative_to(catalogue_dir()).as_posix()
    if key not in _PARSED:
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ten times faster
        _PARSED[key] = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    return _PARSED[key]


def parsed_catalogue() -> dict[str, object]:
    """The whole catalogue as parsed data, for the cache to keep (the cache folder is named
    for a hash of these very files, so what it keeps cannot go stale)."""
    load_rules()
    _base_knowledge()
    return dict(_PARSED)


def use_parsed(parsed: dict[str, object]) -> None:
    """Take the catalogue from `parsed_catalogue()` of an earlier run of the same engine."""
    _PARSED.update(parsed)


def catalogue_dir() -> Path:
    """Installed wheels carry the YAML inside the package; a source checkout has it at the root."""
    here = Path(__file__).resolve().parent
    packaged = here / "catalogue"
    if packaged.is_dir():
        return packaged
    source = here.parents[1] / "rules"
    if source.is_dir():
        return source
    raise CatalogueError(f"rule catalogue not found (looked in {packaged} and {source})")


@cache
def load_rules() -> dict[str, RuleMeta]:
    out: dict[str, RuleMeta] = {}
    for path in sorted(catalogue_dir().glob("SL*.yml")):
        data = _load_yaml(path)
        missing = [k for k in _REQUIRED if k not in data]
        if missing:
            raise CatalogueError(f"{path.name}: missing {', '.join(missing)}")
        meta = RuleMeta(
            id=data["id"],
            name=data["name"],
            severity=data["severity"],
            confidence=data["confidence"],
            summary=data["summary"].strip(),
            explanation=data["explanation"].strip(),
            fix=data["fix"].strip(),
            sources=tuple(data["sources"]),
            tags=tuple(data.get("tags", ())),
            enabled=data.get("enabled", True),
            knowledge=data.get("knowledge") or {},
        )
        if not path.name.startswith(f"{meta.id}-{meta.name}"):
            raise CatalogueError(f"{path.name}: file name must be {meta.id}-{meta.name}.yml")
        out[meta.id] = meta
    return out


@cache
def _base_knowledge() -> dict:
    tables: dict = {}
    owners: dict[str, str] = {}
    for path in sorted((catalogue_dir() / "knowledge").glob("*.yml")):
        data = _load_yaml(path) or {}
        for name, value in (data.get("tables") or {}).items():
            if name in tables:
                raise CatalogueError(
                    f"knowledge table `{name}` defined in {owners[name]} and {path.name}"
                )
            tables[name] = value
            owners[name] = path.name
    for rule in load_rules().values():
        for name, value in rule.knowledge.items():
            if name in tables:
                raise CatalogueError(f"knowledge table `{name}` defined twice ({rule.id})")
            tables[name] = value
    return tables


def knowledge_tables(extensions: dict | None = None) -> dict:
    """Every knowledge table, with the user's extensions from config appended."""
    tables = copy.deepcopy(_base_knowledge())
    for name, extra in (extensions or {}).items():
        base = tables[name]
        if isinstance(base, list):
            base.extend(x for x in extra if x not in base)
        elif isinstance(base, dict):
            for key, value in extra.items():
                if isinstance(base.get(key), list) and isinstance(value, list):
                    base[key].extend(v for v in value if v not in base[key])
                else:
                    base[key] = value
    return tables


def knowledge_names() -> list[str]:
    return sorted(_base_knowledge())
