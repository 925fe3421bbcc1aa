"""Runs create explained proposals once; the lifecycle and capacity hold under concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.matching.domain import runs
from services.matching.models import MatchRun, Placement, Proposal, Task
from shared import clock
from shared.db import utcnow
from tests.conftest import LoggedIn
from tests.matching.factories import (
    add_candidate,
    add_proposal,
    card_pseudonym,
    slot_payload,
    task_payload,
)

TASKS = "/matching/api/v1/tasks"
PROPOSALS = "/matching/api/v1/proposals"
PERSONAL = (
    "first_name",
    "last_name",
    "phone",
    "email",
    "street",
    "house_number",
    "postcode",
    "city",
    "birth_year",
    "name",
    "coach_id",
)


def _db(app):
    return app.extensions["instap"].db


def _run(app) -> MatchRun:
    with _db(app).unit_of_work() as s:
        run_id = runs.request_run(s, "full", None, "test").id
    result = runs.execute(_db(app), run_id)
    assert result is not None
    return result


@pytest.fixture
def setup(matching_app, make_user):
    coach = make_user("jobcoach")
    contractor = LoggedIn(matching_app.test_client(), make_user("aannemer", org="Aannemer A"), "/matching")
    task_id = contractor.post(TASKS, json=task_payload(places=2)).json["id"]
    return coach, contractor, task_id


@pytest.mark.both_backends
def test_full_run_creates_explained_proposals_and_a_second_run_duplicates_nothing(matching_app, setup):
    coach, _, task_id = setup
    db = _db(matching_app)
    for i in range(4):
        add_candidate(db, f"DW-AAAA000{i}", coach_id=coach.id, wijk="crabbehof" if i < 2 else "wielwijk")
    first = _run(matching_app)
    assert first.status == "done" and first.progress == 100
    assert first.counts["created"] == 2 and first.counts["candidates"] == 4
    assert set(first.timings) >= {"build", "engine", "store"}
    with db.unit_of_work() as s:
        props = s.scalars(select(Proposal).order_by(Proposal.id)).all()
        assert {p.task_id for p in props} == {task_id}
        assert all(p.status == "voorgesteld" and 0 < p.score <= 1 for p in props)
        texts = [p.explanation_nl for p in props]
        assert all("heeft VCA" in t for t in texts)
        assert any("woont in dezelfde wijk" in t for t in texts)
        assert all(abs(sum(p.explanation.values()) - p.score) < 1e-6 for p in props)
    # The same run again: nothing happens. A new full run: same pairs kept, none duplicated.
    assert runs.execute(db, first.id) is None
    second = _run(matching_app)
    assert second.counts["created"] == 0 and second.counts["kept"] == 2
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Proposal)) == 2


@pytest.mark.both_backends
def test_consent_decides_which_openings_a_candidate_gets(matching_app, setup, make_user):
    coach, _, task_id = setup
    trainer = LoggedIn(matching_app.test_client(), make_user("opleider", org="De Beroepentuin"), "/matching")
    slot_id = trainer.post("/matching/api/v1/slots", json=slot_payload()).json["id"]
    db = _db(matching_app)
    add_candidate(db, "DW-TRAINONLY", coach_id=coach.id, share_with_employer=False)
    add_candidate(db, "DW-NOCONSENT", coach_id=coach.id, share_with_employer=False, share_with_trainer=False)
    _run(matching_app)
    with db.unit_of_work() as s:
        props = {p.programme_id: p for p in s.scalars(select(Proposal))}
    assert "DW-NOCONSENT" not in props
    assert props["DW-TRAINONLY"].slot_id == slot_id and props["DW-TRAINONLY"].task_id is None
    assert props["DW-TRAINONLY"].leads_to_task_id is None  # a pathway needs employer consent
    assert task_id


@pytest.mark.both_backends
def test_pathway_through_training_when_a_certificate_is_missing(matching_app, setup, make_user):
    coach, _, task_id = setup
    trainer = LoggedIn(matching_app.test_client(), make_user("opleider", org="De Beroepentuin"), "/matching")
    trainer.post("/matching/api/v1/slots", json=slot_payload())
    add_candidate(_db(matching_app), "DW-NOVCA0001", coach_id=coach.id, certificates=[])
    _run(matching_app)
    with _db(matching_app).unit_of_work() as s:
        p = s.scalars(select(Proposal)).one()
        assert p.slot_id is not None and p.leads_to_task_id == task_id
        assert "haalt hier VCA" in p.explanation_nl and "daarna aan de slag" in p.explanation_nl


@pytest.mark.both_backends
def test_lifecycle_coach_then_contractor_with_pseudonymous_card(matching_app, setup, make_user):
    coach, contractor, task_id = setup
    add_candidate(_db(matching_app), "DW-LIFE0001", coach_id=coach.id)
    _run(matching_app)
    coach_client = LoggedIn(matching_app.test_client(), coach, "/matching")
    [proposal] = coach_client.get(PROPOSALS).json
    assert contractor.get(PROPOSALS).json == []  # not before the coach agreed
    no_reason = coach_client.post(f"{PROPOSALS}/{proposal['id']}/coach-decision", json={"accept": False})
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]
    ok = coach_client.post(f"{PROPOSALS}/{proposal['id']}/coach-decision", json={"accept": True})
    assert ok.status_code == 200 and ok.json["status"] == "coach_akkoord"
    again = coach_client.post(f"{PROPOSALS}/{proposal['id']}/coach-decision", json={"accept": True})
    assert again.status_code == 409

    cards = contractor.get(PROPOSALS).json
    assert len(cards) == 1
    card = cards[0]
    assert card["pseudonym"] == card_pseudonym(matching_app, "DW-LIFE0001", task_id)
    assert "DW-LIFE0001" not in str(card)  # a pseudonym, never the programme id (issue 7)
    for key in PERSONAL:
        assert key not in card and key not in card["candidate"]
    assert card["explanation_nl"]
    not_yours = contractor.post(f"{PROPOSALS}/{card['id']}/coach-decision", json={"accept": True})
    assert not_yours.status_code == 403
    accepted = contractor.post(f"{PROPOSALS}/{card['id']}/decision", json={"accept": True})
    assert accepted.status_code == 200 and accepted.json["status"] == "aannemer_akkoord"
    # The task starts in 60 days: a start today needs the contractor's reason (placements API).
    early = contractor.post(f"{PROPOSALS}/{card['id']}/start")
    assert early.status_code == 422 and "early_start_reason" in early.json["errors"]
    [placement_row] = contractor.get("/matching/api/v1/placements").json
    started = contractor.post(
        f"/matching/api/v1/placements/{placement_row['id']}/start",
        json={"started_on": clock.today().isoformat(), "early_start_reason": "Begint met de voorbereiding"},
    )
    assert started.status_code == 200 and started.json["status"] == "gestart"
    assert contractor.get(f"{PROPOSALS}/{card['id']}").json["status"] == "geplaatst"
    with _db(matching_app).unit_of_work() as s:
        assert s.get(Task, task_id).filled == 1
        placement = s.scalars(select(Placement)).one()
        assert placement.status == "gestart" and placement.kind == "plaatsing"

    other = LoggedIn(matching_app.test_client(), make_user("aannemer", org="Aannemer B"), "/matching")
    assert other.get(f"{PROPOSALS}/{card['id']}").status_code == 404
    assert other.post(f"{PROPOSALS}/{card['id']}/decision", json={"accept": True}).status_code == 404


def test_contractor_declines_with_reason(matching_app, setup):
    coach, contractor, task_id = setup
    add_candidate(_db(matching_app), "DW-DECL0001", coach_id=coach.id)
    pid = add_proposal(_db(matching_app), "DW-DECL0001", task_id, coach_id=coach.id)
    bad = contractor.post(f"{PROPOSALS}/{pid}/decision", json={"accept": False, "reason": "geen zin"})
    assert bad.status_code == 422
    ok = contractor.post(f"{PROPOSALS}/{pid}/decision", json={"accept": False, "reason": "planning"})
    assert ok.status_code == 200 and ok.json["status"] == "aannemer_afgewezen"


@pytest.mark.both_backends
def test_concurrent_accepts_never_exceed_places(matching_app, make_user):
    """Six contractor users accept six proposals on a 3-place task at the same moment."""
    org = "Aannemer Druk"
    users = [make_user("aannemer", org=org) for _ in range(6)]
    clients = [LoggedIn(matching_app.test_client(), u, "/matching") for u in users]
    task_id = clients[0].post(TASKS, json=task_payload(places=3)).json["id"]
    db = _db(matching_app)
    ids = []
    for i in range(6):
        add_candidate(db, f"DW-RACE000{i}")
        ids.append(add_proposal(db, f"DW-RACE000{i}", task_id))
    barrier = threading.Barrier(6)
    statuses: list[int] = []
    lock = threading.Lock()

    def accept(client, pid):
        barrier.wait()
        status = client.post(f"{PROPOSALS}/{pid}/decision", json={"accept": True}).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=accept, args=(c, pid)) for c, pid in zip(clients, ids, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(statuses) == [200, 200, 200, 409, 409, 409]
    with db.unit_of_work() as s:
        assert s.get(Task, task_id).filled == 3
        assert s.scalar(select(func.count()).select_from(Placement)) == 3
        assert (
            s.scalar(select(func.count()).select_from(Proposal).where(Proposal.status == "aannemer_akkoord"))
            == 3
        )


def test_consent_withdrawal_withdraws_pending_proposals(matching_app, setup):
    from services.matching.jobs import HANDLERS

    coach, contractor, task_id = setup
    db = _db(matching_app)
    add_candidate(db, "DW-WITHDRAW", coach_id=coach.id)
    pid = add_proposal(db, "DW-WITHDRAW", task_id, coach_id=coach.id)
    assert len(contractor.get(PROPOSALS).json) == 1
    with db.unit_of_work() as s:
        HANDLERS["consent.changed"](
            s,
            {
                "programme_id": "DW-WITHDRAW",
                "purpose": "delen_werkgever",
                "active": False,
                "changed_at": utcnow(),
            },
            {"occurred_at": utcnow().isoformat()},
        )
    assert contractor.get(PROPOSALS).json == []
    with db.unit_of_work() as s:
        assert s.get(Proposal, pid).status == "ingetrokken"


def test_runs_api_and_roles(matching_app, make_user):
    coach = LoggedIn(matching_app.test_client(), make_user("jobcoach"), "/matching")
    contractor = LoggedIn(matching_app.test_client(), make_user("aannemer"), "/matching")
    requested = coach.post("/matching/api/v1/runs", json={})
    assert requested.status_code == 202 and requested.json["status"] == "queued"
    assert coach.post("/matching/api/v1/runs", json={}).json["id"] == requested.json["id"]  # reused
    assert coach.get(f"/matching/api/v1/runs/{requested.json['id']}").json["kind"] == "full"
    assert coach.get("/matching/api/v1/runs/99999").status_code == 404
    assert contractor.get("/matching/api/v1/runs").status_code == 403
    assert coach.post("/matching/api/v1/runs", json={"kind": "alles"}).status_code == 422


@pytest.mark.both_backends
def test_tasks_in_the_past_or_full_are_not_offered(matching_app, setup):
    coach, contractor, task_id = setup
    db = _db(matching_app)
    with db.unit_of_work() as s:
        s.get(Task, task_id).start_date = clock.today() - timedelta(days=1)
    add_candidate(db, "DW-PAST0001", coach_id=coach.id)
    run = _run(matching_app)
    assert run.counts["openings"] == 0 and run.counts["created"] == 0
