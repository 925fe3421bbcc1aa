"""The web process's short memory of tokens and coaches (shared/auth/cache.py, issue 12)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from shared.auth.cache import TTLCache
from shared.auth.models import ApiToken, User
from shared.db import utcnow
from tests.conftest import bearer, resident_payload

API = "/intake/api/v1/residents"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app: Any, monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The app with its caches on (10 s), on a clock the test moves."""
    ctx = app.extensions["instap"]
    clock = Clock()
    monkeypatch.setitem(ctx.extras, "token_cache", TTLCache(10, clock=clock))
    monkeypatch.setitem(ctx.extras, "staff_cache", TTLCache(10, clock=clock))
    return clock


def _revoke_all(accounts_db: Any) -> None:
    with accounts_db.unit_of_work() as s:
        for row in s.scalars(select(ApiToken)):
            row.revoked_at = utcnow()


def test_a_token_revoked_elsewhere_is_refused_once_the_cache_forgets_it(app, make_token, accounts_db, clock):
    token = make_token("jobcoach")
    client = app.test_client()
    assert client.get(API, headers=bearer(token)).status_code == 200
    _revoke_all(accounts_db)  # by another process: this one still remembers the token
    clock.now += 9
    assert client.get(API, headers=bearer(token)).status_code == 200
    clock.now += 2  # 11 s after the check: asked again
    assert client.get(API, headers=bearer(token)).status_code == 401


def test_a_remembered_token_past_its_expiry_is_refused_at_once(app, make_token, clock):
    token = make_token("jobcoach")
    client = app.test_client()
    assert client.get(API, headers=bearer(token)).status_code == 200
    cache = app.extensions["instap"].extras["token_cache"]
    [(key, (_, (principal, _expiry)))] = list(cache._items.items())
    cache.put(key, (principal, utcnow() - timedelta(seconds=1)))
    with_expired = client.get(API, headers=bearer(token))
    # The cache is not trusted past the token's end; the store (still live here) is asked again.
    assert with_expired.status_code == 200
    assert cache.get(key)[1] > utcnow()


def test_an_unknown_token_is_never_remembered(app, clock):
    client = app.test_client()
    assert client.get(API, headers=bearer("instap_not-a-token")).status_code == 401
    assert app.extensions["instap"].extras["token_cache"]._items == {}


def test_a_coach_made_inactive_gets_no_new_residents_once_the_cache_forgets_it(
    app, make_user, make_token, accounts_db, clock
):
    coach = make_user("jobcoach")
    token = make_token("jobcoach")
    client = app.test_client()
    ok = client.post(API, json=resident_payload(coach_id=coach.id), headers=bearer(token))
    assert ok.status_code == 201
    with accounts_db.unit_of_work() as s:
        s.get(User, coach.id).active = False
    clock.now += 11
    refused = client.post(API, json=resident_payload(coach_id=coach.id), headers=bearer(token))
    assert refused.status_code == 422 and "coach_id" in refused.json["errors"]


def test_the_cache_is_bounded():
    cache: TTLCache[int] = TTLCache(10, max_entries=4)
    for i in range(10):
        cache.put(i, i)
    assert len(cache._items) <= 4 and cache.get(9) == 9
    off: TTLCache[int] = TTLCache(0)
    off.put(1, 1)
    assert off.get(1) is None
