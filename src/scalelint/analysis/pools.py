"""Pool facts: every database pool or client the project constructs, where it lives, how large
it may grow, and what the rest of the project does with it.

The pool and client lifecycle rules (SL2) all start from the same questions about a
construction found by `analysis/clients.py`:

- **scope** — `module` (made once per instance when the module loads, directly or through a
  factory a module-level binding calls), `lazy` (made inside a function but kept in module
  state: `if (!db) db = new Pool()`, `globalThis.prisma ??= …`, Python `global engine`, a
  `Map` of pools per tenant, `@lru_cache`), `instance` (kept on `this` / `self`), or
  `function` (a new one every time the function runs);
- **what holds the connections** — the construction itself, the pool it wraps
  (`drizzle(pool)`), or the driver pool an ORM opens from a URL (`drizzle(url)` over
  node-postgres opens a pg `Pool`);
- **its size** — the option that sets it (`max: 20`, `pool_size + max_overflow`) or the
  driver's default;
- **its uses anywhere in the project** — passed to `attachDatabasePool`, given an `error`
  listener, closed (`end()`, `$disconnect()`, `dispose()`, a Python `with`), and whether the
  close is deferred (`ctx.waitUntil(pool.end())`).

Resolution goes through `Project.constructions_of`, so a pool exported from `lib/db.ts` and
attached or closed in another file is recognised there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scalelint.analysis.callgraph import Reach
from scalelint.analysis.clients import Construction, external_callee
from scalelint.analysis.values import arg_at, deref
from scalelint.facts.code import Call, CallResult, CodeFacts, Num, Obj, Ref, Str, Value, walk_values

if TYPE_CHECKING:
    from scalelint.analysis.project import Project

INSTANCE_ROOTS = ("this", "self")


@dataclass(frozen=True)
class Use:
    """A call somewhere in the project that does something to a pool."""

    rel: str
    call: Call
    deferred: bool = False  # inside `ctx.waitUntil(…)`: runs after the response

    @property
    def where(self) -> str:
        return f"{self.rel}:{self.call.span.line}"


@dataclass(frozen=True)
class PoolSize:
    value: int
    explicit: bool
    option: str  # "`max: 20`", "`pool_size=5` + `max_overflow=10`", "the default `max` of 10"


@dataclass
class PoolFact:
    construction: Construction
    driver: dict | None  # the db-clients entry whose connections it holds (None: cannot tell)
    implicit: bool  # an ORM or adapter that opens `driver`'s pool itself from a URL or config
    scope: str = "function"  # module | lazy | instance | function
    kept_in: str = ""  # "module scope", "module-level `db`", "`globalThis.prisma`", "`@lru_cache`"
    name: str = ""  # the variable it is assigned to, when there is one
    named_by_wrapper: bool = False  # `name` holds the ORM around it: `db = drizzle(new Pool())`
    exported: bool = False
    inner: list[Construction] = field(default_factory=list)  # what it wraps: drizzle(pool)
    outer: list[Construction] = field(default_factory=list)  # what wraps it
    attached: list[Use] = field(default_factory=list)
    listeners: list[Use] = field(default_factory=list)
    closes: list[Use] = field(default_factory=list)

    @property
    def rel(self) -> str:
        return self.construction.rel

    @property
    def call(self) -> Call:
        return self.construction.call

    @property
    def id(self) -> str:
        return self.construction.id

    @property
    def label(self) -> str:
        return self.construction.label

    @property
    def holds(self) -> str:
        """pool | client | http | orm — `orm` only for a wrapper whose connections belong to
        another construction (or to an engine that keeps them to itself, like Prisma's)."""
        if self.driver is None:
            return "unknown"
        return self.driver.get("holds", "unknown")

    @property
    def wrapper(self) -> bool:
        return bool(self.inner)

    @property
    def outlives_call(self) -> bool:
        """Made once and kept: its connections outlive the request that first used it."""
        return self.scope in ("module", "lazy", "instance")

    def record(self, kind: str, use: Use) -> None:
        {"attach": self.attached, "listen": self.listeners, "close": self.closes}[kind].append(use)

    def describe(self) -> str:
        """ "`pool` (node-postgres `Pool`)", "the node-postgres `Pool` behind `db`"."""
        if not self.name:
            return self.label
        if self.named_by_wrapper:
            return f"the {self.label} behind `{self.name}`"
        return f"`{self.name}` ({self.label})"


class PoolFacts:
    """Pool facts for every construction in the project, built once per run."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.knowledge = project.knowledge
        self._entries = {e["id"]: e for e in self.knowledge["db-clients"]}
        self._facts: dict[tuple[str, int], PoolFact] = {}
        self._kept_calls: set[tuple[str, int]] = set()
        self._reach: dict[tuple[str, int], Reach] | None = None
        self._edge: dict[tuple[str, int], list[str]] | None = None
        for c in project.context.constructions:
            if not _development_only(project.code(c.rel), c.call):
                self._facts[(c.rel, c.call.id)] = self._fact(c)
        if not self._facts:
            return
        for fact in self._facts.values():
            for inner in fact.inner:
                other = self._facts.get((inner.rel, inner.call.id))
                if other is not None and fact.construction not in other.outer:
                    other.outer.append(fact.construction)
        self._find_keepers()
        self._find_uses()

    def __iter__(self) -> Iterator[PoolFact]:
        return iter(
            sorted(self._facts.values(), key=lambda f: (f.rel, f.call.span.line, f.call.id))
        )

    def of(self, construction: Construction) -> PoolFact | None:
        return self._facts.get((construction.rel, construction.call.id))

    def group(self, fact: PoolFact) -> list[PoolFact]:
        """The fact and every construction wrapping it or wrapped by it: `drizzle(new Pool())`."""
        out, stack, seen = [], [fact], set()
        while stack:
            f = stack.pop()
            key = (f.rel, f.call.id)
            if key in seen:
                continue
            seen.add(key)
            out.append(f)
            for c in (*f.inner, *f.outer):
                other = self.of(c)
                if other is not None:
                    stack.append(other)
        return out

    # ── one construction ──
    def _fact(self, c: Construction) -> PoolFact:
        project = self.project
        code = project.code(c.rel)
        inner: list[Construction] = []
        for spec in c.client.get("wraps", []):
            value = arg_at(code, c.call, spec)
            if value is not None:
                inner.extend(
                    x for x in project.constructions_of(c.rel, value, c.call.function) if x != c
                )
        driver: dict | None = c.client
        implicit = False
        if not inner:
            first = deref(code, c.call.args[0], c.call.function) if c.call.args else None
            configured = bool(c.url) or isinstance(first, Obj)
            if c.client.get("makes"):
                driver = self._entries.get(c.client["makes"]) if configured else None
                implicit = driver is not None
            elif c.client.get("wraps") and c.client.get("holds") == "pool":
                implicit = configured  # `new PrismaPg({ connectionString })` opens its own pool
                driver = c.client if configured else None
        fact = PoolFact(c, driver, implicit, inner=_unique(inner))
        fact.name, fact.named_by_wrapper = _name_of(code, c.call)
        if c.call.function is None:
            fact.scope, fact.kept_in = "module", "module scope"
        else:
            self._scope_from_functions(fact, code)
        fact.exported = _exported(code, c.call, fact.name)
        return fact

    def _scope_from_functions(self, fact: PoolFact, code: CodeFacts) -> None:
        """A memoised function, a callback an ORM calls once, or a class constructor."""
        memo = set(self.knowledge["memoizing-wrappers"])
        ctors = set(self.knowledge["constructor-names"])
        for fn in code.enclosing_functions(fact.call.function):
            for d in fn.decorators:
                name = _callee_name(code, d)
                if name in memo:
                    fact.scope, fact.kept_in = "lazy", f"`@{name}` on `{fn.name}`"
                    return
            if fn.call is not None:
                outer = code.calls[fn.call]
                if outer.name in memo:
                    fact.scope, fact.kept_in = "lazy", f"`{outer.text}()`"
                    return
                if self.project.construction_at(fact.rel, outer.id) is not None:
                    fact.scope, fact.kept_in = "lazy", f"`{outer.text}()`, which calls it once"
                    return
            if fn.class_name and fn.name in ctors:
                fact.scope, fact.kept_in = "instance", f"an instance of `{fn.class_name}`"
                return

    # ── where constructions are kept ──
    def _find_keepers(self) -> None:
        """Module state that holds a construction made in a function: lazy singletons,
        `globalThis` caches, Maps of pools, and module-level bindings a factory fills."""
        project = self.project
        globals_ = set(self.knowledge["global-objects"])
        storing = set(self.knowledge["storing-methods"])
        if not any(f.scope == "function" for f in self._facts.values()):
            return  # nothing left to find a keeper for
        files = list(project.code_files())
        for rel, code in files:
            for a in code.assigns:
                if a.value is None or a.op not in ("=", "??=", "||="):
                    continue
                root = a.target[0]
                b = code.bindings[a.binding] if a.binding is not None else None
                if root in INSTANCE_ROOTS and (b is None or b.kind == "param"):
                    scope, where = "instance", f"`{'.'.join(a.target)}`"
                elif root in globals_ and b is None:
                    scope, where = "lazy", f"`{'.'.join(a.target)}`"
                elif b is not None and b.function is None and b.kind != "param":
                    scope, where = "lazy", f"module-level `{'.'.join(a.target)}`"
                else:
                    continue
                if a.function is None:
                    scope = "module"
                self._keep(rel, code, a.value, a.function, scope, where)
            for call in code.calls:
                if call is None or call.name not in storing or call.path is None:
                    continue
                if len(call.path) < 2:
                    continue
                b = code.bindings[call.binding] if call.binding is not None else None
                if call.path[0] in INSTANCE_ROOTS and (b is None or b.kind == "param"):
                    scope, where = "instance", f"`{'.'.join(call.path[:-1])}`"
                elif b is not None and b.function is None and b.kind != "param":
                    scope, where = "lazy", f"module-level `{call.path[0]}`"
                else:
                    continue
                for arg in call.args:
                    self._keep(rel, code, arg, call.function, scope, where)
        for rel, code in files:  # factories a module-level binding calls: `db = createDb()`
            for b in code.bindings:
                if (
                    b.function is None
                    and b.kind in ("const", "let", "var", "assign")
                    and any(isinstance(v, CallResult) for v in walk_values(b.value))
                ):
                    self._keep(rel, code, b.value, None, "module", f"`{b.name}`")

    def _keep(
        self,
        rel: str,
        code: CodeFacts,
        value: Value | None,
        function: int | None,
        scope: str,
        where: str,
    ) -> None:
        for v in walk_values(value):
            if isinstance(v, CallResult):
                self._kept_calls.add((rel, v.call))
        parts = [v for v in walk_values(value) if isinstance(v, Ref | CallResult)]
        found = [c for v in parts for c in self.project.constructions_of(rel, v, function)]
        for c in _unique(found):
            fact = self._facts.get((c.rel, c.call.id))
            if fact is not None and fact.scope == "function":
                fact.scope = scope
                fact.kept_in = where if c.rel == rel else f"{where} in {rel}"

    # ── what the project does with each pool ──
    def _find_uses(self) -> None:
        """Attach, listen and close calls anywhere, on the pool itself or on a parameter of a
        helper the pool is handed to (`closePool(pool)`, `withErrorLogging(pool)`)."""
        project = self.project
        k = self.knowledge
        attach = set(k["pool-attach-calls"])
        closing = set(k["pool-close-methods"])
        listening = set(k["pool-listener-methods"])
        deferring = set(k["deferred-cleanup-calls"])
        helpers: dict[tuple[str, int], list[tuple[int, str, Use]]] = {}
        for rel, code in project.code_files():
            for call in code.calls:
                if call is None:
                    continue
                kind, value = "", None
                if call.name in closing:
                    kind, value = "close", _receiver(call)
                elif call.name in listening:
                    if (
                        call.args
                        and isinstance(call.args[0], Str)
                        and call.args[0].value == "error"
                    ):
                        kind, value = "listen", _receiver(call)
                elif call.args and call.name.endswith("attachDatabasePool"):
                    callee = external_callee(code, call)
                    if callee is not None and f"{callee[0]}:{callee[1]}" in attach:
                        kind, value = "attach", call.args[0]
                if not kind or value is None:
                    continue
                parent = code.calls[call.parent] if call.parent is not None else None
                use = Use(rel, call, parent is not None and parent.name in deferring)
                param = _param_of(code, value, call.function)
                if param is not None:
                    helpers.setdefault((rel, param[0]), []).append((param[1], kind, use))
                    continue
                for fact in self._value_facts(rel, code, value, call.function):
                    fact.record(kind, use)
            for block in code.blocks:  # Python: `with psycopg.connect() as conn:` closes it
                if block.kind != "with":
                    continue
                for item in block.items:
                    if isinstance(item, CallResult):
                        fact = self._facts.get((rel, item.call))
                        if fact is not None:
                            fact.closes.append(Use(rel, code.calls[item.call]))
        if helpers:
            self._helper_uses(helpers)

    def _helper_uses(self, helpers: dict[tuple[str, int], list[tuple[int, str, Use]]]) -> None:
        graph = self.project.callgraph
        # Resolving every call of the project is costly; only calls named like one of the
        # helpers (directly or through an import alias) can reach one.
        names = {self.project.code(rel).functions[fid].name for rel, fid in helpers} - {None}
        for rel, code in self.project.code_files():
            for call in code.calls:
                if call is None or not call.args or call.path is None:
                    continue
                if call.name not in names and not _imported_as(code, call, names):
                    continue
                target = graph.target(rel, call)
                if target is None or target not in helpers:
                    continue
                tcode = self.project.code(target[0])
                params = tcode.functions[target[1]].params
                offset = 1 if params[:1] in (("self",), ("cls",)) else 0
                for index, kind, use in helpers[target]:
                    i = index - offset
                    if 0 <= i < len(call.args):
                        for fact in self._value_facts(rel, code, call.args[i], call.function):
                            fact.record(kind, use)

    def _value_facts(
        self, rel: str, code: CodeFacts, receiver: Value, function: int | None
    ) -> list[PoolFact]:
        """The pools a value is: `pool`, `db.$client`, `this.pool`, `new Pool(…)`."""
        found = list(self.project.constructions_of(rel, receiver, function))
        if (
            isinstance(receiver, Ref)
            and receiver.path[0] in INSTANCE_ROOTS
            and len(receiver.path) >= 2
        ):
            for a in code.assigns:
                if a.target[:2] == receiver.path[:2] and a.value is not None:
                    found.extend(self.project.constructions_of(rel, a.value, a.function))
        out = []
        for c in _unique(found):
            fact = self._facts.get((c.rel, c.call.id))
            if fact is not None:
                out.append(fact)
        return out

    # ── module pools reached from edge code ──
    def edge_users(self, fact: PoolFact) -> list[str]:
        """Edge-runtime files ("file:line") that use a pool kept in a module that is not edge
        code itself: `lib/db.ts` imported by a route with `runtime = "edge"`."""
        if self._edge is None:
            self._edge = self._find_edge_users()
        return self._edge.get((fact.rel, fact.call.id), [])

    def _find_edge_users(self) -> dict[tuple[str, int], list[str]]:
        ctx = self.project.context
        out: dict[tuple[str, int], list[str]] = {}
        kept = {key for key, f in self._facts.items() if f.scope in ("module", "lazy")}
        if not kept:
            return out
        for rel, code in self.project.code_files():
            if ctx.platform_for(rel).name != "edge" or not ctx.is_request_path(rel):
                continue
            seen: set[int] = set()
            for call in code.calls:
                if call is None or call.path is None or len(call.path) < 2:
                    continue
                if call.binding is None or call.binding in seen:
                    continue
                seen.add(call.binding)
                if code.bindings[call.binding].kind == "param":
                    continue
                for c in self.project.constructions_of(rel, Ref(call.path[:1]), call.function):
                    key = (c.rel, c.call.id)
                    if key in kept and ctx.platform_for(c.rel).name != "edge":
                        out.setdefault(key, []).append(f"{rel}:{call.span.line}")
        return out

    # ── what it connects to ──
    def database(self, fact: PoolFact) -> str | None:
        """postgres | mysql | mongodb | file: from an option only SQLite takes, or from the URL
        when every source of it is known and they agree (SQLAlchemy and Knex speak to any of
        them), else the driver's."""
        driver = fact.driver or {}
        code = self.project.code(fact.rel)
        if any(arg_at(code, fact.call, at) is not None for at in driver.get("sqlite-options", ())):
            return "file"
        table = self.knowledge["url-databases"]
        ctx = self.project.context
        found: set[str | None] = set()
        for source in fact.construction.url:
            urls = ctx.resolve_urls([source])
            if not urls:
                found = set()
                break
            found |= {table.get(r.url.scheme.split("+")[0], table.get(r.url.scheme)) for r in urls}
        if len(found) == 1 and None not in found:
            return found.pop()
        return driver.get("database")

    # ── size ──
    def keeps_no_connections(self, fact: PoolFact) -> bool:
        """Pooling turned off (SQLAlchemy's `poolclass=NullPool`), or a database in a local
        file (SQLite), which has no server to hold connections on."""
        if self.database(fact) == "file":
            return True
        no_pool = (fact.driver or {}).get("no-pool")
        if not no_pool:
            return False
        code = self.project.code(fact.rel)
        for spec in no_pool["at"]:
            v = arg_at(code, fact.call, spec)
            if isinstance(v, Ref) and v.path[-1] in no_pool["names"]:
                return True
        return False

    def size(self, fact: PoolFact) -> PoolSize | None:
        """How many connections the pool may open, or None when it keeps none (NullPool) or
        the code sets it to something scalelint cannot read."""
        driver = fact.driver
        if driver is None or driver.get("holds") != "pool":
            return None
        if self.keeps_no_connections(fact):
            return None
        code = self.project.code(fact.rel)
        call = fact.call
        spec = (fact.construction.client.get("size") if fact.implicit else None) or driver.get(
            "size"
        )
        if not spec:
            return None
        if "sum" in spec:
            parts = [_size_part(code, call, s) for s in spec["sum"]]
            if any(p is None for p in parts):
                return None
            return PoolSize(
                int(sum(p.value for p in parts)),
                any(p.explicit for p in parts),
                " + ".join(p.option for p in parts),
            )
        return _size_part(code, call, spec)

    # ── per request ──
    def per_request(self, fact: PoolFact) -> Reach | None:
        """How a request handler reaches this construction, when it runs per request and no
        call on the way keeps its result in module state."""
        if self._reach is None:
            self._reach = self._request_reaches()
        return self._reach.get((fact.rel, fact.call.id))

    def _request_reaches(self) -> dict[tuple[str, int], Reach]:
        wanted = {key for key, f in self._facts.items() if f.scope == "function"}
        out: dict[tuple[str, int], Reach] = {}
        if not wanted:
            return out
        graph = self.project.callgraph
        for h in self.project.handlers:
            for reach in graph.reachable(h.rel, h.function):
                key = (reach.rel, reach.call.id)
                if key not in wanted or key in out:
                    continue
                if any((r, c.id) in self._kept_calls for r, c in reach.chain):
                    continue
                out[key] = reach
        return out

    def handler_for(self, reach: Reach):
        """The handler a reach starts from."""
        rel, call = reach.entry
        return self.project.handler_of(rel, call.function)


def _development_only(code: CodeFacts, call: Call) -> bool:
    """Made in a branch a production build never takes (`if (NODE_ENV !== "production")`):
    the deployed app never opens it, whatever it does with it."""
    start, end = (call.span.line, call.span.col), (call.span.end_line, call.span.end_col)
    return any(
        b.kind == "dev-only"
        and (b.span.line, b.span.col) <= start
        and end <= (b.span.end_line, b.span.end_col)
        for b in code.blocks
    )


def _receiver(call: Call) -> Value | None:
    """What a method is called on: `pool` in `pool.end()`, the call in `new Pool().on()`."""
    if call.path is not None and len(call.path) >= 2:
        return Ref(call.path[:-1])
    if call.receiver is not None:
        return CallResult(call.receiver)
    return None


def _param_of(code: CodeFacts, value: Value, function: int | None) -> tuple[int, int] | None:
    """(function, parameter index) when `value` is one of the enclosing function's parameters."""
    if not isinstance(value, Ref) or len(value.path) != 1 or function is None:
        return None
    b = code.lookup(value.path[0], function)
    if b is None or b.kind != "param" or b.function is None:
        return None
    params = code.functions[b.function].params
    return (b.function, params.index(b.name)) if b.name in params else None


def _size_part(code: CodeFacts, call: Call, spec: dict) -> PoolSize | None:
    for at in spec["at"]:
        v = arg_at(code, call, at)
        if v is None:
            continue
        if isinstance(v, Num) and v.value >= 0:
            n = int(v.value)
            return PoolSize(
                n, True, f"`{_option_name(at)}{'=' if at.startswith('kw:') else ': '}{n}`"
            )
        return None
    default = int(spec["default"])
    return PoolSize(default, False, f"the default `{_option_name(spec['at'][0])}` of {default}")


def _option_name(at: str) -> str:
    if at.startswith("kw:"):
        return at[3:]
    parts = at.split(".")[1:]
    return ".".join(parts) if parts else f"argument {int(at.split('.')[0]) + 1}"


def _callee_name(code: CodeFacts, value: Value) -> str:
    """`lru_cache` for `@lru_cache`, `@lru_cache(maxsize=1)`, `@functools.cache`."""
    if isinstance(value, CallResult):
        call = code.calls[value.call]
        return ".".join(call.path[-1:]) if call.path else call.name
    if isinstance(value, Ref):
        return value.path[-1]
    return ""


def _name_of(code: CodeFacts, call: Call) -> tuple[str, bool]:
    """The variable a construction (or the wrapper around it) is assigned to, and whether it
    is the wrapper's."""
    chain = [call.id]
    parent = call.parent
    while parent is not None:  # drizzle(new Pool(…)): named by the wrapper's variable
        chain.append(parent)
        parent = code.calls[parent].parent
    for cid in chain:
        for b in code.bindings:
            if (
                b.function == call.function
                and b.kind not in ("import", "param")
                and any(isinstance(v, CallResult) and v.call == cid for v in walk_values(b.value))
            ):
                return b.name, cid != call.id
        for a in code.assigns:
            if a.function == call.function and any(
                isinstance(v, CallResult) and v.call == cid for v in walk_values(a.value)
            ):
                return ".".join(a.target), cid != call.id
    return "", False


def _exported(code: CodeFacts, call: Call, name: str) -> bool:
    for e in code.exports:
        if name and e.local == name:
            return True
        if any(isinstance(v, CallResult) and v.call == call.id for v in walk_values(e.value)):
            return True
    return False


def _unique(items: list[Construction]) -> list[Construction]:
    seen, out = set(), []
    for c in items:
        key = (c.rel, c.call.id)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def _imported_as(code: CodeFacts, call: Call, names: set) -> bool:
    """`import { closePool as shutdown }`: the call's name is not the helper's, its import is."""
    if call.binding is None:
        return False
    b = code.bindings[call.binding]
    return b.kind == "import" and b.imported in names
