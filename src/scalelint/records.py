"""A compact pickle form for the fact records, which cross process boundaries and sit in the
cache by the hundred thousand.

A slotted dataclass pickles by default as its class plus a dict of slot names to values, and
unpickles by building that dict and setting each slot: several microseconds an object. Reduced
to the constructor and its positional fields instead, an object costs a tuple and an
`__init__` call, and the bytes drop by a third.
"""

from __future__ import annotations

import dataclasses
from operator import attrgetter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:  # only type checkers read it, and `typing` has it from Python 3.11 on

    def dataclass_transform(**_options):
        return lambda cls: cls


@dataclass_transform(eq_default=True)
def value_record(cls: type) -> type:
    """A small value (a span, a literal, a name chain) that is never changed once made and is
    compared and hashed by its fields.

    Not a frozen dataclass: a frozen one sets each field through `object.__setattr__` in its
    `__init__`, which doubles what making one costs, and the facts of a large repository hold
    hundreds of thousands of them, made again on every parse and every cache load. Nothing
    assigns to their fields; `dataclasses.replace` makes a changed copy."""
    return dataclasses.dataclass(slots=True, unsafe_hash=True)(cls)


def compact_pickle(cls: type) -> type:
    names = tuple(f.name for f in dataclasses.fields(cls))
    if len(names) == 1:
        one = attrgetter(names[0])

        def reduce_one(self):
            return (cls, (one(self),))

        cls.__reduce__ = reduce_one
    else:
        many = attrgetter(*names)

        def reduce_many(self):
            return (cls, many(self))

        cls.__reduce__ = reduce_many
    return cls


def compact_records(namespace: dict) -> None:
    """Give every dataclass defined in a module (its `globals()`) the compact pickle form."""
    module = namespace["__name__"]
    for value in list(namespace.values()):
        if (
            isinstance(value, type)
            and dataclasses.is_dataclass(value)
            and value.__module__ == module
        ):
            compact_pickle(value)
