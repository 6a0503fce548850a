"""The facts of one file, whatever its kind: the record the engine caches and rules read."""

from __future__ import annotations

from dataclasses import dataclass, field

from scalelint.facts.code import CodeFacts
from scalelint.facts.comments import Suppression
from scalelint.findings import Span
from scalelint.records import compact_records


@dataclass(frozen=True, slots=True)
class EnvVar:
    """An environment variable given a value in a file: `.env`, fly.toml `[env]`, vercel.json…"""

    name: str
    value: str
    span: Span  # where the value is written
    origin: str  # "dotenv", "fly", "vercel", "netlify", "wrangler", "serverless", "render"


@dataclass(frozen=True, slots=True)
class Problem:
    """A file scalelint could not fully read: reported as SL001."""

    line: int
    message: str


@dataclass
class PrismaSetting:
    kind: str  # "string", "env", "other"
    value: str
    span: Span


@dataclass
class PrismaFacts:
    provider: str | None = None
    url: PrismaSetting | None = None
    direct_url: PrismaSetting | None = None
    shadow_url: PrismaSetting | None = None
    datasource_line: int = 0
    generators: list[str] = field(default_factory=list)
    models: dict[str, list[tuple[str, str, bool]]] = field(default_factory=dict)  # name → fields


@dataclass
class FlyService:
    section: str  # "http_service" or "services"
    index: int
    line: int
    internal_port: int | None
    protocol: str
    handlers: tuple[str, ...]  # every handler of every port
    ports: tuple[int, ...]
    auto_stop: object  # as written: True/False/"stop"/"suspend"/"off", or None when absent
    auto_stop_line: int
    min_machines: int | None
    min_machines_line: int


@dataclass
class FlyFacts:
    app: str = ""
    image: str = ""
    image_line: int = 0
    dockerfile: str = ""
    services: list[FlyService] = field(default_factory=list)
    env_line: int = 0


@dataclass
class PgbouncerFacts:
    pool_mode: str | None
    pool_mode_line: int
    section_line: int  # the [pgbouncer] header, where an unset mode is reported
    listen_port: int | None


@dataclass
class Manifest:
    """Dependencies of a package.json, requirements file or pyproject.toml."""

    ecosystem: str  # "npm" or "python"
    name: str = ""
    dependencies: dict[str, str] = field(default_factory=dict)  # name → version spec ("" unknown)
    scripts: dict[str, str] = field(default_factory=dict)
    entry: str = ""  # package.json main/module/exports["."], for workspace imports
    # devDependencies/peerDependencies only; sorted, so its pickle (the facts' cache digest)
    # does not change with the string hash seed from one run to the next
    dev_only: tuple[str, ...] = ()


@dataclass
class TsConfig:
    base_url: str | None = None
    paths: dict[str, list[str]] = field(default_factory=dict)
    extends: list[str] = field(default_factory=list)


@dataclass
class HostConfig:
    """What a hosting file says about where the code runs."""

    platform: str  # "vercel", "lambda", "edge", "server", "fly", "netlify"
    evidence: str  # plain words for messages: "vercel.json", "Dockerfile runs uvicorn"
    line: int = 1
    images: tuple[str, ...] = ()  # Dockerfile FROM / fly.toml image
    entry: str = ""  # wrangler `main`, Dockerfile command
    serves: tuple[str, ...] = ()  # files it deploys, from its folder: vercel.json `functions`


@dataclass
class FileFacts:
    rel: str
    kind: str
    code: CodeFacts | None = None
    env: list[EnvVar] = field(default_factory=list)
    prisma: PrismaFacts | None = None
    fly: FlyFacts | None = None
    pgbouncer: PgbouncerFacts | None = None
    manifest: Manifest | None = None
    tsconfig: TsConfig | None = None
    host: HostConfig | None = None
    suppressions: list[Suppression] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: str = ""  # why the file was not read, when it was not


compact_records(globals())
