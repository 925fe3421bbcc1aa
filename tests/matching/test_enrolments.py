"""Enrolments: from an accepted proposal or a coach, the phases with their dates, seats under
concurrency, completion with the praktijkverklaring (all or nothing), consent withdrawal."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.matching.jobs import HANDLERS
from services.matching.models import Certificate, Enrolment, OutboxEvent, Proposal, TrainingSlot
from shared import clock
from shared.db import utcnow
from tests.conftest import LoggedIn
from tests.matching.factories import add_candidate, slot_payload

SLOTS = "/matching/api/v1/slots"
ENROLMENTS = "/matching/api/v1/enrolments"
PROPOSALS = "/matching/api/v1/proposals"


def _db(app):
    return app.extensions["instap"].db


def completion(**overrides):
    data = {
        "initials": "J.A.",
        "school": "ROC Da Vinci College",
        "leerbedrijf": "De Beroepentuin",
        "sbb_id": "100234567",
        "crebo": "25398",
        "kwalificatie": "Monteur elektrotechnische installaties",
        "werkprocessen": ["B1-K1-W1"],
        "judged_on": clock.today().isoformat(),
        "other_certificates": [{"code": "vca_basis", "obtained_on": clock.today().isoformat()}],
    }
    data.update(overrides)
    return data


@pytest.fixture
def trainer(matching_app, make_user):
    return LoggedIn(matching_app.test_client(), make_user("opleider", org="De Beroepentuin"), "/matching")


@pytest.fixture
def coach_user(make_user):
    return make_user("jobcoach")


@pytest.fixture
def coach(matching_app, coach_user):
    return LoggedIn(matching_app.test_client(), coach_user, "/matching")


def _slot(trainer, **overrides):
    response = trainer.post(SLOTS, json=slot_payload(**overrides))
    assert response.status_code == 201, response.json
    return response.json["id"]


def _enrol(matching_app, coach, coach_user, slot_id, pid="DW-ENROL001"):
    add_candidate(_db(matching_app), pid, coach_id=coach_user.id)
    response = coach.post(ENROLMENTS, json={"programme_id": pid, "slot_id": slot_id})
    assert response.status_code == 201, response.json
    return response.json


def _in_training(trainer, enrolment_id):
    for status in ("orientatie", "opleiding"):
        response = trainer.post(f"{ENROLMENTS}/{enrolment_id}/status", json={"status": status})
        assert response.status_code == 200, response.json
    return response.json


@pytest.mark.both_backends
def test_coach_enrols_trainer_moves_and_completes(matching_app, trainer, coach, coach_user):
    slot_id = _slot(trainer)
    enrolment = _enrol(matching_app, coach, coach_user, slot_id)
    assert enrolment["status"] == "aangemeld" and enrolment["source"] == "coach"
    assert enrolment["registered_on"] == clock.today().isoformat()
    assert trainer.get(f"{SLOTS}/{slot_id}").json["filled"] == 1
    done = _in_training(trainer, enrolment["id"])
    assert done["orientation_on"] == done["started_on"] == clock.today().isoformat()
    att = trainer.post(f"{ENROLMENTS}/{enrolment['id']}/attendance", json={"week": 1, "presence": "aanwezig"})
    assert att.status_code == 200 and att.json["attendance"] == [{"week": 1, "presence": "aanwezig"}]
    issued = trainer.post(f"{ENROLMENTS}/{enrolment['id']}/complete", json=completion())
    assert issued.status_code == 201, issued.json
    kinds = sorted(c["kind"] for c in issued.json)
    assert kinds == ["praktijkverklaring", "vca_basis"]
    vca = next(c for c in issued.json if c["kind"] == "vca_basis")
    assert (
        vca["valid_until"]
        == (clock.today().replace(year=clock.today().year + 10) - timedelta(days=1)).isoformat()
    )
    assert trainer.get(f"{ENROLMENTS}/{enrolment['id']}").json["status"] == "afgerond"
    listed = trainer.get("/matching/api/v1/certificates").json
    assert {c["verification_code"] for c in listed} == {c["verification_code"] for c in issued.json}
    assert all({"verification_code", "kind", "status", "issued_on"} <= set(c) for c in listed)
    assert all(c["status"] == "valid" for c in listed)
    # The coach sees their resident's enrolment; another trainer sees nothing; coaches get no list.
    assert [e["id"] for e in coach.get(ENROLMENTS).json] == [enrolment["id"]]
    assert coach.get("/matching/api/v1/certificates").status_code == 403
    with _db(matching_app).unit_of_work() as s:
        types = [e.type for e in s.scalars(select(OutboxEvent).order_by(OutboxEvent.id))]
        assert types.count("enrolment.changed") == 4  # aangemeld, orientatie, opleiding, afgerond
        assert types.count("certificate.changed") == 2
        seqs = [
            e.seq
            for e in s.scalars(
                select(OutboxEvent).where(OutboxEvent.subject == f"enrolment:{enrolment['id']}")
            )
        ]
        assert sorted(seqs) == [1, 2, 3, 4]


def test_accepting_a_training_proposal_enrols_and_the_first_step_confirms_it(
    matching_app, trainer, coach_user
):
    slot_id = _slot(trainer)
    db = _db(matching_app)
    add_candidate(db, "DW-PROP0001", coach_id=coach_user.id)
    with db.unit_of_work() as s:
        p = Proposal(
            programme_id="DW-PROP0001",
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
        pid = p.id
    assert trainer.post(f"{PROPOSALS}/{pid}/decision", json={"accept": True}).status_code == 200
    listed = trainer.get(ENROLMENTS, query_string={"slot_id": slot_id}).json
    assert [(e["proposal_id"], e["status"], e["source"]) for e in listed] == [(pid, "aangemeld", "voorstel")]
    assert trainer.get(f"{SLOTS}/{slot_id}").json["filled"] == 1  # the acceptance's seat, not two
    # Asking again for the same proposal is a conflict, not a second enrolment.
    assert trainer.post(ENROLMENTS, json={"proposal_id": pid}).status_code == 409
    trainer.post(f"{ENROLMENTS}/{listed[0]['id']}/status", json={"status": "orientatie"})
    with db.unit_of_work() as s:
        assert s.get(Proposal, pid).status == "ingeschreven"


def test_bad_steps_and_dates_are_refused_and_nothing_changes(matching_app, trainer, coach, coach_user):
    slot_id = _slot(trainer)
    e = _enrol(matching_app, coach, coach_user, slot_id)
    url = f"{ENROLMENTS}/{e['id']}/status"
    future = (clock.today() + timedelta(days=3)).isoformat()
    past = (clock.today() - timedelta(days=3)).isoformat()
    assert trainer.post(url, json={"status": "orientatie", "date": future}).status_code == 422
    assert trainer.post(url, json={"status": "orientatie", "date": past}).json["errors"]["date"]
    assert trainer.post(url, json={"status": "afgerond"}).status_code == 422  # not a step by hand
    assert trainer.post(url, json={"status": "uitgevallen"}).status_code == 422  # needs a reason
    assert trainer.post(url, json={"status": "orientatie", "reason": "motivatie"}).status_code == 422
    # Completion without being in the training, or of an enrolment that does not exist.
    assert trainer.post(f"{ENROLMENTS}/{e['id']}/complete", json=completion()).status_code == 409
    assert trainer.post(f"{ENROLMENTS}/999999/complete", json=completion()).status_code == 404
    assert coach.post(url, json={"status": "orientatie"}).status_code == 403
    assert trainer.get(f"{ENROLMENTS}/{e['id']}").json["status"] == "aangemeld"
    drop = trainer.post(url, json={"status": "uitgevallen", "reason": "vervoer"})
    assert drop.status_code == 200 and drop.json["reason_code"] == "vervoer"
    assert trainer.get(f"{SLOTS}/{slot_id}").json["filled"] == 0  # the seat is free again
    assert trainer.post(url, json={"status": "orientatie"}).status_code == 409


@pytest.mark.parametrize(
    "change, field",
    [
        ({"crebo": "2539"}, "crebo"),
        ({"werkprocessen": ["B1-K1"]}, "werkprocessen"),
        ({"werkprocessen": ["B1-K2-W9"]}, "werkprocessen"),  # well-formed, but not taught here
        ({"werkprocessen": []}, "werkprocessen"),
        ({"judged_on": (clock.today() + timedelta(days=1)).isoformat()}, "judged_on"),
        ({"judged_on": (clock.today() - timedelta(days=1)).isoformat()}, "judged_on"),  # before the start
        ({"initials": "Jan"}, "initials"),
        ({"sbb_id": "abc"}, "sbb_id"),
        (
            {"other_certificates": [{"code": "onbekend", "obtained_on": clock.today().isoformat()}]},
            "other_certificates.0.code",
        ),
        ({"bsn": "123456782"}, None),
    ],
)
def test_bad_completion_is_422_and_writes_nothing(matching_app, trainer, coach, coach_user, change, field):
    slot_id = _slot(trainer)
    e = _enrol(matching_app, coach, coach_user, slot_id)
    _in_training(trainer, e["id"])
    response = trainer.post(f"{ENROLMENTS}/{e['id']}/complete", json=completion(**change))
    assert response.status_code == 422, response.json
    if field:
        assert field in str(response.json["errors"]), response.json
    with _db(matching_app).unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Certificate)) == 0
        assert s.get(Enrolment, e["id"]).status == "opleiding"


def test_cohort_completion_is_all_or_nothing(matching_app, trainer, coach, coach_user):
    slot_id = _slot(trainer)
    ids = []
    for i in range(3):
        e = _enrol(matching_app, coach, coach_user, slot_id, pid=f"DW-COHORT0{i}")
        # One running enrolment per resident: each one is in its own slot row? No: same slot.
        _in_training(trainer, e["id"])
        ids.append(e["id"])
    common = {k: v for k, v in completion().items() if k != "initials"}
    bad = trainer.post(
        f"{SLOTS}/{slot_id}/complete",
        json={
            **common,
            "people": [
                {"enrolment_id": ids[0], "initials": "A."},
                {"enrolment_id": ids[1], "initials": "Bob"},
            ],
        },
    )
    assert bad.status_code == 422 and "people.1.initials" in bad.json["errors"]
    with _db(matching_app).unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Certificate)) == 0
    ok = trainer.post(
        f"{SLOTS}/{slot_id}/complete",
        json={**common, "people": [{"enrolment_id": i, "initials": "A.B."} for i in ids]},
    )
    assert ok.status_code == 201
    assert len(ok.json) == 6  # a praktijkverklaring and a B-VCA each
    assert len({c["verification_code"] for c in ok.json}) == 6


def test_coach_needs_consent_and_own_resident(matching_app, trainer, coach, coach_user, make_user):
    slot_id = _slot(trainer)
    db = _db(matching_app)
    add_candidate(db, "DW-NOSHARE1", coach_id=coach_user.id, share_with_trainer=False)
    add_candidate(db, "DW-OTHER001", coach_id=coach_user.id + 1000)
    no = coach.post(ENROLMENTS, json={"programme_id": "DW-NOSHARE1", "slot_id": slot_id})
    assert no.status_code == 422 and "toestemming" in no.json["errors"]["programme_id"][0]
    assert coach.post(ENROLMENTS, json={"programme_id": "DW-OTHER001", "slot_id": slot_id}).status_code == 422
    assert coach.post(ENROLMENTS, json={"programme_id": "DW-OTHER001"}).status_code == 422
    assert (
        trainer.post(ENROLMENTS, json={"programme_id": "DW-OTHER001", "slot_id": slot_id}).status_code == 403
    )
    with db.unit_of_work() as s:
        assert s.get(TrainingSlot, slot_id).filled == 0


@pytest.mark.both_backends
def test_concurrent_coach_enrolments_never_overbook_seats(matching_app, make_user):
    """Six coaches enrol six residents in a 3-seat slot at the same moment: exactly three get in."""
    trainer = LoggedIn(matching_app.test_client(), make_user("opleider", org="De Beroepentuin"), "/matching")
    slot_id = _slot(trainer, seats=3)
    db = _db(matching_app)
    users = [make_user("jobcoach") for _ in range(6)]
    clients = [LoggedIn(matching_app.test_client(), u, "/matching") for u in users]
    for i, u in enumerate(users):
        add_candidate(db, f"DW-SEAT000{i}", coach_id=u.id)
    barrier = threading.Barrier(6)
    statuses: list[int] = []
    lock = threading.Lock()

    def enrol(client, i):
        barrier.wait()
        status = client.post(
            ENROLMENTS, json={"programme_id": f"DW-SEAT000{i}", "slot_id": slot_id}
        ).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=enrol, args=(c, i)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(statuses) == [201, 201, 201, 409, 409, 409]
    with db.unit_of_work() as s:
        assert s.get(TrainingSlot, slot_id).filled == 3
        assert s.scalar(select(func.count()).select_from(Enrolment)) == 3


@pytest.mark.both_backends
def test_withdrawn_trainer_consent_ends_running_enrolments_only(matching_app, trainer, coach, coach_user):
    slot_id = _slot(trainer)
    other_slot = _slot(trainer, name="Isoleren")
    done = _enrol(matching_app, coach, coach_user, slot_id, pid="DW-WDRAW001")
    _in_training(trainer, done["id"])
    assert trainer.post(f"{ENROLMENTS}/{done['id']}/complete", json=completion()).status_code == 201
    running = coach.post(ENROLMENTS, json={"programme_id": "DW-WDRAW001", "slot_id": other_slot})
    assert running.status_code == 201
    db = _db(matching_app)
    with db.unit_of_work() as s:
        HANDLERS["consent.changed"](
            s,
            {
                "programme_id": "DW-WDRAW001",
                "purpose": "delen_opleider",
                "active": False,
                "changed_at": utcnow(),
            },
            {},
        )
    with db.unit_of_work() as s:
        assert s.get(Enrolment, done["id"]).status == "afgerond"
        ended = s.get(Enrolment, running.json["id"])
        assert (ended.status, ended.reason_code) == ("uitgevallen", "toestemming_ingetrokken")
        assert s.get(TrainingSlot, other_slot).filled == 0
        assert (
            s.scalar(select(func.count()).select_from(Certificate).where(Certificate.revoked_at.is_(None)))
            == 2
        )


def test_reassigned_resident_s_enrolment_follows_the_new_coach(
    matching_app, trainer, coach, coach_user, make_user
):
    slot_id = _slot(trainer)
    e = _enrol(matching_app, coach, coach_user, slot_id, pid="DW-MOVE0001")
    new_coach = make_user("jobcoach")
    profile = {
        "programme_id": "DW-MOVE0001",
        "wijk": "wielwijk",
        "pc4": None,
        "age_band": "25-45",
        "stage": "opleiding",
        "language": {"spoken": "B1", "written": "A2"},
        "certificates": [],
        "driving_licence": False,
        "own_transport": True,
        "hours_per_week": 32,
        "days": ["ma"],
        "available_from": None,
        "interests": [],
        "skills": [],
        "work_at_height": False,
        "heavy_work": False,
        "consent": {"registratie": True, "delen_opleider": True},
        "updated_at": utcnow(),
        "coach_id": new_coach.id,
    }
    with _db(matching_app).unit_of_work() as s:
        HANDLERS["candidate.upserted"](s, profile, {})
    assert coach.get(ENROLMENTS).json == []
    moved = LoggedIn(matching_app.test_client(), new_coach, "/matching").get(ENROLMENTS).json
    assert [x["id"] for x in moved] == [e["id"]]
