"""Create, change, find and erase residents."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from services.intake.domain import caseload, followups, publishing
from services.intake.models import (
    LadderMeasurement,
    Resident,
    ResidentCertificate,
    StageChange,
)
from shared.auth.accounts import Principal
from shared.auth.models import User
from shared.auth.roles import BEHEERDER, JOBCOACH
from shared.db import utcnow
from shared.errors import Invalid

# Crockford-like alphabet without look-alikes (0/O, 1/I/L): readable over the phone.
_ID_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
_SIMPLE_FIELDS = (
    "first_name",
    "last_name",
    "phone",
    "email",
    "street",
    "house_number",
    "postcode",
    "city",
    "wijk",
    "birth_year",
    "gender",
    "driving_licence",
    "own_transport",
    "hours_per_week",
    "days",
    "available_from",
    "interests",
    "skills",
    "work_experience",
    "barriers",
    "income",
    "work_at_height",
    "heavy_work",
)


def new_programme_id() -> str:
    return "DW-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))


def coach_for(accounts_session: Session, principal: Principal, coach_id: int | None) -> User | None:
    """The coach a new or reassigned resident goes to; checked against the accounts store."""
    if coach_id is None:
        if principal.role == JOBCOACH and principal.user_id is not None:
            coach_id = principal.user_id
        else:
            raise Invalid("Kies een jobcoach.", {"coach_id": ["Kies een jobcoach."]})
    coach = accounts_session.get(User, coach_id)
    if coach is None or not coach.active or coach.role != JOBCOACH:
        raise Invalid("Onbekende jobcoach.", {"coach_id": ["Dit is geen actieve jobcoach."]})
    if principal.role != BEHEERDER and coach.organisation_id != principal.organisation_id:
        raise Invalid(
            "Jobcoach van een andere organisatie.",
            {"coach_id": ["Deze jobcoach hoort bij een andere organisatie."]},
        )
    if principal.role == JOBCOACH and principal.user_id is not None and coach.id != principal.user_id:
        raise Invalid(
            "U kunt alleen deelnemers aan uzelf toewijzen.",
            {"coach_id": ["U kunt alleen deelnemers aan uzelf toewijzen."]},
        )
    return coach


def _apply(resident: Resident, data: dict[str, Any], principal: Principal) -> None:
    for key in _SIMPLE_FIELDS:
        if key in data:
            setattr(resident, key, data[key])
    if "postcode" in data:
        resident.pc4 = data["postcode"][:4] if data["postcode"] else None
    if "language" in data:
        resident.language_spoken = data["language"].get("spoken")
        resident.language_written = data["language"].get("written")
    if "certificates" in data:
        by_code = {c.code: c for c in resident.certificates}
        wanted = {c["code"]: c for c in data["certificates"]}
        for code, cert in list(by_code.items()):
            if code not in wanted:
                resident.certificates.remove(cert)
        for code, values in wanted.items():
            cert = by_code.get(code) or ResidentCertificate(code=code)
            cert.obtained_on = values.get("obtained_on")
            cert.valid_until = values.get("valid_until")
            if code not in by_code:
                resident.certificates.append(cert)
    trede = data.get("participatieladder")
    if trede is not None and trede != resident.participatieladder:
        resident.ladder.append(
            LadderMeasurement(trede=trede, measured_by=principal.user_id, measured_at=utcnow())
        )


def create(
    session: Session, accounts_session: Session, principal: Principal, data: dict[str, Any]
) -> Resident:
    coach = coach_for(accounts_session, principal, data.pop("coach_id", None))
    assert coach is not None
    resident = Resident(
        programme_id=new_programme_id(),
        coach_id=coach.id,
        organisation_id=coach.organisation_id,
        stage="aangemeld",
        days=[],
        interests=[],
        skills=[],
        barriers=[],
    )
    _apply(resident, data, principal)
    resident.stage_changes.append(
        StageChange(from_stage=None, to_stage="aangemeld", changed_by=principal.user_id, changed_at=utcnow())
    )
    session.add(resident)
    session.flush()
    publishing.publish_stage(session, resident, None, "aangemeld", None)
    return resident


def update(session: Session, principal: Principal, resident: Resident, data: dict[str, Any]) -> Resident:
    _apply(resident, data, principal)
    if not resident.phone and not resident.email:
        message = "Vul een telefoonnummer of e-mailadres in."
        raise Invalid(message, {"phone": [message]})
    resident.updated_at = utcnow()
    session.flush()
    publishing.publish_profile(session, resident)
    return resident


@dataclass
class Page:
    items: list[Resident]
    total: int
    page: int
    per_page: int


def search_query(
    principal: Principal,
    *,
    q: str | None = None,
    wijk: str | None = None,
    stage: str | None = None,
    coach_id: int | None = None,
    programme_ids: list[str] | None = None,
) -> Select[tuple[Resident]]:
    """The residents in a principal's caseload that match the filters, in list order."""
    query = caseload.scope(select(Resident), principal)
    if programme_ids is not None:
        query = query.where(Resident.programme_id.in_(programme_ids))
    if q:
        like = f"%{q.strip().lower()}%"
        full_name = func.lower(
            func.coalesce(Resident.first_name, "") + " " + func.coalesce(Resident.last_name, "")
        )
        query = query.where(
            or_(
                full_name.like(like),
                func.lower(Resident.email).like(like),
                func.lower(Resident.programme_id).like(like),
            )
        )
    if wijk:
        query = query.where(Resident.wijk == wijk)
    if stage:
        query = query.where(Resident.stage == stage)
    if coach_id is not None:
        query = query.where(Resident.coach_id == coach_id)
    return query.order_by(Resident.last_name, Resident.first_name, Resident.id)


def search(
    session: Session, principal: Principal, *, page: int = 1, per_page: int = 25, **filters: Any
) -> Page:
    """One page of `search_query` (the caseload page; the API pages through Blueprint.paginate)."""
    query = search_query(principal, **filters)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = session.scalars(query.offset((page - 1) * per_page).limit(per_page)).all()
    return Page(list(items), total, page, per_page)


def reassign(
    session: Session, accounts_session: Session, principal: Principal, resident: Resident, coach_id: int
) -> Resident:
    coach = coach_for(accounts_session, principal, coach_id)
    assert coach is not None
    resident.coach_id = coach.id
    resident.organisation_id = coach.organisation_id
    resident.updated_at = utcnow()
    session.flush()
    publishing.publish_profile(session, resident)  # matching routes proposals to the new coach
    return resident


def erase(session: Session, resident: Resident) -> None:
    """Right to erasure: drop personal data, keep the pseudonymous funnel facts for reports."""
    for key in (
        "first_name",
        "last_name",
        "phone",
        "email",
        "street",
        "house_number",
        "postcode",
        "city",
        "work_experience",
    ):
        setattr(resident, key, None)
    resident.birth_year = None
    resident.barriers = []
    resident.income = None
    resident.notes.clear()
    for consent in resident.consents:
        if consent.withdrawn_at is None:
            consent.withdrawn_at = utcnow()
    resident.erased_at = utcnow()
    session.flush()
    followups.on_consent(session, resident, False)
    publishing.publish_profile(session, resident, removed_reason="gewist")
    # Last, so it is the newest event about the resident: consumers that keep state ignore
    # anything older once they have applied the erasure.
    publishing.publish(
        session,
        resident,
        "resident.erased",
        {"programme_id": resident.programme_id, "erased_at": resident.erased_at},
    )
