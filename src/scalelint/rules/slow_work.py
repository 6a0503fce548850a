"""SL5 — slow work on the request path.

Some code holds something while it runs: a webhook handler holds the sender's delivery,
which times out and comes back (SL501); a database transaction holds a pooled connection,
which nobody else can use meanwhile (SL502). A Stripe call, an LLM completion or an email
send inside either turns seconds of someone else's latency into retries and pool
exhaustion. The slow-call vocabulary, how deferral is recognised and where the work hides
(helpers in other files) live in analysis/slow_calls.py; these rules only decide where it
hurts and say so.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from scalelint.analysis.project import Project
from scalelint.analysis.slow_calls import Deferral, SlowWork
from scalelint.analysis.transactions import (
    Transaction,
    calls_inside,
    find_transactions,
    prisma_timeout,
)
from scalelint.analysis.webhooks import Webhook
from scalelint.catalogue import RuleMeta
from scalelint.facts.code import Num
from scalelint.findings import Finding
from scalelint.rules import report, rule


@rule("SL501")
def slow_call_in_webhook(project: Project, meta: RuleMeta) -> Iterator[Finding]:
    """A webhook handler waits for slow outside work before it sends its 2xx."""
    slow = project.slow_calls
    verifiers = tuple(n.lower() for n in project.knowledge["verification-helper-names"])
    for hook in project.webhooks:
        calls = project.callgraph.calls_in(hook.rel, hook.function)
        # a catch clause that rethrows or answers 4xx/5xx has failed the delivery already
        for work in slow.work_behind(
            hook.rel, hook.function, calls, skip=verifiers, failures=False
        ):
            if work.deferral is None and _after_answer(hook, work):
                work = replace(
                    work, deferral=Deferral(f"code after `{hook.answered.text}()`", False)
                )
            what = work.slow.words(slow.kinds)
            where = _where(work, slow.kinds)
            certain = work.slow.certain and (hook.verified_by is not None or hook.provider)
            if work.deferral is not None:
                yield report(
                    meta,
                    work.entry_rel,
                    work.entry.span,
                    f"{_capital(hook.describe())} runs {what} in {work.deferral.label} "
                    f"({where}): the 2xx goes first, but if the work fails nothing retries it, "
                    f"since the sender already has its answer.",
                    fix=f"If losing this work matters, hand it to a durable queue "
                    f"({_queue(project, work.entry_rel)}) rather than running it in the same "
                    f"process, and make the job idempotent on the event id.",
                    severity="info",
                    confidence=None if certain else "medium",
                )
                continue
            yield report(
                meta,
                work.entry_rel,
                work.entry.span,
                f"{_capital(hook.describe())} waits for {what} before it answers ({where}): "
                f"{_retries(hook)}, and each retry runs the slow work again.",
                fix=meta.fix.replace("{queue}", _queue(project, work.entry_rel)).replace(
                    "{work}", _the(slow.kinds.get(work.slow.kind, "the slow call"))
                ),
                confidence=None if certain else "medium",
            )


@rule("SL502")
def slow_call_in_transaction(project: Project, meta: RuleMeta) -> Iterator[Finding]:
    """Slow outside work inside an open transaction keeps a pooled connection checked out."""
    slow = project.slow_calls
    for rel, _ in project.code_files():
        if not project.context.is_request_path(rel):
            continue
        for tx in find_transactions(project, rel):
            for work in slow.work_behind(tx.rel, *calls_inside(project, tx)):
                if work.deferral is not None:
                    continue  # after()/waitUntil() inside a transaction do not keep it open
                what = work.slow.words(slow.kinds)
                via = f", through {_where(work, slow.kinds)}" if work.reach.chain else ""
                if work.reach.chain:
                    lead = f"`{work.entry.text}` makes {what} inside a {tx.label}"
                else:
                    lead = f"`{work.entry.text}` is {what}, made inside a {tx.label}"
                yield report(
                    meta,
                    work.entry_rel,
                    work.entry.span,
                    f"{lead} (line {tx.span.line}){via}: the transaction keeps a pooled "
                    f"connection checked out until it returns{_timeout_note(tx)}"
                    f"{_also(work, slow.kinds, ' (also ', ')') if not work.reach.chain else ''}.",
                    fix=meta.fix.replace(
                        "{work}", _the(slow.kinds.get(work.slow.kind, "the slow call"))
                    ),
                    confidence=None if tx.certain and work.slow.certain else "medium",
                )


# ── wording ──


def _where(work: SlowWork, kinds: dict) -> str:
    """`stripe.customers.create`, or `handleCheckout → stripe.customers.create (lib/x.ts:9)`,
    and the other kinds of slow call behind the same call."""
    text = f"`{work.reach.describe() if work.reach.chain else work.reach.call.text}`"
    return text + _also(work, kinds, "; also ", "")


def _also(work: SlowWork, kinds: dict, before: str, after: str) -> str:
    if not work.also:
        return ""
    return before + ", ".join(s.words(kinds) for s in work.also) + after


def _after_answer(hook: Webhook, work: SlowWork) -> bool:
    """The handler already sent its 2xx (`res.sendStatus(200)`) above this call."""
    a = hook.answered
    return a is not None and work.entry_rel == hook.rel and work.entry.span.line > a.span.line


def _retries(hook: Webhook) -> str:
    if hook.provider == "Stripe":
        return "Stripe marks a slow delivery as timed out and retries it for up to three days"
    return "a sender that gets no 2xx in time counts the delivery as failed, and most retry it"


def _queue(project: Project, rel: str) -> str:
    table = project.knowledge["webhook-queue-fixes"]
    deps = project.context.dependencies(rel)
    for package, words in table.items():
        if package != "default" and package in deps:
            return words
    return table["default"]


def _timeout_note(tx: Transaction) -> str:
    if not tx.prisma:
        return ""
    timeout = prisma_timeout(tx)
    if isinstance(timeout, Num):
        return f"; Prisma ends this transaction after its {int(timeout.value)} ms `timeout` (P2028)"
    if timeout is not None:
        return ""
    return "; Prisma ends an interactive transaction after 5 s by default (P2028)"


def _the(what: str) -> str:
    for article in ("a ", "an "):
        if what.startswith(article):
            return "the " + what[len(article) :]
    return what


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
