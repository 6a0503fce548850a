"""Shared analyses: request handlers, the call graph, value origins across files."""

from __future__ import annotations

import posixpath
from pathlib import Path

import pytest

from scalelint.analysis.project import Project
from scalelint.catalogue import knowledge_tables
from scalelint.config import Config
from scalelint.context import build_context
from scalelint.discover import discover
from scalelint.extraction import extract_all
from scalelint.facts.code import Ref


def build(tmp_path: Path, files: dict[str, str]) -> Project:
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    found = discover(tmp_path, [tmp_path], list(Config().exclude))
    facts = extract_all(found.root, found.files)
    return Project(facts, build_context(facts, Config(), knowledge_tables(), found.marker_dirs))


def routes(project: Project) -> set[tuple[str, str, str]]:
    return {(h.rel, h.method, h.route) for h in project.handlers}


def test_file_routes_and_wrapped_exports(tmp_path):
    p = build(
        tmp_path,
        {
            "package.json": '{"name": "a", "dependencies": {"next": "15.0.0"}}',
            "app/api/webhooks/stripe/route.ts": "export async function POST(req: Request) { return new Response('ok') }\n",
            "app/(marketing)/blog/[slug]/page.tsx": "export default async function Page() { return null }\n",
            "app/api/users/route.ts": "import { withAuth } from '@/lib/auth';\nexport const GET = withAuth(async (req) => Response.json([]));\n",
            "pages/api/hello.ts": "export default function handler(req, res) { res.json({}) }\n",
            "supabase/functions/stripe-webhook/index.ts": "Deno.serve(async (req) => new Response('ok'));\n",
            "supabase/functions/_shared/cors.ts": "export const cors = {};\n",
            "app/actions.ts": "'use server';\nexport async function save(form: FormData) {}\n",
            "scripts/seed.ts": "export async function POST() {}\n",
        },
    )
    assert routes(p) == {
        ("app/api/webhooks/stripe/route.ts", "POST", "/api/webhooks/stripe"),
        ("app/(marketing)/blog/[slug]/page.tsx", "GET", "/blog/[slug]"),
        ("app/api/users/route.ts", "GET", "/api/users"),
        ("pages/api/hello.ts", "*", "/api/hello"),
        ("supabase/functions/stripe-webhook/index.ts", "*", "/stripe-webhook"),
        ("app/actions.ts", "POST", "app/actions.ts#save"),
    }


def test_registered_routes_express_hono_fastify(tmp_path):
    p = build(
        tmp_path,
        {
            "package.json": '{"name": "a", "dependencies": {"express": "4"}}',
            "server.ts": (
                "import express from 'express';\nconst app = express();\n"
                "app.post('/webhooks/stripe', express.raw({ type: 'application/json' }), async (req, res) => { res.send() });\n"
                "async function list(req, res) {}\napp.get('/api/items', requireAuth, list);\n"
                "app.listen(3000);\n"
            ),
            "lib/cache.ts": "const m = new Map();\nm.get('/not-a-route');\n",
        },
    )
    assert routes(p) == {
        ("server.ts", "POST", "/webhooks/stripe"),
        ("server.ts", "GET", "/api/items"),
    }


def test_middleware_and_imported_controllers_run_per_request(tmp_path):
    p = build(
        tmp_path,
        {
            "package.json": '{"name": "a", "dependencies": {"express": "4"}}',
            "server.js": (
                "import express from 'express';\n"
                "import { limit } from './mw.js';\nimport { show, wrap } from './users.js';\n"
                "const app = express();\nconst router = express.Router();\n"
                "app.use(express.json());\napp.use(limit);\napp.use('/users', router);\n"
                "router.get('/:id', [limit], wrap(show));\napp.listen(3000);\n"
            ),
            "mw.js": "export function limit(req, res, next) { next(); }\n",
            "users.js": (
                "export async function show(req, res) {}\n"
                "export const wrap = (fn) => (req, res) => fn(req, res);\n"
            ),
        },
    )
    described = {
        (h.rel, p.code(h.rel).functions[h.function].name, h.describe()) for h in p.handlers
    }
    assert described == {
        ("mw.js", "limit", "every route (Express middleware)"),
        ("users.js", "show", "GET /:id (Express)"),
    }


def test_python_routes_and_django_views(tmp_path):
    p = build(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "a"\nversion = "0"\n',
            "api/routes.py": (
                "from fastapi import APIRouter\nrouter = APIRouter()\n\n"
                "@router.post('/stripe/webhook')\nasync def stripe_webhook(request):\n    pass\n\n"
                "@router.get('/items')\ndef items():\n    pass\n\n"
                "def helper():\n    pass\n"
            ),
            "web/app.py": "from flask import Flask\napp = Flask(__name__)\n\n@app.route('/hook', methods=['POST'])\ndef hook():\n    pass\n",
            "shop/views.py": (
                "from django.http import HttpResponse\nfrom rest_framework.views import APIView\n\n"
                "def stripe_webhook(request):\n    return HttpResponse()\n\n"
                "class Orders(APIView):\n    def get(self, request):\n        pass\n\n    def _helper(self):\n        pass\n"
            ),
            "shop/urls.py": "from django.urls import path\nfrom . import views\n\nurlpatterns = [path('stripe/webhook/', views.stripe_webhook)]\n",
        },
    )
    assert routes(p) == {
        ("api/routes.py", "POST", "/stripe/webhook"),
        ("api/routes.py", "GET", "/items"),
        ("web/app.py", "POST", "/hook"),
        ("shop/views.py", "*", "/stripe/webhook/"),
        ("shop/views.py", "GET", "Orders.get"),
    }


def test_call_graph_follows_imports_and_cycles(tmp_path):
    p = build(
        tmp_path,
        {
            "package.json": '{"name": "a", "dependencies": {"next": "15.0.0"}}',
            "tsconfig.json": '{"compilerOptions": {"paths": {"@/*": ["./src/*"]}}}',
            "src/app/api/hook/route.ts": (
                "import { handleCheckout } from '@/lib/stripe-handlers';\n"
                "export async function POST(req: Request) {\n  await handleCheckout(await req.json());\n  return new Response('ok');\n}\n"
            ),
            "src/lib/stripe-handlers.ts": (
                "import * as mail from './mail';\nexport async function handleCheckout(e) {\n  await mail.sendWelcome(e);\n  await again(e);\n}\n"
                "async function again(e) { await handleCheckout(e); }\n"
            ),
            "src/lib/mail.ts": "import { Resend } from 'resend';\nconst resend = new Resend('x');\nexport async function sendWelcome(e) {\n  await resend.emails.send({});\n}\n",
        },
    )
    (handler,) = p.handlers
    reached = {r.call.text: r for r in p.callgraph.reachable(handler.rel, handler.function)}
    send = reached["resend.emails.send"]
    assert send.rel == "src/lib/mail.ts"
    assert send.entry[1].text == "handleCheckout"
    assert (
        send.describe()
        == "handleCheckout → mail.sendWelcome → resend.emails.send (src/lib/mail.ts:4)"
    )


def test_call_graph_follows_methods_of_returned_objects(tmp_path):
    p = build(
        tmp_path,
        {
            "package.json": '{"name": "a"}',
            "lib/limit.ts": (
                "export function createLimiter(name: string) {\n"
                "  return { async check(key: string) { await record(name, key); } };\n}\n"
                "async function record(name: string, key: string) {}\n"
            ),
            "app/run.ts": (
                "import { createLimiter } from '../lib/limit';\n"
                "export async function run() {\n  const limiter = createLimiter('x');\n"
                "  await limiter.check('k');\n}\n"
            ),
        },
    )
    code = p.code("app/run.ts")
    check = next(c for c in code.calls if c.text == "limiter.check")
    target = p.callgraph.target("app/run.ts", check)
    assert target is not None and target[0] == "lib/limit.ts"
    assert p.code("lib/limit.ts").functions[target[1]].name == "check"


def test_call_graph_survives_self_referencing_values(tmp_path):
    p = build(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "a"\nversion = "0"\n',
            "app.py": "def run(x):\n    x = x.step()\n    x = x.step()\n    return x.done()\n",
        },
    )
    code = p.code("app.py")
    assert all(p.callgraph.target("app.py", c) is None for c in code.calls)


def test_origins_through_reexports_singletons_and_python(tmp_path):
    p = build(
        tmp_path,
        {
            "package.json": '{"name": "a", "dependencies": {"next": "15.0.0"}}',
            "lib/db.ts": "import { Pool } from 'pg';\nlet pool: Pool | undefined;\nexport function getPool() {\n  if (!pool) pool = new Pool();\n  return pool;\n}\nexport const shared = new Pool();\n",
            "lib/index.ts": "export * from './db';\n",
            "app/page.tsx": "import { shared } from '../lib';\nexport default async function P() { await shared.query('x') }\n",
            "backend/core/db.py": "from sqlalchemy import create_engine\nengine = create_engine('postgresql://x')\n",
            "backend/api/deps.py": "from ..core.db import engine\n",
        },
    )
    code = p.code("app/page.tsx")
    (c,) = p.constructions_of("app/page.tsx", Ref(("shared",)), None)
    assert c.rel == "lib/db.ts" and c.id == "pg.Pool" and c.call.span.line == 7
    db = p.code("lib/db.ts")
    lazy = p.constructions_of("lib/db.ts", Ref(("pool",)), db.functions[0].id)
    assert [x.call.span.line for x in lazy] == [4]
    (py,) = p.constructions_of("backend/api/deps.py", Ref(("engine",)), None)
    assert py.id == "sqlalchemy.create_engine"
    assert code is not None


def test_origins_follow_project_function_returns(tmp_path):
    p = build(
        tmp_path,
        {
            "package.json": '{"name": "a", "dependencies": {"pg": "8.0.0"}}',
            "lib/db.ts": "import { Client } from 'pg';\nexport async function getClient() {\n  const c = new Client();\n  await c.connect();\n  return c;\n}\nexport const make = () => new Client();\n",
            "api/x.ts": "import { getClient, make } from '../lib/db';\nexport async function handler(e) {\n  const client = await getClient();\n  const other = make();\n}\n",
            "svc/db.py": "from sqlalchemy import create_engine\ndef get_engine():\n    return create_engine('postgresql://x')\n",
            "svc/app.py": "from svc.db import get_engine\nengine = get_engine()\n",
        },
    )
    code = p.code("api/x.ts")
    fn = code.functions[0].id
    (c,) = p.constructions_of("api/x.ts", Ref(("client",)), fn)
    assert c.rel == "lib/db.ts" and c.call.span.line == 3
    (m,) = p.constructions_of("api/x.ts", Ref(("other",)), fn)
    assert m.call.span.line == 7
    (e,) = p.constructions_of("svc/app.py", Ref(("engine",)), None)
    assert e.id == "sqlalchemy.create_engine"


def test_hand_rolled_router_registrations(tmp_path):
    p = build(
        tmp_path,
        {
            "package.json": '{"name": "a"}',
            "worker.ts": (
                "class R { constructor() {\n"
                "  this.register('POST', '/api/follows', (req) => follow(req));\n"
                "  this.register('get', '/lowercase/is/not/a/method', (req) => follow(req));\n"
                "  this.cache.set('GET', '/x', 3);\n"
                "} }\n"
            ),
        },
    )
    assert routes(p) == {("worker.ts", "POST", "/api/follows")}


def test_pool_facts_scope_size_and_uses(tmp_path):
    p = build(
        tmp_path,
        {
            "package.json": '{"name": "a", "dependencies": {"next": "15.0.0"}}',
            "lib/db.ts": (
                "import { Pool } from 'pg';\n"
                "import { drizzle } from 'drizzle-orm/node-postgres';\n"
                "export const pool = new Pool({ max: 20 });\n"
                "let lazy;\n"
                "export function getLazy() { if (!lazy) lazy = new Pool(); return lazy; }\n"
                "export function fresh() { return drizzle(process.env.DATABASE_URL); }\n"
                "class Db { constructor() { this.p = new Pool(); this.p.on('error', () => {}); } }\n"
                "export const made = makePool();\n"
                "function makePool() { return new Pool(); }\n"
            ),
            "lib/vercel.ts": (
                "import { attachDatabasePool } from '@vercel/functions';\n"
                "import { pool, getLazy } from './db';\n"
                "attachDatabasePool(pool);\nclose(getLazy());\n"
                "async function close(p) { await p.end(); }\n"
            ),
        },
    )
    facts = {f.call.span.line: f for f in p.pools}
    assert facts[3].scope == "module" and facts[3].attached
    assert p.pools.size(facts[3]).value == 20 and p.pools.size(facts[3]).explicit
    assert facts[5].scope == "lazy" and facts[5].closes  # closed through a helper
    assert facts[6].scope == "function" and facts[6].implicit and facts[6].driver["id"] == "pg.Pool"
    assert not p.pools.size(facts[6]).explicit
    assert facts[7].scope == "instance" and facts[7].listeners
    assert facts[9].scope == "module" and "made" in facts[9].kept_in


def test_files_run_by_package_scripts_are_not_request_path(tmp_path):
    p = build(
        tmp_path,
        {
            "package.json": (
                '{"name": "a", "scripts": {"sync-stripe": "node --env-file .env sync-stripe.js",'
                ' "start": "node server.js", "db:backfill": "tsx scripts/../jobs/backfill.ts"}}'
            ),
            "sync-stripe.js": "module.exports = {};\n",
            "server.js": "module.exports = {};\n",
            "jobs/backfill.ts": "export {};\n",
        },
    )
    ctx = p.context
    assert not ctx.is_request_path("sync-stripe.js")
    assert not ctx.is_request_path("jobs/backfill.ts")
    assert ctx.is_request_path("server.js")


def _fixture_apps() -> list[Path]:
    root = Path(__file__).resolve().parent.parent / "fixtures"
    apps = [root / "demo-app"]
    for rule in sorted(root.glob("SL[0-9]*")):
        apps.extend(d for d in sorted(rule.iterdir()) if d.is_dir())
    return apps


def test_calls_of_apis_no_receiver_can_reach_are_no_queries():
    """Calls are traced to a query receiver only when their words belong to an API the project
    can hold a receiver of. Every fixture app's queries must be those found when every API is
    taken to be there."""
    from scalelint.analysis.queries import QueryIndex

    compared = 0
    present = set()
    for app in _fixture_apps():
        found = discover(app, [app], list(Config().exclude))
        facts = extract_all(found.root, found.files)
        project = Project(facts, build_context(facts, Config(), knowledge_tables(), ()))
        filtered, every = QueryIndex(project), QueryIndex(project)
        every.__dict__["present"] = frozenset(every.apis)  # no API left out
        present |= filtered.present
        for rel, _ in project.code_files():
            assert filtered.queries_in(rel) == every.queries_in(rel), (app.name, rel)
            compared += len(every.queries_in(rel))
    assert compared > 200  # queries of many APIs were compared
    assert {"prisma", "drizzle", "knex", "django", "sqlalchemy", "pg"} <= present


def test_apis_present_by_import_construction_or_name_alone(tmp_path):
    project = build(
        tmp_path,
        {
            "package.json": '{"dependencies": {"pg": "8"}}',
            "lib/db.ts": 'import { Pool } from "pg";\nexport const pool = new Pool();\n',
            # `db` is a parameter nothing types: Prisma's shape alone makes it a query
            "lib/users.ts": (
                "export async function names(db, ids) {\n"
                "  for (const id of ids) await db.user.findMany({ where: { id } });\n"
                "  return load(ids);\n"
                "}\n"
            ),
        },
    )
    index = project.queries
    assert {"pg", "prisma", "drizzle"} <= index.present
    assert not {"knex", "django", "sqlalchemy"} & index.present
    assert [q.api for q in index.queries_in("lib/users.ts")] == ["prisma"]


def test_import_without_extension_lands_where_the_extension_order_says():
    """`./a` → a.ts before a.tsx …, then a/index.ts …: checked against every candidate base of
    a set of files that share stems across extensions and folders."""
    from scalelint.analysis.modules import JS_EXTENSIONS, ModuleResolver
    from scalelint.facts.model import FileFacts

    names = [
        "a.ts", "a.tsx", "a.mts", "a.d.ts", "b.js", "b.mjs", "c.cts", "c/index.tsx",
        "c/index.js", "d/index.mts", "d/index.jsx", "index.ts", "index.cjs", "e.js",
        "x/y/index.ts", "x/y.tsx", "x/index/index.js", "m.m.ts",
    ]  # fmt: skip
    resolver = ModuleResolver({n: FileFacts(n, "typescript") for n in names})

    def expected(base: str) -> str | None:  # the rule, spelled out
        if base in ("", "."):
            base = ""
        if base in names:
            return base
        stem, ext = posixpath.splitext(base)
        if ext in (".js", ".jsx", ".mjs", ".cjs"):
            for alt in (".ts", ".tsx", ".mts", ".cts"):
                if stem + alt in names:
                    return stem + alt
        for e in JS_EXTENSIONS:
            if base + e in names:
                return base + e
        prefix = base + "/" if base else ""
        for e in JS_EXTENSIONS:
            if f"{prefix}index{e}" in names:
                return f"{prefix}index{e}"
        return None

    bases = {"", ".", "c/index.js.js", "nothing"}
    bases |= {n[:i] for n in names for i in range(1, len(n) + 1)}
    for base in sorted(bases):
        assert resolver._js_file(base) == expected(base), base


def _loops_without(tmp_path: Path, files: dict[str, str], without: str | None) -> list:
    """The N+1 findings of a project written from `files`, all but `without`."""
    from scalelint.engine import RunOptions, run_check

    for name, text in files.items():
        if name != without:
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(text)
    run = run_check(RunOptions(paths=[tmp_path], no_cache=True, jobs=1))
    return [(f.rule, f.path) for f in run.result.findings if f.rule == "SL301"]


_DEEP_CLIENT = {  # `database` is reached from app/api/b deep down a chain of calls
    "app/api/a/route.ts": 'import { database } from "@/lib/db";\nimport { users } from "@/lib/schema";\n\nexport async function POST(req: Request) {\n  const body = await req.json();\n  await database.transaction(async (tx) => {\n    await saveUser(tx, body);\n  });\n  return Response.json({ ok: true });\n}\n\nasync function saveUser(tx: any, body: any) {\n  return tx.insert(users).values(body);\n}\n',
    "app/api/b/route.ts": 'import { adminsQuery } from "@/lib/queries";\n\nexport async function GET(req: Request) {\n  const q = adminsQuery();\n  const admins = await q.execute();\n  return Response.json(admins);\n}\n',
    "app/api/c/route.ts": 'import { eq } from "drizzle-orm";\nimport { database } from "@/lib/db";\nimport { posts, users } from "@/lib/schema";\n\nexport async function GET(req: Request) {\n  const list = await database.select().from(posts).limit(20);\n  for (const post of list) {\n    const author = await database.select().from(users).where(eq(users.id, post.authorId));\n  }\n  return Response.json(list);\n}\n',
    "lib/db.ts": 'import { drizzle } from "drizzle-orm/postgres-js";\nimport postgres from "postgres";\nimport * as schema from "./schema";\n\nconst globalForDb = globalThis as unknown as { database?: ReturnType<typeof makeDb> };\n\nfunction makeDb() {\n  const client = postgres(process.env.DATABASE_URL!, { prepare: false });\n  const instance = drizzle(client, { schema });\n  return instance;\n}\n\nexport const database = globalForDb.database ?? makeDb();\n\nif (process.env.NODE_ENV !== "production") globalForDb.database = database;\n',
    "lib/queries.ts": 'import { database } from "@/lib/db";\nimport { users } from "@/lib/schema";\n\nexport function adminsQuery() {\n  return database.select().from(users);\n}\n',
    "lib/schema.ts": 'import { pgTable, text } from "drizzle-orm/pg-core";\nexport const users = pgTable("users", { id: text("id").primaryKey(), role: text("role") });\nexport const posts = pgTable("posts", { id: text("id").primaryKey(), authorId: text("author_id") });\n',
    "package.json": '{ "name": "depth2", "private": true, "dependencies": { "drizzle-orm": "0.36.0", "postgres": "3.4.5", "next": "15.0.0" } }\n',
    "tsconfig.json": '{ "compilerOptions": { "baseUrl": ".", "paths": { "@/*": ["./*"] } } }\n',
}


@pytest.mark.parametrize("without", [None, "app/api/a/route.ts", "app/api/b/route.ts"])
def test_a_trace_cut_short_elsewhere_does_not_hide_a_query(tmp_path, without):
    """What `database` is must not depend on which file asked first: a trace that reached
    it at the depth limit used to be remembered as "unknown" for the whole run."""
    loops = _loops_without(tmp_path, _DEEP_CLIENT, without)
    assert loops == [("SL301", "app/api/c/route.ts")]


_EXPORT_CYCLE = {  # lib/a and lib/b re-export each other; the client is in lib/c
    "app/api/a/route.ts": 'import { store } from "@/lib/a";\n\nexport async function GET(req: Request) {\n  const rows = await store.user.find({});\n  return Response.json(rows);\n}\n',
    "app/api/b/route.ts": 'import { store } from "@/lib/b";\n\nexport async function GET(req: Request) {\n  const posts = await store.post.findMany({ take: 20 });\n  for (const post of posts) {\n    post.author = await store.user.findUnique({ where: { id: post.authorId } });\n  }\n  return Response.json(posts);\n}\n',
    "lib/a.ts": 'export * from "./b";\nexport * from "./c";\n',
    "lib/b.ts": 'export * from "./a";\nexport const VERSION = 1;\n',
    "lib/c.ts": 'import { PrismaClient } from "@prisma/client";\nexport const store = new PrismaClient();\n',
    "package.json": '{ "name": "cycle1", "private": true, "dependencies": { "@prisma/client": "6.1.0", "next": "15.0.0" } }\n',
    "tsconfig.json": '{ "compilerOptions": { "baseUrl": ".", "paths": { "@/*": ["./*"] } } }\n',
}


@pytest.mark.parametrize("without", [None, "app/api/a/route.ts"])
def test_an_export_cycle_met_elsewhere_does_not_hide_a_query(tmp_path, without):
    """`store` from lib/b is found through lib/a's `export *` of lib/c, whichever route
    asked first: a search that met the cycle used to be remembered as "not exported"."""
    loops = _loops_without(tmp_path, _EXPORT_CYCLE, without)
    assert loops == [("SL301", "app/api/b/route.ts")]


def test_a_name_resolved_past_the_depth_limit_does_not_spoil_a_shorter_one(tmp_path):
    """`a8` is too many aliases away from `send` to be followed; `a3` is not. Asking about
    `a8()` first used to leave `a3` remembered as resolving to nothing."""
    aliases = "".join(f"const a{i} = a{i - 1};\n" for i in range(2, 9))
    project = build(
        tmp_path,
        {
            "lib/mail.ts": (
                "export function send() {}\nconst a1 = send;\n" + aliases + "a8();\na3();\n"
            )
        },
    )
    code = project.code("lib/mail.ts")
    call = {c.name: c for c in code.calls}
    graph = project.callgraph
    assert graph.target("lib/mail.ts", call["a8"]) is None
    assert graph.target("lib/mail.ts", call["a3"]) == ("lib/mail.ts", 0)


def _reexport_chain() -> dict[str, str]:
    files = {
        "package.json": '{"dependencies": {"@prisma/client": "6.1.0", "next": "15.0.0"}}',
        "tsconfig.json": '{"compilerOptions": {"baseUrl": ".", "paths": {"@/*": ["./*"]}}}',
        "lib/a.ts": 'export * from "./d1";\nexport * from "./b";\n',
        "lib/b.ts": 'export * from "./d6";\n',
        "lib/d10.ts": (
            'import { PrismaClient } from "@prisma/client";\n'
            "export const store = new PrismaClient();\n"
        ),
        # asked from lib/a, `store` is too deep down the chain to find
        "app/api/a/route.ts": (
            'import { store } from "@/lib/a";\n'
            "export async function GET() {\n"
            "  return Response.json(await store.user.findMany({ take: 1 }));\n}\n"
        ),
        "app/api/b/route.ts": (
            'import { store } from "@/lib/b";\n'
            "export async function GET() {\n"
            "  const posts = await store.post.findMany({ take: 20 });\n"
            "  for (const post of posts) {\n"
            "    post.author = await store.user.findUnique({ where: { id: post.authorId } });\n"
            "  }\n  return Response.json(posts);\n}\n"
        ),
    }
    files |= {f"lib/d{i}.ts": f'export * from "./d{i + 1}";\n' for i in range(1, 10)}
    return files


@pytest.mark.parametrize("without", [None, "app/api/a/route.ts"])
def test_a_search_that_reused_a_cut_answer_is_not_kept(tmp_path, without):
    """lib/b's `store` is found five re-exports down, whether or not another route first
    asked for it from lib/a, where the search is cut short at the same files."""
    loops = _loops_without(tmp_path, _reexport_chain(), without)
    assert loops == [("SL301", "app/api/b/route.ts")]
