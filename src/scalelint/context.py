"""ProjectContext: what the whole project says about each file, built once from all facts.

Where does this file run (platform per package, refined per file: `runtime = "edge"`,
Supabase functions)? Is it request-path code or a script? Which Prisma major version? Which
environment variables hold database URLs, and is each the runtime URL or a migration-only
one? Rules ask these questions; none of them re-reads a file.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import pathspec

from scalelint.analysis.clients import Construction, constructions_in
from scalelint.analysis.values import url_sources
from scalelint.config import Config
from scalelint.facts.code import CallResult, CodeFacts, FnValue, Obj, Str, Value
from scalelint.facts.model import EnvVar, FileFacts, PrismaFacts
from scalelint.urls import DbUrl, UrlClass, classify, parse_db_url

SERVERLESS = ("vercel", "edge", "lambda")
PLATFORM_NAMES = {
    "vercel": "Vercel",
    "edge": "an edge runtime",
    "lambda": "AWS Lambda",
    "server": "a long-running server",
    "unknown": "an unknown platform",
}
_STRONG_HOSTS = {"vercel": 0, "edge": 1, "lambda": 2, "server": 3}
_JS_KINDS = ("typescript", "tsx", "javascript")


@dataclass(frozen=True)
class Platform:
    name: str  # vercel | edge | lambda | server | unknown
    evidence: str  # plain words: "vercel.json", "`export const runtime = \"edge\"`"

    @property
    def serverless(self) -> bool:
        return self.name in SERVERLESS

    def describe(self) -> str:
        where = PLATFORM_NAMES[self.name]
        return f"{where} ({self.evidence})" if self.evidence else where


@dataclass(frozen=True)
class Role:
    role: str  # runtime | migration
    evidence: str


@dataclass(frozen=True)
class EnvDefinition:
    rel: str
    var: EnvVar

    def url(self) -> DbUrl | None:
        return parse_db_url(self.var.value)


@dataclass(frozen=True)
class ResolvedUrl:
    url: DbUrl
    cls: UrlClass
    env: str  # the variable it came from ("" for a literal)
    definition: EnvDefinition | None

    @property
    def where(self) -> str:
        """ "`DATABASE_URL` from .env.example:3", or "a URL written in the code"."""
        if self.definition is None:
            return "a URL written in the code"
        return f"`{self.env}` from {self.definition.rel}:{self.definition.var.span.line}"


@dataclass
class ProjectContext:
    config: Config
    knowledge: dict
    files: Mapping[str, FileFacts]
    packages: dict[str, Platform] = field(default_factory=dict)  # package dir → platform
    env: dict[str, list[EnvDefinition]] = field(default_factory=dict)
    roles: dict[str, Role] = field(default_factory=dict)
    constructions: list[Construction] = field(default_factory=list)
    prisma_schemas: list[tuple[str, PrismaFacts]] = field(default_factory=list)
    migration_urls: list[tuple[str, int, str, tuple]] = field(default_factory=list)
    _deps: dict[str, dict[str, str]] = field(default_factory=dict)  # package dir → deps
    package_names: dict[str, str] = field(default_factory=dict)  # package dir → its name
    _runtime_deps: dict[str, dict[str, str]] = field(default_factory=dict)  # without dev/peer deps
    _request_spec: pathspec.GitIgnoreSpec | None = None
    pooler_dirs: set[str] = field(default_factory=set)  # folders that are a pooler app's
    pooler_files: set[str] = field(default_factory=set)  # hosting files of pooler apps
    _file_platform: dict[str, Platform] = field(default_factory=dict)
    _dep_cache: dict[str, dict[str, str]] = field(default_factory=dict)
    _request_path: dict[str, bool] = field(default_factory=dict)
    _script_files: set[str] = field(default_factory=set)

    # ── packages and platforms ──
    def package_of(self, rel: str) -> str:
        d = posixpath.dirname(rel)
        while True:
            if d in self.packages:
                return d
            if not d:
                return ""
            d = posixpath.dirname(d)

    def platform_for(self, rel: str) -> Platform:
        if rel not in self._file_platform:
            self._file_platform[rel] = self._platform_for(rel)
        return self._file_platform[rel]

    def _platform_for(self, rel: str) -> Platform:
        if self.config.platform:
            return Platform(self.config.platform, "set in config")
        edge = self._edge_file(rel)
        if edge:
            return Platform("edge", edge)
        platform = self.packages.get(self.package_of(rel), Platform("unknown", ""))
        if platform.name == "unknown" and self._lambda_handler(rel):
            return Platform("lambda", "exports a Lambda `handler`")
        return platform

    def _edge_file(self, rel: str) -> str:
        for pattern in self.knowledge["edge-paths"]:
            prefix = pattern.split("*", 1)[0]
            if rel.startswith(prefix) or f"/{prefix}" in rel:
                return prefix.rstrip("/")
        facts = self.files.get(rel)
        code = facts.code if facts is not None else None
        if code is None:
            return ""
        for export in code.exports:
            if export.name == "runtime" and export.value is not None:
                value = getattr(export.value, "value", None)
                if value in self.knowledge["edge-runtime-values"]:
                    return f'`export const runtime = "{value}"`'
        name = posixpath.basename(rel)
        if name.startswith("middleware.") and "next" in self.dependencies(rel):
            pkg = self.package_of(rel)
            at_root = posixpath.dirname(rel) in (pkg, posixpath.join(pkg, "src") if pkg else "src")
            if at_root and not any(
                e.name == "config" and _runtime_nodejs(e.value) for e in code.exports
            ):
                return "Next.js middleware"
        for b in code.bindings:
            if (
                b.kind == "import"
                and b.source
                and b.source.startswith(("https://deno.land/", "jsr:", "npm:"))
            ):
                return "Deno imports"
        return ""

    def _lambda_handler(self, rel: str) -> bool:
        """`export const handler = async (event, context) => …`, or Python's
        `def lambda_handler(event, context)`: the shapes AWS Lambda calls."""
        facts = self.files.get(rel)
        code = facts.code if facts is not None else None
        if code is None:
            return False
        if code.language == "js":
            return any(e.name == "handler" for e in code.exports)
        return any(
            f.parent is None
            and f.name in ("lambda_handler", "handler")
            and f.params[:2] == ("event", "context")
            for f in code.functions
        )

    def dependencies(self, rel: str) -> dict[str, str]:
        """npm and Python dependencies of the package `rel` belongs to, and of the packages
        above it (a monorepo root's dependencies reach its apps)."""
        return self.package_dependencies(self.package_of(rel))

    def package_dependencies(self, pkg: str) -> dict[str, str]:
        if pkg not in self._dep_cache:
            out: dict[str, str] = {}
            for d in _ancestors(self, pkg):
                for k, v in self._deps.get(d, {}).items():
                    out.setdefault(k, v)
            self._dep_cache[pkg] = out
        return self._dep_cache[pkg]

    def prisma_major(self, rel: str) -> int | None:
        deps = self.dependencies(rel)
        for name in ("prisma", "@prisma/client"):
            if name in deps:
                m = re.search(r"(\d+)", deps[name])
                if m is not None and not deps[name].startswith(
                    ("workspace", "catalog", "file:", "link:")
                ):
                    return int(m.group(1))
        return None

    def is_request_path(self, rel: str) -> bool:
        known = self._request_path.get(rel)
        if known is not None:
            return known
        spec = self._request_spec
        if spec is None:
            spec = pathspec.GitIgnoreSpec.from_lines(self.knowledge["not-request-path"])
            self._request_spec = spec
            self._script_files = _script_entries(self.files)
        answer = (
            not spec.match_file(rel)
            and rel not in self._script_files
            and not self._declares_tests(rel)
        )
        self._request_path[rel] = answer
        return answer

    def _declares_tests(self, rel: str) -> bool:
        """A test file named by a project's own convention (`*.clienttest.ts`) still declares
        its suites at the top: `describe("…", () => …)` through a test runner's global or an
        import from one. Nothing in a server calls an unbound `describe`."""
        facts = self.files.get(rel)
        code = facts.code if facts is not None else None
        if code is None or code.language != "js":
            return False
        names = self.knowledge["test-suite-calls"]
        runners = self.knowledge["test-runner-modules"]
        for call in code.calls:
            if (
                call is None
                or call.function is not None
                or not call.path
                or len(call.path) > 2
                or call.path[0] not in names
                or len(call.args) < 2
                or not isinstance(call.args[0], Str)
                or not any(isinstance(a, FnValue) for a in call.args[1:])
            ):
                continue
            root = code.lookup(call.path[0], None)
            if root is None or (root.kind == "import" and root.source in runners):
                return True
        return False

    # ── URLs ──
    def role_of(self, name: str) -> Role | None:
        return self.roles.get(name)

    def definitions(self, name: str) -> list[EnvDefinition]:
        return self.env.get(name, [])

    def classify(self, url: DbUrl) -> UrlClass:
        return classify(url, self.knowledge)

    def deployed_definitions(self, name: str) -> list[EnvDefinition]:
        """Definitions of `name` the app may run with: not test-only env files (`.env.test`,
        `.env.ci`), and not a pooler app's config, whose URL is the pooler's own upstream."""
        skip = self.knowledge["test-env-files"]
        return [
            d
            for d in self.definitions(name)
            if posixpath.basename(d.rel) not in skip and not self.of_pooler_app(d.rel)
        ]

    def of_pooler_app(self, rel: str) -> bool:
        """`rel` configures a connection pooler's own app (its upstream URL, its machines), not
        the app that connects through it."""
        return rel in self.pooler_files or posixpath.dirname(rel) in self.pooler_dirs

    def definitions_near(self, name: str, rel: str) -> list[EnvDefinition]:
        """The deployed definitions of `name` that the code or config at `rel` runs with.

        An env file speaks for its own package and the packages below its folder (a monorepo
        root's `.env`), never for a sibling app: in a repository of separate examples or apps,
        one app's `.env.example` says nothing about another's schema. A shared package with no
        env file of its own (a `packages/db` schema) runs with the env of the apps that depend
        on it."""
        defs = self.deployed_definitions(name)
        pkg = self.package_of(rel)
        own = [d for d in defs if _env_reaches(self.package_of(d.rel), d.rel, pkg)]
        if own:
            return own
        users = self.dependents(pkg)
        return [d for d in defs if self.package_of(d.rel) in users]

    def dependents(self, pkg: str) -> set[str]:
        """Package folders that list the package at `pkg` among their dependencies."""
        name = self.package_names.get(pkg)
        if not name:
            return set()
        return {d for d, deps in self._deps.items() if d != pkg and name in deps}

    def resolve_urls(self, sources, near: str | None = None) -> list[ResolvedUrl]:
        """Each URL a list of UrlSources may hold: every deployed definition of an env var (only
        those that reach the file at `near`, when given), or a literal written in code."""
        out: list[ResolvedUrl] = []
        for source in sources:
            if source.env:
                defs = (
                    self.definitions_near(source.env, near)
                    if near is not None
                    else self.deployed_definitions(source.env)
                )
                for d in defs:
                    url = d.url()
                    if url is not None:
                        out.append(ResolvedUrl(url, self.classify(url), source.env, d))
            elif source.literal:
                url = parse_db_url(source.literal)
                if url is not None:
                    out.append(ResolvedUrl(url, self.classify(url), "", None))
        return out


def build_context(
    files: Mapping[str, FileFacts], config: Config, knowledge: dict, marker_dirs: list[str]
) -> ProjectContext:
    ctx = ProjectContext(config=config, knowledge=knowledge, files=files)
    package_dirs = {""}
    for rel, f in files.items():
        if f.kind in ("package_json", "pyproject", "requirements") and f.manifest is not None:
            d = posixpath.dirname(rel)
            package_dirs.add(d)
            if f.manifest.name:
                ctx.package_names.setdefault(d, f.manifest.name)
            deps = ctx._deps.setdefault(d, {})
            runtime = ctx._runtime_deps.setdefault(d, {})
            for k, v in f.manifest.dependencies.items():
                deps.setdefault(k, v)
                if k not in f.manifest.dev_only:
                    runtime.setdefault(k, v)
    for d in package_dirs:
        ctx.packages[d] = Platform("unknown", "")
    for rel, f in files.items():
        for var in f.env:
            ctx.env.setdefault(var.name, []).append(EnvDefinition(rel, var))
        if f.prisma is not None:
            ctx.prisma_schemas.append((rel, f.prisma))
        if f.code is not None:
            ctx.constructions.extend(constructions_in(rel, f.code, knowledge["db-clients"]))
    _detect_platforms(ctx, files, marker_dirs)
    _assign_roles(ctx, files)
    return ctx


def _detect_platforms(
    ctx: ProjectContext, files: Mapping[str, FileFacts], marker_dirs: list[str]
) -> None:
    """Strong signals (hosting files, a server that listens) of a package or, failing that, of
    the packages above it; then weak ones (dependencies) the same way."""
    strong: dict[str, list[tuple[int, Platform]]] = {}
    weak: dict[str, Platform] = {}
    ctx.pooler_files = {rel for rel, f in files.items() if is_pooler_app(ctx, rel, f)}
    ctx.pooler_dirs = {
        posixpath.dirname(rel)
        for rel in ctx.pooler_files
        if posixpath.basename(rel) in FOLDER_CLAIMING_NAMES
    }
    for rel, f in files.items():
        pkg = ctx.package_of(rel)
        host = f.host
        if host is not None and host.platform in _STRONG_HOSTS and _hosts_package(rel, pkg):
            if f.kind in ("fly_toml", "dockerfile") and ctx.of_pooler_app(rel):
                continue
            signal = (_STRONG_HOSTS[host.platform], Platform(host.platform, host.evidence))
            strong.setdefault(pkg, []).append(signal)
            for served in _served_packages(ctx, rel, host.serves) - {pkg}:
                strong.setdefault(served, []).append(signal)
        if f.code is not None and f.code.language == "js" and ctx.is_request_path(rel):
            listener = _listening_server(f.code, ctx.knowledge["server-frameworks"])
            if listener:
                strong.setdefault(pkg, []).append((4, Platform("server", f"{listener} in {rel}")))
    for d in marker_dirs:
        strong.setdefault(ctx.package_of(d + "/x"), []).append(
            (0, Platform("vercel", ".vercel/ (a linked Vercel project)"))
        )
    for pkg in ctx.packages:
        deps = ctx._runtime_deps.get(pkg, {})
        table = ctx.knowledge["platform-dependencies"]
        for platform in ("edge", "lambda", "vercel"):
            hit = next((d for d in table[platform] if d in deps), None)
            if hit is not None:
                weak[pkg] = Platform(platform, f"`{hit}` in the dependencies")
                break
        else:
            hit = next((d for d in ctx.knowledge["vercel-frameworks"] if d in deps), None)
            if hit is not None:
                weak[pkg] = Platform("vercel", "a Next.js app with no other hosting config")
    for pkg in ctx.packages:
        chain = _ancestors(ctx, pkg)
        chosen = None
        for d in chain:
            if strong.get(d):
                chosen = min(strong[d], key=lambda p: p[0])[1]
                break
        if chosen is None:
            chosen = next((weak[d] for d in chain if d in weak), Platform("unknown", ""))
        ctx.packages[pkg] = chosen


def _env_reaches(env_pkg: str, env_rel: str, pkg: str) -> bool:
    """An env file in package `env_pkg` reaches code of package `pkg`: the same package, or a
    folder above it."""
    if env_pkg == pkg:
        return True
    d = posixpath.dirname(env_rel)
    return not d or pkg == d or pkg.startswith(d + "/")


HOSTING_SUBDIRS = ("docker", ".docker", "deploy", "deployment", ".deploy")


def _served_packages(ctx: ProjectContext, rel: str, serves: tuple[str, ...]) -> set[str]:
    """Packages holding the files a hosting file deploys: vercel.json at the root with
    `"functions": {"api/main.py": …}` deploys the `api` package, whatever its own
    Dockerfile says."""
    here = posixpath.dirname(rel)
    out = set()
    for path in serves:
        folder = posixpath.dirname(path.split("*", 1)[0].lstrip("/"))
        out.add(ctx.package_of(posixpath.normpath(posixpath.join(here, folder, "x"))))
    return out


def _hosts_package(rel: str, pkg: str) -> bool:
    """A hosting file speaks for the package it sits in (or its docker/deploy folder), not for
    whatever package happens to contain the folder of some side service."""
    d = posixpath.dirname(rel)
    return d == pkg or (posixpath.dirname(d) == pkg and posixpath.basename(d) in HOSTING_SUBDIRS)


_SCRIPT_RUN = re.compile(
    r"(?:^|[\s;&|(])(?:node|tsx|ts-node|bun|esno|vite-node|deno\s+run|python3?)(?:\s+-{1,2}[\w-]+(?:[=\s][^\s;&|]+)?)*"
    r"\s+(?:\./)?([\w./-]+\.(?:js|mjs|cjs|ts|mts|cts|py))\b"
)


_SERVER_SCRIPT = re.compile(r"start|dev|serve|preview|prod|watch|worker|build|test", re.I)


def _script_entries(files: Mapping[str, FileFacts]) -> set[str]:
    """Files a package.json script runs directly (`"sync-stripe": "node sync-stripe.js"`):
    command-line tools, not code that serves requests. Scripts that start, build, test or
    watch the app (`"start": "node server.js"`) are left out: they run the server itself."""
    out: set[str] = set()
    for rel, f in files.items():
        if f.kind != "package_json" or f.manifest is None:
            continue
        here = posixpath.dirname(rel)
        for name, command in f.manifest.scripts.items():
            if _SERVER_SCRIPT.search(name):
                continue  # `"start": "node server.js"` runs the server itself
            for m in _SCRIPT_RUN.finditer(command):
                out.add(posixpath.normpath(posixpath.join(here, m.group(1))).lstrip("./"))
    return out


def _ancestors(ctx: ProjectContext, pkg: str) -> list[str]:
    out = [pkg]
    d = pkg
    while d:
        d = ctx.package_of(d)
        out.append(d)
        if not d:
            break
    return out


def _listening_server(code: CodeFacts, frameworks: list[str]) -> str:
    """`app.listen(3000)` on an Express/Fastify/Koa app, or `serve()` from @hono/node-server."""
    imported = {b.name: b.source for b in code.bindings if b.kind == "import"}
    if not any(src in frameworks for src in imported.values()):
        return ""
    for call in code.calls:
        if call.name == "listen" and (call.path is None or len(call.path) >= 2):
            return "`.listen()`"
        if call.path == ("serve",) and imported.get("serve") == "@hono/node-server":
            return "`serve()` from @hono/node-server"
    return ""


# Hosting files whose plain name makes their folder the app's own (`pgbouncer/fly.toml`); a
# named config (`fly.pgbouncer.toml`, `Dockerfile.pgbouncer`) beside another app's speaks only
# for itself.
FOLDER_CLAIMING_NAMES = ("fly.toml", "Dockerfile")


def is_pooler_app(ctx: ProjectContext, rel: str, f: FileFacts) -> bool:
    """A fly.toml or Dockerfile whose image is a connection pooler (or whose Dockerfile starts
    the pooler's binary), or a folder with pgbouncer.ini."""
    images = ctx.knowledge["pooler-images"]
    candidates: list[str] = []
    hosts = [f.host] if f.host is not None else []
    if f.fly is not None and f.fly.image:
        candidates.append(f.fly.image)
    if f.fly is not None:
        here = posixpath.dirname(rel)
        dockerfile = posixpath.normpath(posixpath.join(here, f.fly.dockerfile or "Dockerfile"))
        other = ctx.files.get(dockerfile)
        if other is not None and other.host is not None:
            hosts.append(other.host)
        if posixpath.join(here, "pgbouncer.ini").lstrip("/") in ctx.files:
            return True
    for host in hosts:
        candidates.extend(host.images)
        if starts_pooler(host.entry, ctx.knowledge["pooler-commands"]):
            return True
    return any(pooler_image(c, images) for c in candidates)


def starts_pooler(command: str, binaries: list[str]) -> bool:
    """A Dockerfile command whose program is the pooler itself: `CMD ["/usr/bin/pgbouncer", …]`.
    An app that also starts a PgBouncer (`sh -c "pgbouncer -d … && node server.js"`) is not one."""
    words = [w for w in re.split(r"[\s\[\]\"',]+", command) if w]
    return bool(words) and posixpath.basename(words[0]) in binaries


def pooler_image(image: str, images: list[dict]) -> dict | None:
    name = (
        image.split("@", 1)[0].rsplit(":", 1)[0].lower()
        if ":" in image.rsplit("/", 1)[-1]
        else image.lower()
    )
    for entry in images:
        if (
            name == entry["image"]
            or name.endswith("/" + entry["image"])
            or name.startswith(entry["image"] + ":")
        ):
            return entry
    return None


def _runtime_nodejs(value: Value | None) -> bool:
    return isinstance(value, Obj) and getattr(value.get("runtime"), "value", None) == "nodejs"


# ── URL roles ──


def _assign_roles(ctx: ProjectContext, files: Mapping[str, FileFacts]) -> None:
    """Configuration first (Prisma, prisma.config, drizzle-kit, the driver a URL feeds), names
    second. A variable both read at run time and by migrations is a runtime URL."""
    runtime: dict[str, str] = {}
    migration: dict[str, str] = {}
    for rel, schema in ctx.prisma_schemas:
        if schema.url is not None and schema.url.kind == "env":
            runtime.setdefault(schema.url.value, f"Prisma's datasource `url` in {rel}")
        for setting, label in (
            (schema.direct_url, "directUrl"),
            (schema.shadow_url, "shadowDatabaseUrl"),
        ):
            if setting is not None and setting.kind == "env":
                migration.setdefault(setting.value, f"Prisma's `{label}` in {rel}")
    for rel, f in files.items():
        if f.code is None or f.kind not in _JS_KINDS:
            continue
        name = posixpath.basename(rel)
        if name.startswith("prisma.config."):
            _config_url(
                ctx, rel, f.code, ("datasource", "url"), "prisma.config `datasource.url`", migration
            )
            _config_url(
                ctx,
                rel,
                f.code,
                ("datasource", "directUrl"),
                "prisma.config `datasource.directUrl`",
                migration,
            )
        elif name.startswith("drizzle") and ".config." in name:
            for key in ("url", "connectionString"):
                _config_url(
                    ctx,
                    rel,
                    f.code,
                    ("dbCredentials", key),
                    f"drizzle-kit `dbCredentials.{key}`",
                    migration,
                )
    for c in ctx.constructions:
        if not ctx.is_request_path(c.rel):
            continue
        for source in c.url:
            if source.env:
                runtime.setdefault(source.env, f"{c.label} in {c.rel}")
    names_runtime = set(ctx.knowledge["runtime-url-vars"])
    names_migration = set(ctx.knowledge["migration-url-vars"])
    fragments = ctx.knowledge["migration-url-fragments"]
    for name in set(ctx.env) | set(runtime) | set(migration):
        if name in runtime:
            ctx.roles[name] = Role("runtime", runtime[name])
        elif name in migration:
            ctx.roles[name] = Role("migration", migration[name])
        elif name in names_migration or any(
            re.search(rf"(?:^|_){frag}", name.upper()) for frag in fragments
        ):
            ctx.roles[name] = Role("migration", f"the name {name}")
        elif name in names_runtime:
            ctx.roles[name] = Role("runtime", f"the name {name}")


def _config_url(
    ctx: ProjectContext,
    rel: str,
    code: CodeFacts,
    keys: tuple[str, ...],
    label: str,
    out: dict[str, str],
) -> None:
    config = config_object(code)
    if config is None:
        return
    value: Value | None = config
    line = 0
    for key in keys:
        if not isinstance(value, Obj):
            return
        line = value.line_of(key) or line
        value = value.get(key)
    if value is None:
        return
    sources = tuple(url_sources(code, value, None))
    for source in sources:
        if source.env:
            out.setdefault(source.env, f"{label} in {rel}")
    ctx.migration_urls.append((rel, line, label, sources))


def config_object(code: CodeFacts) -> Obj | None:
    """The object a config file exports: `export default defineConfig({...})` or `{...}`."""
    for export in code.exports:
        if export.name != "default" or export.value is None:
            continue
        value = export.value
        if isinstance(value, CallResult):
            call = code.calls[value.call]
            value = call.args[0] if call.args else None
        if isinstance(value, Obj):
            return value
        if hasattr(value, "path") and len(value.path) == 1:
            b = code.module_binding(value.path[0])
            if b is not None and isinstance(b.value, Obj):
                return b.value
    return None
