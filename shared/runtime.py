"""The wiring of one running service (settings, databases, Redis), for requests and for jobs."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import redis
from flask import current_app, has_app_context

from shared.config import Settings
from shared.db import Database
from shared.peers import Peers


@dataclass
class ServiceContext:
    """Everything a request or job of one service needs; built once per process."""

    name: str
    settings: Settings
    db: Database
    accounts_db: Database
    peers: Peers = field(default_factory=Peers)
    extras: dict[str, Any] = field(default_factory=dict)
    _redis: redis.Redis | None = None

    @property
    def redis(self) -> redis.Redis:
        """A Redis client with short timeouts, so an outage fails fast instead of hanging."""
        if self._redis is None:
            if not self.settings.redis_url:
                raise redis.ConnectionError("REDIS_URL is not set")
            self._redis = redis.Redis.from_url(
                self.settings.redis_url,
                socket_connect_timeout=1,
                socket_timeout=5,
                health_check_interval=30,
            )
        return self._redis

    def after_fork(self) -> None:
        """In a process forked from the one that built this context (gunicorn's `preload_app`):
        forget the parent's pooled connections without closing them, since they are the
        parent's (SQLAlchemy's advice for pools and fork), and its Redis client; this process
        opens its own on first use."""
        self.db.engine.dispose(close=False)
        if self.accounts_db is not self.db:
            self.accounts_db.engine.dispose(close=False)
        self._redis = None

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()
        self.db.dispose()
        if self.accounts_db is not self.db:
            self.accounts_db.dispose()


_worker_context: ServiceContext | None = None

# Set when this worker process was asked to stop (SIGTERM, Ctrl-C): RQ then waits for the job that
# runs; a long job that can be picked up again later (a report pack) checks this and gives way.
stop_requested = threading.Event()


def set_worker_context(ctx: ServiceContext | None) -> None:
    """Set by a worker process at start-up so that jobs find their wiring."""
    global _worker_context
    _worker_context = ctx


def service_context() -> ServiceContext:
    """The context of the current request's app, else the worker's."""
    if has_app_context():
        return current_app.extensions["instap"]
    if _worker_context is None:
        raise RuntimeError("no service context: not in a request and no worker context set")
    return _worker_context
