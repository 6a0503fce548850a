"""`.scalelint.yml` or `[tool.scalelint]` in pyproject.toml → Config.

Keys are Ruff's where Ruff has one (`select`, `ignore`, `per-path-ignores`, `exclude`,
`extend-exclude`). An unknown key or a bad value is an error naming the key and the file: a
typo must never silently turn a rule off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from scalelint.discover import DEFAULT_EXCLUDES
from scalelint.findings import SEVERITIES

PLATFORMS = ("vercel", "edge", "lambda", "server", "unknown")
CONFIG_FILES = (".scalelint.yml", ".scalelint.yaml")


class ConfigError(Exception):
    pass


@dataclass
class Config:
    select: list[str] = field(default_factory=list)  # empty: every rule that is on by default
    ignore: list[str] = field(default_factory=list)
    per_path_ignores: dict[str, list[str]] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=lambda: list(DEFAULT_EXCLUDES))
    platform: str | None = None
    severity: dict[str, str] = field(default_factory=dict)
    pool_budget: dict[str, int] = field(
        default_factory=lambda: {"vercel": 5, "lambda": 2, "edge": 5}
    )
    knowledge: dict = field(default_factory=dict)
    baseline: str | None = None
    max_file_size: int = 2_000_000
    source: str = ""  # the file this came from, for messages


KNOWN_KEYS = (
    "select",
    "ignore",
    "per-path-ignores",
    "exclude",
    "extend-exclude",
    "platform",
    "severity",
    "pool-budget",
    "knowledge",
    "baseline",
    "max-file-size",
)


def find_config(root: Path) -> Path | None:
    for name in CONFIG_FILES:
        if (root / name).is_file():
            return root / name
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        from scalelint.parsers.toml import TomlError, parse_toml  # only Python projects pay

        try:
            data = parse_toml(pyproject.read_text(encoding="utf-8")).data
        except (TomlError, OSError, UnicodeDecodeError):
            return None
        if "scalelint" in data.get("tool", {}):
            return pyproject
    return None


def load_config(path: Path | None, rule_ids: set[str], knowledge_names: list[str]) -> Config:
    if path is None:
        return Config()
    name = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{name}: cannot read: {e}") from e
    if path.suffix == ".toml":
        from scalelint.parsers.toml import TomlError, parse_toml

        try:
            data = parse_toml(text).data.get("tool", {}).get("scalelint", {})
        except TomlError as e:
            raise ConfigError(f"{name}: not valid: {str(e).splitlines()[0]}") from e
        where = f"{name} [tool.scalelint]"
    else:
        import yaml  # here: most projects have no .scalelint.yml, and a warm run is short

        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as e:
            raise ConfigError(f"{name}: not valid: {str(e).splitlines()[0]}") from e
        where = name
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping of settings")
    return _build(data, where, rule_ids, knowledge_names)


def _build(data: dict, where: str, rule_ids: set[str], knowledge_names: list[str]) -> Config:
    cfg = Config(source=where)
    for key in data:
        if key not in KNOWN_KEYS:
            raise ConfigError(f"{where}: unknown key `{key}` (known: {', '.join(KNOWN_KEYS)})")

    def id_list(key: str) -> list[str]:
        value = data.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: `{key}` must be a list of rule ids or prefixes")
        for v in value:
            check_selector(v, rule_ids, f"{where}: `{key}`")
        return [v.upper() for v in value]

    cfg.select = id_list("select")
    cfg.ignore = id_list("ignore")
    ppi = data.get("per-path-ignores", {})
    if not isinstance(ppi, dict):
        raise ConfigError(f"{where}: `per-path-ignores` must map path globs to lists of rule ids")
    for glob, ids in ppi.items():
        ids = [ids] if isinstance(ids, str) else ids
        if not isinstance(ids, list):
            raise ConfigError(f"{where}: `per-path-ignores.{glob}` must be a list of rule ids")
        for v in ids:
            check_selector(str(v), rule_ids, f"{where}: `per-path-ignores.{glob}`")
        cfg.per_path_ignores[str(glob)] = [str(v).upper() for v in ids]
    for key in ("exclude", "extend-exclude"):
        if key in data:
            value = data[key]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{where}: `{key}` must be a list of path patterns")
            cfg.exclude = list(value) if key == "exclude" else cfg.exclude + list(value)
    if "exclude" in data and "extend-exclude" in data:
        cfg.exclude = list(data["exclude"]) + list(data["extend-exclude"])
    if "platform" in data:
        if data["platform"] not in PLATFORMS:
            raise ConfigError(f"{where}: `platform` must be one of {', '.join(PLATFORMS)}")
        cfg.platform = data["platform"]
    sev = data.get("severity", {})
    if not isinstance(sev, dict):
        raise ConfigError(f"{where}: `severity` must map rule ids to error, warning or info")
    for rid, level in sev.items():
        if str(rid).upper() not in rule_ids:
            raise ConfigError(f"{where}: `severity.{rid}`: no such rule")
        if level not in SEVERITIES:
            raise ConfigError(
                f"{where}: `severity.{rid}` must be error, warning or info, not {level!r}"
            )
        cfg.severity[str(rid).upper()] = level
    if "pool-budget" in data:
        budget = data["pool-budget"]
        if isinstance(budget, int) and not isinstance(budget, bool) and budget > 0:
            cfg.pool_budget = {p: budget for p in cfg.pool_budget}
        elif isinstance(budget, dict) and all(
            k in PLATFORMS and isinstance(v, int) and v > 0 for k, v in budget.items()
        ):
            cfg.pool_budget.update(budget)
        else:
            raise ConfigError(
                f"{where}: `pool-budget` must be a positive number or a mapping such as {{vercel: 5, lambda: 2}}"
            )
    know = data.get("knowledge", {})
    if not isinstance(know, dict):
        raise ConfigError(f"{where}: `knowledge` must map table names to lists or mappings")
    for name, value in know.items():
        if name not in knowledge_names:
            raise ConfigError(
                f"{where}: `knowledge.{name}`: no such table (known: {', '.join(knowledge_names)})"
            )
        if not isinstance(value, list | dict):
            raise ConfigError(f"{where}: `knowledge.{name}` must be a list or a mapping")
    cfg.knowledge = know
    if "baseline" in data:
        if not isinstance(data["baseline"], str):
            raise ConfigError(f"{where}: `baseline` must be a file path")
        cfg.baseline = data["baseline"]
    if "max-file-size" in data:
        if not isinstance(data["max-file-size"], int) or data["max-file-size"] <= 0:
            raise ConfigError(f"{where}: `max-file-size` must be a positive number of bytes")
        cfg.max_file_size = data["max-file-size"]
    return cfg


def check_selector(selector: str, rule_ids: set[str], where: str) -> None:
    """A rule id or prefix (`SL1`, `SL301`, `ALL`) that matches at least one rule."""
    s = selector.upper()
    if s == "ALL" or any(r.startswith(s) for r in rule_ids):
        return
    raise ConfigError(f"{where}: `{selector}` matches no rule")


def selected(rule_id: str, enabled_by_default: bool, select: list[str], ignore: list[str]) -> bool:
    """Ruff's selection: the more specific of the matching select and ignore entries decides.
    Rules that are off by default (SL002) run only when a select entry names them."""

    def specificity(selectors: list[str]) -> int | None:
        hits = [
            0 if s == "ALL" else len(s) for s in selectors if s == "ALL" or rule_id.startswith(s)
        ]
        return max(hits) if hits else None

    chosen = specificity(select)
    if chosen is None:
        if select or not enabled_by_default:
            return False
        chosen = 0
    ignored = specificity(ignore)
    return ignored is None or chosen > ignored
