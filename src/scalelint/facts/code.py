"""The facts of one source file (Python, TS, TSX, JS) in one language-neutral shape.

Every rule family asks the same few questions of code: which calls happen, on what receiver,
with which arguments, inside which function, loop, `with` block or `finally`; what a name is
bound to; what a module exports. One walk of the tree answers all of them into these records,
so rules never look at trees and the facts can be cached and sent between processes.

Values (arguments, initialisers) are kept as small trees of `Value` records, cut at a fixed
depth: enough to read `{ max: 20, connectionString: process.env.DATABASE_URL }` or
`create_engine(os.environ["DATABASE_URL"], pool_size=10)`, never a copy of the program.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scalelint.findings import Span
from scalelint.records import compact_records, value_record

# ── values ───────────────────────────────────────────────────────────────────────────────


@value_record
class Str:
    """A string literal; `template` when it had substitutions, kept as `${…}` / `{…}`."""

    value: str
    template: bool = False


@value_record
class Num:
    value: float


@value_record
class Const:
    """true / false / null / undefined / None."""

    value: bool | None


@value_record
class Env:
    """An environment variable read: `process.env.X`, `os.environ["X"]`, `env("X")`…"""

    name: str
    default: Value | None = None


@value_record
class Ref:
    """A name or a member chain: `pool`, `config.db.url`, `this.prisma`."""

    path: tuple[str, ...]


@value_record
class Obj:
    """An object literal, Python dict literal or keyword arguments, keys in source order."""

    items: tuple[tuple[str, Value], ...]
    spread: bool = False
    lines: tuple[int, ...] = ()  # the line each key is written on, for findings about one option

    def get(self, key: str) -> Value | None:
        for k, v in self.items:
            if k == key:
                return v
        return None

    def line_of(self, key: str) -> int | None:
        for i, (k, _) in enumerate(self.items):
            if k == key and i < len(self.lines):
                return self.lines[i]
        return None

    def keys(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.items)


@value_record
class Arr:
    items: tuple[Value, ...]


@value_record
class CallResult:
    """The value a call returns (awaited or not): the id of that call in the same file."""

    call: int


@value_record
class FnValue:
    function: int


@value_record
class Alt:
    """One of several values: `a || b`, `a ?? b`, `x if c else y`, `a or b`."""

    options: tuple[Value, ...]


@value_record
class Unknown:
    text: str = ""


Value = Str | Num | Const | Env | Ref | Obj | Arr | CallResult | FnValue | Alt | Unknown


def walk_values(value: Value | None):
    """Every value nested in `value`, itself first."""
    return walk_all((value,))


def walk_all(values):
    """Every value nested in any of `values` (None skipped): one generator for many values,
    for the analyses that read every value of a project."""
    stack = [v for v in values if v is not None]
    stack.reverse()
    while stack:
        v = stack.pop()
        yield v
        t = type(v)
        if t is Obj:
            stack.extend(x for _, x in v.items)
        elif t is Arr:
            stack.extend(v.items)
        elif t is Alt:
            stack.extend(v.options)
        elif t is Env and v.default is not None:
            stack.append(v.default)


# ── records ──────────────────────────────────────────────────────────────────────────────


@dataclass(slots=True)
class Function:
    id: int
    name: str | None  # declared name, or the variable / property / route it was assigned to
    span: Span
    parent: int | None  # enclosing function; None at module level
    params: tuple[str, ...]
    is_async: bool
    kind: str  # "function", "arrow", "method", "lambda"
    call: int | None = None  # the call this function is passed to, as a callback
    arg_index: int | None = None
    loop: int | None = None  # the loop (in the parent function) its definition sits in
    decorators: tuple[Value, ...] = ()
    class_name: str | None = None
    directives: tuple[str, ...] = ()  # "use cache", "use server"
    # JS: per parameter name, (argument position, property it is destructured from);
    # position -1 for a rest parameter. Empty where not known (Python).
    param_slots: tuple[tuple[int, str | None], ...] = ()
    # (line, column) where the first `return`/`throw`/`raise` written directly in the body
    # ends: code after it never runs (a cache disabled by an early `return` left in place).
    ends_at: tuple[int, int] | None = None


@dataclass(slots=True)
class Call:
    id: int
    span: Span
    name: str  # last segment of the callee: "findUnique", "Pool"
    path: (
        tuple[str, ...] | None
    )  # the callee when it is a plain chain: ("prisma","user","findUnique")
    receiver: int | None  # callee is a method of another call's result: db.select().from()
    new: bool
    args: tuple[Value, ...]
    kwargs: tuple[tuple[str, Value], ...]
    awaited: bool
    function: int | None
    loop: int | None
    block: int | None  # innermost `with` / try block in the same function
    in_finally: bool
    parent: int | None  # the call whose arguments hold this one (same function)
    arg_index: int | None
    text: str  # the callee's source, whitespace folded and shortened
    binding: int | None = None  # what the path's root name is bound to
    template: bool = False  # a tagged template: sql`…`
    returned: bool = False  # its value is what the function returns: `return f()`, `() => f()`
    receiver_value: Value | None = None  # a literal the method is called on: `[a, b].map(…)`

    def kwarg(self, key: str) -> Value | None:
        for k, v in self.kwargs:
            if k == key:
                return v
        return None


@dataclass(slots=True)
class Binding:
    id: int
    name: str
    kind: str  # "import", "type" (TS `import type`), "const", "let", "var", "assign", "param",
    # "function", "class", "loop", "global"
    function: int | None  # scope: the function it is local to, None for the module
    span: Span
    value: Value | None = None
    source: str | None = None  # module specifier, for imports
    imported: str | None = None  # imported name: "default", "*", or the name
    type_text: str | None = None  # declared type, when the code spells one


@dataclass(slots=True)
class Assign:
    """A write that is not a declaration: `db = …`, `cache[key] = …`, `delete cache[k]`."""

    target: tuple[str, ...]  # ("db",), ("globalThis","prisma"), ("cache","[]")
    op: str  # "=", "??=", "||=", "+=", "del", "delete"
    value: Value | None
    key: Value | None  # the subscript for x[k] = v
    span: Span
    function: int | None
    loop: int | None
    binding: int | None = None


@dataclass(slots=True)
class Compare:
    """A comparison the code makes: `cache.size > MAX`, `len(cache) >= 100`, `key in ALLOWED`.
    Chained Python comparisons (`a < b < c`) keep their first pair."""

    left: Value
    op: str  # "<", ">=", "===", "in", "not in"…
    right: Value
    span: Span
    function: int | None


@dataclass(slots=True)
class Loop:
    id: int
    kind: str  # "for", "for_of", "for_in", "for_await", "while", "do", "comprehension"
    span: Span
    function: int | None
    parent: int | None  # enclosing loop in the same function
    targets: tuple[str, ...]  # names bound per item
    iterable: Value | None
    iterable_text: str
    bound: int | None = None  # literal trip count, when the code states one (i < 3, [a, b])
    condition: Value | None = None  # while-loops: the tested value


@dataclass(slots=True)
class Read:
    """An attribute chain read off a loop variable: `order.customer.name` in `for order in …`
    (Python). Django's lazy relations query on such reads."""

    path: tuple[str, ...]
    span: Span
    function: int | None
    loop: int | None
    operator: str = (
        ""  # the read, or the call made on it, is an operand of this: `qs | x.rel.all()`
    )


@dataclass(slots=True)
class Block:
    """A `with` statement (Python), a try statement or one of its catch/except clauses, for
    code that runs inside it; or a branch only development runs
    (`if (process.env.NODE_ENV !== "production")`)."""

    id: int
    kind: str  # "with", "try", "catch" (its parent is the try), "dev-only"
    span: Span
    function: int | None
    parent: int | None
    items: tuple[Value, ...] = ()  # with-items: `session.begin()`, `transaction.atomic()`
    # A catch clause's last statement, which says how the failure it handles ends: "throw"
    # (throw, raise), "return" or "expression", with the value returned or evaluated.
    exit: str | None = None
    exit_value: Value | None = None


@dataclass(slots=True)
class Return:
    """A `return` (or an arrow function's expression body): what a function hands back, so a
    value can be followed out of the factory that made it (`getPool()` → `new Pool()`)."""

    span: Span
    function: int | None
    value: Value | None


@dataclass(slots=True)
class Export:
    name: str  # the exported name: "default", "GET", "db"
    local: str | None  # the local binding it exports
    source: str | None  # re-exported from this module
    star: bool
    span: Span
    value: Value | None = (
        None  # `export default defineConfig({...})`, `export const runtime = "edge"`
    )


@dataclass(slots=True)
class ClassDef:
    name: str
    span: Span
    bases: tuple[Value, ...]
    fields: tuple[tuple[str, Value], ...]  # class-body assignments: Django model fields
    function: int | None


@dataclass(slots=True)
class CodeFacts:
    language: str  # "js" or "python"
    functions: list[Function] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    bindings: list[Binding] = field(default_factory=list)
    assigns: list[Assign] = field(default_factory=list)
    loops: list[Loop] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    exports: list[Export] = field(default_factory=list)
    classes: list[ClassDef] = field(default_factory=list)
    returns: list[Return] = field(default_factory=list)
    compares: list[Compare] = field(default_factory=list)
    reads: list[Read] = field(default_factory=list)
    directives: tuple[str, ...] = ()  # file-level "use client" / "use server"
    scopes: dict[int | None, dict[str, int]] = field(
        default_factory=dict
    )  # function → name → binding
    _returns_by_function: dict[int, list[Value]] | None = field(
        default=None, repr=False, compare=False
    )

    def lookup(self, name: str, function: int | None) -> Binding | None:
        """The binding `name` refers to from inside `function`, innermost scope first."""
        f = function
        while True:
            scope = self.scopes.get(f)
            if scope is not None and name in scope:
                return self.bindings[scope[name]]
            if f is None:
                return None
            f = self.functions[f].parent

    def returned_values(self, function: int) -> list[Value]:
        """What `function` returns or yields, every `return` of it (not of functions inside)."""
        index = self._returns_by_function
        if index is None:
            index = {}
            for r in self.returns:
                if r.value is not None and r.function is not None:
                    index.setdefault(r.function, []).append(r.value)
            self._returns_by_function = index
        return index.get(function, [])

    def module_binding(self, name: str) -> Binding | None:
        scope = self.scopes.get(None, {})
        return self.bindings[scope[name]] if name in scope else None

    def after_return(self, function: int | None, line: int, col: int) -> bool:
        """Whether code at (line, col) in `function` sits after a `return` its function (or
        the function around the one it is defined in) always takes: it never runs."""
        pos = (line, col)
        while function is not None:
            fn = self.functions[function]
            if fn.ends_at is not None and pos >= fn.ends_at:
                return True
            pos = (fn.span.line, fn.span.col)
            function = fn.parent
        return False

    def enclosing_functions(self, function: int | None):
        while function is not None:
            yield self.functions[function]
            function = self.functions[function].parent


compact_records(globals())
