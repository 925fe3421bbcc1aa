"""Organisation names for report labels (contractors), read from the shared accounts store."""

from __future__ import annotations

from sqlalchemy import select

from shared.auth.models import Organisation
from shared.db import Database


def names(accounts_db: Database) -> dict[str, str]:
    """Organisation id (as text, as in report keys) -> name."""
    with accounts_db.unit_of_work() as s:
        return {str(i): n for i, n in s.execute(select(Organisation.id, Organisation.name))}
