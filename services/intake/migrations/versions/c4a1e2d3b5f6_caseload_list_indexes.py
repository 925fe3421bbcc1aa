"""caseload list indexes: partial (not erased) indexes in name order per coach, organisation, all

Revision ID: c4a1e2d3b5f6
Revises: 699ac53f7b74
Create Date: 2026-12-02 08:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c4a1e2d3b5f6"
down_revision = "699ac53f7b74"
branch_labels = None
depends_on = None

LISTED = sa.text("erased_at IS NULL")
INDEXES = {
    "ix_resident_caseload_coach": ["coach_id", "last_name", "first_name", "id"],
    "ix_resident_caseload_organisation": ["organisation_id", "last_name", "first_name", "id"],
    "ix_resident_caseload_all": ["last_name", "first_name", "id"],
}


def upgrade() -> None:
    with op.batch_alter_table("resident", schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False, sqlite_where=LISTED, postgresql_where=LISTED)


def downgrade() -> None:
    with op.batch_alter_table("resident", schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(name)
