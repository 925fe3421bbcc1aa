"""A resident as registered in this transaction: the row written, read-only (issue 12)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared.writebehind import Waiting


@dataclass(frozen=True)
class Registered:
    """What `residents.create` wrote: the resident's row (its columns as attributes), its
    certificates and ladder step, and the handle of the row waiting to be written (a row that
    refers to the resident takes its id from it, shared/writebehind.py).

    Not an ORM object and in no session: the answer to the request reads it, nothing can change
    it. Code that goes on with the new resident loads it by its programme id (the waiting rows go
    in before that query, shared/writebehind.py). A new resident is rows, not ORM objects made
    persistent after the write: those cost about a sixth of a create's CPU (docs/benchmarks.md).
    """

    row: Mapping[str, Any]
    handle: Waiting
    certificates: tuple[Mapping[str, Any], ...] = ()
    participatieladder: int | None = None
    consents: tuple[Any, ...] = ()  # none yet: consent is given after registering

    def __post_init__(self) -> None:
        # The row's columns as attributes of their own, set once: the answer's schema reads some
        # thirty of them, and a lookup through `__getattr__` (reached only after a failed normal
        # lookup, and asked first whether the object has `__getitem__`) cost more than half of
        # the answer's CPU (docs/benchmarks.md). Frozen: nothing sets them afterwards.
        fields = self.__dataclass_fields__
        clash = fields.keys() & self.row.keys()
        if clash:
            raise ValueError(f"a column may not be called like a field: {sorted(clash)}")
        self.__dict__.update(self.row)
