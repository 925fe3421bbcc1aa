"""The drop-out reason that named health (`gezondheid_prive`) is renamed in the stored history and
in the outbox's payloads by intake's migration, and back by its downgrade."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import text

from services.intake.models import Base
from shared import reference
from shared.components import COMPONENTS
from shared.db import Database
from shared.migrations import alembic_config, upgrade
from tests.support.rows import NOW, insert_resident

BEFORE = "ce06534bc05a"  # follow-ups: the revision before the rename
MIGRATIONS = COMPONENTS["intake"].migrations


def test_old_reason_is_renamed_in_history_and_outbox_and_back(tmp_path: Path) -> None:
    assert "gezondheid_prive" not in reference.DROPOUT_REASONS
    assert "persoonlijke_omstandigheden" in reference.DROPOUT_REASONS
    db = Database(f"sqlite:///{tmp_path / 'intake.db'}", "intake")
    try:
        upgrade(db, MIGRATIONS, Base.metadata, BEFORE)
        with db.engine.begin() as conn:
            insert_resident(conn, "uitgevallen")
            for reason in ("gezondheid_prive", "motivatie"):
                conn.execute(
                    text(
                        "INSERT INTO stage_change (resident_id, from_stage, to_stage, reason_code,"
                        " changed_at) VALUES (1, 'intake', 'uitgevallen', :reason, :now)"
                    ),
                    {"reason": reason, "now": NOW},
                )
            conn.execute(
                text(
                    "INSERT INTO outbox (id, type, version, payload, correlation_id, subject, seq,"
                    " created_at, attempts)"
                    " VALUES ('e1', 'stage.changed', 1, :payload, 'c', 'DW-AAAA0001', 2, :now, 0)"
                ),
                {"payload": '{"reason_code": "gezondheid_prive", "to_stage": "uitgevallen"}', "now": NOW},
            )

        def stored() -> tuple[list[str], str]:
            with db.engine.connect() as conn:
                reasons = conn.execute(text("SELECT reason_code FROM stage_change ORDER BY id")).scalars()
                payload = conn.execute(text("SELECT payload FROM outbox")).scalar_one()
                return list(reasons), payload

        upgrade(db, MIGRATIONS, Base.metadata)
        reasons, payload = stored()
        assert reasons == ["persoonlijke_omstandigheden", "motivatie"]
        assert payload == '{"reason_code": "persoonlijke_omstandigheden", "to_stage": "uitgevallen"}'

        command.downgrade(alembic_config(db, MIGRATIONS, Base.metadata), BEFORE)
        reasons, payload = stored()
        assert reasons == ["gezondheid_prive", "motivatie"] and '"gezondheid_prive"' in payload
    finally:
        db.dispose()
