"""contact person on tasks and training slots (the introduction for the job coach)

Revision ID: c7e2a91d4b60
Revises: 5eba98006c5c
Create Date: 2026-12-02 08:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "c7e2a91d4b60"
down_revision = "5eba98006c5c"
branch_labels = None
depends_on = None

TABLES = ("task", "training_slot")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("contact_name", sa.String(length=120), nullable=True))
            batch_op.add_column(sa.Column("contact_phone", sa.String(length=30), nullable=True))
            batch_op.add_column(sa.Column("contact_email", sa.String(length=254), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("contact_email")
            batch_op.drop_column("contact_phone")
            batch_op.drop_column("contact_name")
