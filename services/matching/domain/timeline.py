"""What matching holds about one resident, as timeline entries for the coach's resident page.

Intake composes the one timeline (intake → proposals → enrolment → certificates → placement →
follow-ups): its own steps, plus these entries fetched with the coach's own credentials
(shared/peers.py). Each kind of subject data registers a `Source`; an entry says its `phase` and
carries its own Dutch title, status and facts, so intake shows a new phase (enrolments,
certificates) without a code change there. The enrolment and certificate sources register
themselves next to their models (issue 9); until then the training proposals' placements of kind
`inschrijving` stand in for enrolments.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.matching.models import (
    Candidate,
    Certificate,
    Enrolment,
    Placement,
    Proposal,
    Task,
    TrainingSlot,
)
from services.matching.web.labels import label
from shared import reference
from shared.auth.accounts import Principal
from shared.auth.roles import BEHEERDER, JOBCOACH
from shared.errors import Forbidden, NotFound

# The phases in the order the coach reads them; intake adds "intake" before and "opvolging" after.
PHASES = ("voorstel", "inschrijving", "certificaat", "plaatsing")


@dataclass
class Entry:
    phase: str
    on: date
    title: str
    status: str
    status_label: str
    facts: list[dict[str, str]] = field(default_factory=list)
    ref: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "on": self.on,
            "title": self.title,
            "status": self.status,
            "status_label": self.status_label,
            "facts": self.facts,
            "ref": self.ref,
        }


Source = Callable[[Session, str], list[Entry]]
SOURCES: list[Source] = []


def source(fn: Source) -> Source:
    """Register a kind of subject data for the timeline."""
    SOURCES.append(fn)
    return fn


def _day(value: datetime | date | None) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value or date.min


def _fact(name: str, value: Any) -> dict[str, str]:
    if isinstance(value, date):
        value = value.strftime("%d-%m-%Y")  # Dutch notation, as on every page
    return {"label": name, "value": "" if value is None else str(value)}


def check_access(session: Session, principal: Principal, programme_id: str) -> None:
    """A coach sees the timeline of their own residents (as matching knows them: the profile's
    or a proposal's coach); a beheerder all. Anyone else: as if it did not exist."""
    if principal.role == BEHEERDER:
        return
    if principal.role != JOBCOACH or principal.user_id is None:
        raise Forbidden("Alleen de jobcoach van de deelnemer ziet deze tijdlijn.")
    mine = session.scalar(
        select(Candidate.programme_id).where(
            Candidate.programme_id == programme_id, Candidate.coach_id == principal.user_id
        )
    ) or session.scalar(
        select(Proposal.id)
        .where(Proposal.programme_id == programme_id, Proposal.coach_id == principal.user_id)
        .limit(1)
    )
    if not mine:
        raise NotFound("Deze deelnemer is niet gevonden.")


def entries(session: Session, principal: Principal, programme_id: str) -> list[dict[str, Any]]:
    check_access(session, principal, programme_id)
    out: list[Entry] = []
    for fn in SOURCES:
        out.extend(fn(session, programme_id))
    order = {p: i for i, p in enumerate(PHASES)}
    out.sort(key=lambda e: (order.get(e.phase, len(PHASES)), e.on, e.ref))
    return [e.as_dict() for e in out]


@source
def _proposals(session: Session, programme_id: str) -> list[Entry]:
    items = session.scalars(
        select(Proposal).where(Proposal.programme_id == programme_id).order_by(Proposal.created_at)
    ).all()
    out = []
    for p in items:
        opening: Task | TrainingSlot | None = p.task or p.slot
        title = getattr(opening, "title", None) or getattr(opening, "name", "")
        facts = [_fact("Voorgesteld op", p.created_at.date())]
        reason = p.coach_reason or p.organisation_reason
        if reason:
            facts.append(_fact("Reden", label("reasons", reason) or reason))
        out.append(
            Entry(
                "voorstel",
                _day(p.created_at),
                ("Opleiding: " if p.slot_id else "Instaptaak: ") + title,
                p.status,
                label("proposal_status", p.status) or p.status,
                facts,
                f"proposal:{p.id}",
            )
        )
    return out


@source
def _placements(session: Session, programme_id: str) -> list[Entry]:
    items = session.scalars(
        select(Placement)
        .where(
            Placement.programme_id == programme_id,
            or_(Placement.task_id.is_not(None), Placement.slot_id.is_not(None)),
        )
        .order_by(Placement.created_at)
    ).all()
    out = []
    for p in items:
        if p.kind == "inschrijving":
            continue  # a training: the enrolment source below shows it
        task = p.task
        facts = [
            _fact("Geplande start", p.planned_start),
            _fact("Gestart op", p.started_on or "nog niet"),
            _fact("Sector", label("sectors", reference.sector_of(task.occupation if task else None))),
            _fact("Soort contract", label("contracts", p.contract_type) or p.contract_type),
            _fact("Uren per week", p.hours_per_week),
            _fact("Loonkostensubsidie", "ja" if p.wage_subsidy else "nee"),
            _fact("Jobcoaching", "ja" if p.jobcoach_support else "nee"),
        ]
        if p.ended_on:
            facts.append(_fact("Geëindigd op", p.ended_on))
        if p.end_reason:
            facts.append(_fact("Reden", label("reasons", p.end_reason) or p.end_reason))
        out.append(
            Entry(
                "plaatsing",
                p.started_on or p.planned_start or _day(p.created_at),
                task.title if task else "",
                p.status,
                label("placement_status", p.status) or p.status,
                facts,
                f"placement:{p.id}",
            )
        )
    return out


@source
def _enrolments(session: Session, programme_id: str) -> list[Entry]:
    items = session.scalars(
        select(Enrolment).where(Enrolment.programme_id == programme_id).order_by(Enrolment.registered_on)
    ).all()
    out = []
    for e in items:
        facts = [
            _fact("Aangemeld op", e.registered_on),
            _fact("Opleiding begonnen", e.started_on or "nog niet"),
        ]
        if e.ended_on:
            facts.append(_fact("Geëindigd op", e.ended_on))
        if e.reason_code:
            facts.append(_fact("Reden", e.reason_code))
        out.append(
            Entry(
                "inschrijving",
                e.started_on or e.registered_on,
                e.slot.name if e.slot else "",
                e.status,
                e.status.capitalize(),
                facts,
                f"enrolment:{e.id}",
            )
        )
    return out


@source
def _certificates(session: Session, programme_id: str) -> list[Entry]:
    items = session.scalars(
        select(Certificate).where(Certificate.programme_id == programme_id).order_by(Certificate.issued_on)
    ).all()
    out = []
    for c in items:
        facts = [_fact("Uitgegeven door", c.issuer_name), _fact("Verificatiecode", c.verification_code)]
        if c.werkprocessen:
            facts.append(_fact("Werkprocessen", ", ".join(c.werkprocessen)))
        if c.valid_until:
            facts.append(_fact("Geldig tot", c.valid_until))
        revoked = c.revoked_at is not None
        out.append(
            Entry(
                "certificaat",
                c.issued_on,
                label("certificates", c.kind) or c.kind,
                "ingetrokken" if revoked else "geldig",
                "Ingetrokken" if revoked else "Geldig",
                facts,
                f"certificate:{c.id}",
            )
        )
    return out
