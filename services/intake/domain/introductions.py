"""Introductions: the only way a resident's name and one contact channel reach an organisation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.intake.domain import audit
from services.intake.domain.publishing import active_purposes
from services.intake.models import Introduction, Resident
from shared.auth.accounts import Principal
from shared.auth.roles import AANNEMER, OPLEIDER

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
    """Grant an introduction when a proposal is accepted by both sides and consent allows it."""
    if p["status"] not in ACCEPTED:
        return
    resident = session.scalar(select(Resident).where(Resident.programme_id == p["programme_id"]))
    if resident is None or resident.erased_at is not None:
        return
    if PURPOSE_FOR_KIND[p["kind"]] not in active_purposes(resident):
        return  # no consent: the organisation keeps seeing only the pseudonym
    if session.scalar(select(Introduction).where(Introduction.proposal_id == p["proposal_id"])):
        return
    session.add(
        Introduction(
            proposal_id=p["proposal_id"],
            resident_id=resident.id,
            organisation_id=p["organisation_id"],
            kind=p["kind"],
            opening_title=p["opening_title"][:200],
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


def visible(
    session: Session, principal: Principal, channel: str, proposal_ids: list[int] | None = None
) -> list[dict[str, Any]]:
    """Introductions of the principal's organisation whose consent is still active; each read is
    audit-logged per resident. `proposal_ids` narrows it to what a page shows (and logs)."""
    kind = "task" if principal.role == AANNEMER else "training" if principal.role == OPLEIDER else None
    query = select(Introduction).where(
        Introduction.organisation_id == principal.organisation_id, Introduction.kind == kind
    )
    if proposal_ids is not None:
        query = query.where(Introduction.proposal_id.in_(proposal_ids))
    rows = session.scalars(query.order_by(Introduction.granted_at.desc())).all()
    out = []
    for intro in rows:
        resident = intro.resident
        if resident.erased_at is not None or PURPOSE_FOR_KIND[intro.kind] not in active_purposes(resident):
            continue
        contact = (
            {"channel": "telefoon", "value": resident.phone}
            if resident.phone
            else {"channel": "e-mail", "value": resident.email}
        )
        out.append(
            {
                "programme_id": resident.programme_id,
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
