"""Which module-level name a reference points at, across imports.

`cache.set(k, v)` in `app/api/route.ts` writes the `cache` that `lib/cache.ts` declares when
the route imports it (`import { cache } from "@/lib/cache"`, `import * as store from …`,
Python `from app.cache import cache` or `import app.cache as store; store.cache[k] = v`).
Rules that follow one object through a project — a module cache, a memoized function — ask
this once per reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from scalelint.facts.code import Ref

if TYPE_CHECKING:
    from scalelint.analysis.project import Project


@dataclass(frozen=True, slots=True)
class ModuleName:
    """A module-level name of a project file, and what the reference goes on to read of it:
    `store.cache.set` → (lib/store.py, "cache", ("set",))."""

    rel: str
    name: str
    rest: tuple[str, ...]


MAX_HOPS = 6


def module_name(
    project: Project, rel: str, path: tuple[str, ...], function: int | None, hops: int = 0
) -> ModuleName | None:
    """The module-level name (in whichever project file declares it) that `path` starts from,
    or None for locals, parameters and anything imported from outside the project."""
    code = project.code(rel)
    if code is None or not path or hops > MAX_HOPS:
        return None
    b = code.lookup(path[0], function)
    if b is None:
        return None
    if b.kind != "import":
        return ModuleName(rel, b.name, path[1:]) if b.function is None else None
    found = project.import_file(rel, b)
    if found is None:
        return None
    target, is_module = found
    if is_module or b.imported == "*":  # a module object: its member is the name
        if len(path) < 2:
            return None
        exported, rest = path[1], path[2:]
    else:
        exported, rest = (b.imported or "default"), path[1:]
    value = project.exported_value(target, exported)
    if value is None or not isinstance(value[1], Ref) or len(value[1].path) != 1:
        return None
    defining = project.code(value[0])
    b = defining.module_binding(value[1].path[0]) if defining is not None else None
    if b is None:
        return None
    if b.kind == "import":  # `import { cache } from "./a"; export { cache }`
        return module_name(project, value[0], (b.name, *rest), None, hops + 1)
    return ModuleName(value[0], b.name, rest)
