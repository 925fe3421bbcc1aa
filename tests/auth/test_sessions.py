"""Sessions end on logout, password change and role change, and after an absolute lifetime (issue 7).

A copy of the session cookie (taken by malware, a shared computer, a proxy log) must stop working
the moment the session ends, not when the cookie would have expired.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.auth.support import client_with_cookie, copy_cookie, run_cli, session_data, signed_session
from tests.conftest import LoggedIn

API = "/intake/api/v1/residents"
NEW_PASSWORD = "lange-nieuwe-zin-voor-het-werk"  # test-only


def test_copy_of_cookie_stops_working_after_logout(app: Any, make_user: Any, login: Any) -> None:
    c = login(make_user("jobcoach"))
    stolen = copy_cookie(c.client)
    assert client_with_cookie(app, stolen).get(API).status_code == 200
    assert c.client.post("/intake/logout", data={"csrf_token": c.csrf}).status_code == 302
    assert client_with_cookie(app, stolen).get(API).status_code == 401
    # A page answers the same copy with the login page, not the caseload.
    page = client_with_cookie(app, stolen).get("/intake/deelnemers")
    assert page.status_code == 302 and "/intake/login" in page.headers["Location"]


def test_logout_ends_the_session_in_the_other_service_too(
    app: Any, matching_app: Any, make_user: Any, login: Any
) -> None:
    user = make_user("jobcoach")
    matching = LoggedIn(matching_app.test_client(), user, prefix="/matching")
    assert matching.get("/matching/api/v1/runs").status_code != 401
    c = login(user)
    c.client.post("/intake/logout", data={"csrf_token": c.csrf})
    assert matching.get("/matching/api/v1/runs").status_code == 401


def test_logging_in_again_after_logout_works(app: Any, make_user: Any, login: Any) -> None:
    user = make_user("jobcoach")
    first = login(user)
    first.client.post("/intake/logout", data={"csrf_token": first.csrf})
    assert login(user).get(API).status_code == 200


def test_password_change_ends_every_session(settings: Any, app: Any, make_user: Any, login: Any) -> None:
    user = make_user("jobcoach")
    c = login(user)
    stolen = copy_cookie(c.client)
    result = run_cli(settings, "user", "password", user.email, "--password", NEW_PASSWORD)
    assert result.exit_code == 0, result.output
    assert c.get(API).status_code == 401
    assert client_with_cookie(app, stolen).get(API).status_code == 401
    user.password = NEW_PASSWORD
    assert login(user).get(API).status_code == 200


def test_weak_new_password_is_refused_and_sessions_stay(
    settings: Any, app: Any, make_user: Any, login: Any
) -> None:
    user = make_user("jobcoach")
    c = login(user)
    result = run_cli(settings, "user", "password", user.email, "--password", "wachtwoord123")
    assert result.exit_code == 1
    assert "gelekte wachtwoorden" in result.output
    assert c.get(API).status_code == 200


def test_role_change_ends_every_session(settings: Any, app: Any, make_user: Any, login: Any) -> None:
    user = make_user("jobcoach")
    c = login(user)
    assert run_cli(settings, "user", "role", user.email, "programmabureau").exit_code == 0
    assert c.get(API).status_code == 401
    user.role = "programmabureau"
    assert login(user).get(API).status_code == 403  # the new role has no caseload


def test_operator_can_end_all_sessions_of_a_user(settings: Any, app: Any, make_user: Any, login: Any) -> None:
    user = make_user("jobcoach")
    laptop, phone = login(user), login(user)
    assert run_cli(settings, "user", "logout", user.email).exit_code == 0
    assert laptop.get(API).status_code == 401 and phone.get(API).status_code == 401


def test_unknown_user_in_cli_is_an_error(settings: Any, app: Any) -> None:
    result = run_cli(settings, "user", "logout", "niemand@test.instap.nl")
    assert result.exit_code == 1 and "Er is geen account" in result.output


@pytest.mark.parametrize(
    ("started_ago", "seen_ago", "works"),
    [
        (9.5 * 3600, 10, True),  # long day, still active
        (10 * 3600 + 1, 10, False),  # absolute lifetime (10 h) over, however active
        (3600, 3601, False),  # idle for more than the idle timeout (60 min)
        (3600, 3000, True),
    ],
)
def test_absolute_lifetime_and_idle_timeout(
    app: Any, make_user: Any, login: Any, started_ago: float, seen_ago: float, works: bool
) -> None:
    c = login(make_user("jobcoach"))
    data = session_data(app, copy_cookie(c.client))
    now = time.time()
    data.update(iat=int(now - started_ago), seen=int(now - seen_ago))
    response = client_with_cookie(app, signed_session(app, data)).get(API)
    assert response.status_code == (200 if works else 401)


def test_cookie_without_version_is_refused(app: Any, make_user: Any, login: Any) -> None:
    """A cookie signed before this change (only `uid`) no longer logs anyone in."""
    user = make_user("jobcoach")
    c = login(user)
    assert client_with_cookie(app, signed_session(app, {"uid": user.id, "_permanent": True})).get(
        API
    ).status_code == (401)
    assert c.get(API).status_code == 200


def test_last_seen_moves_with_activity(app: Any, make_user: Any, login: Any) -> None:
    c = login(make_user("jobcoach"))
    data = session_data(app, copy_cookie(c.client))
    data.update(seen=int(time.time() - 50 * 60))
    browser = client_with_cookie(app, signed_session(app, data))
    assert browser.get(API).status_code == 200
    refreshed = session_data(app, copy_cookie(browser))
    assert time.time() - refreshed["seen"] < 120
    assert refreshed["iat"] == data["iat"]  # the absolute lifetime does not slide


def test_a_changed_secret_key_is_used_at_once_though_the_serializer_is_kept(
    app: Any, make_user: Any, login: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session cookie's serializer is made once per key (shared/app.py, issue 12): a cookie
    signed with the old key stops working when the key changes, and works again with it."""
    c = login(make_user("jobcoach"))
    cookie = copy_cookie(c.client)
    interface = app.session_interface
    assert interface.get_signing_serializer(app) is interface.get_signing_serializer(app)
    monkeypatch.setattr(app, "secret_key", "another-test-only-key-" + "k" * 40)
    assert client_with_cookie(app, cookie).get(API).status_code == 401
    monkeypatch.undo()
    assert client_with_cookie(app, cookie).get(API).status_code == 200
