"""Follow-up after a placement start: +1, +3, +6 and +12 months (consent purpose `follow_up`).

Intake owns the resident, the coach and the Participatieladder, so follow-ups live here:
- matching's `placement.changed` (a confirmed start) moves the stage to `geplaatst` and plans the
  four follow-ups with their due dates in the database, once per (placement, month) whatever
  the number of deliveries (unique constraint + the inbox);
- the worker's periodic job (`make_due`, a plain UPDATE on dates) turns planned ones into open
  ones on their due date: a restarted worker or an emptied Redis loses nothing;
- the coach records still working ja/nee/onbekend and the trede (a conditional UPDATE: twice is
  409); still working at +6 months (or later) moves the stage to `duurzaam`;
- without active `follow_up` consent there are no follow-ups: they are `vervallen`, and come
  back (those still ahead) when the consent is given again.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.intake.domain import audit, caseload, funnel, publishing
from services.intake.models import FollowUp, LadderMeasurement, Resident
from shared import clock
from shared.auth.accounts import Principal
from shared.db import utcnow
from shared.errors import Conflict, Invalid, NotFound
from shared.events import FOLLOWUP_MONTHS, STILL_WORKING

GEPLAND, OPEN, VASTGELEGD, VERVALLEN = "gepland", "open", "vastgelegd", "vervallen"
STATUSES = (GEPLAND, OPEN, VASTGELEGD, VERVALLEN)
NO_CONSENT = "geen_toestemming"
SUSTAINED_FROM_MONTH = 6
STARTED = ("gestart", "beeindigd")


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it is shorter (31 Jan + 1 → 28 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def has_consent(resident: Resident) -> bool:
    return resident.erased_at is None and "follow_up" in publishing.active_purposes(resident)


def on_placement_changed(session: Session, p: dict[str, Any], _env: dict[str, Any]) -> None:
    """A placement that started (also one that ended since: events may arrive late or skip one)
    puts the resident in `geplaatst` and plans the follow-ups; other states change nothing."""
    if p["status"] not in STARTED or p.get("started_on") is None:
        return
    resident = session.scalar(select(Resident).where(Resident.programme_id == p["programme_id"]))
    if resident is None or resident.erased_at is not None:
        return
    funnel.advance_to(session, resident, "geplaatst", "plaatsing_gestart")
    plan(session, resident, p["placement_id"], p["started_on"], p.get("occupation"))


def plan(session: Session, resident: Resident, placement_id: int, started_on: date, title: str | None) -> int:
    """The four follow-ups of one start, each created once; returns how many were new."""
    existing = set(session.scalars(select(FollowUp.month).where(FollowUp.placement_id == placement_id)).all())
    consent = has_consent(resident)
    now = utcnow()
    created = 0
    for month in FOLLOWUP_MONTHS:
        if month in existing:
            continue
        due_on = add_months(started_on, month)
        # A start confirmed late may have follow-ups due already: open at once.
        status = (OPEN if due_on <= now.date() else GEPLAND) if consent else VERVALLEN
        session.add(
            FollowUp(
                resident_id=resident.id,
                placement_id=placement_id,
                opening_title=(title or "")[:200] or None,
                month=month,
                started_on=started_on,
                due_on=due_on,
                status=status,
                became_due_at=now if status == OPEN else None,
                cancelled_reason=None if consent else NO_CONSENT,
                created_at=now,
            )
        )
        created += 1
    session.flush()
    return created


def make_due(session: Session, today: date) -> int:
    """Planned follow-ups whose day has come become open (the periodic job; idempotent)."""
    result = session.execute(
        update(FollowUp)
        .where(FollowUp.status == GEPLAND, FollowUp.due_on <= today)
        .values(status=OPEN, became_due_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)


def on_consent(session: Session, resident: Resident, active: bool, today: date | None = None) -> None:
    """`follow_up` withdrawn (or registratie, or erasure): no follow-ups any more. Given again:
    the ones still ahead or open come back as planned (the periodic job opens those due)."""
    if not active:
        session.execute(
            update(FollowUp)
            .where(FollowUp.resident_id == resident.id, FollowUp.status.in_((GEPLAND, OPEN)))
            .values(status=VERVALLEN, cancelled_reason="toestemming_ingetrokken")
            .execution_options(synchronize_session=False)
        )
        return
    window_start = add_months(today or clock.today(), -1)
    session.execute(
        update(FollowUp)
        .where(
            FollowUp.resident_id == resident.id,
            FollowUp.status == VERVALLEN,
            FollowUp.due_on >= window_start,
        )
        .values(status=GEPLAND, cancelled_reason=None)
        .execution_options(synchronize_session=False)
    )


@dataclass
class Page:
    items: list[FollowUp]
    total: int


def due_list(session: Session, principal: Principal, status: str = OPEN, limit: int = 200) -> Page:
    """The coach's follow-ups (own caseload; a beheerder all), oldest due date first."""
    residents = caseload.scope(select(Resident.id), principal)
    query = select(FollowUp).where(FollowUp.status == status, FollowUp.resident_id.in_(residents))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(FollowUp.due_on, FollowUp.id).limit(limit)).all()
    return Page(list(items), total)


def of_resident(session: Session, resident: Resident) -> list[FollowUp]:
    return list(
        session.scalars(
            select(FollowUp).where(FollowUp.resident_id == resident.id).order_by(FollowUp.due_on, FollowUp.id)
        )
    )


def get_visible(session: Session, principal: Principal, followup_id: int) -> FollowUp:
    residents = caseload.scope(select(Resident.id), principal)
    item = session.scalar(
        select(FollowUp).where(FollowUp.id == followup_id, FollowUp.resident_id.in_(residents))
    )
    if item is None:
        raise NotFound("Deze opvolging is niet gevonden.")
    return item


def record(
    session: Session,
    principal: Principal,
    item: FollowUp,
    still_working: str,
    trede: int | None,
    recorded_on: date | None = None,
    *,
    channel: str = "api",
) -> FollowUp:
    """The coach records the follow-up once (409 a second time, or when it is not open)."""
    if still_working not in STILL_WORKING:
        raise Invalid("Kies ja, nee of onbekend.", {"still_working": ["Kies ja, nee of onbekend."]})
    today = clock.today()
    recorded_on = recorded_on or today
    if recorded_on > today:
        message = "De datum van het gesprek ligt in de toekomst."
        raise Invalid(message, {"recorded_on": [message]})
    if recorded_on < item.started_on:
        message = "De datum van het gesprek ligt voor de start van het werk."
        raise Invalid(message, {"recorded_on": [message]})
    resident = item.resident
    if not has_consent(resident):
        raise Conflict("Er is geen toestemming voor contact na de plaatsing.")
    done = session.execute(
        update(FollowUp)
        .where(FollowUp.id == item.id, FollowUp.status == OPEN)
        .values(
            status=VASTGELEGD,
            still_working=still_working,
            trede=trede,
            recorded_on=recorded_on,
            recorded_at=utcnow(),
            recorded_by=principal.user_id,
        )
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        if item.status == VASTGELEGD:
            raise Conflict("Deze opvolging is al vastgelegd.")
        raise Conflict("Deze opvolging staat niet open.")
    session.refresh(item)
    now = utcnow()
    if trede is not None:
        resident.ladder.append(LadderMeasurement(trede=trede, measured_by=principal.user_id, measured_at=now))
        session.flush()
        publishing.publish(
            session,
            resident,
            "ladder.measured",
            {
                "programme_id": resident.programme_id,
                "trede": trede,
                "source": "follow_up",
                "measured_at": now,
            },
        )
    publishing.publish(
        session,
        resident,
        "followup.recorded",
        {
            "followup_id": item.id,
            "programme_id": resident.programme_id,
            "placement_id": item.placement_id,
            "month": item.month,
            "due_on": item.due_on,
            "recorded_on": recorded_on,
            "still_working": still_working,
            "trede": trede,
            "changed_at": now,
        },
    )
    if still_working == "ja" and item.month >= SUSTAINED_FROM_MONTH and resident.stage == "geplaatst":
        funnel.advance_to(session, resident, "duurzaam", "werkt_na_6_maanden")
    audit.record(session, principal, resident, "follow_up", channel, f"opvolging +{item.month} maanden")
    return item
