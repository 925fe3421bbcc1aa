"""the contact channel the resident chose for introductions

Revision ID: d7a3c9e2f4b1
Revises: 3b9d0c2e7f41
Create Date: 2026-12-02 12:45:00

Residents registered before the choice existed get what introductions gave until now: telefoon
when a phone number is filled in, else e-mail. Erased residents keep no choice (NULL).
"""

import sqlalchemy as sa
from alembic import op

revision = "d7a3c9e2f4b1"
down_revision = "3b9d0c2e7f41"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("resident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_preference", sa.String(length=10), nullable=True))
    op.execute(
        "UPDATE resident SET contact_preference = CASE"
        " WHEN phone IS NOT NULL AND phone <> '' THEN 'telefoon' ELSE 'e-mail' END"
        " WHERE erased_at IS NULL"
    )


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN in place (SQLite 3.35+): a batch copy of the table would drop the
    # old resident table, and with foreign keys on SQLite that deletes every row that refers to
    # it (stages, consents, notes) by ON DELETE CASCADE.
    with op.batch_alter_table("resident", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("contact_preference")
