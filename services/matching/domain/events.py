"""What matching tells other services (outbox): proposal changes."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.matching.models import OutboxEvent, Proposal
from shared.db import utcnow
from shared.outbox import add_event


def publish_proposal(session: Session, proposal: Proposal) -> None:
    opening = proposal.task if proposal.task_id is not None else proposal.slot
    if opening is None:  # relationship not loaded yet for a new row
        session.refresh(proposal, ["task", "slot"])
        opening = proposal.task if proposal.task_id is not None else proposal.slot
    assert opening is not None
    add_event(session, OutboxEvent, "proposal.changed", {
        "proposal_id": proposal.id, "programme_id": proposal.programme_id,
        "status": proposal.status, "kind": "task" if proposal.task_id else "training",
        "opening_id": opening.id, "organisation_id": opening.organisation_id,
        "opening_title": getattr(opening, "title", None) or getattr(opening, "name", ""),
        "leads_to_task_id": proposal.leads_to_task_id, "changed_at": utcnow(),
    })
