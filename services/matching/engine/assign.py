"""Optimal assignment as min-cost max-flow (OR-Tools), plus a greedy baseline for comparison only.

Network: resident (supply 1) -> opening (capacity 1, cost -score units) -> sink (capacity =
places, demand = number of residents); `solve_max_flow_with_min_cost` may leave supply unrouted.
Every integral flow is an assignment respecting "one opening per resident" and every capacity,
and every such assignment is a flow, so a maximum flow of minimum cost is an
assignment with the most residents and, among those, the highest total score. Network flow has
integral optimal solutions, so the solver's answer is exact for the scores in integer units of
1/SCORE_UNITS (1e-6). The assigned count is exact; the total score is within
assigned / SCORE_UNITS of the optimum for unrounded scores (each score moves by <= 5e-7), and
exact whenever scores have at most 6 decimals.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from ortools.graph.python import min_cost_flow

# Scores are printed to 6 decimals; finer units only lengthen the solve (cost scaling runs
# about log(nodes x largest cost) phases: measured ~20 % slower at 1e9).
SCORE_UNITS = 10**6


class SolverError(RuntimeError):
    """The flow solver did not report an optimal solution (should not happen on valid input)."""


def score_units(score: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Scores in (0, 1] as integers for the solver; a positive score never rounds below 1."""
    return np.maximum(np.rint(score * SCORE_UNITS), 1).astype(np.int64)


def solve_flow(
    n_residents: int,
    capacity: npt.NDArray[np.int64],
    resident: npt.NDArray[np.int64],
    opening: npt.NDArray[np.int64],
    units: npt.NDArray[np.int64],
) -> npt.NDArray[np.bool_]:
    """Which pairs are chosen: most pairs first, then the highest total of `units`."""
    n_pairs = len(resident)
    if n_pairs == 0:
        return np.zeros(0, dtype=np.bool_)
    n_openings = len(capacity)
    sink = n_residents + n_openings
    # bincount, not unique: linear time instead of sorting millions of indexes.
    used_res = np.flatnonzero(np.bincount(resident, minlength=n_residents))
    used_op = np.flatnonzero(np.bincount(opening, minlength=n_openings) * (capacity > 0))
    tails = np.concatenate([resident, n_residents + used_op]).astype(np.int32)
    heads = np.concatenate([n_residents + opening, np.full(len(used_op), sink)]).astype(np.int32)
    caps = np.concatenate([np.ones(n_pairs, dtype=np.int64), capacity[used_op]])
    costs = np.concatenate([-units, np.zeros(len(used_op), dtype=np.int64)])
    flow = min_cost_flow.SimpleMinCostFlow()
    # Pair arcs are added first, so their arc indices are 0 .. n_pairs-1.
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    # Each resident offers one unit; max-flow-with-min-cost routes as many as possible, so
    # "at most one opening per resident" needs no source node and no source arcs.
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[used_res] = 1
    supplies[sink] = -len(used_res)
    flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise SolverError(f"min-cost flow ended with status {status}")
    return np.asarray(flow.flows(np.arange(n_pairs, dtype=np.int32))) > 0


def greedy(
    n_residents: int,
    capacity: npt.NDArray[np.int64],
    resident: npt.NDArray[np.int64],
    opening: npt.NDArray[np.int64],
    score: npt.NDArray[np.float64],
) -> npt.NDArray[np.bool_]:
    """Baseline: best score first, take a pair while both sides are free. Not used by the engine."""
    order = np.argsort(-score, kind="stable")
    taken = bytearray(n_residents)
    left = capacity.tolist()
    chosen = np.zeros(len(resident), dtype=np.bool_)
    picks: list[int] = []
    open_places = sum(left)
    for p, r, o in zip(order.tolist(), resident[order].tolist(), opening[order].tolist(), strict=True):
        if taken[r] or left[o] == 0:
            continue
        taken[r] = 1
        left[o] -= 1
        picks.append(p)
        open_places -= 1
        if open_places == 0:
            break
    chosen[picks] = True
    return chosen
