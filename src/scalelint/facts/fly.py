"""fly.toml → the app's image, its `[env]`, and each service with its ports, handlers and
autostop settings (what the pooler rules read)."""

from __future__ import annotations

from scalelint.facts.comments import line_comment_directives
from scalelint.facts.model import EnvVar, FileFacts, FlyFacts, FlyService, HostConfig
from scalelint.findings import Span
from scalelint.parsers.toml import TomlDoc, parse_toml


def extract_fly(facts: FileFacts, text: str) -> None:
    doc = parse_toml(text)
    data = doc.data
    fly = FlyFacts(app=str(data.get("app", "")))
    build = data.get("build") if isinstance(data.get("build"), dict) else {}
    fly.image = str(build.get("image", ""))
    fly.image_line = doc.line_of("build", "image") if fly.image else 0
    fly.dockerfile = str(build.get("dockerfile", ""))
    env = data.get("env") if isinstance(data.get("env"), dict) else {}
    fly.env_line = doc.line_of("env") if "env" in data else 0
    for key, value in env.items():
        line = doc.line_of("env", key)
        facts.env.append(EnvVar(key, str(value), _value_span(text, line, str(value)), "fly"))
    http = data.get("http_service")
    if isinstance(http, dict):
        fly.services.append(_service(doc, "http_service", None, http))
    services = data.get("services")
    if isinstance(services, list):
        for i, svc in enumerate(services):
            if isinstance(svc, dict):
                fly.services.append(_service(doc, "services", i, svc))
    facts.fly = fly
    facts.host = HostConfig("server", "fly.toml", 1, (fly.image,) if fly.image else ())
    facts.suppressions = line_comment_directives(text, ("#",))


def _service(doc: TomlDoc, section: str, index: int | None, svc: dict) -> FlyService:
    base = (section,) if index is None else (section, index)
    ports: list[int] = []
    handlers: list[str] = []
    for port in svc.get("ports", []) if isinstance(svc.get("ports"), list) else []:
        if isinstance(port, dict):
            if isinstance(port.get("port"), int):
                ports.append(port["port"])
            handlers.extend(str(h) for h in port.get("handlers", []) or [])
    if section == "http_service":
        handlers.extend(["http"])
    min_m = svc.get("min_machines_running")
    return FlyService(
        section=section,
        index=index or 0,
        line=doc.line_of(*base),
        internal_port=svc.get("internal_port")
        if isinstance(svc.get("internal_port"), int)
        else None,
        protocol=str(svc.get("protocol", "tcp" if section == "services" else "http")),
        handlers=tuple(handlers),
        ports=tuple(ports),
        auto_stop=svc.get("auto_stop_machines"),
        auto_stop_line=doc.lines.get((*base, "auto_stop_machines"), 0),
        min_machines=min_m if isinstance(min_m, int) else None,
        min_machines_line=doc.lines.get((*base, "min_machines_running"), 0),
    )


def _value_span(text: str, line: int, value: str) -> Span:
    """The value's columns on its line, found after the `=`, for carets that sit on the URL."""
    lines = text.splitlines()
    raw = lines[line - 1] if 0 < line <= len(lines) else ""
    eq = raw.find("=")
    idx = raw.find(value, eq + 1) if value and eq >= 0 else -1
    if idx < 0:
        return Span.at_line(line, max(eq + 2, 1), max(len(raw) - eq - 1, 1))
    return Span.at_line(line, idx + 1, len(value))
