"""Across services: a training proposal accepted → enrolment → the cohort page names the resident
(asked from intake) → afronden → the certificate flows back into intake's profile, and matching's
next profile has it, so a task that needs it can be proposed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.intake.models import AuditEntry, Resident
from services.matching.models import Candidate, Proposal
from tests.conftest import LoggedIn
from tests.matching.factories import slot_payload, slot_pseudonym
from tests.matching.test_enrolments import ENROLMENTS, completion
from tests.reliability.test_introduction_flow import INTAKE, _resident
from tests.support.workers import run_worker_burst


@pytest.mark.both_backends
def test_completed_training_reaches_the_profile_and_the_cohort_shows_the_first_name(
    app, matching_app, settings, make_user
):
    coach_user = make_user("jobcoach")
    intake_coach = LoggedIn(app.test_client(), coach_user)
    trainer_user = make_user("opleider", org="De Beroepentuin")
    trainer = LoggedIn(matching_app.test_client(), trainer_user, "/matching")
    slot_id = trainer.post("/matching/api/v1/slots", json=slot_payload()).json["id"]
    pid = _resident(intake_coach, ["registratie", "delen_opleider"], first_name="Samira", last_name="Bouali")
    for stage in ("intake", "opleiding"):
        assert intake_coach.post(f"{INTAKE}/{pid}/stages", json={"to_stage": stage}).status_code == 201
    run_worker_burst(settings)  # matching receives the pseudonymous profile
    db = matching_app.extensions["instap"].db
    with db.unit_of_work() as s:
        p = Proposal(
            programme_id=pid,
            opening_key=f"slot:{slot_id}",
            slot_id=slot_id,
            coach_id=coach_user.id,
            score=0.9,
            explanation={},
            explanation_nl="past",
            status="coach_akkoord",
        )
        s.add(p)
        s.flush()
        proposal_id = p.id

    assert (
        trainer.post(f"/matching/api/v1/proposals/{proposal_id}/decision", json={"accept": True}).status_code
        == 200
    )
    page = trainer.get(f"/matching/plekken/{slot_id}/cohort").get_data(as_text=True)
    # No introduction yet: the trainer's own pseudonym, never the programme id.
    assert slot_pseudonym(matching_app, pid, slot_id) in page
    assert pid not in page and "Samira" not in page
    run_worker_burst(settings, service="matching")  # relays proposal.changed
    run_worker_burst(settings, service="intake")  # intake grants the introduction
    page = trainer.get(f"/matching/plekken/{slot_id}/cohort").get_data(as_text=True)
    assert "Samira" in page and "Bouali" not in page  # the first name only

    [enrolment] = trainer.get(ENROLMENTS).json
    for status in ("orientatie", "opleiding"):
        trainer.post(f"{ENROLMENTS}/{enrolment['id']}/status", json={"status": status})
    form = trainer.get(f"/matching/plekken/{slot_id}/cohort/afronden").get_data(as_text=True)
    assert 'value="S."' in form  # initials from intake, for the certificate
    issued = trainer.post(f"{ENROLMENTS}/{enrolment['id']}/complete", json=completion(initials="S."))
    assert issued.status_code == 201

    run_worker_burst(settings, service="matching")  # relays certificate.changed
    run_worker_burst(settings, service="intake")  # intake adds it, moves the stage, sends the profile
    with app.extensions["instap"].db.unit_of_work() as s:
        resident = s.scalar(select(Resident).where(Resident.programme_id == pid))
        assert {c.code for c in resident.certificates} >= {"praktijkverklaring", "vca_basis"}
        assert resident.stage == "gecertificeerd"
        assert "certificate_received" in {a.action for a in s.scalars(select(AuditEntry))}
    run_worker_burst(settings, service="intake")  # relays the new profile
    run_worker_burst(settings, service="matching")  # matching applies it
    with db.unit_of_work() as s:
        codes = {c["code"] for c in s.get(Candidate, pid).certificates}
        assert "praktijkverklaring" in codes

    # Revoking takes the praktijkverklaring off the profile again.
    code = next(c["verification_code"] for c in issued.json if c["kind"] == "praktijkverklaring")
    trainer.post(f"/matching/api/v1/certificates/{code}/revoke", json={"reason": "fout_in_gegevens"})
    run_worker_burst(settings, service="matching")
    run_worker_burst(settings, service="intake")
    with app.extensions["instap"].db.unit_of_work() as s:
        resident = s.scalar(select(Resident).where(Resident.programme_id == pid))
        assert "praktijkverklaring" not in {c.code for c in resident.certificates}
