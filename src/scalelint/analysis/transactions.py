"""Where a database transaction is open, and which code runs inside it.

A transaction holds one pooled connection from its first statement to its commit. Whatever
runs inside — including a Stripe call or an LLM completion — keeps that connection from every
other request. Recognised, by the `transaction-callbacks` and `transaction-blocks` tables:
callbacks that run inside a transaction (`prisma.$transaction(async (tx) => …)`,
`db.transaction(async (tx) => …)` on Drizzle, Knex, TypeORM, Sequelize, Kysely's
`db.transaction().execute(…)`), Python `with` blocks (`with session.begin():`,
`with transaction.atomic():`, asyncpg's `conn.transaction()`), and functions decorated with
`@transaction.atomic`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scalelint.analysis.patterns import callee_match
from scalelint.facts.code import Call, CallResult, CodeFacts, FnValue, Obj, Ref, Value
from scalelint.findings import Span

if TYPE_CHECKING:
    from scalelint.analysis.project import Project

RECEIVER_HOPS = 3


@dataclass(frozen=True)
class Transaction:
    rel: str
    label: str  # "Prisma interactive transaction", "`with transaction.atomic()` block"
    span: Span  # where it opens
    function: int | None  # the function that runs inside it (callback, decorated function)
    block: int | None = None  # or: the `with` block that runs inside it…
    scope: int | None = None  # …in this function
    options: Value | None = None  # Prisma's `{ timeout, maxWait }`
    prisma: bool = False
    certain: bool = True  # False: `x.transaction(cb)` on a receiver that did not resolve


def find_transactions(project: Project, rel: str) -> list[Transaction]:
    code = project.code(rel)
    if code is None:
        return []
    if code.language == "python":
        return list(_python_transactions(project, rel, code))
    return list(_js_transactions(project, rel, code))


def calls_inside(project: Project, tx: Transaction) -> tuple[int | None, list[Call]]:
    """(function, calls): the calls that run while `tx` is open, in the function they are
    found in — the callback's or decorated function's calls, or a `with` block's."""
    graph = project.callgraph
    if tx.function is not None:
        return tx.function, graph.calls_in(tx.rel, tx.function)
    code = project.code(tx.rel)
    inside = [
        c
        for c in graph.calls_in(tx.rel, tx.scope)
        if c.function == tx.scope and _within(code, c.block, tx.block)
    ]
    return tx.scope, inside


def _within(code: CodeFacts, block: int | None, outer: int | None) -> bool:
    while block is not None:
        if block == outer:
            return True
        block = code.blocks[block].parent
    return False


# ── JS / TS: callbacks ──


def _js_transactions(project: Project, rel: str, code: CodeFacts) -> Iterator[Transaction]:
    table = project.knowledge["transaction-callbacks"]
    for call in code.calls:
        if call is None:
            continue
        entry = next((e for e in table if e["method"] == call.name), None)
        if entry is None:
            continue
        if entry.get("after") and not _after(code, call, entry["after"]):
            continue
        fid = _callback(project, rel, call)
        if fid is None:
            continue
        certain, label = True, entry.get("label", "")
        if entry.get("resolve"):
            client = _database_receiver(project, rel, call)
            certain = client is not None
            if not certain and not code.functions[fid].params:
                continue  # Dexie's `db.transaction("rw", t, async () => …)`: no tx handle
            label = f"{client} transaction" if client else f"`{call.text}()` transaction"
        yield Transaction(
            rel,
            label,
            call.span,
            fid,
            options=call.args[1] if len(call.args) > 1 else None,
            prisma=entry.get("orm") == "prisma",
            certain=certain,
        )


def _after(code: CodeFacts, call: Call, name: str) -> bool:
    """`db.transaction().execute(cb)`: a call named `name` earlier in the receiver chain."""
    r = call.receiver
    for _ in range(RECEIVER_HOPS):
        if r is None:
            return False
        if code.calls[r].name == name:
            return True
        r = code.calls[r].receiver
    return False


def _callback(project: Project, rel: str, call: Call) -> int | None:
    for arg in call.args:
        if isinstance(arg, FnValue):
            return arg.function
        if isinstance(arg, Ref) and len(arg.path) == 1:
            found = project.callgraph.function_of(rel, arg, call.function)
            if found is not None and found[0] == rel:
                return found[1]
    return None


def _database_receiver(project: Project, rel: str, call: Call) -> str | None:
    """The database client the receiver resolves to ("Drizzle", "Knex"), if it does."""
    if call.path is None or len(call.path) < 2 or call.path[0] in ("this", "self"):
        return None
    found = project.constructions_of(rel, Ref(call.path[:1]), call.function)
    return found[0].label.split()[0].strip("`") if found else None


# ── Python: `with` blocks and decorators ──


def _python_transactions(project: Project, rel: str, code: CodeFacts) -> Iterator[Transaction]:
    sdk = project.slow_calls.sdk
    table = project.knowledge["transaction-blocks"]
    for block in code.blocks:
        if block.kind != "with":
            continue
        for item in block.items:
            if not isinstance(item, CallResult):
                continue
            call = code.calls[item.call]
            entry = next((e for e in table if sdk.matches(e, rel, call)), None)
            if entry is not None:
                label = f"`with {call.text}()` block"
                yield Transaction(
                    rel, label, block.span, None, block=block.id, scope=block.function
                )
                break
    for fn in code.functions:
        for d in fn.decorators:
            entry = _decorator_entry(project, rel, code, fn.parent, d, table)
            if entry is not None:
                text = ".".join(d.path) if isinstance(d, Ref) else code.calls[d.call].text
                yield Transaction(rel, f"`@{text}` function", fn.span, fn.id)
                break


def _decorator_entry(
    project: Project, rel: str, code: CodeFacts, scope: int | None, d: Value, table
) -> dict | None:
    """`@transaction.atomic` (a name) or `@transaction.atomic(using="x")` (a call)."""
    if isinstance(d, CallResult):
        call = code.calls[d.call]
        return next((e for e in table if project.slow_calls.sdk.matches(e, rel, call)), None)
    if not isinstance(d, Ref):
        return None
    b = code.lookup(d.path[0], scope)
    if b is None or b.kind != "import" or not b.source:
        return None
    rest = d.path[1:]
    name = ".".join(rest) if b.imported == "*" else ".".join((b.imported or "", *rest))
    for e in table:
        if e.get("calls") and callee_match((b.source, name), e["calls"]):
            return e
    return None


def prisma_timeout(tx: Transaction) -> Value | None:
    """The `timeout` option of a Prisma interactive transaction, when the code sets one."""
    return tx.options.get("timeout") if isinstance(tx.options, Obj) else None
