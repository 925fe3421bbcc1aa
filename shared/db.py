"""SQLAlchemy 2 plumbing: an engine and session factory per component; one unit of work per request/job."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, exc, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from shared.writebehind import WriteBehindSession

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


CONNECT_TIMEOUT_S = 3
POOL_TIMEOUT_S = 5
LOCK_TIMEOUT_MS = 5000
STATEMENT_TIMEOUT_MS = 30_000
# Statement parameters are left out of database errors: they hold personal data (a resident's
# name, phone, e-mail), and an error's text can end up in a log or a traceback.
HIDE_PARAMETERS = True
# A pooled connection idle for longer than this is pinged before it is used (below).
PING_AFTER_IDLE_S = 1.0


def utcnow() -> datetime:
    """Timezone-aware now in UTC; the only clock the models use."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use shared.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def new_metadata() -> MetaData:
    """Metadata for one component's tables, with constraint names Alembic can rely on."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def _ping_after_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only when it has been idle for a while.

    SQLAlchemy's `pool_pre_ping` pings on every checkout: a round trip and about a twentieth of
    an intake create's CPU (issue 12, docs/benchmarks.md), to catch what mostly happens while
    a connection sits unused (a database restart, a proxy closing idle connections). A
    connection in steady use is not pinged; one idle for more than PING_AFTER_IDLE_S is, and a
    dead one is replaced before the request sees it (SQLAlchemy's pessimistic disconnect
    handling, by its checkout event). A connection that dies while in use fails its request
    (503, shared/app.py) and SQLAlchemy then renews every connection of the pool.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn, record):  # type: ignore[no-untyped-def]
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn, record, _proxy):  # type: ignore[no-untyped-def]
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since <= PING_AFTER_IDLE_S:
            return  # new, or in steady use
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(str(error)) from error  # the pool reconnects
        if not alive:
            raise exc.DisconnectionError("ping failed")


class Database:
    """Engine + session factory of one component (accounts, intake, matching, rapportage).

    In PostgreSQL each component lives in its own schema (named after the component) of
    possibly one shared database; in SQLite each component is its own file.
    """

    def __init__(self, url: str, component: str, *, statement_timeout_ms: int = STATEMENT_TIMEOUT_MS):
        self.url = url
        self.component = component
        self.engine = self._make_engine(url, component, statement_timeout_ms)
        # The component's name travels with each session (outbox NOTIFY channel, logs).
        self.sessionmaker = sessionmaker(
            self.engine, class_=WriteBehindSession, expire_on_commit=False, info={"component": component}
        )

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @staticmethod
    def _make_engine(url: str, component: str, statement_timeout_ms: int) -> Engine:
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(
                url, connect_args={"timeout": LOCK_TIMEOUT_MS / 1000}, hide_parameters=HIDE_PARAMETERS
            )

            @event.listens_for(engine, "connect")
            def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute(f"PRAGMA busy_timeout={LOCK_TIMEOUT_MS}")
                cur.close()

            return engine
        # Bounded waits everywhere: a database that is down or stuck gives an error (503 to the
        # caller) in seconds, never a request that hangs until the proxy gives up.
        engine = create_engine(
            url,
            hide_parameters=HIDE_PARAMETERS,
            pool_size=5,
            max_overflow=10,
            pool_timeout=POOL_TIMEOUT_S,
            connect_args={
                "connect_timeout": CONNECT_TIMEOUT_S,
                "options": f"-c statement_timeout={statement_timeout_ms} -c lock_timeout={LOCK_TIMEOUT_MS}",
            },
        )

        @event.listens_for(engine, "connect")
        def _search_path(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # Autocommit so the SET survives; the schema is created by migrations.
            previous = dbapi_conn.autocommit
            dbapi_conn.autocommit = True
            cur = dbapi_conn.cursor()
            cur.execute(f'CREATE SCHEMA IF NOT EXISTS "{component}"')
            cur.execute(f'SET search_path TO "{component}"')
            cur.close()
            dbapi_conn.autocommit = previous

        _ping_after_idle(engine)
        return engine

    @contextlib.contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction: commit on success, roll back on error, always close."""
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("select 1"))

    def dispose(self) -> None:
        self.engine.dispose()
