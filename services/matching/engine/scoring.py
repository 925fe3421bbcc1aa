"""Weighted criteria for feasible pairs; each criterion's share is kept for the explanation.

A pair's score is factor * sum(weight_i * value_i) / sum(weights) with every value in [0, 1] and
the factor in (0, 1] (1 for a task, lower for a training seat or a pathway). The distance
value is never 0, so with the default weights every feasible pair scores in (0, 1]; with custom
weights that zero the distance, a floor of MIN_SCORE keeps the score positive.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from .match_instance import MatchInstance

CRITERIA = ("skills", "distance", "interest", "language")
MIN_SCORE = 1e-6
# Levels above the requirement that still add to the language value; beyond this it is "enough".
LANGUAGE_MARGIN_CAP = 2

DORDT_WEST = {
    "oud_krispijn": "dordt_west",
    "nieuw_krispijn": "dordt_west",
    "wielwijk": "dordt_west",
    "crabbehof": "dordt_west",
    "overig_dordrecht": "dordrecht",
}


@dataclass(frozen=True)
class Weights:
    """Relative importance of each criterion; normalised, so only the ratios matter."""

    skills: float = 0.40
    distance: float = 0.25
    interest: float = 0.20
    language: float = 0.15
    # Factors, not criteria: a seat on a training alone is worth less than a job, and a pathway
    # (a job after a course) a little less than the job now, so a resident who can start a task
    # is not parked on a training just to fill seats.
    training: float = 0.5
    pathway: float = 0.9

    def __post_init__(self) -> None:
        values = [getattr(self, name) for name in CRITERIA]
        if any(not math.isfinite(v) or v < 0 for v in values) or sum(values) <= 0:
            raise ValueError("criterion weights must be finite, >= 0, and not all 0")
        for name in ("training", "pathway"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"factor {name} must be in (0, 1]")

    def normalised(self) -> dict[str, float]:
        total = sum(getattr(self, name) for name in CRITERIA)
        return {name: getattr(self, name) / total for name in CRITERIA}


@dataclass(frozen=True)
class Proximity:
    """Distance value by wijk: areas group wijken (reference data, Dordt West by default)."""

    same_wijk: float = 1.0
    same_area: float = 0.6
    elsewhere: float = 0.3
    unknown: float = 0.5
    areas: Mapping[str, str] = field(default_factory=lambda: dict(DORDT_WEST))

    def table(self, wijk_codes: list[str]) -> npt.NDArray[np.float64]:
        """(n+1) x (n+1) lookup; the last row and column stand for "wijk not given" (index -1)."""
        n = len(wijk_codes)
        # A wijk outside every area forms an area of its own.
        numbers: dict[str, int] = {}
        area = np.array(
            [numbers.setdefault(self.areas.get(c, "#" + c), len(numbers)) for c in wijk_codes],
            dtype=np.int64,
        )
        table = np.full((n + 1, n + 1), self.unknown, dtype=np.float64)
        same_area = area[:, None] == area[None, :]
        table[:n, :n] = np.where(same_area, self.same_area, self.elsewhere)
        table[np.arange(n), np.arange(n)] = self.same_wijk
        return table


def criterion_values(
    inst: MatchInstance, r: npt.NDArray[np.int64], o: npt.NDArray[np.int64], proximity: Proximity
) -> dict[str, npt.NDArray[np.float64]]:
    """Each criterion in [0, 1] for the pairs (r[i], o[i])."""
    res, op = inst.residents, inst.openings
    # Gathers go word by word on contiguous columns: much faster than 2-D fancy indexing.
    shared = np.zeros(len(r), dtype=np.int64)
    for word in range(op.skills.shape[1]):
        res_word = np.ascontiguousarray(res.skills[:, word])
        op_word = np.ascontiguousarray(op.skills[:, word])
        shared += np.bitwise_count(res_word[r] & op_word[o])
    n_skills = op.n_skills[o]
    # An opening that asks no skills is fully met by anyone.
    skills = np.where(n_skills > 0, shared / np.maximum(n_skills, 1), 1.0)
    table = proximity.table(inst.wijk_codes)
    # Index -1 ("not given") picks the last row or column, as numpy negative indexes do.
    distance = table.ravel()[(res.wijk[r] % table.shape[0]) * table.shape[1] + op.wijk[o] % table.shape[1]]
    occupation = op.occupation[o]
    interest = np.zeros(len(r), dtype=np.float64)
    for word in range(res.interests.shape[1]):
        in_word = (occupation >> 6) == word
        bits = np.ascontiguousarray(res.interests[:, word])[r]
        hit = (bits >> (occupation & 63).astype(np.uint64)) & np.uint64(1)
        interest[in_word & (hit == 1)] = 1.0
    margin_spoken = np.clip(res.spoken[r] - np.maximum(op.req_spoken[o], 0), 0, LANGUAGE_MARGIN_CAP)
    margin_written = np.clip(res.written[r] - np.maximum(op.req_written[o], 0), 0, LANGUAGE_MARGIN_CAP)
    language = (margin_spoken + margin_written) / (2.0 * LANGUAGE_MARGIN_CAP)
    return {"skills": skills, "distance": distance, "interest": interest, "language": language}


def score_pairs(
    inst: MatchInstance,
    r: npt.NDArray[np.int64],
    o: npt.NDArray[np.int64],
    weights: Weights = Weights(),
    proximity: Proximity | None = None,
    pathway: npt.NDArray[np.bool_] | bool = False,
) -> tuple[npt.NDArray[np.float64], dict[str, npt.NDArray[np.float64]]]:
    """Scores in (0, 1] and each criterion's contribution (weight x value x factor) to them.

    `pathway` marks pairs scored on the task a training leads to (factor `weights.pathway`);
    other pairs on a training get `weights.training`, pairs on a task 1.
    """
    values = criterion_values(inst, r, o, proximity or Proximity())
    share = weights.normalised()
    factor = np.where(pathway, weights.pathway, np.where(inst.openings.is_training[o], weights.training, 1.0))
    contributions = {name: share[name] * values[name] * factor for name in CRITERIA}
    total = np.zeros(len(r), dtype=np.float64)
    for part in contributions.values():
        total += part
    return np.clip(total, MIN_SCORE, 1.0), contributions


# Pairs scored per step in bulk: small temporaries are reused by the allocator instead of being
# mapped fresh (page faults cost more than the arithmetic at millions of pairs).
SCORE_CHUNK = 1 << 16


def bulk_scores(
    inst: MatchInstance,
    r: npt.NDArray[np.int64],
    o: npt.NDArray[np.int64],
    weights: Weights = Weights(),
    proximity: Proximity | None = None,
    pathway: bool = False,
) -> npt.NDArray[np.float64]:
    """The scores of `score_pairs` for millions of pairs, without keeping the contributions."""
    proximity = proximity or Proximity()
    out = np.empty(len(r), dtype=np.float64)
    for lo in range(0, len(r), SCORE_CHUNK):
        hi = min(len(r), lo + SCORE_CHUNK)
        out[lo:hi] = score_pairs(inst, r[lo:hi], o[lo:hi], weights, proximity, pathway)[0]
    return out
