"""Funnel stages: only allowed steps, each timestamped and kept."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from services.intake.domain import publishing
from services.intake.models import Resident, StageChange
from shared import reference
from shared.auth.accounts import Principal
from shared.db import utcnow
from shared.errors import Invalid
from shared.states import FUNNEL, Stage


def _step(
    session: Session,
    resident: Resident,
    to_stage: str,
    reason_code: str | None,
    changed_by: int | None,
) -> StageChange:
    """One history row, one stage.changed event."""
    change = StageChange(
        from_stage=resident.stage,
        to_stage=to_stage,
        reason_code=reason_code,
        changed_at=utcnow(),
        changed_by=changed_by,
    )
    resident.stage_changes.append(change)
    previous = resident.stage
    resident.stage = to_stage
    resident.updated_at = utcnow()
    # No flush of its own: the row goes in with the next one (the event's numbering flushes
    # when it must). A flush per step cost a third of the demo's seeding time.
    publishing.publish_stage(session, resident, previous, to_stage, reason_code)
    return change


def move(
    session: Session,
    resident: Resident,
    to_stage: str,
    reason_code: str | None,
    changed_by: int | None,
    *,
    profile: bool = True,
) -> StageChange:
    """Move along an allowed step; a forward jump records each stage passed over as skipped
    (its own history row and event with reason `overgeslagen`), then the step itself. `profile`:
    send the profile for the new stage (a walk of several steps sends it once, at its end)."""
    for skipped in reference.skipped_stages(resident.stage, to_stage):
        _step(session, resident, skipped, reference.SKIPPED_REASON, changed_by)
    change = _step(session, resident, to_stage, reason_code, changed_by)
    if profile:
        publishing.publish_profile(
            session, resident, removed_reason="gestopt" if to_stage == "gestopt" else None
        )
    return change


def walk(
    session: Session, principal: Principal, resident: Resident, steps: Sequence[tuple[str, str | None]]
) -> None:
    """Several steps in one go (the demo's journeys): each checked and recorded as on its own,
    with its history row and stage event, and one profile event at the end."""
    for i, (to_stage, reason_code) in enumerate(steps):
        change_stage(session, principal, resident, to_stage, reason_code, profile=i == len(steps) - 1)


def change_stage(
    session: Session,
    principal: Principal,
    resident: Resident,
    to_stage: str,
    reason_code: str | None,
    *,
    profile: bool = True,
) -> StageChange:
    allowed = FUNNEL.allowed(resident.stage)
    to_stage = FUNNEL.check(
        resident.stage,
        to_stage,
        f"Van fase {resident.stage} naar {to_stage} kan niet. Wel mogelijk: "
        + (", ".join(allowed) or "geen")
        + ".",
    )
    if to_stage == Stage.UITGEVALLEN and not reason_code:
        raise Invalid("Kies een reden van uitval.", {"reason_code": ["Kies een reden van uitval."]})
    return move(session, resident, str(to_stage), reason_code, principal.user_id, profile=profile)


def advance_to(session: Session, resident: Resident, to_stage: str, reason_code: str) -> StageChange | None:
    """A step the programme takes from another service's fact (a confirmed start, still working
    at +6 months). Only forward: a resident already there or further, or outside the funnel
    (uitgevallen, gestopt), keeps their stage, so a late or repeated event changes nothing."""
    order = reference.FUNNEL_ORDER
    if resident.erased_at is not None or resident.stage not in order:
        return None
    if order.index(resident.stage) >= order.index(to_stage):
        return None
    return move(session, resident, to_stage, reason_code, None)
