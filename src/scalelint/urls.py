"""Database URLs: read them (URL and libpq `key=value` forms, placeholders tolerated), say what
they point at (host first, port second, from the `url-classes` table), and hide their passwords.

Real `.env.example` files hold `postgresql://postgres:[YOUR-PASSWORD]@db.abc.supabase.co:5432/
postgres`, which `urllib.parse` rejects as a bad IPv6 address, so the authority is split here
by hand: the last `@` ends the user info, the first `:` in it starts the password.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")
_LIBPQ_PAIR = re.compile(r"(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)")


@dataclass(frozen=True, slots=True)
class DbUrl:
    scheme: str
    user: str
    has_password: bool
    host: str  # lower-cased; the first host of a multi-host URL
    port: int | None
    database: str
    params: dict[str, str] = field(default_factory=dict)
    placeholder: bool = False  # the host is a template or a fill-me-in value

    def param(self, name: str) -> str | None:
        for k, v in self.params.items():
            if k.lower() == name.lower():
                return v
        return None

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}" if self.port else self.host


@dataclass(frozen=True, slots=True)
class UrlClass:
    kind: str  # direct | session-pooler | transaction-pooler | accelerate | local | unknown
    provider: str = ""
    prepared_statements: str = ""  # supported | unsupported | unknown (poolers)
    certain: bool = True


def parse_db_url(text: str) -> DbUrl | None:
    """A database URL or libpq connection string, or None when `text` is neither."""
    text = text.strip().strip("\"'")
    m = _SCHEME.match(text)
    if m is None:
        return _parse_libpq(text)
    scheme = m.group(1).lower()
    rest = text[m.end() :]
    end = len(rest)
    for sep in "/?#":
        i = rest.find(sep, rest.rfind("@") + 1 if "@" in rest else 0)
        if 0 <= i < end:
            end = i
    authority, tail = rest[:end], rest[end:]
    user, has_password = "", False
    if "@" in authority:
        userinfo, authority = authority.rsplit("@", 1)
        user, sep, _ = userinfo.partition(":")
        has_password = bool(sep)
    host_part = authority.split(",", 1)[0]  # multi-host: the first decides
    host, port = _split_host_port(host_part)
    path, _, query = tail.partition("?")
    query = query.split("#", 1)[0]
    params = {k: v for k, v in parse_qsl(query, keep_blank_values=True)}
    if not host and "host" in params:  # postgresql:///db?host=/var/run/postgresql
        host = params["host"]
    return DbUrl(
        scheme=scheme,
        user=unquote(user),
        has_password=has_password,
        host=host.lower(),
        port=port,
        database=path.lstrip("/"),
        params=params,
        placeholder=_shouts(host),
    )


def _split_host_port(host_part: str) -> tuple[str, int | None]:
    if host_part.startswith("[") and ":" in host_part[: host_part.find("]")]:  # IPv6 literal
        host, _, port = host_part[1:].partition("]")
        port = port.lstrip(":")
    elif host_part.startswith("[") and "]" in host_part:  # `[neon_hostname]:5432`: a placeholder
        end = host_part.index("]") + 1
        host, port = host_part[:end], host_part[end:].lstrip(":")
    else:
        host, _, port = host_part.partition(":")
    return host, int(port) if port.isdigit() else None


def _parse_libpq(text: str) -> DbUrl | None:
    pairs = {k.lower(): v.strip("'") for k, v in _LIBPQ_PAIR.findall(text)}
    if "host" not in pairs or not ({"dbname", "user", "port"} & pairs.keys()):
        return None
    port = pairs.get("port", "")
    params = {
        k: v for k, v in pairs.items() if k not in ("host", "port", "user", "password", "dbname")
    }
    return DbUrl(
        scheme="postgresql",
        user=pairs.get("user", ""),
        has_password="password" in pairs,
        host=pairs["host"].split(",", 1)[0].lower(),
        port=int(port) if port.isdigit() else None,
        database=pairs.get("dbname", ""),
        params=params,
        placeholder=_shouts(pairs["host"]),
    )


def _shouts(host: str) -> bool:
    """`HOST`, `YOUR_DB_HOST`: a name to fill in, not a host."""
    return bool(re.fullmatch(r"[A-Z0-9_-]*[A-Z][A-Z0-9_-]*", host))


def classify(url: DbUrl, knowledge: dict) -> UrlClass:
    """What `url` points at, by the `url-classes` table: host patterns before ports."""
    if url.scheme not in knowledge["postgres-schemes"]:
        return UrlClass("unknown")
    if is_placeholder(url, knowledge):
        return _classify_template(url, knowledge)
    if is_local(url.host, knowledge):
        return UrlClass("local")
    for entry in knowledge["url-classes"]:
        if _matches(entry, url, url.host):
            return _class_of(entry)
    if url.port in (5432, None) and url.scheme != "prisma":
        # An unknown host on Postgres's own port is most likely the database itself.
        return UrlClass("direct", "", "", certain=False)
    return UrlClass("unknown")


def _classify_template(url: DbUrl, knowledge: dict) -> UrlClass:
    """A template copied from a provider's dashboard (`db.[YOUR-PROJECT-REF].supabase.co:5432`,
    `aws-0-[REGION].pooler.supabase.com:6543`): the placeholder stands for a project ref or a
    region, and the provider's host pattern around it still says what the filled-in URL will
    point at. A host that is all placeholder (`[HOST]`, `your-db-host`) says nothing, and
    neither does a port on its own."""
    host = url.host
    for pattern in knowledge["placeholder-tokens"]:
        host = re.sub(pattern, "x0", host)
    if "." not in host or any(m.lower() in host for m in knowledge["placeholder-markers"]):
        return UrlClass("unknown")
    for entry in knowledge["url-classes"]:
        if _NAMES_HOST & entry.keys() and _matches(entry, url, host):
            return _class_of(entry)
    return UrlClass("unknown")


_NAMES_HOST = {"host-suffix", "host-contains", "host-regex"}


def _class_of(entry: dict) -> UrlClass:
    return UrlClass(
        entry["class"],
        entry.get("provider", ""),
        entry.get("prepared-statements", ""),
        entry.get("certain", True),
    )


def _matches(entry: dict, url: DbUrl, host: str) -> bool:
    if "scheme" in entry and url.scheme not in entry["scheme"]:
        return False
    if "host-suffix" in entry and not host.endswith(entry["host-suffix"]):
        return False
    if "host-contains" in entry and entry["host-contains"] not in host:
        return False
    if "host-regex" in entry and re.search(entry["host-regex"], host) is None:
        return False
    if "port" in entry and url.port not in entry["port"]:
        return False
    if "param" in entry:
        name, _, value = entry["param"].partition("=")
        if (url.param(name) or "").lower() != value.lower():
            return False
    return True


def is_loopback(host: str) -> bool:
    """This machine only: a password for it is a development default, not a credential."""
    return host in (
        "localhost",
        "127.0.0.1",
        "::1",
        "0.0.0.0",
        "host.docker.internal",
    ) or host.startswith("127.")


def is_local(host: str, knowledge: dict) -> bool:
    local = knowledge["local-hosts"]
    if host in local["exact"] or any(host.endswith(s) for s in local["suffixes"]):
        return True
    # a bare service name (docker compose, Kubernetes) never resolves outside its network
    return bool(host) and "." not in host and ":" not in host


def is_placeholder(url: DbUrl, knowledge: dict) -> bool:
    if not url.host or url.placeholder:
        return True
    return any(marker.lower() in url.host for marker in knowledge["placeholder-markers"])


# ── secrets ──────────────────────────────────────────────────────────────────────────────

_SECRET_NAME = re.compile(
    r"(?i)(SECRET|_KEY$|^KEY$|_KEY_|TOKEN|PASSWORD|PASSWD|PRIVATE_KEY|CREDENTIAL|API_?KEY)"
)
_ASSIGNMENT = re.compile(
    r"""^(?P<pre>\s*(?:export\s+)?["']?(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)["']?\s*[=:]\s*)(?P<value>.+?)(?P<post>\s*,?\s*)$"""
)


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def redact(text: str) -> str:
    """`text` with every URL password (and libpq `password=`) replaced by `***`."""
    if "://" in text:
        text = _redact_urls(text)
    if "password=" in text.lower():
        text = re.sub(r"(?i)(\bpassword\s*=\s*)('[^']*'|[^\s&;'\"]+)", r"\1***", text)
    return text


def _redact_urls(text: str) -> str:
    out = []
    i = 0
    for m in re.finditer(r"[a-zA-Z][a-zA-Z0-9+.-]*://", text):
        if m.start() < i:
            continue
        start = m.end()
        end = start
        while end < len(text) and text[end] not in " \t\n\"'`<>,;)":
            end += 1
        authority_end = end
        at = text.rfind("@", start, authority_end)
        slash = text.find("/", start, authority_end)
        if at >= 0 and (slash < 0 or slash > at or _slash_in_password(text, start, at)):
            colon = text.find(":", start, at)
            if colon >= 0 and text[colon + 1 : at] != "***":
                out.append(text[i : colon + 1])
                out.append("***")
                i = at
    out.append(text[i:])
    return "".join(out)


def _slash_in_password(text: str, start: int, at: int) -> bool:
    colon = text.find(":", start, at)
    return colon >= 0 and "/" in text[colon:at]


def redact_line(line: str) -> str:
    """A source line safe to print: URL passwords hidden, and the value of a secret-named
    setting (`STRIPE_SECRET_KEY=…`, `"API_TOKEN": "…"`) replaced by `***`."""
    line = redact(line)
    m = _ASSIGNMENT.match(line)
    if m is not None and is_secret_name(m.group("name")):
        value = m.group("value").strip()
        if value and value not in ("***", '"***"', "'***'"):
            quote = value[0] if value[0] in "\"'" and value[-1:] == value[0] else ""
            return f"{m.group('pre')}{quote}***{quote}{m.group('post')}"
    return line
