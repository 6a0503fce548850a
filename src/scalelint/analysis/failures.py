"""Calls that run only once something has already failed.

Slow work holds back a webhook's 2xx, and the sender counts a late answer as a failed
delivery. A call in a catch clause that ends by throwing, or by answering with an error
status (`return new Response(msg, { status: 400 })`, `res.status(500).send()`,
`return jsonify(error=…), 400`), runs on a delivery that has failed already: the sender
retries it whatever the call costs, so reporting the Slack alert or the log upload there as
"slow work before the 2xx" would be a false alarm. A catch clause that carries on, or
answers 2xx, still holds the answer back and is not a failure path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scalelint.facts.code import Arr, Block, Call, CallResult, CodeFacts, Num, Obj, Value

if TYPE_CHECKING:
    from scalelint.analysis.project import Project

RECEIVER_HOPS = 4  # `res.status(400).json(…)`: the status sits a receiver or two back


def on_failure_path(project: Project, rel: str, call: Call) -> bool:
    """`call` sits in a catch clause (of its own function) that ends in a throw or an
    error answer."""
    code = project.code(rel)
    if code is None:
        return False
    block = call.block
    while block is not None:
        b = code.blocks[block]
        if b.kind == "catch":
            return _fails(project, code, b)
        block = b.parent
    return False


def _fails(project: Project, code: CodeFacts, clause: Block) -> bool:
    if clause.exit == "throw":
        return True
    if clause.exit in ("return", "expression"):
        status = answer_status(project, code, clause.exit_value)
        return status is not None and not 200 <= status < 300
    return False


def answer_status(project: Project, code: CodeFacts, value: Value | None) -> int | None:
    """The HTTP status an answer states, when the code shows it: `{ status: 400 }` or
    `status_code=400` on the call or a call it is chained on, `res.status(400)`,
    `res.sendStatus(400)`, Hono's `c.json(body, 400)`, a `(body, 400)` tuple, or an answer
    whose name is its status (Django's `HttpResponseBadRequest`)."""
    k = project.knowledge
    if isinstance(value, Arr) and len(value.items) >= 2 and isinstance(value.items[-1], Num):
        return int(value.items[-1].value)
    if not isinstance(value, CallResult):
        return None
    keys = k["response-status-keys"]
    setters = set(k["response-status-methods"])
    senders = set(k["response-send-methods"])
    second = set(k["response-status-second-argument"])
    errors = k["error-answer-calls"]
    call: Call | None = code.calls[value.call]
    for _ in range(RECEIVER_HOPS):
        if call is None:
            return None
        if call.name in errors:
            return int(errors[call.name])
        for key, v in call.kwargs:
            if key in keys and isinstance(v, Num):
                return int(v.value)
        for arg in call.args:
            if isinstance(arg, Obj):
                for key in keys:
                    if isinstance(arg.get(key), Num):
                        return int(arg.get(key).value)
        first = call.args[0] if call.args else None
        if (call.name in setters or call.name in senders) and isinstance(first, Num):
            return int(first.value)
        if call.name in second and len(call.args) > 1 and isinstance(call.args[1], Num):
            return int(call.args[1].value)
        call = code.calls[call.receiver] if call.receiver is not None else None
    return None
