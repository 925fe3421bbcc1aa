"""Rows written later in the transaction (shared/writebehind.py): before the session's next
statement or at commit, never after a rollback, ids handed back in the order queued, and on
PostgreSQL all of them in one statement with the relay's NOTIFY."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, func, select

from services.intake.api.schemas import ResidentCreateSchema
from services.intake.domain import funnel, residents
from services.intake.models import AuditEntry, OutboxEvent, Resident, ResidentCertificate, StageChange
from shared.auth.accounts import Principal
from shared.auth.cache import Staff
from shared.db import Database, utcnow
from shared.outbox import notify_channel
from shared.testdata import resident_payload
from shared.writebehind import MAX_WAITING, insert_later, queued
from tests.support.worlds import World


def _audit(reason: str) -> dict[str, Any]:
    return {
        "at": utcnow(),
        "actor_id": 1,
        "actor_name": "Test",
        "actor_role": "jobcoach",
        "organisation_id": 1,
        "resident_id": None,
        "action": "view",
        "channel": "api",
        "reason": reason,
        "detail": {"why": reason},
    }


def _event(event_id: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "stage.changed",
        "version": 1,
        "payload": "{}",
        "correlation_id": "-",
        "subject": "DW-TEST",
        "seq": 1,
        "created_at": utcnow(),
        "relayed_at": None,
        "attempts": 0,
        "last_error": None,
    }


def _count(db: Database, model: Any) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def intake_db(world: World) -> Database:
    return world.databases["intake"]


@pytest.mark.both_backends
def test_waiting_rows_go_in_before_the_next_statement(intake_db: Database) -> None:
    with intake_db.unit_of_work() as s:
        insert_later(s, AuditEntry.__table__, _audit("a"))
        insert_later(s, OutboxEvent.__table__, _event("e1"))
        insert_later(s, AuditEntry.__table__, _audit("b"))
        assert queued(s) == 3
        # The query sees them: they were written before it.
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 2
        assert queued(s) == 0
    assert _count(intake_db, AuditEntry) == 2 and _count(intake_db, OutboxEvent) == 1


@pytest.mark.both_backends
def test_the_commit_writes_them_and_hands_back_each_id(intake_db: Database) -> None:
    ids: dict[str, int] = {}
    with intake_db.unit_of_work() as s:
        for reason in ("first", "second", "third"):
            insert_later(
                s, AuditEntry.__table__, _audit(reason), written=lambda i, r=reason: ids.__setitem__(r, i)
            )
        insert_later(s, OutboxEvent.__table__, _event("e1"))
        assert ids == {}
    with intake_db.unit_of_work() as s:
        stored = dict(s.execute(select(AuditEntry.reason, AuditEntry.id)).tuples().all())
    assert ids == stored and len(stored) == 3
    assert _count(intake_db, OutboxEvent) == 1


@pytest.mark.both_backends
def test_a_rollback_takes_them_along_and_the_next_transaction_does_not_write_them(
    intake_db: Database,
) -> None:
    session = intake_db.sessionmaker()
    try:
        insert_later(session, AuditEntry.__table__, _audit("rolled back"))
        session.rollback()
        assert queued(session) == 0
        insert_later(session, AuditEntry.__table__, _audit("kept"))
        session.commit()
    finally:
        session.close()
    with intake_db.unit_of_work() as s:
        assert s.scalars(select(AuditEntry.reason)).all() == ["kept"]

    with pytest.raises(RuntimeError, match="boom"), intake_db.unit_of_work() as s:
        insert_later(s, AuditEntry.__table__, _audit("lost with the error"))
        raise RuntimeError("boom")
    assert _count(intake_db, AuditEntry) == 1


def test_savepoints_are_refused_rather_than_losing_rows(intake_db: Database) -> None:
    with intake_db.unit_of_work() as s:
        insert_later(s, AuditEntry.__table__, _audit("waiting"))
        with pytest.raises(RuntimeError, match="savepoint"):
            s.begin_nested()
    with intake_db.unit_of_work() as s:
        s.execute(select(1))
        with s.begin_nested(), pytest.raises(RuntimeError, match="savepoint"):
            insert_later(s, AuditEntry.__table__, _audit("inside"))


@pytest.mark.postgresql
def test_on_postgresql_all_waiting_rows_and_the_notify_are_one_statement(intake_db: Database) -> None:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(intake_db.engine, "before_cursor_execute", seen)
    try:
        with intake_db.unit_of_work() as s:
            for n in range(3):
                insert_later(s, AuditEntry.__table__, _audit(f"r{n}"))
            insert_later(s, OutboxEvent.__table__, _event("e1"), notify=notify_channel("intake"))
            insert_later(s, OutboxEvent.__table__, _event("e2"), notify=notify_channel("intake"))
    finally:
        event.remove(intake_db.engine, "before_cursor_execute", seen)
    assert len(statements) == 1, statements
    assert statements[0].count("INSERT INTO") == 5 and statements[0].count("pg_notify") == 1
    assert _count(intake_db, AuditEntry) == 3 and _count(intake_db, OutboxEvent) == 2


@pytest.mark.both_backends
def test_a_long_run_of_rows_goes_in_batches(intake_db: Database) -> None:
    """A match run queues thousands of events with no statement in between: they must not wait
    for one statement with more values than a statement may bind."""
    with intake_db.unit_of_work() as s:
        for n in range(MAX_WAITING * 2 + 50):
            insert_later(s, OutboxEvent.__table__, _event(f"e{n}"))
            assert queued(s) < MAX_WAITING
    assert _count(intake_db, OutboxEvent) == MAX_WAITING * 2 + 50


@pytest.mark.both_backends
def test_a_write_that_fails_stops_the_commit(intake_db: Database) -> None:
    with pytest.raises(Exception), intake_db.unit_of_work() as s:  # noqa: B017 - the database's own error
        insert_later(s, AuditEntry.__table__, _audit("fine"))
        insert_later(s, OutboxEvent.__table__, {"id": None})  # refused: no type, no payload
        with pytest.raises(Exception):  # noqa: B017
            s.execute(select(1))
        s.commit()  # the caller swallowed the error and commits: refused
    assert _count(intake_db, AuditEntry) == 0


def test_rows_with_other_columns_of_one_table_keep_their_own_columns(intake_db: Database) -> None:
    with intake_db.unit_of_work() as s:
        insert_later(s, AuditEntry.__table__, {k: v for k, v in _audit("short").items() if k != "detail"})
        insert_later(s, AuditEntry.__table__, _audit("full"))
    with intake_db.unit_of_work() as s:
        assert dict(s.execute(select(AuditEntry.reason, AuditEntry.detail)).tuples().all())["full"] == {
            "why": "full"
        }


# A new resident's history waits like the rest; what the same transaction does with the resident
# next must find it written (in order) and changeable.


def _intake(coach: Principal) -> dict[str, Any]:
    """The sample resident as the API hands it to the domain (loaded: dates as dates)."""
    return ResidentCreateSchema().load(resident_payload(coach_id=coach.user_id))


def _coach(make_user: Any) -> Principal:
    user = make_user("jobcoach")
    return Principal(
        user.id, user.name, "jobcoach", user.organisation_id, "Sociale Dienst Drechtsteden", "session"
    )


@pytest.mark.both_backends
def test_a_stage_change_in_the_same_transaction_comes_after_the_registration(
    intake_db: Database, accounts_db: Database, make_user: Any
) -> None:
    coach = _coach(make_user)
    with intake_db.unit_of_work() as s, accounts_db.unit_of_work() as a:
        resident = residents.create(s, Staff.from_session(a), coach, _intake(coach))
        funnel.change_stage(s, coach, resident, "intake", None)
        programme_id = resident.programme_id
    with intake_db.unit_of_work() as s:
        resident = s.scalars(select(Resident).where(Resident.programme_id == programme_id)).one()
        steps = s.execute(select(StageChange.from_stage, StageChange.to_stage).order_by(StageChange.id)).all()
    assert [tuple(step) for step in steps] == [(None, "aangemeld"), ("aangemeld", "intake")]
    assert resident.stage == "intake"


@pytest.mark.both_backends
def test_a_certificate_removed_in_the_same_transaction_is_not_written(
    intake_db: Database, accounts_db: Database, make_user: Any
) -> None:
    coach = _coach(make_user)
    payload = _intake(coach)
    assert payload["certificates"], "the sample resident has a certificate"
    with intake_db.unit_of_work() as s, accounts_db.unit_of_work() as a:
        resident = residents.create(s, Staff.from_session(a), coach, payload)
        residents.update(s, coach, resident, {"certificates": []})
    assert _count(intake_db, ResidentCertificate) == 0
