"""Is this call a database query? Which ORM, which model, does it read or write?

A call is a query when the object it is made on is a database client or model — traced back
through imports, re-exports, aliases, destructuring, lazy singletons, typed parameters and
project functions that return one — and the method is one of that API's query calls
(`query-calls`). Names alone never decide: `db.user.findMany()` counts for sure only when `db`
resolves to a `PrismaClient`; an unresolvable receiver named `db` or `prisma` counts at
medium confidence when the call has that ORM's shape.

Builders run when they are executed: a Drizzle, Knex, Mongoose or supabase-js chain when it is
awaited (or returned to a caller that awaits it), a Kysely chain on `.execute()`, a Django
queryset on a terminal call (`.get()`, `.count()`) or when it is iterated or listed.

The query rules (SL3) and the slow-work rules (SL5) share this; the knowledge lives in
`rules/knowledge/queries.yml` (receivers) and `rules/SL301-query-in-loop.yml` (methods).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

from scalelint.analysis.clients import external_callee, package_specifier
from scalelint.analysis.patterns import callee_match, glob_match
from scalelint.analysis.relations import DjangoRelations
from scalelint.facts.code import (
    Alt,
    Binding,
    Call,
    CallResult,
    CodeFacts,
    Const,
    FnValue,
    Obj,
    Ref,
    Str,
    Unknown,
    Value,
    walk_values,
)

if TYPE_CHECKING:
    from scalelint.analysis.project import Project

MAX_DEPTH = 10
MAX_CHAIN = 40
SELF_CALL = "()"
TEMPLATE = "``"
RAW_SQL_CALLS = frozenset(
    {"query", "execute", "fetch", "fetchrow", "fetchval", "unsafe", "raw", "$queryRaw",
     "$executeRaw", "$queryRawUnsafe", "$executeRawUnsafe", "executemany"}
)  # fmt: skip
EVALUATING_BUILTINS = frozenset({"list", "len", "tuple", "set", "sorted", "bool", "enumerate"})
_IDENT = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")
_SQL_WRITE = re.compile(r"^\s*(?:insert|update|delete|upsert|merge|replace)\b", re.I)


@dataclass(frozen=True)
class Receiver:
    """An object queries are made on: a client, session, model, repository or builder."""

    api: str  # key of `query-apis`: "prisma", "django", …
    model: str | None = None  # Prisma model delegate or Django/Sequelize model class
    confidence: str = "high"
    instance: bool = False  # one row of a model (`order: Order`, `Order(…)`), not the model
    related: bool = False  # a row's relation (`order.lines`): the caller may have prefetched it
    client: str | None = None  # the db-clients construction it was made by, when one was seen


@dataclass(frozen=True)
class Resolved:
    receivers: frozenset[Receiver] = frozenset()
    unknown: bool = False  # some path could not be followed (a parameter, a global…)

    def __or__(self, other: Resolved) -> Resolved:
        return Resolved(self.receivers | other.receivers, self.unknown or other.unknown)


NOTHING = Resolved()
UNKNOWN = Resolved(unknown=True)


@dataclass(frozen=True)
class Query:
    """One database round trip: the chain of calls that builds and runs it."""

    rel: str
    call: Call  # the last call of the chain: where the query runs
    method: Call  # the query call of the API (findMany, select, execute, sql`…`)
    api: str
    label: str  # "Prisma", "Django ORM"
    text: str  # "prisma.user.findUnique", "supabase.from(…).select"
    confidence: str
    write: bool
    batch: bool  # many rows in one round trip (createMany, bulk_create, executemany)
    model: str | None
    chain: tuple[int, ...]  # call ids, first to last
    evaluated: str = ""  # Django: "iterated" when a lazy queryset runs by iteration
    related: bool = False  # made on a row's relation (`order.lines.filter(…)`)
    client: str | None = None  # the db-clients id of the construction it runs on, when known

    @property
    def unique(self) -> bool:
        return self.method.name in ("findUnique", "findUniqueOrThrow")

    @property
    def sql_verb(self) -> str | None:
        """The first word of raw SQL text, when the query is written as one: "select", "kill"."""
        if not (self.method.template or self.method.name in RAW_SQL_CALLS):
            return None
        first = self.method.args[0] if self.method.args else None
        if isinstance(first, Str):
            words = first.value.split(None, 1)
            return words[0].lower() if words else None
        return None


@dataclass
class _FileIndex:
    queries: dict[int, Query] = field(default_factory=dict)  # every call id of a chain → query
    ends: list[Query] = field(default_factory=list)


class QueryIndex:
    def __init__(self, project: Project) -> None:
        self.project = project
        k = project.knowledge
        self.apis: dict[str, dict] = k["query-apis"]
        self.calls: dict[str, set[str]] = {a: set(v) for a, v in k["query-calls"].items()}
        self.batch: dict[str, set[str]] = {a: set(v) for a, v in k["query-batch-calls"].items()}
        self.writes = set(k["query-write-calls"])
        self.fallback_names: dict[str, dict] = k["query-receiver-names"]
        self.helpers: list[str] = list(k["query-calls"].get("functions", []))
        self.client_api = {
            cid: a for a, spec in self.apis.items() for cid in spec.get("clients", [])
        }
        self._files: dict[str, _FileIndex] = {}
        self._building_relations = False
        self.instance_calls = {a: set(v) for a, v in k["query-instance-calls"].items()}
        self.cached_calls = {a: set(v) for a, v in k["query-prefetched-calls"].items()}
        self.lazy_calls = {a: set(v) for a, v in k["query-lazy-calls"].items()}

    @cached_property
    def present(self) -> frozenset[str]:
        """The query APIs this project can hold a receiver of. Every receiver starts at a
        client the project constructs (`db-clients`), at something imported from the API's
        package (what `exports`, `constructors`, `types` and `bases` name), or at a name the
        API is recognised by alone (`query-receiver-names`). An API none of these reach has no
        receivers here, and its words (knex's bare `knex("users")` call, Django's `get`) do not
        make a call worth tracing."""
        found = set(self.fallback_names)
        for c in self.project.context.constructions:
            api = self.client_api.get(c.id)
            if api is not None:
                found.add(api)
        modules: set[str] = set()
        for _, code in self.project.code_files():
            for b in code.bindings:
                if b.source and b.kind in ("import", "type"):
                    modules.add(b.source)
                    modules.add(package_specifier(b.source))
        for api, spec in self.apis.items():
            globs = tuple(
                p.rpartition(":")[0]
                for key in ("exports", "constructors", "types", "bases")
                for p in spec.get(key, ())
            )
            if api not in found and globs and any(glob_match(m, globs) for m in modules):
                found.add(api)
        return frozenset(found)

    @cached_property
    def _present_words(self) -> tuple[frozenset[str], bool]:
        """The words that can make a call a query of a present API, and whether one of them
        queries when its result is iterated (Django's lazy querysets)."""
        words: set[str] = set()
        lazy = False
        for api in self.present:
            words |= self.calls.get(api, set()) | self.batch.get(api, set())
            words |= set(self.apis[api].get("runs", ()))
            lazy = lazy or bool(self.apis[api].get("lazy"))
        return frozenset(words), lazy

    @cached_property
    def django_relations(self) -> DjangoRelations:
        """Which attributes of the project's Django models load other rows."""
        self._building_relations = True
        try:
            return DjangoRelations(self.project)
        finally:
            self._building_relations = False

    # ── queries ──
    def queries_in(self, rel: str) -> list[Query]:
        """Every query of a file, one per chain, in source order."""
        return self._file(rel).ends

    def query_at(self, rel: str, call_id: int) -> Query | None:
        """The query a call belongs to (any call of its chain), or None."""
        return self._file(rel).queries.get(call_id)

    def _file(self, rel: str) -> _FileIndex:
        idx = self._files.get(rel)
        if idx is None:
            idx = self._files[rel] = _FileIndex()
            code = self.project.code(rel)
            if code is not None:
                self._index(rel, code, idx)
        return idx

    def _index(self, rel: str, code: CodeFacts, idx: _FileIndex) -> None:
        used = {c.receiver for c in code.calls if c is not None and c.receiver is not None}
        evaluated = _evaluated_calls(code)
        for call in code.calls:
            if call is None or call.id in used:
                continue
            q = self._classify(rel, code, call, call.id in evaluated)
            if q is not None:
                idx.ends.append(q)
                for cid in q.chain:
                    idx.queries[cid] = q

    def _classify(self, rel: str, code: CodeFacts, end: Call, evaluated: bool) -> Query | None:
        chain = [end]
        while chain[-1].receiver is not None and len(chain) < MAX_CHAIN:
            chain.append(code.calls[chain[-1].receiver])
        chain.reverse()
        head = chain[0]
        if head.path is None:
            return None
        helper = self._helper(rel, code, head)
        if helper is not None:
            return helper
        if head.template:
            first, base = TEMPLATE, head.path
        elif len(head.path) == 1:
            first, base = SELF_CALL, head.path
        else:
            first, base = head.path[-1], head.path[:-1]
        names = [first, *(c.name for c in chain[1:])]
        words, lazy = self._present_words
        if words.isdisjoint(names) and not (evaluated and lazy):
            return None
        found = self.receivers(rel, Ref(base), head.function)
        receivers = sorted(found.receivers, key=lambda r: (r.api, r.model or "", r.client or ""))
        if not receivers and found.unknown:
            receivers = self._by_name(head, first)
        for r in receivers:
            q = self._match(rel, code, r, chain, names, evaluated)
            if q is not None:
                return q
        return None

    def _match(
        self,
        rel: str,
        code: CodeFacts,
        r: Receiver,
        chain: list[Call],
        names: list[str],
        evaluated: bool,
    ) -> Query | None:
        spec = self.apis[r.api]
        vocab, batch = self.calls.get(r.api, set()), self.batch.get(r.api, set())
        if set(names) & set(spec.get("not-through", ())):
            return None
        if r.instance:  # a row: only its own calls (order.save()), not a manager's
            vocab = vocab & self.instance_calls.get(r.api, set())
        if r.related:  # order.lines.all() / .count() read what a prefetch already loaded
            vocab = vocab - self.cached_calls.get(r.api, set())
        at = next((i for i, n in enumerate(names) if n in vocab or n in batch), None)
        how = ""
        if at is None:
            if not (spec.get("lazy") and evaluated):
                return None
            if r.instance and not self._row_method_queries(r, names[0]):
                return None  # `check.tags_list()`: the row's own method hands back a list
            if r.related and not set(names) - self.cached_calls.get(r.api, set()):
                return None  # order.lines.all(): the prefetch may have loaded it
            at, how = len(chain) - 1, "iterated"
        end = chain[-1]
        mode = spec.get("mode", "call")
        runs = set(spec.get("runs", ()))
        if mode == "await" and not (
            end.awaited or runs & set(names[at + 1 :]) or _handed_on(code, end)
        ):
            return None
        if mode == "run" and not runs & set(names[at:]):
            return None
        method = chain[at]
        if names[at] == TEMPLATE and _inside_template(code, method):
            return None  # a fragment of another sql`…`, not a query of its own
        return Query(
            rel=rel,
            call=end,
            method=method,
            api=r.api,
            label=spec.get("label", r.api),
            text=_chain_text(chain, at),
            confidence=r.confidence,
            write=names[at] in self.writes or _sql_write(method),
            batch=names[at] in batch,
            model=r.model,
            chain=tuple(c.id for c in chain),
            evaluated=how,
            related=r.related,
            client=r.client,
        )

    def _row_method_queries(self, r: Receiver, name: str) -> bool:
        """Iterating what a row's method returns runs a query when the method is the
        project's and returns a queryset (`return self.lines.filter(…)`), or when it comes
        from a package the model derives from (django-mptt's `get_descendants()`); the
        project's `tags_list()` splitting a text field does not."""
        if self._building_relations:
            return False
        found = self.django_relations.method(r.model, name)
        if found is None:
            return True
        frel, fid = found
        code = self.project.code(frel)
        lazy = self.lazy_calls.get(r.api, set())
        return code is not None and any(
            isinstance(v, CallResult) and code.calls[v.call].name in lazy
            for v in code.returned_values(fid)
        )

    def _by_name(self, head: Call, first: str) -> list[Receiver]:
        """`db.user.findMany()` on a `db` nobody can trace: that ORM's shape, medium confidence."""
        out = []
        for api, spec in self.fallback_names.items():
            shaped = head.path[0] in spec["names"] and len(head.path) in spec["path-length"]
            if shaped and (first in self.calls.get(api, ()) or first in self.batch.get(api, ())):
                model = head.path[1] if self.apis[api].get("model-member") else None
                out.append(Receiver(api, model, "medium"))
        return out

    def _helper(self, rel: str, code: CodeFacts, call: Call) -> Query | None:
        """A call to one of the project's own query helpers listed in `query-calls.functions`."""
        if not self.helpers:
            return None
        names = []
        ext = external_callee(code, call)
        if ext is not None:
            names.append(f"{ext[0]}:{ext[1]}")
        target = self.project.callgraph.target(rel, call)
        if target is not None:
            fn = self.project.code(target[0]).functions[target[1]]
            names.append(f"{target[0]}:{fn.name}")
        if not any(glob_match(n, self.helpers) for n in names):
            return None
        return Query(
            rel, call, call, "functions", "database", call.text, "high",
            call.name in self.writes, False, None, (call.id,),
        )  # fmt: skip

    # ── receivers ──
    def receivers(
        self, rel: str, value: Value | None, function: int | None, depth: int = 0
    ) -> Resolved:
        """The query receivers a value may be, and whether some path could not be followed."""
        code = self.project.code(rel)
        if depth > MAX_DEPTH:
            self.project.searches.cut()
            return UNKNOWN
        if value is None or code is None:
            return UNKNOWN
        if isinstance(value, CallResult):
            return self._call_result(rel, code, code.calls[value.call], depth + 1)
        if isinstance(value, Alt):
            out = NOTHING
            for option in value.options:
                out = out | self.receivers(rel, option, function, depth + 1)
            return out
        if isinstance(value, Unknown):
            return UNKNOWN
        if not isinstance(value, Ref):
            return NOTHING
        path = value.path
        if path[0] in ("this", "self") and len(path) >= 2:
            return self._members(self._attribute(rel, code, function, path[1], depth), path[2:])
        b = code.lookup(path[0], function)
        if b is None:
            return UNKNOWN
        if b.kind == "import":
            return self._imported(rel, code, b, path, depth)
        return self._members(self._binding(rel, code, b, depth), path[1:])

    def _members(self, found: Resolved, members: tuple[str, ...]) -> Resolved:
        if not members or not found.receivers:
            return found
        out = set()
        for r in found.receivers:
            spec = self.apis[r.api]
            if set(members) & set(spec.get("not-through", ())):
                continue
            if spec.get("model-member") and r.model is None:
                r = replace(r, model=members[0])
            if r.instance:
                r = self._relation(r, members)
                if r is None:
                    continue  # a field of the row (`order.metadata`), not a query receiver
            out.add(r)
        return Resolved(frozenset(out), found.unknown)

    def _relation(self, r: Receiver, members: tuple[str, ...]) -> Receiver | None:
        """`order.lines` on a Django row: the manager of the related rows, when the project's
        models say `lines` is a relation; `order.customer`: the related row."""
        if self._building_relations:
            return None
        for attr in members:
            rel = self.django_relations.get(r.model, attr)
            if rel is None:
                return None
            r = Receiver(r.api, rel.target, r.confidence, instance=not rel.many, related=True)
        return r

    def _imported(
        self, rel: str, code: CodeFacts, b: Binding, path: tuple[str, ...], depth: int
    ) -> Resolved:
        found = self.project.import_file(rel, b)
        if found is None:
            for k in range(len(path), 0, -1):
                hit = self._external(b, path[1:k], "exports")
                if hit is not None:
                    return self._members(Resolved(frozenset({hit})), path[k:])
            return UNKNOWN
        target, is_module = found
        namespace = is_module or (code.language == "js" and b.imported == "*")
        if namespace:
            if len(path) < 2:
                return NOTHING
            name, rest = path[1], path[2:]
        else:
            name = b.imported if b.imported not in (None, "*") else "default"
            rest = path[1:]
        exported = self.project.exported_value(target, name)
        if exported is None:
            return UNKNOWN
        return self._members(self.receivers(exported[0], exported[1], None, depth + 1), rest)

    def _external(self, b: Binding, members: tuple[str, ...], key: str) -> Receiver | None:
        """A ready-made object (`exports`), constructor, type or base class from a package."""
        module = b.source or ""
        if b.imported in ("*", "default"):
            name = ".".join(members) or "default"
        else:
            name = ".".join((b.imported or "", *members))
        return self._match_external(module, name, key)

    def _match_external(self, module: str, name: str, key: str) -> Receiver | None:
        for api, spec in self.apis.items():
            patterns = spec.get(key)
            if patterns and callee_match((module, name), patterns):
                return Receiver(api)
        return None

    def _binding(self, rel: str, code: CodeFacts, b: Binding, depth: int) -> Resolved:
        return self._remembered(
            ("b", rel, b.id), lambda: self._binding_uncached(rel, code, b, depth)
        )

    def _remembered(self, key: tuple, work: Callable[[], Resolved]) -> Resolved:
        """`work()`, remembered as `analysis/searches.py` says; a binding that leads back to
        itself is UNKNOWN there."""
        return self.project.searches.answer(("receiver", *key), work, UNKNOWN)

    def _binding_uncached(self, rel: str, code: CodeFacts, b: Binding, depth: int) -> Resolved:
        if b.kind == "param":
            return self._parameter(rel, code, b, depth)
        if b.kind == "class":
            return self._class(rel, code, b, depth)
        if b.kind == "loop":
            return self._loop_item(rel, code, b, depth)
        if b.kind not in ("const", "let", "var", "assign", "global"):
            return NOTHING
        out = (
            self.receivers(rel, b.value, b.function, depth + 1) if b.value is not None else NOTHING
        )
        for a in code.assigns:  # lazy singletons: `if (!db) db = new PrismaClient()`
            if a.binding == b.id and a.op in ("=", "??=", "||=") and len(a.target) == 1:
                out = out | self.receivers(rel, a.value, a.function, depth + 1)
        return out

    def _parameter(self, rel: str, code: CodeFacts, b: Binding, depth: int) -> Resolved:
        if b.type_text:
            typed = self._type(rel, code, b.type_text, b.function, depth)
            if typed.receivers:
                return typed
        fn = code.functions[b.function] if b.function is not None else None
        if fn is None or fn.call is None or not fn.params or fn.params[0] != b.name:
            return UNKNOWN
        runner = code.calls[fn.call]  # prisma.$transaction(async (tx) => …)
        found = self._object_of(rel, code, runner, depth)
        keep = {r for r in found.receivers if runner.name in self.apis[r.api].get("callbacks", ())}
        return Resolved(frozenset(keep)) if keep else UNKNOWN

    def _loop_item(self, rel: str, code: CodeFacts, b: Binding, depth: int) -> Resolved:
        """`for order in orders` with `orders: list[Order]`: each item is an Order row."""
        for loop in code.loops:
            if loop.function != b.function or b.name not in loop.targets or len(loop.targets) != 1:
                continue
            if not (loop.span.line <= b.span.line <= loop.span.end_line):
                continue
            it = loop.iterable
            if not isinstance(it, Ref) or len(it.path) != 1:
                return NOTHING
            holder = code.lookup(it.path[0], loop.function)
            element = _element_type(holder.type_text) if holder and holder.type_text else None
            if element is None:
                return NOTHING
            return self._type(rel, code, element, loop.function, depth + 1)
        return NOTHING

    def _attribute(
        self, rel: str, code: CodeFacts, function: int | None, name: str, depth: int
    ) -> Resolved:
        """`this.repo` / `self.session`: a typed constructor parameter or what __init__ stores."""
        cls = next((f.class_name for f in code.enclosing_functions(function) if f.class_name), None)
        if cls is None:
            return UNKNOWN
        out = NOTHING
        for f in code.functions:
            if f.class_name != cls:
                continue
            if f.name in ("constructor", "__init__"):
                b = code.scopes.get(f.id, {}).get(name)
                if b is not None and code.bindings[b].kind == "param":
                    out = out | self._parameter(rel, code, code.bindings[b], depth + 1)
        for a in code.assigns:
            if a.target == ("self", name) or a.target == ("this", name):
                fn = code.functions[a.function] if a.function is not None else None
                if fn is not None and fn.class_name == cls and a.value is not None:
                    out = out | self.receivers(rel, a.value, a.function, depth + 1)
        return out if out.receivers else UNKNOWN

    def _type(
        self, rel: str, code: CodeFacts, text: str, function: int | None, depth: int
    ) -> Resolved:
        """`tx: Prisma.TransactionClient`, `session: AsyncSession`, `db: typeof db`,
        `order: "Order" | None`. Only the type itself counts, not what a container holds:
        `dict[str, Webhook]` is not a Webhook."""
        if text.startswith("typeof "):
            name = _IDENT.match(text[7:].strip())
            return (
                self.receivers(rel, Ref(tuple(name.group(0).split("."))), function, depth + 1)
                if name
                else UNKNOWN
            )
        for head in _type_heads(text):
            found = self._type_name(rel, code, tuple(head.split(".")), function, depth + 1)
            if found.receivers:
                return found
        return UNKNOWN

    def _type_name(
        self, rel: str, code: CodeFacts, path: tuple[str, ...], function: int | None, depth: int
    ) -> Resolved:
        if depth > MAX_DEPTH:
            self.project.searches.cut()
            return NOTHING
        b = code.lookup(path[0], function)
        if b is None:
            return NOTHING
        if b.kind == "class":
            return _instances(self._class(rel, code, b, depth))
        if b.kind in ("import", "type"):
            found = self.project.import_file(rel, replace(b, kind="import"))
            if found is None:
                hit = self._external(b, path[1:], "types")
                return Resolved(frozenset({hit})) if hit is not None else NOTHING
            target, is_module = found
            name = path[1] if is_module and len(path) > 1 else (b.imported or "default")
            exported = self.project.exported_value(target, name)
            tcode = self.project.code(exported[0]) if exported is not None else None
            if tcode is None or not isinstance(exported[1], Ref):
                return NOTHING
            return self._type_name(exported[0], tcode, exported[1].path, None, depth + 1)
        if b.kind == "class":
            return _instances(self._class(rel, code, b, depth))
        if isinstance(b.value, CallResult):  # AsyncSession = NewType("AsyncSession", _AsyncSession)
            call = code.calls[b.value.call]
            if call.name == "NewType" and len(call.args) > 1 and isinstance(call.args[1], Ref):
                return self._type_name(rel, code, call.args[1].path, b.function, depth + 1)
        if isinstance(b.value, Ref):
            return self._type_name(rel, code, b.value.path, b.function, depth + 1)
        return NOTHING

    def _class(self, rel: str, code: CodeFacts, b: Binding, depth: int) -> Resolved:
        """A model class: Django `models.Model`, Sequelize `Model`, TypeORM `BaseEntity`,
        Flask-SQLAlchemy `db.Model`, or a subclass of a project class that is one."""
        out: set[Receiver] = set()
        for cls in code.classes:
            if cls.name != b.name or cls.function != b.function:
                continue
            for base in cls.bases:
                if not isinstance(base, Ref):
                    continue
                r = self._base(rel, code, base, cls.function, depth)
                if r is not None:
                    out.add(Receiver(r.api, cls.name, r.confidence))
        return Resolved(frozenset(out))

    def _base(
        self, rel: str, code: CodeFacts, base: Ref, function: int | None, depth: int
    ) -> Receiver | None:
        rb = code.lookup(base.path[0], function)
        if rb is not None and rb.kind == "import" and self.project.import_file(rel, rb) is None:
            return self._external(rb, base.path[1:], "bases")
        found = self.receivers(rel, base, function, depth + 1)
        for r in found.receivers:
            spec = self.apis[r.api]
            if (r.model is not None and spec.get("bases")) or spec.get("model-base"):
                return r
        return None

    def _call_result(self, rel: str, code: CodeFacts, call: Call, depth: int) -> Resolved:
        return self._remembered(
            ("c", rel, call.id), lambda: self._call_result_uncached(rel, code, call, depth)
        )

    def _call_result_uncached(self, rel: str, code: CodeFacts, call: Call, depth: int) -> Resolved:
        made = self.project.construction_at(rel, call.id)
        if made is not None:
            api = self.client_api.get(made.id)
            return Resolved(frozenset({Receiver(api, client=made.id)})) if api else NOTHING
        ext = external_callee(code, call)
        if ext is not None:
            hit = self._match_external(ext[0], ext[1], "constructors")
            if hit is not None:
                return Resolved(frozenset({hit}))
        out = NOTHING
        obj = self._object_of(rel, code, call, depth)
        step = (
            TEMPLATE
            if call.template
            else (SELF_CALL if call.path and len(call.path) == 1 else call.name)
        )
        for r in obj.receivers:
            spec = self.apis[r.api]
            if step in self.calls.get(r.api, ()) or step in self.batch.get(r.api, ()):
                continue  # rows, not a receiver
            if spec.get("mode") in ("await", "run") and call.awaited:
                continue
            if step == SELF_CALL and r.model is not None and spec.get("bases"):
                r = replace(r, instance=True)  # Order(…): a new row
            elif r.instance:
                continue  # a method of a row returns something else
            out = out | Resolved(frozenset({r}))
        target = self.project.callgraph.target(rel, call)
        if target is not None:
            frel, fid = target
            returned = self.project.code(frel).returned_values(fid)
            for v in returned:
                out = out | self.receivers(frel, v, fid, depth + 1)
            if not returned:
                out = out | UNKNOWN
        if not out.receivers and not obj.receivers:
            for arg in call.args:  # remember("prisma", () => new PrismaClient())
                if isinstance(arg, FnValue):
                    for v in code.returned_values(arg.function):
                        out = out | self.receivers(rel, v, arg.function, depth + 1)
            if not out.receivers and (obj.unknown or ext is not None):
                out = out | UNKNOWN
        return out

    def _object_of(self, rel: str, code: CodeFacts, call: Call, depth: int) -> Resolved:
        """The receivers of the object a call is made on: `pool` in `pool.connect()`, the
        result of `select()` in `db.select().from()`, `knex` itself in `knex("users")`."""
        if call.receiver is not None:
            return self._call_result(rel, code, code.calls[call.receiver], depth + 1)
        if call.path is None:
            return UNKNOWN
        base = call.path if len(call.path) == 1 else call.path[:-1]
        return self.receivers(rel, Ref(base), call.function, depth + 1)


# ── helpers over one file ──


TRANSPARENT_TYPES = frozenset(
    {"Optional", "Annotated", "Readonly", "NonNullable", "Omit", "Pick", "Partial", "Required",
     "Awaited", "Final", "ClassVar", "type", "Type"}
)  # fmt: skip


def _type_heads(text: str) -> list[str]:
    """The types a declared type may be: `Optional["Order"]` → Order, `Session | None` →
    Session, `Omit<PrismaClient, "$on">` → PrismaClient; `list[Order]` → list."""
    out = []
    for part in _split_top(text, "|"):
        part = part.strip().strip("\"'").strip()
        m = _IDENT.match(part)
        if m is None:
            continue
        head = m.group(0)
        rest = part[m.end() :].strip()
        if head in TRANSPARENT_TYPES and rest[:1] in ("[", "<"):
            inner = _split_top(rest[1:-1], ",")
            out.extend(_type_heads(inner[0]) if inner else [])
        elif head not in ("None", "null", "undefined"):
            out.append(head)
    return out


def _split_top(text: str, sep: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "[<(":
            depth += 1
        elif ch in "]>)":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


_CONTAINERS = frozenset(
    {"list", "List", "Iterable", "Sequence", "set", "Set", "frozenset", "tuple", "Tuple",
     "Iterator", "Collection", "QuerySet", "Array", "ReadonlyArray"}
)  # fmt: skip


def _element_type(text: str) -> str | None:
    """`list[Order]` → Order, `Order[]` → Order, `Array<Post>` → Post."""
    text = text.strip()
    if text.endswith("[]"):
        return text[:-2]
    m = _IDENT.match(text)
    if m is None or m.group(0) not in _CONTAINERS:
        return None
    rest = text[m.end() :].strip()
    if rest[:1] not in ("[", "<") or len(rest) < 3:
        return None
    inner = _split_top(rest[1:-1], ",")
    return inner[0].strip() if inner else None


def _instances(found: Resolved) -> Resolved:
    """A parameter typed with a model class holds one row of it."""
    return Resolved(frozenset(replace(r, instance=True) for r in found.receivers), found.unknown)


def _evaluated_calls(code: CodeFacts) -> set[int]:
    """Calls whose result is iterated or listed (`for o in qs`, `list(qs)`): a Django queryset
    runs there."""
    out = set()
    for loop in code.loops:
        it = loop.iterable
        if isinstance(it, Ref) and len(it.path) == 1:
            b = code.lookup(it.path[0], loop.function)
            it = b.value if b is not None and b.kind in ("assign", "const") else None
        if isinstance(it, CallResult):
            out.add(it.call)
    for call in code.calls:
        if call is None or not call.args or not isinstance(call.args[0], CallResult):
            continue
        if call.path is not None and len(call.path) == 1 and call.path[0] in EVALUATING_BUILTINS:
            out.add(call.args[0].call)
        elif isinstance(call.kwarg("many"), Const) and call.kwarg("many").value is True:
            out.add(call.args[0].call)  # a DRF serializer given the whole queryset
    return out


def _handed_on(code: CodeFacts, end: Call) -> bool:
    """A builder that runs although not awaited here: returned to the caller, or given to
    `Promise.all`."""
    if end.function is not None:
        returned = code.returned_values(end.function)
        if any(isinstance(v, CallResult) and v.call == end.id for v in returned):
            return True
    if end.parent is not None:
        return code.calls[end.parent].name in ("all", "allSettled", "race", "any")
    return False


def _inside_template(code: CodeFacts, call: Call) -> bool:
    parent = code.calls[call.parent] if call.parent is not None else None
    return parent is not None and parent.template


def _sql_write(call: Call) -> bool:
    first = call.args[0] if call.args else None
    return isinstance(first, Str) and bool(_SQL_WRITE.match(first.value))


def _chain_text(chain: list[Call], at: int) -> str:
    """`prisma.user.findUnique`, `supabase.from("posts").select("*")`,
    `db.select().from(lines)`, sql`…`: the chain up to the query call, with the arguments
    that name a table or column, and the call after it when the query call names nothing."""
    head = chain[0]
    parts = [re.sub(r"\s+\.", ".", head.text) + ("`…`" if head.template else "")]
    for i in range(1, at + 1):
        parts.append(f"({_short_args(chain[i - 1])}).{chain[i].name}")
    method = chain[at]
    shown = _short_args(method)
    if not method.args and at + 1 < len(chain):
        parts.append(f"().{chain[at + 1].name}({_short_args(chain[at + 1])})")
    elif shown.strip("…, ") and not method.template:
        parts.append(f"({shown})")
    return "".join(parts)


def _short_args(call: Call) -> str:
    if call.template:
        return ""
    out = []
    if not call.args and call.kwargs:
        return "…"
    for a in call.args[:2]:
        if isinstance(a, Ref) and len(a.path) <= 3:
            out.append(".".join(a.path))
        elif isinstance(a, Str) and not a.template and len(a.value) <= 24:
            out.append(f'"{a.value}"')
        else:
            out.append("…")
    return ", ".join(out)


def names_in(value: Value | None) -> set[str]:
    """The variable names a value reads: `{ skip: page * size }` → {"page", "size"}."""
    out: set[str] = set()
    for v in walk_values(value):
        if isinstance(v, Ref):
            out.add(v.path[0])
        elif isinstance(v, Unknown | Str):
            text = v.text if isinstance(v, Unknown) else v.value if v.template else ""
            out.update(m.split(".")[0] for m in _IDENT.findall(text))
        elif isinstance(v, Obj):
            continue
    return out
