"""Project: what every rule receives — all facts, the context, the knowledge tables, and the
cross-file questions several rule families ask: where does this name come from, and which
construction made this object?

`import { db } from "@/lib/db"` → lib/db.ts → `export const db = drizzle(pool)` → `pool =
new Pool(…)`: `origins()` follows that chain (imports, re-exports, `export *`, CommonJS
`module.exports`, Python `from x import y`, local aliases, lazy-singleton assignments and the
return values of project functions: `await getClient()`) to the calls that made the value, so
a rule can ask "is this a pg Pool?" of any receiver.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property

from scalelint.analysis.browser import browser_only_modules
from scalelint.analysis.callgraph import CallGraph, FunctionRef
from scalelint.analysis.clients import Construction
from scalelint.analysis.handlers import Handler, find_handlers
from scalelint.analysis.modules import ModuleResolver
from scalelint.analysis.pools import PoolFacts
from scalelint.analysis.queries import QueryIndex
from scalelint.analysis.searches import Searches
from scalelint.analysis.slow_calls import SlowCalls
from scalelint.analysis.transactions import Wrapper, find_transaction_wrappers
from scalelint.analysis.values import arg_at
from scalelint.analysis.webhooks import Webhook, find_webhooks
from scalelint.context import ProjectContext
from scalelint.facts.code import Alt, Binding, CallResult, CodeFacts, Obj, Ref, Value
from scalelint.facts.model import FileFacts

MAX_DEPTH = 8


@dataclass(frozen=True)
class Origin:
    """Where a value was made: a call in some file, something imported from outside the
    project, or a function parameter (unknown here)."""

    rel: str
    call: int | None = None
    external: tuple[str, str] | None = None  # (module, name)
    param: str | None = None


class Project:
    def __init__(self, files: Mapping[str, FileFacts], context: ProjectContext) -> None:
        self.files = files
        self.context = context
        self.knowledge = context.knowledge
        self.config = context.config
        self.modules = ModuleResolver(files)
        self._constructions = {(c.rel, c.call.id): c for c in context.constructions}
        self.searches = Searches()  # what exports, call targets and query receivers resolve to
        self._code = {rel: f.code for rel, f in files.items() if f.code is not None}

    @cached_property
    def callgraph(self) -> CallGraph:
        return CallGraph(self)

    @cached_property
    def pools(self) -> PoolFacts:
        """Scope, size and uses of every database pool and client (see analysis/pools.py)."""
        return PoolFacts(self)

    @cached_property
    def queries(self) -> QueryIndex:
        """Which calls are database queries (see analysis/queries.py)."""
        return QueryIndex(self)

    @cached_property
    def handlers(self) -> list[Handler]:
        """Every function that runs once per request (see analysis/handlers.py)."""
        return find_handlers(self)

    @cached_property
    def slow_calls(self) -> SlowCalls:
        """Which calls are slow outside work, and whether the caller waits for them."""
        return SlowCalls(self)

    @cached_property
    def browser_only_modules(self) -> frozenset[str]:
        """Files whose code runs in a browser tab (see analysis/browser.py)."""
        return browser_only_modules(self)

    @cached_property
    def webhooks(self) -> list[Webhook]:
        """The handlers that receive webhooks (see analysis/webhooks.py)."""
        return find_webhooks(self)

    @cached_property
    def transaction_wrappers(self) -> dict[FunctionRef, Wrapper]:
        """Helpers that run their caller's callback inside a transaction (analysis/transactions.py)."""
        return find_transaction_wrappers(self)

    def handler_of(self, rel: str, function: int | None) -> Handler | None:
        """The handler `function` is, or sits inside (a callback it defines)."""
        index = self._handler_index
        code = self.code(rel)
        if code is None:
            return None
        for f in code.enclosing_functions(function):
            h = index.get((rel, f.id))
            if h is not None:
                return h
        return None

    @cached_property
    def _handler_index(self) -> dict[tuple[str, int], Handler]:
        return {(h.rel, h.function): h for h in self.handlers}

    # ── files ──
    def code(self, rel: str) -> CodeFacts | None:
        return self._code.get(rel)

    def code_files(self) -> Iterator[tuple[str, CodeFacts]]:
        for rel, f in self.files.items():
            if f.code is not None:
                yield rel, f.code

    def files_of_kind(self, *kinds: str) -> Iterator[FileFacts]:
        for f in self.files.values():
            if f.kind in kinds:
                yield f

    # ── imports ──
    def import_target(self, rel: str, binding: Binding) -> str | None:
        """The project file an import binding comes from, or None for outside packages."""
        found = self.import_file(rel, binding)
        return found[0] if found is not None else None

    def import_file(self, rel: str, binding: Binding) -> tuple[str, bool] | None:
        """(file, is_module): the file an import comes from, and whether the imported name is
        that module itself (`from . import views`) rather than a value defined in it."""
        if binding.kind != "import" or binding.source is None:
            return None
        code = self.code(rel)
        if code is None:
            return None
        if code.language != "python":
            target = self.modules.resolve_js(rel, binding.source)
            return (target, False) if target is not None else None
        if binding.imported in (None, "*"):
            target = self.modules.resolve_py(rel, binding.source)
            return (target, True) if target is not None else None
        parent = self.modules.resolve_py(rel, binding.source)
        sep = "" if binding.source.endswith(".") else "."
        sub = self.modules.resolve_py(rel, binding.source + sep + binding.imported)
        if sub is not None and (parent is None or self._py_name_missing(parent, binding.imported)):
            return sub, True
        return (parent, False) if parent is not None else None

    def _py_name_missing(self, rel: str, name: str) -> bool:
        code = self.code(rel)
        return code is None or code.module_binding(name) is None

    def exported_value(self, rel: str, name: str, depth: int = 0) -> tuple[str, Value] | None:
        """What module `rel` exports as `name`, as a value in the file that defines it. An
        export cycle (a ↔ b `export *`) ends in None."""
        return self.searches.answer(
            ("export", rel, name), lambda: self._exported_value(rel, name, depth), None
        )

    def _exported_value(self, rel: str, name: str, depth: int) -> tuple[str, Value] | None:
        code = self.code(rel)
        if depth > MAX_DEPTH:
            self.searches.cut()
            return None
        if code is None:
            return None
        if code.language == "python":
            b = code.module_binding(name)
            return (rel, Ref((name,))) if b is not None else None
        stars = []
        for e in code.exports:
            if e.star:
                stars.append(e)
                continue
            if e.name != name:
                continue
            if e.source is not None:
                target = self.modules.resolve_js(rel, e.source)
                if target is None or e.local is None or e.local == "*":
                    return None
                return self.exported_value(target, e.local, depth + 1)
            if e.local is not None:
                return rel, Ref((e.local,))
            if e.value is not None:
                return rel, e.value
        for e in code.exports:  # CommonJS: module.exports = { db }
            if e.name == "default" and isinstance(e.value, Obj) and e.value.get(name) is not None:
                return rel, e.value.get(name)
        for e in stars:
            target = self.modules.resolve_js(rel, e.source) if e.source else None
            if target is not None:
                found = self.exported_value(target, name, depth + 1)
                if found is not None:
                    return found
        return None

    # ── origins ──
    def origins(
        self, rel: str, value: Value | None, function: int | None, depth: int = 0
    ) -> list[Origin]:
        """The calls (or outside imports, or parameters) a value may have been made by."""
        if value is None or depth > MAX_DEPTH:
            return []
        code = self.code(rel)
        if code is None:
            return []
        if isinstance(value, CallResult):
            return [Origin(rel, call=value.call), *self._returned(rel, code, value.call, depth)]
        if isinstance(value, Alt):
            return [
                o
                for option in value.options
                for o in self.origins(rel, option, function, depth + 1)
            ]
        if not isinstance(value, Ref):
            return []
        b = code.lookup(value.path[0], function)
        if b is None:
            return []
        return self._binding_origins(rel, code, b, depth)

    def _returned(self, rel: str, code: CodeFacts, call_id: int, depth: int) -> list[Origin]:
        """What a project function hands back: `getPool()` → the `new Pool()` it returns."""
        if (rel, call_id) in self._constructions:
            return []
        call = code.calls[call_id]
        if call.path is None:
            return []
        target = self.callgraph.target(rel, call)
        if target is None:
            return []
        trel, fid = target
        tcode = self.code(trel)
        if tcode is None:
            return []
        return [
            o
            for r in tcode.returns
            if r.function == fid and r.value is not None
            for o in self.origins(trel, r.value, fid, depth + 1)
        ]

    def _binding_origins(self, rel: str, code: CodeFacts, b: Binding, depth: int) -> list[Origin]:
        if b.kind == "import":
            found_file = self.import_file(rel, b)
            if found_file is None:
                return [Origin(rel, external=(b.source or "", b.imported or ""))]
            target, is_module = found_file
            if is_module:
                return []  # a module object, not a value
            name = b.imported if b.imported not in (None, "*") else "default"
            found = self.exported_value(target, name)
            if found is None:
                return []
            return self.origins(found[0], found[1], None, depth + 1)
        if b.kind == "param":
            return [Origin(rel, param=b.name)]
        if b.kind not in ("const", "let", "var", "assign", "global"):
            return []
        out = self.origins(rel, b.value, b.function, depth + 1) if b.value is not None else []
        for a in code.assigns:  # lazy singletons: `if (!db) db = new X()`
            if (
                a.binding == b.id
                and a.op in ("=", "??=", "||=")
                and len(a.target) == 1
                and a.value is not None
            ):
                out.extend(self.origins(rel, a.value, a.function, depth + 1))
        return out

    def constructions_of(
        self, rel: str, value: Value | None, function: int | None
    ) -> list[Construction]:
        """The database constructions a value comes from, looking through ORM wrappers:
        `drizzle(pool)` yields the drizzle construction and the pool's."""
        out: list[Construction] = []
        seen: set[tuple[str, int]] = set()
        stack = self.origins(rel, value, function)
        while stack:
            o = stack.pop()
            if o.call is None or (o.rel, o.call) in seen:
                continue
            seen.add((o.rel, o.call))
            c = self._constructions.get((o.rel, o.call))
            if c is None:
                continue
            out.append(c)
            code = self.code(o.rel)
            for spec in c.client.get("wraps", []):
                inner = arg_at(code, c.call, spec)
                stack.extend(self.origins(o.rel, inner, c.call.function))
        return out

    def construction_at(self, rel: str, call_id: int) -> Construction | None:
        return self._constructions.get((rel, call_id))

    def relative_to(self, rel: str, other: str) -> str:
        return posixpath.relpath(other, posixpath.dirname(rel) or ".")
