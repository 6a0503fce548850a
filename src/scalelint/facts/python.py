"""Python → CodeFacts, in one walk of the tree-sitter tree.

Same records as the TS/JS walk, so rules ask one question for both languages. Python adds
`with` blocks (transactions: `with session.begin():`, `with transaction.atomic():`),
decorators (routes, `@lru_cache`) and class bodies (Django model fields).
"""

from __future__ import annotations

from functools import cache

from scalelint.facts.code import (
    Alt,
    Arr,
    Assign,
    Block,
    CallResult,
    ClassDef,
    CodeFacts,
    Compare,
    Const,
    Env,
    FnValue,
    Loop,
    Num,
    Obj,
    Read,
    Ref,
    Return,
    Str,
    Unknown,
    Value,
)
from scalelint.facts.comments import Suppression
from scalelint.facts.source import (
    MAX_ITEMS,
    MAX_VALUE_DEPTH,
    SourceWalk,
    body_end,
    call_record,
    kind_table,
    last_statement,
    skip,
)
from scalelint.parsers.treesitter import error_share, first_error, language, parse

SKIP_TYPES = frozenset(
    {
        "string",
        "concatenated_string",
        "integer",
        "float",
        "true",
        "false",
        "none",
        "identifier",
        "type",
        "pass_statement",
        "break_statement",
        "continue_statement",
        "future_import_statement",
        "import_prefix",
        "escape_sequence",
    }
)
COMPREHENSIONS = frozenset(
    {"list_comprehension", "set_comprehension", "dictionary_comprehension", "generator_expression"}
)
# Calls that read an environment variable named by their first argument.
ENV_CALLS = frozenset(
    {
        ("os", "environ", "get"),
        ("os", "getenv"),
        ("environ", "get"),
        ("getenv",),
        ("config",),  # python-decouple
        ("env",),  # django-environ
        ("env", "str"),
        ("env", "db"),
        ("env", "db_url"),
    }
)
COMMENT_MARKERS = (b"#",)
MAX_READS = 2000


def extract_python(
    source: bytes,
) -> tuple[CodeFacts, list[Suppression], tuple[int, str, float] | None]:
    tree = parse("python", source)
    walk = _PyWalk(source)
    root = tree.root_node
    walk.module(root)
    walk.finish(COMMENT_MARKERS)
    err = first_error(root)
    error = (
        (err.start_point[0] + 1, walk.text(err, 40), error_share(root)) if err is not None else None
    )
    return walk.facts, walk.suppressions, error


HANDLERS = {  # node type → the walk's method for it
    "comment": "comment_node",
    "import_statement": "import_statement",
    "import_from_statement": "import_from",
    "function_definition": "function_definition",
    "decorated_definition": "decorated",
    "class_definition": "class_definition",
    "lambda": "lambda_node",
    "call": "call_node",
    "for_statement": "for_statement",
    "while_statement": "while_statement",
    "with_statement": "with_statement",
    "try_statement": "try_statement",
    "return_statement": "return_statement",
    "await": "await_node",
    "assignment": "assignment",
    "augmented_assignment": "assignment",
    "delete_statement": "delete_statement",
    "global_statement": "global_statement",
    "string": "string_node",
    "comparison_operator": "comparison",
    "yield": "return_statement",
    "attribute": "attribute",
}
HANDLERS.update({t: "comprehension" for t in COMPREHENSIONS})


class _PyWalk(SourceWalk):
    def __init__(self, source: bytes) -> None:
        super().__init__(source, "python")
        self.by_kind = _dispatch("python")
        self.globals: dict[int | None, set[str]] = {}

    def visit(self, node) -> None:
        table = self.by_kind
        h = table[node.kind_id]
        if h is not None:
            h(self, node)
            return
        for c in node.named_children:
            h = table[c.kind_id]
            if h is skip:
                continue
            if h is not None:
                h(self, c)
            else:
                self.visit(c)

    def module(self, root) -> None:
        for child in root.named_children:
            if child.type == "comment":
                self.comment_node(child)
                continue
            self.code_seen = True
            self.visit(child)

    def comment_node(self, node) -> None:
        self.comment(node, self.raw(node))

    def string_node(self, node) -> None:
        for c in node.named_children:
            if c.type == "interpolation":
                for cc in c.named_children:
                    self.visit(cc)

    # ── imports ──
    def import_statement(self, node) -> None:
        for name in node.named_children:
            if name.type == "dotted_name":
                full = name.text.decode()
                # `import a.b.c` binds `a`; the binding's source is the full module
                self.add_binding(full.split(".")[0], "import", name, source=full, imported="*")
            elif name.type == "aliased_import":
                n = name.child_by_field_name("name")
                alias = name.child_by_field_name("alias")
                if n is not None and alias is not None:
                    self.add_binding(
                        alias.text.decode(), "import", alias, source=n.text.decode(), imported="*"
                    )

    def import_from(self, node) -> None:
        mod = node.child_by_field_name("module_name")
        if mod is None:
            return
        source = mod.text.decode().replace(" ", "")
        for name in node.children_by_field_name("name"):
            if name.type == "dotted_name":
                self.add_binding(
                    name.text.decode(), "import", name, source=source, imported=name.text.decode()
                )
            elif name.type == "aliased_import":
                n = name.child_by_field_name("name")
                alias = name.child_by_field_name("alias")
                if n is not None and alias is not None:
                    self.add_binding(
                        alias.text.decode(),
                        "import",
                        alias,
                        source=source,
                        imported=n.text.decode(),
                    )

    # ── functions and classes ──
    def decorated(self, node) -> None:
        decorators: list[Value] = []
        for d in node.named_children:
            if d.type == "decorator":
                expr = d.named_children[0] if d.named_children else None
                if expr is not None:
                    self.visit(expr)
                    decorators.append(self.value_of(expr))
        definition = node.child_by_field_name("definition")
        if definition is None:
            return
        if definition.type == "function_definition":
            self.function_definition(definition, tuple(decorators))
        else:
            self.visit(definition)

    def function_definition(self, node, decorators: tuple[Value, ...] = ()) -> None:
        name_node = node.child_by_field_name("name")
        name = name_node.text.decode() if name_node is not None else None
        is_async = any(c.type == "async" for c in node.children)
        params_node = node.child_by_field_name("parameters")
        params = list(self._param_nodes(params_node))
        # default values are evaluated where the function is defined, not per call
        for pnode in params_node.named_children if params_node is not None else ():
            value = pnode.child_by_field_name("value")
            if value is not None:
                self.visit(value)
        class_name = _enclosing_class(node)
        body = node.child_by_field_name("body")
        fn = self.new_function(
            node,
            name,
            tuple(p for p, _, _ in params),
            is_async,
            "method" if class_name else "function",
            decorators=decorators,
            class_name=class_name,
            ends_at=body_end(body, "block", ("return_statement", "raise_statement")),
        )
        if name and not class_name:
            self.add_binding(name, "function", name_node, FnValue(fn.id))
        saved = self.enter_function(fn)
        for pname, pnode, ptype in params:
            self.add_binding(pname, "param", pnode, type_text=ptype)
        if body is not None:
            self.visit(body)
        self.leave(saved)

    def lambda_node(self, node) -> None:
        params = list(self._param_nodes(node.child_by_field_name("parameters")))
        fn = self.new_function(node, None, tuple(p for p, _, _ in params), False, "lambda")
        saved = self.enter_function(fn)
        for pname, pnode, _ in params:
            self.add_binding(pname, "param", pnode)
        body = node.child_by_field_name("body")
        if body is not None:
            self.visit(body)
            self.facts.returns.append(Return(self.span(body), fn.id, self.value_of(body)))
        self.leave(saved)

    def _param_nodes(self, params):
        if params is None:
            return
        for p in params.named_children:
            t = p.type
            typ = p.child_by_field_name("type")
            type_text = self.text(typ, 60) if typ is not None else None
            if t == "identifier":
                yield p.text.decode(), p, None
            elif t in ("default_parameter", "typed_default_parameter"):
                n = p.child_by_field_name("name")
                if n is not None:
                    yield n.text.decode(), n, type_text
            elif t in ("typed_parameter", "list_splat_pattern", "dictionary_splat_pattern"):
                ident = next((c for c in p.named_children if c.type == "identifier"), None)
                if ident is not None:
                    yield ident.text.decode(), ident, type_text

    def class_definition(self, node) -> None:
        name_node = node.child_by_field_name("name")
        name = name_node.text.decode() if name_node is not None else ""
        bases: list[Value] = []
        supers = node.child_by_field_name("superclasses")
        if supers is not None:
            for b in supers.named_children:
                if b.type != "keyword_argument":
                    self.visit(b)
                    bases.append(self.value_of(b))
        fields: list[tuple[str, Value]] = []
        body = node.child_by_field_name("body")
        if body is not None:
            for stmt in body.named_children:
                inner = (
                    stmt.named_children[0]
                    if stmt.type == "expression_statement" and stmt.named_children
                    else None
                )
                if inner is not None and inner.type == "assignment":
                    left = inner.child_by_field_name("left")
                    right = inner.child_by_field_name("right")
                    if right is not None:
                        self.visit(right)
                    if left is not None and left.type == "identifier" and right is not None:
                        fields.append((left.text.decode(), self.value_of(right)))
                else:
                    self.visit(stmt)
        if name:
            self.add_binding(name, "class", name_node)
        self.facts.classes.append(
            ClassDef(name, self.span(node), tuple(bases), tuple(fields), self.function)
        )

    def attribute(self, node) -> None:
        """Record `item.relation.field` read off a loop variable (outermost chain only)."""
        if self.loop is not None and len(self.facts.reads) < MAX_READS:
            parent = node.parent
            if parent is None or parent.type != "attribute":  # the outermost chain only
                root = node.child_by_field_name("object")
                while root is not None and root.type == "attribute":
                    root = root.child_by_field_name("object")
                if root is not None and root.type == "identifier":
                    b = self.facts.lookup(root.text.decode(), self.function)
                    chain = self.chain(node) if b is not None and b.kind == "loop" else None
                    if chain is not None:
                        self.facts.reads.append(
                            Read(
                                chain, self.span(node), self.function, self.loop, _operand_of(node)
                            )
                        )
        for c in node.named_children:
            self.visit(c)

    # ── calls ──
    def call_node(self, node) -> None:
        fn_node = node.child_by_field_name("function")
        args_node = node.child_by_field_name("arguments")
        cid = self.reserve_call(node)
        if fn_node is not None and fn_node.type != "identifier":
            self.visit(fn_node)
        saved = (self.call, self.arg_index)
        args: list[Value] = []
        kwargs: list[tuple[str, Value]] = []
        if args_node is not None:
            self.call = cid
            if args_node.type == "generator_expression":
                self.arg_index = 0
                self.visit(args_node)
                args.append(self.value_of(args_node))
            else:
                i = 0
                for a in args_node.named_children:
                    if a.type == "comment":
                        continue
                    self.arg_index = i
                    if a.type == "keyword_argument":
                        v = a.child_by_field_name("value")
                        n = a.child_by_field_name("name")
                        if v is not None:
                            self.visit(v)
                            if n is not None and len(kwargs) < MAX_ITEMS:
                                kwargs.append((n.text.decode(), self.value_of(v)))
                    else:
                        self.visit(a)
                        if len(args) < MAX_ITEMS:
                            args.append(self.value_of(a))
                    i += 1
        self.call, self.arg_index = saved
        path = self.chain(fn_node) if fn_node is not None else None
        receiver = None
        name = ""
        if path is not None:
            name = path[-1]
        elif fn_node is not None and fn_node.type == "attribute":
            attr = fn_node.child_by_field_name("attribute")
            name = attr.text.decode() if attr is not None else ""
            obj = _unwrap(fn_node.child_by_field_name("object"))
            if obj is not None and obj.type == "call":
                receiver = self.call_ids.get((obj.start_byte, obj.end_byte))
        here = (node.start_byte, node.end_byte)
        awaited = here in self.awaited
        returned = here in self.returned
        call_record(
            self,
            cid,
            span=self.span(node),
            name=name,
            path=path,
            receiver=receiver,
            new=False,
            args=tuple(args),
            kwargs=tuple(kwargs),
            awaited=awaited,
            function=self.function,
            loop=self.loop,
            block=self.block,
            in_finally=self.in_finally,
            parent=self.call,
            arg_index=self.arg_index,
            text=self.text(fn_node, 60) if fn_node is not None else "",
            returned=returned,
        )

    # ── loops and blocks ──
    def for_statement(self, node) -> None:
        right = node.child_by_field_name("right")
        if right is not None:
            self.visit(right)
        kind = "for_await" if any(c.type == "async" for c in node.children) else "for"
        loop = self._new_loop(node, kind, right)
        saved = self.loop
        self.loop = loop.id
        left = node.child_by_field_name("left")
        if left is not None:
            loop.targets = self._bind_targets(left, "loop")
        for part in ("body", "alternative"):
            child = node.child_by_field_name(part)
            if child is not None:
                self.visit(child)
        self.loop = saved

    def while_statement(self, node) -> None:
        cond = node.child_by_field_name("condition")
        loop = self._new_loop(node, "while", None)
        saved = self.loop
        self.loop = loop.id
        if cond is not None:
            self.visit(cond)
            loop.condition = self.value_of(cond)
            loop.iterable_text = self.text(cond, 60)
        for part in ("body", "alternative"):
            child = node.child_by_field_name(part)
            if child is not None:
                self.visit(child)
        self.loop = saved

    def comprehension(self, node) -> None:
        clauses = [c for c in node.named_children if c.type == "for_in_clause"]
        saved = self.loop
        for clause in clauses:
            right = clause.child_by_field_name("right")
            if right is not None:
                self.visit(right)
            loop = self._new_loop(clause, "comprehension", right)
            self.loop = loop.id
            left = clause.child_by_field_name("left")
            if left is not None:
                loop.targets = self._bind_targets(left, "loop")
        for c in node.named_children:
            if c.type != "for_in_clause":
                self.visit(c)
        self.loop = saved

    def _new_loop(self, node, kind: str, iterable_node) -> Loop:
        bound = None
        it = _unwrap(iterable_node)
        if it is not None and it.type in ("list", "tuple", "set"):
            bound = len(it.named_children)
        elif it is not None and it.type == "call":
            fn = it.child_by_field_name("function")
            args = it.child_by_field_name("arguments")
            if fn is not None and fn.text == b"range" and args is not None and args.named_children:
                last = (
                    args.named_children[-1]
                    if len(args.named_children) <= 2
                    else args.named_children[1]
                )
                if last.type == "integer":
                    try:
                        bound = int(last.text.decode().replace("_", ""), 0)
                    except ValueError:
                        bound = None
        loop = Loop(
            id=len(self.facts.loops),
            kind=kind,
            span=self.span(node),
            function=self.function,
            parent=self.loop,
            targets=(),
            iterable=self.value_of(iterable_node) if iterable_node is not None else None,
            iterable_text=self.text(iterable_node, 60) if iterable_node is not None else "",
            bound=bound,
        )
        self.facts.loops.append(loop)
        return loop

    def with_statement(self, node) -> None:
        items: list[Value] = []
        clause = next((c for c in node.named_children if c.type == "with_clause"), None)
        aliases: list[tuple[object, Value]] = []
        if clause is not None:
            for item in clause.named_children:
                if item.type != "with_item":
                    continue
                value = item.child_by_field_name("value")
                if value is None:
                    continue
                target = None
                if value.type == "as_pattern":
                    target = value.child_by_field_name("alias")
                    value = value.named_children[0] if value.named_children else None
                    if value is None:
                        continue
                self.visit(value)
                v = self.value_of(value)
                items.append(v)
                if target is not None:
                    aliases.append((target, v))
        block = Block(
            len(self.facts.blocks), "with", self.span(node), self.function, self.block, tuple(items)
        )
        self.facts.blocks.append(block)
        for target, v in aliases:
            for ident in _identifiers(target):
                self.add_binding(ident.text.decode(), "const", ident, v)
        saved = self.block
        self.block = block.id
        body = node.child_by_field_name("body")
        if body is not None:
            self.visit(body)
        self.block = saved

    def try_statement(self, node) -> None:
        block = Block(len(self.facts.blocks), "try", self.span(node), self.function, self.block)
        self.facts.blocks.append(block)
        saved_block, saved_fin = self.block, self.in_finally
        self.block = block.id
        for c in node.named_children:
            if c.type == "finally_clause":
                self.in_finally = True
                self.visit(c)
                self.in_finally = saved_fin
            elif c.type in ("except_clause", "except_group_clause"):
                self.except_clause(c, block.id)
            else:
                self.visit(c)
        self.block, self.in_finally = saved_block, saved_fin

    def except_clause(self, node, try_id: int) -> None:
        catch = Block(len(self.facts.blocks), "catch", self.span(node), self.function, try_id)
        self.facts.blocks.append(catch)
        self.block = catch.id
        self.visit(node)
        self.block = try_id
        body = next((c for c in node.named_children if c.type == "block"), None)
        last = last_statement(body) if body is not None else None
        if last is not None:
            catch.exit, catch.exit_value = self.clause_exit(last)

    def await_node(self, node) -> None:
        """Marks the awaited call (see the JS walk: `Node.parent` is costly)."""
        inner = node.named_children[0] if node.named_children else None
        while inner is not None and inner.type == "parenthesized_expression":
            inner = inner.named_children[0] if inner.named_children else None
        if inner is not None:
            self.awaited.add((inner.start_byte, inner.end_byte))
        for c in node.named_children:
            self.visit(c)

    def return_statement(self, node) -> None:
        """`return x`, and `yield x` (FastAPI dependencies yield their session)."""
        value = next((c for c in node.named_children if c.type != "comment"), None)
        if value is not None:
            if node.type == "return_statement":
                inner = _unwrap(value)
                if inner is not None:
                    self.returned.add((inner.start_byte, inner.end_byte))
            self.visit(value)
        self.facts.returns.append(
            Return(self.span(node), self.function, self.value_of(value) if value else None)
        )

    # ── assignments ──
    def global_statement(self, node) -> None:
        names = self.globals.setdefault(self.function, set())
        for ident in node.named_children:
            if ident.type == "identifier":
                names.add(ident.text.decode())

    def assignment(self, node) -> None:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if right is not None:
            self.visit(right)
        if left is None:
            return
        if left.type in ("subscript", "attribute"):
            for c in left.named_children:
                if c.type not in ("identifier", "attribute"):
                    self.visit(c)
        value = self.value_of(right) if right is not None else None
        op = "="
        if node.type == "augmented_assignment":
            op_node = node.child_by_field_name("operator")
            op = op_node.text.decode() if op_node is not None else "+="
        type_node = node.child_by_field_name("type")
        type_text = self.text(type_node, 60) if type_node is not None else None
        if left.type == "identifier":
            name = left.text.decode()
            is_global = name in self.globals.get(self.function, ())
            if op == "=" and not is_global:
                self.add_binding(name, "assign", left, value, type_text=type_text)
            self.facts.assigns.append(
                Assign((name,), op, value, None, self.span(node), self.function, self.loop)
            )
            return
        if left.type in ("pattern_list", "tuple_pattern", "list_pattern"):
            declared = self.globals.get(self.function, ())
            for ident in _identifiers(left):
                name = ident.text.decode()
                if name in declared:  # `batch, _pending = _pending, []` under `global _pending`
                    self.facts.assigns.append(
                        Assign(
                            (name,), op, Unknown(), None, self.span(node), self.function, self.loop
                        )
                    )
                else:
                    self.add_binding(name, "assign", ident, value)
            return
        target = self.chain(left)
        if target is None:
            return
        key = None
        if left.type == "subscript":
            sub = left.child_by_field_name("subscript")
            key = self.value_of(sub) if sub is not None else None
        self.facts.assigns.append(
            Assign(target, op, value, key, self.span(node), self.function, self.loop)
        )

    def comparison(self, node) -> None:
        for c in node.named_children:
            self.visit(c)
        operands = [c for c in node.children if c.is_named and c.type != "comment"]
        ops = [c for c in node.children if not c.is_named]
        if len(operands) < 2 or not ops:
            return
        self.facts.compares.append(
            Compare(
                self.value_of(operands[0]),
                " ".join(ops[0].type.split()),
                self.value_of(operands[1]),
                self.span(node),
                self.function,
            )
        )

    def delete_statement(self, node) -> None:
        for target in node.named_children:
            items = target.named_children if target.type == "expression_list" else [target]
            for t in items:
                self.visit(t)
                chain = self.chain(t)
                if chain is None:
                    continue
                key = None
                if t.type == "subscript":
                    sub = t.child_by_field_name("subscript")
                    key = self.value_of(sub) if sub is not None else None
                self.facts.assigns.append(
                    Assign(chain, "del", None, key, self.span(node), self.function, self.loop)
                )

    def _bind_targets(self, left, kind: str) -> tuple[str, ...]:
        names = []
        for ident in _identifiers(left):
            names.append(ident.text.decode())
            self.add_binding(ident.text.decode(), kind, ident)
        return tuple(names)

    # ── values ──
    def chain(self, node) -> tuple[str, ...] | None:
        parts: list[str] = []
        while node is not None:
            t = node.type
            if t == "identifier":
                parts.append(node.text.decode())
                parts.reverse()
                return tuple(parts)
            if t == "attribute":
                attr = node.child_by_field_name("attribute")
                parts.append(attr.text.decode() if attr is not None else "")
                node = node.child_by_field_name("object")
            elif t == "subscript":
                sub = node.child_by_field_name("subscript")
                if sub is not None and sub.type == "string" and not _has_interpolation(sub):
                    parts.append(_string_content(self, sub))
                else:
                    parts.append("[]")
                node = node.child_by_field_name("value")
            elif t == "parenthesized_expression":
                node = node.named_children[0] if node.named_children else None
            else:
                return None
        return None

    def value_of(self, node, depth: int = 0) -> Value:
        if node is None:
            return Unknown()
        t = node.type
        if t == "string":
            return Str(_string_content(self, node), template=_has_interpolation(node))
        if t == "concatenated_string":
            parts = [c for c in node.named_children if c.type == "string"]
            return Str(
                "".join(_string_content(self, p) for p in parts),
                template=any(_has_interpolation(p) for p in parts),
            )
        if t in ("integer", "float"):
            try:
                return Num(float(node.text.decode().replace("_", "")))
            except ValueError:
                return Unknown(node.text.decode())
        if t in ("true", "false"):
            return Const(t == "true")
        if t == "none":
            return Const(None)
        if t in ("identifier", "attribute", "subscript"):
            chain = self.chain(node)
            if chain is None:
                return Unknown(self.text(node, 40))
            if (
                t == "subscript"
                and len(chain) >= 2
                and chain[-2] == "environ"
                and chain[-1] != "[]"
            ):
                return Env(chain[-1])
            return Ref(chain)
        if t == "call":
            fn = node.child_by_field_name("function")
            path = self.chain(fn) if fn is not None else None
            if path in ENV_CALLS:
                args = node.child_by_field_name("arguments")
                positional = [
                    a
                    for a in (args.named_children if args is not None else ())
                    if a.type != "keyword_argument"
                ]
                if positional and positional[0].type == "string":
                    default = (
                        self.value_of(positional[1], depth + 1) if len(positional) > 1 else None
                    )
                    return Env(_string_content(self, positional[0]), default)
                if path in (("env", "db"), ("env", "db_url")) and not positional:
                    return Env("DATABASE_URL")
            cid = self.call_ids.get((node.start_byte, node.end_byte))
            return CallResult(cid) if cid is not None else Unknown(self.text(node, 40))
        if t in ("await", "parenthesized_expression"):
            return self.value_of(node.named_children[0] if node.named_children else None, depth)
        if t == "lambda":
            fid = self.function_ids.get((node.start_byte, node.end_byte))
            return FnValue(fid) if fid is not None else Unknown()
        if depth >= MAX_VALUE_DEPTH:
            return Unknown(self.text(node, 40))
        if t == "dictionary":
            items: list[tuple[str, Value]] = []
            lines: list[int] = []
            spread = False
            for c in node.named_children[:MAX_ITEMS]:
                if c.type == "pair":
                    k = c.child_by_field_name("key")
                    v = c.child_by_field_name("value")
                    if k is not None:
                        key = (
                            _string_content(self, k)
                            if k.type == "string"
                            else "[" + self.text(k, 30) + "]"
                        )
                        items.append((key, self.value_of(v, depth + 1)))
                        lines.append(c.start_point[0] + 1)
                elif c.type == "dictionary_splat":
                    spread = True
            return Obj(tuple(items), spread, tuple(lines))
        if t in ("list", "tuple", "set", "expression_list"):  # `return body, 400` is a tuple
            return Arr(tuple(self.value_of(c, depth + 1) for c in node.named_children[:MAX_ITEMS]))
        if t == "boolean_operator":
            op = node.child_by_field_name("operator")
            if op is not None and op.text == b"or":
                return Alt(
                    (
                        self.value_of(node.child_by_field_name("left"), depth + 1),
                        self.value_of(node.child_by_field_name("right"), depth + 1),
                    )
                )
        if t == "conditional_expression":
            parts = node.named_children
            if len(parts) == 3:
                return Alt((self.value_of(parts[0], depth + 1), self.value_of(parts[2], depth + 1)))
        return Unknown(self.text(node, 40))


def _operand_of(node) -> str:
    """The binary operator whose operand is `node`, or the call made on it: "|" for
    `a | x.rel.all()` and for `a |= x.rel.all()`."""
    parent = node.parent
    if (
        parent is not None
        and parent.type == "call"
        and parent.child_by_field_name("function") == node
    ):
        node, parent = parent, parent.parent
    if parent is None or parent.type not in ("binary_operator", "augmented_assignment"):
        return ""
    if parent.type == "augmented_assignment" and parent.child_by_field_name("right") != node:
        return ""
    op = parent.child_by_field_name("operator")
    return op.text.decode().removesuffix("=") if op is not None else ""


def _unwrap(node):
    while node is not None and node.type in ("parenthesized_expression", "await"):
        node = node.named_children[0] if node.named_children else None
    return node


def _has_interpolation(node) -> bool:
    return any(c.type == "interpolation" for c in node.named_children)


def _string_content(walk: SourceWalk, node) -> str:
    start = next((c for c in node.children if c.type == "string_start"), None)
    end = next((c for c in node.children if c.type == "string_end"), None)
    if start is None or end is None:
        return walk.raw(node)
    return walk.src[start.end_byte : end.start_byte].decode("utf-8", "replace")


def _identifiers(node):
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "identifier":
            yield n
        elif n.type in (
            "pattern_list",
            "tuple_pattern",
            "list_pattern",
            "as_pattern_target",
            "list_splat_pattern",
            "parenthesized_expression",
        ):
            stack.extend(reversed(n.named_children))


def _enclosing_class(node) -> str | None:
    p = node.parent
    if p is not None and p.type == "decorated_definition":
        p = p.parent
    if p is not None and p.type == "block":
        cls = p.parent
        if cls is not None and cls.type == "class_definition":
            n = cls.child_by_field_name("name")
            return n.text.decode() if n is not None else None
    return None


@cache
def _dispatch(kind: str) -> list:
    handlers = {t: getattr(_PyWalk, method) for t, method in HANDLERS.items()}
    for t in SKIP_TYPES:
        handlers.setdefault(t, skip)
    return kind_table(language(kind), handlers)
