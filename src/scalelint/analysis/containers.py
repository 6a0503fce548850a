"""Module-level containers, and every write that grows or shrinks them.

A `Map`, `Set`, object or array declared at the top of a module (Python: `dict`, `list`,
`set`, `defaultdict`, `OrderedDict`, `Counter`, `deque`) lives as long as the process that
loaded it. This module finds each one and every write to it — in its own file and in every
file that imports it — sorted into growth (`.set`, `[k] =`, `.push`, `.add`, `.append`,
`.setdefault`, `.update`, `|=`), shrinking (`.delete`, `.clear`, `.pop`, `.shift`,
`.splice`, `delete`/`del`, `popitem`, reassignment, a size check) and escapes (handed to a
project function or stored under another name, where its writes can no longer be followed).
What counts as which lives in the `module-containers` and `container-methods` tables of
rules/SL401-unbounded-module-cache.yml: a method counts only on the kind that has it (an
object literal has no `.set`; `store.set(k, v)` on one calls a function it holds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scalelint.analysis.names import module_name
from scalelint.analysis.values import arg_at
from scalelint.facts.code import (
    Alt,
    Arr,
    Binding,
    Call,
    CallResult,
    CodeFacts,
    Num,
    Obj,
    Ref,
    Unknown,
    Value,
    walk_values,
)
from scalelint.findings import Span

if TYPE_CHECKING:
    from scalelint.analysis.project import Project

_KEYS_LENGTH = re.compile(r"^Object\.(?:keys|values|entries)\(\s*([\w$]+)\s*\)\.length$")
RELATIONAL = frozenset({"<", "<=", ">", ">="})
SIZE_PROPERTIES = frozenset({"size", "length"})
TABLE_LOOKUPS = frozenset({"get", "has", "hasOwnProperty", "includes"})


@dataclass(frozen=True)
class Container:
    rel: str
    binding: Binding
    kind: str  # "Map", "Set", "object", "array", "dict", "list", "set", "defaultdict", …

    @property
    def name(self) -> str:
        return self.binding.name


@dataclass(frozen=True)
class Write:
    rel: str
    function: int | None
    span: Span
    text: str  # `requestCounts.set(…)`, `cache[…] =`, `size check`
    key: Value | None = None  # keyed writes add an entry only for a new key (or Set element)
    keyed: bool = False
    value: Value | None = None  # what is stored
    nested: bool = False  # on one entry (`cache[k].push(v)`), not on the container itself


@dataclass
class ContainerUse:
    container: Container
    grows: list[Write] = field(default_factory=list)
    shrinks: list[Write] = field(default_factory=list)
    escapes: list[Write] = field(default_factory=list)


def module_containers(project: Project) -> list[ContainerUse]:
    """Every module-level container of the project with the writes that reach it."""
    k = project.knowledge
    found: dict[tuple[str, str], ContainerUse] = {}
    for rel, code in project.code_files():
        module_scope = code.scopes.get(None, {})
        for b in code.bindings:
            if b.function is not None or b.kind not in ("const", "let", "var", "assign"):
                continue
            if module_scope.get(b.name) != b.id:
                continue
            kind = container_kind(project, rel, code, b.value)
            if kind is not None:
                found[(rel, b.name)] = ContainerUse(Container(rel, b, kind))
    if not found:
        return []
    names = {name for _, name in found}
    for rel, code in project.code_files():
        _WriteCollector(project, rel, code, found, names, k).collect()
    return sorted(found.values(), key=lambda u: (u.container.rel, u.container.binding.span.line))


def container_kind(project: Project, rel: str, code: CodeFacts, value: Value | None) -> str | None:
    """ "Map", "dict", … when `value` makes a new, unbounded container; None otherwise."""
    table = project.knowledge["module-containers"][code.language]
    if isinstance(value, Alt):  # `globalThis.__cache ?? new Map()`: the dev-reload singleton
        kinds = [container_kind(project, rel, code, v) for v in value.options]
        return next((k for k in kinds if k is not None), None)
    if isinstance(value, Obj):
        return "object" if code.language == "js" else "dict"
    if isinstance(value, Arr):
        return "array" if code.language == "js" else "list"
    if not isinstance(value, CallResult):
        return None
    call = code.calls[value.call]
    if call is None:
        return None
    name = _constructor_name(project, rel, code, call)
    if name is None or name not in table:
        return None
    entry = table[name]
    if code.language == "js" and entry.get("new") and not call.new:
        return None
    if any(arg_at(code, call, spec) is not None for spec in entry.get("bounded-by", ())):
        return None
    return entry["kind"]


def _constructor_name(project: Project, rel: str, code: CodeFacts, call: Call) -> str | None:
    """`Map`, `Object.create`, `dict`, `collections.defaultdict`: the callee, qualified by the
    module it is imported from (globals and builtins stay bare)."""
    if not call.path:
        return None
    root = code.lookup(call.path[0], call.function)
    if root is None:
        return ".".join(call.path)
    if root.kind != "import" or project.import_target(rel, root) is not None:
        return None
    if root.imported in (None, "*", "default"):
        return ".".join((root.source or "", *call.path[1:]))
    return ".".join((root.source or "", root.imported, *call.path[1:]))


class _WriteCollector:
    """The writes one file makes to any of the project's module containers."""

    def __init__(self, project, rel, code, found, names, knowledge) -> None:
        self.project = project
        self.rel = rel
        self.code = code
        self.found = found
        self.names = names
        self.methods = knowledge["container-methods"]
        every = self.methods.values()
        # an entry's own methods (`cache[k].push(v)`): its kind is not known
        self.entry_growth = {m for kind in every for m in kind.get("grow", ())}
        self.entry_shrink = {m for kind in every for m in kind.get("shrink", ())}
        self.import_aliases = {
            b.name for b in self.code.bindings if b.kind == "import" and b.imported in names
        }

    def collect(self) -> None:
        for call in self.code.calls:
            if call is not None:
                self._call(call)
        for a in self.code.assigns:
            self._assign(a)
        for b in self.code.bindings:
            if b.kind != "import" and isinstance(b.value, Ref):
                self._escape(b.value, b.function, b.span, f"{b.name} = …", self_binding=b)
        for cmp in self.code.compares:
            self._compare(cmp)

    def may_name(self, path: tuple[str, ...] | None) -> bool:
        """Whether `path` can lead to a container at all: most references in a file do not,
        and this is asked of every call and argument of every file."""
        if not path:
            return False
        names = self.names
        return (
            path[0] in names
            or (len(path) > 1 and path[1] in names)
            or path[0] in self.import_aliases
        )

    def resolve(self, path: tuple[str, ...] | None, function: int | None):
        if not self.may_name(path) or not (
            path[0] in self.names
            or (len(path) > 1 and path[1] in self.names)
            or self._aliased(path[0], function)
        ):
            return None
        mn = module_name(self.project, self.rel, path, function)
        if mn is None:
            return None
        use = self.found.get((mn.rel, mn.name))
        return (use, mn.rest) if use is not None else None

    def _aliased(self, name: str, function: int | None) -> bool:
        if name not in self.import_aliases:  # most names are not imports of a container
            return False
        b = self.code.lookup(name, function)
        return b is not None and b.kind == "import" and b.imported in self.names

    def _write(self, use: ContainerUse, bucket: str, span: Span, function, text: str, **kw) -> None:
        if self.code.after_return(function, span.line, span.col):
            return  # written after an early `return`: never runs
        getattr(use, bucket).append(Write(self.rel, function, span, text, **kw))

    def _call(self, call: Call) -> None:
        path = call.path
        found = (
            self.resolve(path, call.function)
            if path and len(path) >= 2 and self.may_name(path)
            else None
        )
        if found is not None:
            text = f"{call.text}(…)"
            use, rest = found
            method = rest[-1] if rest else ""
            methods = self.methods.get(use.container.kind, {})
            if len(rest) == 1 and method in methods.get("grow", ()):
                keyed = method in methods.get("keyed", ())
                key = call.args[0] if call.args else None
                if keyed and key is None:
                    return  # `d.update(a=1)`: fixed keys
                value = call.args[-1] if call.args else None
                self._write(
                    use, "grows", call.span, call.function, text, key=key, keyed=keyed, value=value
                )
            elif len(rest) == 1 and method in methods.get("shrink", ()):
                self._write(use, "shrinks", call.span, call.function, text)
            elif len(rest) == 2 and rest[0] == "[]" and method in self.entry_growth:
                self._write(use, "grows", call.span, call.function, text, nested=True)
            elif len(rest) == 2 and rest[0] == "[]" and method in self.entry_shrink:
                self._write(use, "shrinks", call.span, call.function, text, nested=True)
            return
        if path == ("Object", "assign") and call.binding is None and call.args:
            target = call.args[0]
            hit = self.resolve(target.path, call.function) if isinstance(target, Ref) else None
            if hit is not None and not hit[1]:
                key = call.args[1] if len(call.args) > 1 else None
                text = f"{call.text}(…)"
                self._write(hit[0], "grows", call.span, call.function, text, key=key, keyed=True)
            return
        handed = [
            arg
            for arg in (*call.args, *(v for _, v in call.kwargs))
            if type(arg) is Ref
            and self.may_name(arg.path)
            and self.resolve(arg.path, call.function) is not None
        ]
        if not handed or self.project.callgraph.target(self.rel, call) is None:
            return  # outside code (`JSON.stringify(cache)`, `len(cache)`) cannot remove entries
        for arg in handed:
            self._escape(arg, call.function, call.span, f"passed to `{call.text}`")

    def _escape(self, value: Ref, function, span: Span, text: str, self_binding=None) -> None:
        hit = self.resolve(value.path, function)
        if hit is None or hit[1]:
            return
        use = hit[0]
        if self_binding is not None and use.container.binding is self_binding:
            return
        self._write(use, "escapes", span, function, text)

    def _assign(self, a) -> None:
        found = self.resolve(a.target, a.function)
        if found is None:
            return
        use, rest = found
        name = use.container.name
        removing = a.op in ("delete", "del")
        if not rest:
            if a.function is None:
                return
            if a.op in ("|=", "+="):
                keyed = a.op == "|="
                self._write(
                    use,
                    "grows",
                    a.span,
                    a.function,
                    f"{name} {a.op} …",
                    key=a.value if keyed else None,
                    keyed=keyed,
                    value=a.value,
                )
            elif a.op == "=" and not self._self_growing(use, a.value):
                self._write(use, "shrinks", a.span, a.function, f"{name} = …")
            return
        if rest == ("[]",):
            if removing:
                self._write(use, "shrinks", a.span, a.function, f"{a.op} {name}[…]")
            else:
                self._write(
                    use,
                    "grows",
                    a.span,
                    a.function,
                    f"{name}[…] {a.op} …",
                    key=a.key,
                    keyed=True,
                    value=a.value,
                )
        elif rest == ("length",) and a.op == "=":
            self._write(use, "shrinks", a.span, a.function, f"{name}.length = …")
        elif rest == ("[]", "[]"):
            bucket = "shrinks" if removing else "grows"
            self._write(use, bucket, a.span, a.function, f"{name}[…][…] {a.op} …", nested=True)

    def _self_growing(self, use: ContainerUse, value: Value | None) -> bool:
        """`items = [...items, x]`, `cache = {**cache, k: v}`: a reassignment that keeps every
        entry; `items = items.slice(-100)` / `.filter(…)` trims (a shrink)."""
        if isinstance(value, Obj) and value.spread:
            return True
        if isinstance(value, Arr) and any(
            isinstance(v, Unknown) and v.text.startswith(("...", "*")) for v in value.items
        ):
            return True
        if isinstance(value, CallResult):
            call = self.code.calls[value.call]
            hit = self.resolve(call.path, call.function) if call is not None and call.path else None
            if hit is not None and hit[0] is use:
                trims = self.methods.get(use.container.kind, {}).get("trims", ())
                return call.name not in trims
        return False

    def _compare(self, cmp) -> None:
        if cmp.op not in RELATIONAL:
            return
        for side, other in ((cmp.left, cmp.right), (cmp.right, cmp.left)):
            if isinstance(other, Num) and other.value <= 1:
                continue  # `cache.size > 0`: an emptiness test, not a bound
            target = None
            if isinstance(side, Ref) and len(side.path) >= 2 and side.path[-1] in SIZE_PROPERTIES:
                target = side.path[:-1]
            elif isinstance(side, Unknown):  # `Object.keys(cache).length`
                m = _KEYS_LENGTH.match(side.text)
                target = (m.group(1),) if m else None
            elif isinstance(side, CallResult):
                call = self.code.calls[side.call]
                if (
                    call is not None
                    and call.path == ("len",)
                    and call.binding is None
                    and call.args
                ):
                    first = call.args[0]
                    target = first.path if isinstance(first, Ref) else None
            hit = self.resolve(target, cmp.function) if target else None
            if hit is not None and not hit[1]:
                self._write(hit[0], "shrinks", cmp.span, cmp.function, "size check")
                return


def fixed_table_guard(project: Project, write: Write, growing: set[tuple[str, str]]) -> str | None:
    """The fixed module-level table a write's key is checked against (`ALLOWED.has(key)`,
    `if key not in PLANS`) or its value is looked up in (`const load = LOADERS[name]; …
    cache.set(name, await load())`): either bounds the keys the write can add."""
    code = project.code(write.rel)
    if code is None or write.function is None:
        return None
    scope = {f.id for f in code.enclosing_functions(write.function)}
    key_names = _names(code, write.key, write.function)
    candidates: list[tuple[tuple[str, ...], int | None]] = []
    for call in code.calls:
        if call is None or call.function not in scope or not call.path:
            continue
        if len(call.path) >= 2 and call.path[-1] in TABLE_LOOKUPS and call.args:
            table, probe = call.path[:-1], call.args[0]
        elif (
            call.path == ("Object", "hasOwn")
            and len(call.args) > 1
            and isinstance(call.args[0], Ref)
        ):
            table, probe = call.args[0].path, call.args[1]
        else:
            continue
        if key_names & _names(code, probe, call.function):
            candidates.append((table, call.function))
    for cmp in code.compares:
        if (
            cmp.function in scope
            and cmp.op in ("in", "not in")
            and isinstance(cmp.right, Ref)
            and key_names & _names(code, cmp.left, cmp.function)
        ):
            candidates.append((cmp.right.path, cmp.function))
    for ref, fn in _local_refs(code, write.value, write.function):
        if len(ref.path) >= 2 and ref.path[1] == "[]":
            candidates.append((ref.path[:1], fn))
    for path, fn in candidates:
        mn = module_name(project, write.rel, path, fn)
        if mn is None or mn.rest or (mn.rel, mn.name) in growing:
            continue
        defining = project.code(mn.rel)
        b = defining.module_binding(mn.name) if defining is not None else None
        if b is not None and _fixed_table(defining, b.value):
            return mn.name
    return None


def _names(code: CodeFacts, value: Value | None, function: int | None) -> set[str]:
    """The local names a value is built from, through local declarations."""
    return {ref.path[0] for ref, _ in _local_refs(code, value, function)}


def _local_refs(code: CodeFacts, value: Value | None, function: int | None, depth: int = 0):
    """Every name reference a value is made of, following local declarations and calls
    (`await loader()` reads `loader`, declared as `LOADERS[format]`)."""
    if value is None or depth > 4:
        return
    for v in walk_values(value):
        if isinstance(v, Ref):
            yield v, function
            b = code.lookup(v.path[0], function)
            if (
                b is not None
                and b.function is not None
                and b.kind in ("const", "let", "var", "assign")
            ):
                yield from _local_refs(code, b.value, b.function, depth + 1)
        elif isinstance(v, CallResult):
            call = code.calls[v.call]
            if call is None:
                continue
            if call.path:
                yield from _local_refs(code, Ref(call.path), call.function, depth + 1)
            for arg in call.args:
                yield from _local_refs(code, arg, call.function, depth + 1)
            if call.receiver is not None:
                yield from _local_refs(code, CallResult(call.receiver), call.function, depth + 1)


def _fixed_table(code: CodeFacts, value: Value | None) -> bool:
    if isinstance(value, Obj | Arr):
        return bool(value.items)
    if isinstance(value, CallResult):
        call = code.calls[value.call]
        return call is not None and bool(call.args) and isinstance(call.args[0], Arr | Obj)
    return False
