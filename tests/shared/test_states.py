"""One vocabulary for states (shared/states.py): the tables, and who follows them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import ValidationError

from shared import reference
from shared.errors import Conflict
from shared.events import validate_payload
from shared.pages import ReferenceLabels
from shared.states import FUNNEL, OPENING, PROPOSAL, RUN, StateMachine, WrongState

MACHINES = [FUNNEL, PROPOSAL, RUN, OPENING]


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.name)
def test_every_state_has_a_row_and_every_step_leads_to_a_state(machine: StateMachine[Any]) -> None:
    assert set(machine.transitions) == set(machine.states)
    for source, targets in machine.transitions.items():
        assert set(targets) <= set(machine.states), source
        assert source not in targets, f"{source} -> itself is not a step"


@given(data=st.data())
def test_check_allows_exactly_the_table(data: st.DataObject) -> None:
    machine = data.draw(st.sampled_from(MACHINES))
    source = data.draw(st.sampled_from(machine.values + ("onbekend",)))
    target = data.draw(st.sampled_from(machine.values + ("onbekend",)))
    allowed = target in machine.allowed(source)
    assert machine.can(source, target) is allowed
    if allowed:
        assert machine.check(source, target) == target
    else:
        with pytest.raises(WrongState) as refused:
            machine.check(source, target, "Kan niet.")
        assert isinstance(refused.value, Conflict) and refused.value.status == 409
        assert refused.value.code == "wrong_state" and refused.value.message == "Kan niet."


def test_the_plain_reference_lists_are_views_of_the_funnel_table() -> None:
    assert FUNNEL.values == reference.STAGES
    assert {s: tuple(t) for s, t in FUNNEL.transitions.items()} == reference.STAGE_TRANSITIONS
    assert set(reference.FUNNEL_ORDER) | set(reference.EXIT_STAGES) == set(FUNNEL.values)


def test_finished_proposals_and_runs_go_nowhere() -> None:
    assert {s.value for s in PROPOSAL.terminal()} == {
        "coach_afgewezen",
        "aannemer_afgewezen",
        "geplaatst",
        "ingeschreven",
    }
    assert {s.value for s in RUN.terminal()} == {"done", "failed"}


def _proposal_changed(status: str) -> dict[str, Any]:
    return {
        "proposal_id": 1,
        "programme_id": "DW-ABC",
        "status": status,
        "kind": "task",
        "opening_id": 2,
        "organisation_id": 3,
        "opening_title": "Schilderwerk",
        "changed_at": datetime(2026, 1, 1, tzinfo=UTC),
    }


@pytest.mark.parametrize("status", PROPOSAL.values)
def test_proposal_changed_carries_every_proposal_state(status: str) -> None:
    assert validate_payload("proposal.changed", 1, _proposal_changed(status))["status"] == status


@pytest.mark.parametrize("status", ["geaccepteerd", "", "VOORGESTELD", "open"])
def test_proposal_changed_refuses_a_state_the_table_does_not_know(status: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_payload("proposal.changed", 1, _proposal_changed(status))
    assert "status" in refused.value.messages


class _Labels(ReferenceLabels):
    days = {"ma": "Maandag", "di": "Dinsdag", "wo": "Woensdag"}
    ladder = {1: "Geïsoleerd", 2: "Sociale contacten buitenshuis"}


def test_the_shared_label_helpers(app: Any) -> None:
    labels = _Labels()
    with app.test_request_context("/intake/"):
        assert labels.labels_for("days", ["wo", "ma", "xx"]) == ["Maandag", "Woensdag", "xx"]
        assert labels.label("ladder", "2") == "Sociale contacten buitenshuis"
        assert labels.label("days", None) == "" and labels.label("days", "zz") == "zz"
        assert labels.options("levels")["B1"].startswith("B1")
