"""Rules: one module per family, each rule a function over the Project that yields findings.

A rule never opens a file or walks a tree; it reads facts and context. Its metadata, message
knowledge and docs live in `rules/<ID>-<name>.yml`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from scalelint.findings import Finding, Span
from scalelint.urls import redact

if TYPE_CHECKING:
    from scalelint.analysis.project import Project
    from scalelint.catalogue import RuleMeta

RuleFn = Callable[["Project", "RuleMeta"], Iterator[Finding]]
REGISTRY: dict[str, RuleFn] = {}


def rule(rule_id: str) -> Callable[[RuleFn], RuleFn]:
    def register(fn: RuleFn) -> RuleFn:
        REGISTRY[rule_id] = fn
        return fn

    return register


def load_rules() -> dict[str, RuleFn]:
    """Import every family module of this package; each registers its rules with @rule."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return REGISTRY


def report(
    meta: RuleMeta,
    rel: str,
    span: Span,
    message: str,
    *,
    fix: str | None = None,
    severity: str | None = None,
    confidence: str | None = None,
) -> Finding:
    """A finding of `meta`'s rule. Messages and fixes pass through `redact`: a URL password
    never leaves scalelint, whatever a rule put in its text."""
    return Finding(
        rule=meta.id,
        name=meta.name,
        severity=severity or meta.severity,
        confidence=confidence or meta.confidence,
        path=rel,
        span=span,
        message=redact(message),
        fix=redact(fix if fix is not None else meta.fix),
    )
