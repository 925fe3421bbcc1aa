"""Create, change, find and erase residents."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.orm import Session

from services.intake.domain import caseload, publishing
from services.intake.domain.registered import Registered
from services.intake.models import (
    FollowUp,
    Introduction,
    LadderMeasurement,
    OutboxEvent,
    Resident,
    ResidentCertificate,
    StageChange,
)
from shared.auth.accounts import Principal
from shared.auth.cache import Staff, StaffMember
from shared.auth.roles import BEHEERDER, JOBCOACH
from shared.db import utcnow
from shared.errors import Invalid
from shared.outbox import scrub_subjects
from shared.writebehind import insert_later, together

# Crockford-like alphabet without look-alikes (0/O, 1/I/L): readable over the phone.
_ID_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
_SIMPLE_FIELDS = (
    "first_name",
    "last_name",
    "phone",
    "email",
    "contact_preference",
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


# The resident's columns (its id comes from the database).
_RESIDENT_COLUMNS = tuple(c.name for c in Resident.__table__.columns if not c.primary_key)


# The contact channel a resident chose → the field that holds it (shared.reference.CONTACT_CHANNELS).
CONTACT_FIELDS = {"telefoon": "phone", "e-mail": "email"}
NO_CONTACT = "Vul een telefoonnummer of e-mailadres in."
CHOSEN_CHANNEL_EMPTY = {
    "telefoon": (
        "Gekozen is telefoon, maar er is geen telefoonnummer. Vul het telefoonnummer in of kies e-mail."
    ),
    "e-mail": "Gekozen is e-mail, maar er is geen e-mailadres. Vul het e-mailadres in of kies telefoon.",
}


def default_contact_preference(phone: str | None, email: str | None) -> str:
    """The channel for a resident whose choice was not given (API clients from before the
    choice existed, or a form left unanswered): telefoon when there is a phone number, else e-mail."""
    return "telefoon" if phone else "e-mail"


def contact_problems(values: dict[str, Any]) -> dict[str, list[str]]:
    """Errors when neither channel is filled in, or the chosen one is empty (by form field). A
    key left out is unknown, not empty (an update that does not send it): it is not judged."""
    if "phone" in values and "email" in values and not values["phone"] and not values["email"]:
        return {"phone": [NO_CONTACT]}
    choice = values.get("contact_preference")
    field = CONTACT_FIELDS.get(choice) if isinstance(choice, str) else None
    if field is not None and field in values and not values[field]:
        return {"contact_preference": [CHOSEN_CHANNEL_EMPTY[choice]]}
    return {}


def _check_contact(values: dict[str, Any]) -> None:
    problems = contact_problems({key: values.get(key) for key in ("phone", "email", "contact_preference")})
    if problems:
        raise Invalid(next(iter(problems.values()))[0], problems)


def new_programme_id() -> str:
    return "DW-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))


def coach_for(staff: Staff, principal: Principal, coach_id: int | None) -> StaffMember:
    """The coach a new or reassigned resident goes to; checked against the accounts store
    (through the web process's short cache: shared/auth/cache.py)."""
    if coach_id is None:
        if principal.role == JOBCOACH and principal.user_id is not None:
            coach_id = principal.user_id
        else:
            raise Invalid("Kies een jobcoach.", {"coach_id": ["Kies een jobcoach."]})
    coach = staff.member(coach_id)
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


def _derived(data: dict[str, Any]) -> dict[str, Any]:
    """The columns the resident's row takes from other fields sent: PC4 from the postcode, the
    two language levels from `language`."""
    derived: dict[str, Any] = {}
    if "postcode" in data:
        derived["pc4"] = data["postcode"][:4] if data["postcode"] else None
    if "language" in data:
        derived["language_spoken"] = data["language"].get("spoken")
        derived["language_written"] = data["language"].get("written")
    return derived


def _apply(resident: Resident, data: dict[str, Any], principal: Principal) -> None:
    for key in _SIMPLE_FIELDS:
        if key in data:
            setattr(resident, key, data[key])
    for key, value in _derived(data).items():
        setattr(resident, key, value)
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


def create(session: Session, staff: Staff, principal: Principal, data: dict[str, Any]) -> Registered:
    """Register a resident: its row, its history (certificates, ladder step, first stage), its
    first event; written with the transaction's other waiting rows (its audit row), on PostgreSQL
    in one statement (shared/writebehind.py). Gives back what was written, read-only: to go on
    with the resident in this session, load it (services/intake/domain/registered.py)."""
    coach = coach_for(staff, principal, data.pop("coach_id", None))
    certificates = tuple(
        {"code": c["code"], "obtained_on": c.get("obtained_on"), "valid_until": c.get("valid_until")}
        for c in data.pop("certificates", None) or []
    )
    trede = data.pop("participatieladder", None)
    now = utcnow()
    # Every column in the row: what is not sent is NULL, or its default (insert_later), and the
    # answer shows it as such.
    row: dict[str, Any] = dict.fromkeys(_RESIDENT_COLUMNS, None)
    row.update({key: data[key] for key in _SIMPLE_FIELDS if key in data})
    row.update(_derived(data))
    if row.get("contact_preference") is None:
        row["contact_preference"] = default_contact_preference(row.get("phone"), row.get("email"))
    _check_contact(row)
    row.update(
        programme_id=new_programme_id(),
        coach_id=coach.id,
        organisation_id=coach.organisation_id,
        stage="aangemeld",
        created_at=now,
        updated_at=now,
        # Its first event is number 1: nobody else sees the row before it commits.
        event_seq=1,
    )
    with together(session):  # the resident and the rows that refer to it in one batch
        # Its id is read back: an audit row queued after a statement in between still takes it.
        handle = insert_later(session, Resident.__table__, row, returning=True)
        # The row as it will be written (column defaults filled in), read-only.
        registered = Registered(MappingProxyType(handle.row), handle, certificates, trede)
        publishing.publish_stage(session, registered, None, "aangemeld", None, seq=row["event_seq"])
        history: list[tuple[Any, dict[str, Any]]] = [(ResidentCertificate, dict(c)) for c in certificates]
        if trede is not None:
            history.append(
                (LadderMeasurement, {"trede": trede, "measured_by": principal.user_id, "measured_at": now})
            )
        history.append(
            (
                StageChange,
                {
                    "from_stage": None,
                    "to_stage": "aangemeld",
                    "changed_by": principal.user_id,
                    "changed_at": now,
                },
            )
        )
        for model, values in history:
            insert_later(session, model.__table__, {"resident_id": handle, **values})
    return registered


def load_registered(session: Session, registered: Registered) -> Resident:
    """The resident registered in this transaction as an object in the session, to go on with
    (give consent, walk the funnel): a query, before which its rows are written."""
    return session.scalars(select(Resident).where(Resident.programme_id == registered.programme_id)).one()


def update(session: Session, principal: Principal, resident: Resident, data: dict[str, Any]) -> Resident:
    _apply(resident, data, principal)
    if resident.contact_preference is None:  # a row from before the choice, should one slip through
        resident.contact_preference = default_contact_preference(resident.phone, resident.email)
    # A client that does not send the choice keeps the stored one: clearing the chosen channel is
    # refused rather than handing organisations a channel the resident did not choose.
    _check_contact({key: getattr(resident, key) for key in ("phone", "email", "contact_preference")})
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
    # In the order of the caseload indexes (models.CASELOAD_INDEXES): no sort, the page only.
    offset = (page - 1) * per_page
    items = session.scalars(query.offset(offset).limit(per_page)).all()
    if len(items) < per_page and (items or page == 1):
        total = offset + len(items)  # the last page says how many there are: no count needed
    else:
        total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    return Page(list(items), total, page, per_page)


def reassign(
    session: Session, staff: Staff, principal: Principal, resident: Resident, coach_id: int
) -> Resident:
    coach = coach_for(staff, principal, coach_id)
    resident.coach_id = coach.id
    resident.organisation_id = coach.organisation_id
    resident.updated_at = utcnow()
    session.flush()
    publishing.publish_profile(session, resident)  # matching routes proposals to the new coach
    return resident


# What stays of an erased resident's row: its key, programme id (the subject of the erasure
# event, so a late event about them is refused), the organisation responsible, the erasure time
# and the event counter. Everything else is emptied; history rows are deleted.
_ERASED_VALUES: dict[str, Any] = {
    **{key: None for key in _SIMPLE_FIELDS},
    "wijk": "",
    "gender": "onbekend",
    "driving_licence": False,
    "own_transport": False,
    "days": [],
    "interests": [],
    "skills": [],
    "barriers": [],
    "work_at_height": False,
    "heavy_work": False,
    "pc4": None,
    "language_spoken": None,
    "language_written": None,
    "stage": "gewist",
    "coach_id": None,
}


def erase(session: Session, resident: Resident) -> None:
    """Right to erasure: nothing about the person stays but the fact that they were erased.
    The row is emptied, its history (consents, stages, ladder, certificates, notes,
    introductions) deleted, every event payload about them in the outbox wiped at once, and
    matching told to forget them (it keeps an erasure fact only). The audit log keeps who did
    what when (accountability), pointing at the emptied row."""
    for relation in (
        resident.notes,
        resident.certificates,
        resident.ladder,
        resident.stage_changes,
        resident.consents,
    ):
        relation.clear()
    session.execute(delete(Introduction).where(Introduction.resident_id == resident.id))
    for key, value in _ERASED_VALUES.items():
        setattr(resident, key, value)
    resident.erased_at = utcnow()
    resident.updated_at = resident.erased_at
    session.flush()
    # Follow-ups are about the person too: gone, not only cancelled.
    session.execute(delete(FollowUp).where(FollowUp.resident_id == resident.id))
    scrub_subjects(session, OutboxEvent, [resident.programme_id])
    publishing.publish_profile(session, resident, removed_reason="gewist")
    # Last, so it is the newest event about the resident: consumers that keep state ignore
    # anything older once they have applied the erasure.
    publishing.publish(
        session,
        resident,
        "resident.erased",
        {"programme_id": resident.programme_id, "erased_at": resident.erased_at},
    )
