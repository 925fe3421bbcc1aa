"""Across services, for real (intake → outbox → RQ → matching and back): erasure leaves only the
fact, a card's pseudonym links to nothing, consent given again needs a new mutual acceptance
(issue 7, items 3 and 7)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text, update

from services.intake.models import Base as IntakeBase
from services.intake.models import OutboxEvent as IntakeOutbox
from services.matching.domain import runs
from services.matching.jobs import HANDLERS
from services.matching.models import Base as MatchingBase
from services.matching.models import (
    Candidate,
    Erasure,
    InboxEvent,
    Placement,
    Proposal,
    SubjectProgress,
    Task,
)
from shared.db import utcnow
from shared.events import validate_payload
from shared.jobs import apply_once
from shared.outbox import SCRUBBED, scrub_when_due
from shared.runtime import service_context
from tests.conftest import LoggedIn, resident_payload
from tests.matching.factories import task_payload
from tests.support.workers import run_worker_burst

pytestmark = pytest.mark.both_backends

INTAKE = "/intake/api/v1/residents"
PROPOSALS = "/matching/api/v1/proposals"
INTRODUCTIONS = "/intake/api/v1/introductions"
PERSON = {
    "first_name": "Samira",
    "last_name": "Bouali",
    "email": "samira.bouali@example.nl",
    "phone": "0687654321",
    "postcode": "3317AB",
}


def _everything(db: Any, base: Any) -> str:
    """Every row of every table of one service, as text. Times to the second: a fraction of a
    second is nobody's data, and its digits once matched the person's PC4 (23:52:03.331725 holds
    "3317"), in a row's timestamp or in an event's JSON."""
    out = []
    with db.engine.connect() as conn:
        for table in base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                values = tuple(v.isoformat() if isinstance(v, datetime | date) else v for v in row)
                out.append(f"{table.name}: {values}")
    return re.sub(r"(\d\d:\d\d:\d\d)\.\d+", r"\1", "\n".join(out))


def _matching(matching_app: Any) -> Any:
    return matching_app.extensions["instap"].db


def _run(matching_app: Any) -> None:
    db = _matching(matching_app)
    with db.unit_of_work() as s:
        run_id = runs.request_run(s, "full", None, "test").id
    runs.execute(db, run_id)


def _settle(settings: Any) -> None:
    """Let both workers deliver everything there is, in both directions."""
    for service in ("intake", "matching", "intake"):
        run_worker_burst(settings, service=service)


@pytest.fixture
def accepted(app, matching_app, settings, make_user):
    """A resident with consent, proposed for a task; coach and contractor both accepted."""
    coach_user = make_user("jobcoach")
    contractor_user = make_user("aannemer", org="Installateur Dordt")
    intake_coach = LoggedIn(app.test_client(), coach_user)
    contractor = LoggedIn(matching_app.test_client(), contractor_user, "/matching")
    task_id = contractor.post("/matching/api/v1/tasks", json=task_payload(wijk="wielwijk", places=2)).json[
        "id"
    ]
    pid = intake_coach.post(INTAKE, json=resident_payload(**PERSON)).json["programme_id"]
    for purpose in ("registratie", "delen_werkgever"):
        consent = {"purpose": purpose, "method": "schriftelijk", "info_version": "2026-01"}
        assert intake_coach.post(f"{INTAKE}/{pid}/consents", json=consent).status_code == 201
    _settle(settings)
    _run(matching_app)
    coach = LoggedIn(matching_app.test_client(), coach_user, "/matching")
    [proposal] = [p for p in coach.get(PROPOSALS).json if p["programme_id"] == pid]
    assert (
        coach.post(f"{PROPOSALS}/{proposal['id']}/coach-decision", json={"accept": True}).status_code == 200
    )
    assert contractor.post(f"{PROPOSALS}/{proposal['id']}/decision", json={"accept": True}).status_code == 200
    _settle(settings)
    intake_as_contractor = LoggedIn(app.test_client(), contractor_user)
    assert [i["name"] for i in intake_as_contractor.get(INTRODUCTIONS).json] == ["Samira Bouali"]
    return {
        "pid": pid,
        "proposal_id": proposal["id"],
        "task_id": task_id,
        "intake_coach": intake_coach,
        "coach": coach,
        "contractor": contractor,
        "intake_as_contractor": intake_as_contractor,
    }


def test_erasure_leaves_nothing_but_the_fact(app, matching_app, settings, accepted):
    pid, contractor = accepted["pid"], accepted["contractor"]
    assert accepted["intake_coach"].delete(f"{INTAKE}/{pid}").status_code == 204
    _settle(settings)

    # The contractor no longer sees the card (API and page), nor the introduction.
    assert contractor.get(PROPOSALS).json == []
    page = contractor.get(f"/matching/taken/{accepted['task_id']}").get_data(as_text=True)
    assert f'id="p{accepted["proposal_id"]}"' not in page
    assert accepted["intake_as_contractor"].get(INTRODUCTIONS).json == []

    db = _matching(matching_app)
    with db.unit_of_work() as s:
        assert s.get(Candidate, pid) is None
        assert s.scalars(select(Proposal).where(Proposal.programme_id == pid)).all() == []
        assert s.scalars(select(Placement)).all() == []
        assert s.get(Task, accepted["task_id"]).filled == 0  # the place is free again
        assert s.get(Erasure, pid) is not None
    # Matching: the programme id survives only in the erasure fact and the event counter.
    matching_rows = _everything(db, MatchingBase)
    holding = {line.split(":", 1)[0] for line in matching_rows.splitlines() if pid in line}
    assert holding == {"erasure", "subject_progress"}
    # Intake: nothing about the person at all, in any table (outbox payloads included).
    intake_rows = _everything(app.extensions["instap"].db, IntakeBase)
    for value in (*PERSON.values(), "3317", "Installateur"):
        assert value not in intake_rows, value

    # A late profile event from before the erasure cannot bring the person back.
    late = {
        "id": uuid.uuid4().hex,
        "type": "candidate.upserted",
        "version": 1,
        "occurred_at": utcnow().isoformat(),
        "correlation_id": "test",
        "subject": pid,
        "seq": None,  # even without a number to order it by
        "payload": validate_payload(
            "candidate.upserted",
            1,
            {
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
                "updated_at": utcnow() + timedelta(days=1),
                "coach_id": None,
                "consent": {"registratie": True, "delen_werkgever": True, "delen_opleider": True},
            },
        ),
    }
    apply_once(db, InboxEvent, late, HANDLERS, progress_model=SubjectProgress, ordered=HANDLERS)
    with db.unit_of_work() as s:
        assert s.get(Candidate, pid) is None


def test_delivered_payloads_are_scrubbed_after_the_retention_period(app, settings, make_user, monkeypatch):
    coach = LoggedIn(app.test_client(), make_user("jobcoach"))
    old_pid = coach.post(INTAKE, json=resident_payload(**PERSON)).json["programme_id"]
    new_pid = coach.post(INTAKE, json=resident_payload(first_name="Nieuw")).json["programme_id"]
    run_worker_burst(settings, service="intake")  # delivers them
    db = app.extensions["instap"].db
    with db.unit_of_work() as s:
        s.execute(
            update(IntakeOutbox)
            .where(IntakeOutbox.subject == old_pid)
            .values(relayed_at=utcnow() - timedelta(days=91))
        )
    with app.app_context():
        ctx = service_context()
        monkeypatch.setitem(ctx.extras, "outbox_scrubbed_at", None)
        from services.intake.jobs import periodic

        periodic(ctx)  # the worker's periodic hook (INSTAP_OUTBOX_RETENTION_DAYS, default 90)
        assert scrub_when_due(ctx, IntakeOutbox) is None  # not again within the hour
    with db.unit_of_work() as s:
        old = s.scalars(select(IntakeOutbox).where(IntakeOutbox.subject == old_pid)).all()
        new = s.scalars(select(IntakeOutbox).where(IntakeOutbox.subject == new_pid)).all()
        assert old and all(e.payload == SCRUBBED for e in old)
        assert new and all(json.loads(e.payload)["programme_id"] == new_pid for e in new)
        # A row keeps what it was (type, subject, number, times), not what it said.
        assert all(e.type and e.seq and e.relayed_at for e in old)
        with db.engine.connect() as conn:
            dump = " ".join(str(r) for r in conn.execute(text("SELECT payload FROM outbox")))
        assert old_pid not in dump


def test_a_card_pseudonym_links_to_nothing_and_differs_per_organisation(
    app, matching_app, settings, make_user, accepted
):
    pid, contractor = accepted["pid"], accepted["contractor"]
    [card] = contractor.get(PROPOSALS).json
    assert card["pseudonym"].startswith("K-") and "programme_id" not in card["candidate"]
    page = contractor.get(f"/matching/taken/{accepted['task_id']}").get_data(as_text=True)
    assert card["pseudonym"] in page
    # The programme id is nowhere an organisation looks: cards, pages, introductions.
    for body in (
        json.dumps(contractor.get(PROPOSALS).json),
        page,
        json.dumps(accepted["intake_as_contractor"].get(INTRODUCTIONS).json),
    ):
        assert pid not in body
    # Another contractor gets the same resident proposed for its own task: another pseudonym.
    other_user = make_user("aannemer", org="Isolatie Zuid")
    other = LoggedIn(matching_app.test_client(), other_user, "/matching")
    other_task = other.post("/matching/api/v1/tasks", json=task_payload(wijk="wielwijk")).json["id"]
    db = _matching(matching_app)
    with db.unit_of_work() as s:
        s.add(
            Proposal(
                programme_id=pid,
                opening_key=f"task:{other_task}",
                task_id=other_task,
                score=0.7,
                explanation={},
                explanation_nl="past",
                status="aannemer_afgewezen",  # seen by the organisation, not engaged
            )
        )
    [other_card] = other.get(PROPOSALS).json
    assert other_card["pseudonym"] != card["pseudonym"]
    assert pid not in json.dumps(other_card)


def test_consent_given_again_needs_a_new_mutual_acceptance(app, matching_app, settings, accepted):
    pid, contractor, coach = accepted["pid"], accepted["contractor"], accepted["coach"]
    intake_coach, seen = accepted["intake_coach"], accepted["intake_as_contractor"]
    proposal_id = accepted["proposal_id"]
    # Keep a copy of the old "both accepted" event, to deliver it again late.
    with _matching(matching_app).unit_of_work() as s:
        from services.matching.models import OutboxEvent as MatchingOutbox

        accepted_row = s.scalars(
            select(MatchingOutbox)
            .where(MatchingOutbox.subject == f"proposal:{proposal_id}")
            .order_by(MatchingOutbox.seq)
        ).all()[-1]
        old_env = json.loads(accepted_row.payload)
    assert old_env["status"] == "aannemer_akkoord"

    assert intake_coach.delete(f"{INTAKE}/{pid}/consents/delen_werkgever").status_code in (200, 204)
    _settle(settings)
    assert seen.get(INTRODUCTIONS).json == []
    assert contractor.get(PROPOSALS).json == []  # the accepted proposal ended with the consent

    consent = {"purpose": "delen_werkgever", "method": "schriftelijk", "info_version": "2026-01"}
    assert intake_coach.post(f"{INTAKE}/{pid}/consents", json=consent).status_code == 201
    _settle(settings)
    assert seen.get(INTRODUCTIONS).json == []  # the old introduction does not come back

    # The old acceptance arrives once more (a replay): still no introduction.
    from services.intake.domain.introductions import on_proposal_changed
    from shared.events import load_payload

    with app.extensions["instap"].db.unit_of_work() as s:
        on_proposal_changed(s, load_payload("proposal.changed", 1, old_env), {})
    assert seen.get(INTRODUCTIONS).json == []

    # A new round proposes the pair again; only both sides accepting again introduces.
    _run(matching_app)
    [again] = [p for p in coach.get(PROPOSALS).json if p["id"] == proposal_id]
    assert again["status"] == "voorgesteld"
    assert coach.post(f"{PROPOSALS}/{proposal_id}/coach-decision", json={"accept": True}).status_code == 200
    _settle(settings)
    assert seen.get(INTRODUCTIONS).json == []
    assert contractor.post(f"{PROPOSALS}/{proposal_id}/decision", json={"accept": True}).status_code == 200
    _settle(settings)
    assert [i["name"] for i in seen.get(INTRODUCTIONS).json] == ["Samira Bouali"]


def test_the_residents_export_includes_introductions_and_what_matching_holds(
    app, matching_app, settings, make_user, accepted
):
    pid, coach = accepted["pid"], accepted["intake_coach"]
    doc = coach.get(f"{INTAKE}/{pid}/export").json
    [intro] = doc["introductions"]
    assert intro["organisation"] == "Installateur Dordt" and intro["kind"] == "task"
    assert intro["shared"] == ["naam", "telefoon"] and intro["granted_at"] and intro["still_shown"]
    assert doc["matching"]["status"] == "ok"
    held = doc["matching"]["data"]
    assert held["candidate"]["wijk"] == "wielwijk" and held["candidate"]["share_with_employer"] is True
    [proposal] = held["proposals"]
    assert proposal["status"] == "aannemer_akkoord" and proposal["explanation_nl"]
    assert proposal["opening"]["organisation"] == "Installateur Dordt"
    [placement] = held["placements"]
    assert placement["status"] == "afgesproken" and held["enrolments"] == []

    # The page says it in plain Dutch: no raw codes.
    page = coach.get(f"/intake/deelnemers/{pid}/inzage").get_data(as_text=True)
    assert "Installateur Dordt" in page and "Organisaties die naam en contactgegevens kregen" in page
    assert "Geaccepteerd door de organisatie" in page and proposal["explanation_nl"] in page
    for code in ("stage.changed", "candidate.upserted", "aannemer_akkoord", "view_edit", "delen_werkgever"):
        assert code not in page, code

    # Matching decides who may ask: another coach gets nothing, an organisation is refused.
    other = LoggedIn(matching_app.test_client(), make_user("jobcoach"), "/matching")
    assert other.get(f"/matching/api/v1/subjects/{pid}").status_code == 404
    assert accepted["contractor"].get(f"/matching/api/v1/subjects/{pid}").status_code == 403
    beheer = LoggedIn(matching_app.test_client(), make_user("beheerder"), "/matching")
    assert beheer.get(f"/matching/api/v1/subjects/{pid}").json["proposals"]


def test_export_says_so_when_matching_does_not_answer(app, settings, make_user, monkeypatch):
    coach = LoggedIn(app.test_client(), make_user("jobcoach"))
    pid = coach.post(INTAKE, json=resident_payload()).json["programme_id"]
    peers = app.extensions["instap"].peers
    monkeypatch.setattr(peers, "apps", {})
    monkeypatch.setattr(peers, "urls", {"matching": "http://127.0.0.1:9"})  # nothing listens
    assert coach.get(f"{INTAKE}/{pid}/export").json["matching"] == {"status": "onbereikbaar", "data": None}
    page = coach.get(f"/intake/deelnemers/{pid}/inzage")
    assert page.status_code == 200 and "nog niet compleet" in page.get_data(as_text=True)
