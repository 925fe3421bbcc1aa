"""A downgrade that rebuilds the resident table on SQLite (batch mode, for DROP COLUMN) keeps the
rows that refer to it: foreign keys are off while migrating (shared/migrations.py), so ON DELETE
CASCADE does not empty the stage history when the old table is dropped."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import text

from services.intake.models import Base
from shared.components import COMPONENTS
from shared.db import Database
from shared.migrations import alembic_config, upgrade
from tests.support.rows import NOW, insert_resident

MIGRATIONS = COMPONENTS["intake"].migrations


def test_downgrade_past_the_event_numbers_keeps_the_stage_history(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'intake.db'}", "intake")
    try:
        upgrade(db, MIGRATIONS, Base.metadata)
        with db.engine.begin() as conn:
            insert_resident(conn, "intake")
            conn.execute(
                text(
                    "INSERT INTO stage_change (resident_id, from_stage, to_stage, changed_at)"
                    " VALUES (1, 'aangemeld', 'intake', :now)"
                ),
                {"now": NOW},
            )
        # Before the event numbers: resident.event_seq is dropped, which rebuilds the table.
        command.downgrade(alembic_config(db, MIGRATIONS, Base.metadata), "bbe7ebf479ea")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM stage_change")).scalar_one() == 1
            assert conn.execute(text("SELECT count(*) FROM resident")).scalar_one() == 1
            assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1  # on again afterwards
    finally:
        db.dispose()
