"""One backend's test databases and service apps, shared by the tests of one pytest worker.

Building a service app costs a quarter of a second (routes, OpenAPI spec) and migrating a
database far more, so each pytest(-xdist) worker migrates each backend once and builds each
app once. Between tests `reset()` empties every table, Redis and the in-memory login limiter,
so a test starts from the same state as on a freshly migrated database.
"""

from __future__ import annotations

from typing import Any

import redis
from sqlalchemy import text

from shared.auth.web import forget_cached_accounts
from shared.components import COMPONENTS
from shared.config import Settings
from shared.db import Database
from shared.peers import link_apps

# A test that left a transaction open would make the reset wait forever; fail instead.
LOCK_TIMEOUT = "15s"


class World:
    """Settings, databases and lazily built apps of one backend (SQLite or PostgreSQL)."""

    def __init__(self, backend: str, settings: Settings):
        self.backend = backend
        self.settings = settings
        self.redis = redis.Redis.from_url(settings.redis_url)
        self.databases = {name: Database(settings.database_url(name), name) for name in COMPONENTS}
        self._apps: dict[str, Any] = {}
        self._pg_reset: str | None = None

    @property
    def accounts_db(self) -> Database:
        return self.databases["accounts"]

    def app(self, service: str) -> Any:
        """The service's app on this backend, built on first use."""
        if service not in self._apps:
            self._apps[service] = COMPONENTS[service].create_app(self.settings)
            # Like the development suite: every app reaches the others in-process (shared/peers.py).
            link_apps(*self._apps.values())
        return self._apps[service]

    def reset(self) -> None:
        """Empty Redis, every table and the apps' per-process state."""
        self.redis.flushdb()
        if self.backend == "postgresql":
            self._empty_postgres()
        else:
            self._empty_sqlite()
        for app in self._apps.values():
            _reset_app_state(app)

    def _empty_postgres(self) -> None:
        """Empty every table and restart every sequence, in one round trip. DELETE, not
        TRUNCATE: most tests leave most tables empty, and TRUNCATE of some fifty tables (new
        files for each) cost 0.1 s per test where DELETE of the few filled ones costs a few ms."""
        if self._pg_reset is None:
            with self.accounts_db.engine.connect() as conn:
                sequences = conn.execute(
                    text(
                        "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) "
                        "FROM pg_sequences WHERE schemaname = ANY(:schemas)"
                    ),
                    {"schemas": list(COMPONENTS)},
                ).scalars()
                restart = [f"SELECT setval('{seq}', 1, false)" for seq in sequences]
            deletes = [
                f'DELETE FROM "{name}"."{table.name}"'  # noqa: S608 - our own table names
                for name, comp in COMPONENTS.items()
                for table in reversed(comp.base().metadata.sorted_tables)
            ]
            self._pg_reset = "; ".join([f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'", *deletes, *restart])
        with self.accounts_db.engine.begin() as conn:
            conn.exec_driver_sql(self._pg_reset)

    def _empty_sqlite(self) -> None:
        for name, comp in COMPONENTS.items():
            with self.databases[name].engine.begin() as conn:
                for table in reversed(comp.base().metadata.sorted_tables):
                    conn.execute(table.delete())
                # AUTOINCREMENT counters, if a table has one: ids start at 1 again, as on PostgreSQL.
                if conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")).first():
                    conn.execute(text("DELETE FROM sqlite_sequence"))

    def close(self) -> None:
        for app in self._apps.values():
            app.extensions["instap"].close()
        for db in self.databases.values():
            db.dispose()
        self.redis.close()


def _reset_app_state(app: Any) -> None:
    """Forget per-process state a test may have changed: login attempts counted in memory,
    tokens and staff members remembered (ids start at 1 again after every reset)."""
    forget_cached_accounts(app.extensions["instap"])
    app.extensions["instap"].extras["limit_storage"].reset()
