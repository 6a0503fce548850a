"""Functions wrapped in a memoizer whose cache never evicts.

`@functools.cache`, `@lru_cache(maxsize=None)`, lodash `memoize(fn)`, `memoizee(fn)` without
`max`: each keeps one entry per distinct argument list for the life of the process. This
module finds them (resolving the memoizer through imports, so flask-caching's
`@cache.memoize` or React's `cache()` never match) and says which function is memoized and
under which name callers reach it. The memoizers and what bounds them are the
`unbounded-memoizers` table of rules/SL402-unbounded-memoize.yml.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from scalelint.analysis.values import arg_at
from scalelint.facts.code import CallResult, CodeFacts, Const, FnValue, Ref, Value
from scalelint.findings import Span

if TYPE_CHECKING:
    from scalelint.analysis.project import Project


@dataclass(frozen=True)
class Memoized:
    rel: str  # where the memoizer is applied
    span: Span
    memoizer: str  # "functools.cache", "lodash memoize"
    target: tuple[str, int] | None  # the memoized project function
    name: str | None  # the module-level name callers use, for `const f = memoize(…)`


def unbounded_memoizations(project: Project) -> list[Memoized]:
    replaced = _lodash_cache_replaced(project)
    out: list[Memoized] = []
    for rel, code in project.code_files():
        for fn in code.functions:  # decorators
            if fn.parent is not None:
                continue  # defined per call: its cache goes when the call's closure does
            for d in fn.decorators:
                path, call = _decorator_callee(code, d)
                entry = memoizer_of(project, rel, code, path, fn.parent) if path else None
                if entry is None or not _unbounded(code, entry, call):
                    continue
                span = fn.span  # the `def` line, which names the function
                out.append(Memoized(rel, span, entry["label"], (rel, fn.id), fn.name))
        module_names = {
            b.value.call: b.name
            for b in code.bindings
            if b.function is None and isinstance(b.value, CallResult)
        }
        for call in code.calls:  # const getUser = memoize(async (id) => …)
            if call is None or call.function is not None or not call.path or not call.args:
                continue
            entry = memoizer_of(project, rel, code, call.path, None)
            if entry is None or not _unbounded(code, entry, call):
                continue
            if entry.get("lodash") and replaced:
                continue
            target = project.callgraph.function_of(rel, call.args[0], None)
            if target is None and not isinstance(call.args[0], FnValue | Ref):
                continue
            out.append(Memoized(rel, call.span, entry["label"], target, module_names.get(call.id)))
    return out


def _decorator_callee(code: CodeFacts, d: Value):
    if isinstance(d, Ref):
        return d.path, None
    if isinstance(d, CallResult):
        call = code.calls[d.call]
        return (call.path, call) if call is not None else (None, None)
    return None, None


def memoizer_of(
    project: Project, rel: str, code: CodeFacts, path: tuple[str, ...], function: int | None
) -> dict | None:
    """The `unbounded-memoizers` entry a callee is, resolved through its import."""
    b = code.lookup(path[0], function)
    if b is None or b.kind != "import" or project.import_target(rel, b) is not None:
        return None
    if len(path) == 1:
        name = b.imported if b.imported not in (None, "*") else "default"
    elif len(path) == 2 and b.imported in (None, "*", "default"):
        name = path[1]
    else:
        return None
    for entry in project.knowledge["unbounded-memoizers"]:
        if entry["module"] == b.source and entry["name"] == name:
            return entry
    return None


def _unbounded(code: CodeFacts, entry: dict, call) -> bool:
    """`lru_cache` is unbounded only as `lru_cache(maxsize=None)`; `memoizee(fn, { max })` is
    bounded."""
    none_specs = entry.get("unbounded-when-none")
    if none_specs is not None:
        if call is None:
            return False  # bare `@lru_cache`: 128 entries
        return any(arg_at(code, call, spec) == Const(None) for spec in none_specs)
    if call is not None:
        return not any(arg_at(code, call, spec) is not None for spec in entry.get("bounded-by", ()))
    return True


def _lodash_cache_replaced(project: Project) -> bool:
    """`_.memoize.Cache = LRUCache`: the project swapped lodash's cache for a bounded one."""
    return any(
        a.target[-2:] == ("memoize", "Cache")
        for _, code in project.code_files()
        for a in code.assigns
    )
