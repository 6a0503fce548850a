"""Which functions run once per request, and under which route.

Pools created per request, N+1 queries, unbounded lists and slow webhook calls are only
problems on the request path, so every such rule starts here. Recognised, by the `handlers`
knowledge tables: file-based routes (Next.js app and pages, SvelteKit, Remix, Astro, Nuxt,
Netlify, Supabase Edge Functions) by path and export; `app.post("/path", fn)` on Express,
Hono, Fastify, Koa and friends — the handler and the middleware in front of it, wherever the
project defines them, and `app.use(fn)` middleware, which runs for every route;
FastAPI/Flask decorators; Django views wired in `urls.py`,
function views taking `request`, and class-based views; Server Actions; Lambda `handler`
exports; Workers `fetch`.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scalelint.facts.code import (
    Arr,
    Binding,
    Call,
    CallResult,
    CodeFacts,
    FnValue,
    Obj,
    Ref,
    Str,
    Value,
)

if TYPE_CHECKING:
    from scalelint.analysis.callgraph import FunctionRef
    from scalelint.analysis.project import Project

MAX_REEXPORTS = 4  # modules an exported handler is passed through


@dataclass(frozen=True)
class Handler:
    rel: str
    function: int  # the function that runs per request, in `rel`
    framework: str  # "Next.js route handler", "Express", "FastAPI", "Django view"…
    method: str  # "GET", "POST"… or "*" for any
    route: str  # "/api/webhooks/stripe", or the file's route when routing is by file

    def describe(self) -> str:
        verb = "" if self.method == "*" else f"{self.method} "
        return f"{verb}{self.route} ({self.framework})"


def find_handlers(project: Project) -> list[Handler]:
    found: dict[tuple[str, int], Handler] = {}
    k = project.knowledge
    routes = [(re.compile(e["path"]), e) for e in k["route-files"]]
    for rel, code in project.code_files():
        if not project.context.is_request_path(rel):
            continue
        out: list[Handler] = []
        if code.language == "js":
            _file_routes(project, rel, code, routes, out)
            _registered_routes(project, rel, code, out)
            _method_path_registrations(project, rel, code, out)
            _js_exports(project, rel, code, out)
        else:
            _python_routes(project, rel, code, out)
        for h in out:
            found.setdefault((h.rel, h.function), h)
    _django_urlconfs(project, found)
    return sorted(found.values(), key=lambda h: (h.rel, h.function))


# ── file-based routes ──


def _file_routes(project: Project, rel: str, code: CodeFacts, routes, out: list[Handler]) -> None:
    for pattern, entry in routes:
        m = pattern.search(rel)
        if m is None:
            continue
        route = "/" + entry.get("route-prefix", "") + _clean_route(m.group("route"))
        route = route.rstrip("/") or "/"
        for export, method in entry["exports"].items():
            found = _exported_function(project, rel, code, export)
            if found is not None:
                out.append(Handler(*found, entry["framework"], method, route))
        if entry.get("serve-calls"):
            for found in _served_functions(project, rel, code):
                out.append(Handler(*found, entry["framework"], "*", route))
        return


def _clean_route(route: str) -> str:
    parts = [p for p in route.split("/") if p and not (p.startswith("(") and p.endswith(")"))]
    route = "/".join(parts)
    return re.sub(r"/?index$", "", route)


def _exported_function(
    project: Project, rel: str, code: CodeFacts | None, name: str, depth: int = 0
) -> FunctionRef | None:
    """The function a module exports as `name`: written there, wrapped (`withAuth(fn)`), or
    written in another module of the project and passed on (`export { POST } from
    "@/modules/billing/route"`, or imported and exported again)."""
    if code is None or depth > MAX_REEXPORTS:
        return None
    for e in code.exports:
        if e.name != name:
            continue
        if e.source is not None:
            target = project.modules.resolve_js(rel, e.source)
            if target is not None and e.local not in (None, "*"):
                found = _exported_function(
                    project, target, project.code(target), e.local, depth + 1
                )
                if found is not None:
                    return found
            continue
        value: Value | None = e.value
        if e.local is not None and (value is None or isinstance(value, Ref)):
            b = code.module_binding(e.local)
            if b is not None and b.kind == "import":
                found = _imported_function(project, rel, b, depth)
                if found is not None:
                    return found
                continue
            value = b.value if b is not None else value
        found = _handler_function(project, rel, code, value)
        if found is not None:
            return found
    return None


def _imported_function(project: Project, rel: str, b: Binding, depth: int) -> FunctionRef | None:
    """`import { POST } from "@/modules/billing/route"`: the function that module exports."""
    found_file = project.import_file(rel, b)
    if found_file is None or found_file[1] or b.imported in (None, "*"):
        return None
    target = found_file[0]
    return _exported_function(project, target, project.code(target), b.imported, depth + 1)


def _handler_function(
    project: Project, rel: str, code: CodeFacts, value: Value | None
) -> FunctionRef | None:
    """The function a handler is: itself, a project function it names (in this file or an
    imported one), or the callback a wrapper was given (`export const POST = withAuth(async
    (req) => …)`)."""
    if isinstance(value, FnValue):
        return rel, value.function
    if isinstance(value, Ref) and len(value.path) == 1:
        return project.callgraph.function_of(rel, value, None)
    if isinstance(value, CallResult):
        call = code.calls[value.call]
        for arg in reversed(call.args):
            found = _handler_function(project, rel, code, arg)
            if found is not None:
                return found
    return None


def _served_functions(project: Project, rel: str, code: CodeFacts) -> list[FunctionRef]:
    serve = [tuple(p) for p in project.knowledge["serve-calls"]]
    out = []
    for call in code.calls:
        if call.path in serve and call.args:
            found = _handler_function(project, rel, code, call.args[-1])
            if found is not None:
                out.append(found)
    return out


# ── route registrations: app.post("/path", handler) ──


def _registered_routes(project: Project, rel: str, code: CodeFacts, out: list[Handler]) -> None:
    k = project.knowledge
    modules = set(k["server-framework-modules"])
    framework = next(
        (
            _module_root(b.source)
            for b in code.bindings
            if b.kind == "import" and _module_root(b.source) in modules
        ),
        None,
    )
    if framework is None:  # `export function registerRoutes(app: Express)`: a type-only import
        types = k["server-framework-types"]
        framework = next(
            (
                types[b.type_text]
                for b in code.bindings
                if b.kind == "param" and b.type_text in types
            ),
            None,
        )
    if framework is None:
        return
    methods = k["route-methods"]
    for call in code.calls:
        # `app.post(…)`, or chained on the app as it is made: `new Hono().get(…).post(…)`
        on_object = (call.path is not None and len(call.path) >= 2) or (
            call.path is None and call.receiver is not None
        )
        if call.name not in methods or not on_object or not call.args:
            continue
        route = _route_string(call.args[0])
        label = framework.capitalize()
        if route is not None:
            runs = call.args[1:]
        elif call.name == "use":  # `app.use(rateLimiter)`: middleware in front of every route
            route, label, runs = "every route", f"{label} middleware", call.args
        else:
            continue
        for arg in runs:
            for frel, fid in _route_functions(project, rel, code, arg, call.function):
                out.append(Handler(frel, fid, label, methods[call.name], route))
    for call in code.calls:  # fastify.route({ method, url, handler })
        if call.name == "route" and call.args and isinstance(call.args[0], Obj):
            opts = call.args[0]
            url, handler = _route_string(opts.get("url") or Str("")), opts.get("handler")
            found = _handler_function(project, rel, code, handler)
            if url is not None and found is not None:
                method = getattr(opts.get("method"), "value", "*")
                out.append(Handler(*found, framework.capitalize(), str(method).upper(), url))


def _method_path_registrations(
    project: Project, rel: str, code: CodeFacts, out: list[Handler]
) -> None:
    """Hand-rolled routers: `router.register("POST", "/api/follows", (req) => …)` — an HTTP
    method, a path and a function, whatever the router is called."""
    methods = set(project.knowledge["route-methods"].values()) - {"*"}
    for call in code.calls:
        if call is None or len(call.args) < 3 or call.path is None or len(call.path) < 2:
            continue
        first = call.args[0]
        if not (isinstance(first, Str) and first.value in methods):
            continue
        route = _route_string(call.args[1])
        found = _handler_function(project, rel, code, call.args[-1])
        if route is not None and found is not None:
            out.append(Handler(*found, "router", first.value, route))


def _route_functions(
    project: Project, rel: str, code: CodeFacts, value: Value, function: int | None
) -> list[tuple[str, int]]:
    """The functions a route registration runs on each request: its handler and the
    middleware before it (`router.get("/users/:id", auth, [cache], getUser)`), wherever the
    project defines them (`import { getUser } from "../controllers/users"`)."""
    if isinstance(value, Arr):
        return [
            f for item in value.items for f in _route_functions(project, rel, code, item, function)
        ]
    if isinstance(value, Ref):
        found = project.callgraph.function_of(rel, value, function)
        return [found] if found is not None else []
    if isinstance(value, CallResult):  # `asyncHandler(getUser)`: the callback a wrapper runs
        call = code.calls[value.call]
        for arg in reversed(call.args if call is not None else ()):
            found = _route_functions(project, rel, code, arg, function)
            if found:
                return found
        return []
    found = _handler_function(project, rel, code, value)
    return [found] if found is not None else []


def _route_string(value: Value) -> str | None:
    if isinstance(value, Str) and value.value.startswith("/"):
        return value.value
    return None


def _module_root(source: str | None) -> str:
    if not source:
        return ""
    if source.startswith("@"):
        return "/".join(source.split("/")[:2])
    return source.split("/")[0]


# ── exports that platforms call: Lambda/Netlify `handler`, Workers `fetch`, Server Actions ──


def _js_exports(project: Project, rel: str, code: CodeFacts, out: list[Handler]) -> None:
    for e in code.exports:
        if e.name == "handler" and e.source is None:
            found = _exported_function(project, rel, code, "handler")
            if found is not None and project.code(found[0]).functions[found[1]].params:
                out.append(Handler(*found, "Lambda handler", "*", "/" + posixpath.splitext(rel)[0]))
        if (
            e.name == "default"
            and isinstance(e.value, Obj)
            and isinstance(e.value.get("fetch"), FnValue)
        ):
            out.append(Handler(rel, e.value.get("fetch").function, "Workers fetch", "*", "/"))
    if "use server" in code.directives:
        for e in code.exports:
            found = _exported_function(project, rel, code, e.name)
            if found is not None and project.code(found[0]).functions[found[1]].is_async:
                out.append(Handler(*found, "Server Action", "POST", f"{rel}#{e.name}"))


# ── Python ──


def _python_routes(project: Project, rel: str, code: CodeFacts, out: list[Handler]) -> None:
    k = project.knowledge
    web = set(k["python-web-modules"])
    if not any(b.kind == "import" and (b.source or "").split(".")[0] in web for b in code.bindings):
        return
    decorators = k["python-route-decorators"]
    for fn in code.functions:
        for d in fn.decorators:
            if not isinstance(d, CallResult):
                continue
            call = code.calls[d.call]
            if call.name not in decorators or call.path is None:
                continue
            route = _python_route(call)
            if route is None and call.name != "api_view":
                continue
            method = decorators[call.name]
            methods = call.kwarg("methods") or (
                call.args[0] if call.name == "api_view" and call.args else None
            )
            if method == "*" and methods is not None:
                listed = [getattr(v, "value", "") for v in getattr(methods, "items", ())]
                method = "POST" if "POST" in listed else (listed[0] if listed else "*")
            out.append(Handler(rel, fn.id, _python_framework(code), method, route or f"/{fn.name}"))
    bases = set(k["python-view-bases"])
    view_methods = k["python-view-methods"]
    view_classes = {
        c.name
        for c in code.classes
        if any(isinstance(b, Ref) and b.path[-1] in bases for b in c.bases)
    }
    for fn in code.functions:
        if fn.class_name in view_classes and fn.name in view_methods:
            out.append(
                Handler(
                    rel,
                    fn.id,
                    "class-based view",
                    view_methods[fn.name],
                    f"{fn.class_name}.{fn.name}",
                )
            )
    if posixpath.basename(rel) == "views.py" or "/views/" in rel:
        for fn in code.functions:
            if fn.parent is None and fn.class_name is None and fn.params[:1] == ("request",):
                out.append(Handler(rel, fn.id, "Django view", "*", f"/{fn.name}"))


def _python_route(call: Call) -> str | None:
    """The path a route decorator registers: `@router.post("/webhook")`; `@router.post("")`
    is the path of the router's own prefix (FastAPI), written here as "/"."""
    path = call.args[0] if call.args else call.kwarg("path")
    if isinstance(path, Str) and path.value == "":
        return "/"
    return _route_string(path) if path is not None else None


def _python_framework(code: CodeFacts) -> str:
    for b in code.bindings:
        root = (b.source or "").split(".")[0] if b.kind == "import" else ""
        if root in (
            "fastapi",
            "flask",
            "starlette",
            "quart",
            "sanic",
            "litestar",
            "django",
            "ninja",
            "falcon",
        ):
            return {
                "fastapi": "FastAPI",
                "flask": "Flask",
                "django": "Django",
                "ninja": "Django Ninja",
            }.get(root, root.capitalize())
    return "Python web"


def _django_urlconfs(project: Project, found: dict[tuple[str, int], Handler]) -> None:
    """`path("stripe/webhook/", views.stripe_webhook)` names the view's route."""
    url_functions = set(project.knowledge["django-url-functions"])
    for rel, code in project.code_files():
        if code.language != "python" or not rel.endswith("urls.py"):
            continue
        for call in code.calls:
            if call.path is None or call.path[-1] not in url_functions or len(call.args) < 2:
                continue
            route = call.args[0].value if isinstance(call.args[0], Str) else None
            view = call.args[1]
            if isinstance(view, CallResult):  # SomeView.as_view()
                continue
            target = project.callgraph.function_of(rel, view, call.function)
            if target is None or route is None:
                continue
            existing = found.get(target)
            method = existing.method if existing is not None else "*"
            found[target] = Handler(
                target[0], target[1], "Django view", method, "/" + route.lstrip("^/")
            )
