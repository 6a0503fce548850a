"""TS, TSX and JS → CodeFacts, in one walk of the tree-sitter tree.

The walk keeps a small context (function, loop, try block, `finally`, the call whose
arguments it is in) and writes one record per function, call, binding, assignment, loop and
export. Types are skipped whole: they hold no calls and are a large part of a TS tree.
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
    Export,
    FnValue,
    Loop,
    Num,
    Obj,
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

FUNCTION_TYPES = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "function_expression",
        "function",
        "generator_function",
        "arrow_function",
        "method_definition",
    }
)
SKIP_TYPES = frozenset(
    {
        "type_annotation",
        "type_alias_declaration",
        "interface_declaration",
        "type_arguments",
        "type_parameters",
        "ambient_declaration",
        "enum_declaration",
        "abstract_method_signature",
        "method_signature",
        "property_signature",
        "index_signature",
        "jsx_text",
        "string",
        "number",
        "regex",
        "hash_bang_line",
        "html_comment",
        "predefined_type",
        "type_identifier",
        "statement_identifier",
        "property_identifier",
        "shorthand_property_identifier",
        "identifier",
        "this",
        "true",
        "false",
        "null",
        "undefined",
        "import",
        "meta_property",
        "escape_sequence",
        "string_fragment",
    }
)
UNWRAP_TYPES = frozenset(
    {"parenthesized_expression", "non_null_expression", "as_expression", "satisfies_expression"}
)
COMPARISONS = frozenset({"<", "<=", ">", ">=", "==", "===", "!=", "!==", "in"})
ENV_CALLS = frozenset({("env",), ("Deno", "env", "get"), ("getEnv",), ("requireEnv",)})
COMMENT_MARKERS = (b"//", b"/*", b"*")


def extract_js(
    source: bytes, kind: str
) -> tuple[CodeFacts, list[Suppression], tuple[int, str, float] | None]:
    """Facts, suppression comments and the first syntax error (line, text) of a JS/TS file."""
    tree = parse(kind, source)
    walk = _JsWalk(source, kind)
    root = tree.root_node
    walk.program(root)
    walk.finish(COMMENT_MARKERS)
    err = first_error(root)
    error = (
        (err.start_point[0] + 1, walk.text(err, 40), error_share(root)) if err is not None else None
    )
    return walk.facts, walk.suppressions, error


HANDLERS = {  # node type → the walk's method for it
    "comment": "comment_node",
    "import_statement": "import_statement",
    "export_statement": "export_statement",
    "lexical_declaration": "declaration",
    "variable_declaration": "declaration",
    "call_expression": "call_expression",
    "new_expression": "call_expression",
    "for_in_statement": "for_in",
    "for_statement": "for_statement",
    "while_statement": "while_statement",
    "do_statement": "while_statement",
    "try_statement": "try_statement",
    "if_statement": "if_statement",
    "return_statement": "return_statement",
    "await_expression": "await_expression",
    "assignment_expression": "assignment",
    "augmented_assignment_expression": "assignment",
    "unary_expression": "unary",
    "binary_expression": "binary",
    "update_expression": "update",
    "class_declaration": "class_declaration",
    "abstract_class_declaration": "class_declaration",
    "class": "class_declaration",
    "template_string": "template_string",
    "as_expression": "first_child_only",
    "satisfies_expression": "first_child_only",
}
HANDLERS.update({t: "function_node" for t in FUNCTION_TYPES})


class _JsWalk(SourceWalk):
    def __init__(self, source: bytes, kind: str) -> None:
        super().__init__(source, "js")
        self.by_kind = _dispatch(kind)

    # ── the walk ──
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

    def program(self, root) -> None:
        directives = []
        prologue = True
        for child in root.named_children:
            if child.type == "comment":
                self.comment_node(child)
                continue
            if prologue and child.type == "expression_statement":
                inner = child.named_children[0] if child.named_children else None
                if inner is not None and inner.type == "string":
                    directives.append(_string_value(self, inner))
                    self.code_seen = True
                    continue
            prologue = False
            self.code_seen = True
            self.visit(child)
        self.facts.directives = tuple(directives)

    def first_child_only(self, node) -> None:
        if node.named_children:
            self.visit(node.named_children[0])

    def comment_node(self, node) -> None:
        self.comment(node, self.raw(node))

    def template_string(self, node) -> None:
        for c in node.named_children:
            if c.type == "template_substitution":
                for cc in c.named_children:
                    self.visit(cc)

    # ── imports and exports ──
    def import_statement(self, node) -> None:
        src_node = node.child_by_field_name("source")
        if src_node is None:
            return
        source = _string_value(self, src_node)
        # `import type {…}` binds names that exist for the type checker only: kind "type"
        whole = "type" if any(c.type == "type" for c in node.children) else "import"
        for clause in node.named_children:
            if clause.type != "import_clause":
                continue
            for part in clause.named_children:
                if part.type == "identifier":
                    self.add_binding(
                        part.text.decode(), whole, part, source=source, imported="default"
                    )
                elif part.type == "namespace_import":
                    ident = part.named_children[-1] if part.named_children else None
                    if ident is not None:
                        self.add_binding(
                            ident.text.decode(), whole, ident, source=source, imported="*"
                        )
                elif part.type == "named_imports":
                    for spec in part.named_children:
                        if spec.type != "import_specifier":
                            continue
                        kind = "type" if any(c.type == "type" for c in spec.children) else whole
                        name = spec.child_by_field_name("name")
                        alias = spec.child_by_field_name("alias") or name
                        if name is not None:
                            self.add_binding(
                                alias.text.decode(),
                                kind,
                                alias,
                                source=source,
                                imported=_name(name),
                            )

    def export_statement(self, node) -> None:
        decl = node.child_by_field_name("declaration")
        src_node = node.child_by_field_name("source")
        value = node.child_by_field_name("value")
        is_default = any(c.type == "default" for c in node.children)
        span = self.span(node)
        exports = self.facts.exports
        if decl is not None:
            self.visit(decl)
            for name, v in self._declared_names(decl):
                exports.append(
                    Export("default" if is_default else name, name, None, False, span, v)
                )
            return
        if value is not None:
            self.visit(value)
            local = value.text.decode() if value.type == "identifier" else None
            exports.append(Export("default", local, None, False, span, self.value_of(value)))
            return
        source = _string_value(self, src_node) if src_node is not None else None
        clause = next((c for c in node.named_children if c.type == "export_clause"), None)
        if clause is not None:
            for spec in clause.named_children:
                if spec.type != "export_specifier":
                    continue
                name = spec.child_by_field_name("name")
                alias = spec.child_by_field_name("alias") or name
                if name is not None:
                    exports.append(Export(_name(alias), _name(name), source, False, span))
            return
        ns = next((c for c in node.named_children if c.type == "namespace_export"), None)
        if ns is not None and source is not None:
            ident = ns.named_children[-1] if ns.named_children else None
            if ident is not None:
                exports.append(Export(_name(ident), "*", source, False, span))
            return
        if source is not None:
            exports.append(Export("*", None, source, True, span))

    def _declared_names(self, decl):
        t = decl.type
        if t in ("lexical_declaration", "variable_declaration"):
            for d in decl.named_children:
                if d.type == "variable_declarator":
                    n = d.child_by_field_name("name")
                    if n is not None and n.type == "identifier":
                        b = self.facts.module_binding(n.text.decode())
                        yield n.text.decode(), b.value if b is not None else None
        elif t in FUNCTION_TYPES or t in ("class_declaration", "abstract_class_declaration"):
            n = decl.child_by_field_name("name")
            if n is not None:
                fid = self.function_ids.get((decl.start_byte, decl.end_byte))
                yield n.text.decode(), FnValue(fid) if fid is not None else None

    # ── declarations and assignments ──
    def declaration(self, node) -> None:
        first = node.children[0].type if node.children else "var"
        kind = first if first in ("const", "let", "var") else "var"
        for d in node.named_children:
            if d.type != "variable_declarator":
                if d.type == "comment":
                    self.comment_node(d)
                continue
            name = d.child_by_field_name("name")
            value_node = d.child_by_field_name("value")
            if value_node is not None:
                self.visit(value_node)
            if name is None:
                continue
            value = self.value_of(value_node) if value_node is not None else None
            type_node = d.child_by_field_name("type")
            type_text = (
                self.text(type_node, 60).lstrip(": ").strip() if type_node is not None else None
            )
            self.bind_pattern(name, kind, value, value_node, type_text)

    def bind_pattern(
        self, pattern, kind: str, value: Value | None, value_node, type_text=None
    ) -> None:
        module = self._required_module(value_node)
        if pattern.type == "identifier":
            name = pattern.text.decode()
            member = self._required_member(value_node) if module is None else None
            if module is not None:
                self.add_binding(name, "import", pattern, source=module, imported="*")
            elif member is not None:  # `const Pool = require("pg").Pool`
                self.add_binding(name, "import", pattern, source=member[0], imported=member[1])
            else:
                self.add_binding(name, kind, pattern, value, type_text=type_text)
            return
        if pattern.type == "object_pattern":
            for prop in pattern.named_children:
                if prop.type == "shorthand_property_identifier_pattern":
                    key, local = prop.text.decode(), prop
                elif prop.type == "pair_pattern":
                    k = prop.child_by_field_name("key")
                    local = prop.child_by_field_name("value")
                    key = _name(k) if k is not None else ""
                    if local is not None and local.type == "assignment_pattern":
                        local = local.child_by_field_name("left")
                elif prop.type == "object_assignment_pattern":
                    local = prop.child_by_field_name("left")
                    key = local.text.decode() if local is not None else ""
                else:
                    continue
                if local is None or local.type not in (
                    "identifier",
                    "shorthand_property_identifier_pattern",
                ):
                    continue
                name = local.text.decode()
                if module is not None:
                    self.add_binding(name, "import", local, source=module, imported=key)
                elif isinstance(value, Ref):
                    self.add_binding(name, kind, local, Ref((*value.path, key)))
                else:
                    self.add_binding(name, kind, local, value)
            return
        if pattern.type == "array_pattern":
            for el in pattern.named_children:
                if el.type == "identifier":
                    self.add_binding(el.text.decode(), kind, el, value)

    def _required_member(self, value_node) -> tuple[str, str] | None:
        """`require("pg").Pool`: the module and the name read off it."""
        if value_node is None or value_node.type != "member_expression":
            return None
        prop = value_node.child_by_field_name("property")
        module = self._required_module(value_node.child_by_field_name("object"))
        if prop is None or module is None or prop.type != "property_identifier":
            return None
        return module, prop.text.decode()

    def _required_module(self, value_node) -> str | None:
        """`require("pg")`, `await import("./db")`: the module a declaration imports."""
        node = value_node
        while node is not None and node.type in ("await_expression", *UNWRAP_TYPES):
            node = node.named_children[0] if node.named_children else None
        if node is None or node.type != "call_expression":
            return None
        fn = node.child_by_field_name("function")
        if fn is None or not (
            fn.type == "import" or (fn.type == "identifier" and fn.text == b"require")
        ):
            return None
        args = node.child_by_field_name("arguments")
        first = args.named_children[0] if args is not None and args.named_children else None
        if first is not None and first.type == "string":
            return _string_value(self, first)
        return None

    def assignment(self, node) -> None:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if right is not None:
            self.visit(right)
        if left is None:
            return
        if left.type == "subscript_expression":
            for part in (left.child_by_field_name("object"), left.child_by_field_name("index")):
                if part is not None:
                    self.visit(part)
        elif left.type == "member_expression":
            obj = left.child_by_field_name("object")
            if obj is not None and obj.type not in ("identifier", "member_expression", "this"):
                self.visit(obj)
        target = self.chain(left)
        if target is None:
            return
        op_node = node.child_by_field_name("operator")
        op = op_node.text.decode() if op_node is not None else "="
        value = self.value_of(right) if right is not None else None
        key = None
        if left.type == "subscript_expression":
            idx = left.child_by_field_name("index")
            key = self.value_of(idx) if idx is not None else None
        self.facts.assigns.append(
            Assign(target, op, value, key, self.span(node), self.function, self.loop)
        )
        if self.function is None:  # CommonJS: module.exports = …, exports.handler = …
            name = None
            if target[:2] == ("module", "exports"):
                name = target[2] if len(target) > 2 else "default"
            elif target[0] == "exports" and len(target) > 1:
                name = target[1]
            if name is not None:
                self.facts.exports.append(Export(name, None, None, False, self.span(node), value))

    def binary(self, node) -> None:
        for c in node.named_children:
            self.visit(c)
        op = node.child_by_field_name("operator")
        if op is None or op.type not in COMPARISONS:
            return
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        self.facts.compares.append(
            Compare(
                self.value_of(left), op.type, self.value_of(right), self.span(node), self.function
            )
        )

    def update(self, node) -> None:
        """`page++`, `--left`: a write, as `page += 1` would be."""
        arg = node.child_by_field_name("argument")
        op = next((c.text.decode() for c in node.children if c.type in ("++", "--")), "++")
        if arg is None:
            return
        if arg.type != "identifier":
            self.visit(arg)
        target = self.chain(arg)
        if target is not None:
            self.facts.assigns.append(
                Assign(target, op, None, None, self.span(node), self.function, self.loop)
            )

    def unary(self, node) -> None:
        op = node.child_by_field_name("operator")
        arg = node.child_by_field_name("argument")
        if arg is not None:
            self.visit(arg)
        if op is not None and op.text == b"delete" and arg is not None:
            target = self.chain(arg)
            if target is not None:
                key = None
                if arg.type == "subscript_expression":
                    idx = arg.child_by_field_name("index")
                    key = self.value_of(idx) if idx is not None else None
                self.facts.assigns.append(
                    Assign(target, "delete", None, key, self.span(node), self.function, self.loop)
                )

    # ── functions and classes ──
    def function_node(self, node) -> None:
        t = node.type
        name_node = node.child_by_field_name("name")
        name = _name(name_node) if name_node is not None else self._inferred_name(node)
        param_nodes = list(self._param_nodes(node))
        params = tuple(name for name, _, _, _ in param_nodes)
        slots = tuple(slot for _, _, _, slot in param_nodes)
        is_async = any(c.type == "async" for c in node.children)
        kind = (
            "arrow"
            if t == "arrow_function"
            else ("method" if t == "method_definition" else "function")
        )
        class_name = self._class_of(node) if t == "method_definition" else None
        body = node.child_by_field_name("body")
        directives = _body_directives(self, body)
        fn = self.new_function(
            node,
            name,
            params,
            is_async,
            kind,
            class_name=class_name,
            directives=directives,
            param_slots=slots,
            ends_at=body_end(body, "statement_block", ("return_statement", "throw_statement")),
        )
        if t in ("function_declaration", "generator_function_declaration") and name:
            self.add_binding(name, "function", name_node or node, FnValue(fn.id))
        saved = self.enter_function(fn)
        for pname, pnode, ptype, _ in param_nodes:
            self.add_binding(pname, "param", pnode, type_text=ptype)
        if body is not None:
            if body.type != "statement_block":
                self._mark_returned(body)
            self.visit(body)
            if body.type != "statement_block":  # `() => new Pool()`: the body is the result
                self.facts.returns.append(Return(self.span(body), fn.id, self.value_of(body)))
        self.leave(saved)

    def return_statement(self, node) -> None:
        value = next((c for c in node.named_children if c.type != "comment"), None)
        if value is not None:
            self._mark_returned(value)
            self.visit(value)
        self.facts.returns.append(
            Return(self.span(node), self.function, self.value_of(value) if value else None)
        )

    def await_expression(self, node) -> None:
        """Marks the awaited node so the call there knows, without asking for its parents
        (`Node.parent` walks down from the root: costly a million times over)."""
        inner = _unwrap(node.named_children[0]) if node.named_children else None
        if inner is not None:
            self.awaited.add((inner.start_byte, inner.end_byte))
        for c in node.named_children:
            self.visit(c)

    def _mark_returned(self, node) -> None:
        inner = node
        while inner is not None and inner.type in ("await_expression", *UNWRAP_TYPES):
            inner = inner.named_children[0] if inner.named_children else None
        if inner is not None:
            self.returned.add((inner.start_byte, inner.end_byte))

    def _inferred_name(self, node) -> str | None:
        parent = node.parent
        while parent is not None and parent.type in UNWRAP_TYPES:
            parent = parent.parent
        if parent is None:
            return None
        if parent.type == "variable_declarator":
            n = parent.child_by_field_name("name")
            return _name(n) if n is not None else None
        if parent.type in ("pair", "public_field_definition", "field_definition"):
            k = parent.child_by_field_name("key") or parent.child_by_field_name("name")
            return _name(k) if k is not None else None
        if parent.type == "assignment_expression":
            left = parent.child_by_field_name("left")
            chain = self.chain(left) if left is not None else None
            return chain[-1] if chain else None
        if parent.type == "export_statement":
            return "default"
        return None

    def _class_of(self, node) -> str | None:
        p = node.parent
        if p is not None and p.type == "class_body":
            cls = p.parent
            n = cls.child_by_field_name("name") if cls is not None else None
            return _name(n) if n is not None else None
        return None

    def _param_nodes(self, node):
        """(name, node, declared type, slot) for each name the parameters bind. The slot says
        which argument the name comes from and, for a destructured one, under which property
        (`({ queueName }) =>` → (0, "queueName")); position -1 for a rest parameter."""
        single = node.child_by_field_name("parameter")
        if single is not None:
            if single.type == "identifier":
                yield single.text.decode(), single, None, (0, None)
            return
        params = node.child_by_field_name("parameters")
        if params is None:
            return
        position = 0
        for top in params.named_children:
            pat = top.child_by_field_name("pattern") if top.type.endswith("_parameter") else top
            if top.type == "comment" or (pat is not None and pat.type == "this"):
                continue  # TS `this: Foo` is not an argument
            stack = [(top, None, False)]
            while stack:
                p, key, nested = stack.pop()
                t = p.type
                slot = (position, key)
                if t in ("identifier", "shorthand_property_identifier_pattern"):  # `{ e = 1 }`
                    yield p.text.decode(), p, None, slot
                elif t in ("required_parameter", "optional_parameter"):
                    pat = p.child_by_field_name("pattern")
                    typ = p.child_by_field_name("type")
                    if pat is not None and pat.type == "identifier" and typ is not None:
                        yield pat.text.decode(), pat, self.text(typ, 60).lstrip(": ").strip(), slot
                    elif pat is not None:
                        stack.append((pat, key, nested))
                elif t == "assignment_pattern":
                    left = p.child_by_field_name("left")
                    if left is not None:
                        stack.append((left, key, nested))
                elif t == "rest_pattern":
                    if not nested:
                        position = -1  # `...args`: every argument from here on
                    stack.extend((c, key, nested) for c in reversed(p.named_children))
                elif t == "object_pattern":
                    for prop in reversed(p.named_children):
                        if prop.type == "shorthand_property_identifier_pattern":
                            name = prop.text.decode()
                            yield name, prop, None, (position, key or name)
                        elif prop.type == "pair_pattern":
                            k = prop.child_by_field_name("key")
                            v = prop.child_by_field_name("value")
                            if v is not None:
                                inner = key or (_name(k) if k is not None else None)
                                stack.append((v, inner, True))
                        elif prop.type == "object_assignment_pattern":
                            left = prop.child_by_field_name("left")
                            if left is not None:
                                stack.append((left, key or left.text.decode(), True))
                        elif prop.type == "rest_pattern":
                            stack.extend((c, key, True) for c in reversed(prop.named_children))
                elif t == "array_pattern":
                    stack.extend((c, key, True) for c in reversed(p.named_children))
            if position >= 0:
                position += 1

    def class_declaration(self, node) -> None:
        name_node = node.child_by_field_name("name")
        name = _name(name_node) if name_node is not None else (self._inferred_name(node) or "")
        bases: list[Value] = []
        fields: list[tuple[str, Value]] = []
        for c in node.named_children:
            if c.type == "class_heritage":
                for clause in c.named_children:
                    # TS wraps the base in an extends_clause; JS puts the expression directly
                    parts = (
                        clause.named_children
                        if clause.type in ("extends_clause", "implements_clause")
                        else [clause]
                    )
                    for v in parts:
                        self.visit(v)
                        bases.append(self.value_of(v))
        body = node.child_by_field_name("body")
        if body is not None:
            for member in body.named_children:
                if member.type in ("public_field_definition", "field_definition"):
                    key = member.child_by_field_name("name") or member.child_by_field_name(
                        "property"
                    )
                    val = member.child_by_field_name("value")
                    if val is not None:
                        self.visit(val)
                        if key is not None:
                            fields.append((_name(key), self.value_of(val)))
                else:
                    self.visit(member)
        if name and node.type != "class":
            self.add_binding(name, "class", name_node or node)
        self.facts.classes.append(
            ClassDef(name, self.span(node), tuple(bases), tuple(fields), self.function)
        )

    # ── calls ──
    def call_expression(self, node) -> None:
        new = node.type == "new_expression"
        fn_node = node.child_by_field_name("constructor" if new else "function")
        args_node = node.child_by_field_name("arguments")
        # tree-sitter-typescript reads `await fetchUrl<T>(url)` as a call of `await fetchUrl`
        awaited_callee = (
            fn_node is not None
            and fn_node.type == "await_expression"
            and node.child_by_field_name("type_arguments") is not None
            and bool(fn_node.named_children)
        )
        if awaited_callee:
            fn_node = fn_node.named_children[0]
        cid = self.reserve_call(node)
        if fn_node is not None and fn_node.type not in ("identifier", "import"):
            self.visit(fn_node)
        saved = (self.call, self.arg_index)
        args: list[Value] = []
        template = args_node is not None and args_node.type == "template_string"
        if args_node is not None:
            self.call = cid
            if template:
                self.arg_index = 0
                self.template_string(args_node)
                args.append(self.value_of(args_node))
            else:
                i = 0
                for a in args_node.named_children:
                    if a.type == "comment":
                        continue
                    self.arg_index = i
                    self.visit(a)
                    if i < MAX_ITEMS:
                        args.append(self.value_of(a))
                    i += 1
        self.call, self.arg_index = saved
        path = self.chain(fn_node) if fn_node is not None else None
        receiver = None
        receiver_value = None
        name = ""
        if path is not None:
            name = path[-1]
        elif fn_node is not None and fn_node.type == "member_expression":
            prop = fn_node.child_by_field_name("property")
            name = _name(prop) if prop is not None else ""
            obj = _unwrap(fn_node.child_by_field_name("object"))
            if obj is not None and obj.type in ("call_expression", "new_expression"):
                receiver = self.call_ids.get((obj.start_byte, obj.end_byte))
            elif obj is not None and obj.type in ("array", "object"):
                receiver_value = self.value_of(obj)
        here = (node.start_byte, node.end_byte)
        awaited = awaited_callee or here in self.awaited
        returned = here in self.returned
        call_record(
            self,
            cid,
            span=self.span(node),
            name=name,
            path=path,
            receiver=receiver,
            new=new,
            args=tuple(args),
            kwargs=(),
            awaited=awaited,
            function=self.function,
            loop=self.loop,
            block=self.block,
            in_finally=self.in_finally,
            parent=self.call,
            arg_index=self.arg_index,
            text=self.text(fn_node, 60) if fn_node is not None else "",
            template=template,
            returned=returned,
            receiver_value=receiver_value,
        )

    # ── loops and blocks ──
    def for_in(self, node) -> None:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        tokens = {c.type for c in node.children if not c.is_named}
        kind = "for_of" if "of" in tokens else "for_in"
        if "await" in tokens:
            kind = "for_await"
        if right is not None:
            self.visit(right)
        bound = None
        if right is not None and _unwrap(right).type == "array":
            bound = len(_unwrap(right).named_children)
        loop = self._new_loop(node, kind, right, bound)
        saved = self.loop
        self.loop = loop.id
        if left is not None:
            names = []
            target = left
            if left.type in ("lexical_declaration", "variable_declaration"):
                decl = next(
                    (c for c in left.named_children if c.type == "variable_declarator"), None
                )
                target = decl.child_by_field_name("name") if decl is not None else None
            if target is not None:
                for ident in _pattern_identifiers(target):
                    names.append(ident.text.decode())
                    self.add_binding(ident.text.decode(), "loop", ident)
            loop.targets = tuple(names)
        body = node.child_by_field_name("body")
        if body is not None:
            self.visit(body)
        self.loop = saved

    def for_statement(self, node) -> None:
        init = node.child_by_field_name("initializer")
        if init is not None:
            self.visit(init)
        cond = node.child_by_field_name("condition")
        bound = None
        iterable = None
        if cond is not None:
            c = (
                cond.named_children[0]
                if cond.type == "expression_statement" and cond.named_children
                else cond
            )
            if c.type == "binary_expression":
                op = c.child_by_field_name("operator")
                right = c.child_by_field_name("right")
                if op is not None and right is not None and op.text in (b"<", b"<="):
                    if right.type == "number":
                        try:
                            bound = int(float(right.text.decode())) + (1 if op.text == b"<=" else 0)
                        except ValueError:
                            bound = None
                    elif right.type == "member_expression":
                        chain = self.chain(right)
                        if chain and chain[-1] == "length":
                            iterable = right.child_by_field_name("object")
                    elif right.type == "identifier":  # i < MAX_RETRIES, const MAX_RETRIES = 3
                        b = self.facts.lookup(right.text.decode(), self.function)
                        if b is not None and b.kind == "const" and isinstance(b.value, Num):
                            bound = int(b.value.value) + (1 if op.text == b"<=" else 0)
        loop = self._new_loop(node, "for", iterable, bound)
        if iterable is None and cond is not None and cond.type != "empty_statement":
            c = _unwrap(cond.named_children[0]) if cond.type == "expression_statement" else cond
            if c is not None:  # `for (let page = 0; hasMore; page++)`: what decides the next turn
                loop.condition = self.value_of(c)
                loop.iterable_text = self.text(c, 60)
        saved = self.loop
        self.loop = loop.id
        for part in ("condition", "increment", "body"):
            child = node.child_by_field_name(part)
            if child is not None:
                self.visit(child)
        self.loop = saved

    def while_statement(self, node) -> None:
        cond = node.child_by_field_name("condition")
        loop = self._new_loop(node, "while" if node.type == "while_statement" else "do", None, None)
        saved = self.loop
        self.loop = loop.id
        body = node.child_by_field_name("body")
        if body is not None:
            self.visit(body)
        if cond is not None:
            self.visit(cond)
            loop.condition = self.value_of(_unwrap(cond))
            loop.iterable_text = self.text(cond, 60)
        self.loop = saved

    def _new_loop(self, node, kind: str, iterable_node, bound) -> Loop:
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

    def try_statement(self, node) -> None:
        block = Block(len(self.facts.blocks), "try", self.span(node), self.function, self.block)
        self.facts.blocks.append(block)
        saved_block, saved_fin = self.block, self.in_finally
        self.block = block.id
        body = node.child_by_field_name("body")
        if body is not None:
            self.visit(body)
        handler = node.child_by_field_name("handler")
        if handler is not None:
            catch = Block(
                len(self.facts.blocks), "catch", self.span(handler), self.function, block.id
            )
            self.facts.blocks.append(catch)
            self.block = catch.id
            self.visit(handler)
            self.block = block.id
            clause = handler.child_by_field_name("body")
            last = last_statement(clause) if clause is not None else None
            if last is not None:
                catch.exit, catch.exit_value = self.clause_exit(last)
        fin = node.child_by_field_name("finalizer")
        if fin is not None:
            self.in_finally = True
            self.visit(fin)
        self.block, self.in_finally = saved_block, saved_fin

    def if_statement(self, node) -> None:
        """`if (process.env.NODE_ENV === "development") {…} else {…}`: the branch a production
        build never takes is kept as a `dev-only` block. Next.js's own examples make their
        database client in such a branch, on `globalThis`, to survive hot reloads."""
        branch = self._dev_only_branch(node)
        if branch is not None:
            self.facts.blocks.append(
                Block(
                    len(self.facts.blocks), "dev-only", self.span(branch), self.function, self.block
                )
            )
        for c in node.named_children:
            self.visit(c)

    def _dev_only_branch(self, node):
        cond = node.child_by_field_name("condition")
        while cond is not None and cond.type == "parenthesized_expression":
            cond = cond.named_children[0] if cond.named_children else None
        if cond is None or cond.type != "binary_expression":
            return None
        op = cond.child_by_field_name("operator")
        if op is None or op.type not in ("===", "==", "!==", "!="):
            return None
        left = self.value_of(cond.child_by_field_name("left"))
        right = self.value_of(cond.child_by_field_name("right"))
        if isinstance(right, Env):
            left, right = right, left
        if not (isinstance(left, Env) and left.name == "NODE_ENV" and isinstance(right, Str)):
            return None
        # `=== "development"` and `!== "production"` guard their body; `=== "production"`
        # and `!== "development"` leave the development code to the `else`.
        guards_body = (op.type in ("===", "==")) != (right.value == "production")
        return node.child_by_field_name("consequence" if guards_body else "alternative")

    # ── values ──
    def chain(self, node) -> tuple[str, ...] | None:
        """`a.b.c` → ("a","b","c"); `a[k].c` → ("a","[]","c"); None when not a plain chain."""
        parts: list[str] = []
        while node is not None:
            t = node.type
            if t == "identifier" or t == "this" or t == "super":
                parts.append(node.text.decode())
                parts.reverse()
                return tuple(parts)
            if t == "member_expression":
                prop = node.child_by_field_name("property")
                parts.append(_name(prop) if prop is not None else "")
                node = node.child_by_field_name("object")
            elif t == "subscript_expression":
                idx = node.child_by_field_name("index")
                parts.append(
                    _string_value(self, idx) if idx is not None and idx.type == "string" else "[]"
                )
                node = node.child_by_field_name("object")
            elif t in UNWRAP_TYPES:
                node = node.named_children[0] if node.named_children else None
            elif t == "meta_property":
                parts.append("import.meta")
                parts.reverse()
                return tuple(parts)
            else:
                return None
        return None

    def value_of(self, node, depth: int = 0) -> Value:
        if node is None:
            return Unknown()
        t = node.type
        if t == "string":
            return Str(_string_value(self, node))
        if t == "template_string":
            subs = any(c.type == "template_substitution" for c in node.named_children)
            return Str(self.raw(node)[1:-1], template=subs)
        if t == "number":
            try:
                return Num(float(node.text.decode().replace("_", "")))
            except ValueError:
                return Unknown(node.text.decode())
        if t in ("true", "false"):
            return Const(t == "true")
        if t in ("null", "undefined"):
            return Const(None)
        if t in ("identifier", "this", "member_expression", "subscript_expression"):
            if t == "identifier" and node.text == b"undefined":
                return Const(None)
            chain = self.chain(node)
            if chain is None:
                return Unknown(self.text(node, 40))
            if len(chain) == 3 and chain[:2] in (("process", "env"), ("Bun", "env")):
                return Env(chain[2])
            if len(chain) == 3 and chain[:2] == ("import.meta", "env"):
                return Env(chain[2])
            return Ref(chain)
        if t in ("call_expression", "new_expression"):
            fn = node.child_by_field_name("function")
            path = self.chain(fn) if fn is not None and t == "call_expression" else None
            if path in ENV_CALLS:
                args = node.child_by_field_name("arguments")
                first = args.named_children[0] if args is not None and args.named_children else None
                if first is not None and first.type == "string":
                    return Env(_string_value(self, first))
            cid = self.call_ids.get((node.start_byte, node.end_byte))
            return CallResult(cid) if cid is not None else Unknown(self.text(node, 40))
        if t == "await_expression" or t in UNWRAP_TYPES:
            return self.value_of(node.named_children[0] if node.named_children else None, depth)
        if t in FUNCTION_TYPES:
            fid = self.function_ids.get((node.start_byte, node.end_byte))
            return FnValue(fid) if fid is not None else Unknown()
        if depth >= MAX_VALUE_DEPTH:
            return Unknown(self.text(node, 40))
        if t == "object":
            items: list[tuple[str, Value]] = []
            lines: list[int] = []
            spread = False
            for c in node.named_children[:MAX_ITEMS]:
                if c.type == "pair":
                    k = c.child_by_field_name("key")
                    v = c.child_by_field_name("value")
                    if k is not None:
                        items.append((_key_name(self, k), self.value_of(v, depth + 1)))
                        lines.append(c.start_point[0] + 1)
                elif c.type == "shorthand_property_identifier":
                    items.append((c.text.decode(), Ref((c.text.decode(),))))
                    lines.append(c.start_point[0] + 1)
                elif c.type == "method_definition":
                    n = c.child_by_field_name("name")
                    fid = self.function_ids.get((c.start_byte, c.end_byte))
                    if n is not None:
                        items.append((_name(n), FnValue(fid) if fid is not None else Unknown()))
                        lines.append(c.start_point[0] + 1)
                elif c.type == "spread_element":
                    spread = True
            return Obj(tuple(items), spread, tuple(lines))
        if t == "array":
            return Arr(tuple(self.value_of(c, depth + 1) for c in node.named_children[:MAX_ITEMS]))
        if t == "binary_expression":
            op = node.child_by_field_name("operator")
            if op is not None and op.text in (b"||", b"??"):
                return Alt(
                    (
                        self.value_of(node.child_by_field_name("left"), depth + 1),
                        self.value_of(node.child_by_field_name("right"), depth + 1),
                    )
                )
        if t == "ternary_expression":
            return Alt(
                (
                    self.value_of(node.child_by_field_name("consequence"), depth + 1),
                    self.value_of(node.child_by_field_name("alternative"), depth + 1),
                )
            )
        return Unknown(self.text(node, 40))


def _unwrap(node):
    while node is not None and node.type in UNWRAP_TYPES:
        node = node.named_children[0] if node.named_children else None
    return node


def _name(node) -> str:
    if node.type == "string":
        return node.text.decode()[1:-1]
    return node.text.decode()


def _key_name(walk: SourceWalk, node) -> str:
    if node.type == "string":
        return _string_value(walk, node)
    if node.type == "computed_property_name":
        return "[" + walk.text(node, 30)[1:-1] + "]"
    return node.text.decode()


def _string_value(walk: SourceWalk, node) -> str:
    raw = walk.raw(node)
    return raw[1:-1] if len(raw) >= 2 and raw[0] in "'\"`" else raw


def _body_directives(walk: SourceWalk, body) -> tuple[str, ...]:
    if body is None or body.type != "statement_block":
        return ()
    out = []
    for stmt in body.named_children:
        if stmt.type == "expression_statement" and stmt.named_children:
            inner = stmt.named_children[0]
            if inner.type == "string":
                out.append(_string_value(walk, inner))
                continue
        break
    return tuple(out)


def _pattern_identifiers(node):
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in ("identifier", "shorthand_property_identifier_pattern"):
            yield n
        elif n.type in (
            "object_pattern",
            "array_pattern",
            "pair_pattern",
            "assignment_pattern",
            "rest_pattern",
            "object_assignment_pattern",
        ):
            if n.type == "pair_pattern":
                v = n.child_by_field_name("value")
                if v is not None:
                    stack.append(v)
            elif n.type in ("assignment_pattern", "object_assignment_pattern"):
                left = n.child_by_field_name("left")
                if left is not None:
                    stack.append(left)
            else:
                stack.extend(reversed(n.named_children))


@cache
def _dispatch(kind: str) -> list:
    handlers = {t: getattr(_JsWalk, method) for t, method in HANDLERS.items()}
    for t in SKIP_TYPES:
        handlers.setdefault(t, skip)
    return kind_table(language(kind), handlers)
