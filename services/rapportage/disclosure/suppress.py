"""Choosing which cells to publish: rules 1-4 of `docs/contracts/report-table.md`.

1. **Patterns.** Cells from 1 to t-1 are hidden. For every small protected count (a cell, or units
   at exactly one stage) and each direction (down to 0, up to t) an LP looks for a *witness*: a
   table consistent with what is published where that count is 0 (or >= t), letting cells move
   at a cost of their value + 1 per unit (hidden cells almost free). The cells the witness moves
   are hidden. Hiding more never narrows a range, so every witness found stays valid and the
   union of the patterns protects every count. A witness found earlier that already answers a
   check saves the LP.
2. **Showing again, largest first** (rule 3). Each hidden cell that is not small is tried: shown,
   every check must still have a witness. Witnesses that do not move the cell stay valid; two
   witnesses on either side of its value combine (the checks are convex) into one that keeps it;
   only the rest needs an LP. A cell that cannot be shown now never can later (more shown, less
   room), so every hidden cell at the end is needed: rule 3 holds whatever the half-count says.
3. **Rounding** (optional): hidden cells of at least t are tried as rounded cells the same way.

Everything runs in a fixed order on one single-threaded GLOP model, so the same table gives the
same document (rule 4).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from ._search import Search, round_to
from .errors import DisclosureError
from .structure import Structure, build, to_base, view_spec
from .table import Key, Table

MIN_THRESHOLD = 3


class Status(StrEnum):
    SHOWN = "shown"
    SUPPRESSED = "suppressed"
    ROUNDED = "rounded"


@dataclass(frozen=True)
class Policy:
    """The threshold t (default 5, never below 3) and optional rounding of cells hidden otherwise."""

    threshold: int = 5
    rounded_to: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, int):
            raise DisclosureError("threshold", "de drempel is een geheel getal")
        if self.threshold < MIN_THRESHOLD:
            raise DisclosureError(
                "threshold", f"de drempel is minstens {MIN_THRESHOLD}, niet {self.threshold}"
            )
        if self.rounded_to is not None and (
            isinstance(self.rounded_to, bool) or not isinstance(self.rounded_to, int) or self.rounded_to < 2
        ):
            raise DisclosureError("rounded_to", "afronden gaat op een geheel veelvoud van minstens 2")


@dataclass(frozen=True)
class PublishedCell:
    key: Key
    value: int  # the true count (never published for a suppressed cell)
    status: Status

    def published(self, policy: Policy) -> int | None:
        if self.status is Status.SUPPRESSED:
            return None
        if self.status is Status.ROUNDED:
            assert policy.rounded_to is not None
            return round_to(self.value, policy.rounded_to)
        return self.value


@dataclass(frozen=True)
class Stats:
    """How the suppression went (for benchmarks and logs)."""

    cells: int = 0
    small_counts: int = 0
    lp_solves: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class ProtectedTable:
    """A table with the status of every cell, in `table.spec.cell_keys()` order."""

    table: Table
    policy: Policy
    cells: tuple[PublishedCell, ...]
    stats: Stats = field(default_factory=Stats, compare=False)

    def cell(self, key: Key) -> PublishedCell:
        return self.cells[self.table.spec.cell_keys().index(tuple(key))]

    def truth(self) -> dict[Key, int]:
        """Every cell's true value by its key (for an audit that knows the truth)."""
        return {cell.key: cell.value for cell in self.cells}


def suppress(
    table: Table, policy: Policy | None = None, *, show: Iterable[Key] = (), hide: Iterable[Key] = ()
) -> ProtectedTable:
    """Protect one table. `show`/`hide`: cells another table of the pack already fixed."""
    return suppress_views(table, [table.spec.names], policy, show=show, hide=hide)[0]


def suppress_views(
    base: Table,
    views: Sequence[Sequence[str]],
    policy: Policy | None = None,
    *,
    show: Iterable[Key] = (),
    hide: Iterable[Key] = (),
) -> tuple[ProtectedTable, ...]:
    """Protect several tables of one base table together (each keeps some of its dimensions).

    A total the tables share is one cell, so it gets one status, and the attack combines all
    tables: nothing small can be derived from the pack as a whole. `show`/`hide` take base keys.
    """
    policy = policy or Policy()
    if not views:
        raise DisclosureError("views", "geef minstens één tabel")
    specs = [view_spec(base.spec, list(v)) for v in views]
    structure = build(base, specs)
    index = structure.cell_index

    def cells_of(keys: Iterable[Key], name: str) -> set[int]:
        out = set()
        for key in keys:
            key = base.spec.check_key(key)
            if key not in index:
                raise DisclosureError(name, f"cel {key} staat in geen van de tabellen")
            out.add(index[key])
        return out

    started = time.perf_counter()
    statuses, solves = choose(structure, policy, cells_of(show, "show"), cells_of(hide, "hide"))
    stats = Stats(
        cells=len(structure.cells),
        small_counts=int(
            np.count_nonzero((structure.count_values >= 1) & (structure.count_values < policy.threshold))
        ),
        lp_solves=solves,
        seconds=time.perf_counter() - started,
    )
    out = []
    for spec in specs:
        kept = [base.spec.axis(name) for name in spec.names]
        dropped = tuple(a for a in range(len(base.spec.dimensions)) if a not in kept)
        table = Table(spec, base.counts.sum(axis=dropped) if dropped else base.counts)
        cells = tuple(
            PublishedCell(cell.key, cell.value, statuses[index[to_base(base.spec, spec, cell.key)]])
            for cell in table.cells()
        )
        out.append(ProtectedTable(table, policy, cells, stats))
    return tuple(out)


def choose(s: Structure, policy: Policy, show: set[int], hide: set[int]) -> tuple[list[Status], int]:
    """The status of every cell of the structure, and the number of LPs solved."""
    t = policy.threshold
    v = s.cell_values
    small = (v >= 1) & (v < t)
    for c in sorted(show):
        if small[c]:
            raise DisclosureError("show", f"cel {s.cells[c]} is kleiner dan {t} en kan niet getoond worden")
        if c in hide:
            raise DisclosureError("show", f"cel {s.cells[c]} kan niet tegelijk getoond en verborgen worden")
    grand_total = s.cells.index(s.spec.grand_total_key())
    if v[grand_total] >= t and grand_total not in hide:  # rule 3 (unless another table hid it)
        show = show | {grand_total}
    hidden = small.copy()
    hidden[sorted(hide)] = True
    sensitive = np.flatnonzero((s.count_values >= 1) & (s.count_values < t))
    if sensitive.size == 0:
        return [Status.SUPPRESSED if h else Status.SHOWN for h in hidden], 0
    search = Search(s, t, sensitive, show)
    search.patterns(hidden)
    search.show_again(hidden, small, hide)
    rounded = np.zeros(len(v), dtype=np.bool_)
    if policy.rounded_to is not None:
        search.round(hidden, rounded, hide, policy.rounded_to)
    statuses = [
        Status.ROUNDED if r else Status.SUPPRESSED if h else Status.SHOWN
        for h, r in zip(hidden.tolist(), rounded.tolist(), strict=True)
    ]
    return statuses, search.solves + search.lp.solves
