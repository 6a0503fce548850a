"""The analyses behind the memory rules: module containers and their writes, where a value
comes from (request data or constants), which names a reference resolves to, and the small
facts they read (comparisons, parameter types, generic awaited calls)."""

from __future__ import annotations

import pytest

from scalelint.analysis.containers import module_containers
from scalelint.analysis.names import module_name
from scalelint.analysis.request_flow import HANDLER_LEVEL, NOTHING_LEVEL, RequestFlow, closed_type
from scalelint.facts.code import Ref
from scalelint.facts.js import extract_js
from scalelint.facts.python import extract_python
from tests.test_analysis import build

NEXT = '{"name": "a", "dependencies": {"next": "15.0.0"}}'


def uses_by_name(project):
    return {u.container.name: u for u in module_containers(project)}


def test_writes_from_other_modules_are_collected(tmp_path):
    p = build(
        tmp_path,
        {
            "package.json": NEXT,
            "lib/store.ts": "export const seen = new Map<string, number>();\n"
            "export const list: string[] = [];\n"
            "export const obj: Record<string, number> = {};\n",
            "lib/again.ts": 'export { seen } from "./store";\n',
            "app/api/a/route.ts": 'import { seen, list, obj } from "@/lib/store";\n'
            "export async function GET(req: Request) {\n"
            "  const id = new URL(req.url).searchParams.get('id')!;\n"
            "  seen.set(id, 1);\n"
            "  list.push(id);\n"
            "  obj[id] = 1;\n"
            "  if (Object.keys(obj).length > 100) return new Response('full');\n"
            "  return new Response('ok');\n"
            "}\n",
            "app/api/b/route.ts": 'import * as store from "@/lib/store";\n'
            'import { seen } from "@/lib/again";\n'
            "export async function POST() { store.list.length = 0; seen.delete('x'); }\n",
        },
    )
    uses = uses_by_name(p)
    assert [w.text for w in uses["seen"].grows] == ["seen.set(…)"]
    assert [w.text for w in uses["seen"].shrinks] == ["seen.delete(…)"]
    assert [w.rel for w in uses["list"].shrinks] == ["app/api/b/route.ts"]
    assert [w.text for w in uses["obj"].shrinks] == ["size check"]
    assert uses["obj"].grows[0].keyed and uses["obj"].grows[0].key == Ref(("id",))


def test_python_module_attribute_and_global_reset(tmp_path):
    p = build(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "a"\n',
            "app/__init__.py": "",
            "app/state.py": "hits = {}\nlog = []\n",
            "app/views.py": "from app import state\n"
            "from app.state import log\n"
            "def track(ip):\n"
            "    state.hits[ip] = state.hits.get(ip, 0) + 1\n"
            "    log.append(ip)\n",
            "app/admin.py": "from app import state\ndef forget(ip):\n    del state.hits[ip]\n",
        },
    )
    uses = uses_by_name(p)
    assert [(w.rel, w.text) for w in uses["hits"].grows] == [("app/views.py", "hits[…] = …")]
    assert [w.text for w in uses["hits"].shrinks] == ["del hits[…]"]
    assert [w.text for w in uses["log"].grows] == ["log.append(…)"]
    mn = module_name(p, "app/views.py", ("state", "hits", "[]"), None)
    assert (mn.rel, mn.name, mn.rest) == ("app/state.py", "hits", ("[]",))


def test_request_evidence_follows_call_sites_and_stops_at_constants(tmp_path):
    p = build(
        tmp_path,
        {
            "package.json": NEXT,
            "lib/cache.ts": "const byUser = new Map<string, string>();\n"
            "export function remember(userId: string, v: string) { byUser.set(userId, v); }\n"
            "export function label(kind: string) { return kind; }\n",
            "app/api/u/route.ts": 'import { remember, label } from "@/lib/cache";\n'
            "export async function POST(req: Request) {\n"
            "  const body = await req.json();\n"
            "  remember(body.user, 'x');\n"
            "  label('fixed');\n"
            "}\n",
        },
    )
    flow = RequestFlow(p)
    code = p.code("lib/cache.ts")
    remember = next(f for f in code.functions if f.name == "remember")
    label = next(f for f in code.functions if f.name == "label")
    ev = flow.param_evidence("lib/cache.ts", remember.id, "userId")
    assert ev.level == HANDLER_LEVEL
    assert ev.describe() == "POST /api/u (Next.js route handler) → remember"
    assert flow.param_evidence("lib/cache.ts", label.id, "kind").level == NOTHING_LEVEL


@pytest.mark.parametrize(
    "text, closed",
    [
        ("AcceptedLocale", True),
        ('"en" | "de"', True),
        ('Literal["a", "b"]', True),
        ("boolean", True),
        ("string", False),
        ("str", False),
        ("Optional[str]", False),
        ("string | null", False),
        ("uuid.UUID", False),
        ("Record<string, number>", False),
        (None, False),
    ],
)
def test_closed_types(text, closed):
    assert closed_type(text) is closed


def test_request_types_are_open_whatever_their_name():
    assert closed_type("NextRequest")
    assert not closed_type("NextRequest", frozenset({"NextRequest"}))
    assert not closed_type("starlette.requests.Request", frozenset({"Request"}))


def test_extractors_record_comparisons_and_parameter_types():
    js, _, _ = extract_js(
        b"function f(k: string, loc: Locale, { d }: T) {\n"
        b"  if (m.size >= MAX && k in T) return;\n"
        b"}\n",
        "typescript",
    )
    assert [(c.left, c.op) for c in js.compares] == [
        (Ref(("m", "size")), ">="),
        (Ref(("k",)), "in"),
    ]
    assert {b.name: b.type_text for b in js.bindings if b.kind == "param"} == {
        "k": "string",
        "loc": "Locale",
        "d": None,
    }
    py, _, _ = extract_python(
        b"def f(key: str):\n    if key not in ALLOWED and len(c) > 5:\n        pass\n"
    )
    assert [c.op for c in py.compares] == ["not in", ">"]
    assert [b.type_text for b in py.bindings if b.kind == "param"] == ["str"]


def test_generic_call_under_await_is_a_named_awaited_call():
    js, _, _ = extract_js(b"async function f() { return await load<User[]>(id); }", "typescript")
    (call,) = js.calls
    assert (call.path, call.awaited) == (("load",), True)


def test_python_tuple_reset_of_a_global_is_an_assignment():
    py, _, _ = extract_python(
        b"_pending = []\ndef flush():\n    global _pending\n    batch, _pending = _pending, []\n"
    )
    assert [(a.target, a.function) for a in py.assigns if a.function is not None] == [
        (("_pending",), 0)
    ]


def test_parameter_slots_say_which_argument_and_property_a_name_comes_from():
    js, _, _ = extract_js(
        b"function f(this: Ctx, a: string, { b, c: d, e = 1, f: { g }, ...h }, [i], ...j) {}\n"
        b"const k = (x) => x;\n",
        "typescript",
    )
    f, k = js.functions
    assert dict(zip(f.params, f.param_slots, strict=True)) == {
        "a": (0, None),
        "b": (1, "b"),
        "d": (1, "c"),
        "e": (1, "e"),
        "g": (1, "f"),
        "h": (1, None),
        "i": (2, None),
        "j": (-1, None),
    }
    assert k.param_slots == ((0, None),)


def test_a_destructured_property_carries_only_its_own_argument(tmp_path):
    p = build(
        tmp_path,
        {
            "package.json": NEXT,
            "lib/q.ts": "const queues = new Map<string, number>();\n"
            "export function add({ name, body }: { name: string; body: unknown }) {\n"
            "  queues.set(name, 1);\n"
            "}\n"
            "export function addTo(opts: { name: string; body: unknown }) {\n"
            "  queues.set(opts.name, 1);\n"
            "}\n",
            "app/api/a/route.ts": 'import { add, addTo } from "@/lib/q";\n'
            "export async function POST(req: Request) {\n"
            "  const body = await req.json();\n"
            '  add({ name: "mail", body });\n'
            '  addTo({ name: "mail", body });\n'
            "  return new Response('ok');\n"
            "}\n",
        },
    )
    flow = RequestFlow(p)
    (use,) = module_containers(p)
    assert [flow.value_evidence(w.rel, w.key, w.function).level for w in use.grows] == [
        NOTHING_LEVEL,
        NOTHING_LEVEL,
    ]


def test_code_after_an_unconditional_return_never_runs():
    js, _, _ = extract_js(
        b"function f(id) {\n"
        b"  if (a) return 0;\n"
        b"  return load(id, (u) => { live[id] = u; });\n"
        b"  dead[id] = 1;\n"
        b"  load(id, (u) => { alsoDead[id] = u; });\n"
        b"}\n",
        "javascript",
    )
    assert {
        a.target[0]: js.after_return(a.function, a.span.line, a.span.col) for a in js.assigns
    } == {
        "live": False,
        "dead": True,
        "alsoDead": True,
    }
    py, _, _ = extract_python(
        b"def f(k):\n    if k:\n        return 1\n    raise KeyError(k)\n    CACHE[k] = 1\n"
    )
    (a,) = py.assigns
    assert py.after_return(a.function, a.span.line, a.span.col)
