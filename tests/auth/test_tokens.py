"""API tokens: expiry, last use (cheaply), `instap token list/revoke`, audit by token id (issue 7)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from services.intake.models import AuditEntry
from shared.auth.accounts import (
    TOKEN_TOUCH_INTERVAL,
    create_token,
    get_or_create_organisation,
    principal_for_token,
)
from shared.auth.models import ApiToken
from shared.db import utcnow
from tests.auth.support import run_cli
from tests.conftest import bearer, resident_payload

API = "/intake/api/v1/residents"


def _token_row(accounts_db: Any, name: str) -> ApiToken:
    with accounts_db.unit_of_work() as s:
        row = s.scalar(select(ApiToken).where(ApiToken.name == name))
        assert row is not None
        s.expunge(row)
        return row


def _create(accounts_db: Any, name: str, **kwargs: Any) -> str:
    with accounts_db.unit_of_work() as s:
        org = get_or_create_organisation(s, "Sociale Dienst Drechtsteden", "gemeente")
        return create_token(s, name=name, role="jobcoach", organisation=org, **kwargs)


def test_new_token_expires_after_90_days_by_default(accounts_db: Any) -> None:
    before = utcnow()
    token = _create(accounts_db, "import")
    row = _token_row(accounts_db, "import")
    assert before + timedelta(days=90) <= row.expires_at <= utcnow() + timedelta(days=90)
    with accounts_db.unit_of_work() as s:
        assert principal_for_token(s, token, now=row.expires_at - timedelta(seconds=1)) is not None
    with accounts_db.unit_of_work() as s:
        assert principal_for_token(s, token, now=row.expires_at) is None


def test_expired_token_is_refused_over_http(app: Any, accounts_db: Any) -> None:
    token = _create(accounts_db, "old script")
    client = app.test_client()
    assert client.get(API, headers=bearer(token)).status_code == 200
    with accounts_db.unit_of_work() as s:
        s.scalar(select(ApiToken).where(ApiToken.name == "old script")).expires_at = utcnow()  # type: ignore[union-attr]
    response = client.get(API, headers=bearer(token))
    assert response.status_code == 401 and response.json["code"] == "unauthorized"


def test_cli_lifetime_comes_from_settings_or_days(settings: Any, accounts_db: Any) -> None:
    created = run_cli(settings, "token", "create", "--role", "jobcoach", "--org", "X", "--name", "kort")
    assert created.exit_code == 0, created.output
    week = run_cli(
        settings, "token", "create", "--role", "jobcoach", "--org", "X", "--name", "week", "--days", "7"
    )
    assert week.exit_code == 0, week.output
    default_row, week_row = _token_row(accounts_db, "kort"), _token_row(accounts_db, "week")
    assert default_row.expires_at - default_row.created_at == pytest.approx(
        timedelta(days=90), abs=timedelta(seconds=5)
    )
    assert week_row.expires_at - week_row.created_at == pytest.approx(
        timedelta(days=7), abs=timedelta(seconds=5)
    )


def test_last_use_is_written_at_most_once_a_minute(accounts_db: Any) -> None:
    token = _create(accounts_db, "poller")
    assert _token_row(accounts_db, "poller").last_used_at is None
    start = utcnow()
    with accounts_db.unit_of_work() as s:
        principal_for_token(s, token, now=start)
    assert _token_row(accounts_db, "poller").last_used_at == start
    for seconds in (1, 30, 59):
        with accounts_db.unit_of_work() as s:
            assert principal_for_token(s, token, now=start + timedelta(seconds=seconds)) is not None
    assert _token_row(accounts_db, "poller").last_used_at == start  # no write within the minute
    later = start + TOKEN_TOUCH_INTERVAL
    with accounts_db.unit_of_work() as s:
        principal_for_token(s, token, now=later)
    assert _token_row(accounts_db, "poller").last_used_at == later


def test_requests_record_last_use(app: Any, accounts_db: Any) -> None:
    token = _create(accounts_db, "http")
    before = utcnow()
    assert app.test_client().get(API, headers=bearer(token)).status_code == 200
    used = _token_row(accounts_db, "http").last_used_at
    assert used is not None and before <= used <= utcnow()


def test_list_shows_tokens_but_never_the_secret(settings: Any, app: Any, accounts_db: Any) -> None:
    token = _create(accounts_db, "rapportage-export")
    app.test_client().get(API, headers=bearer(token))
    row = _token_row(accounts_db, "rapportage-export")
    result = run_cli(settings, "token", "list")
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "rapportage-export" in line)
    assert line.split()[0] == str(row.id)
    assert "actief" in line and "jobcoach" in line and "Sociale Dienst Drechtsteden" in line
    assert row.expires_at.strftime("%Y-%m-%d %H:%M") in line
    assert row.last_used_at is not None and row.last_used_at.strftime("%Y-%m-%d %H:%M") in line
    assert token not in result.output and row.token_hash not in result.output


def test_revoke_by_id(settings: Any, app: Any, accounts_db: Any) -> None:
    keep = _create(accounts_db, "keep")
    drop = _create(accounts_db, "drop")
    drop_id = _token_row(accounts_db, "drop").id
    client = app.test_client()
    assert client.get(API, headers=bearer(drop)).status_code == 200
    result = run_cli(settings, "token", "revoke", str(drop_id))
    assert result.exit_code == 0 and f"token {drop_id} revoked" in result.output
    assert client.get(API, headers=bearer(drop)).status_code == 401
    assert client.get(API, headers=bearer(keep)).status_code == 200
    again = run_cli(settings, "token", "revoke", str(drop_id))
    assert again.exit_code == 0 and "already" in again.output
    listed = run_cli(settings, "token", "list").output
    assert "keep" in listed and "drop" not in listed
    everything = run_cli(settings, "token", "list", "--all").output
    assert "ingetrokken" in everything and "drop" in everything


def test_revoke_unknown_id_fails(settings: Any, app: Any) -> None:
    result = run_cli(settings, "token", "revoke", "4242")
    assert result.exit_code == 1 and "geen token met nummer 4242" in result.output


def test_reads_with_a_token_are_audited_with_its_id(
    app: Any, accounts_db: Any, make_user: Any, login: Any
) -> None:
    coach = make_user("jobcoach")
    pid = login(coach).post(API, json=resident_payload()).json["programme_id"]
    token = _create(accounts_db, "koppeling")
    token_id = _token_row(accounts_db, "koppeling").id
    client = app.test_client()
    assert client.get(f"{API}/{pid}", headers=bearer(token)).status_code == 200
    assert client.get(API, headers=bearer(token)).status_code == 200
    with app.extensions["instap"].db.unit_of_work() as s:
        entries = s.scalars(
            select(AuditEntry).where(AuditEntry.channel == "api").order_by(AuditEntry.id)
        ).all()
        by_token = [e for e in entries if e.actor_id is None]
        assert len(by_token) == 2, [(e.action, e.detail) for e in entries]
        assert all(e.detail["token_id"] == token_id for e in by_token)
        assert all("token_id" not in e.detail for e in entries if e.actor_id == coach.id)
