"""What matching tells other services (outbox): proposal changes."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.matching.models import OutboxEvent, Proposal, Task, TrainingSlot
from shared.db import utcnow
from shared.outbox import add_event


def publish_proposal(
    session: Session, proposal: Proposal, opening: Task | TrainingSlot | None = None
) -> None:
    """`opening` may be passed by callers that have it, saving a lookup per proposal."""
    if opening is None:
        opening = (
            session.get(Task, proposal.task_id)
            if proposal.task_id is not None
            else session.get(TrainingSlot, proposal.slot_id)
        )
    assert opening is not None
    add_event(
        session,
        OutboxEvent,
        "proposal.changed",
        {
            "proposal_id": proposal.id,
            "programme_id": proposal.programme_id,
            "status": proposal.status,
            "kind": "task" if proposal.task_id else "training",
            "opening_id": opening.id,
            "organisation_id": opening.organisation_id,
            "opening_title": getattr(opening, "title", None) or getattr(opening, "name", ""),
            "leads_to_task_id": proposal.leads_to_task_id,
            "changed_at": utcnow(),
        },
    )
