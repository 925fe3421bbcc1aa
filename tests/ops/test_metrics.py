"""Prometheus metrics: requests of the web apps, jobs and state of the workers, multiprocess gunicorn."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis as redis_lib
from prometheus_client import CONTENT_TYPE_LATEST
from rq import Queue

from services.intake.models import OutboxEvent
from services.matching import metrics as matching_metrics
from services.matching.domain import runs
from services.matching.models import MatchRun
from shared.app import build_context
from shared.db import utcnow
from shared.localservers import free_port
from shared.metrics import StateCollector
from tests.conftest import LoggedIn
from tests.matching.factories import add_candidate, task_payload
from tests.ops.metrics_support import samples, scrape, value
from tests.support.workers import ROOT
from tests.support.workers import worker_env as _env


def test_requests_are_counted_by_route_template_and_status(app, make_user):
    client = app.test_client()
    before = client.get("/intake/metrics").get_data(as_text=True)
    coach = LoggedIn(app.test_client(), make_user("jobcoach"))
    assert coach.get("/intake/api/v1/residents/999999").status_code == 404
    assert client.get("/intake/healthz").status_code == 200
    assert client.get("/intake/no-such-page").status_code == 404

    response = client.get("/intake/metrics")

    assert response.status_code == 200
    assert response.content_type == CONTENT_TYPE_LATEST
    text = response.get_data(as_text=True)
    rules = [r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1/residents/<")]
    assert rules, "the resident route has moved"
    rule = rules[0]

    def grew(**labels: str) -> float:
        return value(text, "instap_http_requests_total", **labels) - value(
            before, "instap_http_requests_total", **labels
        )

    assert grew(service="intake", endpoint=rule, method="GET", status="404") == 1
    assert grew(service="intake", endpoint="/healthz", method="GET", status="200") == 1
    assert grew(service="intake", endpoint="unmatched", method="GET", status="404") == 1
    # No series per concrete id, and the scrape itself is not counted.
    assert not any("999999" in lab.get("endpoint", "") for _, lab, _ in samples(text))
    assert not any(lab.get("endpoint") == "/metrics" for _, lab, _ in samples(text))
    assert (
        value(text, "instap_http_request_duration_seconds_count", service="intake", endpoint="/healthz") >= 1
    )


@pytest.mark.parametrize("header", ["X-Forwarded-For", "X-Real-IP", "Forwarded"])
def test_metrics_are_not_served_through_a_proxy(app, header):
    client = app.test_client()
    assert client.get("/intake/metrics").status_code == 200
    assert client.get("/intake/metrics", headers={header: "203.0.113.9"}).status_code == 404


def test_state_collector_reports_queues_outbox_and_runs(settings, redis_url):
    ctx = build_context("intake", settings)
    conn = redis_lib.Redis.from_url(redis_url)
    try:
        queue = Queue("intake", connection=conn)
        for i in range(3):
            queue.enqueue("services.intake.jobs.handle_event", {"id": str(i)}, job_id=f"metrics-{i}")
        conn.hset(
            "rq:job:metrics-0",
            "enqueued_at",
            (utcnow().replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"),
        )
        with ctx.db.unit_of_work() as s:
            for minutes in (7, 2):
                s.add(
                    OutboxEvent(
                        id=uuid.uuid4().hex,
                        type="stage.changed",
                        version=1,
                        payload="{}",
                        correlation_id="-",
                        created_at=utcnow() - __import__("datetime").timedelta(minutes=minutes),
                    )
                )
        collector = StateCollector(ctx, OutboxEvent, ["intake"])
        text = _exposition(collector)
    finally:
        ctx.close()
        conn.close()

    assert value(text, "instap_queue_length", queue="intake") == 3
    assert 0 <= value(text, "instap_queue_oldest_job_age_seconds", queue="intake") < 60
    assert value(text, "instap_queue_workers", queue="intake") == 0
    assert value(text, "instap_outbox_backlog", service="intake") == 2
    assert 7 * 60 - 5 < value(text, "instap_outbox_oldest_age_seconds", service="intake") < 7 * 60 + 60
    assert value(text, "instap_metrics_source_up", source="redis") == 1
    assert value(text, "instap_metrics_source_up", source="database") == 1


def test_match_run_state_metrics(settings):
    ctx = build_context("matching", settings)
    try:
        with ctx.db.unit_of_work() as s:
            runs.request_run(s, "full", None, "test")
            done = runs.request_run(s, "candidate", "DW-1", "test")
            done.status, done.finished_at = "done", utcnow()
            full = MatchRun(
                kind="full", status="done", requested_by="t", created_at=utcnow(), counts={}, timings={}
            )
            full.finished_at = utcnow()
            s.add(full)
        text = _exposition(
            StateCollector(
                ctx, ctx.extras.get("outbox_model") or _outbox("matching"), [], matching_metrics.run_state
            )
        )
    finally:
        ctx.close()
    assert value(text, "instap_match_runs", status="queued") == 1
    assert value(text, "instap_match_runs", status="done") == 2
    assert abs(value(text, "instap_match_last_full_run_finished_timestamp_seconds") - time.time()) < 120
    assert value(text, "instap_match_run_oldest_unfinished_age_seconds") >= 0


def _outbox(service: str):
    from shared.components import COMPONENTS

    return COMPONENTS[service].outbox_model()


def _exposition(collector) -> str:
    from prometheus_client import CollectorRegistry, generate_latest

    reg = CollectorRegistry()
    reg.register(collector)
    return generate_latest(reg).decode()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_worker_serves_job_and_run_metrics(matching_app, settings, make_user):
    """A real `instap worker matching` with INSTAP_METRICS_PORT: a match run shows in its scrape."""
    contractor = LoggedIn(matching_app.test_client(), make_user("aannemer"), "/matching")
    assert contractor.post("/matching/api/v1/tasks", json=task_payload(places=1)).status_code == 201
    db = build_context("matching", settings).db
    add_candidate(db, "DW-METRIC01")
    port = free_port()
    env = {**_env(settings), "INSTAP_METRICS_PORT": str(port), "INSTAP_METRICS_ADDR": "127.0.0.1"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    worker = subprocess.Popen(
        [sys.executable, "-m", "shared.cli", "worker", "matching"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        coach = LoggedIn(matching_app.test_client(), make_user("jobcoach"), "/matching")
        assert coach.post("/matching/api/v1/runs", json={}).status_code in (200, 201, 202)
        deadline = time.monotonic() + 60
        text = ""
        while time.monotonic() < deadline:
            try:
                text = scrape(f"http://127.0.0.1:{port}/metrics")
            except OSError:
                assert worker.poll() is None, worker.communicate()[1][-3000:]
                time.sleep(0.2)
                continue
            if value(text, "instap_match_run_duration_seconds_count", kind="full") >= 1:
                break
            time.sleep(0.3)
        assert (
            value(text, "instap_jobs_total", service="matching", kind="run_match", outcome="succeeded") >= 1
        )
        assert value(text, "instap_job_duration_seconds_count", service="matching", kind="run_match") >= 1
        assert value(text, "instap_match_run_duration_seconds_count", kind="full") == 1
        assert value(text, "instap_match_run_assigned_total", kind="full") == 1
        assert value(text, "instap_queue_workers", queue="matching") == 1
        assert value(text, "instap_match_runs", status="done") >= 1
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        db.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_gunicorn_workers_are_added_up_in_multiprocess_mode(settings, tmp_path: Path):
    """gunicorn with deploy/gunicorn.conf.py: one scrape counts the requests of every worker process."""
    port = free_port()
    multiproc = tmp_path / "prom"
    multiproc.mkdir()
    (multiproc / "counter_999.db").write_bytes(b"stale file of an earlier run")
    env = {
        **_env(settings),
        "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        # Recycled after 10 or 11 requests: the 24 below are served by at least 3 processes,
        # some of them gone by the time of the scrape.
        "GUNICORN_MAX_REQUESTS": "10",
        "GUNICORN_MAX_REQUESTS_JITTER": "1",
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [str(gunicorn), "--config", str(ROOT / "deploy" / "gunicorn.conf.py"), "services.intake.wsgi:app"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}/intake"
        deadline = time.monotonic() + 120  # imports of 2 workers on a busy 2-core machine
        while True:
            try:
                scrape(base + "/healthz", timeout=2)
                break
            except OSError:
                assert server.poll() is None, server.communicate()[1][-3000:]
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        before = scrape(base + "/metrics")
        for _ in range(24):
            json.loads(scrape(base + "/healthz"))
        pids = {f.name.split("_")[-1] for f in multiproc.glob("counter_*.db")}
        text = scrape(base + "/metrics")
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert "999.db" not in pids, "the stale file of an earlier run must be cleared at start"
    assert len(pids) >= 3, pids
    labels = {"endpoint": "/healthz", "status": "200"}
    counted = value(text, "instap_http_requests_total", **labels) - value(
        before, "instap_http_requests_total", **labels
    )
    assert counted == 24, "one scrape must add up the requests of both gunicorn workers"
