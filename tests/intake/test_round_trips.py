"""The write path's database round trips, counted (issue 12): a count, not a timing, so a
pass/fail test. What one intake create costs is spelled out in docs/benchmarks.md."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import event, select

from services.intake.models import AuditEntry, LadderMeasurement, Resident, ResidentCertificate, StageChange
from shared.auth.web import forget_cached_accounts
from tests.conftest import bearer, resident_payload
from tests.support.driver import psycopg_traffic

API = "/intake/api/v1/residents"


@dataclass
class Trips:
    """Round trips to the database servers: each statement, each connection checkout (counted as
    one: the pool pings a connection that sat idle, shared/db.py), each commit, and on
    PostgreSQL each BEGIN (psycopg sends one before the first statement of a transaction). On
    PostgreSQL seen at the driver (tests/support/driver.py: the write-behind's lone statement goes
    there directly), on SQLite through SQLAlchemy's events. A connection in autocommit sends
    neither BEGIN nor COMMIT (shared/writebehind.py: a transaction that is one statement)."""

    statements: list[str] = field(default_factory=list)
    checkouts: int = 0
    commits: int = 0
    begins: int = 0

    @property
    def total(self) -> int:
        return len(self.statements) + self.checkouts + self.commits + self.begins

    def written(self) -> list[str]:
        """The tables rows went into, one entry per row's INSERT (several may share a statement)."""
        return [table for s in self.statements for table in re.findall(r"INSERT INTO (\w+)", s)]


@contextmanager
def counting(*engines: Any) -> Iterator[Trips]:
    trips = Trips()
    unique = list({id(e): e for e in engines}.values())
    postgres = all(e.dialect.name == "postgresql" for e in unique)

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        trips.statements.append(statement)

    def on_checkout(*_args: Any) -> None:
        trips.checkouts += 1

    def on_commit(_conn: Any) -> None:
        trips.commits += 1

    listeners = []
    for engine in unique:
        watched = [(engine.pool, "checkout", on_checkout)]
        if not postgres:
            watched += [(engine, "before_cursor_execute", on_statement), (engine, "commit", on_commit)]
        for target, name, fn in watched:
            event.listen(target, name, fn)
            listeners.append((target, name, fn))
    try:
        with psycopg_traffic() if postgres else nullcontext() as traffic:
            yield trips
    finally:
        for target, name, fn in listeners:
            event.remove(target, name, fn)
    if traffic is not None:
        # The pool's ping of a connection that sat idle (";") counts with its checkout.
        trips.statements = [sent.sql for sent in traffic.statements if sent.sql != ";"]
        trips.begins, trips.commits = traffic.begins, traffic.commits


def _engines(app: Any) -> list[Any]:
    ctx = app.extensions["instap"]
    return [ctx.db.engine, ctx.accounts_db.engine]


@pytest.fixture
def auth_cache(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The apps as in production: tokens and staff remembered for a few seconds."""
    ctx = app.extensions["instap"]
    monkeypatch.setattr(ctx, "settings", ctx.settings.model_copy(update={"auth_cache_seconds": 10}))
    forget_cached_accounts(ctx)
    for name in ("token_cache", "staff_cache"):
        ctx.extras.pop(name, None)
    yield
    for name in ("token_cache", "staff_cache"):
        ctx.extras.pop(name, None)


@pytest.mark.both_backends
def test_an_intake_create_with_a_token_takes_one_connection_and_a_few_round_trips(
    app, make_user, make_token, auth_cache
):
    coach = make_user("jobcoach")
    token = make_token("jobcoach")
    client = app.test_client()
    first = client.post(API, json=resident_payload(coach_id=coach.id), headers=bearer(token))
    assert first.status_code == 201, first.json
    with counting(*_engines(app)) as trips:
        response = client.post(
            API, json=resident_payload(coach_id=coach.id, email="b@example.nl"), headers=bearer(token)
        )
    assert response.status_code == 201, response.json
    assert trips.checkouts == 1, trips
    assert sorted(trips.written()) == sorted(
        ["resident", "resident_certificate", "ladder_measurement", "stage_change", "audit_entry", "outbox"]
    ), trips
    if app.extensions["instap"].db.engine.dialect.name == "postgresql":
        # One statement (shared/writebehind.py): the resident, its history, the audit row and the
        # event with its NOTIFY; the rows that refer to the resident take its id in it.
        # Nothing else in the transaction: the statement runs alone, with no BEGIN or COMMIT.
        assert len(trips.statements) == 1, trips
        assert "pg_notify" in trips.statements[0], trips
        assert trips.begins == 0 and trips.commits == 0, trips
        assert trips.total == 2, trips
    else:
        assert trips.commits == 1, trips
        assert len(trips.statements) <= 6, trips  # SQLite: one statement per table
        assert trips.total <= 8, trips
    with app.extensions["instap"].db.unit_of_work() as s:
        resident = s.scalars(
            select(Resident).where(Resident.programme_id == response.json["programme_id"])
        ).one()
        assert resident.email == "b@example.nl" and resident.created_at is not None
        audit = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
        assert (audit.action, audit.resident_id) == ("create", resident.id)
        for model in (ResidentCertificate, LadderMeasurement, StageChange):
            assert s.scalars(select(model.resident_id)).all().count(resident.id) == 1, model


@pytest.mark.both_backends
def test_a_caseload_page_is_one_query_for_the_page_at_most_one_count_and_one_audit_row(
    app, make_user, make_token, auth_cache
):
    """Every read of personal data is audit-logged: a list read is one audit row naming the
    residents shown (not a row per resident). A short last page needs no count."""
    coach = make_user("jobcoach")
    token = make_token("jobcoach")
    client = app.test_client()
    for i in range(3):
        created = client.post(
            API, json=resident_payload(coach_id=coach.id, email=f"r{i}@example.nl"), headers=bearer(token)
        )
        assert created.status_code == 201
    with counting(*_engines(app)) as short:
        page = client.get(API, headers=bearer(token))
    assert page.status_code == 200 and json.loads(page.headers["X-Pagination"])["total"] == 3
    with counting(*_engines(app)) as full:
        first = client.get(f"{API}?page_size=2", headers=bearer(token))
    assert json.loads(first.headers["X-Pagination"])["total"] == 3 and len(first.json) == 2
    selects = [s for s in short.statements if s.startswith("SELECT") and "pg_notify" not in s]
    counts = [s for s in full.statements if "count(" in s]
    assert len(selects) == 1, short.statements
    assert len(counts) == 1, full.statements
    for trips in (short, full):
        assert trips.written() == ["audit_entry"], trips.statements
        assert trips.checkouts == 1 and trips.commits == 1, trips
