"""Kind 1 (`instap.pairs/1`): validity, optimality against CP-SAT, and the greedy baseline."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from hypothesis import given, settings

from services.matching.engine import greedy, parse_pairs, score_units, solve, solve_pairs

from .reference import optimum
from .strategies import pairs_instance

CONTRACT_EXAMPLE = {
    "format": "instap.pairs/1",
    "residents": ["r0", "r1", "r2"],
    "openings": [{"id": "t0", "capacity": 2}, {"id": "t1", "capacity": 1}],
    "pairs": {"resident": [0, 0, 1, 2], "opening": [0, 1, 0, 1], "score": [0.9, 0.4, 0.7, 0.55]},
}


def test_contract_example_assigns_everyone_at_the_best_total() -> None:
    result = solve(parse_pairs(CONTRACT_EXAMPLE)).to_json()
    assert [(a["resident"], a["opening"], a["score"]) for a in result["assignments"]] == [
        ("r0", "t0", 0.9),
        ("r1", "t0", 0.7),
        ("r2", "t1", 0.55),
    ]
    assert result["assigned"] == 3
    assert result["total_score"] == 2.15
    assert result["format"] == "instap.result/1"
    assert set(result["seconds"]) == {"read", "score", "solve"}


def test_count_comes_before_score() -> None:
    # r0 alone on t0 scores 1.0; r0 on t1 and r1 on t0 score 0.2 in total, but place two people.
    result = solve_pairs(
        ["r0", "r1"],
        [{"id": "t0", "capacity": 1}, {"id": "t1", "capacity": 1}],
        {"resident": [0, 0, 1], "opening": [0, 1, 0], "score": [1.0, 0.1, 0.1]},
    )
    assert result.assigned == 2
    assert {(a.resident, a.opening) for a in result.assignments} == {("r0", "t1"), ("r1", "t0")}


def test_api_accepts_numpy_columns() -> None:
    result = solve_pairs(
        ["a"],
        [{"id": "t", "capacity": 1}],
        {"resident": np.array([0]), "opening": np.array([0]), "score": np.array([0.5])},
    )
    assert result.assigned == 1


def _check_valid(obj: dict[str, Any], chosen: list[tuple[str, str]]) -> None:
    allowed = {
        (obj["residents"][r], obj["openings"][o]["id"])
        for r, o in zip(obj["pairs"]["resident"], obj["pairs"]["opening"], strict=True)
    }
    capacity = {o["id"]: o["capacity"] for o in obj["openings"]}
    assert set(chosen) <= allowed
    assert len({r for r, _ in chosen}) == len(chosen), "a resident assigned twice"
    for opening, used in Counter(o for _, o in chosen).items():
        assert used <= capacity[opening]


@settings(max_examples=80, deadline=None)
@given(pairs_instance())
def test_optimal_and_valid_on_small_instances(obj: dict[str, Any]) -> None:
    instance = parse_pairs(obj)
    result = solve(instance)
    _check_valid(obj, [(a.resident, a.opening) for a in result.assignments])
    units = score_units(instance.score)
    expected = optimum(
        len(instance.resident_ids),
        instance.capacity.tolist(),
        instance.resident.tolist(),
        instance.opening.tolist(),
        units.tolist(),
    )
    assert (result.assigned, result.total_units) == expected
    assert abs(result.total_score - sum(a.score for a in result.assignments)) < 1e-9


@settings(max_examples=80, deadline=None)
@given(pairs_instance())
def test_greedy_is_valid_and_never_beats_the_optimum(obj: dict[str, Any]) -> None:
    instance = parse_pairs(obj)
    chosen = greedy(
        len(instance.resident_ids),
        instance.capacity,
        instance.resident,
        instance.opening,
        instance.score,
    )
    _check_valid(
        obj,
        [
            (instance.resident_ids[r], instance.opening_ids[o])
            for r, o in zip(instance.resident[chosen], instance.opening[chosen], strict=True)
        ],
    )
    result = solve(instance)
    units = score_units(instance.score)
    assert (int(chosen.sum()), int(units[chosen].sum())) <= (result.assigned, result.total_units)
