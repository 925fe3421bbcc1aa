"""Events leave intake through the outbox and reach matching exactly once, Redis outage or not."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
import redis as redis_lib
from rq import Queue
from sqlalchemy import func, select

from services.intake.models import OutboxEvent
from services.matching.models import Candidate, InboxEvent
from shared.config import Settings
from shared.db import Database
from shared.events import SUBSCRIBERS
from shared.localservers import find_redis_server, free_port
from shared.outbox import relay_pending
from tests.conftest import resident_payload
from tests.support.workers import relay_everything, run_worker_burst

API = "/intake/api/v1/residents"


def _pending(db: Database) -> int:
    with db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.relayed_at.is_(None)))


def _candidates(settings: Settings) -> list[Candidate]:
    db = Database(settings.database_url("matching"), "matching")
    try:
        with db.unit_of_work() as s:
            return list(s.scalars(select(Candidate)))
    finally:
        db.dispose()


def _share(c, pid: str) -> None:
    for purpose in ("registratie", "delen_werkgever"):
        r = c.post(
            f"{API}/{pid}/consents",
            json={"purpose": purpose, "method": "digitaal", "info_version": "2026-01"},
        )
        assert r.status_code == 201


@pytest.mark.both_backends
def test_worker_delivers_profile_to_matching_and_a_second_delivery_changes_nothing(
    app, settings, make_user, login
):
    c = login(make_user("jobcoach"))
    pid = c.post(API, json=resident_payload()).json["programme_id"]
    _share(c, pid)
    db = app.extensions["instap"].db
    queue = Queue("matching", connection=redis_lib.Redis.from_url(settings.redis_url))
    # Requests leave their events in the outbox (they never wait on Redis); the relay moves them.
    assert _pending(db) > 0 and queue.count == 0
    relay_everything(settings)
    assert _pending(db) == 0 and queue.count >= 1

    run_worker_burst(settings)
    candidates = _candidates(settings)
    assert [cand.programme_id for cand in candidates] == [pid]
    assert candidates[0].share_with_employer is True
    assert candidates[0].wijk == "wielwijk"
    assert not hasattr(candidates[0], "first_name")

    # Deliver every event again (as after a crash between enqueue and marking): no new effect.
    from shared.outbox import replay

    with db.unit_of_work() as s:
        total = s.scalar(select(func.count()).select_from(OutboxEvent))
    matching_db = Database(settings.database_url("matching"), "matching")
    with matching_db.unit_of_work() as s:
        inbox_before = s.scalar(select(func.count()).select_from(InboxEvent))
    assert (
        replay(db, OutboxEvent, redis_lib.Redis.from_url(settings.redis_url), "intake", "matching") == total
    )
    run_worker_burst(settings)
    with matching_db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(InboxEvent)) == inbox_before
        assert s.scalar(select(func.count()).select_from(Candidate)) == 1
    matching_db.dispose()


@pytest.mark.both_backends
def test_consent_withdrawal_removes_candidate_from_matching(app, settings, make_user, login):
    c = login(make_user("jobcoach"))
    pid = c.post(API, json=resident_payload()).json["programme_id"]
    _share(c, pid)
    run_worker_burst(settings)
    assert len(_candidates(settings)) == 1
    assert c.delete(f"{API}/{pid}/consents/delen_werkgever").status_code == 200
    run_worker_burst(settings)
    # Matching forgets the profile; the resident's event sequence keeps late events out.
    assert _candidates(settings) == []


@pytest.mark.both_backends
def test_handler_applied_twice_in_process_has_one_effect(app, settings, make_user, login):
    from services.matching import jobs
    from shared.app import build_context
    from shared.outbox import envelope
    from shared.runtime import set_worker_context

    c = login(make_user("jobcoach"))
    pid = c.post(API, json=resident_payload()).json["programme_id"]
    _share(c, pid)
    with app.extensions["instap"].db.unit_of_work() as s:
        row = s.scalars(select(OutboxEvent).where(OutboxEvent.type == "candidate.upserted")).one()
        env = envelope(row, "intake")
    ctx = build_context("matching", settings)
    set_worker_context(ctx)
    try:
        assert jobs.handle_event(env) is True
        assert jobs.handle_event(env) is False
    finally:
        set_worker_context(None)
        ctx.close()
    assert len(_candidates(settings)) == 1


def _residents_sharing(c, n: int) -> list[str]:
    pids = []
    for i in range(n):
        pid = c.post(API, json=resident_payload(email=f"batch{i}@example.nl")).json["programme_id"]
        _share(c, pid)
        pids.append(pid)
    return pids


def _fail_for(monkeypatch, pid: str, times: int | None) -> None:
    """matching's handler of profiles fails for this resident (`times` times; None: always)."""
    from services.matching import jobs

    real = jobs.HANDLERS["candidate.upserted"]
    failures = {"left": times}

    def flaky(session, payload, env):
        if payload["programme_id"] == pid and failures["left"] != 0:
            if failures["left"] is not None:
                failures["left"] -= 1
            raise RuntimeError("a passing fault")
        return real(session, payload, env)

    monkeypatch.setitem(jobs.HANDLERS, "candidate.upserted", flaky)


@pytest.mark.both_backends
def test_a_relay_round_is_one_job_per_consumer_and_a_failing_event_gets_a_job_of_its_own(
    app, settings, make_user, login, monkeypatch
):
    """The relay sends a round's events to each consumer as one job, in the order written (RQ's
    bookkeeping per job was most of the relay's cost per event, issue 12). An event that fails
    in it does not hold up the others: it is queued again as a job of its own, with RQ's retries,
    and applied there once it succeeds; nothing is applied twice."""
    c = login(make_user("jobcoach"))
    pids = _residents_sharing(c, 3)
    conn = redis_lib.Redis.from_url(settings.redis_url)
    queue = Queue("matching", connection=conn)
    relay_everything(settings)
    [job] = queue.jobs
    assert job.func_name == "services.matching.jobs.handle_events"
    with app.extensions["instap"].db.unit_of_work() as s:
        written = [
            row.id
            for row in s.scalars(select(OutboxEvent).order_by(OutboxEvent.created_at, OutboxEvent.seq))
            if "matching" in SUBSCRIBERS[row.type]
        ]
    assert [env["id"] for env in job.args[0]] == written

    _fail_for(monkeypatch, pids[1], times=1)
    run_worker_burst(settings)
    assert sorted(cand.programme_id for cand in _candidates(settings)) == sorted(pids)
    finished = queue.finished_job_registry.get_job_ids()
    alone = [job_id for job_id in finished if job_id.startswith("evt-")]
    assert len(alone) == 1 and job.id in finished, finished
    assert queue.failed_job_registry.count == 0
    matching_db = Database(settings.database_url("matching"), "matching")
    with matching_db.unit_of_work() as s:
        assert sorted(s.scalars(select(InboxEvent.event_id))) == sorted(written)
    # The same round's job run again (RQ's retry, a re-send): nothing has an effect twice.
    from services.matching import jobs
    from shared.app import build_context
    from shared.runtime import set_worker_context

    ctx = build_context("matching", settings)
    set_worker_context(ctx)
    try:
        assert jobs.handle_events(job.args[0]) == 0
    finally:
        set_worker_context(None)
        ctx.close()
    with matching_db.unit_of_work() as s:
        assert sorted(s.scalars(select(InboxEvent.event_id))) == sorted(written)
    assert sorted(cand.programme_id for cand in _candidates(settings)) == sorted(pids)
    matching_db.dispose()


@pytest.mark.both_backends
def test_outside_a_worker_a_failing_event_in_a_batch_raises_after_the_others_are_applied(
    app, settings, make_user, login, monkeypatch
):
    from services.matching import jobs
    from shared.app import build_context
    from shared.outbox import envelope
    from shared.runtime import set_worker_context

    c = login(make_user("jobcoach"))
    pids = _residents_sharing(c, 3)
    with app.extensions["instap"].db.unit_of_work() as s:
        rows = s.scalars(select(OutboxEvent).order_by(OutboxEvent.created_at, OutboxEvent.seq)).all()
        envs = [envelope(row, "intake") for row in rows if "matching" in SUBSCRIBERS[row.type]]
    _fail_for(monkeypatch, pids[1], times=None)
    ctx = build_context("matching", settings)
    set_worker_context(ctx)
    try:
        with pytest.raises(RuntimeError, match="a passing fault"):
            jobs.handle_events(envs)
    finally:
        set_worker_context(None)
        ctx.close()
    assert sorted(cand.programme_id for cand in _candidates(settings)) == sorted([pids[0], pids[2]])


class OwnRedis:
    """A redis-server on a fixed port that a test can stop and start again."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                str(find_redis_server()),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                if redis_lib.Redis(port=self.port).ping():
                    return
            except redis_lib.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def own_redis(tmp_path):
    server = OwnRedis(tmp_path)
    yield server
    server.stop()


@pytest.mark.both_backends
def test_redis_outage_loses_nothing_and_duplicates_nothing(settings, make_user, own_redis):
    """With Redis stopped, intakes still save; the events go out once Redis is back."""
    from services.intake.app import create_app
    from tests.conftest import LoggedIn

    outage_settings = settings.model_copy(update={"redis_url": own_redis.url})
    app = create_app(outage_settings)
    try:
        c = LoggedIn(app.test_client(), make_user("jobcoach"))
        # Redis is not running: the requests must still succeed.
        started = time.perf_counter()
        pids = []
        for i in range(3):
            r = c.post(API, json=resident_payload(first_name=f"Naam{i}"))
            assert r.status_code == 201, r.json
            pids.append(r.json["programme_id"])
            _share(c, pids[-1])
        elapsed = time.perf_counter() - started
        db = app.extensions["instap"].db
        pending = _pending(db)
        with db.unit_of_work() as s:
            rows = s.scalars(select(OutboxEvent)).all()
            for_consumers = [r for r in rows if SUBSCRIBERS.get(r.type)]
            # Per resident: the registration (stage.changed, for rapportage), (consent + removed)
            # and (consent + upserted) must wait for Redis.
            assert len(for_consumers) == 3 * 5
            assert all(r.relayed_at is None for r in for_consumers)
            assert all(r.attempts == 0 for r in rows)  # requests never even tried Redis
        assert pending >= 3 * 5
        assert elapsed < 60  # sanity only: requests did not hang on the dead Redis
        # The relay (a worker's job) tries, fails fast, records why, and keeps every row that
        # has a consumer (rows nobody subscribes to need no Redis and are done at once).
        relay_pending(db, OutboxEvent, redis_lib.Redis.from_url(own_redis.url), "intake")
        with db.unit_of_work() as s:
            rows = s.scalars(select(OutboxEvent)).all()
            assert any(r.attempts >= 1 and "connecting" in (r.last_error or "") for r in rows)
            assert all(r.relayed_at is None for r in rows if SUBSCRIBERS.get(r.type))
        pending = _pending(db)

        own_redis.start()  # Redis is back
        relayed = 0
        while n := relay_pending(db, OutboxEvent, redis_lib.Redis.from_url(own_redis.url), "intake"):
            relayed += n
        assert relayed == pending and _pending(db) == 0
        assert relay_pending(db, OutboxEvent, redis_lib.Redis.from_url(own_redis.url), "intake") == 0

        run_worker_burst(outage_settings, redis_url=own_redis.url)
        assert sorted(cand.programme_id for cand in _candidates(settings)) == sorted(pids)
    finally:
        app.extensions["instap"].close()


@pytest.mark.both_backends
def test_worker_relay_loop_catches_up_after_outage(settings, make_user, own_redis):
    """The worker's own relay loop (not the request) sends what waited during the outage."""
    from services.intake.app import create_app
    from tests.conftest import LoggedIn

    outage_settings = settings.model_copy(update={"redis_url": own_redis.url})
    app = create_app(outage_settings)
    try:
        c = LoggedIn(app.test_client(), make_user("jobcoach"))
        pid = c.post(API, json=resident_payload()).json["programme_id"]
        _share(c, pid)
        assert _pending(app.extensions["instap"].db) > 0
        own_redis.start()
        run_worker_burst(outage_settings, service="intake", redis_url=own_redis.url)
        deadline = time.time() + 10
        while _pending(app.extensions["instap"].db) and time.time() < deadline:
            time.sleep(0.2)
        assert _pending(app.extensions["instap"].db) == 0
        run_worker_burst(outage_settings, redis_url=own_redis.url)
        assert [cand.programme_id for cand in _candidates(settings)] == [pid]
    finally:
        app.extensions["instap"].close()
