"""Real Redis and PostgreSQL for tests: given ones from the environment, else throw-away ones."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from shared.localservers import start_postgres, start_redis

Cleanup = Callable[[], None]

#: A Redis to use instead of starting one; name a database number reserved for tests (xdist
#: worker N uses that number plus N).
TEST_REDIS_URL = "TEST_REDIS_URL"
#: A PostgreSQL server to use instead of starting one; each run creates its own database on it.
TEST_DATABASE_URL = "TEST_DATABASE_URL"


def _nothing() -> None:
    return None


def xdist_worker_index() -> int:
    """0 for a plain pytest run or xdist's first worker (gw0), 1 for gw1, and so on."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker.removeprefix("gw") or 0)


def redis_url_for_tests(tmp_root: Path, worker_index: int = 0) -> tuple[str, Cleanup]:
    """(url, cleanup): a fresh Redis under `tmp_root`, or one given by $TEST_REDIS_URL.

    Tests flush their Redis database, so parallel pytest-xdist workers must not share one: on a
    given server worker N uses the given database number plus N.
    """
    given = os.environ.get(TEST_REDIS_URL)
    if given:
        parts = urlsplit(given)
        database = int(parts.path.strip("/") or 0) + worker_index
        return urlunsplit(parts._replace(path=f"/{database}")), _nothing
    server = start_redis(Path(tmp_root) / "redis")
    return server.url, server.stop


def with_database(url: str, database: str) -> str:
    """`url` pointing at another database on the same server."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL (`postgresql+psycopg://…`) as psycopg/libpq wants it."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme=parts.scheme.split("+", 1)[0]))


def postgres_url_for_tests(tmp_root: Path) -> tuple[str, Cleanup]:
    """(url, cleanup) of an empty PostgreSQL database that only this test run uses.

    With $TEST_DATABASE_URL a uniquely named database is created on that server and dropped by
    cleanup; without it a throw-away cluster is started under `tmp_root` and stopped by cleanup.
    """
    given = os.environ.get(TEST_DATABASE_URL)
    if not given:
        server = start_postgres(Path(tmp_root) / "postgres")
        return server.url, server.stop

    import psycopg  # only needed against a given server; keeps this module light otherwise
    from psycopg import sql

    database = f"instap_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(libpq_url(given), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))

    def drop() -> None:
        with psycopg.connect(libpq_url(given), autocommit=True) as conn:
            # FORCE ends connections a test left open (PostgreSQL 13+).
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))

    return with_database(given, database), drop
