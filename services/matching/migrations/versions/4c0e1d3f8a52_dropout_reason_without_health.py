"""drop-out reason gezondheid_prive becomes persoonlijke_omstandigheden

A reason that names health is special-category data (domain.md: no health data, not even as a
code); the stored reasons and the event payloads waiting in or kept by the outbox are renamed.

Revision ID: 4c0e1d3f8a52
Revises: a8eaf2de5ffc
Create Date: 2026-12-02 13:30:00
"""

from alembic import op

revision = "4c0e1d3f8a52"
down_revision = "a8eaf2de5ffc"
branch_labels = None
depends_on = None

OLD, NEW = "gezondheid_prive", "persoonlijke_omstandigheden"
TABLES = {"enrolment": "reason_code"}  # table -> column holding a reason code


def _rename(old: str, new: str) -> None:
    for table, column in TABLES.items():
        op.execute(f"UPDATE {table} SET {column} = '{new}' WHERE {column} = '{old}'")  # noqa: S608 - fixed names
    # The payload is JSON text; the code only ever appears as a whole JSON string.
    op.execute(
        f"UPDATE outbox SET payload = REPLACE(payload, '\"{old}\"', '\"{new}\"') "  # noqa: S608 - fixed names
        f"WHERE payload LIKE '%\"{old}\"%'"
    )


def upgrade() -> None:
    _rename(OLD, NEW)


def downgrade() -> None:
    _rename(NEW, OLD)
