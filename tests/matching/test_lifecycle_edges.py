"""Edges of the candidate projection and proposal lifecycle: late events, consent, rejections."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.matching.domain import runs
from services.matching.domain.instance import build
from services.matching.jobs import HANDLERS
from services.matching.models import Candidate, InboxEvent, Proposal, SubjectProgress
from shared.db import utcnow
from shared.events import validate_payload
from shared.jobs import apply_once
from tests.conftest import LoggedIn
from tests.matching.factories import add_candidate, add_proposal, slot_payload, task_payload

TASKS = "/matching/api/v1/tasks"
PROPOSALS = "/matching/api/v1/proposals"


def _db(app):
    return app.extensions["instap"].db


def _profile(pid: str, updated_at, **consent: bool) -> dict:
    return {
        "programme_id": pid,
        "wijk": "wielwijk",
        "pc4": "3317",
        "age_band": "25-45",
        "stage": "intake",
        "language": {"spoken": "B1", "written": "A2"},
        "certificates": [],
        "driving_licence": False,
        "own_transport": True,
        "hours_per_week": 32,
        "days": ["ma"],
        "available_from": None,
        "interests": [],
        "skills": [],
        "work_at_height": True,
        "heavy_work": False,
        "updated_at": updated_at,
        "coach_id": None,
        "consent": {
            "registratie": True,
            "delen_werkgever": consent.get("werkgever", True),
            "delen_opleider": consent.get("opleider", True),
        },
    }


def _apply(db, kind, payload, seq: int) -> bool:
    """Deliver one event as the relay would: with the resident as subject and its number."""
    env = {
        "id": uuid.uuid4().hex,
        "type": kind,
        "version": 1,
        "occurred_at": utcnow().isoformat(),
        "correlation_id": "test",
        "subject": payload["programme_id"],
        "seq": seq,
        "payload": validate_payload(kind, 1, payload),
    }
    return apply_once(db, InboxEvent, env, HANDLERS, progress_model=SubjectProgress, ordered=HANDLERS)


@pytest.mark.both_backends
def test_a_late_older_profile_cannot_bring_back_a_removed_candidate(matching_app):
    db = _db(matching_app)
    t0 = utcnow()
    assert _apply(db, "candidate.upserted", _profile("DW-LATE0001", t0), seq=1)
    assert _apply(
        db, "candidate.removed", {"programme_id": "DW-LATE0001", "reason": "toestemming_ingetrokken"}, 3
    )
    # The older upsert is retried after the removal (RQ backoff): it must change nothing.
    assert not _apply(db, "candidate.upserted", _profile("DW-LATE0001", t0 + timedelta(seconds=1)), seq=2)
    with db.unit_of_work() as s:
        assert s.get(Candidate, "DW-LATE0001") is None  # matching forgot the profile
        assert build(s, t0.date()).candidates == {}
    # A newer profile (consent given again) brings the candidate back.
    assert _apply(db, "candidate.upserted", _profile("DW-LATE0001", t0 + timedelta(seconds=5)), seq=6)
    with db.unit_of_work() as s:
        assert s.get(Candidate, "DW-LATE0001").share_with_employer is True


@pytest.mark.both_backends
def test_a_late_older_profile_cannot_undo_a_consent_withdrawal(matching_app):
    db = _db(matching_app)
    t0 = utcnow()
    _apply(db, "candidate.upserted", _profile("DW-LATE0002", t0), seq=1)
    withdrawn = {
        "programme_id": "DW-LATE0002",
        "purpose": "delen_werkgever",
        "active": False,
        "changed_at": t0 + timedelta(seconds=2),
    }
    assert _apply(db, "consent.changed", withdrawn, seq=3)
    assert not _apply(db, "candidate.upserted", _profile("DW-LATE0002", t0 + timedelta(seconds=1)), seq=2)
    with db.unit_of_work() as s:
        assert s.get(Candidate, "DW-LATE0002").share_with_employer is False


@pytest.fixture
def opened(matching_app, make_user):
    contractor = LoggedIn(matching_app.test_client(), make_user("aannemer", org="Aannemer A"), "/matching")
    trainer = LoggedIn(matching_app.test_client(), make_user("opleider", org="De Beroepentuin"), "/matching")
    task_id = contractor.post(TASKS, json=task_payload()).json["id"]
    slot_id = trainer.post("/matching/api/v1/slots", json=slot_payload()).json["id"]
    return contractor, trainer, task_id, slot_id


def _slot_proposal(db, pid, slot_id, status="coach_akkoord", coach_id=None):
    with db.unit_of_work() as s:
        p = Proposal(
            programme_id=pid,
            opening_key=f"slot:{slot_id}",
            slot_id=slot_id,
            score=0.5,
            coach_id=coach_id,
            explanation={},
            explanation_nl="",
            status=status,
        )
        s.add(p)
        s.flush()
        return p.id


def test_withdrawing_trainer_consent_withdraws_training_proposals_only(matching_app, opened):
    _, trainer, task_id, slot_id = opened
    db = _db(matching_app)
    add_candidate(db, "DW-KIND0001")
    task_p = add_proposal(db, "DW-KIND0001", task_id, status="voorgesteld")
    slot_p = _slot_proposal(db, "DW-KIND0001", slot_id)
    assert len(trainer.get(PROPOSALS).json) == 1
    _apply(
        db,
        "consent.changed",
        {"programme_id": "DW-KIND0001", "purpose": "delen_opleider", "active": False, "changed_at": utcnow()},
        seq=1,
    )
    assert trainer.get(PROPOSALS).json == []
    with db.unit_of_work() as s:
        assert s.get(Proposal, slot_p).status == "ingetrokken"
        assert s.get(Proposal, task_p).status == "voorgesteld"


def test_profile_update_of_trainer_only_candidate_keeps_its_training_proposal(matching_app, opened):
    _, _, _, slot_id = opened
    db = _db(matching_app)
    t0 = utcnow()
    _apply(db, "candidate.upserted", _profile("DW-KIND0002", t0, werkgever=False), seq=1)
    slot_p = _slot_proposal(db, "DW-KIND0002", slot_id)
    _apply(
        db, "candidate.upserted", _profile("DW-KIND0002", t0 + timedelta(seconds=1), werkgever=False), seq=2
    )
    with db.unit_of_work() as s:
        assert s.get(Proposal, slot_p).status == "coach_akkoord"


@pytest.mark.both_backends
def test_a_rejected_pair_is_not_proposed_again(matching_app, opened, make_user):
    contractor, _, task_id, _ = opened
    coach = make_user("jobcoach")
    db = _db(matching_app)
    add_candidate(db, "DW-REJECT01", coach_id=coach.id, wijk="crabbehof")
    with db.unit_of_work() as s:
        run_id = runs.request_run(s, "full", None, "test").id
    runs.execute(db, run_id)
    with db.unit_of_work() as s:
        first = s.scalars(select(Proposal).where(Proposal.programme_id == "DW-REJECT01")).one()
        first_key = first.opening_key
    coach_client = LoggedIn(matching_app.test_client(), coach, "/matching")
    r = coach_client.post(
        f"{PROPOSALS}/{first.id}/coach-decision", json={"accept": False, "reason": "reistijd"}
    )
    assert r.status_code == 200
    with db.unit_of_work() as s:
        run_id = runs.request_run(s, "full", None, "test").id
    runs.execute(db, run_id)
    with db.unit_of_work() as s:
        rows = s.scalars(select(Proposal).where(Proposal.programme_id == "DW-REJECT01")).all()
        assert [p.status for p in rows if p.opening_key == first_key] == ["coach_afgewezen"]
        assert all(p.opening_key != first_key for p in rows if p.status == "voorgesteld")


@pytest.mark.both_backends
def test_one_engaged_proposal_per_resident(matching_app, opened, make_user):
    contractor, _, task_id, slot_id = opened
    coach = make_user("jobcoach")
    db = _db(matching_app)
    add_candidate(db, "DW-TWOTABS1", coach_id=coach.id)
    a = add_proposal(db, "DW-TWOTABS1", task_id, status="voorgesteld", coach_id=coach.id)
    _slot_proposal(db, "DW-TWOTABS1", slot_id, "voorgesteld", coach_id=coach.id)
    coach_client = LoggedIn(matching_app.test_client(), coach, "/matching")
    ids = [p["id"] for p in coach_client.get(PROPOSALS).json]
    assert a in ids and len(ids) == 2
    assert coach_client.post(f"{PROPOSALS}/{ids[0]}/coach-decision", json={"accept": True}).status_code == 200
    second = coach_client.post(f"{PROPOSALS}/{ids[1]}/coach-decision", json={"accept": True})
    assert second.status_code == 409
    # The database itself refuses a second engaged proposal, whatever the code path.
    with pytest.raises(Exception) as exc, db.unit_of_work() as s:
        s.get(Proposal, ids[1]).status = "coach_akkoord"
    assert "unique" in str(exc.value).lower() or "duplicate" in str(exc.value).lower()


def test_closing_a_task_withdraws_its_open_proposals(matching_app, opened):
    contractor, _, task_id, _ = opened
    db = _db(matching_app)
    add_candidate(db, "DW-CLOSE001")
    pid = add_proposal(db, "DW-CLOSE001", task_id)
    assert contractor.delete(f"{TASKS}/{task_id}").status_code == 200
    with db.unit_of_work() as s:
        p = s.get(Proposal, pid)
        assert p.status == "ingetrokken" and p.organisation_reason == "plek_gesloten"


def test_reassigned_resident_moves_proposals_to_new_coach(matching_app, opened, make_user):
    _, _, task_id, _ = opened
    a, b = make_user("jobcoach"), make_user("jobcoach")
    db = _db(matching_app)
    t0 = utcnow()
    profile = _profile("DW-MOVE0001", t0)
    profile["coach_id"] = a.id
    _apply(db, "candidate.upserted", profile, seq=1)
    add_proposal(db, "DW-MOVE0001", task_id, status="voorgesteld", coach_id=a.id)
    moved = dict(profile, coach_id=b.id, updated_at=t0 + timedelta(seconds=1))
    _apply(db, "candidate.upserted", moved, seq=2)
    assert LoggedIn(matching_app.test_client(), a, "/matching").get(PROPOSALS).json == []
    assert len(LoggedIn(matching_app.test_client(), b, "/matching").get(PROPOSALS).json) == 1


def test_deeply_nested_json_is_a_clear_400(matching_app, make_user):
    contractor = LoggedIn(matching_app.test_client(), make_user("aannemer"), "/matching")
    r = contractor.post(TASKS, data="[" * 100000, content_type="application/json")
    assert r.status_code == 400 and r.json["code"] == "bad_request"
