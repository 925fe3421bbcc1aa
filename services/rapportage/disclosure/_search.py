"""The three phases of suppression (see `suppress.py`) over one LP model and one witness pool."""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import numpy.typing as npt

from ._witness import WitnessLP
from .errors import DisclosureError
from .structure import Structure

# Slack for LP round-off: counts are integers, so 1e-6 can never hide a real difference.
TOL = 1e-6
# Moving an already hidden cell costs this fraction of moving a shown one: patterns share cells.
HIDDEN_DISCOUNT = 1e-3
# Witnesses kept per check: a few, so that two often lie on either side of a cell's value.
PER_CHECK = 4


def round_to(value: int, multiple: int) -> int:
    """The nearest multiple (halves go up, so it never depends on float rounding)."""
    return ((2 * value + multiple) // (2 * multiple)) * multiple


class Fate(StrEnum):
    IMPLIED = "implied"  # the shown cells already fix its value: showing it tells nothing new
    DISCLOSES = "discloses"  # shown, it would fix a small count exactly
    OPEN = "open"  # the LPs must decide


class RowSpace:
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

    def try_add(self, row: npt.NDArray[np.float64]) -> Fate:
        rest = self._remainder(row)
        norm = float(np.linalg.norm(rest))
        self.pending = None
        if norm < 1e-7:
            return Fate.IMPLIED
        direction = rest / norm
        along = self.rest @ direction
        left = np.einsum("ij,ij->i", self.rest, self.rest) - along**2
        if np.any(left < 1e-12):
            return Fate.DISCLOSES
        self.pending = (direction, along)
        return Fate.OPEN

    def commit(self) -> None:
        if self.pending is None:
            return
        direction, along = self.pending
        self.basis = np.vstack([self.basis, direction])
        self.rest = self.rest - along[:, None] * direction[None, :]
        self.pending = None


class Search:
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
        count, up = self.checks[check]
        return self.lp.witness(count, up)

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
        self.span = RowSpace(self.rows[~hidden], self.counts)
        tries = sorted(
            (c for c in np.flatnonzero(hidden & ~small).tolist() if c not in hide), key=lambda c: (-v[c], c)
        )
        for c in tries:
            fate = self.span.try_add(self.rows[c])
            if fate is Fate.DISCLOSES:
                continue  # shown, it would pin a small count down exactly
            if fate is Fate.IMPLIED:
                self.lp.set_cell(c, float(v[c]), float(v[c]), self.cost[c])
            if fate is Fate.IMPLIED or self._try(c, float(v[c]), float(v[c])):
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
