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
Savepoints are refused (nothing in Instap uses them): rows queued before one would be written
inside it, and a rollback to it would take them along, so `insert_later` inside a savepoint and a
savepoint begun while rows wait both raise instead of losing rows (after the refusal the session
is in a half-begun savepoint: roll back).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, event, insert, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql.elements import TextClause

_QUEUE = "instap.write_behind"  # session.info key: the rows waiting, in the order queued
_FAILED = "instap.write_behind_failed"  # session.info key: a write failed, the rest was dropped
# At most this many rows wait: a match run stores thousands of proposals and their events in one
# transaction with no statement in between, and one statement may bind at most 65,535 values.
MAX_WAITING = 100
_NAMES = postgresql.dialect().identifier_preparer  # quotes names (and a table's schema, if any)


# A row, or a function giving it when it is written (the values an ORM object holds by then), or
# None when there is nothing to write any more (the ORM took the object over).
Row = Mapping[str, Any] | Callable[[], Mapping[str, Any] | None]


@dataclass(frozen=True)
class Waiting:
    table: Table
    row: Row
    notify: str | None = None  # a PostgreSQL NOTIFY channel to signal at commit
    written: Callable[[int], None] | None = None  # told the new row's id once it is written

    @property
    def stands_for_an_object(self) -> bool:
        return self.written is not None or callable(self.row)

    def values(self) -> dict[str, Any] | None:
        row = self.row() if callable(self.row) else self.row
        return None if row is None else dict(row)


def insert_later(
    session: Session,
    table: Table,
    row: Row,
    *,
    notify: str | None = None,
    written: Callable[[int], None] | None = None,
) -> None:
    """INSERT `row` into `table` in this transaction, before its next statement or at commit.
    `row` may be a function, called when the row is written (None: write nothing). `notify`: a
    PostgreSQL NOTIFY channel to signal at commit (ignored elsewhere). `written`: called with
    the row's id (`table.c.id`) when the row has been written. Rows that stand for an ORM object
    (a function or `written`) also go in before the session's next flush."""
    if session.in_nested_transaction():
        raise RuntimeError("insert_later inside a savepoint (begin_nested) is not supported")
    if not session.in_transaction():
        # The rows belong to a transaction: without one begun, a rollback would end none and
        # leave them waiting for the next.
        session.begin()
    waiting = session.info.setdefault(_QUEUE, [])
    waiting.append(Waiting(table, row if callable(row) else dict(row), notify, written))
    if len(waiting) >= MAX_WAITING:
        write_queued(session)


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
    if session.get_bind().dialect.name == "postgresql":
        shape = tuple((w.table, tuple(row), w.written is not None) for w, row in rows)
        channels = tuple(sorted({w.notify for w, _ in rows if w.notify}))
        params: dict[str, Any] = {f"c{j}": channel for j, channel in enumerate(channels)}
        for i, (_, row) in enumerate(rows):
            params.update({f"w{i}_{name}": value for name, value in row.items()})
        ids = iter(session.execute(_statement(shape, channels), params).one())
        for w, _ in rows:
            if w.written is not None:
                w.written(next(ids))
        return
    # Elsewhere one statement per table and set of columns (SQLite has no data-modifying CTEs).
    groups: dict[tuple[Table, tuple[str, ...], bool], list[tuple[Waiting, dict[str, Any]]]] = {}
    for w, row in rows:
        groups.setdefault((w.table, tuple(row), w.written is not None), []).append((w, row))
    for (table, _, returning), group in groups.items():
        values = [row for _, row in group]
        if not returning:
            session.execute(insert(table), values)
            continue
        new_ids = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), values)
        for (row_id,), (w, _) in zip(new_ids, group, strict=True):
            assert w.written is not None
            w.written(row_id)


# Which tables, which columns in which order, and whether the row's id is wanted: per row.
Shape = tuple[tuple[Table, tuple[str, ...], bool], ...]


@functools.lru_cache(maxsize=256)
def _statement(shape: Shape, channels: tuple[str, ...]) -> TextClause:
    """`WITH w0 AS (INSERT INTO t (...) VALUES (...) [RETURNING id]), w1 AS (...) SELECT
    (SELECT id FROM w0), ..., pg_notify(...)`: one row, with the ids asked for. PostgreSQL runs
    every data-modifying CTE, read or not. Built once per shape (which tables, which columns in
    which order, which ids wanted), with each parameter typed as its column."""
    ctes, binds, results = [], [], []
    for i, (table, columns, returning) in enumerate(shape):
        names = [f"w{i}_{column}" for column in columns]
        quoted = ", ".join(_NAMES.quote(c) for c in columns)
        values = ", ".join(":" + n for n in names)
        back = " RETURNING id" if returning else ""
        # Table and column names from the model (quoted); every value is a bound parameter.
        ctes.append(f"w{i} AS (INSERT INTO {_NAMES.format_table(table)} ({quoted}) VALUES ({values}){back})")  # noqa: S608
        binds += [bindparam(n, type_=table.c[c].type) for n, c in zip(names, columns, strict=True)]
        if returning:
            results.append(f"(SELECT id FROM w{i})")  # noqa: S608
    results += [f"pg_notify(:c{j}, '')" for j in range(len(channels))]
    return text(f"WITH {', '.join(ctes)} SELECT {', '.join(results) or '1'}").bindparams(*binds)


@event.listens_for(Session, "do_orm_execute")
def _before_any_statement(state: ORMExecuteState) -> None:
    if state.session.info.get(_QUEUE):
        write_queued(state.session)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    """Rows standing for ORM objects (a new resident's history) go in before the ORM writes
    anything: a later row of the same kind gets a later id, and an object the flush changes or
    deletes exists by then. Other rows keep waiting (an intake create stays two statements)."""
    if any(w.stands_for_an_object for w in session.info.get(_QUEUE, ())):
        write_queued(session)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.info.get(_FAILED):
        raise RuntimeError("rows waiting to be written could not be written: the transaction cannot commit")
    write_queued(session)


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
