"""A service's worker process: an RQ worker on the service's queue plus its outbox relay loop."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from datetime import timedelta
from typing import Any

import psycopg
import redis
from psycopg import sql
from rq import Queue, SimpleWorker
from sqlalchemy.exc import SQLAlchemyError

from shared.app import build_context
from shared.components import COMPONENTS
from shared.config import Settings
from shared.logs import configure_logging, correlation_id, job_id
from shared.metrics import serve_worker_metrics, timed_job
from shared.outbox import RELAY_BATCH, notify, notify_channel, redeliver_if_redis_lost, relay_pending
from shared.runtime import ServiceContext, set_worker_context, stop_requested

log = logging.getLogger(__name__)


# RQ's heartbeat lifetime of a worker; its blocking dequeue waits WORKER_TTL - 15 s at most.
WORKER_TTL = 45
MAINTENANCE_INTERVAL = 30


def outbox_model(service: str) -> Any:
    return COMPONENTS[service].outbox_model()


class Waker:
    """How the relay loop sleeps: until PostgreSQL NOTIFYs new outbox rows (or runs), or until
    `interval` passes. Without PostgreSQL (SQLite), it simply sleeps `interval`: a poll."""

    def __init__(self, ctx: ServiceContext, interval: float, stopped: threading.Event):
        self.ctx = ctx
        self.interval = interval
        self.stopped = stopped
        self._conn: Any = None

    def _listen(self) -> Any:
        if self._conn is None and self.ctx.db.is_postgres:
            url = self.ctx.db.engine.url.set(drivername="postgresql")
            conn = psycopg.connect(
                url.render_as_string(hide_password=False), autocommit=True, connect_timeout=2
            )
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(notify_channel(self.ctx.name))))
            self._conn = conn
        return self._conn

    def wait(self, not_before: float = 0.0) -> bool:
        """Sleep; True when woken by a notification (there is work now). A notification before
        `not_before` (time.monotonic) is answered at that moment, with every notification that
        came meanwhile: under load the relay then takes many events at once (issue 12)."""
        try:
            conn = self._listen()
        except psycopg.Error:
            log.warning("cannot listen for outbox notifications; polling", extra={"service": self.ctx.name})
            conn = None
        if conn is None:
            self.stopped.wait(self.interval)
            return False
        if self.stopped.is_set():  # stopped before listening: no interrupt would reach us
            return False
        try:
            woken = any(True for _ in conn.notifies(timeout=self.interval, stop_after=1))
            delay = not_before - time.monotonic()
            if woken and delay > 0:
                self.stopped.wait(delay)
            # Several commits may have notified: take them all now, relay once.
            while any(True for _ in conn.notifies(timeout=0, stop_after=1)):
                pass
            return woken
        except psycopg.Error:  # the database went away: reconnect next time
            self.close()
            self.stopped.wait(self.interval)
            return False

    def interrupt(self) -> None:
        """Wake a wait now (on stop): a listener would otherwise sleep out its `interval`, and
        every stop of a worker (SIGTERM, the end of a burst) would wait for it."""
        if not self.ctx.db.is_postgres:
            return  # the poll sleeps on `stopped`, which the caller has set
        try:
            with self.ctx.db.engine.begin() as conn:
                notify(conn, self.ctx.name)
        except SQLAlchemyError:
            log.warning("cannot wake the relay loop; it stops within its interval")

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None


class RelayLoop(threading.Thread):
    """Moves the service's outbox to Redis as soon as there is something to move (woken by
    PostgreSQL, or polling every `interval` seconds), and runs the service's periodic hook (e.g.
    matching's reconciler) when woken and at least every PERIODIC_EVERY seconds; survives Redis
    and database outages."""

    PERIODIC_EVERY = 1.0

    def __init__(self, ctx: ServiceContext, interval: float, min_gap: float = 0.2):
        super().__init__(name=f"relay-{ctx.name}", daemon=True)
        self.ctx = ctx
        self.interval = interval
        # At most one relay round per `min_gap` when notifications keep coming
        # (INSTAP_RELAY_MIN_GAP): at 250 creates/s a round relays about fifty events in one
        # transaction and one Redis round trip, instead of a round (and its fixed cost) per
        # event. An event waits at most this much longer; a quiet relay answers at once.
        self.min_gap = min_gap
        self.stopped = threading.Event()
        self.waker = Waker(ctx, interval, self.stopped)
        self._last_hook = 0.0

    def catch_up(self) -> None:
        """One round before the worker takes jobs: relay what waits and run the hook, so a
        burst worker sees the jobs this round enqueues (e.g. runs requested while none ran)."""
        self._round(outbox_model(self.ctx.name), COMPONENTS[self.ctx.name].periodic_hook())

    def _round(self, model: Any, hook: Any) -> None:
        self._relay(model)
        if hook is not None:
            self._last_hook = time.monotonic()
            try:
                hook(self.ctx)
            except Exception:
                log.exception("periodic task failed")

    def run(self) -> None:
        model = outbox_model(self.ctx.name)
        hook = COMPONENTS[self.ctx.name].periodic_hook()
        woken = True
        try:
            while not self.stopped.is_set():
                started = time.monotonic()
                due = started - self._last_hook >= self.PERIODIC_EVERY
                self._round(model, hook if (woken or due) else None)
                woken = self.waker.wait(not_before=started + self.min_gap)
        finally:
            self.waker.close()
        self._drain(model)

    def _relay(self, model: Any) -> None:
        try:
            window = timedelta(hours=self.ctx.settings.redeliver_hours)
            redeliver_if_redis_lost(self.ctx.db, model, self.ctx.redis, self.ctx.name, window)
            # A short batch was everything there was: no second transaction to find nothing.
            while (
                relay_pending(self.ctx.db, model, self.ctx.redis, self.ctx.name, RELAY_BATCH) == RELAY_BATCH
            ):
                pass
        except Exception:  # keep relaying; the next round retries
            log.exception("relay round failed")

    def _drain(self, model: Any) -> None:
        """On stop, send what is still pending (a burst worker may stop before a first round)."""
        try:
            while relay_pending(self.ctx.db, model, self.ctx.redis, self.ctx.name) > 0:
                pass
        except Exception:
            log.exception("final relay round failed; the next worker sends the rest")

    def stop(self) -> None:
        self.stopped.set()
        if self.is_alive():
            self.waker.interrupt()


class InstapWorker(SimpleWorker):
    """RQ worker that runs jobs in its own process and tags their log lines with the correlation id.

    Jobs are not forked into a work horse: the relay thread shares this process's database
    engine, and forking while a thread holds a connection-pool lock deadlocks the child.
    Scale out with more worker processes instead; job timeouts still apply (SIGALRM).

    Recovery in seconds, not minutes (issue 12): after a Redis outage RQ waits at most
    MAX_CONNECTION_WAIT seconds between reconnects (RQ's default backs off to 60 s), a worker
    blocked on a frozen Redis gives up after about WORKER_TTL seconds (RQ's default: 7 minutes),
    and RQ's maintenance (abandoned jobs, registries) runs every MAINTENANCE_INTERVAL seconds
    (RQ's default: 10 minutes).
    """

    max_connection_wait_time = 5.0

    def handle_warm_shutdown_request(self) -> None:
        """RQ's warm shutdown (finish the job that runs, then stop), and a word to that job:
        one that can be resumed later stops now (shared.runtime.stop_requested)."""
        stop_requested.set()
        super().handle_warm_shutdown_request()

    def unsubscribe(self) -> None:
        """RQ's, with its command listener stopped before the UNSUBSCRIBE is sent, so that the
        confirmation wakes the listener to find itself stopped. RQ stops it afterwards: when the
        confirmation came first, the listener went back into a 60 s wait, RQ's join gave up
        after a second and the thread lived on. Every stop of a worker (a SIGTERM, the end of a
        burst) took a second longer and left a thread and a Redis connection behind."""
        if self.pubsub_thread:
            self.pubsub_thread.stop()
        super().unsubscribe()

    def perform_job(self, job: Any, queue: Any) -> bool:
        token = correlation_id.set(job.meta.get("correlation_id") or job.id)
        job_token = job_id.set(job.id)
        try:
            with timed_job(queue.name, job) as outcome:
                outcome["ok"] = super().perform_job(job, queue)
                return outcome["ok"]
        finally:
            job_id.reset(job_token)
            correlation_id.reset(token)


def run_worker(service: str, settings: Settings, *, burst: bool = False) -> int:
    configure_logging(f"{service}-worker", settings.log_level)
    ctx = build_context(service, settings)
    set_worker_context(ctx)
    stop_requested.clear()  # a worker run before this one in the process (tests) may have set it
    relay = RelayLoop(ctx, settings.relay_interval_seconds, settings.relay_min_gap_seconds)
    relay.catch_up()
    relay.start()
    state = COMPONENTS[service].state_metrics_hook()
    metrics_server = serve_worker_metrics(ctx, outbox_model(service), [service], state)
    try:
        # RQ's own connection: RQ raises its socket timeout to its dequeue wait, which must not
        # slow the relay's client (ctx.redis, short timeouts).
        conn = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=1, health_check_interval=30)
        worker = InstapWorker(
            [Queue(service, connection=conn)],
            connection=conn,
            name=None,
            worker_ttl=WORKER_TTL,
            maintenance_interval=MAINTENANCE_INTERVAL,
        )
        worker.work(burst=burst, with_scheduler=True, logging_level=settings.log_level)
    finally:
        if metrics_server is not None:
            metrics_server.shutdown()
        relay.stop()
        relay.join(timeout=30)
        ctx.close()
    return 0
