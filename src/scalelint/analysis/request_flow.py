"""Which values a request brings, and which functions run once per request.

A module-level cache grows per request when something a request carries — a route parameter,
a body field, a row read for it — becomes a key; a memoized function leaks when its arguments
do. Both questions have one answer shape: follow a value back to the parameters and awaited
results it is made of, then follow those parameters up through the project's call sites to a
request handler.

`Evidence` says how far that got: `HANDLER` when call sites lead to a request handler (named
in the finding), `UNTRACED` when the function is exported, a method or otherwise callable
from where the project does not show, `NOTHING` when every call site passes constants, runs
at module load, or sits in scripts and tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scalelint.analysis.browser import is_browser_code
from scalelint.analysis.handlers import Handler
from scalelint.facts.code import (
    Binding,
    Call,
    CallResult,
    CodeFacts,
    FnValue,
    Loop,
    Obj,
    Ref,
    Str,
    Unknown,
    Value,
    walk_all,
    walk_values,
)
from scalelint.facts.source import MAX_ITEMS

if TYPE_CHECKING:
    from scalelint.analysis.project import Project

MAX_DEPTH = 5  # call sites followed upwards
MAX_SOURCE_DEPTH = 6  # names followed within one function
NOTHING_LEVEL, UNTRACED_LEVEL, HANDLER_LEVEL = 0, 1, 2
# Callbacks that run synchronously, once per item of their receiver, while the caller runs.
ITERATION_METHODS = frozenset(
    {"forEach", "map", "flatMap", "filter", "reduce", "some", "every", "find", "findIndex"}
)
_IDENT = re.compile(r"(?<![\w$.])([A-Za-z_$][\w$]*)(\s*[.\[])?")
_TEMPLATE_PART = re.compile(r"\{([^{}]*)\}")
_STRING = re.compile(r"(['\"`])(?:\\.|(?!\1).)*\1")
_NOT_NAMES = frozenset(
    {"await", "new", "typeof", "as", "in", "of", "not", "and", "or", "is", "if", "else", "None"}
)


@dataclass(frozen=True)
class Evidence:
    level: int
    handler: Handler | None = None
    chain: tuple[str, ...] = ()  # the calls from the handler down to the function asked about

    def through(self, call_text: str) -> Evidence:
        if self.level != HANDLER_LEVEL:
            return self
        return Evidence(self.level, self.handler, (*self.chain, call_text))

    def describe(self) -> str:
        """`GET /api/jobs/[name] (Next.js route handler) → loadJob`."""
        if self.handler is None:
            return ""
        return " → ".join((self.handler.describe(), *self.chain))


NOTHING = Evidence(NOTHING_LEVEL)
UNTRACED = Evidence(UNTRACED_LEVEL)


def strongest(evidences) -> Evidence:
    best = NOTHING
    for e in evidences:
        if e.level > best.level or (
            e.level == best.level == HANDLER_LEVEL and len(e.chain) < len(best.chain)
        ):
            best = e
    return best


@dataclass
class Sources:
    """What a value is made of: parameters of the functions around it, and whether it holds
    data fetched for this call (an awaited result, the request object of Flask/Next)."""

    # (function, parameter name, the property read from it: `target.queueName` → "queueName")
    params: set[tuple[int, str, str | None]] = field(default_factory=set)
    fresh: bool = False


class RequestFlow:
    def __init__(self, project: Project) -> None:
        self.project = project
        self._reach: dict[tuple[str, int], Evidence] = {}
        self._param: dict[tuple[str, int, str], Evidence] = {}
        self._by_name: dict[str, list[tuple[str, Call]]] | None = None
        self._referenced: set[str] | None = None
        self._browser: dict[tuple[str, int | None], bool] = {}
        self._request_imports = {
            (module, name) for module, name in project.knowledge["request-data-imports"]
        }
        self._request_types = frozenset(project.knowledge["request-types"])

    # ── does this function run once per request? ──
    def runs_per_request(self, rel: str, function: int | None, depth: int = 0) -> Evidence:
        if function is None:
            return NOTHING  # module load
        return _once(
            self._reach, (rel, function), lambda: self._runs_per_request(rel, function, depth)
        )

    def _runs_per_request(self, rel: str, function: int, depth: int) -> Evidence:
        project = self.project
        handled, code, fn = self._frame(rel, function)
        if handled is not None:
            return handled
        if fn.parent is not None:  # nested or a callback: runs while (or after) its parent runs
            return self.runs_per_request(rel, fn.parent, depth)
        if fn.call is not None:  # a module-level callback: a timer, a listener, a registration
            host = code.calls[fn.call]
            if host is None or host.name in ITERATION_METHODS or not fn.params:
                return NOTHING  # `LIST.forEach(…)` at module level runs once, at load
            return UNTRACED
        if depth >= MAX_DEPTH:
            return UNTRACED
        sites = self.callers(rel, function)
        if not sites:
            return UNTRACED if self.callable_from_outside(rel, function) else NOTHING
        return strongest(
            self.runs_per_request(crel, call.function, depth + 1).through(call.text)
            for crel, call in sites
            if call.function is not None and project.context.is_request_path(crel)
        )

    def _frame(self, rel: str, function: int):
        """(the answer when the function itself settles it — it is or sits in a handler, or it
        runs in a browser tab — its file, itself)."""
        handler = self.project.handler_of(rel, function)
        code = self.project.code(rel)
        if handler is not None:
            settled: Evidence | None = Evidence(HANDLER_LEVEL, handler)
        else:
            settled = NOTHING if self.in_browser(rel, function) else None
        return settled, code, code.functions[function]

    def in_browser(self, rel: str, function: int | None) -> bool:
        key = (rel, function)
        if key not in self._browser:
            self._browser[key] = is_browser_code(self.project, rel, function)
        return self._browser[key]

    # ── does this value carry request data? ──
    def value_evidence(
        self, rel: str, value: Value | None, function: int | None, depth: int = 0
    ) -> Evidence:
        if function is None or value is None:
            return NOTHING
        src = self.sources(rel, value, function)
        found = []
        if src.fresh:
            found.append(self.runs_per_request(rel, function, depth))
        for owner, name, prop in sorted(src.params, key=lambda p: (p[0], p[1], p[2] or "")):
            found.append(self.param_evidence(rel, owner, name, depth, prop))
        return strongest(found)

    def param_evidence(
        self, rel: str, function: int, name: str, depth: int = 0, prop: str | None = None
    ) -> Evidence:
        """Whether parameter `name` (or the property `prop` of it, when only that is read)
        carries request data, through the project's calls of the function."""
        return _once(
            self._param,
            (rel, function, name, prop),
            lambda: self._param_evidence(rel, function, name, depth, prop),
        )

    def _param_evidence(
        self, rel: str, function: int, name: str, depth: int, prop: str | None
    ) -> Evidence:
        project = self.project
        handled, code, fn = self._frame(rel, function)
        if handled is not None:
            return handled
        if fn.call is not None:  # a callback's arguments come from the call it is given to
            host = code.calls[fn.call]
            if host is not None and host.name in ITERATION_METHODS:
                receiver = (
                    CallResult(host.receiver)
                    if host.receiver is not None
                    else (Ref(host.path[:-1]) if host.path and len(host.path) > 1 else None)
                )
                if receiver is not None:  # items of an array: what is the array made of?
                    return self.value_evidence(rel, receiver, fn.parent, depth)
            return self.runs_per_request(rel, function, depth)
        if depth >= MAX_DEPTH:
            return UNTRACED
        sites = self.callers(rel, function)
        if not sites:
            return UNTRACED if self.callable_from_outside(rel, function) else NOTHING
        found = []
        for crel, call in sites:
            if call.function is None or not project.context.is_request_path(crel):
                continue
            for arg in argument_values(code, fn, call, name):
                for value in property_values(arg, prop):
                    ev = self.value_evidence(crel, value, call.function, depth + 1)
                    found.append(ev.through(call.text))
        return strongest(found)

    def call_sites_evidence(self, sites: list[tuple[str, Call]], depth: int = 0) -> Evidence:
        """The strongest request evidence among the arguments of these calls."""
        found = []
        for crel, call in sites:
            if call.function is None or not self.project.context.is_request_path(crel):
                continue
            for arg in (*call.args, *(v for _, v in call.kwargs)):
                found.append(
                    self.value_evidence(crel, arg, call.function, depth).through(call.text)
                )
        return strongest(found)

    # ── what a value is made of ──
    def sources(self, rel: str, value: Value | None, function: int | None) -> Sources:
        out = Sources()
        code = self.project.code(rel)
        if code is not None:
            self._collect(code, value, function, 0, out, set())
        return out

    def _collect(
        self,
        code: CodeFacts,
        value: Value | None,
        function: int | None,
        depth: int,
        out: Sources,
        seen: set[tuple[int, bool, str | None]],
    ) -> None:
        if value is None or depth > MAX_SOURCE_DEPTH:
            return
        for v in walk_values(value):
            if isinstance(v, Ref):
                self._name(
                    code, v.path[0], len(v.path) == 1, function, depth, out, seen, _prop(v.path)
                )
            elif isinstance(v, CallResult):
                call = code.calls[v.call] if v.call < len(code.calls) else None
                if call is None:
                    continue
                if call.awaited:
                    out.fresh = True
                if call.path:  # a method of the data itself: `email.toLowerCase()`, `req.json()`
                    bare = len(call.path) == 2
                    prop = _prop(call.path[:-1])
                    self._name(code, call.path[0], bare, call.function, depth, out, seen, prop)
                for arg in (*call.args, *(a for _, a in call.kwargs)):
                    self._collect(code, arg, call.function, depth + 1, out, seen)
                if call.receiver is not None:
                    self._collect(code, CallResult(call.receiver), function, depth + 1, out, seen)
            elif isinstance(v, Str) and v.template:
                for part in _TEMPLATE_PART.finditer(v.value):
                    for name, bare in _names_in(part.group(1)):
                        self._name(code, name, bare, function, depth, out, seen)
            elif isinstance(v, Unknown) and v.text:
                for name, bare in _names_in(_STRING.sub("", v.text)):
                    self._name(code, name, bare, function, depth, out, seen)

    def _name(
        self,
        code: CodeFacts,
        name: str,
        bare: bool,
        function: int | None,
        depth: int,
        out: Sources,
        seen: set[tuple[int, bool, str | None]],
        prop: str | None = None,
    ) -> None:
        """`bare`: the name's own value is used (`locale`), not a field of it (`user.id`);
        `prop`: the property read from it (`user.id` → "id"), when it is a plain one."""
        if name in ("this", "self", "cls", "super"):
            return
        b = code.lookup(name, function)
        if b is None or (b.id, bare, prop) in seen:
            return
        seen.add((b.id, bare, prop))
        if b.kind == "param":
            if b.function is not None and not (
                bare and closed_type(b.type_text, self._request_types)
            ):
                out.params.add((b.function, b.name, prop))
            return
        if b.kind == "import":
            if (b.source or "", b.imported or b.name) in self._request_imports:
                out.fresh = True
            return
        if b.function is None:
            return  # module level: the same for every request
        if b.kind == "loop":
            loop = _loop_of(code, b)
            if loop is not None:
                self._collect(code, loop.iterable, b.function, depth + 1, out, seen)
            return
        if b.kind not in ("const", "let", "var", "assign"):
            return
        for part in property_values(b.value, prop):  # `const opts = { queue: "mail", body }`
            self._collect(code, part, b.function, depth + 1, out, seen)
        for a in code.assigns:  # `let key; … key = …`, `opts.queue = …`
            if a.binding != b.id or a.value is None:
                continue
            if len(a.target) == 1 or (prop is not None and a.target[1] in (prop, "[]")):
                self._collect(code, a.value, a.function, depth + 1, out, seen)

    # ── who calls what ──
    def calls_named(self, name: str) -> list[tuple[str, Call]]:
        if self._by_name is None:
            index: dict[str, list[tuple[str, Call]]] = {}
            for rel, code in self.project.code_files():
                for call in code.calls:
                    if call is not None and call.name:
                        index.setdefault(call.name, []).append((rel, call))
            self._by_name = index
        return self._by_name.get(name, [])

    def callers(self, rel: str, function: int) -> list[tuple[str, Call]]:
        """Calls anywhere in the project that run this function."""
        fn = self.project.code(rel).functions[function]
        if not fn.name:
            return []
        graph = self.project.callgraph
        return [
            (crel, call)
            for crel, call in self.calls_named(fn.name)
            if graph.target(crel, call) == (rel, function)
        ]

    def callable_from_outside(self, rel: str, function: int) -> bool:
        """A method, or (TS/JS) exported or passed around by name: something the project does
        not show may call it with request data. A Python function with no caller in the
        project is dead or registered with a framework by a decorator (signal receivers,
        event listeners, tasks, commands), which calls it on its own events, not per
        request; routes are handlers already."""
        code = self.project.code(rel)
        fn = code.functions[function]
        if fn.class_name is not None:
            return True
        if code.language == "python":
            return False
        if fn.name and fn.name in self.referenced_names():
            return True
        return any(
            e.value == FnValue(function) or (e.local is not None and e.local == fn.name)
            for e in code.exports
        )

    def can_run(self, rel: str, function: int | None) -> bool:
        """False for a function nothing in the project calls, exports or passes on."""
        if function is None:
            return True
        code = self.project.code(rel)
        fn = code.functions[function]
        if fn.parent is not None:
            return self.can_run(rel, fn.parent)
        if fn.call is not None or self.project.handler_of(rel, function) is not None:
            return True
        if fn.class_name is not None or fn.decorators:
            return True
        if self.callers(rel, function):  # cheaper than collecting every name passed around
            return True
        return bool(fn.name) and fn.name in self.referenced_names()

    def referenced_names(self) -> set[str]:
        """Names passed as values anywhere: `setInterval(sweep, 60_000)`, `{ onExit: sweep }`."""
        if self._referenced is None:
            names: set[str] = set()
            for _, code in self.project.code_files():
                values: list[Value | None] = []
                for call in code.calls:
                    if call is not None:
                        values.extend(call.args)
                        values.extend(v for _, v in call.kwargs)
                values.extend(b.value for b in code.bindings if b.kind != "import")
                values.extend(a.value for a in code.assigns)
                for v in walk_all(values):
                    if type(v) is Ref:
                        names.add(v.path[-1])
                        names.add(v.path[0])
            self._referenced = names
        return self._referenced


def _once(memo: dict, key, compute) -> Evidence:
    """Each answer is worked out once; a question met again while being answered (recursion
    through a cycle of calls) gets NOTHING."""
    if key not in memo:
        memo[key] = NOTHING
        memo[key] = compute()
    return memo[key]


def argument_values(code: CodeFacts, fn, call: Call, name: str) -> list[Value]:
    """The argument of `call` that becomes parameter `name` of `fn` — for a destructured
    parameter, the property it is taken from (`addJob({ queueName: "mail", body })` gives
    `queueName` the literal, not the body beside it); every argument when the mapping is not
    plain (rest parameters, spread arguments)."""
    params = list(fn.params)
    slot = _slot(fn, name)
    if slot is not None:
        found = _slot_values(call, *slot)
        if found is not None:
            return found
    if code.language == "python":
        kw = call.kwarg(name)
        if kw is not None:
            return [kw]
        if fn.class_name and params[:1] in (["self"], ["cls"]):
            params = params[1:]
        if name in params:
            i = params.index(name)
            return [call.args[i]] if i < len(call.args) else []
        return [*call.args, *(v for _, v in call.kwargs)]
    if name in params and len(params) == len(call.args):
        return [call.args[params.index(name)]]
    return list(call.args)


def _slot(fn, name: str) -> tuple[int, str | None] | None:
    slots = fn.param_slots
    if len(slots) != len(fn.params) or name not in fn.params:
        return None
    return slots[fn.params.index(name)]


def _slot_values(call: Call, position: int, key: str | None) -> list[Value] | None:
    """What reaches one parameter slot, or None when the call does not say (a spread before
    it, a rest parameter)."""
    if position < 0:
        return None
    before = call.args[: position + 1]
    if any(isinstance(a, Unknown) and a.text.startswith("...") for a in before):
        return None
    if position >= len(call.args):
        return []  # not passed: its default, the same for every request
    return property_values(call.args[position], key)


def property_values(value: Value | None, prop: str | None) -> list[Value]:
    """What reading `prop` from `value` can give: the property of an object literal; the
    whole value when it is not a literal, or the property may sit in a spread or a cut-off
    tail; nothing when the literal lacks it (`undefined`)."""
    if value is None:
        return []
    if prop is None or not isinstance(value, Obj):
        return [value]
    found = value.get(prop)
    if found is not None:
        return [found]
    if value.spread or len(value.items) >= MAX_ITEMS:
        return [value]
    return []


def _prop(path: tuple[str, ...]) -> str | None:
    """The plain property a path reads from its root: `target.queueName.trim` → "queueName"."""
    return path[1] if len(path) > 1 and path[1] != "[]" else None


def _names_in(text: str):
    """(name, bare) for each name an expression's text reads: `${user.id}:${slug}` →
    ("user", False), ("slug", True)."""
    for m in _IDENT.finditer(text):
        if m.group(1) not in _NOT_NAMES:
            yield m.group(1), m.group(2) is None


# Types whose values are open-ended: a key of one of these can take any number of values.
_OPEN_TYPES = frozenset(
    {
        "string", "number", "bigint", "any", "unknown", "object", "String", "Number", "Object",
        "str", "int", "float", "bytes", "bytearray", "Any", "UUID", "Decimal", "datetime",
        "date", "dict", "list", "tuple", "set", "frozenset", "Sequence", "Iterable", "Mapping",
    }
)  # fmt: skip
_TYPE_WORD = re.compile(r"[A-Za-z_][\w.]*")


def closed_type(type_text: str | None, open_names: frozenset[str] = frozenset()) -> bool:
    """A declared type with a fixed set of values — a union of literals, an enum, a named
    alias like `AcceptedLocale`, `bool`, `Literal["a", "b"]` — rather than `string`, `str`,
    `int`, a list, an object shape or one of `open_names` (the request types)."""
    if not type_text:
        return False
    text = _STRING.sub("", type_text)
    if re.search(r"[\[\]{}<>()]", text) and not text.startswith(("Literal[", "typing.Literal[")):
        return False
    words = [w.rsplit(".", 1)[-1] for w in _TYPE_WORD.findall(text)]
    return not any(w in _OPEN_TYPES or w in open_names for w in words)


def _loop_of(code: CodeFacts, b: Binding) -> Loop | None:
    for loop in code.loops:
        if (
            loop.function == b.function
            and b.name in loop.targets
            and loop.span.line <= b.span.line <= loop.span.end_line
        ):
            return loop
    return None
