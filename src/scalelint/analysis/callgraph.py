"""Calls between the project's own functions, across files.

AI-written handlers delegate: `await handleCheckoutCompleted(event)` in the webhook route,
`stripe.subscriptions.retrieve` two files away. A rule asks "which calls run when this
function runs?" and gets every call reachable through the project's functions (same file,
imported ones, `self.method()` in the same class), a few levels deep, each with the chain of
calls that leads to it, so the finding can sit on the call in the handler and name the
slow call behind it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scalelint.facts.code import Call, CallResult, CodeFacts, FnValue, Obj, Ref, Value

if TYPE_CHECKING:
    from scalelint.analysis.project import Project

MAX_DEPTH = 4
MAX_RESOLVE = 6

FunctionRef = tuple[str, int]  # (file, function id)


@dataclass(frozen=True)
class Reach:
    """A call that runs when the root function runs, and how the root gets there."""

    chain: tuple[tuple[str, Call], ...]  # the calls into project functions, root side first
    rel: str  # the file of `call`
    call: Call

    @property
    def entry(self) -> tuple[str, Call]:
        """The call in the root function this one happens behind (itself when direct)."""
        return self.chain[0] if self.chain else (self.rel, self.call)

    def describe(self) -> str:
        """`sendWelcome → openai.chat.completions.create (lib/email.ts:14)`."""
        hops = [c.text for _, c in self.chain] + [self.call.text]
        return " → ".join(hops) + f" ({self.rel}:{self.call.span.line})"


class CallGraph:
    def __init__(self, project: Project) -> None:
        self.project = project
        self._calls: dict[str, dict[int | None, list[Call]]] = {}

    # ── what a name or a call refers to ──
    def function_of(
        self, rel: str, value: Value | None, function: int | None, depth: int = 0
    ) -> FunctionRef | None:
        """The project function a value is, following names, imports and `self.method`.
        Answers are remembered as `analysis/searches.py` says."""
        if value is None:
            return None
        if depth > MAX_RESOLVE:
            self.project.searches.cut()
            return None
        return self.project.searches.answer(
            ("function", rel, value, function),
            lambda: self._function_of(rel, value, function, depth),
            None,  # a name that leads back to itself resolves to nothing
        )

    def _function_of(
        self, rel: str, value: Value, function: int | None, depth: int
    ) -> FunctionRef | None:
        code = self.project.code(rel)
        if code is None:
            return None
        if isinstance(value, FnValue):
            return rel, value.function
        if not isinstance(value, Ref):
            return None
        path = value.path
        if path[0] in ("self", "this", "cls") and len(path) == 2:
            return self._method(rel, code, function, path[1])
        b = code.lookup(path[0], function)
        if b is None:
            return None
        if b.kind == "import":
            found_file = self.project.import_file(rel, b)
            if found_file is None:
                return None
            target, is_module = found_file
            if len(path) == 1 and not is_module:
                name = b.imported if b.imported not in (None, "*") else "default"
            elif len(path) == 2 and (is_module or b.imported == "*"):
                name = path[1]  # `import * as email` / `from app import email`: a module's member
            else:
                return None
            found = self.project.exported_value(target, name)
            if found is None:
                return None
            return self.function_of(found[0], found[1], None, depth + 1)
        if len(path) == 1:
            if isinstance(b.value, FnValue | Ref):
                return self.function_of(rel, b.value, b.function, depth + 1)
            return None
        if len(path) == 2 and isinstance(b.value, Obj):  # const api = { send() {…} }; api.send()
            return self.function_of(rel, b.value.get(path[1]), b.function, depth + 1)
        if len(path) == 2 and isinstance(b.value, CallResult):
            # const limiter = createLimiter(); limiter.check(): a method of the object it returns
            factory = code.calls[b.value.call]
            made = (
                self.function_of(rel, Ref(factory.path), factory.function, depth + 1)
                if factory.path
                else None
            )
            if made is not None:
                for v in self.project.code(made[0]).returned_values(made[1]):
                    if isinstance(v, Obj) and v.get(path[1]) is not None:
                        return self.function_of(made[0], v.get(path[1]), made[1], depth + 1)
        return None

    def _method(
        self, rel: str, code: CodeFacts, function: int | None, name: str
    ) -> FunctionRef | None:
        cls = next((f.class_name for f in code.enclosing_functions(function) if f.class_name), None)
        if cls is None:
            return None
        for f in code.functions:
            if f.class_name == cls and f.name == name:
                return rel, f.id
        return None

    def target(self, rel: str, call: Call) -> FunctionRef | None:
        """The project function `call` runs, or None (outside code, or not resolvable)."""
        if not call.path:
            return None
        return self.project.searches.answer(
            ("target", rel, call.id),
            lambda: self.function_of(rel, Ref(call.path), call.function),
            None,
        )

    # ── what runs inside a function ──
    def calls_in(self, rel: str, function: int | None) -> list[Call]:
        """Calls that run when `function` runs, including those in callbacks it defines
        (`items.map(x => send(x))`); None = the module's top level."""
        index = self._calls.get(rel)
        if index is None:
            index = self._index(rel)
            self._calls[rel] = index
        return index.get(function, [])

    def _index(self, rel: str) -> dict[int | None, list[Call]]:
        code = self.project.code(rel)
        index: dict[int | None, list[Call]] = {}
        if code is None:
            return index
        for call in code.calls:
            if call is None:
                continue
            index.setdefault(call.function, []).append(call)
            seen = {call.function}
            f = call.function
            while f is not None:
                f = code.functions[f].parent
                if f in seen:
                    break
                seen.add(f)
                if f is not None:
                    index.setdefault(f, []).append(call)
        return index

    def reachable(self, rel: str, function: int, max_depth: int = MAX_DEPTH) -> Iterator[Reach]:
        """Every call that runs when `function` runs, through project functions up to
        `max_depth` calls deep; each function is entered once (cycles end there)."""
        seen: set[FunctionRef] = {(rel, function)}
        queue: deque[tuple[str, int, tuple[tuple[str, Call], ...]]] = deque([(rel, function, ())])
        while queue:
            frel, fid, chain = queue.popleft()
            for call in self.calls_in(frel, fid):
                yield Reach(chain, frel, call)
                if len(chain) >= max_depth:
                    continue
                target = self.target(frel, call)
                if target is None:
                    target = self._callback_target(frel, call)
                if target is not None and target not in seen:
                    seen.add(target)
                    queue.append((target[0], target[1], (*chain, (frel, call))))

    def function_run_by(self, rel: str, call: Call) -> FunctionRef | None:
        """The project function that runs because of `call`: its callee, or a function it is
        handed by name (`after(sendEmails)`, `background_tasks.add_task(send, …)`)."""
        return self.target(rel, call) or self._callback_target(rel, call)

    def runs_with(self, rel: str, call: Call, function: int | None) -> bool:
        """Whether `call`, one of `calls_in(rel, function)`, runs when that function runs:
        every function between them is a callback handed to a call (`items.map(x => …)`,
        `after(() => …)`), not a named helper defined inside it, which runs only when
        something calls it (and is reached through that call)."""
        code = self.project.code(rel)
        f = call.function
        while code is not None and f is not None and f != function:
            fn = code.functions[f]
            if fn.call is None:
                return False
            f = fn.parent
        return True

    def _callback_target(self, rel: str, call: Call) -> FunctionRef | None:
        """`after(() => send())`, `waitUntil(work())`: a named function passed by reference
        (`after(sendEmails)`) still runs."""
        for arg in call.args:
            if isinstance(arg, Ref) and len(arg.path) == 1:
                found = self.function_of(rel, arg, call.function)
                if found is not None:
                    return found
            if isinstance(arg, CallResult):
                return None
        return None
