"""Rows written later in the same transaction, several in one statement (issue 12).

An audit entry and an outbox event are written once and never read back in the transaction that
writes them, and nothing refers to them. Instead of one INSERT each when they are made, they wait
in the session (`insert_later`) until the session's next statement or its commit, whichever comes
first, and go in together: on PostgreSQL as one statement (one data-modifying CTE per row, and the
NOTIFY that wakes the component's relay at commit), elsewhere one INSERT per table and set of
columns. Measured with `bench/load_bench.py`: on the web side, each statement's trip through
SQLAlchemy and psycopg costs more CPU than the rows it writes (docs/benchmarks.md).

At most `MAX_WAITING` rows wait; the one that fills the queue writes it (a match run's thousands
of events go in batches). What stays the same: the rows commit or roll back with the transaction;
any statement the session executes (a query, an UPDATE, a lazy load) comes after them; a rollback
drops them; if a write fails, the transaction can no longer commit. The rows are leaves of the
ORM's work: no object in the session refers to them, so they may wait past a flush. PostgreSQL
runs the CTEs of one statement in no set order, so ids within one table follow the queue only on
SQLite.

A waiting row can take the id of one queued before it: on PostgreSQL the whole intake create is
one statement, a new resident's history and audit rows reading the resident's id from the
resident's CTE (services/intake/domain/residents.py). A column left out of a row, or None in it,
gets its column's Python-side default where it has one, as an ORM object's unset attribute would.

Savepoints: a `WriteBehindSession` writes what waits before a savepoint begins. Inside one,
`insert_later` is refused (nothing in Instap uses savepoints): a rollback to it would take the
rows along. A savepoint begun by a session of another class while rows wait is refused too
(after the refusal the session is in a half-begun savepoint: roll back).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import (
    ColumnDefault,
    Connection,
    Dialect,
    Engine,
    Integer,
    Table,
    TypeDecorator,
    column,
    event,
    exc,
    insert,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import (
    ORMExecuteState,
    Session,
    SessionTransaction,
)
from sqlalchemy.sql.selectable import TextualSelect

_QUEUE = "instap.write_behind"  # session.info key: the rows waiting, in the order queued
_FAILED = "instap.write_behind_failed"  # session.info key: a write failed, the rest was dropped
_HOLD = "instap.write_behind_hold"  # session.info key: inside `together` (how deep)
_CONNECTED = "instap.write_behind_connected"  # session.info key: the transaction has a connection
# At most this many rows wait (but see `together`): a match run stores thousands of proposals and
# their events in one transaction with no statement in between, and one statement is better kept
# to a size PostgreSQL plans quickly.
MAX_WAITING = 100
_DIALECT = postgresql.dialect()
_NAMES = _DIALECT.identifier_preparer  # quotes names (and a table's schema, if any)


@dataclass(eq=False)
class Waiting:
    """A row waiting to be written; also its handle: another waiting row may hold it as a column
    value, which then becomes this row's id (a new resident's history refers to the resident)."""

    table: Table
    row: dict[str, Any]
    notify: str | None = None  # a PostgreSQL NOTIFY channel to signal at commit
    returning: bool = False  # read its id back when written (`new_id`)
    new_id: int | None = None  # the row's id, once written (with `returning`, or when referred to)

    def values(self) -> dict[str, Any]:
        # A reference to a row written in an earlier batch is that row's id by now.
        return {
            k: v.new_id if isinstance(v, Waiting) and v.new_id is not None else v for k, v in self.row.items()
        }


def insert_later(
    session: Session,
    table: Table,
    row: Mapping[str, Any],
    *,
    notify: str | None = None,
    returning: bool = False,
) -> Waiting:
    """INSERT `row` into `table` in this transaction, before its next statement or at commit. A
    column left out or None gets its Python-side default, if it has one (as an ORM object's
    unset attribute would). `notify`: a PostgreSQL NOTIFY channel to
    signal at commit (ignored elsewhere). `returning`: read the row's id (`table.c.id`) back
    into the handle's `new_id` when it is written.

    Returns the row's handle: a later row may give it as a column's value, and gets this row's
    id there (in the same statement on PostgreSQL). A row can refer only to rows queued before
    it, or to a row written earlier with `returning`."""
    if session.in_nested_transaction():
        raise RuntimeError("insert_later inside a savepoint (begin_nested) is not supported")
    if not session.in_transaction():
        # The rows belong to a transaction: without one begun, a rollback would end none and
        # leave them waiting for the next.
        session.begin()
    waiting = session.info.setdefault(_QUEUE, [])
    values = dict(row)
    for name, default in _defaults(table):
        if values.get(name) is None:
            values[name] = default.arg(None) if default.is_callable else default.arg  # type: ignore[attr-defined]
    handle = Waiting(table, values, notify, returning)
    waiting.append(handle)
    if len(waiting) >= MAX_WAITING and not session.info.get(_HOLD):
        write_queued(session)
    return handle


@contextlib.contextmanager
def together(session: Session) -> Iterator[None]:
    """The rows queued inside go in one batch: the queue's size limit waits for the end. A row
    and the rows that refer to it are not split: on PostgreSQL they read its id from its CTE."""
    session.info[_HOLD] = session.info.get(_HOLD, 0) + 1
    try:
        yield
    finally:
        session.info[_HOLD] -= 1
    if not session.info[_HOLD] and queued(session) >= MAX_WAITING:
        write_queued(session)


@functools.lru_cache(maxsize=128)
def _defaults(table: Table) -> tuple[tuple[str, ColumnDefault], ...]:
    """Per column with a Python-side default (but the primary key): its name and default."""
    return tuple(
        (c.name, c.default)
        for c in table.columns
        if isinstance(c.default, ColumnDefault) and not c.primary_key
    )


def queued(session: Session) -> int:
    """How many rows wait to be written (for tests and diagnostics)."""
    return len(session.info.get(_QUEUE, ()))


def write_queued(session: Session, *, alone: bool = False) -> None:
    """Write what waits, now (the hooks below call this; so may code that needs it written)."""
    waiting: list[Waiting] | None = session.info.pop(_QUEUE, None)
    if not waiting:
        return
    try:
        _write(session, waiting, alone=alone)
    except BaseException:
        # The rows not written are gone from the queue: this transaction must not commit.
        session.info[_FAILED] = True
        raise


def _write(session: Session, waiting: list[Waiting], *, alone: bool = False) -> None:
    rows = [(w, w.values()) for w in waiting]
    if alone:
        bind = session.get_bind()
        assert isinstance(bind, Engine)
        _write_alone(bind, rows)
        return
    # Core, not the session's ORM execute: nothing here is an ORM statement, and the hooks below
    # must not see this one.
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _write_one_statement(connection, rows)
    else:
        _write_in_order(connection, rows)


def _write_one_statement(connection: Connection, rows: list[tuple[Waiting, dict[str, Any]]]) -> None:
    statement, params, final = _one_statement(rows)
    # The driver's SQL, compiled once per shape: no statement cache to look up per create.
    sql = _driver_sql(statement, connection.dialect)
    _take_ids(rows, final, connection.exec_driver_sql(sql, params).scalar_one())


def _write_alone(engine: Engine, rows: list[tuple[Waiting, dict[str, Any]]]) -> None:
    """The rows' one statement as all a transaction writes (`_lone_statement`), on a pooled
    connection of its own in autocommit, straight to the driver: the session's transaction then
    has nothing to commit. Through SQLAlchemy's Connection, its set-up, isolation change, result
    and reset cost a fifth of an intake create's CPU on the web side (issue 12,
    docs/benchmarks.md). What SQLAlchemy would do with a driver error is done here: it is raised
    as SQLAlchemy's exception (IntegrityError, OperationalError: the app's 409 and 503), and a
    connection found dead is dropped and the pool renewed. Not seen by the engine's cursor
    events."""
    statement, params, final = _one_statement(rows)
    dialect = engine.dialect
    sql = _driver_sql(statement, dialect)
    driver_error = dialect.loaded_dbapi.Error
    try:
        pooled = engine.raw_connection()  # the pool's checkout, its ping after idle included
    except driver_error as error:  # no connection to be had (the database down or restarting)
        raise exc.DBAPIError.instance(
            None, None, error, driver_error, connection_invalidated=True, dialect=dialect
        ) from error
    try:
        driver = pooled.driver_connection
        assert driver is not None
        try:
            driver.autocommit = True
            try:
                with driver.cursor() as cursor:
                    cursor.execute(sql, params)
                    row = cursor.fetchone()
            finally:
                driver.autocommit = False
        except driver_error as error:
            dead = dialect.is_disconnect(error, driver, None)
            if dead:
                # As SQLAlchemy does on a disconnect: this connection goes, and the pool is
                # renewed (the others are likely dead too, after a database restart).
                pooled.invalidate(error)
                engine.dispose(close=False)
            raise exc.DBAPIError.instance(
                sql,
                params,
                error,
                driver_error,
                hide_parameters=engine.hide_parameters,
                connection_invalidated=dead,
                dialect=dialect,
            ) from error
    finally:
        pooled.close()
    _take_ids(rows, final, row[0] if row else None)


def _one_statement(
    rows: list[tuple[Waiting, dict[str, Any]]],
) -> tuple[TextualSelect, dict[str, Any], Shape]:
    """The statement that writes `rows` (`_statement`), its parameters, and its shape."""
    index = {id(w): i for i, (w, _) in enumerate(rows)}
    referred: set[int] = set()
    shape = []
    values = []
    for w, row in rows:
        row_values, refs = _split(w.table, row, index)
        referred.update(id(rows[k][0]) for _, k in refs)
        shape.append((w.table, tuple(row), w.returning, refs))
        values.append(row_values)
    params: dict[str, Any] = {"rows": _to_json(values)}
    final = tuple(
        (table, columns, returning or id(w) in referred, refs)
        for (w, _), (table, columns, returning, refs) in zip(rows, shape, strict=True)
    )
    channels = tuple(sorted({w.notify for w, _ in rows if w.notify}))
    params.update({f"c{j}": channel for j, channel in enumerate(channels)})
    return _statement(final, channels), params, final


def _take_ids(rows: list[tuple[Waiting, dict[str, Any]]], final: Shape, ids: list[int] | None) -> None:
    """Hand each row whose id was asked for its id, in the statement's order."""
    given = iter(ids or ())
    for (w, _), (_, _, returning, _) in zip(rows, final, strict=True):
        if returning:
            w.new_id = next(given)


def _split(
    table: Table, row: Mapping[str, Any], index: dict[int, int]
) -> tuple[dict[str, Any], tuple[tuple[str, int], ...]]:
    """The row's values for `jsonb_populate_record` (after each column type's own bind step where
    it has one: UTC for `UTCDateTime`; a JSON column's value embedded as JSON, None there becoming
    SQL NULL, which reads back as None too), and its references (column, position of the row)."""
    decorated = _decorated_columns(table)
    values: dict[str, Any] = {}
    refs: list[tuple[str, int]] = []
    for name, value in row.items():
        if isinstance(value, Waiting):
            refs.append((name, _position(index, value)))
        elif value is not None and name in decorated:
            values[name] = decorated[name].process_bind_param(value, _DIALECT)
        else:
            values[name] = value
    return values, tuple(refs)


def _position(index: dict[int, int], row: Waiting) -> int:
    if id(row) not in index:
        raise RuntimeError("a waiting row refers to a row that was not written before it")
    return index[id(row)]


def _write_in_order(connection: Connection, rows: list[tuple[Waiting, dict[str, Any]]]) -> None:
    """One INSERT per run of rows of one table and set of columns, in the order queued (SQLite
    has no data-modifying CTEs); a row's references are resolved when its run is written."""
    runs: list[list[tuple[Waiting, dict[str, Any]]]] = []
    for w, row in rows:
        last = runs[-1] if runs else None
        if (
            last is None
            or last[0][0].table is not w.table
            or tuple(last[0][1]) != tuple(row)
            or any(isinstance(v, Waiting) and any(v is x for x, _ in last) for v in row.values())
        ):
            runs.append([(w, row)])
        else:
            last.append((w, row))
    referred = {id(v) for _, row in rows for v in row.values() if isinstance(v, Waiting)}
    for run in runs:
        table = run[0][0].table
        values = [
            {k: _written_id(v) if isinstance(v, Waiting) else v for k, v in row.items()} for _, row in run
        ]
        if not any(w.returning or id(w) in referred for w, _ in run):
            connection.execute(insert(table), values)
            continue
        new_ids = connection.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), values
        )
        for (row_id,), (w, _) in zip(new_ids, run, strict=True):
            w.new_id = row_id


def _written_id(row: Waiting) -> int:
    if row.new_id is None:
        raise RuntimeError("a waiting row refers to a row that was not written before it")
    return row.new_id


# Per row: its table, its columns in order, whether its id is wanted (`returning`, or by a later
# row), and which of its columns take the id of which earlier row (by position).
Shape = tuple[tuple[Table, tuple[str, ...], bool, tuple[tuple[str, int], ...]], ...]


@functools.lru_cache(maxsize=256)
def _statement(shape: Shape, channels: tuple[str, ...]) -> TextualSelect:
    """`WITH given AS (SELECT :rows::jsonb AS _rows), w0 AS (INSERT INTO t (...) SELECT ...
    FROM jsonb_populate_record(NULL::t, (SELECT _rows FROM given) -> 0) [RETURNING id]), w1 AS (...)
    SELECT ARRAY[(SELECT id FROM w0), ...] FROM (SELECT pg_notify(...)) AS notified`: one row,
    one column, the ids asked for. PostgreSQL runs every data-modifying CTE, read or not; a
    column that takes an earlier row's id reads it from that row's CTE (the foreign key is
    checked at the end of the statement, when the row is there). The rows are one parameter, a
    JSON array whose objects PostgreSQL turns into each table's row type, column by column: a
    parameter per column made the statement too long and too many-valued for psycopg to keep
    its parsed form, and it was parsed again for every create (about a tenth of the request's
    CPU); one array is one encoding in Python. Built once per shape."""
    ctes, results = [], []
    for i, (table, columns, returning, refs) in enumerate(shape):
        referring = dict(refs)
        target = _NAMES.format_table(table)
        quoted = ", ".join(_NAMES.quote(c) for c in columns)
        # Table and column names from the model (quoted); every value is in the bound parameter.
        picked = ", ".join(
            f"(SELECT id FROM w{referring[c]})" if c in referring else _NAMES.quote(c)  # noqa: S608
            for c in columns
        )
        # The rows through a scalar subquery, not `FROM given`: a table's own column could be
        # called `_rows` too, and would then be ambiguous.
        source = f"jsonb_populate_record(CAST(NULL AS {target}), (SELECT _rows FROM given) -> {i})"  # noqa: S608
        back = " RETURNING id" if returning else ""
        ctes.append(f"w{i} AS (INSERT INTO {target} ({quoted}) SELECT {picked} FROM {source}{back})")  # noqa: S608
        if returning:
            results.append(f"(SELECT id FROM w{i})")  # noqa: S608
    # One column, however many ids: each column of a result costs psycopg and SQLAlchemy a
    # description and a type lookup per execution. The NOTIFYs are a one-row FROM.
    ids = f"ARRAY[{', '.join(results)}]" if results else "NULL"
    notifies = ", ".join(f"pg_notify(:c{j}, '')" for j in range(len(channels)))
    notified = f" FROM (SELECT {notifies}) AS notified" if channels else ""
    # `given` is read by every row's CTE, so PostgreSQL casts the parameter once (materialised).
    # Typed, so SQLAlchemy keeps the result's metadata with the compiled statement.
    given = "given AS (SELECT CAST(:rows AS jsonb) AS _rows)"
    return text(f"WITH {given}, {', '.join(ctes)} SELECT {ids} AS ids{notified}").columns(  # noqa: S608
        column("ids", postgresql.ARRAY(Integer))
    )


@functools.lru_cache(maxsize=256)
def _driver_sql(statement: TextualSelect, dialect: Dialect) -> str:
    return str(statement.compile(dialect=dialect))


@functools.lru_cache(maxsize=128)
def _decorated_columns(table: Table) -> dict[str, TypeDecorator[Any]]:
    return {c.name: c.type for c in table.columns if isinstance(c.type, TypeDecorator)}


def _json_value(value: Any) -> Any:
    """What orjson leaves to us: datetimes, dates and times as `isoformat()` writes them (any
    offset, subclasses too), decimals as text; anything else is refused."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be written behind")


# All rows of a statement are one JSON array: one encoding, one parameter (issue 12). orjson
# writes it in a tenth of the time of the standard library's encoder, which took more than half
# of building the statement (docs/benchmarks.md). Datetimes go through `_json_value`, as with
# `json`; UUIDs are written as `str()` does; keys that are not text are written as text, as `json`
# does; a dataclass is refused, as `json` does. Unlike `json`: a float NaN or infinity becomes
# null (`json` wrote NaN, which PostgreSQL refused; no table written behind has a float column),
# an Enum is written as its value, and an integer beyond 64 bits is refused.
_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME


def _to_json(values: Any) -> str:
    return orjson.dumps(values, default=_json_value, option=_JSON_OPTIONS).decode()


class WriteBehindSession(Session):
    """A session that also writes waiting rows where SQLAlchemy calls no hook: `begin_nested()`
    writes every waiting row before the savepoint begins (a rollback to the savepoint must not
    take them along)."""

    def begin_nested(self) -> SessionTransaction:
        write_queued(self)
        return super().begin_nested()


@event.listens_for(Session, "do_orm_execute")
def _before_any_statement(state: ORMExecuteState) -> None:
    if state.session.info.get(_QUEUE):
        write_queued(state.session)


@event.listens_for(Session, "after_begin")
def _connected(session: Session, _transaction: SessionTransaction, _connection: Connection) -> None:
    session.info[_CONNECTED] = True


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.info.get(_FAILED):
        raise RuntimeError("rows waiting to be written could not be written: the transaction cannot commit")
    if session.info.get(_QUEUE) and _lone_statement(session):
        # The rows waiting are all this transaction writes, and on PostgreSQL they go in one
        # statement, which is atomic by itself: it runs without BEGIN and COMMIT, one round trip
        # instead of three (an intake create, issue 12). Its NOTIFY is sent when it ends.
        write_queued(session, alone=True)
        return
    write_queued(session)


def _lone_statement(session: Session) -> bool:
    """True when committing this transaction means running the waiting rows' one statement and
    nothing else: PostgreSQL, no statement run in the transaction yet (no connection taken), and
    nothing for the ORM to flush after it (no new, changed or deleted objects in the session). A
    session bound to a connection (its transaction the caller's) never qualifies."""
    if session.info.get(_CONNECTED) or session.in_nested_transaction():
        return False
    bind = session.get_bind()
    if not isinstance(bind, Engine) or bind.dialect.name != "postgresql":
        return False
    return not (session.new or session.deleted or session.dirty)


@event.listens_for(Session, "after_transaction_create")
def _no_savepoint_while_waiting(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested and session.info.get(_QUEUE):
        raise RuntimeError("a savepoint (begin_nested) while rows wait in insert_later: not supported")


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """The transaction is over (committed: nothing waits; rolled back: the rows go with it)."""
    if transaction.parent is None:
        session.info.pop(_QUEUE, None)
        session.info.pop(_FAILED, None)
        session.info.pop(_CONNECTED, None)
