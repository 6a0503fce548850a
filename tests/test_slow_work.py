"""The analyses behind SL501/SL502: outside-package names, webhook recognition, slow calls,
deferral and transactions."""

from __future__ import annotations

from pathlib import Path

import pytest

from scalelint.analysis.sdk_calls import package_name
from scalelint.analysis.transactions import find_transactions
from tests.test_analysis import build


@pytest.mark.parametrize(
    ("spec", "name"),
    [
        ("stripe", "stripe"),
        ("https://esm.sh/stripe@14.21.0?target=deno", "stripe"),
        ("https://esm.sh/v135/stripe@14.21.0", "stripe"),
        ("https://esm.sh/@supabase/supabase-js@2", "@supabase/supabase-js"),
        ("npm:stripe@^14", "stripe"),
        ("npm:@anthropic-ai/sdk@0.30.0", "@anthropic-ai/sdk"),
        ("https://deno.land/x/openai@v4.24.0/mod.ts", "openai"),
        ("node:crypto", "crypto"),
        ("@clerk/nextjs/webhooks", "@clerk/nextjs/webhooks"),
        ("next/server", "next/server"),
    ],
)
def test_package_name(spec, name):
    assert package_name(spec) == name


def test_webhooks_by_signature_route_and_folder(tmp_path):
    p = build(
        tmp_path,
        {
            "package.json": '{"name": "a", "dependencies": {"next": "15.0.0"}}',
            # a verified Stripe webhook whose route says nothing
            "app/api/billing/route.ts": (
                "import Stripe from 'stripe';\nconst stripe = new Stripe('k');\n"
                "export async function POST(req: Request) {\n"
                "  stripe.webhooks.constructEvent(await req.text(), 's', 'w');\n  return new Response();\n}\n"
            ),
            # a route with a webhook word and a provider: a webhook without a check
            "app/api/webhooks/clerk/route.ts": "export async function POST() { return new Response() }\n",
            # the app's own webhook settings: a webhook word, no provider
            "app/api/webhooks/route.ts": "export async function POST() { return new Response() }\n",
            # a QStash delivery: the queue's consumer
            "app/api/jobs/stripe-webhook/route.ts": (
                "import { Receiver } from '@upstash/qstash';\nconst r = new Receiver({});\n"
                "export async function POST(req: Request) {\n"
                "  await r.verify({ signature: req.headers.get('Upstash-Signature'), body: '' });\n"
                "  return new Response();\n}\n"
            ),
            # FastAPI: the provider is in the folder, the webhook word in the route
            "server/integrations/stripe/endpoints.py": (
                "from fastapi import APIRouter\nrouter = APIRouter()\n\n"
                "@router.post('/webhook')\nasync def webhook():\n    pass\n"
            ),
        },
    )
    found = {(w.handler.rel, w.provider, w.verified_by) for w in p.webhooks}
    assert found == {
        ("app/api/billing/route.ts", "Stripe", "stripe.webhooks.constructEvent"),
        ("app/api/webhooks/clerk/route.ts", "Clerk", None),
        ("server/integrations/stripe/endpoints.py", "Stripe", None),
    }


def test_slow_calls_resolve_through_imports_not_names(tmp_path):
    p = build(
        tmp_path,
        {
            "package.json": '{"name": "a"}',
            "lib/work.ts": (
                "import OpenAI from 'openai';\nconst openai = new OpenAI();\n"
                "const stripe = { customers: { create() {} } };\n"
                "export async function run(base: string) {\n"
                "  await openai.chat.completions.create({});\n"  # 5: LLM
                "  stripe.customers.create();\n"  # 6: a local object named stripe
                "  await fetch('https://api.stripe.com/v1/customers');\n"  # 7: Stripe by host
                "  await fetch(`${base}/x`);\n"  # 8: unknown URL
                "  await fetch(`${process.env.NEXT_PUBLIC_APP_URL}/api/x`);\n"  # 9: own URL
                "}\n"
            ),
        },
    )
    code = p.code("lib/work.ts")
    slow = {
        c.span.line: p.slow_calls.classify("lib/work.ts", c) for c in code.calls if c is not None
    }
    assert slow[5].kind == "llm" and slow[5].sdk == "OpenAI"
    assert slow[6] is None
    assert slow[7].kind == "stripe" and slow[7].host == "api.stripe.com"
    assert slow[8].kind == "http" and not slow[8].certain
    assert slow[9] is None


def test_deferral_and_named_helpers(tmp_path):
    p = build(
        tmp_path,
        {
            "package.json": '{"name": "a"}',
            "app.ts": (
                "import { Resend } from 'resend';\nimport { waitUntil } from '@vercel/functions';\n"
                "const resend = new Resend();\n"
                "export async function handler() {\n"
                "  const later = async () => { await resend.emails.send({}); };\n"  # 5: runs when called
                "  waitUntil(later());\n"  # 6: in-process deferral
                "  await resend.emails.send({});\n"  # 7: direct
                "}\n"
            ),
        },
    )
    code = p.code("app.ts")
    handler = next(f for f in code.functions if f.name == "handler")
    work = p.slow_calls.work_behind(
        "app.ts", handler.id, p.callgraph.calls_in("app.ts", handler.id)
    )
    assert [(w.entry.span.line, w.deferral.label if w.deferral else None) for w in work] == [
        (6, "`waitUntil()`"),
        (7, None),
    ]


def test_other_slow_calls_named_only_when_waited_for_alike(tmp_path):
    """The "also" list of a waited-for call leaves out what a helper defers itself."""
    p = build(
        tmp_path,
        {
            "package.json": '{"name": "a"}',
            "app.ts": (
                "import Stripe from 'stripe';\nimport { Resend } from 'resend';\n"
                "import { waitUntil } from '@vercel/functions';\n"
                "const stripe = new Stripe('k');\nconst resend = new Resend();\n"
                "async function settle(id: string) {\n"
                "  await stripe.paymentIntents.create({ amount: 1, currency: 'usd' });\n"
                "  waitUntil(resend.emails.send({}));\n"
                "}\n"
                "export async function handler() {\n"
                "  await settle('x');\n"
                "}\n"
            ),
        },
    )
    code = p.code("app.ts")
    handler = next(f for f in code.functions if f.name == "handler")
    [work] = p.slow_calls.work_behind(
        "app.ts", handler.id, p.callgraph.calls_in("app.ts", handler.id)
    )
    assert (work.slow.kind, work.deferral, work.also) == ("stripe", None, ())


def test_transactions_js_and_python(tmp_path):
    p = build(
        tmp_path,
        {
            "package.json": '{"name": "a"}',
            "db.ts": (
                "import { PrismaClient } from '@prisma/client';\nconst prisma = new PrismaClient();\n"
                "export async function f() {\n"
                "  await prisma.$transaction(async (tx) => {}, { timeout: 9000 });\n"
                "  await prisma.$transaction([]);\n"
                "  await somebody.transaction(async () => {});\n"  # no handle, unknown receiver
                "}\n"
            ),
            "views.py": (
                "from django.db import transaction\n\n"
                "@transaction.atomic\ndef a(request):\n    pass\n\n"
                "def b(request):\n    with transaction.atomic():\n        pass\n"
            ),
        },
    )
    js = find_transactions(p, "db.ts")
    assert [(t.label, t.prisma, t.span.line) for t in js] == [
        ("Prisma interactive transaction", True, 4)
    ]
    py = find_transactions(p, "views.py")
    assert sorted(t.label for t in py) == [
        "`@transaction.atomic` function",
        "`with transaction.atomic()` block",
    ]


def _pattern_tables(k: dict) -> list[list[dict]]:
    """Every knowledge table that is a list of call patterns, nested ones included."""
    keys = {"calls", "clients", "members", "decorated"}
    found = []

    def visit(value) -> None:
        if isinstance(value, list) and value and all(isinstance(e, dict) for e in value):
            if any(keys & e.keys() for e in value):
                found.append(value)
        elif isinstance(value, dict):
            if keys & value.keys():
                found.append([value])
            for v in value.values():
                visit(v)

    visit(k)
    return found


@pytest.mark.parametrize("folder", ["SL501", "SL502", "SL105", "demo-app"])
def test_patterns_answer_alike_with_and_without_tracing_every_receiver(folder, monkeypatch):
    """Tracing what made a call's receiver is skipped when no pattern could match the call
    anyway (nothing outside is called directly, and no method a pattern names is called):
    the answers must be those of the full trace, for every call of every fixture app."""
    from scalelint.analysis.project import Project
    from scalelint.analysis.sdk_calls import SdkCalls, _compiled
    from scalelint.catalogue import knowledge_tables
    from scalelint.config import Config
    from scalelint.context import build_context
    from scalelint.discover import discover
    from scalelint.extraction import extract_all

    root = Path(__file__).resolve().parent.parent / "fixtures" / folder
    apps = [d for d in sorted(root.iterdir()) if d.is_dir()] if folder != "demo-app" else [root]
    checked = 0
    for app in apps:
        found = discover(app, [app], list(Config().exclude))
        facts = extract_all(found.root, found.files)
        project = Project(facts, build_context(facts, Config(), knowledge_tables(), ()))
        tables = _pattern_tables(project.knowledge)
        short, full = SdkCalls(project), SdkCalls(project)

        def traced(entry: dict, rel: str, call, full: SdkCalls = full) -> bool:
            """The answer with every receiver traced."""
            p = _compiled(entry)
            if not (p.members or p.decorated) and not full.reaches_outside(rel, call):
                return False
            return full._matches_uncached(p, rel, call)

        for rel, code in project.code_files():
            for call in code.calls:
                if call is None:
                    continue
                for table in tables:
                    first = next((e for e in table if traced(e, rel, call)), None)
                    assert short.first_match(table, rel, call) is first, (app.name, rel, call.text)
                    for entry in table:
                        assert short.matches(entry, rel, call) == traced(entry, rel, call)
                        checked += 1
    assert checked > 1000
