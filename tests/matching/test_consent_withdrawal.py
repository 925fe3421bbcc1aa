"""Withdrawing consent ends every proposal that has not started, also one both sides accepted,
and an accept racing a withdrawal never wins (issue 7, item 2)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from sqlalchemy import event, func, select

from services.matching.jobs import HANDLERS
from services.matching.models import (
    Candidate,
    InboxEvent,
    Placement,
    Proposal,
    SubjectProgress,
    Task,
    TrainingSlot,
)
from shared import clock
from shared.db import utcnow
from shared.events import validate_payload
from shared.jobs import apply_once
from tests.conftest import LoggedIn
from tests.matching.factories import add_candidate, add_proposal, backdate_task, slot_payload, task_payload

pytestmark = pytest.mark.both_backends

PROPOSALS = "/matching/api/v1/proposals"


def _db(app: Any) -> Any:
    return app.extensions["instap"].db


def _withdraw(db: Any, pid: str, purpose: str, seq: int = 10) -> bool:
    """Deliver intake's consent.changed (withdrawn) as the relay would."""
    payload = {"programme_id": pid, "purpose": purpose, "active": False, "changed_at": utcnow()}
    env = {
        "id": uuid.uuid4().hex,
        "type": "consent.changed",
        "version": 1,
        "occurred_at": utcnow().isoformat(),
        "correlation_id": "test",
        "subject": pid,
        "seq": seq,
        "payload": validate_payload("consent.changed", 1, payload),
    }
    return apply_once(db, InboxEvent, env, HANDLERS, progress_model=SubjectProgress, ordered=HANDLERS)


def _slot_proposal(db: Any, pid: str, slot_id: int) -> int:
    with db.unit_of_work() as s:
        p = Proposal(
            programme_id=pid,
            opening_key=f"slot:{slot_id}",
            slot_id=slot_id,
            score=0.5,
            explanation={},
            explanation_nl="past bij de opleiding",
            status="coach_akkoord",
        )
        s.add(p)
        s.flush()
        return p.id


@pytest.fixture
def org(matching_app: Any, make_user: Any) -> Any:
    contractor = LoggedIn(matching_app.test_client(), make_user("aannemer", org="Aannemer A"), "/matching")
    trainer = LoggedIn(matching_app.test_client(), make_user("opleider", org="De Beroepentuin"), "/matching")
    task_id = contractor.post("/matching/api/v1/tasks", json=task_payload(places=2)).json["id"]
    slot_id = trainer.post("/matching/api/v1/slots", json=slot_payload(seats=2)).json["id"]
    return contractor, trainer, task_id, slot_id


@pytest.mark.parametrize(
    ("purpose", "kind"),
    [("delen_werkgever", "task"), ("registratie", "task"), ("delen_opleider", "slot")],
)
def test_withdrawal_ends_a_proposal_both_sides_accepted(matching_app, org, purpose, kind):
    contractor, trainer, task_id, slot_id = org
    client = contractor if kind == "task" else trainer
    db = _db(matching_app)
    pid = f"DW-WDR{purpose[:5].upper()}"
    add_candidate(db, pid)
    proposal_id = add_proposal(db, pid, task_id) if kind == "task" else _slot_proposal(db, pid, slot_id)
    assert client.post(f"{PROPOSALS}/{proposal_id}/decision", json={"accept": True}).status_code == 200

    assert _withdraw(db, pid, purpose)

    with db.unit_of_work() as s:
        proposal = s.get(Proposal, proposal_id)
        assert proposal.status == "ingetrokken"
        # An agreed placement is called off (geannuleerd, a fact the reports count), never left open.
        assert (
            s.scalar(select(func.count()).select_from(Placement).where(Placement.status != "geannuleerd"))
            == 0
        )
        opening = s.get(Task, task_id) if kind == "task" else s.get(TrainingSlot, slot_id)
        assert opening.filled == 0  # the place is free again
    # The card is gone at once, from the API and from the page, and the start is refused.
    assert client.get(PROPOSALS).json == []
    assert client.get(f"{PROPOSALS}/{proposal_id}").status_code == 404
    page = client.get(
        f"/matching/{'taken' if kind == 'task' else 'plekken'}/{org[2 if kind == 'task' else 3]}"
    )
    assert page.status_code == 200 and f'id="p{proposal_id}"' not in page.get_data(as_text=True)
    assert client.post(f"{PROPOSALS}/{proposal_id}/start").status_code in (404, 409)
    with db.unit_of_work() as s:
        assert s.get(Proposal, proposal_id).status == "ingetrokken"


def test_start_is_refused_when_consent_is_gone_before_matching_ended_the_proposal(matching_app, org):
    """The consent flag alone (as a profile event sets it) is enough: the start is one
    conditional write that checks it, not a status read earlier."""
    contractor, _, task_id, _ = org
    db = _db(matching_app)
    add_candidate(db, "DW-STARTNO1")
    proposal_id = add_proposal(db, "DW-STARTNO1", task_id)
    assert contractor.post(f"{PROPOSALS}/{proposal_id}/decision", json={"accept": True}).status_code == 200
    with db.unit_of_work() as s:
        s.get(Candidate, "DW-STARTNO1").share_with_employer = False
    response = contractor.post(f"{PROPOSALS}/{proposal_id}/start")
    assert response.status_code == 409
    with db.unit_of_work() as s:
        assert s.get(Proposal, proposal_id).status == "aannemer_akkoord"
        assert s.scalars(select(Placement)).one().status == "afgesproken"


def test_started_placement_stays_after_withdrawal(matching_app, org):
    contractor, _, task_id, _ = org
    db = _db(matching_app)
    add_candidate(db, "DW-STARTED1")
    proposal_id = add_proposal(db, "DW-STARTED1", task_id)
    contractor.post(f"{PROPOSALS}/{proposal_id}/decision", json={"accept": True})
    backdate_task(db, task_id, clock.today())  # a start is confirmed on or after the task's start
    started = contractor.post(f"{PROPOSALS}/{proposal_id}/start")
    assert started.status_code == 200
    _withdraw(db, "DW-STARTED1", "delen_werkgever")
    with db.unit_of_work() as s:
        assert s.get(Proposal, proposal_id).status == "geplaatst"
        assert s.get(Task, task_id).filled == 1
    # The card shows no profile any more: consent to share it with the employer is gone.
    [card] = contractor.get(PROPOSALS).json
    assert card["candidate"] is None


def test_accept_after_a_withdrawal_committed_between_read_and_write_loses(matching_app, org):
    """The exact interleaving of the race: the contractor's request has read the proposal
    (still coach_akkoord) when the withdrawal commits; its write must then fail (409), not put
    a withdrawn candidate in a place."""
    contractor, _, task_id, _ = org
    db = _db(matching_app)
    add_candidate(db, "DW-RACEWDR1")
    proposal_id = add_proposal(db, "DW-RACEWDR1", task_id)
    engine = db.engine
    fired: list[bool] = []

    def withdraw_first(conn, cursor, statement, params, context, executemany):  # noqa: ANN001
        if statement.lstrip().upper().startswith("UPDATE TASK") and not fired:
            fired.append(True)
            # Another connection, another thread: the worker applying intake's withdrawal.
            worker = threading.Thread(target=_withdraw, args=(db, "DW-RACEWDR1", "delen_werkgever"))
            worker.start()
            worker.join(30)

    event.listen(engine, "before_cursor_execute", withdraw_first)
    try:
        response = contractor.post(f"{PROPOSALS}/{proposal_id}/decision", json={"accept": True})
    finally:
        event.remove(engine, "before_cursor_execute", withdraw_first)
    assert fired
    assert response.status_code == 409
    with db.unit_of_work() as s:
        assert s.get(Proposal, proposal_id).status == "ingetrokken"
        assert s.get(Task, task_id).filled == 0
        assert s.scalar(select(func.count()).select_from(Placement)) == 0


def test_concurrent_accepts_and_withdrawals_never_leave_a_withdrawn_candidate_in_a_place(
    matching_app, make_user
):
    """Real concurrent requests: for each of eight candidates a contractor accepts while the
    worker applies the candidate's withdrawal, all released at once. Whatever the order, no
    withdrawn candidate holds a place, and every place taken belongs to a live agreement."""
    n = 8
    users = [make_user("aannemer", org="Aannemer Race") for _ in range(n)]
    clients = [LoggedIn(matching_app.test_client(), u, "/matching") for u in users]
    task_id = clients[0].post("/matching/api/v1/tasks", json=task_payload(places=n)).json["id"]
    db = _db(matching_app)
    pids = [f"DW-CRACE{i:03d}" for i in range(n)]
    proposal_ids = []
    for pid in pids:
        add_candidate(db, pid)
        proposal_ids.append(add_proposal(db, pid, task_id))
    barrier = threading.Barrier(2 * n)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def accept(client: Any, proposal_id: int) -> None:
        barrier.wait()
        statuses.append(client.post(f"{PROPOSALS}/{proposal_id}/decision", json={"accept": True}).status_code)

    def withdraw(pid: str) -> None:
        barrier.wait()
        try:
            _withdraw(db, pid, "delen_werkgever")
        except BaseException as exc:  # a failed job would be retried by RQ; the test wants none
            errors.append(exc)

    threads = [
        threading.Thread(target=accept, args=(c, p)) for c, p in zip(clients, proposal_ids, strict=True)
    ]
    threads += [threading.Thread(target=withdraw, args=(pid,)) for pid in pids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    # 200: accepted before the withdrawal (which then ended it); 409: the withdrawal came first
    # and the conditional write refused; 404: the proposal had ended before the request read it.
    assert set(statuses) <= {200, 404, 409} and len(statuses) == n
    with db.unit_of_work() as s:
        assert set(s.scalars(select(Proposal.status))) == {"ingetrokken"}
        # An agreed placement is called off (geannuleerd, a fact the reports count), never left open.
        assert (
            s.scalar(select(func.count()).select_from(Placement).where(Placement.status != "geannuleerd"))
            == 0
        )
        assert s.get(Task, task_id).filled == 0
