"""Run a service's worker for tests: in this process (fast), or as a real `instap worker` process.

`run_worker_burst` runs the same code as `instap worker SERVICE --burst` (shared.worker.run_worker:
the RQ worker on the real Redis queue plus the outbox relay loop), only without starting a new
Python process, which costs seconds of imports each time. Tests about a worker *process* (killed,
restarted, configured from the environment) start a real one with `worker_process`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import redis

from shared.components import COMPONENTS
from shared.config import Settings
from shared.db import Database
from shared.outbox import redeliver_if_redis_lost, relay_pending
from shared.runtime import set_worker_context
from shared.worker import run_worker

ROOT = Path(__file__).resolve().parents[2]


def relay_everything(settings: Settings, redis_url: str | None = None) -> int:
    """What every service's worker relay does: move all pending outbox rows to their queues."""
    moved = 0
    conn = redis.Redis.from_url(redis_url or settings.redis_url)
    try:
        for comp in COMPONENTS.values():
            if not comp.outbox:
                continue
            db = Database(settings.database_url(comp.name), comp.name)
            try:
                # First, as the worker's loop does: events lost with Redis's data are sent again
                # (and the marker is set, so the worker's own round does not send them twice).
                window = timedelta(hours=settings.redeliver_hours)
                redeliver_if_redis_lost(db, comp.outbox_model(), conn, comp.name, window)
                while n := relay_pending(db, comp.outbox_model(), conn, comp.name):
                    moved += n
            finally:
                db.dispose()
    finally:
        conn.close()
    return moved


def run_worker_burst(settings: Settings, service: str = "matching", redis_url: str | None = None) -> None:
    """Work SERVICE's queue empty in this process (`instap worker SERVICE --burst`), then return.

    Requests do not relay their own events (only workers do), so first the other services'
    relays run, as their workers would have done by now."""
    if redis_url is not None:
        settings = settings.model_copy(update={"redis_url": redis_url})
    relay_everything(settings)
    # The RQ worker installs its own SIGINT/SIGTERM handlers; give pytest its own back.
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        assert run_worker(service, settings, burst=True) == 0
    finally:
        set_worker_context(None)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def worker_env(settings: Settings, redis_url: str | None = None) -> dict[str, str]:
    """The environment of a worker process for these settings."""
    env = dict(os.environ)
    env.update(
        {
            "INSTAP_ENV": "test",
            "INSTAP_SECRET_KEY": settings.secret_key,
            "INSTAP_DATA_DIR": str(settings.data_dir),
            "REDIS_URL": redis_url or settings.redis_url,
            "INSTAP_LOG_LEVEL": "WARNING",
            "INSTAP_PASSWORD_HASHING": settings.password_hashing,
            "MATCHING_NIGHTLY_HOUR": str(settings.matching_nightly_hour),
            "RAPPORTAGE_MONTHLY_PACK": str(settings.rapportage_monthly_pack).lower(),
            "MATCHING_DEBOUNCE_SECONDS": str(settings.matching_debounce_seconds),
            "MATCHING_RUN_DEADLINE_SECONDS": str(settings.matching_run_deadline_seconds),
        }
    )
    for comp in COMPONENTS:
        env[f"{comp.upper()}_DATABASE_URL"] = settings.database_url(comp)
    return env


def worker_process(settings: Settings, service: str = "matching") -> subprocess.Popen[bytes]:
    """A real `instap worker SERVICE` process in its own process group (the caller stops it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "shared.cli", "worker", service],
        env=worker_env(settings),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
