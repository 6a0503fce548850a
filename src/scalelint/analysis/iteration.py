"""Does this call run once per item of a collection?

A call runs per item inside a loop (`for`, `for…of`, `while`, Python `for`, comprehensions,
generator expressions) or inside a per-item callback (`.map`, `.forEach`, `.filter`…), also
when it sits in a callback that such a callback runs (`items.map(i => tx(async () => q(i)))`).
A declared function is a boundary: whether *it* runs per item is for its callers to say, and
the call graph answers that.

Also here: what kind of loop it is — over a small literal, retrying one call, paginating
(the query reads a variable the loop writes), per chunk, polling with a sleep — since those
are the loops where a query per turn is the right code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scalelint.facts.code import Arr, Call, CallResult, CodeFacts, Loop, Obj, Ref, Value
from scalelint.findings import Span

if TYPE_CHECKING:
    from scalelint.analysis.project import Project

ITERATING_LOOPS = ("for_of", "for_in", "for_await", "comprehension")
LOCAL_SPECIFIERS = (".", "/", "@/", "~/", "#")  # relative or path-alias imports: the project
SHRINKING = frozenset({"filter", "slice", "map", "sort", "toSorted", "reverse", "toReversed"})


@dataclass(frozen=True)
class PerItem:
    """Where a call repeats: a loop, or a callback given to `.map`/`.forEach`…"""

    loop: Loop | None
    callback: Call | None  # the `.map(…)` call
    collection: str  # "posts", "range(10)", "hasMore"

    @property
    def span(self) -> Span:
        return self.loop.span if self.loop is not None else self.callback.span

    @property
    def iterates(self) -> bool:
        """Over the items of a collection, rather than `while`/`for (;;)` on a condition."""
        if self.callback is not None:
            return True
        return self.loop.kind in ITERATING_LOOPS or (
            self.loop.kind == "for" and self.loop.iterable is not None
        )


def per_item(
    code: CodeFacts,
    call: Call,
    knowledge: dict,
    project: Project | None = None,
    rel: str | None = None,
) -> PerItem | None:
    """The innermost loop or per-item callback `call` repeats in, within its function and
    the callbacks around it; None when it runs once per call of its declared function.
    With the project, `Effect.flatMap(…)` — a function of an imported package, not a method
    of a list — is not taken for a per-item callback."""
    per_item_names = set(knowledge["per-item-callbacks"])
    deferring = set(knowledge["deferring-calls"])
    loop_id, fid = call.loop, call.function
    while True:
        if loop_id is not None:
            loop = code.loops[loop_id]
            return PerItem(loop, None, loop.iterable_text.rstrip("!?"))
        if fid is None:
            return None
        fn = code.functions[fid]
        if fn.call is None:
            return None
        runner = code.calls[fn.call]
        if (
            runner.name in per_item_names
            and fn.arg_index == 0
            and _method_call(code, runner)
            and not _package_function(code, runner, project, rel)
        ):
            return PerItem(None, runner, _receiver_text(runner))
        if runner.name in deferring:
            return None
        loop_id, fid = runner.loop, runner.function


def _method_call(code: CodeFacts, call: Call) -> bool:
    if call.receiver is not None:
        return True
    if call.path is None:
        return True  # `[a, b].map(…)`, `(await x).map(…)`
    return len(call.path) >= 2 or (code.language == "python" and call.path[0] in ("map", "filter"))


def _package_function(
    code: CodeFacts, call: Call, project: Project | None, rel: str | None
) -> bool:
    """`Effect.flatMap(f)`, `Option.map(f)`: called on a module imported from a package, the
    name is that package's function, not a list's method. What it runs `f` over — one value
    an effect produced, an option, a stream — is not the receiver, so it is not a collection
    of items (a list the project itself exports, `ROLES.map(f)`, still is)."""
    if project is None or rel is None or call.receiver is not None or call.binding is None:
        return False
    if not call.path or len(call.path) != 2:
        return False
    b = code.bindings[call.binding]
    if b.kind != "import" or b.source is None or b.source.startswith(LOCAL_SPECIFIERS):
        return False
    return project.import_file(rel, b) is None


def _receiver_text(call: Call) -> str:
    text = call.text
    suffix = "." + call.name
    text = text[: -len(suffix)] if text.endswith(suffix) else text
    return text.rstrip("!?")


def fan_out(code: CodeFacts, runner: Call, knowledge: dict) -> Call | None:
    """`Promise.all(items.map(…))`, or `const ps = items.map(…); await Promise.all(ps)`."""
    names = set(knowledge["fan-out-calls"])
    if runner.parent is not None and code.calls[runner.parent].name in names:
        return code.calls[runner.parent]
    for b in code.bindings:
        if isinstance(b.value, CallResult) and b.value.call == runner.id:
            for c in code.calls:
                if (
                    c is not None
                    and c.name in names
                    and c.function == runner.function
                    and any(isinstance(a, Ref) and a.path == (b.name,) for a in c.args)
                ):
                    return c
    return None


# ── what kind of loop ──


def literal_size(project: Project, rel: str, where: PerItem) -> int | None:
    """How many items a loop over a literal has: `for (const r of ["a", "b"])`, `range(3)`,
    `ROLES.map(…)` with `const ROLES = ["admin", "owner"]` here or in an imported module."""
    code = project.code(rel)
    if where.loop is not None:
        if where.loop.bound is not None:
            return where.loop.bound
        return _size_of(project, rel, where.loop.iterable, where.loop.function)
    cb = where.callback
    while cb.receiver is not None and code.calls[cb.receiver].name in SHRINKING:
        cb = code.calls[cb.receiver]  # [a, b, c].filter(…).map(…): at most three
    if cb.receiver_value is not None:
        return _size_of(project, rel, cb.receiver_value, cb.function)
    if cb.path is not None and len(cb.path) >= 2:
        return _size_of(project, rel, Ref(cb.path[:-1]), cb.function)
    return None


def _size_of(
    project: Project, rel: str, value: Value | None, function: int | None, depth: int = 0
) -> int | None:
    code = project.code(rel)
    if depth > 4 or value is None or code is None:
        return None
    if isinstance(value, Arr):
        return len(value.items)
    if isinstance(value, Obj) and not value.spread:
        return len(value.items)
    if isinstance(value, CallResult):  # Object.keys(X), Object.entries(X), dict.items()
        call = code.calls[value.call]
        if call.name in ("keys", "values", "entries", "items") and call.path is not None:
            target = call.args[0] if call.path[0] == "Object" and call.args else Ref(call.path[:-1])
            return _size_of(project, rel, target, call.function, depth + 1)
        return None
    if isinstance(value, Ref) and len(value.path) == 1:
        b = code.lookup(value.path[0], function)
        if b is None:
            return None
        if b.kind == "import":
            found = project.import_file(rel, b)
            if found is None or found[1] or b.imported in (None, "*"):
                return None
            exported = project.exported_value(found[0], b.imported)
            if exported is None:
                return None
            return _size_of(project, exported[0], exported[1], None, depth + 1)
        if b.kind in ("const", "assign") and b.value is not None and not _grown(code, b):
            return _size_of(project, rel, b.value, b.function, depth + 1)
    return None


MUTATORS = frozenset(
    {
        "push",
        "unshift",
        "splice",
        "add",
        "set",
        "append",
        "extend",
        "insert",
        "update",
        "setdefault",
    }
)


def _grown(code: CodeFacts, b) -> bool:
    """`const invoices = []` and then `invoices.push(…)`: the literal is only the start."""
    for a in code.assigns:
        if a.binding == b.id and not (a.span.line == b.span.line and a.op == "="):
            return True
    return any(
        c is not None
        and c.binding == b.id
        and c.path is not None
        and len(c.path) == 2
        and c.name in MUTATORS
        for c in code.calls
    )


def words_in(text: str, words: list[str]) -> bool:
    """`attempt < MAX_RETRIES` mentions "attempt"; `retryCount` mentions "retry"."""
    lowered = text.lower()
    return any(re.search(rf"{re.escape(w.lower())}", lowered) for w in words)


def loop_calls(code: CodeFacts, loop: Loop) -> list[Call]:
    """Calls that run inside `loop`, including in callbacks defined in it."""
    return [c for c in code.calls if c is not None and runs_inside(code, c, loop)]


def runs_inside(code: CodeFacts, call: Call, loop: Loop) -> bool:
    loop_id, fid = call.loop, call.function
    while True:
        if fid == loop.function and in_loop(code, loop_id, loop.id):
            return True
        if fid is None or fid == loop.function:
            return False
        fn = code.functions[fid]
        if fn.call is None:
            return False
        runner = code.calls[fn.call]
        loop_id, fid = runner.loop, runner.function


def in_loop(code: CodeFacts, loop_id: int | None, outer: int) -> bool:
    while loop_id is not None:
        if loop_id == outer:
            return True
        loop_id = code.loops[loop_id].parent
    return False


def written_in(code: CodeFacts, loop: Loop) -> set[str]:
    """Variables the loop writes: `cursor = page.at(-1).id`, `skip += take`, `page++`."""
    return {
        a.target[0]
        for a in code.assigns
        if a.function == loop.function and in_loop(code, a.loop, loop.id)
    }
