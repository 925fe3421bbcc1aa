"""drop-out reason gezondheid_prive becomes persoonlijke_omstandigheden

A reason that names health is special-category data (domain.md: no health data, not even as a
code); the stage history and the outbox payloads are renamed (shared/migrations.py: rename_code).

Revision ID: 3b9d0c2e7f41
Revises: ce06534bc05a
Create Date: 2026-12-02 13:30:00
"""

from shared.migrations import rename_code

revision = "3b9d0c2e7f41"
down_revision = "ce06534bc05a"
branch_labels = None
depends_on = None

OLD, NEW = "gezondheid_prive", "persoonlijke_omstandigheden"


def upgrade() -> None:
    rename_code({"stage_change": "reason_code"}, OLD, NEW, outbox=True)


def downgrade() -> None:
    rename_code({"stage_change": "reason_code"}, NEW, OLD, outbox=True)
