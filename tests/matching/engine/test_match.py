"""Kind 2 (`instap.match/1`): hard rules, scores, pathways and optimality against references."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings

from services.matching.engine import (
    CRITERIA,
    Weights,
    failing_rules,
    feasible_pairs,
    match,
    match_arcs,
    parse_match,
    score_units,
    why_not,
)

from .reference import failing, optimum, pathway_tasks
from .strategies import match_instance

CONTRACT_EXAMPLE: dict[str, Any] = {
    "format": "instap.match/1",
    "date": "2027-03-01",
    "residents": [
        {
            "id": "r0",
            "wijk": "wielwijk",
            "language": {"spoken": "A2", "written": "A1"},
            "certificates": [{"code": "vca_basis", "valid_until": "2036-01-31"}],
            "driving_licence": True,
            "hours_per_week": 32,
            "available_from": "2027-02-15",
            "interests": ["hulpmonteur_zonnepanelen"],
            "skills": ["meten", "gereedschap"],
            "work_at_height": True,
            "heavy_work": False,
        }
    ],
    "openings": [
        {
            "id": "t0",
            "kind": "task",
            "occupation": "hulpmonteur_zonnepanelen",
            "capacity": 2,
            "wijk": "crabbehof",
            "start_date": "2027-04-01",
            "hours_per_week": 24,
            "skills": ["gereedschap"],
            "requires": {
                "certificates": ["vca_basis"],
                "language_spoken": "A2",
                "language_written": None,
                "driving_licence": False,
                "work_at_height": True,
                "heavy_work": False,
            },
        },
        {
            "id": "s0",
            "kind": "training",
            "occupation": "hulpmonteur_zonnepanelen",
            "capacity": 12,
            "start_date": "2027-03-08",
            "weeks": 6,
            "grants": ["vca_basis", "praktijkverklaring"],
            "requires": {"language_spoken": "A1"},
        },
    ],
}


def test_contract_example_places_the_resident_on_the_task_with_an_explanation() -> None:
    result = match(parse_match(CONTRACT_EXAMPLE)).to_json()
    assert result["assigned"] == 1
    [assignment] = result["assignments"]
    assert (assignment["resident"], assignment["opening"]) == ("r0", "t0")
    assert set(assignment["explanation"]) == set(CRITERIA)
    assert sum(assignment["explanation"].values()) == pytest.approx(assignment["score"], abs=1e-5)
    assert 0 < assignment["score"] <= 1
    assert "leads_to" not in assignment


def _without_vca(start: str) -> dict[str, Any]:
    obj = copy.deepcopy(CONTRACT_EXAMPLE)
    obj["residents"][0]["certificates"] = []
    obj["openings"][0]["start_date"] = start
    return obj


def test_pathway_when_the_training_ends_on_or_before_the_task_start() -> None:
    # s0: 2027-03-08 + 6 weeks = 2027-04-19, the day after its last day.
    result = match(parse_match(_without_vca("2027-04-19")))
    [a] = result.assignments
    assert (a.opening, a.leads_to) == ("s0", "t0")
    assert a.explanation is not None and sum(a.explanation.values()) == pytest.approx(a.score)
    late = match(parse_match(_without_vca("2027-04-18")))
    assert [(x.opening, x.leads_to) for x in late.assignments] == [("s0", None)]


def test_expired_certificate_counts_as_missing() -> None:
    obj = copy.deepcopy(CONTRACT_EXAMPLE)
    obj["residents"][0]["certificates"][0]["valid_until"] = "2027-03-31"
    instance = parse_match(obj)
    assert why_not(instance, "r0", "t0") == ["certificaat_ontbreekt:vca_basis"]
    obj["residents"][0]["certificates"][0]["valid_until"] = "2027-04-01"
    assert why_not(parse_match(obj), "r0", "t0") == []


def test_each_rule_has_its_code() -> None:
    obj = copy.deepcopy(CONTRACT_EXAMPLE)
    obj["residents"][0].update(
        certificates=[],
        language={"spoken": "A1", "written": "pre_A1"},
        driving_licence=False,
        work_at_height=False,
        hours_per_week=8,
        available_from="2027-05-01",
    )
    obj["openings"][0]["requires"].update(language_written="A1", driving_licence=True, heavy_work=True)
    assert sorted(why_not(parse_match(obj), "r0", "t0")) == sorted(
        [
            "certificaat_ontbreekt:vca_basis",
            "taalniveau_spreken",
            "taalniveau_schrijven",
            "rijbewijs",
            "werken_op_hoogte",
            "zwaar_werk",
            "beschikbaarheid",
            "uren",
        ]
    )


def test_weights_are_validated() -> None:
    with pytest.raises(ValueError):
        Weights(skills=-1)
    with pytest.raises(ValueError):
        Weights(training=0)


@settings(max_examples=60, deadline=None)
@given(match_instance(max_residents=12))
def test_feasibility_equals_the_reference_rule_by_rule(obj: dict[str, Any]) -> None:
    instance = parse_match(obj)
    feasible = feasible_pairs(instance)
    got = set(zip(feasible.resident.tolist(), feasible.opening.tolist(), strict=True))
    assert len(got) == feasible.resident.size
    for r, resident in enumerate(obj["residents"]):
        for o, opening in enumerate(obj["openings"]):
            expected = failing(resident, opening)
            assert set(failing_rules(instance, r, o)) == expected
            assert ((r, o) in got) == (not expected), (r, o, expected)


def _reference_arcs(obj: dict[str, Any], weights: Weights) -> tuple[list[int], list[int], list[int]]:
    """Arcs rebuilt from the reference rules; scores come from the engine's own scoring."""
    from services.matching.engine.scoring import score_pairs

    instance = parse_match(obj)
    residents, openings = obj["residents"], obj["openings"]
    res, ops, units = [], [], []
    for r in range(len(residents)):
        for o, opening in enumerate(openings):
            tasks = pathway_tasks(obj, r, o)
            if tasks:
                scores, _ = score_pairs(
                    instance, np.full(len(tasks), r), np.array(tasks), weights, pathway=True
                )
                best = float(scores.max())
            elif not failing(residents[r], opening):
                best = float(score_pairs(instance, np.array([r]), np.array([o]), weights)[0][0])
            else:
                continue
            res.append(r)
            ops.append(o)
            units.append(int(score_units(np.array([best]))[0]))
    return res, ops, units


@settings(max_examples=60, deadline=None)
@given(match_instance())
def test_assignments_respect_every_rule_and_are_optimal(obj: dict[str, Any]) -> None:
    _check_optimal_and_valid(obj)


@settings(max_examples=60, deadline=None)
@given(match_instance(pathways=True))
def test_pathways_are_eligible_and_optimal(obj: dict[str, Any]) -> None:
    _check_optimal_and_valid(obj)


def _check_optimal_and_valid(obj: dict[str, Any]) -> None:
    instance = parse_match(obj)
    result = match(instance)
    residents = {x["id"]: x for x in obj["residents"]}
    openings = {x["id"]: x for x in obj["openings"]}
    assert len({a.resident for a in result.assignments}) == result.assigned
    for opening, used in Counter(a.opening for a in result.assignments).items():
        assert used <= openings[opening]["capacity"]
    for a in result.assignments:
        assert 0 < a.score <= 1
        assert a.explanation is not None
        assert sum(a.explanation.values()) == pytest.approx(a.score, abs=1e-9)
        assert not failing(residents[a.resident], openings[a.opening])
        if a.leads_to is not None:
            r = obj["residents"].index(residents[a.resident])
            s = obj["openings"].index(openings[a.opening])
            t = obj["openings"].index(openings[a.leads_to])
            assert t in pathway_tasks(obj, r, s)
    res, ops, units = _reference_arcs(obj, Weights())
    arcs = match_arcs(instance)
    assert sorted(zip(res, ops, units, strict=True)) == sorted(
        zip(
            arcs.resident.tolist(),
            arcs.opening.tolist(),
            score_units(arcs.score).tolist(),
            strict=True,
        )
    )
    capacity = [o["capacity"] for o in obj["openings"]]
    assert (result.assigned, result.total_units) == optimum(len(obj["residents"]), capacity, res, ops, units)


@settings(max_examples=30, deadline=None)
@given(match_instance(max_residents=12))
def test_blocks_and_rule_by_rule_fallback_agree_with_the_packed_check(obj: dict[str, Any]) -> None:
    from unittest.mock import patch

    from services.matching.engine import feasibility

    instance = parse_match(obj)

    def pairs(block_pairs: int = feasibility.BLOCK_PAIRS) -> set[tuple[int, int]]:
        found = feasible_pairs(instance, block_pairs)
        return set(zip(found.resident.tolist(), found.opening.tolist(), strict=True))

    expected = pairs()
    assert pairs(block_pairs=3) == expected
    with patch.object(feasibility, "_pack", return_value=None):
        assert pairs(block_pairs=5) == expected
