"""The suppressor's attack: an LP that looks for a *witness* -- a table consistent with everything
published in which a small count is 0, or at least the threshold.

Variables: the atoms x >= 0 and, per cell c that is not fixed, slacks p_c, m_c >= 0 with
a_c.x - p_c + m_c = v_c (a fixed cell's row is a plain equality). The slacks' upper bounds say what
is published: 0 for a shown cell, the rounding interval for a rounded cell, unbounded for a hidden
cell. The objective, a weighted sum of the slacks, keeps the witness close to the true table: it
moves few and small cells, so it tends to stay valid when more cells are shown later. A check only
changes bounds, so GLOP re-solves from the previous basis (presolve off keeps that possible).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
from ortools.linear_solver import linear_solver_pb2, pywraplp

from .structure import Structure

FloatArray = npt.NDArray[np.float64]


class SolverError(RuntimeError):
    """The LP solver gave neither an optimum nor infeasibility (should not happen)."""


class WitnessLP:
    """One GLOP model; `witness` answers one (count, direction) at a time."""

    def __init__(self, structure: Structure, threshold: int, derived: Iterable[int], fixed: set[int]) -> None:
        self.s = structure
        self.t = float(threshold)
        solver = pywraplp.Solver.CreateSolver("GLOP")
        if solver is None:  # pragma: no cover - GLOP is part of every OR-Tools build
            raise SolverError("GLOP is not available")
        solver.SetSolverSpecificParametersAsString("use_preprocessing: false")
        self.solver = solver
        self.inf = inf = solver.infinity()
        n = structure.cell_rows.shape[1]
        self.x = [solver.NumVar(0.0, inf, "") for _ in range(n)]
        self.p: dict[int, pywraplp.Variable] = {}
        self.m: dict[int, pywraplp.Variable] = {}
        self.m_upper: dict[int, float] = {}
        for c, value in enumerate(structure.cell_values.tolist()):
            row = solver.Constraint(float(value), float(value))
            for j in np.flatnonzero(structure.cell_rows[c]):
                row.SetCoefficient(self.x[j], 1.0)
            if c not in fixed:
                self.p[c] = solver.NumVar(0.0, inf, "")
                self.m[c] = solver.NumVar(0.0, inf, "")
                self.m_upper[c] = inf
                row.SetCoefficient(self.p[c], -1.0)
                row.SetCoefficient(self.m[c], 1.0)
        # Rows for protected counts that are not a published cell, for the "at least t" checks.
        self.derived_row: dict[int, pywraplp.Constraint] = {}
        for k in derived:
            row = solver.Constraint(-inf, inf)
            for j in np.flatnonzero(structure.count_rows[k]):
                row.SetCoefficient(self.x[j], 1.0)
            self.derived_row[k] = row
        self.objective = solver.Objective()
        self.objective.SetMinimization()
        self.solves = 0

    def set_cell(self, c: int, low: float, high: float, weight: float) -> None:
        """What is published about cell c: its value lies in [low, high] (inf: no upper bound)."""
        value = float(self.s.cell_values[c])
        self.p[c].SetUb(self.inf if high == np.inf else high - value)
        self.m_upper[c] = value - low
        self.m[c].SetUb(self.m_upper[c])
        self.objective.SetCoefficient(self.p[c], weight)
        self.objective.SetCoefficient(self.m[c], weight)

    def witness(self, count: int, up: bool) -> FloatArray | None:
        """Atoms of a table consistent with what is published where `count` is 0 (up=False) or at
        least the threshold (up=True); None when there is none."""
        if not up:
            atoms = np.flatnonzero(self.s.count_rows[count])
            for j in atoms:
                self.x[j].SetUb(0.0)
            try:
                return self._solve()
            finally:
                for j in atoms:
                    self.x[j].SetUb(self.inf)
        cell = int(self.s.count_cell[count])
        if cell >= 0:
            # A small cell is never fixed, so it has slacks.
            self.p[cell].SetLb(self.t - float(self.s.cell_values[cell]))
            self.m[cell].SetUb(0.0)
            try:
                return self._solve()
            finally:
                self.p[cell].SetLb(0.0)
                self.m[cell].SetUb(self.m_upper[cell])
        row = self.derived_row[count]
        row.SetLb(self.t)
        try:
            return self._solve()
        finally:
            row.SetLb(-self.inf)

    def _solve(self) -> FloatArray | None:
        self.solves += 1
        status = self.solver.Solve()
        if status == pywraplp.Solver.INFEASIBLE:
            return None
        if status != pywraplp.Solver.OPTIMAL:
            raise SolverError(f"GLOP ended with status {status}")
        response = linear_solver_pb2.MPSolutionResponse()
        self.solver.FillSolutionResponseProto(response)
        return np.array(response.variable_value[: len(self.x)], dtype=np.float64)
