"""SL6 — pooler infrastructure: the PgBouncer (or pgcat) app that stands between serverless
functions and Postgres, as configured in its fly.toml or pgbouncer.ini, and credentials
written into plain hosting config."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from scalelint.analysis.project import Project
from scalelint.catalogue import RuleMeta
from scalelint.context import is_pooler_app, pooler_image
from scalelint.facts.model import FileFacts
from scalelint.findings import Finding, Span
from scalelint.rules import report, rule
from scalelint.urls import is_loopback, is_secret_name, parse_db_url

TRUTHY_AUTOSTOP = (True, "stop", "suspend", "true")


def _pooler_apps(project: Project) -> Iterator[tuple[FileFacts, dict | None]]:
    """fly.toml files of pooler apps, with the image's table entry when it is known."""
    ctx = project.context
    for f in project.files_of_kind("fly_toml"):
        if f.fly is None or not is_pooler_app(ctx, f.rel, f):
            continue
        images = [f.fly.image] if f.fly.image else []
        dockerfile = posixpath.normpath(
            posixpath.join(posixpath.dirname(f.rel), f.fly.dockerfile or "Dockerfile")
        )
        other = project.files.get(dockerfile)
        if other is not None and other.host is not None:
            images.extend(other.host.images)
        entry = next(
            (e for e in (pooler_image(i, ctx.knowledge["pooler-images"]) for i in images) if e),
            None,
        )
        yield f, entry


def _sibling_ini(project: Project, rel: str) -> FileFacts | None:
    d = posixpath.dirname(rel)
    return project.files.get(posixpath.join(d, "pgbouncer.ini") if d else "pgbouncer.ini")


@rule("SL601")
def pooler_session_mode(project: Project, meta: RuleMeta) -> Iterator[Finding]:
    """The pooler runs in session mode (or leaves PgBouncer's session default)."""
    all_mode_vars = {v for e in project.knowledge["pooler-images"] for v in e["mode-vars"]}
    for f, entry in _pooler_apps(project):
        if entry is None:
            # an image we have no table for: only an explicit `session` under a name every
            # PgBouncer image uses says anything; an unset mode is the image's own business
            mode = next((v for v in f.env if v.name in all_mode_vars), None)
            if mode is not None and mode.value.strip().lower() == "session":
                yield report(
                    meta,
                    f.rel,
                    mode.span,
                    _session_words(mode.name, f),
                    confidence="medium",
                )
            continue
        if not entry["mode-vars"]:
            continue
        mode = next((v for v in f.env if v.name in entry["mode-vars"]), None)
        if mode is not None:
            if mode.value.strip().lower() == "session":
                yield report(meta, f.rel, mode.span, _session_words(mode.name, f))
            continue
        if _sibling_ini(project, f.rel) is not None:
            continue  # the pgbouncer.ini beside it decides
        line = f.fly.env_line or f.fly.image_line or 1
        yield report(
            meta,
            f.rel,
            Span.whole_line(line),
            f"The pool mode of {_pooler(f)} is not set ({' / '.join(entry['mode-vars'])}), and "
            f"{entry['image']} then uses PgBouncer's default, session mode: one Postgres connection "
            f"per client, no multiplexing (unless you set it with `fly secrets`).",
            confidence="medium",
        )
    for f in project.files_of_kind("pgbouncer_ini"):
        pb = f.pgbouncer
        if pb is None:
            continue
        if pb.pool_mode == "session":
            yield report(
                meta,
                f.rel,
                Span.whole_line(pb.pool_mode_line),
                "`pool_mode = session`: each client keeps its own Postgres connection, so serverless "
                "clients get no multiplexing and the database still runs out of connections.",
            )
        elif pb.pool_mode is None:
            yield report(
                meta,
                f.rel,
                Span.whole_line(pb.section_line),
                "`pool_mode` is not set, and PgBouncer's default is `session`: one Postgres connection "
                "per client, no multiplexing.",
            )


def _session_words(name: str, f: FileFacts) -> str:
    return (
        f'`{name} = "session"`: {_pooler(f)} gives each client its own Postgres connection for as '
        f"long as it stays connected, so it multiplexes nothing: with enough clients (serverless "
        f"instances, app workers) the database still runs out of connections."
    )


def _pooler(f: FileFacts) -> str:
    """ "the pooler app `acme-pgbouncer`", the name its clients reach it by."""
    app = f.fly.app if f.fly is not None else ""
    return f"the pooler app `{app}`" if app else "the pooler"


def _private_address(f: FileFacts) -> str:
    app = f.fly.app if f.fly is not None else ""
    return f"`{app}.internal`" if app else "`.internal`"


@rule("SL602")
def pooler_can_stop(project: Project, meta: RuleMeta) -> Iterator[Finding]:
    """The pooler's machines stop when idle and nothing keeps one running."""
    for f, _ in _pooler_apps(project):
        for svc in f.fly.services:
            stops = svc.auto_stop in TRUTHY_AUTOSTOP
            if not stops or (svc.min_machines or 0) > 0:
                continue
            line = svc.auto_stop_line or svc.line
            section = (
                "[http_service]"
                if svc.section == "http_service"
                else f"[[services]] #{svc.index + 1}"
            )
            yield report(
                meta,
                f.rel,
                Span.whole_line(line),
                f"{section} has `auto_stop_machines = {_toml(svc.auto_stop)}` and "
                f"{'no' if svc.min_machines is None else 'zero'} `min_machines_running`: "
                f"{_pooler(f)} itself scales to zero, and clients on the private network "
                f"({_private_address(f)}) never wake it, so the app's database connections are "
                f"refused.",
            )


@rule("SL603")
def pooler_behind_http_service(project: Project, meta: RuleMeta) -> Iterator[Finding]:
    """Postgres traffic routed through Fly's HTTP (or TLS-terminating) proxy."""
    for f, _ in _pooler_apps(project):
        for svc in f.fly.services:
            wrong = [h for h in svc.handlers if h in ("http", "tls")]
            if not wrong:
                continue
            where = (
                "[http_service]"
                if svc.section == "http_service"
                else f"[[services]] #{svc.index + 1}"
            )
            port = f"port {svc.internal_port}" if svc.internal_port else "the port"
            yield report(
                meta,
                f.rel,
                Span.whole_line(svc.line),
                f"{where} puts {port} of {_pooler(f)} behind Fly's `{wrong[0]}` handler; that "
                f"proxy speaks HTTP/TLS, not the Postgres protocol, so every connection fails.",
            )


@rule("SL604")
def credentials_in_plain_config(project: Project, meta: RuleMeta) -> Iterator[Finding]:
    """A password or secret value committed in hosting config."""
    public = meta.knowledge["public-name-markers"]
    known_secrets = meta.knowledge["secret-value-prefixes"]
    placeholders = meta.knowledge["placeholder-values"]
    for f in project.files.values():
        for var in f.env:
            if var.origin == "dotenv":
                continue
            value = var.value.strip()
            if not value or any(value.lower().startswith(p) for p in placeholders):
                continue
            where = {"fly": "fly.toml `[env]`", "vercel": "vercel.json `env`"}.get(
                var.origin, f.rel
            )
            url = parse_db_url(value) if "://" in value or "password=" in value else None
            if url is not None and url.has_password and not is_loopback(url.host):
                yield report(
                    meta,
                    f.rel,
                    var.span,
                    f"`{var.name}` in {where} is a connection URL to {url.endpoint} with its "
                    f"password, committed in plain text with the repository.",
                    fix=_secret_fix(f, var.name),
                )
            elif (
                url is None
                and is_secret_name(var.name)
                and not any(m in var.name.upper() for m in public)
            ):
                known = any(value.startswith(prefix) for prefix in known_secrets)
                yield report(
                    meta,
                    f.rel,
                    var.span,
                    f"`{var.name}` in {where} looks like a secret, and its value is committed in plain "
                    f"text with the repository.",
                    fix=_secret_fix(f, var.name),
                    confidence=None if known else "medium",
                )


def _secret_fix(f: FileFacts, name: str) -> str:
    if f.kind == "fly_toml":
        return (
            f"Remove it from `[env]` and run `fly secrets set {name}=…` (secrets override `[env]`)."
        )
    if f.kind in ("wrangler_toml", "wrangler_json"):
        return f"Remove it from `vars` and run `wrangler secret put {name}`."
    if f.kind == "vercel_json":
        return f"Remove it from vercel.json and add `{name}` in the project's Environment Variables (or `vercel env add {name}`)."
    return f"Remove it from {f.rel} and set `{name}` as a secret of the platform."


def _toml(value) -> str:
    return str(value).lower() if isinstance(value, bool) else f'"{value}"'
