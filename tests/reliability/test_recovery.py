"""Recovery in seconds (issue 12): a run's heartbeat and its fence, and events re-sent after
Redis lost its data (scheduled retries whose state is the database, not Redis)."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import timedelta

import pytest
import redis as redis_lib
from rq import Queue
from sqlalchemy import func, select

from services.intake.models import OutboxEvent
from services.matching.domain import runs
from services.matching.jobs import reconcile
from services.matching.models import MatchRun, Proposal
from shared.app import build_context
from shared.db import Database, utcnow
from shared.worker import RelayLoop
from tests.conftest import resident_payload
from tests.reliability.test_match_runs import _instance
from tests.support.workers import run_worker_burst

API = "/intake/api/v1/residents"


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _deliveries(queue: Queue) -> int:
    """Events waiting in a consumer's queue: a relay round's job carries several."""
    return sum(len(job.args[0]) if job.func_name.endswith("handle_events") else 1 for job in queue.jobs)


def _run(db: Database, run_id: int) -> MatchRun:
    with db.unit_of_work() as s:
        return s.get(MatchRun, run_id)


@pytest.mark.both_backends
def test_a_released_run_whose_worker_was_only_slow_stores_nothing_and_runs_once(settings, monkeypatch):
    """While the run works its heartbeat beats and its progress is visible to others; a run
    released while its worker still lives (frozen for longer than the staleness bound, then
    woken) is fenced off: that worker stores nothing, the next attempt stores everything, once.
    The engine is held on an event, so the worker is mid-run for as long as the test needs."""
    db = Database(settings.database_url("matching"), "matching")
    _instance(db, residents=200, tasks=20)
    with db.unit_of_work() as s:
        run_id = runs.request_run(s, "full", None, "test").id
    in_engine, go_on = threading.Event(), threading.Event()
    real_match = runs.engine.match

    def frozen_match(*args, **kwargs):
        in_engine.set()
        assert go_on.wait(60)
        return real_match(*args, **kwargs)

    monkeypatch.setattr(runs.engine, "match", frozen_match)
    outcome: dict[str, object] = {}

    def slow_worker() -> None:
        outcome["result"] = runs.execute(db, run_id, heartbeat_every=0.1)

    thread = threading.Thread(target=slow_worker)
    thread.start()
    try:
        assert in_engine.wait(60)
        started = _run(db, run_id).started_at
        _wait(lambda: _run(db, run_id).heartbeat_at > started, 30, "a heartbeat")
        # Real progress: the instance is built (30 %), not only claimed (5 %).
        _wait(lambda: _run(db, run_id).progress == 30, 30, "the run's progress")
        conn = redis_lib.Redis.from_url(settings.redis_url)
        # The worker beats, so the run is not stale now; pretend its beats stopped long ago.
        assert reconcile(db, conn, settings)["released"] == []
        later = reconcile(db, conn, settings, now=utcnow() + timedelta(minutes=5))
        assert later["released"] == [run_id]
    finally:
        go_on.set()
        thread.join(60)
    monkeypatch.setattr(runs.engine, "match", real_match)
    assert outcome["result"] is None  # fenced off: attempt 1 stored nothing
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Proposal)) == 0
    assert _run(db, run_id).status == "queued"
    run_worker_burst(settings)
    run = _run(db, run_id)
    assert run.status == "done" and run.attempts == 2 and run.counts["created"] > 0
    with db.unit_of_work() as s:
        pairs = s.execute(select(Proposal.programme_id, Proposal.opening_key)).all()
    assert len(pairs) == len(set(pairs)) == run.counts["created"]
    db.dispose()


@pytest.mark.both_backends
def test_a_finished_run_is_never_released(settings):
    """The reconciler's release is conditional: a run that finished between the reconciler's
    look and its write stays finished."""
    db = Database(settings.database_url("matching"), "matching")
    with db.unit_of_work() as s:
        run_id = runs.request_run(s, "full", None, "test").id
    runs.execute(db, run_id)
    with db.unit_of_work() as s:
        run = s.get(MatchRun, run_id)
        assert run.status == "done"
        run.status = "running"  # what the reconciler saw a moment ago
        s.expunge(run)
    with db.unit_of_work() as s:
        s.get(MatchRun, run_id).status = "done"
    with db.unit_of_work() as s:
        assert runs.release(s, run) is False
    assert _run(db, run_id).status == "done"
    db.dispose()


@pytest.mark.both_backends
def test_events_are_sent_again_after_redis_lost_its_data(app, settings, make_user, login):
    """Queued jobs and RQ's scheduled retries live in Redis; a Redis restarted without its data
    loses them. The relay notices (its marker key is gone) and sends every event relayed within
    INSTAP_REDELIVER_HOURS again, from the outbox; matching applies each once."""
    c = login(make_user("jobcoach"))
    pid = c.post(API, json=resident_payload()).json["programme_id"]
    for purpose in ("registratie", "delen_werkgever"):
        assert (
            c.post(
                f"{API}/{pid}/consents",
                json={"purpose": purpose, "method": "digitaal", "info_version": "2026-01"},
            ).status_code
            == 201
        )
    ctx = build_context("intake", settings)
    loop = RelayLoop(ctx, interval=0.05)
    queue = Queue("matching", connection=redis_lib.Redis.from_url(settings.redis_url))
    try:
        loop.catch_up()  # relays the events (and sets the marker)
        relayed = _deliveries(queue)
        assert relayed > 0
        loop.catch_up()  # Redis kept its data: nothing is sent twice
        assert _deliveries(queue) == relayed
        redis_lib.Redis.from_url(settings.redis_url).flushdb()  # Redis lost everything
        assert queue.count == 0
        loop.catch_up()
        assert _deliveries(queue) == relayed
        with ctx.db.unit_of_work() as s:
            pending = s.scalar(
                select(func.count()).select_from(OutboxEvent).where(OutboxEvent.relayed_at.is_(None))
            )
        assert pending == 0
    finally:
        ctx.close()
    run_worker_burst(settings)
    matching = Database(settings.database_url("matching"), "matching")
    with matching.unit_of_work() as s:
        from services.matching.models import Candidate, InboxEvent

        assert s.scalar(select(func.count()).select_from(Candidate)) == 1
        assert s.scalar(select(func.count()).select_from(InboxEvent)) == relayed
    matching.dispose()


@pytest.mark.both_backends
def test_a_relay_loop_asleep_for_its_interval_stops_when_asked(settings):
    """A worker's stop (SIGTERM, the end of a burst) wakes its relay loop: on PostgreSQL it
    sleeps in LISTEN for its interval, which a stop must not sit out (issue 6: every burst
    worker on PostgreSQL waited half a second)."""
    ctx = build_context("intake", settings)
    loop = RelayLoop(ctx, interval=600)  # ten minutes: joined within the bound only if woken
    try:
        loop.start()
        _wait(lambda: loop.waker._conn is not None or not ctx.db.is_postgres, 10, "the relay to listen")
        time.sleep(0.1)  # into its wait
        loop.stop()
        loop.join(timeout=30)
        assert not loop.is_alive()
    finally:
        loop.stop()
        ctx.close()


@pytest.mark.both_backends
@pytest.mark.parametrize("service", ["intake", "matching"])
def test_a_burst_worker_leaves_no_thread_behind(settings, service):
    """A worker that stops (here: the end of a burst) stops its threads: RQ's command listener
    and the relay loop. RQ's own stop could leave the listener in a 60 s wait after a one-second
    join: a second lost per stop, a thread and a Redis connection left over (issue 6)."""
    before = set(threading.enumerate())
    for _ in range(5):  # the race RQ lost depends on timing: give it several chances
        run_worker_burst(settings, service=service)
    left = [t.name for t in set(threading.enumerate()) - before if t.is_alive()]
    assert not left, left


@pytest.mark.postgresql
def test_a_busy_relay_takes_what_came_meanwhile_in_one_round_and_loses_nothing(
    settings, login, make_user, monkeypatch
):
    """While commits keep waking it, the relay runs at most one round per `min_gap`
    (INSTAP_RELAY_MIN_GAP) and each round takes every event written meanwhile: its fixed cost
    is paid a few times a second, not once per event (issue 12). Nothing waits behind the gap:
    when the writes stop, every event has been relayed. The bound on rounds is an upper bound, so
    a slow machine only makes fewer of them; without the gap there is a round per create."""
    c = login(make_user("jobcoach"))
    ctx = build_context("intake", settings)
    rounds: list[float] = []
    real_relay = RelayLoop._relay

    def counted(self, model):
        rounds.append(time.monotonic())
        return real_relay(self, model)

    monkeypatch.setattr(RelayLoop, "_relay", counted)
    loop = RelayLoop(ctx, interval=30, min_gap=0.5)  # the interval is out of the way: woken only
    try:
        loop.start()
        _wait(lambda: loop.waker._conn is not None, 10, "the relay to listen")
        time.sleep(0.2)
        rounds.clear()
        started = time.monotonic()
        for _ in range(20):  # a create every 0.1 s or so: each commit notifies the relay
            assert c.post(API, json=resident_payload()).status_code == 201
            time.sleep(0.1)
        elapsed = time.monotonic() - started

        def pending() -> int:
            with ctx.db.unit_of_work() as s:
                return s.scalar(
                    select(func.count()).select_from(OutboxEvent).where(OutboxEvent.relayed_at.is_(None))
                )

        _wait(lambda: pending() == 0, 10, "every event to be relayed")
        assert 2 <= len(rounds) <= elapsed / 0.5 + 2, (len(rounds), elapsed)
        assert all(b - a >= 0.5 for a, b in itertools.pairwise(rounds)), rounds
    finally:
        loop.stop()
        loop.join(timeout=30)
        ctx.close()
