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

    def __getattr__(self, name: str) -> Any:
        # Only for names that are not fields (Python looks here last); `row` itself is not set
        # yet while a copy is made.
        row = self.__dict__.get("row")
        if row is None or name not in row:
            raise AttributeError(name)
        return row[name]
