"""Rapportage's own Alembic chain builds exactly the tables of its models."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from services.rapportage.models import Base


@pytest.mark.both_backends
def test_migrated_schema_matches_the_models(world: Any) -> None:
    db = world.databases["rapportage"]
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []
