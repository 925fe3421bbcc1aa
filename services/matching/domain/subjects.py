"""Everything matching holds about one resident, for their right of access (AVG art. 15).

Intake composes the resident's export and asks this service for its part, with the coach's or
beheerder's own credentials (shared/peers.py); matching applies its own access rule here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.matching.models import Candidate, Enrolment, Erasure, Placement, Proposal, Task, TrainingSlot
from shared.auth.accounts import Principal
from shared.auth.models import Organisation
from shared.auth.roles import BEHEERDER, JOBCOACH
from shared.errors import Forbidden, NotFound


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def _opening(session: Session, x: Any) -> Task | TrainingSlot | None:
    """The task or training slot of a proposal or placement."""
    if getattr(x, "task_id", None) is not None:
        return session.get(Task, x.task_id)
    return session.get(TrainingSlot, x.slot_id)


def subject(session: Session, accounts: Session, principal: Principal, programme_id: str) -> dict[str, Any]:
    """The resident's candidate profile, proposals with their explanations, placements and
    enrolments. A coach sees it for their own residents (as matching knows them); a beheerder
    for everyone; 404 when matching holds nothing this person may see."""
    if principal.role not in (JOBCOACH, BEHEERDER):
        raise Forbidden("Alleen de jobcoach of een beheerder vraagt dit op.")
    candidate = session.get(Candidate, programme_id)
    items = list(
        session.scalars(select(Proposal).where(Proposal.programme_id == programme_id).order_by(Proposal.id))
    )
    if principal.role == JOBCOACH:
        mine = (candidate is not None and candidate.coach_id == principal.user_id) or any(
            p.coach_id == principal.user_id for p in items
        )
        if not mine:
            raise NotFound("Matching bewaart niets over deze deelnemer dat u mag zien.")
    erasure = session.get(Erasure, programme_id)
    if candidate is None and not items and erasure is None and principal.role == BEHEERDER:
        raise NotFound("Matching bewaart niets over deze deelnemer.")
    placements = list(
        session.scalars(
            select(Placement)
            .where(
                or_(Placement.programme_id == programme_id, Placement.proposal_id.in_([p.id for p in items]))
            )
            .order_by(Placement.id)
        )
    )
    enrolled = list(
        session.scalars(
            select(Enrolment).where(Enrolment.programme_id == programme_id).order_by(Enrolment.id)
        )
    )
    org_ids = {
        o.organisation_id
        for o in (_opening(session, x) for x in [*items, *placements, *enrolled])
        if o is not None
    }
    names = {o.id: o.name for o in accounts.scalars(select(Organisation).where(Organisation.id.in_(org_ids)))}

    def opening(x: Any) -> dict[str, Any] | None:
        o = _opening(session, x)
        if o is None:
            return None
        return {
            "kind": "task" if isinstance(o, Task) else "training",
            "id": o.id,
            "title": getattr(o, "title", None) or getattr(o, "name", ""),
            "organisation": names.get(o.organisation_id),
        }

    def placement_out(pl: Placement) -> dict[str, Any]:
        return {
            "opening": opening(pl),
            "status": pl.status,
            "started_on": _iso(pl.started_on),
            "agreed_at": _iso(pl.created_at),
        }

    return {
        "programme_id": programme_id,
        "erased_at": _iso(erasure.erased_at) if erasure else None,
        "candidate": None
        if candidate is None
        else {
            "wijk": candidate.wijk,
            "pc4": candidate.pc4,
            "age_band": candidate.age_band,
            "stage": candidate.stage,
            "language": {"spoken": candidate.language_spoken, "written": candidate.language_written},
            "certificates": candidate.certificates,
            "driving_licence": candidate.driving_licence,
            "own_transport": candidate.own_transport,
            "hours_per_week": candidate.hours_per_week,
            "days": candidate.days,
            "available_from": _iso(candidate.available_from),
            "interests": candidate.interests,
            "skills": candidate.skills,
            "work_at_height": candidate.work_at_height,
            "heavy_work": candidate.heavy_work,
            "share_with_employer": candidate.share_with_employer,
            "share_with_trainer": candidate.share_with_trainer,
            "received_at": _iso(candidate.received_at),
        },
        "proposals": [
            {
                "opening": opening(p),
                "status": p.status,
                "score": p.score,
                "explanation_nl": p.explanation_nl,
                "explanation": p.explanation,
                "coach_reason": p.coach_reason,
                "organisation_reason": p.organisation_reason,
                "created_at": _iso(p.created_at),
                "updated_at": _iso(p.updated_at),
            }
            for p in items
        ],
        "placements": [placement_out(pl) for pl in placements if pl.kind == "plaatsing"],
        "enrolments": [
            {
                "opening": opening(e),
                "status": e.status,
                "reason_code": e.reason_code,
                "registered_on": _iso(e.registered_on),
                "started_on": _iso(e.started_on),
                "ended_on": _iso(e.ended_on),
                "attendance": [{"week": a.week, "presence": a.presence} for a in e.attendance],
            }
            for e in enrolled
        ],
    }
