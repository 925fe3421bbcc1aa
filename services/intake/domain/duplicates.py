"""Is this resident perhaps registered already? Same name and birth year, or same phone or e-mail,
among the residents the person may see (a coach's caseload; a beheerder's all)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from services.intake.domain import caseload
from services.intake.models import Resident
from shared.auth.accounts import Principal


def find(
    session: Session, principal: Principal, data: dict[str, Any], exclude_id: int | None = None
) -> list[Resident]:
    """Residents that look like the one in `data` (already validated and normalised)."""
    conditions = []
    first, last, year = data.get("first_name"), data.get("last_name"), data.get("birth_year")
    if first and last and year:
        conditions.append(
            (func.lower(Resident.first_name) == first.strip().lower())
            & (func.lower(Resident.last_name) == last.strip().lower())
            & (Resident.birth_year == year)
        )
    if data.get("phone"):
        conditions.append(Resident.phone == data["phone"])
    if data.get("email"):
        conditions.append(func.lower(Resident.email) == data["email"].strip().lower())
    if not conditions:
        return []
    query = caseload.scope(select(Resident), principal).where(or_(*conditions))
    if exclude_id is not None:
        query = query.where(Resident.id != exclude_id)
    return list(session.scalars(query.order_by(Resident.id).limit(5)))
