"""drop-out reason gezondheid_prive becomes persoonlijke_omstandigheden

A reason that names health is special-category data (domain.md: no health data, not even as a
code); the enrolments and the outbox payloads are renamed (shared/migrations.py: rename_code).

Revision ID: 4c0e1d3f8a52
Revises: a8eaf2de5ffc
Create Date: 2026-12-02 13:30:00
"""

from shared.migrations import rename_code

revision = "4c0e1d3f8a52"
down_revision = "a8eaf2de5ffc"
branch_labels = None
depends_on = None

OLD, NEW = "gezondheid_prive", "persoonlijke_omstandigheden"


def upgrade() -> None:
    rename_code({"enrolment": "reason_code"}, OLD, NEW, outbox=True)


def downgrade() -> None:
    rename_code({"enrolment": "reason_code"}, NEW, OLD, outbox=True)
