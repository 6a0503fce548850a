"""Django model relations, read from the project's models: which attributes of a model load
another row (`order.customer`, a ForeignKey or OneToOneField) or a set of rows
(`order.lines`, a reverse ForeignKey or a ManyToManyField) when first touched.

Built once per project from the `ClassDef` facts of classes the query analysis recognises
as Django models; abstract bases pass their relations on to their subclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from scalelint.facts.code import CallResult, Ref, Str, Value

if TYPE_CHECKING:
    from scalelint.analysis.project import Project


@dataclass(frozen=True)
class Relation:
    model: str  # the model the attribute is on
    attr: str
    many: bool  # a manager of rows (reverse FK, M2M) rather than one row (FK, O2O)
    target: str  # the related model
    declared: str  # "shop/models.py:41"


class DjangoRelations:
    def __init__(self, project: Project) -> None:
        self.by_model: dict[str, dict[str, Relation]] = {}
        self.methods: dict[str, dict[str, tuple[str, int]]] = {}  # model → name → (file, fn)
        fields = project.knowledge["django-relation-fields"]
        bases: dict[str, list[str]] = {}
        for rel, code in project.code_files():
            if code.language != "python" or "models" not in rel:
                continue
            for cls in code.classes:
                if cls.function is not None or not self._is_model(project, rel, cls.name):
                    continue
                bases[cls.name] = [b.path[-1] for b in cls.bases if isinstance(b, Ref)]
                self.methods[cls.name] = {
                    f.name: (rel, f.id)
                    for f in code.functions
                    if f.class_name == cls.name and f.parent is None and f.name
                }
                own = self.by_model.setdefault(cls.name, {})
                for name, value in cls.fields:
                    if not isinstance(value, CallResult):
                        continue
                    call = code.calls[value.call]
                    kind = fields.get(call.name)
                    if kind is None:
                        continue
                    target = _target(call.kwarg("to") or (call.args[0] if call.args else None))
                    if target is None:
                        continue
                    target = cls.name if target == "self" else target
                    where = f"{rel}:{call.span.line}"
                    own.setdefault(name, Relation(cls.name, name, kind == "many", target, where))
                    related = call.kwarg("related_name")
                    if isinstance(related, Str):
                        back = related.value
                    elif kind == "one":  # OneToOneField: the reverse is one row too
                        back = cls.name.lower()
                    else:
                        back = cls.name.lower() + "_set"
                    if back and not back.endswith("+") and "%" not in back:
                        many = kind != "one"
                        self.by_model.setdefault(target, {}).setdefault(
                            back, Relation(target, back, many, cls.name, where)
                        )
        for model in list(self.by_model):
            self._inherit(model, bases, set())

    def _is_model(self, project: Project, rel: str, name: str) -> bool:
        found = project.queries.receivers(rel, Ref((name,)), None)
        return any(r.api == "django" for r in found.receivers)

    def _inherit(self, model: str, bases: dict[str, list[str]], seen: set[str]) -> None:
        if model in seen:
            return
        seen.add(model)
        own = self.by_model.setdefault(model, {})
        methods = self.methods.setdefault(model, {})
        for base in bases.get(model, ()):
            if base in self.by_model and base != model:
                self._inherit(base, bases, seen)
                for attr, r in self.by_model[base].items():
                    own.setdefault(attr, Relation(model, attr, r.many, r.target, r.declared))
                for name, where in self.methods.get(base, {}).items():
                    methods.setdefault(name, where)

    def method(self, model: str | None, name: str) -> tuple[str, int] | None:
        """Where the project defines `name` on `model` (or on a model it derives from); None
        when the method comes from Django or a package (`get_descendants`, django-mptt)."""
        return self.methods.get(model, {}).get(name) if model is not None else None

    def get(self, model: str | None, attr: str) -> Relation | None:
        if model is None:
            return None
        return self.by_model.get(model, {}).get(attr)


def _target(value: Value | None) -> str | None:
    if isinstance(value, Ref):
        return value.path[-1]
    if isinstance(value, Str) and not value.template:
        return value.value.rsplit(".", 1)[-1]
    return None
