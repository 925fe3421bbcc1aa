"""A service's worker process: an RQ worker on the service's queue plus its outbox relay loop."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from rq import Queue, SimpleWorker

from shared.app import build_context
from shared.components import COMPONENTS
from shared.config import Settings
from shared.logs import configure_logging, correlation_id
from shared.metrics import serve_worker_metrics, timed_job
from shared.outbox import relay_pending
from shared.runtime import ServiceContext, set_worker_context

log = logging.getLogger(__name__)


def outbox_model(service: str) -> Any:
    return COMPONENTS[service].outbox_model()


class RelayLoop(threading.Thread):
    """Moves the service's outbox to Redis every second and runs the service's periodic hook
    (e.g. matching's reconciler) every few seconds; survives Redis and database outages."""

    PERIODIC_EVERY = 5.0

    def __init__(self, ctx: ServiceContext, interval: float):
        super().__init__(name=f"relay-{ctx.name}", daemon=True)
        self.ctx = ctx
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        model = outbox_model(self.ctx.name)
        hook = COMPONENTS[self.ctx.name].periodic_hook()
        last_hook = 0.0
        while not self.stopped.is_set():
            try:
                while relay_pending(self.ctx.db, model, self.ctx.redis, self.ctx.name) > 0:
                    pass
            except Exception:  # keep relaying; the next round retries
                log.exception("relay round failed")
            if hook is not None and time.monotonic() - last_hook >= self.PERIODIC_EVERY:
                last_hook = time.monotonic()
                try:
                    hook(self.ctx)
                except Exception:
                    log.exception("periodic task failed")
            self.stopped.wait(self.interval)
        self._drain(model)

    def _drain(self, model: Any) -> None:
        """On stop, send what is still pending (a burst worker may stop before a first round)."""
        try:
            while relay_pending(self.ctx.db, model, self.ctx.redis, self.ctx.name) > 0:
                pass
        except Exception:
            log.exception("final relay round failed; the next worker sends the rest")

    def stop(self) -> None:
        self.stopped.set()


class InstapWorker(SimpleWorker):
    """RQ worker that runs jobs in its own process and tags their log lines with the correlation id.

    Jobs are not forked into a work horse: the relay thread shares this process's database
    engine, and forking while a thread holds a connection-pool lock deadlocks the child.
    Scale out with more worker processes instead; job timeouts still apply (SIGALRM).
    """

    def perform_job(self, job: Any, queue: Any) -> bool:
        token = correlation_id.set(job.meta.get("correlation_id") or job.id)
        try:
            with timed_job(queue.name, job) as outcome:
                outcome["ok"] = super().perform_job(job, queue)
                return outcome["ok"]
        finally:
            correlation_id.reset(token)


def run_worker(service: str, settings: Settings, *, burst: bool = False) -> int:
    configure_logging(f"{service}-worker", settings.log_level)
    ctx = build_context(service, settings)
    set_worker_context(ctx)
    relay = RelayLoop(ctx, settings.relay_interval_seconds)
    relay.start()
    state = COMPONENTS[service].state_metrics_hook()
    metrics_server = serve_worker_metrics(ctx, outbox_model(service), [service], state)
    try:
        worker = InstapWorker([Queue(service, connection=ctx.redis)], connection=ctx.redis, name=None)
        worker.work(burst=burst, with_scheduler=True, logging_level=settings.log_level)
    finally:
        if metrics_server is not None:
            metrics_server.shutdown()
        relay.stop()
        relay.join(timeout=30)
        ctx.close()
    return 0
