"""The pieces rules stand on: URL classes, redaction, the small parsers, module resolution."""

from __future__ import annotations

import pytest

from scalelint.analysis.modules import ModuleResolver
from scalelint.catalogue import knowledge_tables
from scalelint.config import selected
from scalelint.facts.extract import extract
from scalelint.facts.model import FileFacts, Manifest, TsConfig
from scalelint.parsers.jsonc import JsonError, parse_jsonc
from scalelint.parsers.prisma import parse_prisma
from scalelint.parsers.toml import parse_toml
from scalelint.urls import classify, parse_db_url, redact, redact_line

K = knowledge_tables()


@pytest.mark.parametrize(
    ("url", "kind", "provider"),
    [
        (
            "postgresql://postgres:[YOUR-PASSWORD]@db.abcdefghij.supabase.co:5432/postgres",
            "direct",
            "Supabase",
        ),
        (
            "postgres://postgres.ref:pw@aws-0-us-east-1.pooler.supabase.com:6543/postgres",
            "transaction-pooler",
            "Supabase Supavisor",
        ),
        (
            "postgres://postgres.ref:pw@aws-1-eu-west-2.pooler.supabase.com:5432/postgres",
            "session-pooler",
            "Supabase Supavisor",
        ),
        (
            "postgres://postgres:pw@db.abcdefghij.supabase.co:6543/postgres",
            "transaction-pooler",
            "Supabase dedicated PgBouncer",
        ),
        (
            "postgresql://u:p@ep-cool-123-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require",
            "transaction-pooler",
            "Neon",
        ),
        ("postgresql://u:p@ep-cool-123.us-east-2.aws.neon.tech:5432/neondb", "direct", "Neon"),
        (
            "postgres://u:p@pooled.db.prisma.io:5432/?sslmode=require",
            "transaction-pooler",
            "Prisma Postgres",
        ),
        (
            "postgres://u:p@db.prisma.io:5432/?sslmode=require&pooled=true",
            "transaction-pooler",
            "Prisma Postgres",
        ),
        ("postgres://u:p@db.prisma.io:5432/?sslmode=require", "direct", "Prisma Postgres"),
        (
            "prisma+postgres://accelerate.prisma-data.net/?api_key=abc",
            "accelerate",
            "Prisma Accelerate",
        ),
        ("postgres://u:p@mydb.abc123.us-east-1.rds.amazonaws.com:5432/app", "direct", "AWS RDS"),
        (
            "postgres://u:p@proxy1.proxy-abc123.us-east-1.rds.amazonaws.com:5432/app",
            "transaction-pooler",
            "AWS RDS Proxy",
        ),
        (
            "postgres://u:p@pgbouncer.x9y8.flympg.net/app",
            "transaction-pooler",
            "Fly Managed Postgres",
        ),
        ("postgres://postgres:postgres@localhost:5432/app", "local", ""),
        ("postgres://u:p@db:5432/app", "local", ""),
        ("postgres://u:p@my-db.internal:5432/app", "local", ""),
        ("postgres://u:p@${DB_HOST}:5432/app", "unknown", ""),
        ("postgres://USER:PASSWORD@HOST:5432/DB", "unknown", ""),
        # templates: the provider's pattern around the placeholder still decides
        (
            "postgresql://postgres:[PW]@db.[YOUR-PROJECT-REF].supabase.co:5432/postgres",
            "direct",
            "Supabase",
        ),
        (
            "postgres://postgres.[REF]:[PW]@aws-0-[REGION].pooler.supabase.com:6543/postgres",
            "transaction-pooler",
            "Supabase Supavisor",
        ),
        (
            "postgresql://u:p@ep-your-endpoint-pooler.us-east-2.aws.neon.tech/neondb",
            "transaction-pooler",
            "Neon",
        ),
        ("postgres://[user]:[password]@[neon_hostname]/[dbname]", "unknown", ""),
        ("postgres://u:p@your-db-host:6432/app", "unknown", ""),
        ("mysql://u:p@aws.connect.psdb.cloud/app", "unknown", ""),
        (
            "host=db.abcdefghij.supabase.co port=5432 dbname=postgres user=postgres password=x",
            "direct",
            "Supabase",
        ),
    ],
)
def test_url_classes_host_before_port(url, kind, provider):
    parsed = parse_db_url(url)
    assert parsed is not None
    cls = classify(parsed, K)
    assert (cls.kind, cls.provider) == (kind, provider)


def test_not_urls():
    assert parse_db_url("hello") is None
    assert parse_db_url("") is None
    assert parse_db_url("sk_live_123") is None


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        (
            "DATABASE_URL=postgresql://postgres:s3cr/et@db.x.supabase.co:5432/postgres",
            "DATABASE_URL=postgresql://postgres:***@db.x.supabase.co:5432/postgres",
        ),
        (
            'url = "postgres://u:p@ss@h:5432/db" and redis://:pw@r:6379',
            'url = "postgres://u:***@h:5432/db" and redis://:***@r:6379',
        ),
        ("STRIPE_SECRET_KEY=sk_live_123", "STRIPE_SECRET_KEY=***"),
        ('  "API_TOKEN": "abc",', '  "API_TOKEN": "***",'),
        ("dsn = 'host=x password=abc user=u'", "dsn = 'host=x password=*** user=u'"),
        ("https://example.com/a@b", "https://example.com/a@b"),
        ("postgres://u@h/db", "postgres://u@h/db"),
    ],
)
def test_redaction(line, shown):
    assert redact_line(line) == shown


def test_redact_is_idempotent():
    once = redact("postgres://u:pw@h/db")
    assert redact(once) == once == "postgres://u:***@h/db"


def test_jsonc_positions_comments_and_errors():
    doc = parse_jsonc('{\n  // comment\n  "env": { "A": "b", /* c */ "C": [1, 2,], },\n}')
    assert doc.value == {"env": {"A": "b", "C": [1, 2]}}
    assert doc.positions[("env", "A")] == (3, 17)
    with pytest.raises(JsonError) as e:
        parse_jsonc('{"a": 1\n "b": 2}')
    assert e.value.line == 2


def test_toml_key_lines_with_arrays_of_tables():
    doc = parse_toml(
        'app = "x"\n[env]\n  A = "1"\n[[services]]\n  p = 1\n  [[services.ports]]\n    port = 5\n[[services]]\n  p = 2\n'
    )
    assert doc.line_of("env", "A") == 3
    assert doc.line_of("services", 0, "ports", 0, "port") == 7
    assert doc.line_of("services", 1, "p") == 9


def test_prisma_schema_blocks():
    doc = parse_prisma(
        '// c\ndatasource db {\n  provider = "postgresql" // x\n  url = env("DATABASE_URL")\n  directUrl = "postgres://a//b"\n}\nmodel User {\n  id Int @id\n  posts Post[]\n}\n'
    )
    (ds,) = doc.of_kind("datasource")
    assert ds.settings["url"].kind == "env" and ds.settings["url"].value == "DATABASE_URL"
    assert ds.settings["directUrl"].value == "postgres://a//b"
    (model,) = doc.of_kind("model")
    assert model.fields[1][:3] == ("posts", "Post", True)


def test_dotenv_facts_keep_value_columns():
    f = extract(".env", "dotenv", b"# c\n\nexport A = 'x y'\nB=postgres://u:p@h/db\n")
    assert [(v.name, v.span.line, v.span.col) for v in f.env] == [("A", 3, 12), ("B", 4, 3)]


def _facts(rel: str, kind: str, **kw) -> FileFacts:
    f = FileFacts(rel, kind)
    for k, v in kw.items():
        setattr(f, k, v)
    return f


def test_module_resolution_ts_paths_extends_workspaces_and_python():
    files = {
        "apps/web/tsconfig.json": _facts(
            "apps/web/tsconfig.json",
            "tsconfig",
            tsconfig=TsConfig(extends=["../../tsconfig.base.json"]),
        ),
        "tsconfig.base.json": _facts(
            "tsconfig.base.json",
            "tsconfig",
            tsconfig=TsConfig(base_url=".", paths={"~/*": ["apps/web/src/*"]}),
        ),
        "apps/web/package.json": _facts(
            "apps/web/package.json", "package_json", manifest=Manifest("npm", "web")
        ),
        "apps/web/src/lib/db.ts": _facts("apps/web/src/lib/db.ts", "typescript"),
        "apps/web/src/app/page.tsx": _facts("apps/web/src/app/page.tsx", "tsx"),
        "apps/web/src/utils/index.ts": _facts("apps/web/src/utils/index.ts", "typescript"),
        "packages/db/package.json": _facts(
            "packages/db/package.json",
            "package_json",
            manifest=Manifest("npm", "@acme/db", entry="./dist/index.js"),
        ),
        "packages/db/src/index.ts": _facts("packages/db/src/index.ts", "typescript"),
        "backend/app/core/db.py": _facts("backend/app/core/db.py", "python"),
        "backend/app/api/routes.py": _facts("backend/app/api/routes.py", "python"),
        "backend/app/__init__.py": _facts("backend/app/__init__.py", "python"),
    }
    r = ModuleResolver(files)
    page = "apps/web/src/app/page.tsx"
    assert r.resolve_js(page, "~/lib/db") == "apps/web/src/lib/db.ts"
    assert r.resolve_js(page, "../lib/db.js") == "apps/web/src/lib/db.ts"
    assert r.resolve_js(page, "../utils") == "apps/web/src/utils/index.ts"
    assert r.resolve_js(page, "@acme/db") == "packages/db/src/index.ts"
    assert r.resolve_js(page, "react") is None
    files.pop("apps/web/tsconfig.json")
    r = ModuleResolver(files)
    assert r.resolve_js(page, "@/lib/db") == "apps/web/src/lib/db.ts"  # Next.js's default
    routes = "backend/app/api/routes.py"
    assert r.resolve_py(routes, "app.core.db") == "backend/app/core/db.py"
    assert r.resolve_py(routes, "..core.db") == "backend/app/core/db.py"
    assert r.resolve_py(routes, "sqlalchemy") is None


@pytest.mark.parametrize(
    ("rule", "default_on", "select", "ignore", "expected"),
    [
        ("SL101", True, [], [], True),
        ("SL101", True, [], ["SL1"], False),
        ("SL101", True, ["SL1"], ["SL101"], False),
        ("SL101", True, ["SL101"], ["SL1"], True),
        ("SL301", True, ["SL1"], [], False),
        ("SL002", False, [], [], False),
        ("SL002", False, ["ALL"], [], True),
        ("SL002", False, ["SL0"], [], True),
    ],
)
def test_rule_selection_most_specific_wins(rule, default_on, select, ignore, expected):
    assert selected(rule, default_on, select, ignore) is expected


def test_migrations_through_accelerate_say_why_they_fail():
    """Accelerate is not a transaction pooler: Migrate fails because it needs a direct URL."""
    from pathlib import Path

    from scalelint.engine import RunOptions, run_check

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "SL104" / "accelerate-url"
    run = run_check(RunOptions(paths=[fixture], no_cache=True, jobs=1, select=["SL104"]))
    (finding,) = run.result.findings
    assert "cannot run through Accelerate" in finding.message
    assert "prepared statement" not in finding.message
