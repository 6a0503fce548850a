"""Following a value within one file: `const config = {…}; new Pool(config)` reads the object,
`const url = process.env.DATABASE_URL; postgres(url)` reads the env var, and the typed-env
modules AI builders love (`env.DATABASE_URL` from `~/env`, `settings.DATABASE_URL`) count as
env reads of that name."""

from __future__ import annotations

import re
from dataclasses import dataclass

from scalelint.facts.code import Alt, Call, CodeFacts, Env, Obj, Ref, Str, Value

ENV_MODULE_NAMES = frozenset(
    {"env", "Env", "ENV", "config", "settings", "cfg", "conf", "serverEnv", "clientEnv"}
)
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
MAX_DEREF = 4


def deref(
    code: CodeFacts, value: Value | None, function: int | None, depth: int = 0
) -> Value | None:
    """`value` with a plain local name replaced by what it was declared with."""
    while isinstance(value, Ref) and len(value.path) == 1 and depth < MAX_DEREF:
        b = code.lookup(value.path[0], function)
        if b is None or b.value is None or b.kind in ("import", "param", "loop"):
            return value
        value, function, depth = b.value, b.function, depth + 1
    return value


def arg_at(code: CodeFacts, call: Call, spec: str) -> Value | None:
    """The value at `spec` in a call's arguments: "0", "1.max", "0.pool.max", "kw:dsn"."""
    if spec.startswith("kw:"):
        key, *rest = spec[3:].split(".")
        value = call.kwarg(key)
    else:
        index, *rest = spec.split(".")
        i = int(index)
        value = call.args[i] if i < len(call.args) else None
    for key in rest:
        value = deref(code, value, call.function)
        if not isinstance(value, Obj):
            return None
        value = value.get(key)
    return deref(code, value, call.function)


def first_arg_at(code: CodeFacts, call: Call, specs: list[str]) -> tuple[str, Value] | None:
    for spec in specs:
        v = arg_at(code, call, spec)
        if v is not None:
            return spec, v
    return None


@dataclass(frozen=True, slots=True)
class UrlSource:
    """Where a connection string comes from: an env var, or a literal written in the code."""

    env: str | None = None
    literal: str | None = None


def url_sources(
    code: CodeFacts, value: Value | None, function: int | None, depth: int = 0
) -> list[UrlSource]:
    value = deref(code, value, function)
    if value is None or depth > MAX_DEREF:
        return []
    if isinstance(value, Env):
        out = [UrlSource(env=value.name)]
        if value.default is not None:
            out += url_sources(code, value.default, function, depth + 1)
        return out
    if isinstance(value, Str):
        return [UrlSource(literal=value.value)]
    if isinstance(value, Alt):
        return [
            s for option in value.options for s in url_sources(code, option, function, depth + 1)
        ]
    if isinstance(value, Ref) and len(value.path) == 2 and _ENV_NAME.match(value.path[1]):
        root = code.lookup(value.path[0], function)
        # `env.DATABASE_URL`: a typed-env module, or the `env` a Worker's fetch(req, env) gets
        known_root = root is None or root.kind in ("import", "const", "assign")
        workers_env = root is not None and root.kind == "param" and value.path[0] == "env"
        if value.path[0] in ENV_MODULE_NAMES and (known_root or workers_env):
            return [UrlSource(env=value.path[1])]
    return []
