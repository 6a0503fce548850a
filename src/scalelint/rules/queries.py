"""SL3 — queries.

A page that lists twenty posts and then asks the database for each post's author makes
twenty-one round trips, each holding one of the few pooled connections an instance has. At
fifty concurrent users the pool runs dry and requests queue until they time out; over an HTTP
driver, which holds no connection, each is a network round trip of its own. SL301 finds
the query that runs once per item — directly, through a helper the loop calls, or through a
Django relation touched on each row — and stays silent on the loops where a query per turn is
right: paging through a table, one query per chunk of ids, retrying, polling, a handful of
literal items, and Prisma's same-tick `findUnique` batching. SL302 finds list queries in
request handlers with nothing bounding how many rows come back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from scalelint.analysis.iteration import (
    PerItem,
    fan_out,
    in_loop,
    literal_size,
    loop_calls,
    per_item,
    words_in,
    written_in,
)
from scalelint.analysis.project import Project
from scalelint.analysis.queries import Query, names_in
from scalelint.analysis.values import deref
from scalelint.catalogue import RuleMeta
from scalelint.facts.code import (
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
from scalelint.findings import Finding
from scalelint.rules import report, rule

HOP_DEPTH = 2  # loop → helper → helper → query; deeper chains are mostly conditional
_OBJECT_KEY = re.compile(r"([A-Za-z_$][\w$]*)\s*:")
REQUERYING = ("filter", "exclude", "order_by", "get", "annotate")
RELATION_WRITES = ("add", "set", "remove", "clear", "create")


@rule("SL301")
def query_in_loop(project: Project, meta: RuleMeta) -> Iterator[Finding]:
    """A query per item: a database call inside a loop or per-item callback over data."""
    k = project.knowledge
    for rel, code in project.code_files():
        if not project.context.is_request_path(rel):
            continue
        queries = project.queries
        children = _nested_calls(code)
        direct: dict[tuple, list[tuple[Query, PerItem]]] = {}
        for q in queries.queries_in(rel):
            where = per_item(code, q.call, k, project, rel)
            if where is None or q.batch or _right_loop(project, rel, q, where, children):
                continue
            if q.sql_verb is not None and q.sql_verb not in k["batchable-sql"]:
                continue  # `KILL 42`, `SET …`, `LOCK …`: one per item is the only way
            chain = tuple(code.calls[cid] for cid in q.chain)
            direct.setdefault(_same_on_line(chain, where), []).append((q, where))
        for found in direct.values():
            yield _direct(project, meta, rel, *found[0], times=len(found))
        helpers: dict[tuple, list[tuple]] = {}
        for call in code.calls:
            if call is None or queries.query_at(rel, call.id) is not None:
                continue
            where = per_item(code, call, k, project, rel)
            if where is None:
                continue
            found = _query_behind(project, rel, call, where)
            if found is not None and not _right_loop_for_call(project, rel, call, where, children):
                helpers.setdefault(_same_on_line((call,), where), []).append((call, where, found))
        for same in helpers.values():
            call, where, found = same[0]
            yield _through_helper(project, meta, rel, call, where, *found, times=len(same))
        yield from _lazy_relations(project, meta, rel, code)


def _same_on_line(chain: tuple[Call, ...], where: PerItem) -> tuple:
    """One finding per query on a line: `qs.first().name if qs.first() else None` repeats one
    query, and two identical messages at one place tell the reader nothing the first did not;
    the one finding counts them. The same call with other arguments is another query."""
    return (
        chain[-1].span.line,
        where.span,
        tuple((c.text, c.name, repr(c.args), repr(c.kwargs)) for c in chain),
    )


# ── the finding ──


def _direct(
    project: Project, meta: RuleMeta, rel: str, q: Query, where: PerItem, times: int = 1
) -> Finding:
    code = project.code(rel)
    return report(
        meta,
        rel,
        q.call.span,
        f"{'Iterating ' if q.evaluated else ''}{_code(q.text)}{_written(times)} runs "
        f"{_how_often(code, where, project.knowledge)}: {_count(times)} {q.label} "
        f"{'query' if times == 1 else 'queries'} per item, each {_round_trip(project, q)}.",
        fix=_fix(project, q) + _reuse(times),
        confidence=q.confidence,
    )


def _through_helper(
    project: Project,
    meta: RuleMeta,
    rel: str,
    call: Call,
    where: PerItem,
    reach,
    q: Query,
    times: int = 1,
) -> Finding:
    code = project.code(rel)
    return report(
        meta,
        rel,
        call.span,
        f"`{call.text}(…)`{_written(times)} runs {_how_often(code, where, project.knowledge)}, "
        f"and it queries the database: `{call.text}` → {reach.describe()}. That is "
        f"{_count(times)} {q.label} {'query' if times == 1 else 'queries'} per item.",
        fix=_fix(project, q)
        + f" Give `{call.text}` the whole list instead of one item."
        + _reuse(times),
        confidence=q.confidence,
    )


def _written(times: int) -> str:
    if times == 1:
        return ""
    return f", written {'twice' if times == 2 else f'{times} times'} on this line,"


def _count(times: int) -> str:
    return {1: "one", 2: "two", 3: "three"}.get(times, str(times))


def _reuse(times: int) -> str:
    if times == 1:
        return ""
    return " Also keep the first result in a variable instead of running it again on this line."


def _code(text: str) -> str:
    """Inline code, also for text with a backtick in it (sql`…`)."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _round_trip(project: Project, q: Query) -> str:
    """What one query costs: a pooled connection held for a round trip, unless the client it
    runs on keeps no connection (Drizzle over an HTTP driver) or the API never does (Neon's
    `neon()`, PlanetScale, supabase-js): then a network round trip of its own."""
    k = project.knowledge
    spec = k["query-apis"].get(q.api)
    if spec is None:  # one of the project's own query helpers
        return "a round trip to the database"
    client = next((e for e in k["db-clients"] if e["id"] == q.client), {}) if q.client else {}
    return client.get("round-trip") or spec.get(
        "round-trip", "a round trip holding one of the few pooled connections"
    )


def _how_often(code: CodeFacts, where: PerItem, knowledge: dict) -> str:
    if where.callback is not None:
        fanned = fan_out(code, where.callback, knowledge)
        inside = f"inside `.{where.callback.name}`"
        if fanned is not None:
            return (
                f"once per item of `{where.collection}`, all at once ({inside} under "
                f"`{fanned.text}`)"
            )
        return f"once per item of `{where.collection}` ({inside})"
    loop = where.loop
    if where.iterates:
        return (
            f"once per item of `{where.collection or 'the loop'}` "
            f"({'comprehension' if loop.kind == 'comprehension' else 'loop'} at line "
            f"{loop.span.line})"
        )
    cond = loop.iterable_text or "…"
    return f"on every turn of the loop at line {loop.span.line} (`{cond}`)"


def _fix(project: Project, q: Query) -> str:
    forms = project.knowledge["batched-forms"].get(q.api, {})
    if q.write:
        return f"Write all the rows in one statement: {forms.get('write', 'a batched write')}."
    return (
        f"Load the rows for all items in one query — {forms.get('read', 'one batched query')} "
        f"— and match them to the items in memory."
    )


# ── loops where a query per turn is right ──


def _right_loop(
    project: Project, rel: str, q: Query, where: PerItem, children: dict[int, list[Call]]
) -> bool:
    k = project.knowledge
    code = project.code(rel)
    values = _query_values(code, q.chain, children)
    if _common_silences(project, rel, q.call, where, values, children):
        return True
    if _batched_filter(code, q.chain, values, k):
        return True
    if _collected_for_batch(code, q, k):
        return True
    return q.api == "prisma" and q.unique and _same_tick_batch(code, where, q, code, k)


def _collected_for_batch(code: CodeFacts, q: Query, k: dict) -> bool:
    """`ops.push(prisma.post.update(…))` in the loop and `prisma.$transaction(ops)` after it:
    the queries go out together in one transaction. Only `Promise.all(ops)` (or nothing we
    can see) leaves them per item; an array handed somewhere unknown stays silent. Python
    has no such pending query: `out.append(Line.objects.get(pk=i))` runs it right there, and
    coroutines collected for `asyncio.gather` still run one query per item."""
    if q.call.awaited or q.call.parent is None or code.language == "python":
        return False
    holder = code.calls[q.call.parent]
    if holder.name not in ("push", "unshift", "append") or not holder.path:
        return False
    name = holder.path[0]
    for c in code.calls:
        if c is None or c.id == holder.id or c.function != holder.function:
            continue
        if any(name in names_in(a) for a in c.args):
            return c.name not in k["fan-out-calls"]
    return True


def _right_loop_for_call(
    project: Project, rel: str, call: Call, where: PerItem, children: dict[int, list[Call]]
) -> bool:
    values = _query_values(project.code(rel), (call.id,), children)
    return _common_silences(project, rel, call, where, values, children)


def _common_silences(
    project: Project,
    rel: str,
    call: Call,
    where: PerItem,
    values: list,
    children: dict[int, list[Call]],
) -> bool:
    k = project.knowledge
    code = project.code(rel)
    size = literal_size(project, rel, where)
    if size is not None and size <= k["small-literal-max"]:
        return True
    text = where.collection + " " + " ".join(where.loop.targets if where.loop else ())
    if words_in(text, k["chunk-words"]):
        return True  # one query per chunk of ids
    if where.loop is None:
        return False
    loop = where.loop
    if _returns_from_loop(code, call, loop):
        return True  # `for c in checks: if c.key == key: return flips(c)`: once, not per item
    if _over_tables(values, loop.targets, k):
        return True  # `for model in models: session.execute(delete(model))`: one per table
    written = written_in(code, loop)
    if where.iterates:  # `for (const page of pages) findMany({ skip: page * size })`
        moving = written | set(loop.targets)
        return bool(_paging_names(values, k) & moving)
    if words_in(loop.iterable_text, k["retry-words"]):
        return True
    inside = loop_calls(code, loop)
    if any(c.name in k["sleep-calls"] for c in inside):
        return True  # polling
    return _batch_turns(project, rel, inside, written, children)


def _returns_from_loop(code: CodeFacts, call: Call, loop) -> bool:
    """The call is part of a `return` in the loop's own function: the turn that makes it is
    the last one, so it runs once per call of the function, however many items there are."""
    if loop.kind == "comprehension" or call.function != loop.function:
        return False
    c: Call | None = call
    while c is not None:
        if c.returned:
            return True
        c = code.calls[c.parent] if c.parent is not None else None
    return False


def _paging_names(values: list, k: dict) -> set[str]:
    """The variables a query pages with: `skip: page * size`, `.offset(offset)`,
    `.range(from, to)`, `cursor: { id: last }` — not what it filters on."""
    pages = set(k["pagination-names"])
    out: set[str] = set()
    named: _Named | None = None
    for value in values:
        if isinstance(value, _Named):
            named = value
            continue
        if named is not None and named.name in pages:
            out |= names_in(value)  # the arguments of .offset(…) / .range(…)
        for v in walk_values(value):
            if isinstance(v, Obj):
                for key, item in v.items:
                    if key in pages:
                        out |= names_in(item)
    return out


def _over_tables(values: list, targets: tuple[str, ...], k: dict) -> bool:
    """The loop variable is the table or model the query runs on, not a value it filters by."""
    tables, methods = set(k["table-calls"]), set(k["table-methods"])
    named: _Named | None = None
    for v in values:
        if isinstance(v, _Named):
            named = v
            continue
        takes_table = named is not None and (
            named.name in methods or (named.free and named.name in tables)
        )
        if takes_table and isinstance(v, Ref) and v.path in ((t,) for t in targets):
            return True
        named = None
    return False


def _batch_turns(
    project: Project, rel: str, inside: list[Call], written: set[str], children
) -> bool:
    """A `while`/`do`/`for (;;)` loop whose turns are pages or batches, not items: a call in
    it takes a page (`take`, `limit`, `cursor`, `.range()`), reads what the last turn wrote
    (`skip += take`, `cursor = rows.at(-1).id`, `hasMore = …`), or writes many rows at once
    (`updateMany({ where: { id: { in: ids } } })`)."""
    k = project.knowledge
    code = project.code(rel)
    for call in inside:
        values = _query_values(code, (call.id,), children)
        read = set().union(*(names_in(v) for v in values)) if values else set()
        if read & written or _mentions(values, k["pagination-names"]):
            return True
        q = project.queries.query_at(rel, call.id)
        if q is not None and (q.batch or _batched_filter(code, q.chain, values, k)):
            return True
    return False


def _batched_filter(code: CodeFacts, chain: tuple[int, ...], values: list[Value], k: dict) -> bool:
    """`where: { id: { in: chunk } }`, `inArray(…)`, `.in("id", …)`, `= ANY($1)`, `id__in=`."""
    names = set(k["range-filter-names"])
    if any(code.calls[cid].name in names for cid in chain):
        return True
    return _mentions(values, names, sql=True)


def _mentions(values: list[Value], names, sql: bool = False) -> bool:
    names = set(names)
    for value in values:
        for v in walk_values(value):
            if isinstance(v, Obj) and any(k in names or k.endswith("__in") for k, _ in v.items):
                return True
            if isinstance(v, Str) and (v.value in names or (sql and _sql_in_list(v.value))):
                return True
            if isinstance(v, _Named) and v.name in names:
                return True
    return False


def _sql_in_list(text: str) -> bool:
    upper = " ".join(text.upper().split())
    return "= ANY(" in upper or " IN (" in upper or " IN ${" in upper or " IN $" in upper


def _same_tick_batch(
    code: CodeFacts, where: PerItem, q: Query, q_code: CodeFacts, k: dict, entry: Call | None = None
) -> bool:
    """Prisma batches `findUnique` calls issued in the same tick with scalar `where`s into one
    query: `Promise.all(ids.map((id) => prisma.user.findUnique({ where: { id } })))`. `code`
    holds the `.map`, `q_code` the query (the same file, or a helper's); `entry` is the call in
    the callback that leads to a helper's query."""
    if where.callback is None or fan_out(code, where.callback, k) is None:
        return False
    if entry is not None and _awaits_before(code, entry):
        return False
    args = q.method.args[0] if q.method.args else None
    where_arg = args.get("where") if isinstance(args, Obj) else None
    if not isinstance(where_arg, Obj) or where_arg.spread:
        return False
    for _, v in where_arg.items:  # scalars, or a compound unique of scalars
        if isinstance(v, CallResult):
            return False
        if isinstance(v, Obj) and any(isinstance(x, Obj | CallResult) for _, x in v.items):
            return False
    return not _awaits_before(q_code, q.call)


def _awaits_before(code: CodeFacts, call: Call) -> bool:
    """Something is awaited earlier in the same function: the call runs in a later tick."""
    at = (call.span.line, call.span.col)
    return any(
        c is not None
        and c.function == call.function
        and c.awaited
        and c.id != call.id
        and (c.span.line, c.span.col) < at
        for c in code.calls
    )


# ── what a query reads ──


class _Named:
    """A call's name, seen among the query's values: `inArray(…)` inside `.where(…)`;
    `free` when it is a plain function (`update(Model)`), not a method (`repo.update(id)`)."""

    __slots__ = ("free", "name")

    def __init__(self, name: str, free: bool = False) -> None:
        self.name = name
        self.free = free


def _nested_calls(code: CodeFacts) -> dict[int, list[Call]]:
    out: dict[int, list[Call]] = {}
    for c in code.calls:
        if c is not None and c.parent is not None:
            out.setdefault(c.parent, []).append(c)
    return out


def _related_calls(
    code: CodeFacts, chain: tuple[int, ...], children: dict[int, list[Call]]
) -> list[int]:
    """The calls of a query: its chain, the calls nested in their arguments, and the chain a
    statement variable was built with (`stmt = select(User).where(…)`; `session.execute(stmt)`)."""
    out: list[int] = []
    stack = list(chain)
    if chain:  # qs = Model.objects.all(); …; qs = qs.filter(id__in=ids): the later refinements
        end = chain[-1]
        for b in code.bindings:
            if b.value == CallResult(end) and b.kind in ("const", "let", "assign"):
                stack.extend(
                    a.value.call
                    for a in code.assigns
                    if a.binding == b.id and isinstance(a.value, CallResult)
                )
    seen: set[int] = set()
    while stack and len(seen) < 80:
        cid = stack.pop()
        if cid in seen:
            continue
        seen.add(cid)
        out.append(cid)
        call = code.calls[cid]
        if call.receiver is not None:
            stack.append(call.receiver)
        stack.extend(child.id for child in children.get(cid, ()))
        names = [a.path[0] for a in call.args if isinstance(a, Ref) and len(a.path) == 1]
        if call.receiver is None and call.path is not None and len(call.path) >= 2:
            names.append(call.path[0])  # qs = qs.filter(id__in=ids); qs.iterator()
        for name in names:
            b = code.lookup(name, call.function)
            if b is None or b.kind not in ("const", "let", "assign"):
                continue
            if isinstance(b.value, CallResult):
                stack.append(b.value.call)
            for a in code.assigns:
                if a.binding == b.id and isinstance(a.value, CallResult):
                    stack.append(a.value.call)
    return out


def _query_values(code: CodeFacts, chain: tuple[int, ...], children: dict[int, list[Call]]) -> list:
    """The arguments of every call of the query (chain, nested calls, statement variables),
    with each call's name as a `_Named` marker."""
    out: list = []
    for cid in _related_calls(code, chain, children):
        call = code.calls[cid]
        free = call.path is not None and len(call.path) == 1
        out.append(_Named(call.name, free))  # first: the call's own arguments follow it
        out.extend(call.args)
        out.extend(_spread_values(code, call))
        out.extend(v for _, v in call.kwargs)
        out.extend(Obj(((key, Const(None)),)) for key, _ in call.kwargs)
    return out


def _spread_values(code: CodeFacts, call: Call) -> list[Value]:
    """`filter(**lookup)` / `find({...where})` with `lookup = {"id__in": ids}` written above."""
    out: list[Value] = []
    for a in call.args:
        if isinstance(a, Unknown) and a.text.startswith(("**", "...")):
            b = code.lookup(a.text.lstrip("*.").strip(), call.function)
            if b is not None and isinstance(b.value, Obj):
                out.append(b.value)
    return out


# ── helpers the loop calls ──


def _query_behind(project: Project, rel: str, call: Call, where: PerItem):
    """The first query a project function called per item runs (not in a loop of its own:
    that one is reported where it is)."""
    code = project.code(rel)
    target = project.callgraph.target(rel, call)
    if target is None:
        return None
    k = project.knowledge
    for reach in project.callgraph.reachable(target[0], target[1], HOP_DEPTH):
        q = project.queries.query_at(reach.rel, reach.call.id)
        if q is None or q.call.id != reach.call.id or q.batch:
            continue
        if not _runs_on_the_way(project, target, reach, k):
            continue
        if _memoized_on_the_way(project, target, reach, k):
            continue  # @cache.memoize() get_config(key): served from the cache, not the database
        inner = project.code(reach.rel)
        if per_item(inner, q.call, k, project, reach.rel) is not None:
            continue
        values = _query_values(inner, q.chain, _nested_calls(inner))
        if _batched_filter(inner, q.chain, values, k):
            continue  # the helper takes a list: `filter(id__in=ids)`
        if q.api == "prisma" and q.unique and _same_tick_batch(code, where, q, inner, k, call):
            continue
        return reach, q
    return None


def _runs_on_the_way(project: Project, target, reach, k: dict) -> bool:
    """Each hop runs when its function runs: not inside a method of an object the function
    returns (`createRateLimit()` returns `{ check() { … query … } }`), nor in a deferred
    callback."""
    entered = target
    for rel, call in (*reach.chain, (reach.rel, reach.call)):
        if not _runs_when_called(project.code(rel), call, entered[1], k):
            return False
        entered = project.callgraph.target(rel, call) or entered
    return True


def _memoized_on_the_way(project: Project, target, reach, k: dict) -> bool:
    names = set(k["memoizing-decorators"])
    hops = [target]
    for rel, call in reach.chain:
        nxt = project.callgraph.target(rel, call)
        if nxt is not None:
            hops.append(nxt)
    for rel, fid in hops:
        for d in project.code(rel).functions[fid].decorators:
            value = project.code(rel).calls[d.call] if isinstance(d, CallResult) else d
            path = value.path if isinstance(value, Call | Ref) else None
            if path and path[-1] in names:
                return True
    return False


def _runs_when_called(code: CodeFacts, call: Call, fid: int, k: dict) -> bool:
    f = call.function
    while f is not None and f != fid:
        fn = code.functions[f]
        if fn.call is None or code.calls[fn.call].name in k["deferring-calls"]:
            return False
        f = fn.parent
    return True


# ── Django: relations touched on each row ──


def _lazy_relations(
    project: Project, meta: RuleMeta, rel: str, code: CodeFacts
) -> Iterator[Finding]:
    if code.language != "python" or not code.reads:
        return
    relations = project.queries.django_relations
    seen: set[tuple] = set()  # (function, queryset variable, relation) already reported
    for loop in code.loops:
        if len(loop.targets) != 1:
            continue
        qs = _queryset(project, rel, code, loop)
        if qs is None:
            continue
        q, selected, prefetched, all_fks = qs
        item = loop.targets[0]
        reported: set[str] = set()
        for read in code.reads:
            if read.path[0] != item or read.function != loop.function:
                continue
            if not in_loop(code, read.loop, loop.id) or read.path[1] in reported:
                continue
            r = relations.get(q.model, read.path[1])
            if r is None or _covered(r, read.path, selected, prefetched, all_fks):
                continue
            if _combined(project, q, r, read):
                continue
            reported.add(r.attr)
            if _read_before(seen, loop, r.attr):
                continue
            shown = ".".join(read.path[:3] if r.many else read.path[:2])
            writes = r.many and len(read.path) > 2 and read.path[2] in RELATION_WRITES
            if writes:
                what, fix = (
                    "writes to the relation",
                    f"Collect the rows and write them once: `{r.model}.{r.attr}.through"
                    f".objects.bulk_create([...])`, or `bulk_create` on {r.target}.",
                )
            else:
                helper = "prefetch_related" if r.many else "select_related"
                what = "loads the related rows" if r.many else "loads the related row"
                fix = (
                    f'Add `.{helper}("{r.attr}")` to the queryset the loop runs over; Django '
                    f"then loads them for all items in "
                    f"{'one extra query' if r.many else 'the same query'}."
                )
            yield report(
                meta,
                rel,
                read.span,
                f"`{shown}` {what} (`{r.model}.{r.attr}` → {r.target}, {r.declared}) with its "
                f"own query for each item of `{loop.iterable_text}`: Django relations are lazy.",
                fix=fix,
                confidence="medium",
            )


def _combined(project: Project, q: Query, r, read) -> bool:
    """`qs = qs | row.products.all()`: the relation's queryset is only joined into another
    one, which runs once wherever it is used — not on this row."""
    if not r.many or len(read.path) < 3:
        return False
    lazy = project.queries.lazy_calls.get(q.api, set())
    combines = project.knowledge["query-apis"][q.api].get("combines", ())
    return read.path[2] in lazy and read.operator in combines


def _read_before(seen: set[tuple], loop, attr: str) -> bool:
    """A second loop over the same queryset variable walks the rows the first one loaded —
    a queryset keeps its rows once iterated, and each row keeps the relation it fetched — and
    the one `select_related` that fixes the first loop fixes both: report the first only."""
    it = loop.iterable
    if not (isinstance(it, Ref) and len(it.path) == 1):
        return False  # `for o in Order.objects.filter(…)`: a new queryset each time
    key = (loop.function, it.path[0], attr)
    if key in seen:
        return True
    seen.add(key)
    return False


def _queryset(project: Project, rel: str, code: CodeFacts, loop):
    """The Django query a loop iterates, and the relations it already loads."""
    it = loop.iterable
    extra: list[int] = []
    if isinstance(it, Ref) and len(it.path) == 1:
        b = code.lookup(it.path[0], loop.function)
        if b is None or b.kind not in ("assign", "const"):
            return None
        it = b.value
        for a in code.assigns:  # qs = qs.select_related("customer")
            if a.binding == b.id and isinstance(a.value, CallResult):
                extra.append(a.value.call)
    if not isinstance(it, CallResult):
        return None
    q = project.queries.query_at(rel, it.call)
    if q is None or q.api != "django" or q.model is None or q.related:
        return None  # (a row's relation may come prefetched from the caller)
    selected, prefetched, all_fks = set(), set(), False
    for cid in (*q.chain, *_receiver_chain(code, extra)):
        call = code.calls[cid]
        if call.name in ("values", "values_list"):
            return None  # rows are dicts or tuples: no relations to touch
        if call.name in ("select_related", "prefetch_related"):
            found = _lookups(code, call)
            if found is None:
                return None  # select_related(*fields): what it covers is not written here
            if call.name == "select_related":
                all_fks = all_fks or not call.args
                selected.update(found)
            else:
                prefetched.update(found)
    return q, selected, prefetched, all_fks


def _receiver_chain(code: CodeFacts, ends: list[int]) -> list[int]:
    """Every call of the chains ending at `ends`: `qs.select_related("a").only("b")`."""
    out = []
    for cid in ends:
        while cid is not None and len(out) < 100:
            out.append(cid)
            cid = code.calls[cid].receiver
    return out


def _lookups(code: CodeFacts, call: Call) -> set[str] | None:
    """The relations named in `select_related("a", "b__c")` / `prefetch_related(Prefetch("d"))`,
    or None when they are not written out (`*fields`, a variable)."""
    out = set()
    for a in call.args:
        if isinstance(a, CallResult):  # Prefetch("lines", queryset=…)
            inner = code.calls[a.call]
            a = inner.args[0] if inner.args else None
        if not isinstance(a, Str) or a.template:
            return None
        out.add(a.value)
    return out


def _covered(
    r, path: tuple[str, ...], selected: set[str], prefetched: set[str], all_fks: bool
) -> bool:
    lookups = selected | prefetched
    if any(x == r.attr or x.startswith(r.attr + "__") for x in lookups):
        # filtering a prefetched relation queries again
        return not (r.many and len(path) > 2 and path[2] in REQUERYING)
    return all_fks and not r.many


# ── SL302: list queries with no bound ──


@rule("SL302")
def unbounded_list_query(project: Project, meta: RuleMeta) -> Iterator[Finding]:
    """A list query in a request handler that nothing limits: every row comes back."""
    table = project.knowledge["list-queries"]
    for rel, code in project.code_files():
        if not project.context.is_request_path(rel):
            continue
        children = _nested_calls(code)
        for q in project.queries.queries_in(rel):
            spec = table.get(q.api)
            if spec is None or q.write or q.batch:
                continue
            handler = project.handler_of(rel, q.call.function)
            if handler is None or not _lists_every_row(project, code, q, spec, children):
                continue
            yield report(
                meta,
                rel,
                q.call.span,
                f"`{q.text}` in {handler.describe()} returns every matching row: nothing limits "
                f"it, so the response, the memory it takes and the query time grow with the table.",
                fix=spec["fix"],
            )


def _lists_every_row(project: Project, code: CodeFacts, q: Query, spec: dict, children) -> bool:
    """A list query with no limit, no unique key and no owner's key in its filter."""
    head = code.calls[q.chain[0]]
    at = q.chain.index(q.method.id)
    words = [*(head.path or ()), *(code.calls[cid].name for cid in q.chain)]
    after = {code.calls[cid].name for cid in q.chain[at:]} | _consumers(code, q)
    if q.evaluated:
        if not spec.get("evaluated"):
            return False
    elif q.method.name not in spec.get("calls", ()):
        return False
    related = _related_calls(code, q.chain, children)
    names = {code.calls[cid].name for cid in related} | set(words)
    if spec.get("statement") and not names & set(spec["statement"]):
        return False  # raw SQL text, or a statement built elsewhere
    if names & set(spec.get("bounded-by", ())) or names & set(spec.get("not-list", ())):
        return False
    if after & set(spec.get("single", ())):
        return False
    if spec.get("list-ends") and not after & set(spec["list-ends"]):
        return False
    if names & set(spec.get("aggregates", ())):
        return False
    for i, arg in enumerate(q.method.args):
        if isinstance(arg, Obj) and (arg.spread or set(arg.keys()) & set(spec.get("options", ()))):
            return False
        if i == 0 and q.method.name in spec.get("object-calls", ()) and not isinstance(arg, Obj):
            return False  # findMany(args): the options are built elsewhere
    keys = project.knowledge["list-query-key-names"]
    filters = _filter_values(code, q, spec, related, children)
    if any(isinstance(v, Obj) and v.spread for v in filters):
        return (
            False  # where: { ...(slug ? { slug } : { ownerId }) }: built from parts we cannot see
        )
    return not _keyed(project, q, filters, keys)


def _consumers(code: CodeFacts, q: Query) -> set[str]:
    """What the code does with the result when it is kept in a variable first:
    `result = await session.execute(stmt); return result.scalars().all()`."""
    out = set()
    for b in code.bindings:
        if b.function == q.call.function and b.value == CallResult(q.call.id):
            for c in code.calls:
                if c is not None and c.path and c.path[0] == b.name and c.function == b.function:
                    out.add(c.name)
                    nxt = c
                    while True:
                        users = [x for x in code.calls if x is not None and x.receiver == nxt.id]
                        if not users:
                            break
                        nxt = users[0]
                        out.add(nxt.name)
            for loop in code.loops:
                if loop.iterable == Ref((b.name,)):
                    out.add("all")
    return out


def _filter_values(
    code: CodeFacts, q: Query, spec: dict, related: list[int], children
) -> list[Value]:
    """The values a query filters on: Prisma's `where`, or the arguments of `.where()`,
    `.eq()`, `.filter()`, `.filter_by()` and what is nested in them."""
    out: list[Value] = []
    option = spec.get("where-option")
    opts = q.method.args[0] if q.method.args else None
    where = opts.get(option) if option and isinstance(opts, Obj) else None
    where = deref(code, where, q.method.function)  # findMany({ where }) with `const where = {…}`
    if isinstance(where, CallResult):
        out.extend(_query_values(code, (where.call,), children))
    elif isinstance(where, FnValue):  # where: (t, { eq }) => eq(t.userId, id)
        inner = tuple(c.id for c in code.calls if c is not None and c.function == where.function)
        out.extend(_query_values(code, inner, children))
    elif where is not None:
        out.append(where)
    filters = set(spec.get("filters", ()))
    picked = tuple(cid for cid in related if code.calls[cid].name in filters)
    return out + _query_values(code, picked, children)


def _keyed(project: Project, q: Query, values: list, keys: list[str]) -> bool:
    """Filtered by a primary or foreign key (`where: { userId }`, `eq(t.orgId, id)`,
    `.eq("user_id", id)`, `filter(order=order)`, `Model.user_id == x`): one owner's rows."""
    relations = project.queries.django_relations if q.api == "django" else None
    for value in values:
        for v in walk_values(value):
            if isinstance(v, Obj):
                for key, _ in v.items:
                    if _key_like(key, keys) or (relations and _forward_fk(relations, q.model, key)):
                        return True
            elif isinstance(v, Ref) and len(v.path) >= 2 and _key_like(v.path[-1], keys):
                return True  # eq(users.id, …)
            elif isinstance(v, Str) and not v.template and _key_like(v.value, keys):
                return True  # .eq("user_id", …)
            elif isinstance(v, Unknown) and _compares_key(v.text, keys):
                return True  # Model.user_id == user.id, or a filter nested too deep to keep
            elif isinstance(v, _Named) and v.name in ("in_", "inArray", "in", "whereIn"):
                return True
    return False


def _key_like(name: str, keys: list[str]) -> bool:
    base = name.split("__")[0]
    return base in keys or base.endswith(("Id", "_id", "ID")) or name in ("in", "$in")


def _compares_key(text: str, keys: list[str]) -> bool:
    if "==" in text:
        left = text.split("==")[0].strip()
        return _key_like(left.rsplit(".", 1)[-1], keys)
    return any(_key_like(m, keys) for m in _OBJECT_KEY.findall(text))  # `{ userId: x }`


def _forward_fk(relations, model: str | None, key: str) -> bool:
    r = relations.get(model, key.split("__")[0])
    return r is not None and not r.many
