"""The accounts migration of issue 7 on SQLite and PostgreSQL: the schema matches the models, and
tokens made before it get an expiry instead of living for ever."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from shared.auth.models import AccountsBase
from shared.components import COMPONENTS
from shared.db import Database, utcnow
from shared.migrations import upgrade
from tests.support.empty_db import empty_database

BEFORE = "b9877fd3673c"  # the initial accounts schema
MIGRATIONS = COMPONENTS["accounts"].migrations


@pytest.fixture
def empty_accounts_db(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    """An accounts database of its own, not yet migrated (its own schema on PostgreSQL)."""
    with empty_database("accounts", backend, tmp_path, request) as db:
        yield db


def test_migrated_schema_matches_the_models(empty_accounts_db: Database) -> None:
    upgrade(empty_accounts_db, MIGRATIONS, AccountsBase.metadata)
    with empty_accounts_db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), AccountsBase.metadata)
    assert diff == []


def test_existing_tokens_get_an_expiry_and_users_a_session_version(empty_accounts_db: Database) -> None:
    db = empty_accounts_db
    upgrade(db, MIGRATIONS, AccountsBase.metadata, BEFORE)
    now = utcnow()
    with db.engine.begin() as conn:
        params: dict[str, Any] = {"now": now.replace(tzinfo=None) if not db.is_postgres else now}
        conn.execute(
            text("INSERT INTO organisation (id, name, kind, created_at) VALUES (1, 'G', 'gemeente', :now)"),
            params,
        )
        conn.execute(
            text(
                "INSERT INTO api_token (token_hash, name, role, organisation_id, created_at)"
                " VALUES ('abc', 'oud script', 'jobcoach', 1, :now)"
            ),
            params,
        )
        conn.execute(
            text(
                "INSERT INTO user_account (email, name, role, organisation_id, active, created_at)"
                " VALUES ('a@example.nl', 'A', 'jobcoach', 1, true, :now)"
            ),
            params,
        )
    upgrade(db, MIGRATIONS, AccountsBase.metadata)
    from shared.auth.models import ApiToken, User

    with db.unit_of_work() as s:
        token = s.query(ApiToken).one()
        assert now + timedelta(days=89) < token.expires_at < utcnow() + timedelta(days=91)
        assert token.last_used_at is None
        assert s.query(User).one().session_version == 1
