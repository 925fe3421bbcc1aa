"""The pool pings a connection only after it sat idle (shared/db.py, issue 12): a connection in
steady use costs no extra round trip, and one that died while idle is replaced before a request
sees it. Against a real PostgreSQL: the server ends the connection (pg_terminate_backend)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, select, text
from sqlalchemy.exc import OperationalError

from shared import db as shared_db
from shared.db import Database
from shared.writebehind import insert_later


@pytest.fixture
def database(postgres_url: str) -> Iterator[Database]:
    database = Database(postgres_url, "pooltest")
    yield database
    database.dispose()


def _backend_pid(database: Database) -> int:
    with database.engine.connect() as conn:
        return int(conn.scalar(text("SELECT pg_backend_pid()")))


def _terminate(postgres_url: str, pid: int) -> None:
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        admin.dispose()


def test_a_connection_that_died_while_idle_is_replaced_before_use(
    database: Database, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = _backend_pid(database)
    _terminate(postgres_url, pid)
    monkeypatch.setattr(shared_db, "PING_AFTER_IDLE_S", 0.0)  # every pooled connection counts as idle
    assert _backend_pid(database) != pid  # no error: the ping found it dead, the pool reconnected


def test_a_connection_in_steady_use_is_not_pinged_and_one_failure_renews_the_pool(
    database: Database, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shared_db, "PING_AFTER_IDLE_S", 3600.0)
    pid = _backend_pid(database)
    _terminate(postgres_url, pid)
    # Not pinged (no round trip before use): the dead connection fails its one request ...
    with pytest.raises(OperationalError):
        _backend_pid(database)
    # ... and the pool is renewed: the next request works on a new connection.
    assert _backend_pid(database) != pid


def test_the_ping_happens_only_after_the_idle_time(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[object] = []
    real_ping = database.engine.dialect.do_ping

    def counting_ping(dbapi_conn: object) -> bool:
        pings.append(dbapi_conn)
        return real_ping(dbapi_conn)

    monkeypatch.setattr(database.engine.dialect, "do_ping", counting_ping)
    _backend_pid(database)  # a new connection: not pinged
    monkeypatch.setattr(shared_db, "PING_AFTER_IDLE_S", 3600.0)
    _backend_pid(database)
    assert pings == []
    monkeypatch.setattr(shared_db, "PING_AFTER_IDLE_S", 0.0)
    _backend_pid(database)
    assert len(pings) == 1


def test_a_write_behind_statement_on_a_dead_connection_fails_as_sqlalchemy_would_and_drops_it(
    database: Database, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lone write-behind statement goes to the driver without SQLAlchemy's Connection
    (shared/writebehind.py): its error is still SQLAlchemy's (the app's 503), and the dead
    connection leaves the pool; nothing is written, and the next transaction works."""
    monkeypatch.setattr(shared_db, "PING_AFTER_IDLE_S", 3600.0)  # not pinged: used as it is
    table = _wb_table(database, "wb_dead")
    pid = _backend_pid(database)
    _terminate(postgres_url, pid)
    with pytest.raises(OperationalError) as raised, database.unit_of_work() as s:
        insert_later(s, table, {"name": "lost"})
    assert raised.value.connection_invalidated
    assert _backend_pid(database) != pid  # a new connection
    with database.unit_of_work() as s:
        insert_later(s, table, {"name": "kept"})
    with database.engine.connect() as conn:
        assert conn.scalars(select(table.c.name)).all() == ["kept"]


def _wb_table(database: Database, name: str) -> Table:
    metadata = MetaData()
    table = Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(20)),
        schema="pooltest",
    )
    metadata.drop_all(database.engine)  # empty, whatever an earlier run left
    metadata.create_all(database.engine)
    return table


def test_a_write_behind_statement_with_no_connection_to_be_had_fails_as_sqlalchemy_would(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found in review: the lone statement's checkout let the driver's own error through (a 500
    instead of the app's 503) when the database refused new connections."""
    table = _wb_table(database, "wb_refused")
    database.engine.dispose()  # no pooled connection left: the next one must connect

    def refused(*_args: object, **_kwargs: object) -> None:
        raise psycopg.OperationalError("connection refused")

    monkeypatch.setattr(database.engine.dialect, "connect", refused)
    with pytest.raises(OperationalError), database.unit_of_work() as s:
        insert_later(s, table, {"name": "lost"})


def test_a_dead_connection_found_by_a_write_behind_statement_renews_the_whole_pool(
    database: Database, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As SQLAlchemy does on a disconnect: after a database restart every pooled connection is
    dead, and only the first request may fail on it (found in review: each failed in turn)."""
    monkeypatch.setattr(shared_db, "PING_AFTER_IDLE_S", 3600.0)
    table = _wb_table(database, "wb_renewed")
    with database.engine.connect() as one, database.engine.connect() as two:
        pids = [conn.scalar(text("SELECT pg_backend_pid()")) for conn in (one, two)]
    for pid in pids:
        _terminate(postgres_url, int(pid))
    with pytest.raises(OperationalError), database.unit_of_work() as s:
        insert_later(s, table, {"name": "lost"})
    with database.unit_of_work() as s:
        insert_later(s, table, {"name": "kept"})
    with database.engine.connect() as conn:
        assert conn.scalars(select(table.c.name)).all() == ["kept"]
