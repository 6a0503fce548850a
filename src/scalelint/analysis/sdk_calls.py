"""Which outside package a call goes to, resolved through imports, never by name alone.

`stripe.subscriptions.retrieve(id)` is a Stripe API call only when `stripe` is an object that
`new Stripe(key)` made, `import Stripe from "stripe"` (or `https://esm.sh/stripe@14` in a
Supabase Edge Function) included; a local variable that happens to be called `stripe` is not.
The slow-call, deferral and webhook-signature vocabularies are all lists of *call patterns*
matched here:

- `calls`:   the call itself is to something imported: "module:name" globs
             (`ai:generateText`, `stripe:[A-Z]*.*` for Python's `stripe.Customer.create`);
- `clients`: the call is a method of an object one of these made ("module:name" of the
             constructor or factory: `stripe:default`, `nodemailer:createTransport`), its
             member path after the object matching `methods` (globs, default any);
- `members`: globs over the whole callee chain, for receivers that cannot be resolved
             (`*.waitUntil`, `env.*.send`);
- `decorated`: the call is a method (`methods`) of a project function decorated with one of
             these names (Celery `@shared_task` → `send_email.delay()`);
- `except`:  names or member paths that do not count (`webhooks.*` on a Stripe client);
- `imports`: the file must import one of these "module:name" (FastAPI's `BackgroundTasks`);
- `language`: "js" or "python" only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scalelint.analysis.clients import external_callee
from scalelint.analysis.patterns import callee_match, glob_match
from scalelint.facts.code import Binding, Call, CallResult, CodeFacts, Ref

if TYPE_CHECKING:
    from scalelint.analysis.project import Project

_REQUIRE = re.compile(r"""^require\(\s*["']([^"']+)["']\s*\)$""")
_VERSION = re.compile(r"@[^/]*$")
MAX_DERIVED = 2


def package_name(spec: str) -> str:
    """The package an import specifier names: `https://esm.sh/stripe@14.21.0?target=deno`,
    `npm:stripe@^14` and `stripe` are all `stripe`; `node:crypto` is `crypto`."""
    spec = spec.split("?", 1)[0].split("#", 1)[0]
    for prefix in ("npm:", "jsr:", "node:"):
        if spec.startswith(prefix):
            spec = spec[len(prefix) :]
            break
    else:
        m = re.match(r"^https?://[^/]+/(.*)$", spec)
        if m is None:
            return spec
        parts = [p for p in m.group(1).split("/") if p]
        if parts[:1] == ["x"]:  # deno.land/x/<name>@<version>/mod.ts
            parts = parts[1:]
        while parts and re.fullmatch(r"v\d+|stable|gh|npm", parts[0]):  # esm.sh/v135/…
            parts = parts[1:]
        spec = "/".join(parts)
    parts = spec.split("/")
    head = 2 if parts[0].startswith("@") and len(parts) > 1 else 1
    name = [_VERSION.sub("", p) if i == head - 1 else p for i, p in enumerate(parts[:head])]
    rest = parts[head:]
    if rest and "." in rest[-1] and not spec.startswith("@"):  # …/mod.ts, …/index.js
        rest = []
    return "/".join(name + rest)


@dataclass(frozen=True)
class Client:
    """A call's receiver traced to the outside constructor that made it."""

    made_by: tuple[str, str]  # ("stripe", "default"), ("nodemailer", "createTransport")
    member: str  # the member path after the object: "customers.create", "getModel().generate"


class SdkCalls:
    """Answers, per project and with caches: which outside callee is this call, which object
    is it a method of, and does it match a call pattern."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._callee: dict[tuple[str, int], tuple[str, str] | None] = {}
        self._client: dict[tuple[str, int], Client | None] = {}
        self._imports: dict[tuple[str, tuple[str, ...]], bool] = {}
        self._matches: dict[tuple[int, str, int], bool] = {}
        self._outside: dict[tuple[str, int], bool] = {}

    def callee(self, rel: str, call: Call) -> tuple[str, str] | None:
        """(package, name) of a call on something imported from outside the project:
        `new Stripe(key)` → ("stripe", "default"); `require("stripe")(key)` too."""
        key = (rel, call.id)
        if key not in self._callee:
            self._callee[key] = self._find_callee(rel, call)
        return self._callee[key]

    def _find_callee(self, rel: str, call: Call) -> tuple[str, str] | None:
        code = self.project.code(rel)
        if code is None:
            return None
        if call.path is None:
            m = _REQUIRE.match(call.text)
            return (package_name(m.group(1)), "default") if m is not None else None
        found = external_callee(code, call)
        if found is None or call.binding is None:
            return None
        b = code.bindings[call.binding]
        if (b.source or "").startswith((".", "/", "@/", "~/")) or self.project.import_file(rel, b):
            return None  # the project's own module
        return _module(code, found[0]), found[1]

    def client(self, rel: str, call: Call, depth: int = 0) -> Client | None:
        """The outside object `call` is a method of: `stripe.customers.create()` where
        `stripe = new Stripe(key)` in this or another file; `new Webhook(secret).verify()`;
        `genAI.getGenerativeModel().generateContent()` (an object another one made)."""
        key = (rel, call.id)
        if depth == 0 and key in self._client:
            return self._client[key]
        found = self._find_client(rel, call, depth)
        if depth == 0:
            self._client[key] = found
        return found

    def _find_client(self, rel: str, call: Call, depth: int) -> Client | None:
        code = self.project.code(rel)
        if code is None:
            return None
        if call.path is not None and len(call.path) >= 2:
            if call.path[0] in ("this", "self", "cls"):
                return None
            member = ".".join(call.path[1:])
            typed = self._declared_client(rel, code, code.lookup(call.path[0], call.function))
            if typed is not None:
                return Client(typed, member)
            for o in self.project.origins(rel, Ref(call.path[:1]), call.function):
                if o.call is None:
                    continue
                made = self._maker(o.rel, o.call, depth)
                if made is not None:
                    return Client(made.made_by, _join(made.member, member))
            return None
        if call.path is None and call.receiver is not None:
            made = self._maker(rel, call.receiver, depth)
            if made is not None:
                return Client(made.made_by, _join(made.member, call.name))
        return None

    def _declared_client(
        self, rel: str, code: CodeFacts, b: Binding | None
    ) -> tuple[str, str] | None:
        """A parameter whose declared type is an outside client class (`stripe: Stripe` with
        `import Stripe from "stripe"`, `client: StripeClient`): that class, as the
        (package, name) a constructor call of it would have."""
        if b is None or b.kind != "param" or not b.type_text:
            return None
        path = b.type_text.strip().split(".")
        if not all(part.isidentifier() for part in path):
            return None  # a union, a generic, an object shape
        t = code.lookup(path[0], b.function)
        if t is None or t.kind not in ("import", "type") or not t.source:
            return None
        if t.source.startswith((".", "/", "@/", "~/")) or self.project.import_file(rel, t):
            return None  # a type of the project's own
        imported = t.imported or t.name
        name = ".".join(path[1:] if imported == "*" else (imported, *path[1:]))
        return _module(code, t.source), name

    def _maker(self, rel: str, call_id: int, depth: int) -> Client | None:
        """What made the object a call returned: an outside constructor (member ""), or a
        method of another outside object (member "getModel()")."""
        code = self.project.code(rel)
        if code is None:
            return None
        made = code.calls[call_id]
        found = self.callee(rel, made)
        if found is not None:
            return Client(found, "")
        if depth < MAX_DERIVED:
            inner = self.client(rel, made, depth + 1)
            if inner is not None:
                return Client(inner.made_by, inner.member + "()")
        return None

    # ── patterns ──
    def matches(self, entry: dict, rel: str, call: Call) -> bool:
        """Whether `call` matches one call pattern (see the module docstring)."""
        p = _compiled(entry)
        if not (p.members or p.decorated) and not (
            (self.callee(rel, call) is not None or _may_match_client(p, call))
            and self.reaches_outside(rel, call)
        ):
            return False  # most calls: nothing outside the project made what they call
        key = (id(entry), rel, call.id)  # the pattern tables live as long as the project
        found = self._matches.get(key)
        if found is None:
            found = self._matches[key] = self._matches_uncached(p, rel, call)
        return found

    def first_match(self, entries: list[dict], rel: str, call: Call) -> dict | None:
        """The first of a table's patterns that `call` matches. Asked of every call a handler
        reaches, table after table: whether anything outside the project made what the call
        calls is looked up once for the whole table, since most patterns need that."""
        outside: bool | None = None
        direct: bool | None = None  # an outside callee is called directly
        for entry, p in _compiled_table(entries):
            if not (p.members or p.decorated):
                if direct is None:
                    direct = self.callee(rel, call) is not None
                if not (direct or _may_match_client(p, call)):
                    continue
                if outside is None:
                    outside = self.reaches_outside(rel, call)
                if not outside:
                    continue
            key = (id(entry), rel, call.id)
            found = self._matches.get(key)
            if found is None:
                found = self._matches[key] = self._matches_uncached(p, rel, call)
            if found:
                return entry
        return None

    def reaches_outside(self, rel: str, call: Call) -> bool:
        """Whether the call goes to an outside package, or to an object one made."""
        key = (rel, call.id)
        found = self._outside.get(key)
        if found is None:
            found = self._outside[key] = (
                self.callee(rel, call) is not None or self.client(rel, call) is not None
            )
        return found

    def _matches_uncached(self, p: _Pattern, rel: str, call: Call) -> bool:
        code = self.project.code(rel)
        if code is None:
            return False
        if p.language and p.language != code.language:
            return False
        if p.imports and not self.imports_any(rel, p.imports):
            return False
        if p.calls:
            found = self.callee(rel, call)
            if found is not None and callee_match(found, p.calls):
                return not glob_match(found[1], p.skip)
        if p.clients:
            client = self.client(rel, call)
            if client is not None and callee_match(client.made_by, p.clients):
                return glob_match(client.member, p.methods) and not glob_match(
                    client.member, p.skip
                )
        path = call.path or ()
        if p.members and path and glob_match(".".join(path), p.members):
            return True
        if p.decorated and len(path) >= 2 and glob_match(path[-1], p.methods):
            return self._decorated(rel, call, p.decorated)
        return False

    def imports_any(self, rel: str, patterns: tuple[str, ...]) -> bool:
        """Whether file `rel` imports anything matching one of the "module:name" patterns."""
        key = (rel, patterns)
        if key not in self._imports:
            code = self.project.code(rel)
            self._imports[key] = code is not None and any(
                callee_match((_module(code, b.source), b.imported or b.name), patterns)
                for b in code.bindings
                if b.kind == "import" and b.source
            )
        return self._imports[key]

    def _decorated(self, rel: str, call: Call, names) -> bool:
        target = self.project.callgraph.function_of(rel, Ref(call.path[:-1]), call.function)
        if target is None:
            return False
        code = self.project.code(target[0])
        fn = code.functions[target[1]]
        for d in fn.decorators:
            path = _decorator_path(code, d)
            if path and path[-1] in names:
                return True
        return False


@dataclass(frozen=True, slots=True)
class _Pattern:
    """A call pattern's keys read once, not looked up in its dict for every call."""

    language: str | None
    imports: tuple[str, ...]
    skip: tuple[str, ...]
    calls: tuple[str, ...]
    clients: tuple[str, ...]
    methods: tuple[str, ...]
    members: tuple[str, ...]
    decorated: tuple[str, ...]
    # the methods a client's member path can end with to match `methods`, or None for any
    method_names: frozenset[str] | None


_GLOB_CHARS = frozenset("*?[")


def _may_match_client(p: _Pattern, call: Call) -> bool:
    """False when a `clients` pattern cannot match a call, known without tracing the call's
    receiver back to what made it (the costly part): the call is to no method the pattern
    names. A client's member path ends with the method called (`webhooks.constructEvent`,
    `getModel().generate`), so a glob whose last segment is plain text names the only method
    it can match. A pattern without `clients` needs an outside callee called directly."""
    if not p.clients:
        return False
    if p.method_names is None or "." in call.name:
        return True
    if call.path is not None and call.path[-1:] != (call.name,):
        return True  # a call not written as `….name()`: no shortcut
    return call.name in p.method_names


def _method_names(methods: tuple[str, ...]) -> frozenset[str] | None:
    names = set()
    for glob in methods:
        last = glob.rpartition(".")[2]
        if _GLOB_CHARS & set(last):
            return None  # `verify*`, `*`: any name might match
        names.add(last)
    return frozenset(names)


_PATTERNS: dict[int, tuple[dict, _Pattern]] = {}


def _compiled(entry: dict) -> _Pattern:
    found = _PATTERNS.get(id(entry))
    if found is None or found[0] is not entry:
        if len(_PATTERNS) > 4096:  # the tables of one run; a test session makes many
            _PATTERNS.clear()
        methods = tuple(entry.get("methods") or ("*",))
        pattern = _Pattern(
            entry.get("language") or None,
            tuple(entry.get("imports") or ()),
            tuple(entry.get("except") or ()),
            tuple(entry.get("calls") or ()),
            tuple(entry.get("clients") or ()),
            methods,
            tuple(entry.get("members") or ()),
            tuple(entry.get("decorated") or ()),
            _method_names(methods),
        )
        found = _PATTERNS[id(entry)] = (entry, pattern)
    return found[1]


_TABLES: dict[int, tuple[list[dict], tuple[tuple[dict, _Pattern], ...]]] = {}


def _compiled_table(entries: list[dict]) -> tuple[tuple[dict, _Pattern], ...]:
    """A table's patterns compiled, kept while the table lives (a run's knowledge tables)."""
    found = _TABLES.get(id(entries))
    if found is None or found[0] is not entries or len(found[1]) != len(entries):
        if len(_TABLES) > 1024:
            _TABLES.clear()
        found = _TABLES[id(entries)] = (entries, tuple((e, _compiled(e)) for e in entries))
    return found[1]


def _decorator_path(code: CodeFacts, value) -> tuple[str, ...] | None:
    if isinstance(value, Ref):
        return value.path
    if isinstance(value, CallResult):
        return code.calls[value.call].path
    return None


def _module(code: CodeFacts, source: str) -> str:
    return source if code.language == "python" else package_name(source)


def _join(prefix: str, member: str) -> str:
    if not prefix:
        return member
    return f"{prefix}.{member}" if member else prefix
