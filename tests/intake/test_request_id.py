"""X-Request-ID: a caller's id is stored in the outbox and logs only when it is a plain id (issue 7)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from services.intake.models import OutboxEvent
from shared import logs
from shared.validators import contains_bsn
from tests.conftest import LoggedIn, resident_payload

API = "/intake/api/v1/residents"
NEW_ID = re.compile(r"[0-9a-f]{32}")


class _Lines(logging.Handler):
    """Every log record of the request with the correlation id the JSON log line carries."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{logs.correlation_id.get()} {record.getMessage()} {record.__dict__}")


@pytest.fixture
def log_lines(app: Any) -> Iterator[_Lines]:
    handler = _Lines()
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)  # tests log at WARNING; the login line is INFO
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


def _outbox_ids(app: Any) -> list[str]:
    with app.extensions["instap"].db.unit_of_work() as s:
        return list(s.scalars(select(OutboxEvent.correlation_id)))


UNSAFE = [
    "req-111222333",  # a plain id, but with a BSN in it
    "1112.22.333-abcdef",
    "kamer-4-111222333",
    "short",
    "x" * 65,
    "req 12345678",
    "req/12345678;x=1",
    "req-\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("sent", UNSAFE, ids=[ascii(v)[1:16] for v in UNSAFE])
def test_unsafe_request_id_is_replaced_everywhere(
    app: Any, make_user: Any, log_lines: _Lines, sent: str
) -> None:
    user = make_user("jobcoach")
    client = LoggedIn(app.test_client(), user)
    log_lines.lines.clear()
    response = client.post(API, json=resident_payload(), headers={"X-Request-ID": sent})
    assert response.status_code == 201, response.json
    chosen = response.headers["X-Request-ID"]
    assert chosen != sent and NEW_ID.fullmatch(chosen)
    assert _outbox_ids(app) == [chosen]
    # A login writes a log line: it carries the new id, never the caller's.
    login = app.test_client()
    page = login.get("/intake/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    done = login.post(
        "/intake/login",
        data={"email": user.email, "password": user.password, "csrf_token": token},
        headers={"X-Request-ID": sent},
    )
    assert done.status_code == 302 and done.headers["X-Request-ID"] != sent
    login_lines = [line for line in log_lines.lines if " login " in line]
    assert login_lines and all(line.startswith(done.headers["X-Request-ID"]) for line in login_lines)
    assert not any(sent in line or "111222333" in line for line in log_lines.lines)


def test_plain_request_id_is_kept_for_correlation(app: Any, make_user: Any) -> None:
    client = LoggedIn(app.test_client(), make_user("jobcoach"))
    sent = "edge-2026.03_ab-0001"
    response = client.post(API, json=resident_payload(), headers={"X-Request-ID": sent})
    assert response.status_code == 201
    assert response.headers["X-Request-ID"] == sent
    assert _outbox_ids(app) == [sent]


def test_new_ids_never_hold_a_bsn() -> None:
    assert not any(contains_bsn(logs.new_correlation_id()) for _ in range(3000))
    assert logs.safe_request_id(None) != logs.safe_request_id(None)
