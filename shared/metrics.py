"""Prometheus metrics: HTTP requests of the web apps, jobs of the workers, queue/outbox/run state.

Web apps expose `/<service>/metrics`; workers serve the same format on `INSTAP_METRICS_PORT`.
Under gunicorn every worker process is its own interpreter, so with `PROMETHEUS_MULTIPROC_DIR`
set (before prometheus_client is first imported: the container environment does that) the
values go to files in that directory and each scrape adds them up over all processes.
`docs/operations.md` explains every metric and the alerts in `deploy/prometheus/alerts.yml`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from flask import Flask, abort, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from werkzeug.wrappers import Response

from shared.db import utcnow

log = logging.getLogger(__name__)

# Every proxy in front of the apps (deploy/nginx.conf, any Ingress controller) adds one of these;
# Prometheus, scraping a pod or container directly, sends none. A /metrics request that carries
# one came from outside and is answered as if the route did not exist.
PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded", "X-Original-Forwarded-For")

REQUESTS = Counter(
    "instap_http_requests",
    "HTTP requests handled, by service, route template, method and status code.",
    ["service", "endpoint", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "instap_http_request_duration_seconds",
    "Time to handle an HTTP request, by service, route template and method.",
    ["service", "endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
JOBS = Counter(
    "instap_jobs",
    "RQ jobs run by a worker, by service, job kind and outcome (succeeded/failed).",
    ["service", "kind", "outcome"],
)
JOB_SECONDS = Histogram(
    "instap_job_duration_seconds",
    "Time an RQ job ran, by service and job kind.",
    ["service", "kind"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0),
)
MATCH_RUN_SECONDS = Histogram(
    "instap_match_run_duration_seconds",
    "Wall time of a finished match run, by run kind (full, candidate, task, slot).",
    ["kind"],
    buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0),
)
MATCH_RUN_ASSIGNED = Counter(
    "instap_match_run_assigned",
    "Residents the engine assigned in finished match runs, by run kind.",
    ["kind"],
)
# For the rapportage service (being built): observe around the generation of one report.
REPORT_SECONDS = Histogram(
    "instap_report_generation_seconds",
    "Time to generate one report, by report kind.",
    ["kind"],
    buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0),
)


# --- web apps ---------------------------------------------------------------------------------


def init_metrics(app: Flask, service: str) -> None:
    """Count and time every request of a service app and serve `/<service>/metrics`."""

    @app.before_request
    def _start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        if started is None or request.endpoint == "instap_metrics":
            return response
        # The route template (/api/v1/residents/<int:resident_id>), never the concrete path:
        # ids would make a series per resident.
        endpoint = request.url_rule.rule if request.url_rule is not None else "unmatched"
        REQUESTS.labels(service, endpoint, request.method, str(response.status_code)).inc()
        REQUEST_SECONDS.labels(service, endpoint, request.method).observe(time.perf_counter() - started)
        return response

    @app.get("/metrics", endpoint="instap_metrics")
    def _metrics() -> Response:
        if any(header in request.headers for header in PROXY_HEADERS):
            abort(404)
        # The service's queue too, read from Redis: "no worker" must show while no worker runs.
        target = scrape_registry(QueueCollector(app.extensions["instap"], [service]))
        return Response(generate_latest(target), content_type=CONTENT_TYPE_LATEST)


def scrape_registry(*collectors: Collector) -> CollectorRegistry:
    """A registry for one scrape: this process's (or all processes') metrics plus `collectors`."""
    target = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(target)  # type: ignore[no-untyped-call]
    else:
        target.register(_ProcessMetrics())
    for collector in collectors:
        target.register(collector)
    return target


# --- workers ----------------------------------------------------------------------------------


def job_kind(job: Any) -> str:
    """A low-cardinality name for a job: its function, plus the event type for event deliveries."""
    kind = str(job.func_name).rsplit(".", 1)[-1]
    if kind == "handle_event" and job.args and isinstance(job.args[0], dict):
        kind = f"event:{job.args[0].get('type', '?')}"
    elif kind == "handle_events":
        kind = "events"  # a relay round's events for one consumer, of any types
    return kind


@contextlib.contextmanager
def timed_job(service: str, job: Any) -> Iterator[dict[str, bool]]:
    """Time one job; the caller sets result["ok"] from RQ's verdict (perform_job's return)."""
    kind = job_kind(job)
    result = {"ok": False}
    started = time.perf_counter()
    try:
        yield result
    finally:
        JOB_SECONDS.labels(service, kind).observe(time.perf_counter() - started)
        JOBS.labels(service, kind, "succeeded" if result["ok"] else "failed").inc()


def observe_match_run(
    kind: str, started_at: datetime | None, finished_at: datetime | None, assigned: int
) -> None:
    """Record one finished match run (called by the matching worker)."""
    if started_at is not None and finished_at is not None:
        MATCH_RUN_SECONDS.labels(kind).observe(max(0.0, (finished_at - started_at).total_seconds()))
    MATCH_RUN_ASSIGNED.labels(kind).inc(assigned)


def _source_up(source: str, ok: bool) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "instap_metrics_source_up", "1 when the source of the state metrics answered.", labels=["source"]
    )
    family.add_metric([source], 1 if ok else 0)
    return family


class QueueCollector(Collector):
    """Read at scrape time from Redis: per queue the waiting jobs, the oldest one's age, the
    failed jobs and the workers listening. A Redis outage shows as instap_metrics_source_up 0."""

    def __init__(self, ctx: Any, queues: Iterable[str]):
        self.ctx = ctx
        self.queues = tuple(queues)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            families = list(self._queue_metrics())
        except Exception:  # a probe: report, never fail the scrape
            log.warning("metrics: redis unavailable", exc_info=True)
            families = []
        yield from families
        yield _source_up("redis", bool(families))

    def _queue_metrics(self) -> Iterator[GaugeMetricFamily]:
        from rq import Queue, Worker
        from rq.job import Job

        conn = self.ctx.redis
        length = GaugeMetricFamily("instap_queue_length", "Jobs waiting in an RQ queue.", labels=["queue"])
        oldest = GaugeMetricFamily(
            "instap_queue_oldest_job_age_seconds",
            "Age of the oldest job waiting in an RQ queue (0 when empty).",
            labels=["queue"],
        )
        failed = GaugeMetricFamily(
            "instap_queue_failed_jobs",
            "Jobs in an RQ queue's failed registry (kept 7 days).",
            labels=["queue"],
        )
        workers = GaugeMetricFamily(
            "instap_queue_workers", "RQ workers registered (heartbeat alive) for a queue.", labels=["queue"]
        )
        now = utcnow()
        for name in self.queues:
            queue = Queue(name, connection=conn)
            length.add_metric([name], queue.count)
            age = 0.0
            head = queue.get_job_ids(0, 1)
            if head:
                job = Job.fetch(head[0], connection=conn)
                if job.enqueued_at is not None:
                    enqueued = job.enqueued_at
                    if enqueued.tzinfo is None:  # RQ stores UTC without a zone
                        enqueued = enqueued.replace(tzinfo=now.tzinfo)
                    age = max(0.0, (now - enqueued).total_seconds())
            oldest.add_metric([name], age)
            failed.add_metric([name], queue.failed_job_registry.count)
            workers.add_metric([name], Worker.count(queue=queue))
        yield from (length, oldest, failed, workers)


class StateCollector(Collector):
    """A worker's scrape-time state: its queues (QueueCollector), the outbox backlog and age, and
    the service's own hook (e.g. matching's runs), read from the database. Every worker of a
    service reports the same numbers; alerts take the max."""

    def __init__(self, ctx: Any, outbox_model: Any, queues: Iterable[str], state: Any = None):
        self.ctx = ctx
        self.outbox_model = outbox_model
        self.queues = QueueCollector(ctx, queues)
        self.state = state  # the service's own hook: state(session) yields metric families

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self.queues.collect()
        try:
            families = list(self._database_metrics())
        except Exception:
            log.warning("metrics: database unavailable", exc_info=True)
            families = []
        yield from families
        yield _source_up("database", bool(families))

    def _database_metrics(self) -> Iterator[GaugeMetricFamily]:
        from sqlalchemy import func, select

        model = self.outbox_model
        service = self.ctx.name
        backlog = GaugeMetricFamily(
            "instap_outbox_backlog", "Outbox events not yet handed to Redis.", labels=["service"]
        )
        age = GaugeMetricFamily(
            "instap_outbox_oldest_age_seconds",
            "Age of the oldest outbox event not yet handed to Redis (0 when none).",
            labels=["service"],
        )
        with self.ctx.db.unit_of_work() as s:
            count, first = s.execute(
                select(func.count(), func.min(model.created_at)).where(model.relayed_at.is_(None))
            ).one()
            if isinstance(first, str):  # SQLite returns the raw text of an aggregate
                first = datetime.fromisoformat(first)
            if first is not None and first.tzinfo is None:
                first = first.replace(tzinfo=utcnow().tzinfo)
            backlog.add_metric([service], count)
            age.add_metric([service], (utcnow() - first).total_seconds() if first is not None else 0.0)
            yield from (backlog, age)
            if self.state is not None:
                yield from self.state(s)


def serve_worker_metrics(ctx: Any, outbox_model: Any, queues: Iterable[str], state: Any = None) -> Any:
    """Start the worker's metrics endpoint on INSTAP_METRICS_PORT (unset or 0: none); returns the
    server (call .shutdown() on stop) or None. `state` is the service's own scrape-time hook."""
    port = int(os.environ.get("INSTAP_METRICS_PORT", "0") or 0)
    if not port:
        return None
    target = scrape_registry(StateCollector(ctx, outbox_model, queues, state))
    # All interfaces: Prometheus scrapes the pod or container address; NetworkPolicy limits who.
    address = os.environ.get("INSTAP_METRICS_ADDR", "0.0.0.0")  # noqa: S104
    server, _thread = start_http_server(port, addr=address, registry=target)
    log.info("metrics endpoint listening", extra={"port": port})
    return server


class _ProcessMetrics(Collector):
    """This process's own metrics (the default registry), for a worker without multiprocess mode."""

    def collect(self) -> Iterator[Any]:
        yield from REGISTRY.collect()
