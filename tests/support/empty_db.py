"""An empty, not yet migrated database of one component, for migration tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from shared.db import Database


@contextmanager
def empty_database(
    component: str, backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Database]:
    """A SQLite file of its own, or a schema of its own on the session's PostgreSQL (dropped after)."""
    if backend == "sqlite":
        db = Database(f"sqlite:///{tmp_path / f'{component}.db'}", component)
        try:
            yield db
        finally:
            db.dispose()
        return
    schema = f"{component}_{uuid.uuid4().hex[:8]}"
    db = Database(request.getfixturevalue("postgres_url"), schema)
    try:
        yield db
    finally:
        with db.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        db.dispose()
