"""SL2 — pool and client lifecycle.

The seeds' central failure: each serverless instance opens its own pool until Postgres
answers `FATAL: sorry, too many clients already`. Whether a pool is right depends on where
the code runs and on what the project does with the pool after making it, so these rules
read the pool facts (analysis/pools.py: scope, size, and every place the pool is attached,
listened to or closed, across files) and the platform of the file that makes it.
"""

from __future__ import annotations

from collections.abc import Iterator

from scalelint.analysis.pools import PoolFact, PoolSize
from scalelint.analysis.project import Project
from scalelint.catalogue import RuleMeta
from scalelint.context import Platform, ResolvedUrl
from scalelint.facts.code import Call, CallResult, CodeFacts, Ref, walk_values
from scalelint.findings import Finding
from scalelint.rules import report, rule

NO_CONNECTIONS = ("http", "unknown")


def _kept_where(fact: PoolFact) -> str:
    if fact.scope == "module":
        return "at module scope" if fact.kept_in == "module scope" else f"once, for {fact.kept_in}"
    return f"once per instance and kept in {fact.kept_in}"


@rule("SL201")
def module_pool_without_drain(project: Project, meta: RuleMeta) -> Iterator[Finding]:
    """A pool kept per instance on Vercel that is never attached, or kept at all on edge."""
    ctx = project.context
    pools = project.pools
    for fact in pools:
        if fact.scope not in ("module", "lazy") or fact.wrapper or fact.holds in NO_CONNECTIONS:
            continue
        if not ctx.is_request_path(fact.rel):
            continue
        platform = ctx.platform_for(fact.rel)
        edge_users = pools.edge_users(fact) if platform.name != "edge" else []
        if platform.name == "edge" and platform.evidence in project.knowledge["deno-edge-evidence"]:
            continue  # Deno isolates keep connections between requests
        if platform.name == "edge" or edge_users:
            if (
                fact.driver is not None
                and fact.driver["id"] in project.knowledge["edge-module-clients"]
            ):
                yield _edge_pool(meta, fact, platform, edge_users)
            continue
        if platform.name != "vercel" or fact.holds != "pool" or pools.keeps_no_connections(fact):
            continue
        if any(g.attached for g in pools.group(fact)):
            continue
        yield from _undrained_pool(project, meta, fact, platform)


def _edge_pool(
    meta: RuleMeta, fact: PoolFact, platform: Platform, edge_users: list[str]
) -> Finding:
    where = platform.describe() if not edge_users else f"an edge runtime (used by {edge_users[0]})"
    return report(
        meta,
        fact.rel,
        fact.call.span,
        f"{fact.describe()} is created {_kept_where(fact)} in code that runs on {where}: its "
        f"connections cannot outlive the request that opened them, so later requests get dead "
        f"connections or hang.",
        fix="Create it inside the request handler and close it there "
        "(`finally { ctx.waitUntil(pool.end()) }`), or use the HTTP driver `neon()`.",
        severity="error",
    )


def _undrained_pool(
    project: Project, meta: RuleMeta, fact: PoolFact, platform: Platform
) -> Iterator[Finding]:
    drain = fact.driver.get("drain", "none") if fact.driver else "none"
    name = fact.name or "pool"
    problem = (
        "never passed to `attachDatabasePool`"
        if drain != "none"
        else "is a pool `attachDatabasePool` cannot drain"
    )
    limits = project.knowledge["database-limits"].get(project.pools.database(fact) or "", {})
    refusal = f" ({limits['refusal']})" if limits.get("refusal") else ""
    why = (
        f"{fact.describe()} is created {_kept_where(fact)} on {platform.describe()} and "
        f"{problem}: Vercel parks idle instances with their timers stopped, so the pool's idle "
        f"connections never close, and every parked instance holds its connections until the "
        f"database refuses new ones{refusal}."
    )
    if drain == "attach" and not fact.implicit:
        fix = (
            f'`import {{ attachDatabasePool }} from "@vercel/functions"` and call '
            f"`attachDatabasePool({name})` right after creating it."
        )
    elif drain == "attach" or drain == "attach-pool":
        fix = (
            "Create the driver's Pool yourself, pass it to `attachDatabasePool` from "
            f"`@vercel/functions`, and hand that pool to {fact.label}"
            + (f" (or call `attachDatabasePool({name}.$client)`)." if "drizzle" in fact.id else ".")
        )
    else:
        urls = project.context.resolve_urls(fact.construction.url, near=fact.rel)
        if urls and all(r.cls.kind == "transaction-pooler" for r in urls):
            return  # parked connections to a transaction pooler cost the database nothing
        advice = project.knowledge["undrainable-pool-advice"]
        key = fact.driver["id"] if fact.driver and fact.driver["id"] in advice else fact.id
        fix = advice.get(key, advice["default"])
    yield report(meta, fact.rel, fact.call.span, why, fix=fix)


@rule("SL202")
def pool_too_large_for_serverless(project: Project, meta: RuleMeta) -> Iterator[Finding]:
    """A per-instance pool above the serverless budget, with the arithmetic."""
    ctx = project.context
    pools = project.pools
    instances = project.knowledge["warm-instances"]
    for fact in pools:
        if fact.scope not in ("module", "lazy") or fact.wrapper:
            continue
        if not ctx.is_request_path(fact.rel):
            continue
        platform = ctx.platform_for(fact.rel)
        if platform.name not in ("vercel", "lambda"):
            continue
        size = pools.size(fact)
        budget = ctx.config.pool_budget.get(platform.name, 5)
        if size is None or size.value <= budget:
            continue
        warm = int(instances[platform.name])
        total = size.value * warm
        if _pooler_absorbs(project, fact, total):
            continue
        limit = _limit_words(project, fact, total)
        if platform.name == "lambda":
            arithmetic = (
                f". Lambda runs one instance per concurrent request; a request needs one or two "
                f"connections, but a frozen instance keeps every one it opened: {warm} "
                f"concurrent requests could hold up to {total} connections{limit}."
            )
        else:
            arithmetic = f": {warm} warm instances could hold up to {total} connections{limit}."
        yield report(
            meta,
            fact.rel,
            fact.call.span,
            f"{fact.describe()} opens up to {size.value} connections per instance ({size.option}) "
            f"on {platform.describe()}{arithmetic}",
            fix=meta.fix.replace("{budget}", _budget_words(fact, budget)),
            confidence=None if size.explicit else "medium",
        )


def _budget_words(fact: PoolFact, budget: int) -> str:
    size = (fact.driver or {}).get("size", {})
    if "sum" in size:
        return f"`pool_size={budget}, max_overflow=0`"
    at = size.get("at", ["0.max"])[0]
    key = at[3:] if at.startswith("kw:") else at.split(".")[-1]
    return f"`{key}={budget}`" if at.startswith("kw:") else f"`{key}: {budget}`"


def _pooler_absorbs(project: Project, fact: PoolFact, total: int) -> bool:
    """Every URL the pool may use is a transaction pooler known to accept `total` clients
    (Neon's PgBouncer takes 10,000): the database never sees the pool's size."""
    limits = project.knowledge["provider-limits"]
    urls = project.context.resolve_urls(fact.construction.url, near=fact.rel)
    return bool(urls) and all(
        r.cls.kind == "transaction-pooler"
        and (limits.get(r.cls.provider) or {}).get("pooler", 0) >= total
        for r in urls
    )


def _limit_words(project: Project, fact: PoolFact, total: int) -> str:
    """ "; a Supabase Micro/Nano database allows 60" — from the URL the pool connects to. A
    total still under the limit is given as its share of it, so the sentence does not read as
    if the numbers were fine."""
    limits = project.knowledge["provider-limits"]
    resolved: list[ResolvedUrl] = project.context.resolve_urls(fact.construction.url, near=fact.rel)
    for r in resolved:
        entry = limits.get(r.cls.provider)
        if not entry:
            continue
        if r.cls.kind == "transaction-pooler" and entry.get("pooler"):
            pooler = f"{entry['plan']}'s pooler"
            return _against(total, entry["pooler"], pooler, " client connections")
        return _against(total, entry["direct"], f"a {entry['plan']} database", "")
    server = project.knowledge["database-limits"].get(project.pools.database(fact) or "", {})
    if server.get("limit"):
        return _against(
            total, server["limit"], server["name"], f" by default (`{server['setting']}`)"
        )
    return ""


def _against(total: int, limit: int, who: str, tail: str) -> str:
    """ "; Postgres allows 100 by default" or ", 66% of the 151 that MySQL allows by default"."""
    if total >= limit:
        return f"; {who} allows {limit}{tail}"
    return f", {100 * total // limit}% of the {limit} that {who} allows{tail}"


@rule("SL203")
def client_per_request(project: Project, meta: RuleMeta) -> Iterator[Finding]:
    """A pool or ORM client constructed per request and never closed."""
    ctx = project.context
    pools = project.pools
    clients = set(project.knowledge["per-request-clients"])
    deno_edges = project.knowledge["deno-edge-evidence"]
    for fact in pools:
        if fact.scope != "function" or fact.wrapper or not ctx.is_request_path(fact.rel):
            continue
        if fact.holds not in ("pool", "orm") and fact.id not in clients:
            continue
        if pools.keeps_no_connections(fact):
            continue  # NullPool or SQLite: nothing stays open when the request ends
        if any(g.closes for g in pools.group(fact)):
            continue
        reach = pools.per_request(fact)
        if reach is None:
            continue
        handler = pools.handler_for(reach)
        runs = f"every time {handler.describe()} runs" if handler else "on every request"
        via = (
            " (through " + " → ".join(f"`{c.text}()`" for _, c in reach.chain) + ")"
            if reach.chain
            else ""
        )
        code = project.code(fact.rel)
        language = code.language if code is not None else "js"
        opens = _opens(pools.size(fact), fact)
        platform = ctx.platform_for(fact.rel)
        if platform.name == "edge" and platform.evidence not in deno_edges:
            why = (
                f"every request opens {opens} that no later request can reuse, and unclosed "
                f"connections stay open on the database until it times them out"
            )
        else:
            why = (
                f"every request opens {opens} and leaves it open, so at 50 concurrent users "
                f"the database runs out of connections"
            )
        yield report(
            meta,
            fact.rel,
            fact.call.span,
            f"{fact.describe()} is created {runs}{via}, and nothing closes it: {why}.",
            fix=project.knowledge["per-request-fix"]["python" if language == "python" else "js"],
        )


def _opens(size: PoolSize | None, fact: PoolFact) -> str:
    if fact.holds == "client" or (size is not None and size.value == 1):
        return "a new connection"
    if size is not None:
        return f"a new pool of up to {size.value} connections"
    return "a new connection pool"


@rule("SL204")
def connection_not_released(project: Project, meta: RuleMeta) -> Iterator[Finding]:
    """A connection checked out of a pool and not given back on every path."""
    ctx = project.context
    table = project.knowledge["checkout-calls"]
    methods = {entry["method"] for entry in table}
    for rel, code in project.code_files():
        if not ctx.is_request_path(rel):
            continue
        for call in code.calls:
            if call is None or call.name not in methods or call.path is None or len(call.path) < 2:
                continue
            if call.function is None:
                continue  # checked out once when the module loads, not once per request
            entry = _checkout_entry(project, rel, call, table)
            if entry is None:
                continue
            problem = _release_problem(code, call, entry)
            if problem:
                yield report(meta, rel, call.span, problem)


def _checkout_entry(project: Project, rel: str, call: Call, table: list[dict]) -> dict | None:
    for c in project.constructions_of(rel, Ref(call.path[:-1]), call.function):
        for entry in table:
            if entry["method"] == call.name and c.id in entry["clients"]:
                return entry
    return None


def _release_problem(code: CodeFacts, call: Call, entry: dict) -> str | None:
    """Why the connection from `call` may stay checked out, or None when it goes back."""
    holder = _holder(code, call)
    with_item = any(
        isinstance(v, CallResult) and v.call == call.id
        for b in code.blocks
        if b.kind == "with"
        for v in b.items
    )
    if holder is None or with_item:
        return None  # `async with pool.acquire()`, a callback, or a chain: not ours to judge
    fn = call.function
    inside = _inside(code, fn)
    releases = []
    for other in code.calls:
        if other is None or other.function not in inside or other.path is None:
            continue
        on_client = (
            len(other.path) == 2
            and other.path[1] in entry.get("on-client", ())
            and other.binding == holder
        )
        on_pool = other.path[-1] in entry.get("on-pool", ()) and any(
            isinstance(a, Ref)
            and a.path == (code.bindings[holder].name,)
            and code.lookup(a.path[0], other.function) is code.bindings[holder]
            for a in other.args
        )
        if on_client or on_pool:
            releases.append(other)
    if any(r.in_finally for r in releases):
        return None
    name = code.bindings[holder].name
    if _handed_on(code, holder, inside, {r.id for r in releases}):
        return None
    what = f"`{name}` from `{call.text}()`"
    if not releases:
        return (
            f"{what} is never released: each call keeps one pool connection checked out for "
            f"good, and once the pool is empty every later request waits for a connection "
            f"that never comes back."
        )
    direct = [r for r in releases if r.function == fn]
    if not direct:
        # Released only inside a function made here — a `res.on("finish")` callback, or the
        # `release` of a wrapper handed to the caller: when that runs is not this function's
        # control flow, so its line says nothing about the returns before it.
        return None
    first = min(r.span.line for r in direct)
    early = [r for r in code.returns if r.function == fn and call.span.line < r.span.line < first]
    if early:
        return (
            f"{what} is released on line {first}, but the `return` on line "
            f"{early[0].span.line} leaves before that: every request taking that path keeps a "
            f"pool connection checked out, until the pool is empty and requests hang."
        )
    return None


def _holder(code: CodeFacts, call: Call) -> int | None:
    """The binding the checked-out connection is kept in."""
    for b in code.bindings:
        if (
            b.function == call.function
            and isinstance(b.value, CallResult)
            and b.value.call == call.id
        ):
            return b.id
    for a in code.assigns:
        if isinstance(a.value, CallResult) and a.value.call == call.id and len(a.target) == 1:
            return a.binding
    return None


def _inside(code: CodeFacts, function: int | None) -> set[int | None]:
    """`function` and every function nested in it."""
    out = {function}
    for f in code.functions:
        if any(g.id == function for g in code.enclosing_functions(f.parent)):
            out.add(f.id)
    return out


def _handed_on(code: CodeFacts, holder: int, inside: set, releases: set[int]) -> bool:
    """The connection is returned, stored, or given to another function, which may release it."""
    name = code.bindings[holder].name

    def mentions(value) -> bool:
        return any(isinstance(v, Ref) and v.path[0] == name for v in walk_values(value))

    if any(r.function in inside and mentions(r.value) for r in code.returns):
        return True
    if any(a.function in inside and mentions(a.value) for a in code.assigns):
        return True
    for c in code.calls:
        if c is None or c.function not in inside or c.id in releases:
            continue
        if c.path is not None and c.path[0] == name:
            continue  # its own methods: client.query(…)
        if any(mentions(a) for a in c.args) or any(mentions(v) for _, v in c.kwargs):
            return True
    return False


@rule("SL205")
def pool_without_error_listener(project: Project, meta: RuleMeta) -> Iterator[Finding]:
    """A long-lived pg/Neon Pool with no `error` listener anywhere in the project."""
    ctx = project.context
    pools = project.pools
    for fact in pools:
        if not fact.outlives_call or fact.wrapper or fact.driver is None:
            continue
        if not fact.driver.get("emits-errors") or not ctx.is_request_path(fact.rel):
            continue
        if fact.listeners:
            continue
        if fact.implicit and fact.construction.client.get("listens-for-errors"):
            continue
        if any(c.client.get("listens-for-errors") for c in fact.outer):
            continue
        name = fact.name or "pool"
        target = f"{name}.$client" if fact.implicit and "drizzle" in fact.id else name
        yield report(
            meta,
            fact.rel,
            fact.call.span,
            f"{fact.describe()} has no `error` listener anywhere in the project: when the "
            f"database or pooler drops one of its idle connections (a restart, a failover, an "
            f"idle timeout), the pool emits `error`, and with nobody listening Node treats it as "
            f"an uncaught exception and the process exits.",
            fix=f'Add `{target}.on("error", (err) => console.error("idle database client error", err))` '
            f"right after creating it.",
            confidence="medium" if fact.implicit else None,
        )
