"""RQ jobs of the intake service: events from matching (introductions after acceptance,
certificates earned in a training, placements) and the periodic job that makes follow-ups due."""

from __future__ import annotations

import time
from typing import Any

from services.intake.domain import followups
from services.intake.domain.earned import on_certificate_changed
from services.intake.domain.introductions import on_proposal_changed
from services.intake.models import InboxEvent, OutboxEvent, SubjectProgress
from shared import clock
from shared.db import Database
from shared.jobs import apply_each, apply_once
from shared.outbox import scrub_when_due
from shared.runtime import service_context

HANDLERS = {
    "proposal.changed": on_proposal_changed,
    "certificate.changed": on_certificate_changed,
    "placement.changed": followups.on_placement_changed,
}
# The follow-up job needs no more than a minute's precision (due dates are days).
FOLLOWUP_EVERY_SECONDS = 60.0
_last_followup_round = -FOLLOWUP_EVERY_SECONDS


def handle_event(env: dict[str, Any]) -> bool:
    """Entry point the outbox relay enqueues; safe to run any number of times."""
    # A proposal's and a placement's status are state: never let an older one undo a newer one.
    return apply_once(
        service_context().db, InboxEvent, env, HANDLERS, progress_model=SubjectProgress, ordered=HANDLERS
    )


def handle_events(envs: list[dict[str, Any]]) -> int:
    """A relay round's events for intake, in the order written (shared.jobs.apply_each)."""
    return apply_each(envs, handle_event, "intake")


def make_followups_due(db: Database) -> int:
    """Open the follow-ups whose due date has come (a plain UPDATE on dates: any worker, any
    number of times, after any restart)."""
    with db.unit_of_work() as session:
        return followups.make_due(session, clock.today())


def periodic(ctx: Any) -> None:
    """Called by the intake worker's background loop every second: delivered payloads do not
    stay for ever (scrub_when_due keeps its own pace), and due follow-ups open once a minute."""
    global _last_followup_round
    scrub_when_due(ctx, OutboxEvent)
    now = time.monotonic()
    if now - _last_followup_round < FOLLOWUP_EVERY_SECONDS:
        return
    _last_followup_round = now
    make_followups_due(ctx.db)
