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
drops them; if a write fails, the transaction can no longer commit. Rows that stand for an ORM
object (a new resident's history) also go in before the session's next flush, take their values
from the object then, and are left to the ORM if it took the object over. Other rows may wait
past a flush: they are leaves, no row refers to them. PostgreSQL runs the CTEs of one statement
in no set order, so ids within one table follow the queue only on SQLite.

A new ORM object can wait too (`insert_object_later`: a new resident and its history), and a
waiting row can take the id of one queued before it: on PostgreSQL the whole intake create is
one statement, its history and audit rows reading the resident's id from the resident's CTE. The
object becomes persistent, as if loaded, once written; until then its id is None (`id_of` gives
its handle instead). Sessions made by `shared.db.Database` are `WriteBehindSession`s: their
`flush()` writes the rows that stand for objects even when it has nothing else to flush. A new
object and the rows that refer to it are queued inside `together(session)`, so that a full queue
never writes the object without them; a rollback takes the objects it made persistent out of the
session again, as SQLAlchemy does with objects it inserted.

Savepoints: a `WriteBehindSession` writes what waits before a savepoint begins. Inside one,
`insert_later` is refused (nothing in Instap uses savepoints): a rollback to it would take the
rows along. A savepoint begun by a session of another class while rows wait is refused too
(after the refusal the session is in a half-begun savepoint: roll back).
"""

from __future__ import annotations

import contextlib
import functools
import json
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnDefault,
    Connection,
    Engine,
    Integer,
    Table,
    TypeDecorator,
    column,
    event,
    insert,
    inspect,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import (
    Mapper,
    ORMExecuteState,
    Session,
    SessionTransaction,
    make_transient,
    make_transient_to_detached,
)
from sqlalchemy.sql.selectable import TextualSelect

_QUEUE = "instap.write_behind"  # session.info key: the rows waiting, in the order queued
_OBJECTS = "instap.write_behind_objects"  # session.info key: id(object) -> (object, its waiting row)
_FAILED = "instap.write_behind_failed"  # session.info key: a write failed, the rest was dropped
_HOLD = "instap.write_behind_hold"  # session.info key: inside `together` (how deep)
_PERSISTED = "instap.write_behind_persisted"  # session.info key: objects made persistent here
_CONNECTED = "instap.write_behind_connected"  # session.info key: the transaction has a connection
# At most this many rows wait (but see `together`): a match run stores thousands of proposals and
# their events in one transaction with no statement in between, and one statement is better kept
# to a size PostgreSQL plans quickly.
MAX_WAITING = 100
_DIALECT = postgresql.dialect()
_NAMES = _DIALECT.identifier_preparer  # quotes names (and a table's schema, if any)


# A row, or a function giving it when it is written (the values an ORM object holds by then), or
# None when there is nothing to write any more (the ORM took the object over).
Row = Mapping[str, Any] | Callable[[], Mapping[str, Any] | None]


@dataclass(eq=False)
class Waiting:
    """A row waiting to be written; also its handle: another waiting row may hold it as a column
    value, which then becomes this row's id (a new resident's history refers to the resident)."""

    table: Table
    row: Row
    notify: str | None = None  # a PostgreSQL NOTIFY channel to signal at commit
    written: Callable[[int], None] | None = None  # told the new row's id once it is written
    new_id: int | None = None  # the row's id, once written

    @property
    def stands_for_an_object(self) -> bool:
        return self.written is not None or callable(self.row)

    def values(self) -> dict[str, Any] | None:
        row = self.row() if callable(self.row) else self.row
        if row is None:
            return None
        # A reference to a row written in an earlier batch is that row's id by now.
        return {k: v.new_id if isinstance(v, Waiting) and v.new_id is not None else v for k, v in row.items()}


def insert_later(
    session: Session,
    table: Table,
    row: Row,
    *,
    notify: str | None = None,
    written: Callable[[int], None] | None = None,
) -> Waiting:
    """INSERT `row` into `table` in this transaction, before its next statement or at commit.
    `row` may be a function, called when the row is written (None: write nothing). `notify`: a
    PostgreSQL NOTIFY channel to signal at commit (ignored elsewhere). `written`: called with
    the row's id (`table.c.id`) when the row has been written. Rows that stand for an ORM object
    (a function or `written`) also go in before the session's next flush.

    Returns the row's handle: a later row may give it as a column's value, and gets this row's
    id there (in the same statement on PostgreSQL). A row can refer only to rows queued before
    it; once every row of a batch is written, the `written` callbacks are called, the rows that
    refer to others first (an object then becomes persistent before the object it belongs to,
    whose cascade would otherwise take it for a new one)."""
    if session.in_nested_transaction():
        raise RuntimeError("insert_later inside a savepoint (begin_nested) is not supported")
    if not session.in_transaction():
        # The rows belong to a transaction: without one begun, a rollback would end none and
        # leave them waiting for the next.
        session.begin()
    waiting = session.info.setdefault(_QUEUE, [])
    handle = Waiting(table, row if callable(row) else dict(row), notify, written)
    waiting.append(handle)
    if len(waiting) >= MAX_WAITING and not session.info.get(_HOLD):
        write_queued(session)
    return handle


@contextlib.contextmanager
def together(session: Session) -> Iterator[None]:
    """The rows queued inside go in one batch: the queue's size limit waits for the end. A new
    object and the rows that refer to it must not be split: written first, the object becomes
    persistent, and its cascade would take over the objects still waiting in its collections
    (the ORM would then insert them without the object's id)."""
    session.info[_HOLD] = session.info.get(_HOLD, 0) + 1
    try:
        yield
    finally:
        session.info[_HOLD] -= 1
    if not session.info[_HOLD] and queued(session) >= MAX_WAITING:
        write_queued(session)


def insert_object_later(
    session: Session, obj: Any, *, member_of: tuple[Any, str] | None = None, **refer: Any
) -> Waiting:
    """Write a new ORM object (transient: never added to the session) with the rows waiting,
    instead of in a flush of its own; it becomes persistent, as if loaded, once written. Its
    columns are what the object holds when written: an unset column gets its default (set on
    the object too, so that reading it later costs no query). `refer`: columns that take the id
    of another object (a new one queued before this one, or one already stored). If the ORM
    takes the object over first (someone adds it to the session and flushes), nothing is
    written here. `member_of` (an object, a collection's name): written only if it is still in
    that collection then (an object taken out of a new resident's history before the write).
    `id_of` gives the object's id, or its handle while it waits.

    Limits: do not add a waiting object to the session yourself (the rows that refer to it would
    then have no id to take), and do not expire or refresh an object whose new children wait in
    its collections (`member_of` would read the stored collection, without them, and skip them).
    Nothing in Instap does either; queue an object and its children inside `together`."""
    handle = insert_later(
        session,
        inspect(obj).mapper.local_table,
        functools.partial(_row_of_object, session, obj, member_of, refer),
        written=functools.partial(_persist, session, obj, refer),
    )
    session.info.setdefault(_OBJECTS, {})[id(obj)] = (obj, handle)
    return handle


def id_of(session: Session, obj: Any) -> Any:
    """The object's id; while it waits in `insert_object_later`, its handle (a waiting row may
    give that as a column's value: it becomes the id when written)."""
    if obj.id is not None:
        return obj.id
    _obj, handle = session.info.get(_OBJECTS, {}).get(id(obj), (None, None))
    if handle is None:  # not stored and not waiting: an audit row or a reference would lose it
        raise RuntimeError(f"{type(obj).__name__} has no id and is not waiting to be written")
    return handle


def _row_of_object(
    session: Session, obj: Any, member_of: tuple[Any, str] | None, refer: Mapping[str, Any]
) -> dict[str, Any] | None:
    state = inspect(obj)
    if not state.transient:
        return None  # the ORM took it over
    if member_of is not None and not any(obj is o for o in getattr(*member_of)):
        return None  # taken out before it was written
    row: dict[str, Any] = {}
    values = state.dict
    for key, name, default in _columns_of(state.mapper):
        if key in refer:
            row[name] = id_of(session, refer[key])
            continue
        value = values.get(key)
        if value is None:
            # What the INSERT would give it, and on the object as loaded (no query to read it):
            # it becomes persistent with every column committed (make_transient_to_detached).
            if default is not None:
                value = default.arg(None) if default.is_callable else default.arg  # type: ignore[attr-defined]
            values[key] = value
        row[name] = value
    return row


@functools.lru_cache(maxsize=64)
def _columns_of(mapper: Mapper[Any]) -> tuple[tuple[str, str, ColumnDefault | None], ...]:
    """Per column attribute but the primary key: its key, its column's name, its default."""
    return tuple(
        (attr.key, attr.columns[0].name, attr.columns[0].default)  # type: ignore[misc]
        for attr in mapper.column_attrs
        if not attr.columns[0].primary_key
    )


def _persist(session: Session, obj: Any, refer: Mapping[str, Any], row_id: int) -> None:
    obj.id = row_id
    for key, other in refer.items():
        # Called before the other object's own callback (rows that refer to others first).
        value = id_of(session, other)
        setattr(obj, key, value.new_id if isinstance(value, Waiting) else value)
    make_transient_to_detached(obj)
    session.add(obj)
    # Attached as if loaded, the transaction does not know the object is new: a rollback would
    # leave it in the session for a row that is gone. `_forget_on_rollback` takes it out.
    session.info.setdefault(_PERSISTED, []).append(obj)


def queued(session: Session) -> int:
    """How many rows wait to be written (for tests and diagnostics)."""
    return len(session.info.get(_QUEUE, ()))


def write_queued(session: Session) -> None:
    """Write what waits, now (the hooks below call this; so may code that needs it written)."""
    waiting: list[Waiting] | None = session.info.pop(_QUEUE, None)
    if not waiting:
        return
    try:
        _write(session, waiting)
    except BaseException:
        # The rows not written are gone from the queue: this transaction must not commit.
        session.info[_FAILED] = True
        raise


def _write(session: Session, waiting: list[Waiting]) -> None:
    rows = [(w, row) for w in waiting if (row := w.values()) is not None]
    if not rows:
        return
    # Core, not the session's ORM execute: nothing here is an ORM statement, and the hooks below
    # must not see this one.
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _write_one_statement(connection, rows)
    else:
        _write_in_order(connection, rows)
    for w, _ in reversed(rows):
        if w.written is not None:
            assert w.new_id is not None
            w.written(w.new_id)


def _write_one_statement(connection: Connection, rows: list[tuple[Waiting, dict[str, Any]]]) -> None:
    index = {id(w): i for i, (w, _) in enumerate(rows)}
    referred: set[int] = set()
    shape = []
    values = []
    for w, row in rows:
        row_values, refs = _split(w.table, row, index)
        referred.update(id(rows[k][0]) for _, k in refs)
        shape.append((w.table, tuple(row), w.written is not None, refs))
        values.append(row_values)
    params: dict[str, Any] = {"rows": _to_json(values)}
    final = tuple(
        (table, columns, returning or id(w) in referred, refs)
        for (w, _), (table, columns, returning, refs) in zip(rows, shape, strict=True)
    )
    channels = tuple(sorted({w.notify for w, _ in rows if w.notify}))
    params.update({f"c{j}": channel for j, channel in enumerate(channels)})
    ids = iter(connection.execute(_statement(final, channels), params).scalar_one() or ())
    for (w, _), (_, _, returning, _) in zip(rows, final, strict=True):
        if returning:
            w.new_id = next(ids)


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
        if not any(w.written is not None or id(w) in referred for w, _ in run):
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


# Per row: its table, its columns in order, whether its id is wanted (by `written` or by a later
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


@functools.lru_cache(maxsize=128)
def _decorated_columns(table: Table) -> dict[str, TypeDecorator[Any]]:
    return {c.name: c.type for c in table.columns if isinstance(c.type, TypeDecorator)}


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be written behind")


# All rows of a statement are one JSON array: one encoding, one parameter (issue 12).
_to_json = json.JSONEncoder(default=_json_value, separators=(",", ":")).encode


class WriteBehindSession(Session):
    """A session that also writes waiting rows where SQLAlchemy calls no hook: `flush()` with
    nothing else to flush writes the rows that stand for objects (code that flushes to see a new
    resident written gets it), and `begin_nested()` writes every waiting row before the
    savepoint begins (a rollback to the savepoint must not take them along)."""

    def flush(self, objects: Sequence[Any] | None = None) -> None:
        if any(w.stands_for_an_object for w in self.info.get(_QUEUE, ())):
            write_queued(self)
        super().flush(objects)

    def begin_nested(self) -> SessionTransaction:
        write_queued(self)
        return super().begin_nested()


@event.listens_for(Session, "do_orm_execute")
def _before_any_statement(state: ORMExecuteState) -> None:
    if state.session.info.get(_QUEUE):
        write_queued(state.session)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    """Rows standing for ORM objects (a new resident's history) go in before the ORM writes
    anything: a later row of the same kind gets a later id, and an object the flush changes or
    deletes exists by then. Other rows keep waiting (an audit row, an event: they are leaves)."""
    if any(w.stands_for_an_object for w in session.info.get(_QUEUE, ())):
        write_queued(session)


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
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    write_queued(session)


def _lone_statement(session: Session) -> bool:
    """True when committing this transaction means running the waiting rows' one statement and
    nothing else: PostgreSQL, no statement run in the transaction yet (no connection taken), and
    nothing for the ORM to flush after it: no new, changed or deleted objects in the session, and
    nothing a waiting object will bring into it when it becomes persistent (its cascade: a new
    note appended to a new resident is in no session until then). A session bound to a
    connection (its transaction the caller's) never qualifies."""
    if session.info.get(_CONNECTED) or session.in_nested_transaction():
        return False
    bind = session.get_bind()
    if not isinstance(bind, Engine) or bind.dialect.name != "postgresql":
        return False
    if session.new or session.deleted or session.dirty:
        return False
    # One level is enough: a new object anywhere further down hangs on a waiting one (checked
    # here), on a new one not waiting (which fails the check itself) or on one in the session
    # (which the cascade put in `session.new` when it was attached).
    waiting = session.info.get(_OBJECTS, {})
    for obj, _handle in waiting.values():
        state = inspect(obj)
        values = state.dict
        for key, many in _cascaded_relations(state.mapper):
            held = values.get(key)
            for child in (held or ()) if many else (() if held is None else (held,)):
                if id(child) not in waiting and (inspect(child).key is None or child not in session):
                    return False  # new or detached: the ORM would write it after the statement
    return True


@functools.lru_cache(maxsize=64)
def _cascaded_relations(mapper: Mapper[Any]) -> tuple[tuple[str, bool], ...]:
    """The relationships whose objects the session takes in with this one (save-update cascade):
    their keys, and whether each holds a collection."""
    return tuple((r.key, bool(r.uselist)) for r in mapper.relationships if r.cascade.save_update)


@event.listens_for(Session, "after_transaction_create")
def _no_savepoint_while_waiting(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested and session.info.get(_QUEUE):
        raise RuntimeError("a savepoint (begin_nested) while rows wait in insert_later: not supported")


@event.listens_for(Session, "after_commit")
def _keep_after_commit(session: Session) -> None:
    session.info.pop(_PERSISTED, None)


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    """As SQLAlchemy does with the objects a rolled-back transaction inserted: out of the
    session, transient again."""
    for obj in session.info.pop(_PERSISTED, ()):
        if obj in session:
            session.expunge(obj)
        make_transient(obj)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """The transaction is over (committed: nothing waits; rolled back: the rows go with it)."""
    if transaction.parent is None:
        session.info.pop(_QUEUE, None)
        session.info.pop(_OBJECTS, None)
        session.info.pop(_FAILED, None)
        session.info.pop(_CONNECTED, None)
