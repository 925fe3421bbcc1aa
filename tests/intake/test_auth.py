"""Auth: login, rate limit, roles on every endpoint, tokens, CSRF."""

from __future__ import annotations

import pytest

from tests.conftest import bearer, csrf_from, resident_payload

API = "/intake/api/v1/residents"
PID = "DW-ABCDEFGH"
# Every API endpoint of intake: (method, path, json body)
ENDPOINTS = [
    ("get", API, None),
    ("post", API, {}),
    ("get", f"{API}/{PID}", None),
    ("patch", f"{API}/{PID}", {}),
    ("delete", f"{API}/{PID}", None),
    ("put", f"{API}/{PID}/coach", {"coach_id": 1}),
    ("get", f"{API}/{PID}/export", None),
    ("get", f"{API}/{PID}/consents", None),
    ("post", f"{API}/{PID}/consents", {}),
    ("delete", f"{API}/{PID}/consents/registratie", None),
    ("get", f"{API}/{PID}/stages", None),
    ("post", f"{API}/{PID}/stages", {}),
    ("get", f"{API}/{PID}/notes", None),
    ("post", f"{API}/{PID}/notes", {}),
    ("get", f"{API}/{PID}/follow-ups", None),
    ("get", "/intake/api/v1/follow-ups", None),
    ("get", "/intake/api/v1/follow-ups/1", None),
    ("post", "/intake/api/v1/follow-ups/1", {}),
]
IDS = [f"{m} {p.replace(API, '')}" for m, p, _ in ENDPOINTS]
# Endpoints for organisations (not for coaches): introductions after both sides accepted.
ORG_ENDPOINTS = [("get", "/intake/api/v1/introductions", None)]


def test_every_endpoint_is_covered_by_this_list(app):
    rules = {
        (tuple(sorted(r.methods - {"HEAD", "OPTIONS"})), r.rule)
        for r in app.url_map.iter_rules()
        if "/api/v1/" in r.rule
    }
    listed = {
        (
            m.upper(),
            p.removeprefix("/intake")
            .replace(PID, "<programme_id>")
            .replace("/registratie", "/<purpose>")
            .replace("/follow-ups/1", "/follow-ups/<followup_id>"),
        )
        for m, p, _ in ENDPOINTS + ORG_ENDPOINTS
    }
    for methods, rule in rules:
        for method in methods:
            assert (method, rule) in listed, f"{method} {rule} has no auth test"


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_anonymous_gets_401(client, method, path, body):
    # A valid CSRF token of an anonymous session, so that the CSRF check cannot answer (400) in
    # place of the authorization check this test is about.
    token = csrf_from(client.get("/intake/login").data)
    response = getattr(client, method)(path, json=body, headers={"Authorization": "", "X-CSRFToken": token})
    assert response.status_code == 401, response.json
    assert response.json["code"] == "unauthorized"


def test_anonymous_write_without_csrf_token_is_refused(client):
    response = client.post(API, json={}, headers={"Authorization": ""})
    assert response.status_code == 400 and response.json["code"] == "bad_request"


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_anonymous_api_call_without_cookie_is_401_with_bad_token(client, method, path, body):
    response = getattr(client, method)(path, json=body, headers=bearer("instap_nope"))
    assert response.status_code == 401
    assert response.json == {
        "code": "unauthorized",
        "status": 401,
        "message": "Dit token is ongeldig, verlopen of ingetrokken.",
        "errors": {},
    }


@pytest.mark.parametrize("role", ["aannemer", "opleider", "programmabureau"])
@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_wrong_role_gets_403(app, make_token, role, method, path, body):
    response = getattr(app.test_client(), method)(path, json=body, headers=bearer(make_token(role)))
    assert response.status_code == 403, response.json
    assert response.json["code"] == "forbidden"


@pytest.mark.parametrize("role", ["jobcoach", "programmabureau", "beheerder"])
@pytest.mark.parametrize(("method", "path", "body"), ORG_ENDPOINTS)
def test_organisation_endpoints_refuse_other_roles(app, make_token, role, method, path, body):
    client = app.test_client()
    assert getattr(client, method)(path, json=body).status_code == 401
    response = getattr(client, method)(path, json=body, headers=bearer(make_token(role)))
    assert response.status_code == 403 and response.json["code"] == "forbidden"


def test_login_page_and_wrong_password(client, make_user):
    user = make_user("jobcoach")
    page = client.get("/intake/login")
    assert page.status_code == 200 and "Wachtwoord" in page.text
    bad = client.post(
        "/intake/login",
        data={"email": user.email, "password": "fout-wachtwoord", "csrf_token": csrf_from(page.data)},
    )
    assert bad.status_code == 401
    assert "horen niet bij elkaar" in bad.text
    empty = client.post(
        "/intake/login", data={"email": "", "password": "", "csrf_token": csrf_from(page.data)}
    )
    assert empty.status_code == 422


def test_login_without_csrf_token_is_refused(client, make_user):
    user = make_user("jobcoach")
    r = client.post("/intake/login", data={"email": user.email, "password": user.password})
    assert r.status_code == 400
    assert client.get("/intake/api/v1/residents").status_code == 401


def test_login_is_rate_limited(client):
    # A new address each time: the per-account lock-out (tests/auth) must not be what stops them.
    token = csrf_from(client.get("/intake/login").data)
    statuses = [
        client.post(
            "/intake/login",
            data={"email": f"iemand{i}@test.instap.nl", "password": "fout", "csrf_token": token},
        ).status_code
        for i in range(12)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]


def test_successful_logins_do_not_count_against_the_address(app, make_user):
    """A team behind one address (an office, the demo's roles) logs in more often than the limit
    on failures allows; after the successes, failures are still counted and stopped."""
    users = [make_user("jobcoach") for _ in range(12)]
    statuses = []
    for user in users:
        client = app.test_client()
        token = csrf_from(client.get("/intake/login").data)
        statuses.append(
            client.post(
                "/intake/login", data={"email": user.email, "password": user.password, "csrf_token": token}
            ).status_code
        )
    assert statuses == [302] * 12
    client = app.test_client()
    token = csrf_from(client.get("/intake/login").data)
    failures = [
        client.post(
            "/intake/login", data={"email": f"x{i}@test.instap.nl", "password": "fout", "csrf_token": token}
        ).status_code
        for i in range(11)
    ]
    assert failures == [401] * 10 + [429]


def test_login_redirects_only_to_own_origin(client, make_user):
    user = make_user("jobcoach")
    token = csrf_from(client.get("/intake/login").data)
    r = client.post(
        "/intake/login?next=https://evil.example/x",
        data={"email": user.email, "password": user.password, "csrf_token": token},
    )
    assert r.status_code == 302 and r.headers["Location"] == "/intake/"


def test_logout_ends_the_session(app, make_user, login):
    c = login(make_user("jobcoach"))
    assert c.get(API).status_code == 200
    r = c.client.post("/intake/logout", data={"csrf_token": c.csrf})
    assert r.status_code == 302
    assert c.client.get(API).status_code == 401


def test_session_api_write_needs_csrf_header(app, make_user, login):
    c = login(make_user("jobcoach"))
    r = c.client.post(API, json=resident_payload())
    assert r.status_code == 400 and r.json["code"] == "bad_request"
    assert c.post(API, json=resident_payload()).status_code == 201


def test_deactivated_user_loses_access(app, make_user, login, accounts_db):
    from shared.auth.models import User

    user = make_user("jobcoach")
    c = login(user)
    with accounts_db.unit_of_work() as s:
        s.get(User, user.id).active = False
    assert c.get(API).status_code == 401


def test_revoked_token_is_refused(app, make_token, accounts_db):
    from sqlalchemy import select

    from shared.auth.models import ApiToken
    from shared.db import utcnow

    token = make_token("jobcoach")
    client = app.test_client()
    assert client.get(API, headers=bearer(token)).status_code == 200
    with accounts_db.unit_of_work() as s:
        for row in s.scalars(select(ApiToken)):
            row.revoked_at = utcnow()
    assert client.get(API, headers=bearer(token)).status_code == 401


def test_openapi_document_and_docs_page(client):
    spec = client.get("/intake/api/openapi.json")
    assert spec.status_code == 200
    paths = spec.json["paths"]
    assert "/api/v1/residents" in paths and "/api/v1/residents/{programme_id}/consents" in paths
    assert spec.json["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    docs = client.get("/intake/api/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    assert "cdn" not in docs.text.lower() and "unpkg" not in docs.text.lower()
