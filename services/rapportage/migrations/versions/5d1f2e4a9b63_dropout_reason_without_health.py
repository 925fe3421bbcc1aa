"""drop-out reason gezondheid_prive becomes persoonlijke_omstandigheden

A reason that names health is special-category data (domain.md: no health data, not even as a
code); the stage facts are renamed (shared/migrations.py: rename_code).

Revision ID: 5d1f2e4a9b63
Revises: d1abd5cd2a6c
Create Date: 2026-12-02 13:30:00
"""

from shared.migrations import rename_code

revision = "5d1f2e4a9b63"
down_revision = "d1abd5cd2a6c"
branch_labels = None
depends_on = None

OLD, NEW = "gezondheid_prive", "persoonlijke_omstandigheden"


def upgrade() -> None:
    rename_code({"stage_fact": "reason_code"}, OLD, NEW, outbox=False)


def downgrade() -> None:
    rename_code({"stage_fact": "reason_code"}, NEW, OLD, outbox=False)
