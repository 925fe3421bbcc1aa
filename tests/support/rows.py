"""Rows written with plain SQL, for migration tests that work below the current models."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

NOW = "2026-03-02 10:00:00.000000"


def insert_resident(conn: Any, stage: str, resident_id: int = 1) -> None:
    """A resident with only the columns every intake revision since the event numbers has."""
    conn.execute(
        text(
            "INSERT INTO resident (id, programme_id, wijk, gender, driving_licence, own_transport,"
            " days, interests, skills, barriers, work_at_height, heavy_work, stage,"
            " organisation_id, created_at, updated_at, event_seq) VALUES (:id, :pid,"
            " 'wielwijk', 'vrouw', 0, 0, '[]', '[]', '[]', '[]', 0, 0, :stage, 1, :now, :now, 2)"
        ),
        {"id": resident_id, "pid": f"DW-AAAA{resident_id:04d}", "stage": stage, "now": NOW},
    )
