"""drop-out reason gezondheid_prive becomes persoonlijke_omstandigheden

A reason that names health is special-category data (domain.md: no health data, not even as a
code); the stored reasons and the event payloads waiting in or kept by the outbox are renamed.

Revision ID: 5d1f2e4a9b63
Revises: d1abd5cd2a6c
Create Date: 2026-12-02 13:30:00
"""

from alembic import op

revision = "5d1f2e4a9b63"
down_revision = "d1abd5cd2a6c"
branch_labels = None
depends_on = None

OLD, NEW = "gezondheid_prive", "persoonlijke_omstandigheden"
TABLES = {"stage_fact": "reason_code"}  # table -> column holding a reason code


def _rename(old: str, new: str) -> None:
    for table, column in TABLES.items():
        op.execute(f"UPDATE {table} SET {column} = '{new}' WHERE {column} = '{old}'")  # noqa: S608 - fixed names


def upgrade() -> None:
    _rename(OLD, NEW)


def downgrade() -> None:
    _rename(NEW, OLD)
