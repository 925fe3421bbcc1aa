"""The RQ dashboard under /matching/rq/: beheerders only, read-only."""

from __future__ import annotations

import pytest

from shared.auth.roles import ALL_ROLES, BEHEERDER
from tests.conftest import LoggedIn

# Role checks do not depend on the database backend.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

DASHBOARD = "/matching/rq/"


def test_anonymous_visitors_are_sent_to_the_login(matching_app):
    response = matching_app.test_client().get(DASHBOARD)
    assert response.status_code == 302
    assert "/matching/login" in response.headers["Location"]
    assert matching_app.test_client().get("/matching/rq/0/data/queues.json").status_code == 302


@pytest.mark.parametrize("role", [r for r in ALL_ROLES if r != BEHEERDER])
def test_other_roles_get_403(matching_app, make_user, role):
    user = LoggedIn(matching_app.test_client(), make_user(role), "/matching")
    assert user.get(DASHBOARD).status_code == 403
    assert user.get("/matching/rq/0/data/queues.json").status_code == 403


def test_beheerder_sees_the_queues(matching_app, make_user):
    admin = LoggedIn(matching_app.test_client(), make_user(BEHEERDER), "/matching")
    page = admin.get(DASHBOARD)
    assert page.status_code == 200
    assert b"RQ" in page.data
    # Its inline script must run; our strict default policy would block it.
    assert "'unsafe-inline'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"
    queues = admin.get("/matching/rq/0/data/queues.json")
    assert queues.status_code == 200
    assert "queues" in queues.json
    assert admin.get("/matching/rq/static/js/jquery-3.5.1.min.js").status_code == 200
    favicon = page.data.decode().split('rel="shortcut icon" href="')[1].split('"')[0]
    assert admin.get(favicon).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/matching/rq/job/abc/delete"),
        ("post", "/matching/rq/job/abc/requeue"),
        ("get", "/matching/rq/requeue/matching"),
        ("post", "/matching/rq/queue/matching/failed/empty"),
    ],
)
def test_changes_through_the_dashboard_are_refused(matching_app, make_user, method, path):
    admin = LoggedIn(matching_app.test_client(), make_user(BEHEERDER), "/matching")
    assert getattr(admin, method)(path).status_code == 405
