"""A service asks another's API as the person asking, in-process or over HTTP; the other decides."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from services.intake.models import AuditEntry
from shared.localservers import free_port
from shared.peers import Peers, PeerUnavailable
from tests.conftest import LoggedIn, bearer, resident_payload

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
RESIDENTS = "/intake/api/v1/residents"


def _cookie(logged_in: LoggedIn) -> str:
    cookie = logged_in.client.get_cookie("instap_session")
    assert cookie is not None
    return f"instap_session={cookie.value}"


def _new_resident(coach: LoggedIn, **fields: Any) -> str:
    response = coach.post(RESIDENTS, json=resident_payload(**fields))
    assert response.status_code == 201, response.json
    return response.json["programme_id"]


def _ask(matching_app: Any, peers: Peers, headers: dict[str, str], path: str) -> Any:
    with matching_app.test_request_context("/matching/", headers=headers):
        return peers.get("intake", path)


@SQLITE
def test_in_process_call_carries_the_callers_login_and_intake_decides(app, matching_app, make_user) -> None:
    mine, other = make_user("jobcoach"), make_user("jobcoach")
    coach = LoggedIn(app.test_client(), mine)
    pid = _new_resident(coach, first_name="Noor")
    foreign = _new_resident(LoggedIn(app.test_client(), other), first_name="Tim")
    peers = matching_app.extensions["instap"].peers

    reply = _ask(matching_app, peers, {"Cookie": _cookie(coach)}, f"/api/v1/residents/{pid}")
    assert reply.status == 200 and reply.body["first_name"] == "Noor"
    # Another coach's resident: intake's own rule says no, as it would to the coach directly.
    assert _ask(matching_app, peers, {"Cookie": _cookie(coach)}, f"/api/v1/residents/{foreign}").status == 404
    # Nobody logged in: nothing.
    anonymous = _ask(matching_app, peers, {}, f"/api/v1/residents/{pid}")
    assert anonymous.status == 401 and anonymous.body["code"] == "unauthorized"
    # Intake logged the read as the coach's.
    with app.extensions["instap"].db.unit_of_work() as s:
        views = s.scalars(select(AuditEntry).where(AuditEntry.action == "view")).all()
    assert [v.actor_id for v in views] == [mine.id]


@SQLITE
def test_only_the_session_cookie_and_the_token_travel(app, matching_app, make_user, make_token) -> None:
    token = make_token("jobcoach")
    pid = LoggedIn(app.test_client(), make_user("jobcoach")).post(RESIDENTS, json=resident_payload())
    assert pid.status_code == 201
    peers = matching_app.extensions["instap"].peers
    reply = _ask(matching_app, peers, {**bearer(token), "Cookie": "other=secret"}, "/api/v1/residents")
    assert reply.status == 200 and len(reply.body) == 1
    with matching_app.test_request_context("/matching/", headers={"Cookie": "a=1; instap_session=xyz"}):
        from shared.peers import _forwarded_credentials

        assert _forwarded_credentials()["Cookie"] == "instap_session=xyz"


@pytest.fixture
def intake_over_http(app: Any) -> Iterator[str]:
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=5)


@SQLITE
def test_over_http_the_same_as_in_process(app, matching_app, make_user, intake_over_http: str) -> None:
    coach = LoggedIn(app.test_client(), make_user("jobcoach"))
    pid = _new_resident(coach, first_name="Ravi")
    peers = Peers.from_setting(f"intake={intake_over_http}")
    reply = _ask(matching_app, peers, {"Cookie": _cookie(coach)}, f"/api/v1/residents/{pid}")
    assert reply.status == 200 and reply.body["first_name"] == "Ravi"


@SQLITE
def test_a_peer_that_does_not_answer_is_unavailable_not_a_crash(matching_app) -> None:
    closed = Peers.from_setting(f"intake=http://127.0.0.1:{free_port()}")
    with pytest.raises(PeerUnavailable):
        _ask(matching_app, closed, {}, "/api/v1/residents")
    with pytest.raises(PeerUnavailable):
        _ask(matching_app, Peers(), {}, "/api/v1/residents")


@pytest.mark.parametrize("spec", ["intake", "intake=ftp://x", "=http://x", "intake=", "a=http://x,b"])
def test_bad_peer_urls_are_refused_at_start(spec: str) -> None:
    with pytest.raises(ValueError, match="INSTAP_PEER_URLS"):
        Peers.from_setting(spec)
