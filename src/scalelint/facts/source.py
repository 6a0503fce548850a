"""What both tree-sitter extractors share: positions, text, the walk's context stack.

Columns are 1-based characters. Tree-sitter reports byte columns; they only differ on lines
with non-ASCII text, so the conversion is skipped for all-ASCII files.
"""

from __future__ import annotations

from scalelint.facts.code import Binding, Call, CodeFacts, Function, Value
from scalelint.facts.comments import Suppression, parse_directive
from scalelint.findings import Span

MAX_VALUE_DEPTH = 4
_SOFT_KINDS = frozenset({"assign", "global"})
MAX_ITEMS = 40
TEXT_LIMIT = 80


class SourceWalk:
    """State of one walk: the facts being filled and where in the program the walk stands."""

    def __init__(self, source: bytes, language: str) -> None:
        self.src = source
        self.ascii = source.isascii()
        self.facts = CodeFacts(language=language)
        self.facts.scopes[None] = {}
        self.function: int | None = None
        self.loop: int | None = None
        self.block: int | None = None
        self.in_finally = False
        self.call: int | None = None  # the call whose arguments the walk is inside
        self.arg_index: int | None = None
        self.call_ids: dict[tuple[int, int], int] = {}
        self.function_ids: dict[tuple[int, int], int] = {}
        self.suppressions: list[Suppression] = []
        self.awaited: set[tuple[int, int]] = set()  # byte ranges of awaited expressions
        self.returned: set[tuple[int, int]] = set()  # byte ranges of returned expressions
        self.code_seen = False  # for the "first comment block" of ignore-file

    # ── positions and text ──
    def span(self, node) -> Span:
        s, e = node.start_point, node.end_point
        if self.ascii:
            return Span(s[0] + 1, s[1] + 1, e[0] + 1, e[1] + 1)
        return Span(
            s[0] + 1,
            self._char_col(node.start_byte, s[1]) + 1,
            e[0] + 1,
            self._char_col(node.end_byte, e[1]) + 1,
        )

    def _char_col(self, byte_pos: int, byte_col: int) -> int:
        prefix = self.src[byte_pos - byte_col : byte_pos]
        if prefix.isascii():  # most lines of a file with an emoji somewhere
            return byte_col
        return len(prefix.decode("utf-8", "replace"))

    def text(self, node, limit: int = TEXT_LIMIT) -> str:
        raw = self.src[node.start_byte : node.end_byte]
        if len(raw) > limit * 4:
            raw = raw[: limit * 4]
        t = " ".join(raw.decode("utf-8", "replace").split())
        return t if len(t) <= limit else t[: limit - 1] + "…"

    def raw(self, node) -> str:
        return self.src[node.start_byte : node.end_byte].decode("utf-8", "replace")

    # ── records ──
    def add_binding(
        self, name: str, kind: str, node, value: Value | None = None, **extra
    ) -> Binding:
        scope_fn = self.function if kind != "global" else None
        b = Binding(len(self.facts.bindings), name, kind, scope_fn, self.span(node), value, **extra)
        self.facts.bindings.append(b)
        scope = self.facts.scopes.setdefault(scope_fn, {})
        # A declaration beats a plain assignment (Python's `x = …` or a global); otherwise the
        # first one wins. Later writes are Assign records, which rules read for "who writes x".
        current = scope.get(name)
        if current is None or (
            self.facts.bindings[current].kind in _SOFT_KINDS and kind not in _SOFT_KINDS
        ):
            scope[name] = b.id
        return b

    def reserve_call(self, node) -> int:
        cid = len(self.facts.calls)
        self.facts.calls.append(None)  # type: ignore[arg-type]  # filled when the call is done
        self.call_ids[(node.start_byte, node.end_byte)] = cid
        return cid

    def new_function(
        self, node, name: str | None, params: tuple[str, ...], is_async: bool, kind: str, **extra
    ) -> Function:
        fn = Function(
            id=len(self.facts.functions),
            name=name,
            span=self.span(node),
            parent=self.function,
            params=params,
            is_async=is_async,
            kind=kind,
            call=self.call,
            arg_index=self.arg_index,
            loop=self.loop,
            **extra,
        )
        self.facts.functions.append(fn)
        self.function_ids[(node.start_byte, node.end_byte)] = fn.id
        self.facts.scopes[fn.id] = {}
        return fn

    def enter_function(self, fn: Function):
        saved = (self.function, self.loop, self.block, self.in_finally, self.call, self.arg_index)
        self.function, self.loop, self.block, self.in_finally = fn.id, None, None, False
        self.call, self.arg_index = None, None
        return saved

    def leave(self, saved) -> None:
        self.function, self.loop, self.block, self.in_finally, self.call, self.arg_index = saved

    def value_of(self, node, depth: int = 0) -> Value:
        raise NotImplementedError  # each language's walk reads its own expressions

    def clause_exit(self, statement) -> tuple[str | None, Value | None]:
        """How a catch clause whose last statement this is ends: ("throw", None), or
        ("return" | "expression", the value returned or evaluated)."""
        t = statement.type
        inner = next((c for c in statement.named_children if c.type != "comment"), None)
        if t in ("throw_statement", "raise_statement"):
            return "throw", None
        if t == "return_statement":
            return "return", self.value_of(inner) if inner is not None else None
        if t == "expression_statement" and inner is not None:
            return "expression", self.value_of(inner)
        return None, None

    def comment(self, node, text: str) -> None:
        if "scalelint" not in text:
            return
        line_start = node.start_byte - node.start_point[1]
        own = not self.src[line_start : node.start_byte].strip()
        s = parse_directive(
            text, node.start_point[0] + 1, node.start_point[1] + 1, own, not self.code_seen
        )
        if s is not None:
            self.suppressions.append(s)

    def finish(self, comment_markers: tuple[bytes, ...]) -> None:
        """Resolve call roots to bindings and point own-line directives at the code they cover."""
        facts = self.facts
        for call in facts.calls:
            if call is not None and call.path:
                b = facts.lookup(call.path[0], call.function)
                call.binding = b.id if b is not None else None
        for a in facts.assigns:
            b = facts.lookup(a.target[0], a.function)
            a.binding = b.id if b is not None else None
        if any(s.own_line for s in self.suppressions):
            lines = self.src.split(b"\n")
            fixed = []
            for s in self.suppressions:
                if s.own_line:
                    nxt = _next_code_line(lines, s.line, comment_markers)
                    s = Suppression(s.line, s.col, True, s.file_level, s.ids, s.reason, nxt)
                fixed.append(s)
            self.suppressions = fixed


def kind_table(language, handlers: dict) -> list:
    """Node-type handlers indexed by the grammar's node kind ids: the walk looks a node up by
    `kind_id` (an int) instead of building its type name as a string, for every one of the
    million nodes a large repository has."""
    table: list = [None] * 65536  # every 16-bit symbol id, ERROR (65535) included
    for kind_id in range(language.node_kind_count):
        if language.node_kind_is_named(kind_id):
            table[kind_id] = handlers.get(language.node_kind_for_id(kind_id))
    return table


def last_statement(block):
    """The last statement of a block node (comments left out), or None when it is empty."""
    for child in reversed(block.named_children):
        if child.type != "comment":
            return child
    return None


def skip(*_) -> None:
    """The handler of node kinds that hold nothing to record: the walk does not enter them."""


def _next_code_line(lines: list[bytes], after: int, markers: tuple[bytes, ...]) -> int:
    for i in range(after, len(lines)):  # `after` is 1-based, so lines[after] is the next line
        s = lines[i].strip()
        if s and not s.startswith(markers):
            return i + 1
    return 0


def call_record(walk: SourceWalk, cid: int, **fields) -> Call:
    call = Call(id=cid, **fields)
    walk.facts.calls[cid] = call
    return call


def body_end(body, block_type: str, exits: tuple[str, ...]) -> tuple[int, int] | None:
    """Where the first statement that leaves the function, written directly in its body (not
    under an `if`), ends."""
    if body is None or body.type != block_type:
        return None
    for statement in body.named_children:
        if statement.type in exits:
            return statement.end_point[0] + 1, statement.end_point[1] + 1
    return None
