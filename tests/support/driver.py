"""What reaches PostgreSQL through psycopg, seen at the driver, below SQLAlchemy: the write-behind's
lone statement goes to the driver directly (shared/writebehind.py), where SQLAlchemy's cursor
events do not see it. Only this thread's statements count (a worker thread's relay does not)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus


@dataclass
class Sent:
    sql: str
    in_transaction: bool  # not in autocommit: psycopg opened (or had opened) a transaction for it
    began: bool  # psycopg sent a BEGIN before it (the first statement of a transaction)


@dataclass
class Traffic:
    statements: list[Sent] = field(default_factory=list)
    commits: int = 0  # COMMITs sent (a commit with no transaction open sends nothing)

    @property
    def begins(self) -> int:
        return sum(s.began for s in self.statements)


@contextmanager
def psycopg_traffic() -> Iterator[Traffic]:
    traffic = Traffic()
    me = threading.get_ident()
    execute, executemany, commit = (
        psycopg.Cursor.execute,
        psycopg.Cursor.executemany,
        psycopg.Connection.commit,
    )

    def seen(cursor: psycopg.Cursor[Any], query: Any) -> None:
        if threading.get_ident() == me:
            connection = cursor.connection
            in_transaction = not connection.autocommit
            began = in_transaction and connection.info.transaction_status == TransactionStatus.IDLE
            traffic.statements.append(Sent(str(query), in_transaction, began))

    def counted_execute(cursor: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        seen(cursor, query)
        return execute(cursor, query, *args, **kwargs)

    def counted_executemany(cursor: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        seen(cursor, query)  # one statement, however many rows (psycopg pipelines them)
        return executemany(cursor, query, *args, **kwargs)

    def counted_commit(connection: psycopg.Connection[Any]) -> None:
        if threading.get_ident() == me and connection.info.transaction_status != TransactionStatus.IDLE:
            traffic.commits += 1
        commit(connection)

    psycopg.Cursor.execute = counted_execute  # type: ignore[assignment,method-assign]
    psycopg.Cursor.executemany = counted_executemany  # type: ignore[method-assign]
    psycopg.Connection.commit = counted_commit  # type: ignore[assignment,method-assign]
    try:
        yield traffic
    finally:
        psycopg.Cursor.execute = execute  # type: ignore[method-assign]
        psycopg.Cursor.executemany = executemany  # type: ignore[method-assign]
        psycopg.Connection.commit = commit  # type: ignore[method-assign]
