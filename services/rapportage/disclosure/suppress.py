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
import numpy.typing as npt

from ._witness import WitnessLP
from .errors import DisclosureError
from .structure import Structure, build, to_base, view_spec
from .table import Key, Table

MIN_THRESHOLD = 3
# Slack for LP round-off: counts are integers, so 1e-6 can never hide a real difference.
TOL = 1e-6
# Moving an already hidden cell costs this fraction of moving a shown one: patterns share cells.
HIDDEN_DISCOUNT = 1e-3
# Witnesses kept per check: a few, so that two often lie on either side of a cell's value.
PER_CHECK = 4


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


def round_to(value: int, multiple: int) -> int:
    """The nearest multiple (halves go up, so it never depends on float rounding)."""
    return ((2 * value + multiple) // (2 * multiple)) * multiple


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
    if v[grand_total] >= t:
        show = show | {grand_total}
    hidden = small.copy()
    hidden[sorted(hide)] = True
    sensitive = np.flatnonzero((s.count_values >= 1) & (s.count_values < t))
    if sensitive.size == 0:
        return [Status.SUPPRESSED if h else Status.SHOWN for h in hidden], 0
    search = _Search(s, t, sensitive, show)
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


class _Fate(StrEnum):
    IMPLIED = "implied"  # the shown cells already fix its value: showing it tells nothing new
    DISCLOSES = "discloses"  # shown, it would fix a small count exactly
    OPEN = "open"  # the LPs must decide


class _RowSpace:
    """An orthonormal basis of what the shown cells determine, and each small count's remainder.

    A count is determined by the shown cells exactly when it lies in the span of their rows. This
    cheap test settles many trials of phase 2 without an LP: a cell already implied is shown for
    free, and a cell that would complete a small count's span is refused at once.
    """

    def __init__(self, shown_rows: npt.NDArray[np.float64], counts: npt.NDArray[np.float64]) -> None:
        n = counts.shape[1]
        if len(shown_rows):
            _, sing, vt = np.linalg.svd(shown_rows, full_matrices=False)
            self.basis = vt[sing > 1e-9 * max(1.0, float(sing[0]))]
        else:
            self.basis = np.zeros((0, n))
        self.rest = counts - (counts @ self.basis.T) @ self.basis
        self.pending: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None = None

    def _remainder(self, row: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        for _ in range(2):  # twice: Gram-Schmidt loses orthogonality once
            row = row - (self.basis @ row) @ self.basis
        return row

    def try_add(self, row: npt.NDArray[np.float64]) -> _Fate:
        rest = self._remainder(row)
        norm = float(np.linalg.norm(rest))
        self.pending = None
        if norm < 1e-7:
            return _Fate.IMPLIED
        direction = rest / norm
        along = self.rest @ direction
        left = np.einsum("ij,ij->i", self.rest, self.rest) - along**2
        if np.any(left < 1e-12):
            return _Fate.DISCLOSES
        self.pending = (direction, along)
        return _Fate.OPEN

    def commit(self) -> None:
        if self.pending is None:
            return
        direction, along = self.pending
        self.basis = np.vstack([self.basis, direction])
        self.rest = self.rest - along[:, None] * direction[None, :]
        self.pending = None


class _Search:
    """The three phases over one LP model and one pool of witnesses."""

    def __init__(self, s: Structure, t: int, sensitive: npt.NDArray[np.int64], show: set[int]) -> None:
        self.s = s
        self.t = t
        self.show = show
        self.cost = s.cell_values.astype(np.float64) + 1.0
        self.rows = s.cell_rows.astype(np.float64)
        self.counts = s.count_rows[sensitive].astype(np.float64)
        # Checks in a fixed order: per small count, first "down to 0", then "up to t".
        self.checks = [(int(k), up) for k in sensitive for up in (False, True)]
        self.derived = [int(k) for k in sensitive if s.count_cell[k] < 0]
        self.lp = WitnessLP(s, t, self.derived, fixed=show)
        self.solves = 0
        self.pool = np.zeros((0, s.cell_rows.shape[1]))
        self.recent: list[int] = []  # checks that failed lately: tried first, they tend to fail again

    # -- pool -------------------------------------------------------------------------------
    def _answers(self, points: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        """points x checks: does the point answer the check (count <= 0, or count >= t)?"""
        values = points @ self.counts.T
        out = np.empty((len(points), len(self.checks)), dtype=np.bool_)
        out[:, 0::2] = values <= TOL
        out[:, 1::2] = values >= self.t - TOL
        return out

    def _witness(self, check: int) -> npt.NDArray[np.float64] | None:
        k, up = self.checks[check]
        k_index = k  # count index in the structure
        return self.lp.witness(k_index, up)

    # -- phase 1 ----------------------------------------------------------------------------
    def patterns(self, hidden: npt.NDArray[np.bool_]) -> None:
        v = self.s.cell_values
        for c in range(len(v)):
            if c not in self.show:
                self.lp.set_cell(c, 0.0, np.inf, self.cost[c] * (HIDDEN_DISCOUNT if hidden[c] else 1.0))
        answered = np.zeros(len(self.checks), dtype=np.bool_)
        found = []
        for check in range(len(self.checks)):
            if answered[check]:
                continue
            point = self._witness(check)
            if point is None:
                raise DisclosureError(
                    "show", "met de vastgelegde cellen is een klein aantal niet te beschermen"
                )
            found.append(point)
            answered |= self._answers(point[None, :])[0]
            moved = np.flatnonzero(np.abs(self.rows @ point - v) > TOL)
            for c in moved.tolist():
                if not hidden[c]:
                    hidden[c] = True
                    self.lp.set_cell(c, 0.0, np.inf, self.cost[c] * HIDDEN_DISCOUNT)
        self.pool = np.array(found)

    # -- phases 2 and 3 ---------------------------------------------------------------------
    def show_again(self, hidden: npt.NDArray[np.bool_], small: npt.NDArray[np.bool_], hide: set[int]) -> None:
        v = self.s.cell_values
        # A leaner model from here on: shown cells stay shown, so their rows need no slacks.
        self.solves += self.lp.solves
        self.lp = WitnessLP(self.s, self.t, self.derived, fixed=set(np.flatnonzero(~hidden).tolist()))
        for h in np.flatnonzero(hidden).tolist():
            self.lp.set_cell(h, 0.0, np.inf, self.cost[h])
        self.span = _RowSpace(self.rows[~hidden], self.counts)
        tries = sorted(
            (c for c in np.flatnonzero(hidden & ~small).tolist() if c not in hide), key=lambda c: (-v[c], c)
        )
        for c in tries:
            fate = self.span.try_add(self.rows[c])
            if fate is _Fate.DISCLOSES:
                continue  # shown, it would pin a small count down exactly
            if fate is _Fate.IMPLIED:
                self.lp.set_cell(c, float(v[c]), float(v[c]), self.cost[c])
            if fate is _Fate.IMPLIED or self._try(c, float(v[c]), float(v[c])):
                hidden[c] = False
                self.span.commit()

    def round(
        self, hidden: npt.NDArray[np.bool_], rounded: npt.NDArray[np.bool_], hide: set[int], multiple: int
    ) -> None:
        v = self.s.cell_values
        tries = sorted(
            (c for c in np.flatnonzero(hidden & (v >= self.t)).tolist() if c not in hide),
            key=lambda c: (-v[c], c),
        )
        for c in tries:
            r = round_to(int(v[c]), multiple)
            if self._try(c, max(0.0, r - multiple / 2), r + multiple / 2):
                hidden[c] = False
                rounded[c] = True

    def _try(self, c: int, low: float, high: float) -> bool:
        """Publish cell c as lying in [low, high] if every check keeps a witness; else leave it."""
        value = float(self.s.cell_values[c])
        pool = self.pool
        moved = pool @ self.rows[c] - value  # how far each witness moves cell c
        inside = (moved >= low - value - TOL) & (moved <= high - value + TOL)
        answers = self._answers(pool)
        certified = (answers & inside[:, None]).any(axis=0)
        combos = []
        below, above = moved < -TOL, moved > TOL
        for k in np.flatnonzero(~certified).tolist():
            lo = np.flatnonzero(answers[:, k] & below)
            hi = np.flatnonzero(answers[:, k] & above)
            if lo.size and hi.size:
                a, b = pool[lo[0]], pool[hi[0]]
                # The convex combination where cell c is at its true value.
                lam = moved[hi[0]] / (moved[hi[0]] - moved[lo[0]])
                combos.append(lam * a + (1.0 - lam) * b)
                certified[k] = True
        todo = [k for k in self.recent if not certified[k]]
        todo += [k for k in np.flatnonzero(~certified).tolist() if k not in set(self.recent)]
        found: list[npt.NDArray[np.float64]] = []
        ok = True
        # Published from now on (undone below if refused), also when no LP is needed now.
        self.lp.set_cell(c, low, high, self.cost[c])
        if todo:
            done = np.zeros(len(self.checks), dtype=np.bool_)
            for check in todo:
                if done[check]:
                    continue
                point = self._witness(check)
                if point is None:
                    ok = False
                    if check in self.recent:
                        self.recent.remove(check)
                    self.recent.insert(0, check)
                    break
                found.append(point)
                done |= self._answers(point[None, :])[0]
            if not ok:
                self.lp.set_cell(c, 0.0, np.inf, self.cost[c])
        if ok:
            keep = [pool[inside]] + [np.array(p)[None, :] for p in combos + found]
            self.pool = self._prune(np.vstack(keep))
        elif found:
            # Witnesses found with c published are also tables consistent with c hidden.
            self.pool = self._prune(np.vstack([pool, np.array(found)]))
        return ok

    def _prune(self, pool: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Keep the first few witnesses of every check (enough to combine on either side)."""
        answers = self._answers(pool)
        rank = np.cumsum(answers, axis=0) * answers  # 1 for a check's first witness, 2 next...
        useful = ((rank >= 1) & (rank <= PER_CHECK)).any(axis=1)
        return pool[useful]
