"""Audit log of every read and change of a resident's personal data."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from services.intake.models import AuditEntry, Resident
from shared.auth.accounts import Principal
from shared.db import utcnow


def record(
    session: Session,
    principal: Principal,
    resident: Resident | None,
    action: str,
    channel: str,
    reason: str,
    **detail: Any,
) -> None:
    if principal.token_id is not None:
        # A token has no person behind it: its id says which machine client read the data.
        detail = {**detail, "token_id": principal.token_id}
    # A plain INSERT in the caller's transaction, not an object for the next flush: an audit row
    # is written once and never read back in the request, and the unit of work around one more
    # object costs more CPU than the statement itself (issue 12).
    session.execute(
        _INSERT,
        {
            "at": utcnow(),
            "actor_id": principal.user_id,
            "actor_name": principal.name,
            "actor_role": principal.role,
            "organisation_id": principal.organisation_id,
            "resident_id": resident.id if resident is not None else None,
            "action": action,
            "channel": channel,
            "reason": reason[:200],
            "detail": detail,
        },
    )


_INSERT = insert(AuditEntry.__table__)
