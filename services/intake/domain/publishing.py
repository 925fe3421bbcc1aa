"""What intake tells other services: pseudonymous profile, consent and stage events (outbox).

Every event about a resident carries the resident's programme id as its subject and the next
number of the resident's own event sequence, taken with one atomic UPDATE in the transaction that
writes the event: consumers that keep state ignore anything older than what they applied.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.attributes import set_committed_value

from services.intake.domain.registered import Registered
from services.intake.models import OutboxEvent, Resident
from shared import clock, reference
from shared.db import utcnow
from shared.outbox import add_event

SHARING_PURPOSES = ("delen_opleider", "delen_werkgever")


# session.info key: ids of residents whose row this transaction has already numbered (and so
# holds locked: PostgreSQL's row lock from the UPDATE, SQLite's database write lock).
_NUMBERED = "intake.numbered_residents"


@event.listens_for(Session, "after_transaction_end")
def _forget_numbered(session: Session, _transaction: SessionTransaction) -> None:
    """Any transaction ending (a savepoint too) forgets: the next number takes the UPDATE again."""
    session.info.pop(_NUMBERED, None)


def next_seq(session: Session, resident: Resident) -> int:
    """The resident's next event number. The first number in a transaction comes from an UPDATE
    that locks the row until commit (PostgreSQL), so two transactions about one resident number
    their events in commit order. While the transaction holds that lock nobody else can number
    this resident, so further numbers are counted on the row in memory and written with the
    resident's next flush (one statement less per event: a consent or stage change sends two or
    three). A resident not yet inserted (waiting to be written, or pending) is seen by no other
    transaction: its numbers are counted the same way and go in the INSERT."""
    state = inspect(resident)
    if state.transient or state.pending or resident.id in session.info.get(_NUMBERED, ()):
        resident.event_seq = (resident.event_seq or 0) + 1
        return resident.event_seq
    session.flush()
    seq = session.execute(
        update(Resident)
        .where(Resident.id == resident.id)
        .values(event_seq=Resident.event_seq + 1)
        .returning(Resident.event_seq)
    ).scalar_one()
    set_committed_value(resident, "event_seq", seq)
    session.info.setdefault(_NUMBERED, set()).add(resident.id)
    return int(seq)


def publish(
    session: Session,
    resident: Resident | Registered,
    event_type: str,
    payload: dict[str, Any],
    *,
    seq: int | None = None,
) -> None:
    """Write one event about this resident into the outbox, numbered in the resident's sequence
    (`seq`: the number, for a resident registered in this transaction, whose row holds it)."""
    if seq is None:
        if isinstance(resident, Registered):
            raise TypeError("a resident registered in this transaction: give its event's number")
        seq = next_seq(session, resident)
    add_event(session, OutboxEvent, event_type, payload, subject=resident.programme_id, seq=seq)


def active_purposes(resident: Resident) -> set[str]:
    return {c.purpose for c in resident.consents if c.withdrawn_at is None}


def age_band(resident: Resident | Registered) -> str:
    if resident.birth_year is None:
        return "onbekend"
    return reference.age_band(resident.birth_year, clock.today().year)


def may_share_profile(resident: Resident) -> bool:
    """Matching gets a profile only with registratie and at least one sharing purpose."""
    purposes = active_purposes(resident)
    return (
        resident.erased_at is None
        and "registratie" in purposes
        and bool(purposes & set(SHARING_PURPOSES))
        and resident.stage not in ("gestopt",)
    )


def publish_profile(session: Session, resident: Resident, *, removed_reason: str | None = None) -> None:
    """Send the pseudonymous candidate profile, or its removal when sharing is not allowed."""
    if not may_share_profile(resident):
        reason = removed_reason or ("gestopt" if resident.stage == "gestopt" else "toestemming_ingetrokken")
        publish(
            session,
            resident,
            "candidate.removed",
            {"programme_id": resident.programme_id, "reason": reason},
        )
        return
    purposes = active_purposes(resident)
    publish(
        session,
        resident,
        "candidate.upserted",
        {
            "programme_id": resident.programme_id,
            "wijk": resident.wijk,
            "pc4": resident.pc4,
            "age_band": age_band(resident),
            "stage": resident.stage,
            "language": {"spoken": resident.language_spoken, "written": resident.language_written},
            "certificates": [{"code": c.code, "valid_until": c.valid_until} for c in resident.certificates],
            "driving_licence": resident.driving_licence,
            "own_transport": resident.own_transport,
            "hours_per_week": resident.hours_per_week,
            "days": list(resident.days or []),
            "available_from": resident.available_from,
            "interests": list(resident.interests or []),
            "skills": list(resident.skills or []),
            "work_at_height": resident.work_at_height,
            "heavy_work": resident.heavy_work,
            "consent": {p: p in purposes for p in reference.CONSENT_PURPOSES},
            "updated_at": utcnow(),
            "coach_id": resident.coach_id,
        },
    )


def publish_consent(session: Session, resident: Resident, purpose: str, active: bool) -> None:
    publish(
        session,
        resident,
        "consent.changed",
        {
            "programme_id": resident.programme_id,
            "purpose": purpose,
            "active": active,
            "changed_at": utcnow(),
        },
    )


def publish_stage(
    session: Session,
    resident: Resident | Registered,
    from_stage: str | None,
    to_stage: str,
    reason_code: str | None,
    *,
    seq: int | None = None,
) -> None:
    publish(
        session,
        resident,
        "stage.changed",
        {
            "programme_id": resident.programme_id,
            "from_stage": from_stage,
            "to_stage": to_stage,
            "reason_code": reason_code,
            "changed_at": utcnow(),
            "wijk": resident.wijk,
            "age_band": age_band(resident),
            "gender": resident.gender,
        },
        seq=seq,
    )
