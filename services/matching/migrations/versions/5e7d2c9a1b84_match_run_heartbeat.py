"""match run heartbeat: written by the worker while it runs; stale means the worker died

Revision ID: 5e7d2c9a1b84
Revises: 98e042d0d7b6
Create Date: 2026-12-02 08:40:00
"""

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "5e7d2c9a1b84"
down_revision = "98e042d0d7b6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("match_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heartbeat_at", shared.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("match_run", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
