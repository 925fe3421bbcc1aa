"""Coach notes on a resident (intake only; never shared)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.intake.models import Note, Resident
from shared.auth.accounts import Principal
from shared.db import utcnow


def add(session: Session, principal: Principal, resident: Resident, body: str) -> Note:
    note = Note(
        author_id=principal.user_id, author_name=principal.name, body=body.strip(), created_at=utcnow()
    )
    resident.notes.append(note)
    session.flush()
    return note
