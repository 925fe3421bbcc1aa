"""Outages of the real dependencies: clean answers while they last, nothing lost, no restart after.

- PostgreSQL shut down: 503 with Retry-After in the error shape (and a Dutch page), no half-written
  rows, and the same processes work again as soon as it is back.
- Redis frozen (SIGSTOP: connections hang, the worst case): requests do not wait for it at all,
  web nodes stay ready, and once it thaws every event reaches matching exactly once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from services.intake.models import OutboxEvent, Resident
from services.matching.models import Candidate
from services.matching.models import InboxEvent as MatchingInbox
from shared.auth.accounts import add_user, create_token, get_or_create_organisation
from shared.cli import migrate_all
from shared.config import Settings, load_settings
from shared.db import Database
from shared.events import SUBSCRIBERS
from shared.localservers import LocalServer, start_postgres, start_redis
from tests.conftest import TEST_PASSWORD, bearer, resident_payload
from tests.support.workers import relay_everything, run_worker_burst

pytestmark = pytest.mark.slow
RESIDENTS = "/intake/api/v1/residents"
REQUEST_BOUND = 20.0  # seconds; only guards the test against hanging forever


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[LocalServer]:
    server = start_postgres(tmp_path / "pg")
    yield server
    server.stop()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[LocalServer]:
    server = start_redis(tmp_path / "redis")
    yield server
    server.resume()  # never leave a frozen process behind
    server.stop()


def _settings(data_dir: Path, redis_url: str, db_url: str | None = None) -> Settings:
    urls = {f"{c}_database_url": db_url for c in ("accounts", "intake", "matching")} if db_url else {}
    return load_settings(
        env="test",
        data_dir=data_dir,
        redis_url=redis_url,
        secret_key="test-secret-key-not-for-production-0123456789",
        log_level="WARNING",
        matching_nightly_hour=-1,
        matching_debounce_seconds=0,
        **urls,
    )


def _token(settings: Settings) -> tuple[str, int]:
    """A coaching organisation's machine token, and a coach of that organisation to assign to."""
    db = Database(settings.database_url("accounts"), "accounts")
    try:
        with db.unit_of_work() as s:
            org = get_or_create_organisation(s, "Sociale Dienst Drechtsteden", "gemeente")
            coach = add_user(
                s,
                email="coach@test.instap.nl",
                name="Coach",
                password=TEST_PASSWORD,
                role="jobcoach",
                organisation=org,
            )
            return create_token(s, name="coach machine", role="jobcoach", organisation=org), coach.id
    finally:
        db.dispose()


def _within(bound: float, call: Callable[[], Any]) -> Any:
    """Run `call` in a thread; fail (instead of hanging the suite) if it does not return."""
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.setdefault("value", call()), daemon=True)
    thread.start()
    thread.join(bound)
    assert "value" in result, f"no answer within {bound:g}s"
    return result["value"]


def _count(settings: Settings, component: str, model: Any) -> int:
    db = Database(settings.database_url(component), component)
    try:
        with db.unit_of_work() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        db.dispose()


def test_postgres_down_gives_503_with_retry_after_and_recovers_without_restart(
    tmp_path: Path, own_postgres: LocalServer, redis_url: str
) -> None:
    from services.intake.app import create_app

    settings = _settings(tmp_path / "var", redis_url, own_postgres.url)
    migrate_all(settings)
    token, coach_id = _token(settings)
    auth = bearer(token)
    app = create_app(settings)
    client = app.test_client()
    try:
        assert (
            client.post(RESIDENTS, json=resident_payload(coach_id=coach_id), headers=auth).status_code == 201
        )

        own_postgres.pause()
        down = _within(
            REQUEST_BOUND,
            lambda: client.post(RESIDENTS, json=resident_payload(coach_id=coach_id), headers=auth),
        )
        assert down.status_code == 503, down.data[:500]
        assert down.headers["Retry-After"].isdigit()
        assert down.json["code"] == "unavailable" and down.json["status"] == 503 and down.json["message"]
        page = _within(REQUEST_BOUND, lambda: client.get("/intake/deelnemers", headers=auth))
        assert page.status_code == 503 and page.mimetype == "text/html"
        assert "Probeer het over een paar seconden opnieuw" in page.get_data(as_text=True)
        assert "Traceback" not in page.get_data(as_text=True)
        ready = _within(REQUEST_BOUND, lambda: client.get("/intake/readyz"))
        assert ready.status_code == 503

        own_postgres.resume()
        again = client.post(
            RESIDENTS, json=resident_payload(first_name="Weer", coach_id=coach_id), headers=auth
        )
        assert again.status_code == 201, again.data[:500]
    finally:
        app.extensions["instap"].close()
    # Two acknowledged intakes, two residents, each with its registration event: no ghost rows.
    assert _count(settings, "intake", Resident) == 2
    db = Database(settings.database_url("intake"), "intake")
    try:
        with db.unit_of_work() as s:
            subjects = set(s.scalars(select(OutboxEvent.subject)))
            pids = set(s.scalars(select(Resident.programme_id)))
    finally:
        db.dispose()
    assert subjects == pids


def test_redis_frozen_during_writes_no_request_waits_and_every_event_arrives_once(
    tmp_path: Path, own_redis: LocalServer
) -> None:
    from services.intake.app import create_app

    settings = _settings(tmp_path / "var", own_redis.url)
    migrate_all(settings)
    token, coach_id = _token(settings)
    auth = bearer(token)
    app = create_app(settings)
    client = app.test_client()
    consent = {"method": "schriftelijk", "info_version": "2026-01"}
    try:
        own_redis.pause()
        for i in range(4):
            created = _within(
                REQUEST_BOUND,
                lambda i=i: client.post(
                    RESIDENTS, json=resident_payload(first_name=f"R{i}", coach_id=coach_id), headers=auth
                ),
            )
            assert created.status_code == 201
            pid = created.json["programme_id"]
            for purpose in ("registratie", "delen_werkgever"):
                given = _within(
                    REQUEST_BOUND,
                    lambda pid=pid, purpose=purpose: client.post(
                        f"{RESIDENTS}/{pid}/consents", json={"purpose": purpose, **consent}, headers=auth
                    ),
                )
                assert given.status_code == 201
        # Web nodes stay in service: the database is fine, Redis is only reported.
        ready = _within(REQUEST_BOUND, lambda: client.get("/intake/readyz"))
        assert ready.status_code == 200 and ready.json["checks"]["redis"].startswith("error")
    finally:
        own_redis.resume()
        app.extensions["instap"].close()

    relay_everything(settings)
    run_worker_burst(settings, "matching")
    run_worker_burst(settings, "matching")  # a second pass changes nothing
    db = Database(settings.database_url("intake"), "intake")
    try:
        with db.unit_of_work() as s:
            for_matching = sum(
                1 for t in s.scalars(select(OutboxEvent.type)) if "matching" in SUBSCRIBERS.get(t, ())
            )
    finally:
        db.dispose()
    assert _count(settings, "matching", MatchingInbox) == for_matching
    assert _count(settings, "matching", Candidate) == 4
