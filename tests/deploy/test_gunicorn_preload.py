"""gunicorn imports the app once and forks its workers from it (`preload_app` in
deploy/gunicorn.conf.py, issue 12): each worker must then use database connections of its own,
never one its parent opened (shared/runtime.py, ServiceContext.after_fork). Against a real
PostgreSQL; the gunicorn run itself is in tests/ops/test_metrics.py (recycled workers, counted)."""

from __future__ import annotations

import os
import runpy
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"


def _backend_pid(engine: Any) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text("SELECT pg_backend_pid()")))


def _fork_and_query(ctx: Any, *, after_fork: bool) -> int:
    """In a forked child: (maybe) `after_fork`, then one query; its exit status says which
    connection it used: 0 its own, 1 the parent's, 2 an error."""
    parent_pid = _backend_pid(ctx.db.engine)  # the parent's pooled connection, checked in again
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child, reported by its exit status
        status = 2
        try:
            if after_fork:
                ctx.after_fork()
            status = 0 if _backend_pid(ctx.db.engine) != parent_pid else 1
        finally:
            os._exit(status)
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_forked_worker_opens_its_own_connections_and_the_parent_keeps_its_own(app: Any) -> None:
    ctx = app.extensions["instap"]
    parent_pid = _backend_pid(ctx.db.engine)
    assert _fork_and_query(ctx, after_fork=True) == 0
    # The parent's connection is untouched by the child (not closed, not used): same backend.
    assert _backend_pid(ctx.db.engine) == parent_pid
    # Without it, the child would use the parent's connection: what the hook is there for.
    assert _fork_and_query(ctx, after_fork=False) == 1


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_the_gunicorn_config_preloads_and_its_post_fork_renews_the_apps_pools(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GUNICORN_PRELOAD", raising=False)
    conf = runpy.run_path(str(GUNICORN_CONF))
    assert conf["preload_app"] is True
    ctx = app.extensions["instap"]
    _backend_pid(ctx.db.engine)
    pools = (ctx.db.engine.pool, ctx.accounts_db.engine.pool)
    server = SimpleNamespace(app=SimpleNamespace(callable=app))
    conf["post_fork"](server, None)
    assert ctx.db.engine.pool is not pools[0] and ctx.accounts_db.engine.pool is not pools[1]
    for pool in pools:  # in a real fork they are the parent's; here, this process's to close
        pool.dispose()
    conf["post_fork"](SimpleNamespace(app=SimpleNamespace(callable=lambda *_: None)), None)  # no app: no-op

    monkeypatch.setenv("GUNICORN_PRELOAD", "false")
    assert runpy.run_path(str(GUNICORN_CONF))["preload_app"] is False
