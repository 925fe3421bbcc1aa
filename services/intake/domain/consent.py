"""The consent ledger: one record per purpose given, withdrawn by date; history is kept."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from services.intake.domain import followups, publishing
from services.intake.models import ConsentRecord, Resident
from shared.auth.accounts import Principal
from shared.db import utcnow
from shared.errors import Conflict, NotFound


def active_record(resident: Resident, purpose: str) -> ConsentRecord | None:
    return next((c for c in resident.consents if c.purpose == purpose and c.withdrawn_at is None), None)


def give(
    session: Session, principal: Principal, resident: Resident, purpose: str, method: str, info_version: str
) -> ConsentRecord:
    return give_many(session, principal, resident, [(purpose, method)], info_version)[0]


def give_many(
    session: Session,
    principal: Principal,
    resident: Resident,
    grants: Sequence[tuple[str, str]],
    info_version: str,
) -> list[ConsentRecord]:
    """Consent for one or more purposes, recorded at once (one conversation: the consent page's
    form, the demo): each purpose checked as on its own (registratie first, none given twice),
    one consent event per purpose, and one profile event for where they leave the resident."""
    records = []
    for purpose, method in grants:
        if active_record(resident, purpose) is not None:
            raise Conflict("Deze toestemming is al gegeven.")
        if purpose != "registratie" and active_record(resident, "registratie") is None:
            raise Conflict("Leg eerst de toestemming voor registratie vast.")
        record = ConsentRecord(
            purpose=purpose,
            method=method,
            info_version=info_version,
            given_at=utcnow(),
            recorded_by=principal.user_id,
        )
        resident.consents.append(record)
        records.append(record)
    session.flush()
    for record in records:
        if record.purpose == "follow_up":
            followups.on_consent(session, resident, True)
        publishing.publish_consent(session, resident, record.purpose, True)
    publishing.publish_profile(session, resident)
    return records


def withdraw(session: Session, principal: Principal, resident: Resident, purpose: str) -> ConsentRecord:
    record = active_record(resident, purpose)
    if record is None:
        raise NotFound(f"Er is geen geldige toestemming voor {purpose}.")
    record.withdrawn_at = utcnow()
    record.withdrawn_by = principal.user_id
    # Withdrawing registratie ends every other purpose too: nothing may be shared without it.
    withdrawn = [purpose]
    if purpose == "registratie":
        for other in resident.consents:
            if other.withdrawn_at is None:
                other.withdrawn_at = record.withdrawn_at
                other.withdrawn_by = principal.user_id
                withdrawn.append(other.purpose)
    session.flush()
    if "follow_up" in withdrawn:
        followups.on_consent(session, resident, False)
    for p in withdrawn:
        publishing.publish_consent(session, resident, p, False)
    publishing.publish_profile(session, resident)
    return record
