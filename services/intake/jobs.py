"""RQ jobs of the intake service: events from matching (introductions after acceptance,
certificates earned in a training)."""

from __future__ import annotations

from typing import Any

from services.intake.domain.earned import on_certificate_changed
from services.intake.domain.introductions import on_proposal_changed
from services.intake.models import InboxEvent, OutboxEvent, SubjectProgress
from shared.jobs import apply_once
from shared.outbox import scrub_when_due
from shared.runtime import service_context

HANDLERS = {"proposal.changed": on_proposal_changed, "certificate.changed": on_certificate_changed}


def handle_event(env: dict[str, Any]) -> bool:
    """Entry point the outbox relay enqueues; safe to run any number of times."""
    # A proposal's status is state: never let an older one undo a newer one.
    return apply_once(
        service_context().db, InboxEvent, env, HANDLERS, progress_model=SubjectProgress, ordered=HANDLERS
    )


def periodic(ctx: Any) -> None:
    """Called by the intake worker's background loop: delivered payloads do not stay for ever."""
    scrub_when_due(ctx, OutboxEvent)
