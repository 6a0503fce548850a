"""Slow work: calls that leave the process and can take seconds, and whether the request
waits for them.

A Stripe API call, an LLM completion, an email send, a PDF render or an HTTP request to
another service is fine in a background job and a problem wherever something is holding on
while it runs: a webhook sender waiting for its 2xx (SL501), a transaction holding a pooled
connection (SL502). The vocabulary is the `slow-call-sdks` table (SDK calls resolved through
imports) plus `slow-call-http` (HTTP clients, where the URL decides: a relative or local URL
is the app talking to itself). Work handed to a durable queue is not waited for at all; work
wrapped in `after()`, `waitUntil()` or FastAPI's `BackgroundTasks` runs after the response
but without retries (the `deferral-calls` table).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scalelint.analysis.callgraph import Reach
from scalelint.analysis.failures import on_failure_path
from scalelint.analysis.patterns import glob_match
from scalelint.analysis.sdk_calls import SdkCalls
from scalelint.analysis.values import first_arg_at, url_sources
from scalelint.facts.code import Call

if TYPE_CHECKING:
    from scalelint.analysis.project import Project

PUBLIC_PREFIXES = ("NEXT_PUBLIC_", "NUXT_PUBLIC_", "EXPO_PUBLIC_", "REACT_APP_", "VITE_", "PUBLIC_")
MAX_DEPTH = 4  # calls into project functions between the entry call and the slow one
SUMMARY_SIZE = 8
_PLACEHOLDER = re.compile(r"^(?:\$\{|\{)\s*([^}]*)\}")


@dataclass(frozen=True)
class SlowCall:
    kind: str  # a key of `slow-call-kinds`: "stripe", "llm", "email", "media", "http"
    sdk: str  # "Stripe", "OpenAI", "fetch"
    certain: bool = True  # False: an HTTP call whose URL is not known to be another service
    host: str = ""  # HTTP calls: the host, when the URL shows it

    def words(self, kinds: dict) -> str:
        """ "a Stripe API call", "an LLM call (OpenAI)", "an HTTP request … (fetch to x.com)"."""
        label = kinds.get(self.kind, "a slow call")
        sdk = f"{self.sdk} to {self.host}" if self.host else self.sdk
        if self.sdk in label:
            return label
        return f"{label} ({sdk})"


@dataclass(frozen=True)
class Deferral:
    label: str  # "`after()`", "Inngest"
    durable: bool  # a queue that retries; False: same process, after the response


@dataclass(frozen=True)
class SlowWork:
    """Slow work behind one call: the call where it starts (in the function or block being
    checked) and the first slow call it leads to."""

    entry_rel: str
    entry: Call
    reach: Reach
    slow: SlowCall
    deferral: Deferral | None  # only ever in-process: durable work is dropped
    also: tuple[SlowCall, ...]  # other kinds of slow call behind the same entry


class SlowCalls:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.sdk = SdkCalls(project)
        k = project.knowledge
        self.kinds: dict = k["slow-call-kinds"]
        self._sdks: list[dict] = k["slow-call-sdks"]
        self._http: list[dict] = k["slow-call-http"]
        self._hosts: dict = k["slow-call-hosts"]
        self._own_names = {n.upper().replace("_", "") for n in k["own-url-names"]}
        self._deferrals: list[dict] = k["deferral-calls"]
        self._slow: dict[tuple[str, int], SlowCall | None] = {}
        self._deferral: dict[tuple[str, int], Deferral | None] = {}
        self._summaries: dict[tuple, list] = {}

    # ── is this call slow? ──
    def classify(self, rel: str, call: Call) -> SlowCall | None:
        key = (rel, call.id)
        if key not in self._slow:
            self._slow[key] = self._classify(rel, call)
        return self._slow[key]

    def _classify(self, rel: str, call: Call) -> SlowCall | None:
        entry = self.sdk.first_match(self._sdks, rel, call)
        if entry is not None:
            return SlowCall(entry.get("kind", "http"), entry.get("sdk", "an outside SDK"))
        for entry in self._http:
            if not self._is_http(entry, rel, call):
                continue
            target, host = self._url_target(rel, call, entry.get("url", ["0"]))
            if target == "own":
                return None
            kind = self._hosts.get(target, "http")
            sdk = entry.get("sdk", "HTTP")
            return SlowCall(kind, sdk, certain=target != "unknown", host=host)
        return None

    def _is_http(self, entry: dict, rel: str, call: Call) -> bool:
        if self.sdk.matches(entry, rel, call):
            return True
        globals_ = entry.get("globals")
        if globals_ and call.path is not None and call.binding is None:
            code = self.project.code(rel)
            return code is not None and code.language == "js" and ".".join(call.path) in globals_
        return False

    def _url_target(self, rel: str, call: Call, specs: list[str]) -> tuple[str, str]:
        """("own" | "unknown" | "external" | a `slow-call-hosts` pattern, host): "own" is a
        relative or local URL or the app's own base URL; one doubtful option decides."""
        code = self.project.code(rel)
        found = first_arg_at(code, call, specs) if code is not None else None
        if found is None:
            return "unknown", ""
        sources = url_sources(code, found[1], call.function)
        verdicts = [self._classify_url(s.literal, s.env) for s in sources] or [("unknown", "")]
        for doubt in ("own", "unknown"):
            if any(v == doubt for v, _ in verdicts):
                return doubt, ""
        if len({v for v, _ in verdicts}) == 1:
            return verdicts[0]
        return "external", ""

    def _classify_url(self, literal: str | None, env: str | None) -> tuple[str, str]:
        if env is not None:
            return ("own" if self._own_name(env) else "unknown"), ""
        text = (literal or "").strip()
        if not text or text.startswith(("/", ".", "?")):
            return "own", ""
        m = _PLACEHOLDER.match(text)
        if m is not None:
            return ("own" if self._own_name(m.group(1)) else "unknown"), ""
        if not re.match(r"^https?://", text, re.I):
            return "unknown", ""
        host = (urlsplit(text.split("${", 1)[0].split("{", 1)[0]).hostname or "").lower()
        if not host:
            return "unknown", ""
        if host in ("localhost", "0.0.0.0", "host.docker.internal") or host.startswith("127."):
            return "own", ""
        if host.endswith((".internal", ".local", ".localhost")):
            return "own", ""
        for pattern in self._hosts:
            if glob_match(host, [pattern]):
                return pattern, host
        return "external", host

    def _own_name(self, expr: str) -> bool:
        """`process.env.NEXT_PUBLIC_SITE_URL`, `settings.BASE_URL`, `origin`, `supabaseUrl`:
        the app itself (or its own backend), not another service."""
        words = re.findall(r"[A-Za-z0-9_]+", expr)
        name = words[-1].upper() if words else ""
        for prefix in PUBLIC_PREFIXES:
            if name.startswith(prefix):
                name = name[len(prefix) :]
                break
        return name.replace("_", "") in self._own_names

    # ── is it waited for? ──
    def deferral_of(self, rel: str, call: Call) -> Deferral | None:
        """The deferral primitive `call` is (`after(fn)`, `inngest.send(…)`), if any."""
        key = (rel, call.id)
        if key not in self._deferral:
            found = None
            entry = self.sdk.first_match(self._deferrals, rel, call)
            if entry is not None:
                label = entry.get("label", "`{call}()`").replace("{call}", call.text)
                found = Deferral(label, bool(entry.get("durable")))
            self._deferral[key] = found
        return self._deferral[key]

    def _deferral_at(self, rel: str, call: Call) -> Deferral | None:
        """How `call` itself is taken off the request path, if it is: it is a deferral
        (`after(send)`, `queue.enqueue(send, …)`), it sits in a callback handed to one
        (`after(() => send())`), or its promise is handed to an in-process one
        (`waitUntil(send())`). Durable wins over in-process."""
        code = self.project.code(rel)
        if code is None:
            return None
        found = [self.deferral_of(rel, call)]
        parent = call.parent
        while parent is not None:  # waitUntil(send()): the promise settles after the response
            d = self.deferral_of(rel, code.calls[parent])
            found.append(d if d is not None and not d.durable else None)
            parent = code.calls[parent].parent
        for fn in code.enclosing_functions(call.function):  # after(() => send())
            if fn.call is not None:
                found.append(self.deferral_of(rel, code.calls[fn.call]))
        found = [d for d in found if d is not None]
        return next((d for d in found if d.durable), found[0] if found else None)

    # ── slow work behind calls ──
    def work_behind(
        self,
        rel: str,
        function: int | None,
        calls: list[Call],
        skip: tuple[str, ...] = (),
        failures: bool = True,
    ) -> list[SlowWork]:
        """The slow work each of `calls` (found in `function`) leads to, directly or through
        the project's functions up to MAX_DEPTH calls deep: one record per call that leads
        to some, naming the first undeferred slow call behind it (else an in-process deferred
        one). Work a durable queue takes is left out, and so are calls in helpers defined in
        `function` that run only when called (they are reached through that call), and
        whatever runs inside project functions whose names match `skip` (any case), and —
        with `failures` False — calls that run only once something has failed (a catch clause
        that rethrows or answers with an error status: analysis/failures.py)."""
        graph = self.project.callgraph
        out = []
        for call in calls:
            if not graph.runs_with(rel, call, function):
                continue
            found = self._behind_call(rel, call, MAX_DEPTH, set(), (skip, failures))
            if not found:
                continue
            chain, (srel, scall, slow, deferral) = found[0]
            also: dict[tuple[str, str], SlowCall] = {}
            for _, (_, _, other, d) in found[1:]:
                if (d is None) != (deferral is None):
                    continue  # "waits for X; also Y" names only what it waits for alike
                if (other.kind, other.sdk) != (slow.kind, slow.sdk):
                    also.setdefault((other.kind, other.sdk), other)
            reach = Reach(chain, srel, scall)
            out.append(SlowWork(rel, call, reach, slow, deferral, tuple(also.values())))
        return sorted(out, key=lambda w: (w.entry_rel, w.entry.span.line, w.entry.span.col))

    def _behind_call(
        self, rel: str, call: Call, depth: int, active: set, mode: _Mode
    ) -> list[_Found]:
        skip, failures = mode
        if not failures and on_failure_path(self.project, rel, call):
            return []
        here = self._deferral_at(rel, call)
        if here is not None and here.durable:
            return []
        found: list[_Found] = []
        slow = self.classify(rel, call)
        if slow is not None:
            found.append(((), (rel, call, slow, here)))
        target = self.project.callgraph.function_run_by(rel, call)
        if skip and glob_match(call.name.lower(), skip):
            target = None
        if target is not None and depth > 0 and target not in active:
            for chain, (srel, scall, s, d) in self._summary(target, depth - 1, active, mode):
                found.append((((rel, call), *chain), (srel, scall, s, here or d)))
        found.sort(key=lambda f: (f[1][3] is not None, not f[1][2].certain, len(f[0])))
        return found

    def _summary(
        self, target: tuple[str, int], depth: int, active: set, mode: _Mode
    ) -> list[_Found]:
        """The slow work a project function leads to, best first (memoised per depth)."""
        key = (target, depth, mode)
        if key in self._summaries:
            return self._summaries[key]
        rel, fid = target
        graph = self.project.callgraph
        active = active | {target}
        found: list[_Found] = []
        for call in graph.calls_in(rel, fid):
            if graph.runs_with(rel, call, fid):
                found.extend(self._behind_call(rel, call, depth, active, mode))
        found.sort(key=lambda f: (f[1][3] is not None, not f[1][2].certain, len(f[0])))
        self._summaries[key] = found[:SUMMARY_SIZE]
        return self._summaries[key]


_Found = tuple[tuple, tuple]  # (chain of (rel, call) hops, (rel, call, SlowCall, Deferral|None))
_Mode = tuple[tuple[str, ...], bool]  # (helper names to skip, whether failure paths count)
