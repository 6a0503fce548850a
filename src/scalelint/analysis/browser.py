"""Code that runs in a browser tab, not on a server.

A module-level Map in a React hook or a Vite single-page app lives in one user's tab and dies
with it; the same Map in a route handler lives in a server instance shared by every user.
Memory rules ask this before they speak. Browser code is: a file marked `"use client"`, a file
that imports React's client-only hooks (server components cannot use them), a React hook
(`useSomething`) or component (a capitalised function in a .tsx/.jsx file), and any file of
a single-page app — a package built by Vite or Create React App with no server framework —
except those that run on a server anyway (edge functions, a Vercel `api/` folder, request
handlers), and the `client/` half of a package that bundles a client with Vite and serves it
from Express (Replit's layout). A module that only browser code imports is browser code too:
the helpers a Vue or React entry (`createApp(App).mount("#app")`) pulls in ship in its bundle,
even where the package also holds a server. Tables: `rules/knowledge/browser.yml`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from scalelint.facts.code import CodeFacts, Str

if TYPE_CHECKING:
    from scalelint.analysis.project import Project

_HOOK = re.compile(r"^use[A-Z0-9]")
_COMPONENT = re.compile(r"^[A-Z]")
_JSX_FILES = (".tsx", ".jsx")


def is_browser_code(project: Project, rel: str, function: int | None = None) -> bool:
    code = project.code(rel)
    if code is None or code.language != "js":
        return False
    if rel in project.browser_only_modules:
        return True
    for f in code.enclosing_functions(function):
        name = f.name or ""
        if _HOOK.match(name) or (rel.endswith(_JSX_FILES) and _COMPONENT.match(name)):
            return True  # a React hook or component
    return False


def browser_only_modules(project: Project) -> frozenset[str]:
    """Files that run in the browser: those that say so themselves, then, until nothing
    changes, every module whose importers (in code that serves users, not tests or scripts)
    all do. A module any server file imports stays a server module; an entry point nothing
    imports decides for itself."""
    packages: dict[str, tuple[bool, bool]] = {}  # package → (bundled for a browser, served)
    found = {
        rel for rel, code in project.code_files() if _browser_file(project, rel, code, packages)
    }
    importers = _importers(project)
    served = {h.rel for h in project.handlers}
    changed = True
    while changed:
        changed = False
        for rel, by in importers.items():
            if rel not in found and rel not in served and by <= found:
                found.add(rel)
                changed = True
    return frozenset(found)


def _importers(project: Project) -> dict[str, set[str]]:
    """Project JS module → the request-path files that import it at run time (`import`,
    `require`, re-exports; not `import type`, which leaves nothing in the output)."""
    ctx = project.context
    out: dict[str, set[str]] = {}
    for rel, code in project.code_files():
        if code.language != "js" or not ctx.is_request_path(rel):
            continue
        # a JS import lands where its specifier resolves, whatever names it takes from there
        sources = {b.source for b in code.bindings if b.kind == "import" and b.source is not None}
        targets = {project.modules.resolve_js(rel, source) for source in sources}
        for call in code.calls:
            if call is not None and call.path == ("require",) and call.binding is None:
                first = call.args[0] if call.args else None
                if isinstance(first, Str):
                    targets.add(project.modules.resolve_js(rel, first.value))
        for e in code.exports:
            if e.source is not None:
                targets.add(project.modules.resolve_js(rel, e.source))
        for target in targets:
            if target is not None and target != rel:
                out.setdefault(target, set()).add(rel)
    return out


def _browser_file(
    project: Project, rel: str, code: CodeFacts, packages: dict[str, tuple[bool, bool]]
) -> bool:
    if code.language != "js":
        return False
    k = project.knowledge
    if "use client" in code.directives:
        return True
    client_imports = k["client-only-imports"]
    for b in code.bindings:
        if b.kind == "import" and b.imported in client_imports.get(b.source or "", ()):
            return True
    if _calls_client_hook(code, client_imports):
        return True
    return _single_page_app_file(project, rel, packages)


def _calls_client_hook(code, client_imports) -> bool:
    """`React.useState(…)` through `import * as React from "react"`."""
    for call in code.calls:
        if call is None or not call.path or len(call.path) != 2 or call.binding is None:
            continue
        b = code.bindings[call.binding]
        if b.kind == "import" and call.path[1] in client_imports.get(b.source or "", ()):
            return True
    return False


def _single_page_app_file(
    project: Project, rel: str, packages: dict[str, tuple[bool, bool]]
) -> bool:
    ctx = project.context
    pkg = ctx.package_of(rel)
    if pkg not in packages:
        packages[pkg] = _bundled_package(project, pkg)
    built, served = packages[pkg]
    if not built:
        return False
    k = project.knowledge
    inside = rel[len(pkg) + 1 :] if pkg else rel  # discovery's paths are normalised
    if inside.split("/", 1)[0] in k["browser-folders"]:
        return True  # the client half of a Vite + Express app (Replit's layout)
    if served:
        return False
    if ctx.platform_for(rel).name in ("edge", "lambda", "server"):
        return False
    if inside.split("/", 1)[0] in k["server-folders"]:
        return False
    return not any(h.rel == rel for h in project.handlers)


def _bundled_package(project: Project, pkg: str) -> tuple[bool, bool]:
    """(a browser bundle is built from this package, a server framework runs in it), from
    its dependencies and those of the packages above it: the same for all its files."""
    deps = project.context.package_dependencies(pkg)
    k = project.knowledge
    built = any(d in deps for d in k["browser-bundlers"]) and any(
        d in deps for d in k["browser-ui-packages"]
    )  # Vite alone may be there only for vitest, say, in a Node service
    return built, any(d in deps for d in k["server-side-packages"])
