"""Introductions: the only way a resident's name and one contact channel reach an organisation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.intake.domain import audit
from services.intake.domain.consent import active_record
from services.intake.domain.residents import CONTACT_FIELDS, default_contact_preference
from services.intake.models import ConsentRecord, Introduction, Resident
from shared.auth.accounts import Principal
from shared.auth.roles import AANNEMER, OPLEIDER
from shared.db import utcnow

# Both sides accepted: the organisation may now contact the resident.
ACCEPTED = ("aannemer_akkoord", "geplaatst", "ingeschreven")
PURPOSE_FOR_KIND = {"task": "delen_werkgever", "training": "delen_opleider"}


class _System:
    """The audit actor for what the worker does on behalf of the programme."""

    user_id = None
    name = "Instap (automatisch)"
    role = "systeem"
    organisation_id = None
    token_id = None


def on_proposal_changed(session: Session, p: dict[str, Any], _env: dict[str, Any]) -> None:
    """Grant an introduction when a proposal is accepted by both sides under consent that was
    given before that acceptance and is still active. An acceptance from before a withdrawal
    (however late its event arrives) never introduces the person under consent given later."""
    if p["status"] not in ACCEPTED:
        return
    resident = session.scalar(select(Resident).where(Resident.programme_id == p["programme_id"]))
    if resident is None or resident.erased_at is not None:
        return
    record = active_record(resident, PURPOSE_FOR_KIND[p["kind"]])
    if record is None or record.given_at > p["changed_at"]:
        return  # no consent (or newer than the acceptance): the organisation keeps the pseudonym
    if session.scalar(
        select(Introduction).where(
            Introduction.proposal_id == p["proposal_id"], Introduction.consent_record_id == record.id
        )
    ):
        return
    session.add(
        Introduction(
            proposal_id=p["proposal_id"],
            consent_record_id=record.id,
            resident_id=resident.id,
            organisation_id=p["organisation_id"],
            kind=p["kind"],
            opening_title=p["opening_title"][:200],
            granted_at=utcnow(),
        )
    )
    audit.record(
        session,
        _System(),
        resident,
        "introduction_granted",
        "job",  # type: ignore[arg-type]
        f"voorstel {p['proposal_id']}",
        organisation_id=p["organisation_id"],
    )


def _live(session: Session) -> Any:
    """Introductions whose consent record is still active, of residents not erased."""
    return (
        select(Introduction)
        .join(ConsentRecord, ConsentRecord.id == Introduction.consent_record_id)
        .join(Resident, Resident.id == Introduction.resident_id)
        .where(ConsentRecord.withdrawn_at.is_(None), Resident.erased_at.is_(None))
    )


def initials_of(first_name: str | None) -> str | None:
    """Initials from the first name(s) for a certificate ("Jan Peter" → "J.P.", "IJsbrand" →
    "IJ."); None when they cannot be written as initials (the trainer then types them)."""
    out = []
    for part in (first_name or "").replace("-", " ").split():
        head = "IJ" if part[:2].upper() == "IJ" else part[:1].upper()
        if not head.isalpha() or not head.isupper():
            return None
        out.append(head + ".")
    return "".join(out[:6]) or None


def chosen_channel(resident: Resident) -> str:
    """The one channel an organisation gets: the resident's choice (always filled in, see
    domain/residents.py); the old rule only for a row that somehow lacks one."""
    choice = resident.contact_preference
    if choice is not None and choice in CONTACT_FIELDS:
        return choice
    return default_contact_preference(resident.phone, resident.email)


def visible(
    session: Session, principal: Principal, channel: str, proposal_ids: list[int] | None = None
) -> list[dict[str, Any]]:
    """Introductions of the principal's organisation whose consent is still active; each read is
    audit-logged per resident. `proposal_ids` narrows it to what a page shows (and logs). An
    introduction carries no programme id or pseudonym: only the proposal id of the one card it
    belongs to (whose pseudonym is for that opening alone), so it links to nothing else."""
    kind = "task" if principal.role == AANNEMER else "training" if principal.role == OPLEIDER else None
    query = _live(session).where(
        Introduction.organisation_id == principal.organisation_id, Introduction.kind == kind
    )
    if proposal_ids is not None:
        query = query.where(Introduction.proposal_id.in_(proposal_ids))
    rows = session.scalars(query.order_by(Introduction.granted_at.desc(), Introduction.id.desc())).all()
    out = []
    for intro in rows:
        resident = intro.resident
        channel = chosen_channel(resident)
        contact = {"channel": channel, "value": getattr(resident, CONTACT_FIELDS[channel])}
        out.append(
            {
                "proposal_id": intro.proposal_id,
                "name": resident.display_name,
                "first_name": resident.first_name,
                "initials": initials_of(resident.first_name),
                "contact": contact,
                "opening_title": intro.opening_title,
                "granted_at": intro.granted_at,
            }
        )
        audit.record(
            session, principal, resident, "introduction_view", channel, f"voorstel {intro.proposal_id}"
        )
    return out


def for_resident(session: Session, resident: Resident) -> list[Introduction]:
    """Every introduction of this resident, for their export (also those no longer shown)."""
    return list(
        session.scalars(
            select(Introduction)
            .where(Introduction.resident_id == resident.id)
            .order_by(Introduction.granted_at)
        )
    )
