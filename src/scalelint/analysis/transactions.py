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
    from scalelint.analysis.callgraph import FunctionRef
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
    through = list(_through_wrappers(project, rel, code))
    yield from through
    wrapped = {t.span for t in through}
    for call, entry in _transaction_calls(project, code):
        fid = _callback(project, rel, call)
        if fid is None or call.span in wrapped:
            continue
        opened = _opened(project, rel, code, call, entry, code.functions[fid].params)
        if opened is not None:
            yield Transaction(rel, opened[0], call.span, fid, **opened[1])


def _through_wrappers(project: Project, rel: str, code: CodeFacts) -> Iterator[Transaction]:
    """Callbacks handed to the project's transaction helpers (`withTransaction(async (tx) =>
    …)`)."""
    wrappers = project.transaction_wrappers
    if not wrappers:
        return
    for call in code.calls:
        if call is None or call.path is None:
            continue
        wrapper = wrappers.get(project.callgraph.target(rel, call))
        if wrapper is None or wrapper.index >= len(call.args):
            continue
        fid = _local_function(project, rel, call, call.args[wrapper.index])
        if fid is not None:
            label = f"{wrapper.label} that `{call.text}()` opens"
            yield Transaction(rel, label, call.span, fid, **wrapper.options)


def _transaction_calls(project: Project, code: CodeFacts) -> Iterator[tuple[Call, dict]]:
    """Calls that run a callback inside a transaction, with their `transaction-callbacks`
    entry."""
    table = project.knowledge["transaction-callbacks"]
    for call in code.calls:
        if call is None:
            continue
        entry = next((e for e in table if e["method"] == call.name), None)
        if entry is None:
            continue
        if entry.get("after") and not _after(code, call, entry["after"]):
            continue
        yield call, entry


def _opened(
    project: Project, rel: str, code: CodeFacts, call: Call, entry: dict, handle: tuple
) -> tuple[str, dict] | None:
    """(label, the other Transaction fields) of the transaction `call` opens; None for
    Dexie's `db.transaction("rw", t, async () => …)` (no transaction handle, no database
    client: an IndexedDB transaction in the browser). `handle`: the callback's parameters."""
    certain, label = True, entry.get("label", "")
    if entry.get("resolve"):
        client = _database_receiver(project, rel, call)
        certain = client is not None
        if not certain and not handle:
            return None
        label = f"{client} transaction" if client else f"`{call.text}()` transaction"
    options = call.args[1] if len(call.args) > 1 else None
    return label, {"options": options, "prisma": entry.get("orm") == "prisma", "certain": certain}


@dataclass(frozen=True)
class Wrapper:
    """A project function that runs a callback it is given inside a transaction."""

    index: int  # which argument is the callback
    label: str  # the transaction it opens: "Prisma interactive transaction"
    options: dict  # the other Transaction fields of that transaction


def find_transaction_wrappers(project: Project) -> dict[FunctionRef, Wrapper]:
    """Helpers that open a transaction for their caller's callback — `withTransaction(fn)`
    whose body is `prisma.$transaction((tx) => fn(tx))` or `prisma.$transaction(fn)`: the
    callback a caller hands them runs inside the transaction as surely as one written in
    place."""
    out: dict[FunctionRef, Wrapper] = {}
    for rel, code in project.code_files():
        if code.language != "js":
            continue
        for call, entry in _transaction_calls(project, code):
            found = _wrapped_parameter(code, call)
            if found is None:
                continue
            opened = _opened(project, rel, code, call, entry, ("tx",))
            if opened is not None:
                out.setdefault((rel, found[0]), Wrapper(found[1], *opened))
    return out


def _wrapped_parameter(code: CodeFacts, call: Call) -> tuple[int, int] | None:
    """(the function, the index of its parameter) when `call`'s callback calls a function
    parameter of the function it sits in (`(tx) => fn(tx)`), or is one (`$transaction(work)`
    with `work` called elsewhere or typed as a function). Callbacks in between count as that
    function (`withRetry(() => prisma.$transaction((tx) => fn(tx)))`)."""
    if call.function is None:
        return None
    owner = code.functions[call.function]
    while owner.call is not None and owner.parent is not None:
        owner = code.functions[owner.parent]
    for arg in call.args:
        if isinstance(arg, Ref) and len(arg.path) == 1:
            names = [arg.path[0]] if _function_parameter(code, owner.id, arg.path[0]) else []
        elif isinstance(arg, FnValue):
            names = [c.path[0] for c in _calls_in(code, arg.function) if len(c.path) == 1]
        else:
            continue
        for name in names:
            b = code.lookup(name, arg.function if isinstance(arg, FnValue) else call.function)
            if b is not None and b.kind == "param" and b.function == owner.id:
                return owner.id, owner.params.index(name)
    return None


def _function_parameter(code: CodeFacts, function: int, name: str) -> bool:
    """A parameter the function calls somewhere, or whose declared type is a function."""
    b = code.lookup(name, function)
    if b is None or b.kind != "param":
        return False
    if b.type_text and ("=>" in b.type_text or "Callable" in b.type_text):
        return True
    return any(
        c.path == (name,) and code.lookup(name, c.function) is b
        for c in code.calls
        if c is not None
    )


def _calls_in(code: CodeFacts, function: int) -> list[Call]:
    return [c for c in code.calls if c is not None and c.function == function and c.path]


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
        fid = _local_function(project, rel, call, arg)
        if fid is not None:
            return fid
    return None


def _local_function(project: Project, rel: str, call: Call, arg: Value) -> int | None:
    """The function of this file an argument of `call` is: written in place, or named."""
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
            entry = sdk.first_match(table, rel, call)
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
        return project.slow_calls.sdk.first_match(table, rel, call)
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
