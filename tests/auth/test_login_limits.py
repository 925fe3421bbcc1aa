"""Login limits in Redis (the `limits` library's store), shared by every process; per-account lock-out with
back-off that answers a known and an unknown address alike (issue 7, issue 6 item 4)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis as redis_lib
from hypothesis import given
from hypothesis import strategies as st

from shared.auth.lockout import LockoutPolicy
from shared.config import Settings
from tests.conftest import csrf_from

LOGIN = "/intake/login"
JSON = {"Accept": "application/json"}
WRONG = "fout-wachtwoord-0"  # noqa: S105 - test-only
# Apps that lock after 2 failures: each failure costs a full argon2 verification.
QUICK_LOCK = {"login_rate_limit": "1000 per minute", "login_lockout_after": 2}


@pytest.fixture
def backend() -> str:
    """Counters and locks live in Redis; the accounts database only answers who exists, which the
    session and token tests already prove on both backends. One backend keeps this file fast."""
    return "sqlite"


@pytest.fixture
def make_app(settings: Settings) -> Iterator[Callable[..., Any]]:
    """Intake apps on this test's settings (plus overrides), e.g. two web processes of one site."""
    from services.intake.app import create_app

    apps: list[Any] = []

    def make(**overrides: Any) -> Any:
        app = create_app(settings.model_copy(update=overrides))
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["instap"].close()


def _attempt(app: Any, email: str, password: str = WRONG) -> Any:
    client = app.test_client()
    token = csrf_from(client.get(LOGIN).data)
    return client.post(LOGIN, data={"email": email, "password": password, "csrf_token": token}, headers=JSON)


def _unknown() -> str:
    return f"onbekend-{uuid.uuid4().hex[:8]}@test.instap.nl"


def test_two_processes_share_one_login_limit(make_app: Any) -> None:
    """Without RATELIMIT_STORAGE_URL the counters live in REDIS_URL's Redis, not per process:
    30 concurrent attempts spread over two apps at 10 a minute let exactly 10 through."""
    first, second = make_app(), make_app()
    assert (
        first.extensions["instap"].extras["limit_storage"]
        is not second.extensions["instap"].extras["limit_storage"]
    )
    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(
            pool.map(lambda i: _attempt((first, second)[i % 2], _unknown()).status_code, range(30))
        )
    assert Counter(statuses) == {401: 10, 429: 20}


def test_limit_message_is_dutch_and_in_the_error_shape(make_app: Any) -> None:
    app = make_app(login_rate_limit="2 per minute")
    responses = [_attempt(app, _unknown()) for _ in range(3)]
    assert [r.status_code for r in responses] == [401, 401, 429]
    assert responses[2].json == {
        "code": "too_many_requests",
        "status": 429,
        "message": "Te veel pogingen. Wacht een minuut en probeer het opnieuw.",
        "errors": {},
    }


def test_lockout_answers_known_and_unknown_address_alike(make_app: Any, make_user: Any) -> None:
    app = make_app(login_rate_limit="1000 per minute")
    known = make_user("jobcoach").email
    unknown = _unknown()
    for _ in range(5):  # INSTAP_LOGIN_LOCKOUT_AFTER
        a, b = _attempt(app, known), _attempt(app, unknown)
        assert a.status_code == b.status_code == 401
        assert "horen niet bij elkaar" in a.text and "horen niet bij elkaar" in b.text
    locked_known, locked_unknown = _attempt(app, known), _attempt(app, unknown)
    assert locked_known.status_code == locked_unknown.status_code == 429
    assert locked_known.json == locked_unknown.json
    assert locked_known.json["message"] == (
        "Te veel mislukte pogingen met dit e-mailadres. Probeer het over 1 minuut opnieuw."
    )


def test_locked_account_refuses_even_the_right_password(make_app: Any, make_user: Any) -> None:
    app = make_app(**QUICK_LOCK)
    user = make_user("jobcoach")
    for _ in range(2):
        _attempt(app, user.email)
    assert _attempt(app, user.email, user.password).status_code == 429
    # Other accounts from the same address are not affected.
    other = make_user("jobcoach")
    assert _attempt(app, other.email, other.password).status_code == 302


def test_lockout_holds_across_processes_and_in_other_case(make_app: Any, make_user: Any) -> None:
    first, second = make_app(**QUICK_LOCK), make_app(**QUICK_LOCK)
    user = make_user("jobcoach")
    for i in range(2):
        _attempt((first, second)[i % 2], user.email)
    assert _attempt(second, user.email.upper(), user.password).status_code == 429


def test_success_resets_the_count(make_app: Any, make_user: Any) -> None:
    app = make_app(**{**QUICK_LOCK, "login_lockout_after": 3})
    user = make_user("jobcoach")
    for _ in range(2):
        assert _attempt(app, user.email).status_code == 401
    assert _attempt(app, user.email, user.password).status_code == 302
    for _ in range(2):
        assert _attempt(app, user.email).status_code == 401
    assert _attempt(app, user.email, user.password).status_code == 302


def test_backoff_doubles_in_redis_and_no_address_is_stored(
    make_app: Any, make_user: Any, settings: Settings
) -> None:
    app = make_app(**QUICK_LOCK)
    lockout = app.extensions["instap"].extras["lockout"]
    email = make_user("jobcoach").email
    for _ in range(2):
        _attempt(app, email)
    assert 0 < lockout.locked_for(email) <= 60
    conn = redis_lib.Redis.from_url(settings.redis_url)
    try:
        keys = [k.decode() for k in conn.keys("*")]
        assert not any(email.split("@")[0] in k for k in keys), keys
        # As if the first lock ran out: the next failure locks for twice as long.
        for key in keys:
            if "lockout/lock/" in key:
                conn.delete(key)
        assert lockout.locked_for(email) == 0
        assert _attempt(app, email).status_code == 401
        assert 60 < lockout.locked_for(email) <= 120
    finally:
        conn.close()


@given(
    after=st.integers(1, 20),
    base=st.integers(1, 600),
    cap=st.integers(1, 86_400),
    failures=st.integers(0, 10_000),
)
def test_backoff_policy_is_bounded_and_never_shrinks(after: int, base: int, cap: int, failures: int) -> None:
    policy = LockoutPolicy(after=after, base_seconds=base, max_seconds=cap)
    seconds = policy.lock_seconds(failures)
    assert (seconds == 0) == (failures < after)
    assert seconds <= cap
    assert policy.lock_seconds(failures + 1) >= seconds
    if after <= failures and base * 2 ** (failures - after) <= cap:
        assert seconds == base * 2 ** (failures - after)
