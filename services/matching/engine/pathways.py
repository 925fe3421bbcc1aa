"""Training pathways: a seat on a training that mends the certificates a resident lacks for a task.

Eligibility of (resident r, training s, task t):
  * r fails task t on certificates only (every other task rule holds, including availability and
    hours on the task's start date), and each missing certificate is in s's `grants`;
  * s ends on or before t starts: end = start_date + 7 * weeks is the day after the last training
    day, so a 6-week training starting Monday 2027-03-08 fits a task starting Monday 2027-04-19;
  * r meets s itself (its `requires`, available on its start date).

Capacity model: a pathway uses a training seat only. It does not reserve a place on the task;
`leads_to` names the best-scoring eligible task (ties: the lowest opening index). Reserving the task
place too would make one assignment use two capacities in series (seat and place), which is a
three-index matching problem: its linear relaxation is no longer a network and can be fractional,
so a flow solver could no longer prove the optimum. Seat-only keeps the problem a pure min-cost
flow, solved exactly. The task place is claimed in a later run, once the certificate is held.

Score of a pathway arc: the score of resident r on the task it leads to (the criteria do not look
at certificates, so this is the score r will have there) times `Weights.pathway` (0.9 by
default). A (resident, training) pair with at least one eligible task is a pathway; without one
it is a plain training assignment scored on the training itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .feasibility import Feasible
from .match_instance import MatchInstance
from .scoring import Proximity, Weights, bulk_scores


@dataclass(frozen=True)
class Pathways:
    """One row per (resident, training) pair that leads to a task."""

    resident: npt.NDArray[np.int64]
    training: npt.NDArray[np.int64]
    task: npt.NDArray[np.int64]
    score: npt.NDArray[np.float64]


def _empty() -> Pathways:
    none = np.zeros(0, dtype=np.int64)
    return Pathways(none, none, none, np.zeros(0, dtype=np.float64))


def find_pathways(
    inst: MatchInstance, feasible: Feasible, weights: Weights, proximity: Proximity
) -> Pathways:
    """The best eligible task for every (resident, training) pair that has one."""
    op = inst.openings
    trainings = np.flatnonzero(op.is_training)
    if trainings.size == 0 or feasible.near_resident.size == 0:
        return _empty()
    # Which residents may sit each training: a dense residents x trainings table (few trainings).
    column = np.full(len(op.ids), -1, dtype=np.int64)
    column[trainings] = np.arange(trainings.size)
    on_training = op.is_training[feasible.opening]
    may_sit = np.zeros((len(inst.residents.ids), trainings.size), dtype=np.bool_)
    may_sit[feasible.resident[on_training], column[feasible.opening[on_training]]] = True

    near_r, near_t, missing = feasible.near_resident, feasible.near_opening, feasible.near_missing
    # Drop near pairs no training can take before the work loop: residents who may sit no
    # training, tasks starting before the first training ends.
    sits_any = np.any(may_sit, axis=1)
    keep = sits_any[near_r] & (op.start[near_t] >= op.end[trainings].min())
    # Sorted by task start, the tasks a training ends in time for are a suffix: a slice, no mask.
    by_start = np.argsort(op.start[near_t[keep]], kind="stable")
    chosen = np.flatnonzero(keep)[by_start]
    near_r, near_t = near_r[chosen], near_t[chosen]
    missing_words = [np.ascontiguousarray(missing[chosen, w]) for w in range(missing.shape[1])]
    near_start = op.start[near_t]
    parts_r, parts_s, parts_t = [], [], []
    for j, s in enumerate(trainings.tolist()):
        in_time = int(np.searchsorted(near_start, op.end[s], side="left"))
        ok = np.ascontiguousarray(may_sit[:, j])[near_r[in_time:]]
        for word, miss in enumerate(missing_words):
            ok &= (miss[in_time:] & ~op.grants[s, word]) == 0
        idx = in_time + np.flatnonzero(ok)
        parts_r.append(near_r[idx])
        parts_t.append(near_t[idx])
        parts_s.append(np.full(idx.size, s, dtype=np.int64))
    r = np.concatenate(parts_r)
    if r.size == 0:
        return _empty()
    s_arr, t = np.concatenate(parts_s), np.concatenate(parts_t)
    score = bulk_scores(inst, r, t, weights, proximity, pathway=True)
    # Best task per (resident, training): sort by resident, training, score desc, task asc.
    order = np.lexsort((t, -score, s_arr, r))
    r, s_arr, t, score = r[order], s_arr[order], t[order], score[order]
    first = np.ones(r.size, dtype=np.bool_)
    first[1:] = (r[1:] != r[:-1]) | (s_arr[1:] != s_arr[:-1])
    return Pathways(resident=r[first], training=s_arr[first], task=t[first], score=score[first])
