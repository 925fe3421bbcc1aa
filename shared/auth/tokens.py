"""Use cases on API tokens for operators: list them and revoke one (`instap token ...`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.auth.models import ApiToken
from shared.db import utcnow
from shared.errors import NotFound


@dataclass(frozen=True)
class TokenInfo:
    """What an operator may see of a token: never the token or its hash."""

    id: int
    name: str
    role: str
    organisation: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    status: str  # "actief" | "verlopen" | "ingetrokken"


def _status(row: ApiToken, now: datetime) -> str:
    if row.revoked_at is not None:
        return "ingetrokken"
    return "verlopen" if row.expires_at <= now else "actief"


def list_tokens(
    session: Session, *, include_ended: bool = False, now: datetime | None = None
) -> list[TokenInfo]:
    """Tokens by id; only live ones unless include_ended."""
    now = now or utcnow()
    rows = session.scalars(select(ApiToken).order_by(ApiToken.id)).all()
    infos = [
        TokenInfo(
            id=row.id,
            name=row.name,
            role=row.role,
            organisation=row.organisation.name,
            created_at=row.created_at,
            expires_at=row.expires_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
            status=_status(row, now),
        )
        for row in rows
    ]
    return infos if include_ended else [i for i in infos if i.status == "actief"]


def revoke_token(session: Session, token_id: int) -> bool:
    """Revoke a token; True when this call revoked it, False when it was revoked already."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"Er is geen token met nummer {token_id}.")
    if row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    session.flush()
    return True
