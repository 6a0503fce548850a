"""SL1 — connection endpoints and URL parameters.

Each serverless instance opens its own connections, so the URL an app connects through
decides whether fifty users need fifty database connections or five. These rules read the
URLs a project defines (`.env*` files, hosting config, Prisma's schema, literals in code),
what each points at (host first, port second), and what role each plays.
"""

from __future__ import annotations

from collections.abc import Iterator

from scalelint.analysis.clients import option
from scalelint.analysis.project import Project
from scalelint.analysis.values import UrlSource
from scalelint.catalogue import RuleMeta
from scalelint.context import ResolvedUrl, is_pooler_app
from scalelint.facts.code import Const, Num, Obj, Ref, Value
from scalelint.findings import Finding, Span
from scalelint.rules import report, rule
from scalelint.urls import is_local, is_placeholder

POOLED = ("transaction-pooler", "accelerate")
KIND_WORDS = {
    "direct": "a direct connection to",
    "session-pooler": "the session-mode pooler at",
    "transaction-pooler": "the transaction pooler at",
    "accelerate": "Prisma Accelerate at",
}


def _endpoint(r: ResolvedUrl) -> str:
    """ "a direct connection to db.x.supabase.co:5432 (Supabase)"."""
    provider = f" ({r.cls.provider})" if r.cls.provider else ""
    return f"{KIND_WORDS.get(r.cls.kind, 'a connection to')} {r.url.endpoint}{provider}"


def _advice(meta: RuleMeta, r: ResolvedUrl) -> str:
    table = meta.knowledge["pooler-advice"]
    key = r.cls.provider if r.cls.provider in table else "default"
    if r.cls.kind == "session-pooler" and "session" in table.get(key, {}):
        return table[key]["session"]
    entry = table.get(key, table["default"])
    return entry["direct"] if isinstance(entry, dict) else entry


def _runtime_urls(project: Project) -> Iterator[ResolvedUrl]:
    """Every definition of every runtime-role variable, and runtime URL literals in code."""
    ctx = project.context
    for name in sorted(ctx.env):
        role = ctx.role_of(name)
        if role is None or role.role != "runtime":
            continue
        yield from ctx.resolve_urls([UrlSource(env=name)])


def _prisma_runtime_vars(project: Project) -> list[tuple[str, str]]:
    """Variables Prisma (≤6) connects through at run time, each with the file that says so: the
    schema's `url`, and `datasourceUrl` of clients built in request-path code (a script's client
    on `DIRECT_URL` is not the app's). Every schema counts: in a monorepo each app's schema
    reads its own env files. Migration-only names never count."""
    ctx = project.context
    out: dict[tuple[str, str], None] = {}
    for rel, schema in ctx.prisma_schemas:
        major = ctx.prisma_major(rel)
        if major is not None and major >= 7:
            continue
        if schema.url is not None and schema.url.kind == "env":
            out[(schema.url.value, rel)] = None
    for c in ctx.constructions:
        if c.id == "prisma.PrismaClient" and ctx.is_request_path(c.rel):
            for s in c.url:
                if s.env:
                    out[(s.env, c.rel)] = None
    return [
        (n, r) for n, r in sorted(out) if (role := ctx.role_of(n)) is None or role.role == "runtime"
    ]


def _prisma_runtime_urls(project: Project) -> Iterator[tuple[str, str, ResolvedUrl]]:
    """Each definition Prisma's runtime variables resolve to from the file that reads them,
    once per definition (two schemas of one app share its `.env`)."""
    seen: set[tuple[str, int]] = set()
    for name, origin in _prisma_runtime_vars(project):
        for r in project.context.resolve_urls([UrlSource(env=name)], near=origin):
            key = (r.definition.rel, r.definition.var.span.line)
            if key not in seen:
                seen.add(key)
                yield name, origin, r


def _upstream_of_pooler(project: Project, rel: str) -> bool:
    f = project.files.get(rel)
    return f is not None and f.kind == "fly_toml" and is_pooler_app(project.context, rel, f)


@rule("SL101")
def direct_connection_in_serverless(project: Project, meta: RuleMeta) -> Iterator[Finding]:
    """The runtime URL points at a direct or session-mode endpoint on a serverless platform."""
    ctx = project.context
    for r in _runtime_urls(project):
        if r.cls.kind not in ("direct", "session-pooler"):
            continue
        d = r.definition
        if d is None or _upstream_of_pooler(project, d.rel):
            continue
        platform = ctx.platform_for(d.rel)
        if platform.name == "server":
            continue
        severity, confidence = None, None if r.cls.certain else "medium"
        if platform.name == "unknown":
            severity, confidence = "info", "medium"
        limit = _limit_words(meta, r)
        yield report(
            meta,
            d.rel,
            d.var.span,
            f"`{r.env}` is {_endpoint(r)}, and this app runs on {platform.describe()}: every "
            f"function instance opens its own connections, so a burst of traffic multiplies them "
            f"by the number of warm instances until the database refuses new ones{limit}.",
            fix=_advice(meta, r) + " Keep this URL as `DIRECT_URL` for migrations only.",
            severity=severity,
            confidence=confidence,
        )
    for rel, schema in ctx.prisma_schemas:
        if schema.url is None or schema.url.kind != "string":
            continue
        for r in ctx.resolve_urls([UrlSource(literal=schema.url.value)]):
            platform = ctx.platform_for(rel)
            if r.cls.kind in ("direct", "session-pooler") and platform.serverless:
                yield report(
                    meta,
                    rel,
                    schema.url.span,
                    f"Prisma's `url` is {_endpoint(r)}, written into the schema, and this app runs on "
                    f"{platform.describe()}: every function instance opens its own connections.",
                    fix=_advice(meta, r) + ' Read it from an env var: `url = env("DATABASE_URL")`.',
                )
    for c in ctx.constructions:
        if not ctx.is_request_path(c.rel):
            continue
        literals = [s for s in c.url if s.literal]
        for r in ctx.resolve_urls(literals):
            platform = ctx.platform_for(c.rel)
            if r.cls.kind in ("direct", "session-pooler") and platform.serverless:
                yield report(
                    meta,
                    c.rel,
                    c.call.span,
                    f"{c.label} connects to {_endpoint(r)}, written into the code, and this file runs "
                    f"on {platform.describe()}: every function instance opens its own connections.",
                    fix=_advice(meta, r)
                    + " Read the URL from an env var so deployments can change it.",
                )


def _limit_words(meta: RuleMeta, r: ResolvedUrl) -> str:
    limits = meta.knowledge.get("provider-connection-limits", {})
    entry = limits.get(r.cls.provider)
    if not entry:
        return ""
    return f" ({entry})"


@rule("SL102")
def prisma_pooler_without_pgbouncer_flag(project: Project, meta: RuleMeta) -> Iterator[Finding]:
    """Prisma ≤6 through a transaction pooler that cannot hold prepared statements."""
    for name, origin, r in _prisma_runtime_urls(project):
        if r.cls.kind != "transaction-pooler" or r.cls.prepared_statements == "supported":
            continue
        if (r.url.param("pgbouncer") or "").lower() == "true":
            continue
        certain = r.cls.certain and r.cls.prepared_statements == "unsupported"
        yield report(
            meta,
            r.definition.rel,
            r.definition.var.span,
            f"`{name}` is {_endpoint(r)} and Prisma (used in {origin}) prepares named statements "
            f'on it: without `pgbouncer=true` queries fail with `prepared statement "s0" already '
            f"exists` as soon as two requests share a pooled connection.",
            confidence=None if certain else "medium",
        )


@rule("SL103")
def prisma_missing_connection_limit(project: Project, meta: RuleMeta) -> Iterator[Finding]:
    """Prisma ≤6 on a serverless platform without a per-instance `connection_limit`."""
    ctx = project.context
    for name, _, r in _prisma_runtime_urls(project):
        if r.definition is None or not _remote_database(r, ctx.knowledge):
            continue
        platform = ctx.platform_for(r.definition.rel)
        if platform.name not in ("vercel", "lambda"):
            continue
        budget = ctx.config.pool_budget.get(platform.name, 5)
        raw = r.url.param("connection_limit")
        if raw is None:
            message = (
                f"`{name}` ({r.url.endpoint}) sets no `connection_limit`, so Prisma opens (physical "
                f"CPUs × 2 + 1) connections in every function instance on {platform.describe()}, "
                f"and every warm instance keeps its own pool."
            )
        elif raw.isdigit() and int(raw) > budget:
            message = (
                f"`{name}` ({r.url.endpoint}) sets `connection_limit={raw}`: {raw} connections per "
                f"instance × 10 warm instances is {int(raw) * 10} connections, above the "
                f"per-instance budget of {budget}."
            )
        else:
            continue
        yield report(
            meta,
            r.definition.rel,
            r.definition.var.span,
            message,
            fix=meta.fix.replace("{budget}", str(min(budget, 5))),
        )


@rule("SL104")
def migrations_use_pooled_url(project: Project, meta: RuleMeta) -> Iterator[Finding]:
    """Migrations would run through a transaction pooler (or Accelerate)."""
    ctx = project.context
    for rel, schema in ctx.prisma_schemas:
        major = ctx.prisma_major(rel)
        if (
            (major is not None and major >= 7)
            or schema.url is None
            or schema.direct_url is not None
        ):
            continue
        source = (
            UrlSource(env=schema.url.value)
            if schema.url.kind == "env"
            else UrlSource(literal=schema.url.value)
        )
        for r in ctx.resolve_urls([source], near=rel):
            if r.cls.kind not in POOLED:
                continue
            failure = (
                "Prisma Migrate cannot run through Accelerate: it needs a direct database URL"
                if r.cls.kind == "accelerate"
                else '`prisma migrate` through a transaction pooler fails with `prepared statement "s0" '
                "already exists` or hangs"
            )
            yield report(
                meta,
                rel,
                schema.url.span,
                f"Prisma Migrate connects through the datasource `url`, {r.where}: {_endpoint(r)}. "
                f"The schema has no `directUrl`, and {failure}.",
            )
    for rel, line, label, sources in ctx.migration_urls:
        for r in ctx.resolve_urls(sources, near=rel):
            if r.cls.kind not in POOLED:
                continue
            yield report(
                meta,
                rel,
                Span.whole_line(line or 1),
                f"Migrations connect through {label}, {r.where}: {_endpoint(r)}. Schema changes "
                f"need a direct connection (prepared statements, advisory locks, long transactions).",
                fix=_migration_fix(label),
            )


def _migration_fix(label: str) -> str:
    if label.startswith("drizzle"):
        return (
            "Point `dbCredentials.url` at the direct URL (e.g. `process.env.DATABASE_URL_UNPOOLED`) "
            "and keep the pooled URL for the app."
        )
    return 'Point `datasource.url` at the direct URL (`env("DIRECT_URL")`) and keep the pooled URL for the app.'


def _remote_database(r: ResolvedUrl, knowledge: dict) -> bool:
    """A real database server Prisma pools connections to: Postgres endpoints, and MySQL ones
    (PlanetScale, RDS) that the Postgres classes do not describe."""
    if r.cls.kind in ("direct", "session-pooler", "transaction-pooler"):
        return True
    if r.cls.kind == "unknown" and r.url.scheme in ("mysql", "mariadb"):
        return not is_local(r.url.host, knowledge) and not is_placeholder(r.url, knowledge)
    return False


@rule("SL105")
def prepared_statements_on_transaction_pooler(
    project: Project, meta: RuleMeta
) -> Iterator[Finding]:
    """A client that prepares statements, pointed at a pooler that cannot keep them."""
    ctx = project.context
    for c in ctx.constructions:
        spec = c.client.get("prepared")
        if not spec:
            continue
        code = project.code(c.rel)
        for r in _unsafe_poolers(ctx.resolve_urls(c.url, near=c.rel)):
            if "only-scheme" in spec and r.url.scheme not in spec["only-scheme"]:
                continue
            if _is_off(option(code, c.call, spec["at"]), spec["disabled-with"]):
                continue
            if spec.get("url-param") and r.url.param(spec["url-param"]) == "0":
                continue
            yield report(
                meta,
                c.rel,
                c.call.span,
                f"{c.label} connects through {r.where}: {_endpoint(r)}, which cannot keep prepared "
                f"statements between transactions; this client prepares them by default, so queries "
                f"fail with `prepared statement … already exists` / `does not exist` under load.",
                fix=f"Pass `{spec['setting']}` when creating the client.",
                confidence=None if r.cls.certain else "medium",
            )
    yield from _named_pg_queries(project, meta)


def _named_pg_queries(project: Project, meta: RuleMeta) -> Iterator[Finding]:
    """node-postgres: `query({ name, text })` makes a named prepared statement."""
    pg_ids = set(meta.knowledge["named-query-clients"])
    for rel, code in project.code_files():
        for call in code.calls:
            if call.name != "query" or call.path is None or len(call.path) < 2 or not call.args:
                continue
            first = call.args[0]
            if not isinstance(first, Obj) or first.get("name") is None:
                continue
            for c in project.constructions_of(rel, Ref(call.path[:1]), call.function):
                if c.id not in pg_ids:
                    continue
                for r in _unsafe_poolers(project.context.resolve_urls(c.url, near=c.rel)):
                    yield report(
                        meta,
                        rel,
                        call.span,
                        f"`{call.text}` runs a named query (`name:` makes it a prepared statement) on "
                        f"a pool that connects through {r.where}: {_endpoint(r)}, which cannot keep "
                        f"prepared statements between transactions.",
                        fix="Drop `name` from the query config; the pooler cannot reuse named statements.",
                        confidence=None if r.cls.certain else "medium",
                    )
                    break


def _unsafe_poolers(urls: list[ResolvedUrl]) -> list[ResolvedUrl]:
    return [
        r
        for r in urls
        if r.cls.kind == "transaction-pooler" and r.cls.prepared_statements != "supported"
    ]


def _is_off(value: Value | None, off) -> bool:
    if value is None:
        return False
    if off is None or isinstance(off, bool):
        return isinstance(value, Const) and value.value is off
    return isinstance(value, Num) and value.value == off
