"""Audit log of every read and change of a resident's personal data."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.intake.domain.registered import Registered
from services.intake.models import AuditEntry, Resident
from shared.auth.accounts import Principal
from shared.db import utcnow
from shared.writebehind import insert_later


def record(
    session: Session,
    principal: Principal,
    resident: Resident | Registered | None,
    action: str,
    channel: str,
    reason: str,
    **detail: Any,
) -> None:
    if principal.token_id is not None:
        # A token has no person behind it: its id says which machine client read the data.
        detail = {**detail, "token_id": principal.token_id}
    # Not an object for the next flush, and not a statement of its own: an audit row is written
    # once, never read back in the request and referred to by nothing, so it waits for the
    # transaction's next statement or its commit and goes in with the other rows waiting (the
    # request's outbox event: shared/writebehind.py).
    insert_later(
        session,
        AuditEntry.__table__,
        {
            "at": utcnow(),
            "actor_id": principal.user_id,
            "actor_name": principal.name,
            "actor_role": principal.role,
            "organisation_id": principal.organisation_id,
            "resident_id": _resident_id(resident),
            "action": action,
            "channel": channel,
            "reason": reason[:200],
            "detail": detail,
        },
    )


def _resident_id(resident: Resident | Registered | None) -> Any:
    """The resident's id; for one registered in this transaction, the handle of its waiting row
    (the audit row then takes its id in the same statement, shared/writebehind.py)."""
    if isinstance(resident, Registered):
        return resident.handle
    return resident.id if resident is not None else None
