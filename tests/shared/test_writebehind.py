"""Rows written later in the transaction (shared/writebehind.py): before the session's next
statement or at commit, never after a rollback, ids handed back in the order queued, and on
PostgreSQL all of them in one statement with the relay's NOTIFY."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, inspect, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from services.intake.api.schemas import ResidentCreateSchema
from services.intake.domain import audit, consent, funnel, residents
from services.intake.domain.registered import Registered
from services.intake.models import AuditEntry, OutboxEvent, Resident, ResidentCertificate, StageChange
from shared.auth.accounts import Principal
from shared.auth.cache import Staff
from shared.db import Database, utcnow
from shared.outbox import notify_channel
from shared.testdata import resident_payload
from shared.writebehind import MAX_WAITING, insert_later, queued
from tests.support.driver import psycopg_traffic
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
    with intake_db.unit_of_work() as s:
        handles = {
            reason: insert_later(s, AuditEntry.__table__, _audit(reason), returning=True)
            for reason in ("first", "second", "third")
        }
        insert_later(s, OutboxEvent.__table__, _event("e1"))
        assert {h.new_id for h in handles.values()} == {None}
    with intake_db.unit_of_work() as s:
        stored = dict(s.execute(select(AuditEntry.reason, AuditEntry.id)).tuples().all())
    assert {reason: h.new_id for reason, h in handles.items()} == stored and len(stored) == 3
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


def test_rows_waiting_at_a_savepoint_go_in_before_it_and_none_may_wait_inside_one(
    intake_db: Database,
) -> None:
    with intake_db.unit_of_work() as s:
        insert_later(s, AuditEntry.__table__, _audit("waiting"))
        savepoint = s.begin_nested()  # flushes first: the waiting row is written outside it
        assert queued(s) == 0
        savepoint.rollback()
    assert _count(intake_db, AuditEntry) == 1
    with intake_db.unit_of_work() as s:
        s.execute(select(1))
        with s.begin_nested(), pytest.raises(RuntimeError, match="savepoint"):
            insert_later(s, AuditEntry.__table__, _audit("inside"))


@pytest.mark.postgresql
def test_on_postgresql_all_waiting_rows_and_the_notify_are_one_statement(intake_db: Database) -> None:
    intake_db.ping()  # connected: the dialect's first-connect queries are not counted
    with psycopg_traffic() as traffic, intake_db.unit_of_work() as s:
        for n in range(3):
            insert_later(s, AuditEntry.__table__, _audit(f"r{n}"))
        insert_later(s, OutboxEvent.__table__, _event("e1"), notify=notify_channel("intake"))
        insert_later(s, OutboxEvent.__table__, _event("e2"), notify=notify_channel("intake"))
    statements = [sent.sql for sent in traffic.statements]
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


@pytest.mark.both_backends
def test_a_column_left_out_gets_its_default_as_an_orm_insert_would(intake_db: Database) -> None:
    """`at` has a Python-side default (the moment of queueing); on PostgreSQL the statement
    names only the columns a row gives, so the default must be in the row."""
    before = utcnow()
    with intake_db.unit_of_work() as s:
        insert_later(s, AuditEntry.__table__, {k: v for k, v in _audit("no time").items() if k != "at"})
    with intake_db.unit_of_work() as s:
        at = s.scalars(select(AuditEntry.at)).one()
    assert before <= at <= utcnow()


def test_rows_with_other_columns_of_one_table_keep_their_own_columns(intake_db: Database) -> None:
    """`organisation_id` has no default: a row without it names one column fewer."""
    with intake_db.unit_of_work() as s:
        insert_later(
            s, AuditEntry.__table__, {k: v for k, v in _audit("short").items() if k != "organisation_id"}
        )
        insert_later(s, AuditEntry.__table__, {**_audit("full"), "organisation_id": 7})
    with intake_db.unit_of_work() as s:
        stored = s.execute(select(AuditEntry.reason, AuditEntry.organisation_id, AuditEntry.detail)).all()
    assert sorted(tuple(row) for row in stored) == [
        ("full", 7, {"why": "full"}),
        ("short", None, {"why": "short"}),
    ]


# A new resident is rows waiting like the rest, its history and audit row taking its id; what the
# same transaction does with the resident next loads it, and finds it written (in order).


def _intake(coach: Principal) -> dict[str, Any]:
    """The sample resident as the API hands it to the domain (loaded: dates as dates)."""
    return ResidentCreateSchema().load(resident_payload(coach_id=coach.user_id))


@contextlib.contextmanager
def _registering(
    intake_db: Database, accounts_db: Database, coach: Principal, data: dict[str, Any] | None = None
) -> Iterator[tuple[Session, Registered]]:
    """A transaction in which the coach has just registered a resident (waiting to be written)."""
    data = data if data is not None else _intake(coach)
    with intake_db.unit_of_work() as s, accounts_db.unit_of_work() as a:
        yield s, residents.create(s, Staff.from_session(a), coach, data)


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
    with _registering(intake_db, accounts_db, coach) as (s, registered):
        funnel.change_stage(s, coach, residents.load_registered(s, registered), "intake", None)
        programme_id = registered.programme_id
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
    with _registering(intake_db, accounts_db, coach, payload) as (s, registered):
        residents.update(s, coach, residents.load_registered(s, registered), {"certificates": []})
    assert _count(intake_db, ResidentCertificate) == 0


@pytest.mark.both_backends
@pytest.mark.parametrize("batch", [1, 2, 3, 5, 7])
def test_every_row_that_refers_to_a_new_resident_gets_its_id_wherever_the_batches_split(
    intake_db: Database, accounts_db: Database, make_user: Any, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    """A new resident is written with its history, its audit row and its first event (one
    statement on PostgreSQL); with a queue of `batch` rows the resident and the rows that take
    its id fall in one batch or in different ones, at every position a create has."""
    monkeypatch.setattr("shared.writebehind.MAX_WAITING", batch)
    coach = _coach(make_user)
    with intake_db.unit_of_work() as s, accounts_db.unit_of_work() as a:
        made = []
        for n in range(3):
            resident = residents.create(
                s, Staff.from_session(a), coach, {**_intake(coach), "email": f"r{n}@example.nl"}
            )
            audit.record(s, coach, resident, "create", "api", "intake")
            made.append(resident)
        assert [r.email for r in made] == ["r0@example.nl", "r1@example.nl", "r2@example.nl"]
    with intake_db.unit_of_work() as s:
        stored = {r.email: r for r in s.scalars(select(Resident))}
        assert len(stored) == 3
        for model in (ResidentCertificate, StageChange, AuditEntry):
            assert sorted(s.scalars(select(model.resident_id))) == sorted(r.id for r in stored.values()), (
                model
            )
        for email, resident in stored.items():  # each row about the resident it was made for
            assert [c.code for c in resident.certificates] == ["vca_basis"], email
            assert [c.to_stage for c in resident.stage_changes] == ["aangemeld"], email
        assert s.scalar(select(func.count()).select_from(OutboxEvent)) == 3


@pytest.mark.both_backends
def test_a_registered_resident_is_read_only_and_loading_it_finds_it_written(
    intake_db: Database, accounts_db: Database, make_user: Any
) -> None:
    """`residents.create` gives back what it wrote, not an object in the session: nothing can be
    changed or hung on it that would then not be written. Loading the resident (a query) writes
    the waiting rows first and gives the resident as stored, with every column's default and its
    history, to change like any loaded resident."""
    coach = _coach(make_user)
    with _registering(intake_db, accounts_db, coach) as (s, registered):
        assert queued(s) > 0 and registered not in s.identity_map.values()
        with pytest.raises(dataclasses.FrozenInstanceError):
            registered.city = "Zwijndrecht"  # type: ignore[misc]
        with pytest.raises(TypeError):
            registered.row["city"] = "Zwijndrecht"  # type: ignore[index]
        with pytest.raises(AttributeError):
            registered.notes  # noqa: B018 - no collections to append to
        assert (registered.event_seq, registered.days, registered.gender) == (1, ["ma", "di", "wo"], "vrouw")
        resident = residents.load_registered(s, registered)
        assert queued(s) == 0 and resident.id == registered.handle.new_id
        assert (resident.erased_at, resident.event_seq, resident.notes) == (None, 1, [])
        assert resident.consents == []
        assert [c.code for c in resident.certificates] == ["vca_basis"]
        assert [c.to_stage for c in resident.stage_changes] == ["aangemeld"]
        resident.city = "Zwijndrecht"
    with intake_db.unit_of_work() as s:
        assert s.scalars(select(Resident.city)).one() == "Zwijndrecht"


@pytest.mark.both_backends
def test_a_new_resident_given_consent_in_the_same_transaction_keeps_it(
    intake_db: Database, accounts_db: Database, make_user: Any
) -> None:
    """The demo's path: consent right after the intake, in the same transaction."""
    coach = _coach(make_user)
    with _registering(intake_db, accounts_db, coach) as (s, registered):
        resident = residents.load_registered(s, registered)
        consent.give_many(
            s, coach, resident, [("registratie", "schriftelijk"), ("delen_werkgever", "digitaal")], ""
        )
    with intake_db.unit_of_work() as s:
        stored = s.scalars(select(Resident)).one()
        assert sorted(c.purpose for c in stored.consents) == ["delen_werkgever", "registratie"]
        seqs = sorted(s.scalars(select(OutboxEvent.seq)))
        assert seqs == list(range(1, len(seqs) + 1)) and stored.event_seq == len(seqs)


@pytest.mark.both_backends
def test_every_column_reads_back_as_it_was_written(
    intake_db: Database, accounts_db: Database, make_user: Any
) -> None:
    """On PostgreSQL the waiting rows travel as one JSON array, an object per row
    (jsonb_populate_record):
    text with quotes, backslashes and emoji, dates, moments to the microsecond, lists, booleans
    and empty values come back as they went in."""
    coach = _coach(make_user)
    tricky = {
        **_intake(coach),
        "first_name": 'O\'Brien "Jr" \\ é 😀',
        "work_experience": 'regel 1\nregel 2\t{"json": [1]}',
        "days": ["ma", "wo"],
        "hours_per_week": 32,
        "driving_licence": True,
        "house_number": None,
    }
    with _registering(intake_db, accounts_db, coach, tricky) as (s, made):
        audit.record(s, coach, made, "create", "api", "intake", fields=["a", "b"], nested={"x": None})
    columns = [c.key for c in inspect(Resident).column_attrs if c.key != "id"]
    # Every column the row gives (defaults filled in); the others are NULL.
    written = {key: made.row.get(key) for key in columns}
    history = [(c["code"], c["obtained_on"], c["valid_until"]) for c in made.certificates]
    assert written["first_name"] == tricky["first_name"] and written["days"] == ["ma", "wo"]
    with intake_db.unit_of_work() as s:
        stored = s.scalars(select(Resident)).one()
        assert {key: getattr(stored, key) for key in columns} == written
        assert [(c.code, c.obtained_on, c.valid_until) for c in stored.certificates] == history
        entry = s.scalars(select(AuditEntry)).one()
        assert entry.detail == {"fields": ["a", "b"], "nested": {"x": None}}
        assert entry.at.tzinfo is not None and entry.resident_id == stored.id


@pytest.mark.both_backends
@pytest.mark.parametrize("batch", [1, 2, 3, 4, 5, 6, 7, 8])
def test_a_full_queue_never_splits_a_new_resident_from_its_history(
    intake_db: Database, accounts_db: Database, make_user: Any, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    """Found in review when a new resident was an ORM object: with two certificates and the queue
    full after the first, the resident was written and made persistent, its cascade took over the
    second certificate, and the ORM inserted that one without the resident's id. A create's rows
    go in one batch."""
    monkeypatch.setattr("shared.writebehind.MAX_WAITING", batch)
    coach = _coach(make_user)
    data = {**_intake(coach), "certificates": [{"code": "vca_basis"}, {"code": "heftruck"}]}
    with _registering(intake_db, accounts_db, coach, data) as (s, resident):
        audit.record(s, coach, resident, "create", "api", "intake")
    with intake_db.unit_of_work() as s:
        stored = s.scalars(select(Resident)).one()
        assert sorted(c.code for c in stored.certificates) == ["heftruck", "vca_basis"]
        assert s.scalars(select(AuditEntry.resident_id)).all() == [stored.id]


@pytest.mark.both_backends
def test_a_rollback_drops_a_registered_resident_and_the_session_registers_the_next_whole(
    intake_db: Database, accounts_db: Database, make_user: Any
) -> None:
    coach = _coach(make_user)
    session, accounts = intake_db.sessionmaker(), accounts_db.sessionmaker()
    try:
        residents.create(session, Staff.from_session(accounts), coach, _intake(coach))
        session.flush()
        session.execute(select(1))  # written by now
        session.rollback()
        again = residents.create(
            session, Staff.from_session(accounts), coach, {**_intake(coach), "email": "again@example.nl"}
        )
        session.commit()
    finally:
        session.close()
        accounts.close()
    with intake_db.unit_of_work() as s:
        assert s.scalars(select(Resident.email)).all() == ["again@example.nl"]
        assert s.scalars(select(ResidentCertificate.resident_id)).all() == [again.handle.new_id]


@pytest.mark.both_backends
@pytest.mark.parametrize("name", ["_rows", "given", "ids", "notified"])
def test_a_table_may_have_columns_named_like_the_statements_own_parts(intake_db: Database, name: str) -> None:
    """The PostgreSQL statement names a CTE `given` with a column `_rows`, and its result `ids`
    and `notified`: a table's own column of such a name must still be written (the review's
    finding: `_rows` was ambiguous while the CTE was in each row's FROM)."""
    metadata = MetaData()
    table = Table(
        f"wb_named_{name.strip('_')}",
        metadata,
        Column("id", Integer, primary_key=True),
        Column(name, String(20)),
        schema="intake" if intake_db.is_postgres else None,
    )
    metadata.create_all(intake_db.engine)
    try:
        with intake_db.unit_of_work() as s:
            first = insert_later(s, table, {name: "first"}, returning=True)
            insert_later(
                s, table, {name: "second"}, notify="instap_outbox_test" if intake_db.is_postgres else None
            )
        with intake_db.unit_of_work() as s:
            stored = dict(s.execute(select(table.c.id, table.c[name])).tuples().all())
        assert sorted(stored.values()) == ["first", "second"]
        assert first.new_id is not None and stored[first.new_id] == "first"
    finally:
        metadata.drop_all(intake_db.engine)


@pytest.mark.postgresql
def test_a_transaction_that_is_only_waiting_rows_is_one_statement_without_begin_or_commit(
    intake_db: Database,
) -> None:
    """Nothing run before the commit and nothing for the ORM to flush: the one statement is
    atomic by itself and runs in autocommit, one round trip instead of three (issue 12). A
    transaction that ran a statement first, or has an ORM change to flush after the rows, keeps
    BEGIN and COMMIT around all of it."""
    intake_db.ping()  # connected: the dialect's first-connect queries are not counted
    with psycopg_traffic() as alone, intake_db.unit_of_work() as s:
        insert_later(s, AuditEntry.__table__, _audit("alone"))
        insert_later(s, OutboxEvent.__table__, _event("alone"), notify=notify_channel("intake"))
    assert [sent.in_transaction for sent in alone.statements] == [False] and alone.commits == 0
    with psycopg_traffic() as after_query, intake_db.unit_of_work() as s:
        s.scalar(select(func.count()).select_from(AuditEntry))
        insert_later(s, AuditEntry.__table__, _audit("after a query"))
    with psycopg_traffic() as flushed, intake_db.unit_of_work() as s:
        insert_later(s, AuditEntry.__table__, _audit("with a flush after"))
        s.add(OutboxEvent(**{**_event("flushed"), "payload": "{}"}))
    for traffic in (after_query, flushed):
        assert [sent.in_transaction for sent in traffic.statements] == [True, True], traffic
        assert traffic.begins == 1 and traffic.commits == 1, traffic
    assert _count(intake_db, AuditEntry) == 3 and _count(intake_db, OutboxEvent) == 2


@pytest.mark.postgresql
def test_after_a_lone_statement_the_connection_is_transactional_again(intake_db: Database) -> None:
    """The pool gets the connection back out of autocommit: the next transaction (on the same
    connection, as the pool hands out the one used last) is all or nothing again; and a lone
    statement that fails writes nothing."""
    with intake_db.unit_of_work() as s:
        insert_later(s, AuditEntry.__table__, _audit("lone"))
    with pytest.raises(DBAPIError, match="division by zero"), intake_db.unit_of_work() as s:
        s.add(OutboxEvent(**_event("kept?")))
        s.flush()
        s.execute(select(func.count()).select_from(AuditEntry).where(AuditEntry.id / 0 == 1))
    assert _count(intake_db, OutboxEvent) == 0  # rolled back with the failed statement after it
    with pytest.raises(IntegrityError), intake_db.unit_of_work() as s:
        insert_later(s, OutboxEvent.__table__, _event("twice"))
        insert_later(s, OutboxEvent.__table__, _event("twice"))  # the same primary key
    assert _count(intake_db, OutboxEvent) == 0
    assert _count(intake_db, AuditEntry) == 1


@pytest.mark.both_backends
def test_a_database_error_does_not_repeat_the_personal_data_it_was_given(intake_db: Database) -> None:
    """An error's text can end up in a log or a traceback: the statement's parameters (a
    resident's name, phone, e-mail) are left out of it (shared/db.py), written behind or not."""
    secret = "Ayşe Yılmaz 0612345678"
    with pytest.raises(IntegrityError) as behind, intake_db.unit_of_work() as s:
        insert_later(s, OutboxEvent.__table__, {**_event("twice"), "payload": secret})
        insert_later(s, OutboxEvent.__table__, {**_event("twice"), "payload": secret})
    with pytest.raises(IntegrityError) as flushed, intake_db.unit_of_work() as s:
        s.add_all([OutboxEvent(**{**_event("again"), "payload": secret}) for _ in range(2)])
        s.flush()
    for raised in (behind, flushed):
        assert "0612345678" not in str(raised.value) and "Yılmaz" not in str(raised.value), raised.value


def test_the_rows_json_holds_what_the_standard_encoder_wrote() -> None:
    """The rows' one JSON parameter is written with orjson (issue 12): every kind of value a row
    can hold reads back as the standard library's encoder wrote it (the encoder it replaced)."""
    import json
    import uuid
    from datetime import UTC, date, datetime, time, timedelta, timezone
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from shared import writebehind

    def old(value: Any) -> Any:
        if isinstance(value, datetime | date | time):
            return value.isoformat()
        if isinstance(value, Decimal | uuid.UUID):
            return str(value)
        raise TypeError(type(value).__name__)

    rows = [
        {
            "utc": datetime(2026, 12, 3, 14, 10, 50, 775743, tzinfo=UTC),
            "whole_second": datetime(2026, 12, 3, 14, 10, 50, tzinfo=UTC),
            "offset": datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            "offset_with_seconds": datetime(1900, 1, 1, 12, tzinfo=ZoneInfo("Europe/Amsterdam")),
            "naive": datetime(2026, 1, 2, 3, 4, 5),
            "date": date(2027, 1, 15),
            "time": time(9, 30, tzinfo=timezone(timedelta(hours=2))),
            "decimal": Decimal("12.50"),
            "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
            "text": "Ayşe Yılmaz \u202f “quoted” \\ \n",
            "json_column": {"token_id": 1, 2: ["a", None, True, 3.5]},
            "none": None,
            "big": 2**40,
        }
    ]
    written = writebehind._to_json(rows)
    assert json.loads(written) == json.loads(json.dumps(rows, default=old))

    @dataclasses.dataclass
    class NotARow:
        value: int

    with pytest.raises(TypeError):
        writebehind._to_json([{"x": NotARow(1)}])


def test_a_registered_resident_has_its_columns_as_attributes_and_cannot_change() -> None:
    from types import MappingProxyType

    registered = Registered(MappingProxyType({"programme_id": "DW-1", "wijk": "wielwijk"}), None)  # type: ignore[arg-type]
    assert (registered.programme_id, registered.wijk, registered.consents) == ("DW-1", "wielwijk", ())
    with pytest.raises(dataclasses.FrozenInstanceError):
        registered.wijk = "crabbehof"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        _ = registered.not_a_column
    with pytest.raises(ValueError, match="certificates"):
        Registered(MappingProxyType({"certificates": []}), None)  # type: ignore[arg-type]
