"""Match runs on real RQ workers: through the queue, run twice, and recovered after SIGKILL."""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

import pytest
import redis as redis_lib
from rq import Queue
from sqlalchemy import func, insert, select, text

from services.matching.domain import runs
from services.matching.jobs import enqueue_run, reconcile
from services.matching.models import Candidate, MatchRun, Proposal, Task
from shared import clock
from shared.app import build_context
from shared.db import Database, utcnow
from shared.worker import RelayLoop
from tests.conftest import LoggedIn
from tests.matching.factories import add_candidate, task_payload
from tests.support.workers import run_worker_burst, worker_process

TASKS = "/matching/api/v1/tasks"


def _db(settings) -> Database:
    return Database(settings.database_url("matching"), "matching")


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _status(db: Database, run_id: int) -> str:
    with db.unit_of_work() as s:
        return s.get(MatchRun, run_id).status


@pytest.mark.both_backends
def test_run_requested_over_the_api_is_done_by_a_real_worker_and_twice_is_harmless(
    matching_app, settings, make_user
):
    contractor = LoggedIn(matching_app.test_client(), make_user("aannemer"), "/matching")
    contractor.post(TASKS, json=task_payload(places=2))
    db = _db(settings)
    for i in range(3):
        add_candidate(db, f"DW-WORK000{i}")
    coach = LoggedIn(matching_app.test_client(), make_user("jobcoach"), "/matching")
    run_id = coach.post("/matching/api/v1/runs", json={}).json["id"]
    run_worker_burst(settings)
    assert _status(db, run_id) == "done"
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Proposal)) == 2
    # The same job delivered again (RQ promises at-least-once): no second effect.
    enqueue_run(redis_lib.Redis.from_url(settings.redis_url), run_id)
    run_worker_burst(settings)
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Proposal)) == 2
        assert s.get(MatchRun, run_id).attempts == 1
    db.dispose()


def _instance(db: Database, residents: int, tasks: int) -> None:
    """Candidates and tasks in bulk, like a real programme's data."""
    now = utcnow()
    occupations = ["hulpmonteur_zonnepanelen", "isolatiemonteur", "energiefixer", "laadpaalmonteur"]
    with db.unit_of_work() as s:
        s.execute(
            insert(Candidate),
            [
                dict(
                    programme_id=f"DW-B{i:07d}",
                    wijk=("wielwijk", "crabbehof", "oud_krispijn")[i % 3],
                    pc4=None,
                    age_band="25-45",
                    stage="intake",
                    language_spoken=("A2", "B1", "B2")[i % 3],
                    language_written="A2",
                    certificates=[{"code": "vca_basis", "valid_until": "2035-01-01"}] if i % 2 else [],
                    driving_licence=bool(i % 5 == 0),
                    own_transport=True,
                    hours_per_week=(16, 24, 32, 40)[i % 4],
                    days=["ma"],
                    available_from=clock.today(),
                    interests=[occupations[i % 4]],
                    skills=["gereedschap"],
                    work_at_height=bool(i % 3),
                    heavy_work=bool(i % 2),
                    share_with_employer=True,
                    share_with_trainer=True,
                    coach_id=None,
                    profile_updated_at=now,
                    received_at=now,
                )
                for i in range(residents)
            ],
        )
        s.execute(
            insert(Task),
            [
                dict(
                    organisation_id=1,
                    title=f"Taak {j}",
                    occupation=occupations[j % 4],
                    wijk=("wielwijk", "crabbehof")[j % 2],
                    start_date=clock.today() + timedelta(days=30 + j % 60),
                    hours_per_week=(16, 24, 32)[j % 3],
                    places=1 + j % 3,
                    filled=0,
                    contract_type="bbl",
                    req_certificates=["vca_basis"] if j % 2 else [],
                    req_language_spoken="A2",
                    req_driving_licence=False,
                    req_work_at_height=bool(j % 4 == 0),
                    req_heavy_work=False,
                    skills=["gereedschap"],
                    werkprocessen=[],
                    status="open",
                    created_at=now,
                    updated_at=now,
                )
                for j in range(tasks)
            ],
        )


@pytest.mark.postgresql  # holds the worker mid-run with a PostgreSQL table lock
def test_sigkilled_worker_run_is_recovered_once(settings):
    """A worker process killed mid-run leaves the run 'running' with its last heartbeat and
    progress; once the heartbeat is stale (30 s) the reconciler queues it again, well within two
    minutes of the kill, and it completes exactly once (no duplicate proposals).

    The test holds a lock on the proposals table, so the worker is certainly inside the run (it
    waits for the lock) when it is killed, whatever the speed of the machine; and it asks the
    reconciler with a `now` around the staleness bound instead of sleeping until then."""
    db = _db(settings)
    _instance(db, residents=600, tasks=60)
    with db.unit_of_work() as s:
        run_id = runs.request_run(s, "full", None, "test").id
    conn = redis_lib.Redis.from_url(settings.redis_url)
    enqueue_run(conn, run_id, settings.matching_run_deadline_seconds)

    with db.engine.connect() as holder:
        holder.execute(text(f"LOCK TABLE {Proposal.__tablename__} IN ACCESS EXCLUSIVE MODE"))
        worker = worker_process(settings, "matching")
        try:
            _wait(lambda: _status(db, run_id) == "running", 120, "the run to start")
            _wait(lambda: _waiting_for_lock(db), 60, "the run to wait for the proposals table")
            os.killpg(worker.pid, signal.SIGKILL)
            killed_at = utcnow()
            worker.wait(10)
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
        holder.rollback()
    run = _run(db, run_id)
    assert run.status == "running"  # nobody finished it: the database knows
    stale = timedelta(seconds=settings.matching_heartbeat_stale_seconds)
    assert run.heartbeat_at is not None and run.heartbeat_at <= killed_at
    # Released once the heartbeat is stale: at most 30 s (plus a reconciler round) after the
    # kill, far inside the two minutes, and far before the run's deadline (10 minutes).
    assert run.heartbeat_at + stale < killed_at + timedelta(minutes=2)
    assert run.heartbeat_at + stale < run.deadline_at
    assert reconcile(db, conn, settings)["released"] == []
    early = run.heartbeat_at + stale - timedelta(seconds=1)
    assert reconcile(db, conn, settings, now=early)["released"] == []
    recovered = reconcile(db, conn, settings, now=run.heartbeat_at + stale + timedelta(seconds=1))
    assert recovered["released"] == [run_id] and recovered["enqueued"] == [run_id]
    assert _status(db, run_id) == "queued"
    run_worker_burst(settings)  # another worker takes the queued job
    with db.unit_of_work() as s:
        run = s.get(MatchRun, run_id)
        assert run.status == "done" and run.progress == 100
        assert run.attempts == 2 and run.counts["created"] > 0
        pairs = s.execute(select(Proposal.programme_id, Proposal.opening_key)).all()
        assert len(pairs) == len(set(pairs)) == run.counts["created"]
    db.dispose()


def _run(db: Database, run_id: int) -> MatchRun:
    with db.unit_of_work() as s:
        return s.get(MatchRun, run_id)


def _waiting_for_lock(db: Database) -> bool:
    """True while another session (the worker's run) waits for a lock."""
    with db.engine.connect() as conn:
        return bool(
            conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )
            )
        )


def test_worker_background_loop_enqueues_settled_runs(settings):
    """The worker's relay loop calls the reconciler every few seconds: a queued run that no job
    carries (its enqueue was lost) gets one without anybody asking."""
    db = _db(settings)
    with db.unit_of_work() as s:
        run_id = runs.request_run(s, "full", None, "test").id
    queue = Queue("matching", connection=redis_lib.Redis.from_url(settings.redis_url))
    assert f"run-{run_id}" not in queue.job_ids
    ctx = build_context("matching", settings)
    loop = RelayLoop(ctx, interval=0.05)
    loop.start()
    try:
        _wait(lambda: f"run-{run_id}" in queue.job_ids, 30, "the loop to enqueue the run")
    finally:
        loop.stop()
        loop.join(30)
        ctx.close()
        db.dispose()
