"""Across services: intake → matching → both accept → intake introduces, only with consent."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.intake.models import AuditEntry, Introduction
from services.matching.domain import runs
from tests.conftest import LoggedIn, resident_payload
from tests.matching.factories import task_payload
from tests.support.workers import run_worker_burst

INTAKE = "/intake/api/v1/residents"
PROPOSALS = "/matching/api/v1/proposals"


def _resident(coach_client, consents, **fields):
    pid = coach_client.post(INTAKE, json=resident_payload(**fields)).json["programme_id"]
    for purpose in consents:
        r = coach_client.post(
            f"{INTAKE}/{pid}/consents",
            json={"purpose": purpose, "method": "schriftelijk", "info_version": "2026-01"},
        )
        assert r.status_code == 201
    return pid


@pytest.mark.both_backends
def test_introduction_released_only_after_both_accept_and_with_consent(
    app, matching_app, settings, make_user
):
    coach_user = make_user("jobcoach")
    intake_coach = LoggedIn(app.test_client(), coach_user)
    contractor_user = make_user("aannemer", org="Installateur Dordt")
    contractor = LoggedIn(matching_app.test_client(), contractor_user, "/matching")
    task = contractor.post("/matching/api/v1/tasks", json=task_payload(wijk="wielwijk", places=2))
    task_id = task.json["id"]

    pid = _resident(
        intake_coach,
        ["registratie", "delen_werkgever"],
        first_name="Samira",
        last_name="Bouali",
        email="samira@example.nl",
    )
    run_worker_burst(settings)  # matching receives the pseudonymous profile
    db = matching_app.extensions["instap"].db
    with db.unit_of_work() as s:
        run_id = runs.request_run(s, "full", None, "test").id
    runs.execute(db, run_id)

    coach = LoggedIn(matching_app.test_client(), coach_user, "/matching")
    [proposal] = [p for p in coach.get(PROPOSALS).json if p["programme_id"] == pid]
    assert proposal["task_id"] == task_id
    coach.post(f"{PROPOSALS}/{proposal['id']}/coach-decision", json={"accept": True})
    card = contractor.get(f"{PROPOSALS}/{proposal['id']}").json
    assert "Samira" not in str(card) and "Bouali" not in str(card)

    intake_as_contractor = LoggedIn(app.test_client(), contractor_user)
    run_worker_burst(settings, service="intake")
    assert intake_as_contractor.get("/intake/api/v1/introductions").json == []  # not yet

    assert contractor.post(f"{PROPOSALS}/{proposal['id']}/decision", json={"accept": True}).status_code == 200
    run_worker_burst(settings, service="matching")  # relays matching's outbox
    run_worker_burst(settings, service="intake")  # applies proposal.changed
    intros = intake_as_contractor.get("/intake/api/v1/introductions").json
    assert [i["name"] for i in intros] == ["Samira Bouali"]
    # Nothing in it links it to a candidate card or to the person elsewhere (issue 7).
    assert not {"programme_id", "pseudonym", "id"} & set(intros[0])
    assert intros[0]["proposal_id"] == proposal["id"]  # the one card it belongs to
    assert pid not in str(intros)
    assert intros[0]["contact"] == {"channel": "telefoon", "value": "0612345678"}
    with app.extensions["instap"].db.unit_of_work() as s:
        actions = [a.action for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert "introduction_granted" in actions and "introduction_view" in actions

    # Another organisation sees nothing; a coach may not use this endpoint.
    other = LoggedIn(app.test_client(), make_user("aannemer", org="Ander Bedrijf"))
    assert other.get("/intake/api/v1/introductions").json == []
    assert intake_coach.get("/intake/api/v1/introductions").status_code == 403

    # Consent withdrawn: the introduction is no longer shown.
    intake_coach.delete(f"{INTAKE}/{pid}/consents/delen_werkgever")
    assert intake_as_contractor.get("/intake/api/v1/introductions").json == []


def test_no_introduction_without_employer_consent_at_acceptance(app, matching_app, settings, make_user):
    """The proposal.changed event arrives, but consent is gone: no identity is released."""
    from services.intake.domain.introductions import on_proposal_changed

    coach_user = make_user("jobcoach")
    intake_coach = LoggedIn(app.test_client(), coach_user)
    pid = _resident(intake_coach, ["registratie", "delen_opleider"])
    with app.extensions["instap"].db.unit_of_work() as s:
        on_proposal_changed(
            s,
            {
                "proposal_id": 1,
                "programme_id": pid,
                "status": "aannemer_akkoord",
                "kind": "task",
                "opening_id": 1,
                "organisation_id": 1,
                "opening_title": "Taak",
            },
            {},
        )
        assert s.scalars(select(Introduction)).all() == []
