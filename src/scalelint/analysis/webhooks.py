"""Which request handlers receive webhooks, and from whom.

A webhook sender waits for a 2xx and retries when it does not get one in time, so what a
webhook handler does before it answers matters more than in any other handler. A handler is
a webhook when it checks a sender's signature (Stripe `constructEvent`, Svix/Clerk
`verify`, Octokit `verify`, Paddle `unmarshal`, or an HMAC next to a read of a signature
header — in the handler or a helper it calls), or, without one, when its route has a
`webhook(s)`/`hook(s)` word and a provider name is in the route or the handler's folder
(`/api/webhooks/stripe`, `stripe-webhook`, `integrations/stripe/endpoints.py` → `/webhook`).
A webhook word alone is not enough: `/api/teams/[slug]/webhooks` is the app's own webhook
settings, `trigger-webhook` the app sending webhooks of its own. A handler that checks a
queue's signature (QStash, Inngest) is that queue's consumer — where slow work belongs — and
not a webhook.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scalelint.analysis.callgraph import Reach
from scalelint.analysis.handlers import Handler
from scalelint.analysis.patterns import glob_match
from scalelint.facts.code import Call, Num, Str, walk_values

if TYPE_CHECKING:
    from scalelint.analysis.project import Project

VERIFY_DEPTH = 2
CONSUMER = "queue consumer"
HEADER_GETTERS = frozenset({"get", "header", "getHeader", "get_header", "headers"})
_DYNAMIC = re.compile(r"^(?:\[.*\]|:.+|\{.+\}|<.+>|\$.+)$")  # [id], :id, {id}, <id>, $id


@dataclass(frozen=True)
class Webhook:
    handler: Handler
    provider: str | None  # "Stripe", "Clerk"… when the signature check or route says so
    verified_by: str | None  # the verification call as written, when there is one
    # The function that handles the delivery: the handler, or — when a router hands the
    # request to a function that checks the signature — that function.
    rel: str
    function: int
    # Express-style handlers may answer first (`res.sendStatus(200)`) and work on: that call.
    answered: Call | None = None

    def describe(self) -> str:
        """ "this Stripe webhook", "this webhook handler"."""
        return f"this {self.provider} webhook" if self.provider else "this webhook handler"


def find_webhooks(project: Project) -> list[Webhook]:
    k = project.knowledge
    words = set(k["webhook-route-words"])
    providers: dict[str, str] = k["webhook-providers"]
    out = []
    roles: dict[tuple[str, int], tuple] = {}  # handlers share helpers: each call judged once
    for h in project.handlers:
        if h.method not in ("POST", "*"):
            continue
        check = _signature_check(project, h, roles)
        if check == CONSUMER:
            continue
        route = {w for ws in _route_words(h.route) for w in ws}
        folder = {
            w for ws in _route_words(posixpath.basename(posixpath.dirname(h.rel))) for w in ws
        }
        named = next((providers[w] for w in sorted(route | folder) if w in providers), None)
        if check is not None:
            provider, text, (rel, fid), by_sdk = check
            if named and (provider in (None, "Svix") or not by_sdk):
                provider = named  # Clerk and Resend sign with Svix; Intercom with X-Hub-Signature
            out.append(Webhook(h, provider, text, rel, fid, _answer(project, rel, fid)))
        elif route & words and named is not None:
            out.append(
                Webhook(h, named, None, h.rel, h.function, _answer(project, h.rel, h.function))
            )
    return out


def _answer(project: Project, rel: str, fid: int) -> Call | None:
    """The first 2xx a handler sends through its response object (`res`, `reply`: the second
    parameter) without returning, so that the code after it runs after the sender has its
    answer: `res.sendStatus(200); await work()`. Returned answers end the handler."""
    code = project.code(rel)
    fn = code.functions[fid] if code is not None and code.language == "js" else None
    if fn is None or len(fn.params) < 2:
        return None  # Python views return their response
    methods = set(project.knowledge["response-send-methods"])
    setters = set(project.knowledge["response-status-methods"])
    response = fn.params[1]
    for call in sorted(project.callgraph.calls_in(rel, fid), key=lambda c: c.span.line):
        if call.function != fid or call.returned or call.name not in methods:
            continue
        chain = [call]
        while chain[-1].path is None and chain[-1].receiver is not None:
            chain.append(code.calls[chain[-1].receiver])
        if chain[-1].path is None or chain[-1].path[0] != response:
            continue
        statuses = [
            c.args[0].value
            for c in chain
            if (c.name in setters or c is call) and c.args and isinstance(c.args[0], Num)
        ]
        if all(200 <= s < 300 for s in statuses):
            return call
    return None


def _route_words(route: str) -> list[list[str]]:
    """`/api/stripe-webhook/[id]` → [["api"], ["stripe", "webhook"], ["[id]"]]."""
    out = []
    for seg in route.strip("/").split("/"):
        if _DYNAMIC.match(seg):
            out.append([seg])
            continue
        spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", seg)
        out.append([w.lower() for w in re.split(r"[-_.\s]+", spaced) if w])
    return out


def _signature_check(project: Project, h: Handler, roles: dict[tuple[str, int], tuple]):
    """(provider, call text, delivery function, made by an SDK) of the first signature check
    the handler runs; CONSUMER when it checks a queue's signature instead (a QStash or
    Inngest delivery). A hand-written check names its provider by the header it reads."""
    hmacs: dict[tuple[str, int | None], Reach] = {}
    headers: dict[tuple[str, int | None], str | None] = {}  # scope → provider its header names
    for reach in project.callgraph.reachable(h.rel, h.function, max_depth=VERIFY_DEPTH):
        rel, call = reach.rel, reach.call
        key = (rel, call.id)
        role = roles.get(key)
        if role is None:
            role = roles[key] = _signature_role(project, rel, call)
        kind = role[0]
        if kind == CONSUMER:
            return CONSUMER
        if kind == "verification":
            return role[1], call.text, _delivery_function(project, h, reach), True
        if kind == "hmac":
            hmacs.setdefault((rel, call.function), reach)
        elif kind == "header":
            headers[(rel, call.function)] = headers.get((rel, call.function)) or role[1]
    for reach in hmacs.values():  # the header read where the HMAC runs, or on the way there
        scopes = [s for s in _scopes(project, reach) if s in headers]
        if scopes:
            fn = _delivery_function(project, h, reach)
            return headers[scopes[0]], reach.call.text, fn, False
    return None


def _signature_role(project: Project, rel: str, call: Call) -> tuple:
    """What one call means to a signature check: (CONSUMER,), ("verification", provider),
    ("hmac",), ("header", provider or None) or ("",)."""
    sdk = project.slow_calls.sdk
    k = project.knowledge
    hmac = k["webhook-hmac"]
    if sdk.first_match(k["queue-consumer-verifications"], rel, call) is not None:
        return (CONSUMER,)
    if _reads_header(call, k["queue-consumer-headers"]):
        return (CONSUMER,)
    entry = sdk.first_match(k["webhook-verifications"], rel, call)
    if entry is not None:
        return ("verification", entry.get("provider"))
    if sdk.matches(hmac["hmac"], rel, call):
        return ("hmac",)
    if _reads_header(call, hmac["header-words"]):
        return ("header", _header_provider(call, k["webhook-signature-headers"]))
    return ("",)


def _scopes(project: Project, reach: Reach) -> list[tuple[str, int | None]]:
    """The functions (and the functions around them) that `reach`'s calls sit in."""
    out = []
    for rel, call in (*reach.chain, (reach.rel, reach.call)):
        code = project.code(rel)
        out.append((rel, call.function))
        out.extend((rel, f.id) for f in code.enclosing_functions(call.function))
    return out


def _delivery_function(project: Project, h: Handler, reach: Reach) -> tuple[str, int]:
    """The function that handles the delivery: the one the signature check runs in, unless
    it is a helper named for checking (`verifyStripeEvent(req)`), then its caller — up to
    the handler. A router (`fetch` → `handleStripeWebhook(req)`) hands the delivery on."""
    helpers = tuple(n.lower() for n in project.knowledge["verification-helper-names"])
    graph = project.callgraph
    entered: list[tuple[tuple[str, int], str]] = [((h.rel, h.function), "")]
    for rel, call in reach.chain:
        target = graph.function_run_by(rel, call)
        if target is None:
            break
        entered.append((target, call.name))
    while len(entered) > 1 and glob_match(entered[-1][1].lower(), helpers):
        entered.pop()
    return entered[-1][0]


def _header_provider(call, table: dict) -> str | None:
    """`headers.get("Stripe-Signature")` → "Stripe"."""
    for arg in call.args[:1]:
        if isinstance(arg, Str):
            for header, provider in table.items():
                if arg.value.lower().startswith(header):
                    return provider
    return None


def _reads_header(call, header_words) -> bool:
    """`req.headers.get("x-signature")`, `req.header("X-Hub-Signature-256")`."""
    if call.name not in HEADER_GETTERS:
        return False
    for arg in call.args[:1]:
        for v in walk_values(arg):
            if isinstance(v, Str) and any(w in v.value.lower() for w in header_words):
                return True
    return False
