"""Hosting files → where the code runs, and the environment variables they set.

Each file says one thing about the platform (vercel.json: Vercel; wrangler.toml: Cloudflare
Workers, an edge runtime; serverless.yml: Lambda; a Dockerfile that starts a server: a
long-running server). Context weighs them; this module only reads them.
"""

from __future__ import annotations

from scalelint.facts.comments import line_comment_directives
from scalelint.facts.model import EnvVar, FileFacts, HostConfig
from scalelint.findings import Span
from scalelint.parsers.dockerfile import parse_dockerfile
from scalelint.parsers.jsonc import JsonDoc, parse_jsonc
from scalelint.parsers.toml import parse_toml
from scalelint.parsers.yaml_doc import parse_yaml

SERVER_COMMANDS = (
    "node",
    "npm",
    "yarn",
    "pnpm",
    "bun",
    "deno",
    "next",
    "uvicorn",
    "gunicorn",
    "hypercorn",
    "daphne",
    "python",
    "flask",
    "fastapi",
    "manage.py",
    "pm2",
    "tsx",
    "ts-node",
)
LAMBDA_IMAGES = ("public.ecr.aws/lambda/", "amazon/aws-lambda-")
SERVER_IMAGES = (
    "node",
    "python",
    "oven/bun",
    "denoland/deno",
    "tiangolo/",
    "mcr.microsoft.com/playwright",
)


def extract_vercel_json(facts: FileFacts, text: str) -> None:
    doc = parse_jsonc(text)
    data = doc.value if isinstance(doc.value, dict) else {}
    _json_env(facts, doc, ("env",), data.get("env"), "vercel")
    build = data.get("build") if isinstance(data.get("build"), dict) else {}
    _json_env(facts, doc, ("build", "env"), build.get("env"), "vercel")
    functions = data.get("functions") if isinstance(data.get("functions"), dict) else {}
    builds = data.get("builds") if isinstance(data.get("builds"), list) else []
    serves = [*functions, *(b.get("src") for b in builds if isinstance(b, dict))]
    facts.host = HostConfig(
        "vercel", "vercel.json", serves=tuple(p for p in serves if isinstance(p, str))
    )


def extract_wrangler(facts: FileFacts, text: str) -> None:
    if facts.kind == "wrangler_toml":
        t = parse_toml(text)
        data, line_of = t.data, (lambda *p: t.line_of(*p))
        facts.suppressions = line_comment_directives(text, ("#",))
    else:
        j = parse_jsonc(text)
        data = j.value if isinstance(j.value, dict) else {}
        line_of = j.line_of
    tables = [(("vars",), data.get("vars"))]
    envs = data.get("env") if isinstance(data.get("env"), dict) else {}
    tables += [
        (("env", n, "vars"), cfg.get("vars")) for n, cfg in envs.items() if isinstance(cfg, dict)
    ]
    for path, table in tables:  # top-level `vars` and every `[env.<name>.vars]`
        for key, value in table.items() if isinstance(table, dict) else ():
            if isinstance(value, str):
                span = Span.at_line(line_of(*path, key))
                facts.env.append(EnvVar(key, value, span, "wrangler"))
    facts.host = HostConfig("edge", facts.rel.rsplit("/", 1)[-1], 1, (), str(data.get("main", "")))


def extract_netlify(facts: FileFacts, text: str) -> None:
    t = parse_toml(text)
    build = t.data.get("build") if isinstance(t.data.get("build"), dict) else {}
    env = build.get("environment") if isinstance(build.get("environment"), dict) else {}
    for key, value in env.items():
        facts.env.append(
            EnvVar(key, str(value), Span.at_line(t.line_of("build", "environment", key)), "netlify")
        )
    facts.host = HostConfig("lambda", "netlify.toml")
    facts.suppressions = line_comment_directives(text, ("#",))


def extract_serverless(facts: FileFacts, text: str) -> None:
    doc = parse_yaml(text)
    data = doc.value if isinstance(doc.value, dict) else {}
    provider = data.get("provider") if isinstance(data.get("provider"), dict) else {}
    env = provider.get("environment") if isinstance(provider.get("environment"), dict) else {}
    for key, value in env.items():
        if isinstance(value, str):
            line = doc.lines.get(("provider", "environment", key), 1)
            facts.env.append(EnvVar(str(key), value, Span.at_line(line), "serverless"))
    if str(provider.get("name", "aws")) == "aws":
        facts.host = HostConfig("lambda", "serverless.yml")
    facts.suppressions = line_comment_directives(text, ("#",))


def extract_sam(facts: FileFacts, text: str) -> None:
    doc = parse_yaml(text)
    data = doc.value if isinstance(doc.value, dict) else {}
    transform = data.get("Transform")
    transforms = transform if isinstance(transform, list) else [transform]
    if any(isinstance(t, str) and t.startswith("AWS::Serverless") for t in transforms):
        facts.host = HostConfig("lambda", "SAM template.yaml")


def extract_render(facts: FileFacts, text: str) -> None:
    doc = parse_yaml(text)
    data = doc.value if isinstance(doc.value, dict) else {}
    services = data.get("services") if isinstance(data.get("services"), list) else []
    for i, svc in enumerate(services):
        if not isinstance(svc, dict):
            continue
        for j, var in enumerate(svc.get("envVars") or []):
            if isinstance(var, dict) and isinstance(var.get("value"), str) and "key" in var:
                line = doc.lines.get(("services", i, "envVars", j, "value"), 1)
                facts.env.append(
                    EnvVar(str(var["key"]), var["value"], Span.at_line(line), "render")
                )
    if services:
        facts.host = HostConfig("server", "render.yaml")
    facts.suppressions = line_comment_directives(text, ("#",))


def extract_procfile(facts: FileFacts, text: str) -> None:
    for n, line in enumerate(text.splitlines(), start=1):
        name, _, command = line.partition(":")
        if name.strip() == "web" and command.strip():
            facts.host = HostConfig("server", "Procfile `web` process", n, (), command.strip())
            return


def extract_dockerfile(facts: FileFacts, text: str) -> None:
    doc = parse_dockerfile(text)
    images = tuple(image for image, _ in doc.images)
    facts.suppressions = line_comment_directives(text, ("#",))
    if any(image.lower().startswith(LAMBDA_IMAGES) for image in images):
        evidence = "Dockerfile built on an AWS Lambda base image"
        facts.host = HostConfig("lambda", evidence, 1, images, doc.command)
        return
    # any stage that starts a server counts: multi-stage files often end in a worker stage
    server = next(
        ((c, n) for c, n in doc.commands if any(w in c.lower() for w in SERVER_COMMANDS)), None
    )
    final = images[-1].lower() if images else ""
    runs_server = server is not None or any(final.startswith(p) for p in SERVER_IMAGES)
    command, line = server or (doc.command, doc.command_line)
    evidence = "Dockerfile" + (f" runs `{_short(command)}`" if command else "")
    line = line or (doc.images[-1][1] if doc.images else 1)
    platform = "server" if runs_server else "container"
    facts.host = HostConfig(platform, evidence, line, images, command)


def _short(command: str) -> str:
    return command if len(command) <= 40 else command[:39] + "…"


def _json_env(facts: FileFacts, doc: JsonDoc, path: tuple, env, origin: str) -> None:
    if not isinstance(env, dict):
        return
    for key, value in env.items():
        if isinstance(value, str):
            line, col = doc.positions.get((*path, key), (1, 1))
            facts.env.append(EnvVar(key, value, Span.at_line(line, col, len(value) + 2), origin))
