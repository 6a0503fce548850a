"""Which calls construct a database client or pool, by the `db-clients` table.

A call counts only when its callee resolves through the file's imports to the driver's
module (`new Pool` with `Pool` from "pg"), never by name alone: a `new Pool()` from undici is
an HTTP agent, not a database pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from scalelint.analysis.values import UrlSource, first_arg_at, url_sources
from scalelint.facts.code import Call, CodeFacts, Value


@dataclass(frozen=True)
class Construction:
    rel: str
    call: Call
    client: dict  # the db-clients entry
    url: tuple[UrlSource, ...]

    @property
    def id(self) -> str:
        return self.client["id"]

    @property
    def label(self) -> str:
        return self.client["label"]


def external_callee(code: CodeFacts, call: Call) -> tuple[str, str] | None:
    """(module, name) of a call on something imported: `new pg.Pool()` → ("pg", "Pool")."""
    if call.path is None or call.binding is None:
        return None
    b = code.bindings[call.binding]
    if b.kind != "import" or b.source is None:
        return None
    rest = call.path[1:]
    if code.language == "python" and b.imported == "*":
        parts = tuple(b.source.split("."))
        if b.name == parts[0] and call.path[: len(parts)] == parts:
            rest = call.path[len(parts) :]
    if b.imported in ("*", "default"):
        name = ".".join(rest) or "default"
    else:
        name = ".".join((b.imported or "", *rest))
    return package_specifier(b.source), name


def package_specifier(source: str) -> str:
    """Deno's ways of naming an npm package, as the package: `npm:postgres@3.4.5` and
    `https://esm.sh/postgres@3.4.5` → `postgres`; `npm:drizzle-orm@0.36/postgres-js` →
    `drizzle-orm/postgres-js`."""
    for prefix in ("npm:", "https://esm.sh/"):
        if source.startswith(prefix):
            rest = source[len(prefix) :]
            scope = ""
            if rest.startswith("@") and "/" in rest:
                scope, rest = rest.split("/", 1)
                scope += "/"
            name, _, tail = rest.partition("/")
            name = name.split("@", 1)[0]
            return scope + name + (f"/{tail}" if tail else "")
    return source


def match_client(callee: tuple[str, str], clients: list[dict]) -> dict | None:
    module, name = callee
    for mod_pat, entry in _by_name(clients).get(name, ()):
        if module == mod_pat or fnmatchcase(module, mod_pat):
            return entry
    return None


_INDEXES: dict[int, tuple[list[dict], dict[str, list[tuple[str, dict]]]]] = {}


def _by_name(clients: list[dict]) -> dict[str, list[tuple[str, dict]]]:
    """The table's (module pattern, entry) pairs by constructor name, in table order: every
    call of every file is looked up here, and few names are constructors at all."""
    found = _INDEXES.get(id(clients))
    if found is None or found[0] is not clients:
        index: dict[str, list[tuple[str, dict]]] = {}
        for entry in clients:
            for pattern in entry["callee"]:
                mod_pat, _, name_pat = pattern.rpartition(":")
                index.setdefault(name_pat, []).append((mod_pat, entry))
        if len(_INDEXES) > 64:  # one table per run; a test session makes hundreds
            _INDEXES.clear()
        found = _INDEXES[id(clients)] = (clients, index)
    return found[1]


def constructions_in(rel: str, code: CodeFacts, clients: list[dict]) -> list[Construction]:
    out = []
    for call in code.calls:
        callee = external_callee(code, call)
        if callee is None:
            continue
        entry = match_client(callee, clients)
        if entry is None:
            continue
        url: tuple[UrlSource, ...] = ()
        found = first_arg_at(code, call, entry.get("url", []))
        if found is not None:
            url = tuple(url_sources(code, found[1], call.function))
        out.append(Construction(rel, call, entry, url))
    return out


def option(code: CodeFacts, call: Call, specs: list[str]) -> Value | None:
    found = first_arg_at(code, call, specs)
    return found[1] if found is not None else None
