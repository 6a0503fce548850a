"""Which packages a project uses (package.json, requirements*.txt, pyproject.toml) and how its
TS imports are mapped (tsconfig/jsconfig `baseUrl`, `paths`, `extends`)."""

from __future__ import annotations

import re

from scalelint.facts.model import FileFacts, Manifest, TsConfig
from scalelint.parsers.jsonc import parse_jsonc
from scalelint.parsers.toml import parse_toml

_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$")


def normalise_python_name(name: str) -> str:
    """PEP 503: `Flask_SQLAlchemy` and `flask-sqlalchemy` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def extract_package_json(facts: FileFacts, text: str) -> None:
    doc = parse_jsonc(text).value
    if not isinstance(doc, dict):
        return
    m = Manifest("npm", name=str(doc.get("name", "")))
    for section in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
        deps = doc.get(section)
        if isinstance(deps, dict):
            for k, v in deps.items():
                m.dependencies.setdefault(str(k), str(v))
    runtime = doc.get("dependencies") if isinstance(doc.get("dependencies"), dict) else {}
    # a library lists `next` as a peer or dev dependency; only an app depends on it to run
    m.dev_only = tuple(
        sorted(k for k in m.dependencies if k not in runtime and k not in ("vercel", "wrangler"))
    )
    scripts = doc.get("scripts")
    if isinstance(scripts, dict):
        m.scripts = {str(k): str(v) for k, v in scripts.items()}
    m.entry = _entry(doc)
    facts.manifest = m


def _entry(doc: dict) -> str:
    exports = doc.get("exports")
    if isinstance(exports, dict):
        exports = exports.get(".", exports)
    while isinstance(exports, dict):
        exports = next(
            (exports[k] for k in ("types", "import", "default", "require", "node") if k in exports),
            None,
        )
    if isinstance(exports, str):
        return exports
    for key in ("types", "module", "main"):
        if isinstance(doc.get(key), str):
            return doc[key]
    return ""


def extract_requirements(facts: FileFacts, text: str) -> None:
    m = Manifest("python")
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-", "git+", "http:", "https:")):
            continue
        match = _REQ_NAME.match(line.split(";", 1)[0])
        if match is not None:
            m.dependencies[normalise_python_name(match.group(1))] = match.group(3).strip()
    facts.manifest = m


def extract_pyproject(facts: FileFacts, text: str) -> None:
    data = parse_toml(text).data
    m = Manifest("python")
    project = data.get("project", {}) if isinstance(data.get("project"), dict) else {}
    m.name = str(project.get("name", ""))
    specs: list[str] = list(project.get("dependencies", []) or [])
    for group in (project.get("optional-dependencies") or {}).values():
        specs.extend(group or [])
    for group in (data.get("dependency-groups") or {}).values():
        specs.extend(s for s in group or [] if isinstance(s, str))
    for spec in specs:
        match = _REQ_NAME.match(str(spec).split(";", 1)[0])
        if match is not None:
            m.dependencies[normalise_python_name(match.group(1))] = match.group(3).strip()
    poetry = data.get("tool", {}).get("poetry", {}) if isinstance(data.get("tool"), dict) else {}
    for section in ("dependencies", "dev-dependencies"):
        for k, v in (poetry.get(section) or {}).items():
            if k != "python":
                m.dependencies[normalise_python_name(k)] = v if isinstance(v, str) else ""
    for group in (poetry.get("group") or {}).values():
        for k, v in (group.get("dependencies") or {}).items():
            m.dependencies[normalise_python_name(k)] = v if isinstance(v, str) else ""
    facts.manifest = m


def extract_tsconfig(facts: FileFacts, text: str) -> None:
    if not text.strip():
        facts.tsconfig = TsConfig()  # TypeScript reads an empty tsconfig.json as `{}`
        return
    doc = parse_jsonc(text).value
    if not isinstance(doc, dict):
        return
    cfg = TsConfig()
    ext = doc.get("extends")
    cfg.extends = [ext] if isinstance(ext, str) else [e for e in ext or [] if isinstance(e, str)]
    opts = doc.get("compilerOptions")
    if isinstance(opts, dict):
        if isinstance(opts.get("baseUrl"), str):
            cfg.base_url = opts["baseUrl"]
        paths = opts.get("paths")
        if isinstance(paths, dict):
            cfg.paths = {
                str(k): [str(x) for x in v] for k, v in paths.items() if isinstance(v, list)
            }
    facts.tsconfig = cfg
