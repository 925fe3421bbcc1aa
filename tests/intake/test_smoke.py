"""The intake app starts on both databases and answers health checks."""

import pytest


def test_healthz(client):
    response = client.get("/intake/healthz")
    assert response.status_code == 200
    assert response.json == {"service": "intake", "status": "ok"}


@pytest.mark.both_backends
def test_readyz_checks_database_and_redis(client):
    response = client.get("/intake/readyz")
    assert response.status_code == 200, response.json
    assert response.json["checks"] == {"accounts_database": "ok", "database": "ok", "redis": "ok"}


def test_anonymous_visitor_gets_dutch_login_page(client):
    response = client.get("/intake/", follow_redirects=True)
    assert response.status_code == 200
    assert "Inloggen" in response.text
    assert 'lang="nl"' in response.text
