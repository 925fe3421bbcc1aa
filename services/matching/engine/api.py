"""Public entry points the matching service and the CLI call: no Flask, no database."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from time import perf_counter
from typing import Any

import numpy as np
import numpy.typing as npt

from .assign import score_units, solve_flow
from .feasibility import failing_rules, feasible_pairs
from .instance import PAIRS_FORMAT, PairsInstance, parse_pairs
from .match_instance import MatchInstance
from .pathways import find_pathways
from .result import Assignment, Result
from .scoring import CRITERIA, Proximity, Weights, bulk_scores, score_pairs


def solve(instance: PairsInstance) -> Result:
    """Kind 1: assign scored pairs optimally (most residents, then highest total score)."""
    start = perf_counter()
    units = score_units(instance.score)
    chosen = np.flatnonzero(
        solve_flow(
            len(instance.resident_ids),
            instance.capacity,
            instance.resident,
            instance.opening,
            units,
        )
    )
    solved = perf_counter()
    chosen = chosen[np.argsort(instance.resident[chosen], kind="stable")]
    assignments = [
        Assignment(instance.resident_ids[r], instance.opening_ids[o], s)
        for r, o, s in zip(
            instance.resident[chosen].tolist(),
            instance.opening[chosen].tolist(),
            instance.score[chosen].tolist(),
            strict=True,
        )
    ]
    return Result(
        assignments,
        total_score=float(instance.score[chosen].sum()),
        total_units=int(units[chosen].sum()),
        seconds={"score": 0.0, "solve": solved - start},
    )


def _plain(value: Any) -> Any:
    """numpy columns as Python lists, so the same validation applies to API and file input."""
    return value.tolist() if isinstance(value, np.ndarray) else list(value)


def solve_pairs(
    residents: Sequence[str], openings: Sequence[Mapping[str, Any]], pairs: Mapping[str, Any]
) -> Result:
    """Kind 1 from Python values shaped like the JSON; raises InstanceError on bad input."""
    instance = parse_pairs(
        {
            "format": PAIRS_FORMAT,
            "residents": list(residents),
            "openings": [dict(o) for o in openings],
            "pairs": {k: _plain(v) for k, v in pairs.items()},
        }
    )
    return solve(instance)


@dataclass(frozen=True)
class Arcs:
    """Allowed (resident, opening) assignments with scores; `leads_to` is -1 off pathways."""

    resident: npt.NDArray[np.int64]
    opening: npt.NDArray[np.int64]
    leads_to: npt.NDArray[np.int64]
    score: npt.NDArray[np.float64]


def match_arcs(
    instance: MatchInstance, weights: Weights = Weights(), proximity: Proximity | None = None
) -> Arcs:
    """Feasibility over every resident x opening, scores, and pathway arcs for trainings."""
    proximity = proximity or Proximity()
    feasible = feasible_pairs(instance)
    score = bulk_scores(instance, feasible.resident, feasible.opening, weights, proximity)
    paths = find_pathways(instance, feasible, weights, proximity)
    n_op = max(1, len(instance.openings.ids))
    # A (resident, training) pair with a pathway is that pathway, not a plain training seat.
    # Only the (few) training pairs are compared, so the membership test stays cheap.
    plain = np.ones(feasible.resident.size, dtype=np.bool_)
    on_training = np.flatnonzero(instance.openings.is_training[feasible.opening])
    plain[on_training] = ~np.isin(
        feasible.resident[on_training] * n_op + feasible.opening[on_training],
        paths.resident * n_op + paths.training,
    )
    return Arcs(
        resident=np.concatenate([feasible.resident[plain], paths.resident]),
        opening=np.concatenate([feasible.opening[plain], paths.training]),
        leads_to=np.concatenate([np.full(int(plain.sum()), -1, dtype=np.int64), paths.task]),
        score=np.concatenate([score[plain], paths.score]),
    )


def match(
    instance: MatchInstance,
    weights: Weights = Weights(),
    proximity: Proximity | None = None,
    allow: Callable[[Arcs], npt.NDArray[np.bool_]] | None = None,
) -> Result:
    """Kind 2: check, score and assign optimally; every assignment carries its explanation.

    `allow` lets a caller drop arcs by rules the engine does not know (the service uses it for
    consent per kind of opening); the solve stays optimal over the arcs that remain.
    """
    proximity = proximity or Proximity()
    start = perf_counter()
    arcs = match_arcs(instance, weights, proximity)
    if allow is not None:
        keep = np.asarray(allow(arcs), dtype=np.bool_)
        arcs = Arcs(arcs.resident[keep], arcs.opening[keep], arcs.leads_to[keep], arcs.score[keep])
    scored = perf_counter()
    units = score_units(arcs.score)
    chosen = np.flatnonzero(
        solve_flow(
            len(instance.residents.ids),
            instance.openings.capacity,
            arcs.resident,
            arcs.opening,
            units,
        )
    )
    solved = perf_counter()
    chosen = chosen[np.argsort(arcs.resident[chosen], kind="stable")]
    r, o, to = arcs.resident[chosen], arcs.opening[chosen], arcs.leads_to[chosen]
    # Explanations only for the chosen few; a pathway is explained by the task it leads to.
    _, parts = score_pairs(instance, r, np.where(to >= 0, to, o), weights, proximity, pathway=to >= 0)
    res_ids, op_ids = instance.residents.ids, instance.openings.ids
    assignments = [
        Assignment(
            res_ids[ri],
            op_ids[oi],
            s,
            explanation={name: float(parts[name][i]) for name in CRITERIA},
            leads_to=op_ids[ti] if ti >= 0 else None,
        )
        for i, (ri, oi, ti, s) in enumerate(
            zip(r.tolist(), o.tolist(), to.tolist(), arcs.score[chosen].tolist(), strict=True)
        )
    ]
    return Result(
        assignments,
        total_score=float(arcs.score[chosen].sum()),
        total_units=int(units[chosen].sum()),
        seconds={"score": scored - start, "solve": solved - scored},
    )


def run(instance: PairsInstance | MatchInstance, weights: Weights = Weights()) -> Result:
    """Either kind of instance."""
    if isinstance(instance, PairsInstance):
        return solve(instance)
    return match(instance, weights)


def why_not(instance: MatchInstance, resident_id: str, opening_id: str) -> list[str]:
    """Rule codes a (resident, opening) pair breaks, by id; [] when the pair is allowed."""
    try:
        r = instance.residents.ids.index(resident_id)
        o = instance.openings.ids.index(opening_id)
    except ValueError:
        raise KeyError(f"unknown resident {resident_id!r} or opening {opening_id!r}") from None
    return failing_rules(instance, r, o)
