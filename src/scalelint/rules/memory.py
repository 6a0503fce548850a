"""SL4 — memory that grows with every request and is never given back.

A server instance — a warm Vercel function under Fluid compute, a Lambda container, an edge
isolate, a Node or Python server — serves request after request from one process. Whatever a
module keeps at its top level outlives each request, so a cache that gains an entry per user,
per id or per call, and never loses one, grows until the instance runs out of memory and
dies. These rules look for that growth, not for a name: `cache` is not suspicious, `Map` is
not suspicious; a write keyed by request data with no eviction anywhere is.
"""

from __future__ import annotations

from collections.abc import Iterator

from scalelint.analysis.containers import (
    Container,
    ContainerUse,
    Write,
    fixed_table_guard,
    module_containers,
)
from scalelint.analysis.memoized import Memoized, unbounded_memoizations
from scalelint.analysis.names import module_name
from scalelint.analysis.project import Project
from scalelint.analysis.request_flow import (
    HANDLER_LEVEL,
    NOTHING,
    UNTRACED,
    Evidence,
    RequestFlow,
    strongest,
)
from scalelint.catalogue import RuleMeta
from scalelint.facts.code import Ref
from scalelint.findings import Finding
from scalelint.rules import report, rule


def _lifetime(meta: RuleMeta, project: Project, rel: str) -> str:
    """Why growth is fatal where this file runs, in the platform's own numbers."""
    table = project.knowledge["instance-lifetimes"]
    return table.get(project.context.platform_for(rel).name, table["unknown"])


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _reach(evidence: Evidence) -> str:
    if evidence.level == HANDLER_LEVEL:
        return f", reached from {evidence.describe()}"
    return " (its callers could not be traced to a request handler)"


def _confidence(evidence: Evidence) -> str | None:
    return None if evidence.level == HANDLER_LEVEL else "medium"


# ── SL401 ──


@rule("SL401")
def unbounded_module_cache(project: Project, meta: RuleMeta) -> Iterator[Finding]:
    """A module-level container that requests grow and nothing ever shrinks."""
    uses = module_containers(project)
    if not uses:
        return
    flow = RequestFlow(project)
    growing = {(u.container.rel, u.container.name) for u in uses if u.grows}
    ctx = project.context
    for use in uses:
        c = use.container
        if not use.grows or use.escapes:
            continue  # handed to code whose writes we cannot follow: it may evict
        if not ctx.is_request_path(c.rel) or flow.in_browser(c.rel, None):
            continue
        live = _live_shrinks(project, flow, use)
        if any(not w.nested for w in live):
            continue  # something removes entries, clears it or checks its size
        found = _per_request_growth(project, flow, use, live, growing)
        if found is None:
            continue
        evidence, write = found
        yield report(
            meta,
            c.rel,
            c.binding.span,
            f"`{c.name}` is a module-level {c.kind} that {_growth_words(project, c, write)} "
            f"through `{write.text}` "
            f"({write.rel}:{write.span.line}){_reach(evidence)}, and nothing ever removes "
            f"entries{_unreached_shrinks(project, use, live)}: {_lifetime(meta, project, c.rel)}.",
            fix=_replacement(meta, project, use, write),
            confidence=_confidence(evidence),
        )


def _per_request_growth(
    project: Project,
    flow: RequestFlow,
    use: ContainerUse,
    live: list[Write],
    growing: set[tuple[str, str]],
) -> tuple[Evidence, Write] | None:
    """The write that grows the container with each request, with the evidence for it:
    inside a function (not at module load), keyed by what the request brings (for writes
    that add only new keys), and not in browser code, scripts or tests."""
    best: tuple[Evidence, Write] | None = None
    nested_shrinks = any(w.nested for w in live)
    # the write that says most: a new key on the container itself before an entry's growth
    for w in sorted(use.grows, key=lambda w: (w.nested, not w.keyed)):
        if w.function is None or (w.nested and nested_shrinks):
            continue
        if not project.context.is_request_path(w.rel) or flow.in_browser(w.rel, w.function):
            continue
        if w.keyed:
            if fixed_table_guard(project, w, growing) is not None:
                continue  # keys are checked against a fixed table first
            evidence = flow.value_evidence(w.rel, w.key, w.function)
        else:
            evidence = flow.runs_per_request(w.rel, w.function)
        if evidence.level and (best is None or strongest((best[0], evidence)) is not best[0]):
            best = (evidence, w)
    return best


def _growth_words(project: Project, c: Container, w: Write) -> str:
    if w.nested and c.kind in project.knowledge["inserting-kinds"]:
        return (
            f"adds an entry for every new key it is indexed with (a {c.kind} creates one on "
            "lookup) and grows it"
        )
    if w.nested:
        return "grows one of its entries on every call"
    if w.keyed:
        key = f"`{'.'.join(w.key.path)}`" if isinstance(w.key, Ref) else "key"
        return f"gains an entry for every new {key}"
    return "gains an item on every call"


def _live_shrinks(project: Project, flow: RequestFlow, use: ContainerUse) -> list[Write]:
    """Removals that can run in the server process: in request-path code (a test clearing the
    cache or a script runs in another process), in a function something calls, or beside a
    growing write in the same function (`setTimeout(() => tokens.delete(id), ttl)`)."""
    ctx = project.context
    growing = {(w.rel, _outermost(project, w)) for w in use.grows}
    return [
        w
        for w in use.shrinks
        if ctx.is_request_path(w.rel)
        and ((w.rel, _outermost(project, w)) in growing or flow.can_run(w.rel, w.function))
    ]


def _outermost(project: Project, w: Write) -> int | None:
    chain = list(project.code(w.rel).enclosing_functions(w.function))
    return chain[-1].id if chain else None


def _unreached_shrinks(project: Project, use: ContainerUse, live: list[Write]) -> str:
    ctx = project.context
    dead = [
        w
        for w in use.shrinks
        if w not in live and w.function is not None and ctx.is_request_path(w.rel)
    ]
    if not dead:
        return ""
    fn = project.code(dead[0].rel).functions[_outermost(project, dead[0])]
    where = f"`{fn.name}`" if fn.name else f"the function at {dead[0].rel}:{fn.span.line}"
    return f" ({where} would, but nothing in the project calls it)"


def _replacement(meta: RuleMeta, project: Project, use: ContainerUse, w: Write) -> str:
    language = project.code(use.container.rel).language
    shape = "keyed" if w.keyed or use.container.kind in project.knowledge["keyed-kinds"] else "list"
    return project.knowledge["bounded-replacements"][f"{language}-{shape}"]


# ── SL402 ──


@rule("SL402")
def unbounded_memoize(project: Project, meta: RuleMeta) -> Iterator[Finding]:
    """A never-evicting memoizer on a function whose arguments come from requests."""
    memoized = unbounded_memoizations(project)
    if not memoized:
        return
    flow = RequestFlow(project)
    for m in memoized:
        if not project.context.is_request_path(m.rel) or flow.in_browser(m.rel, None):
            continue
        found = _argument_evidence(project, flow, m)
        if found is None:
            continue
        evidence, what, reach = found
        yield report(
            meta,
            m.rel,
            m.span,
            f"`{m.name or 'this function'}` is memoized with {m.memoizer}, which never evicts: "
            f"{what} stays in memory{reach}. {_sentence(_lifetime(meta, project, m.rel))}.",
            fix=project.knowledge["memoize-replacements"][project.code(m.rel).language],
            confidence=_confidence(evidence),
        )


def _argument_evidence(
    project: Project, flow: RequestFlow, m: Memoized
) -> tuple[Evidence, str, str] | None:
    """How the memoized function's arguments vary per request: the evidence, what piles up,
    and where the requests come from."""
    if m.target is None:
        return None
    rel, fid = m.target
    fn = project.code(rel).functions[fid]
    params = list(fn.params)
    if fn.class_name is not None and params[:1] == ["self"]:
        evidence, made = _instances_evidence(project, flow, rel, fn.class_name)
        if not evidence.level:
            return None
        what = f"every `{fn.class_name}` instance it is called on, with its result,"
        if not made or evidence.level == HANDLER_LEVEL:
            return evidence, what, _reach(evidence)
        crel, call = made[0]
        maker = project.code(crel).functions[call.function].name or "a function"
        more = f" and {len(made) - 1} other places" if len(made) > 1 else ""
        return (
            evidence,
            what,
            f", and instances are made per call (`{maker}`, {crel}:{call.span.line}{more})",
        )
    if fn.class_name is not None and params[:1] == ["cls"]:
        params = params[1:]
    if not params:
        return None  # one entry, ever
    if m.name and m.name != fn.name:  # `const getUser = memoize(…)`: callers use the binding
        sites = [
            (crel, call)
            for crel, call in flow.calls_named(m.name)
            if _calls_binding(project, crel, call, m.rel, m.name)
        ]
        outside = any(e.name == m.name or e.local == m.name for e in project.code(m.rel).exports)
    else:
        sites = flow.callers(rel, fid)
        outside = flow.callable_from_outside(rel, fid)
    evidence = flow.call_sites_evidence(sites) if sites else (UNTRACED if outside else NOTHING)
    if not evidence.level:
        return None
    shown = ", ".join(f"`{p}`" for p in params[:3])
    return evidence, f"one result per distinct {shown}", _reach(evidence)


def _calls_binding(project: Project, crel: str, call, rel: str, name: str) -> bool:
    mn = module_name(project, crel, call.path, call.function) if call.path else None
    return mn is not None and mn.rel == rel and mn.name == name and not mn.rest


def _instances_evidence(
    project: Project, flow: RequestFlow, rel: str, class_name: str
) -> tuple[Evidence, list]:
    """Whether instances of a class are made per request (each one is a new cache key), and
    the calls that make them inside functions. No visible construction (an ORM builds them):
    untraced."""
    found, made = [], []
    for crel, call in flow.calls_named(class_name):
        mn = module_name(project, crel, call.path, call.function) if call.path else None
        if mn is None or mn.rel != rel or mn.name != class_name or mn.rest:
            continue
        if call.function is not None and project.context.is_request_path(crel):
            made.append((crel, call))
        found.append(flow.runs_per_request(crel, call.function).through(call.text))
    return (strongest(found) if found else UNTRACED), made
