"""Funnel stages: only allowed steps, each timestamped and kept."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.intake.domain import publishing
from services.intake.models import Resident, StageChange
from shared.auth.accounts import Principal
from shared.db import utcnow
from shared.errors import Invalid
from shared.states import FUNNEL, Stage


def change_stage(
    session: Session, principal: Principal, resident: Resident, to_stage: str, reason_code: str | None
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
    change = StageChange(
        from_stage=resident.stage,
        to_stage=to_stage,
        reason_code=reason_code,
        changed_at=utcnow(),
        changed_by=principal.user_id,
    )
    resident.stage_changes.append(change)
    previous = resident.stage
    resident.stage = to_stage
    resident.updated_at = utcnow()
    session.flush()
    publishing.publish_stage(session, resident, previous, to_stage, reason_code)
    publishing.publish_profile(
        session, resident, removed_reason="gestopt" if to_stage == Stage.GESTOPT else None
    )
    return change
