"""session version per user; expiry and last use per API token (issue 7)

Revision ID: c4d2a7e91f30
Revises: b9877fd3673c
Create Date: 2026-12-02 04:30:00

Tokens that exist before this revision get 90 days from the upgrade, so that no machine client
stops at the moment of the upgrade and none is left without an end.
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import shared.db

revision = "c4d2a7e91f30"
down_revision = "b9877fd3673c"
branch_labels = None
depends_on = None

EXISTING_TOKEN_DAYS = 90


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), server_default="1", nullable=False))
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", shared.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", shared.db.UTCDateTime(timezone=True), nullable=True))
    api_token = sa.table("api_token", sa.column("expires_at", shared.db.UTCDateTime(timezone=True)))
    op.execute(
        api_token.update()
        .where(api_token.c.expires_at.is_(None))
        .values(expires_at=datetime.now(UTC) + timedelta(days=EXISTING_TOKEN_DAYS))
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.alter_column(
            "expires_at", existing_type=shared.db.UTCDateTime(timezone=True), nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("session_version")
