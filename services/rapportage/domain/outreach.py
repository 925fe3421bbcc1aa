"""Outreach activities: coaches and the bureau record how many residents they reached."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.rapportage.models import OutreachActivity
from shared import clock
from shared.auth.accounts import Principal
from shared.auth.roles import JOBCOACH
from shared.errors import Invalid

OLDEST = date(2020, 1, 1)


def record(session: Session, principal: Principal, data: dict[str, Any]) -> OutreachActivity:
    held_on: date = data["held_on"]
    if held_on > clock.today() + timedelta(days=1):
        raise Invalid(
            "Niet alle gegevens zijn goed ingevuld.", {"held_on": ["Deze datum ligt in de toekomst."]}
        )
    if held_on < OLDEST:
        raise Invalid("Niet alle gegevens zijn goed ingevuld.", {"held_on": ["Deze datum ligt voor 2020."]})
    activity = OutreachActivity(
        held_on=held_on,
        wijk=data["wijk"],
        kind=data["kind"],
        reached=data["reached"],
        description=(data.get("description") or "").strip() or None,
        organisation_id=principal.organisation_id,
        recorded_by=principal.user_id,
    )
    session.add(activity)
    session.flush()
    return activity


def list_activities(
    session: Session,
    principal: Principal,
    start: date | None = None,
    end: date | None = None,
    limit: int = 200,
) -> list[OutreachActivity]:
    stmt = select(OutreachActivity).order_by(OutreachActivity.held_on.desc(), OutreachActivity.id.desc())
    if principal.has_role(JOBCOACH):
        stmt = stmt.where(OutreachActivity.organisation_id == principal.organisation_id)
    if start is not None:
        stmt = stmt.where(OutreachActivity.held_on >= start)
    if end is not None:
        stmt = stmt.where(OutreachActivity.held_on <= end)
    return list(session.scalars(stmt.limit(limit)))
