"""Code that runs in a browser tab, not on a server.

A module-level Map in a React hook or a Vite single-page app lives in one user's tab and dies
with it; the same Map in a route handler lives in a server instance shared by every user.
Memory rules ask this before they speak. Browser code is: a file marked `"use client"`, a file
that imports React's client-only hooks (server components cannot use them), a React hook
(`useSomething`) or component (a capitalised function in a .tsx/.jsx file), and any file of
a single-page app — a package built by Vite or Create React App with no server framework —
except those that run on a server anyway (edge functions, a Vercel `api/` folder, request
handlers), and the `client/` half of a package that bundles a client with Vite and serves it
from Express (Replit's layout). Tables: `rules/knowledge/browser.yml`.
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scalelint.analysis.project import Project

_HOOK = re.compile(r"^use[A-Z0-9]")
_COMPONENT = re.compile(r"^[A-Z]")
_JSX_FILES = (".tsx", ".jsx")


def is_browser_code(project: Project, rel: str, function: int | None = None) -> bool:
    code = project.code(rel)
    if code is None or code.language != "js":
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
    for f in code.enclosing_functions(function):
        name = f.name or ""
        if _HOOK.match(name) or (rel.endswith(_JSX_FILES) and _COMPONENT.match(name)):
            return True  # a React hook or component
    return _single_page_app_file(project, rel)


def _calls_client_hook(code, client_imports) -> bool:
    """`React.useState(…)` through `import * as React from "react"`."""
    for call in code.calls:
        if call is None or not call.path or len(call.path) != 2 or call.binding is None:
            continue
        b = code.bindings[call.binding]
        if b.kind == "import" and call.path[1] in client_imports.get(b.source or "", ()):
            return True
    return False


def _single_page_app_file(project: Project, rel: str) -> bool:
    ctx = project.context
    deps = ctx.dependencies(rel)
    k = project.knowledge
    if not any(d in deps for d in k["browser-bundlers"]):
        return False
    if not any(d in deps for d in k["browser-ui-packages"]):
        return False  # Vite only for vitest, say, in a Node service
    inside = posixpath.relpath(rel, ctx.package_of(rel) or ".")
    if inside.split("/", 1)[0] in k["browser-folders"]:
        return True  # the client half of a Vite + Express app (Replit's layout)
    if any(d in deps for d in k["server-side-packages"]):
        return False
    if ctx.platform_for(rel).name in ("edge", "lambda", "server"):
        return False
    if inside.split("/", 1)[0] in k["server-folders"]:
        return False
    return not any(h.rel == rel for h in project.handlers)
