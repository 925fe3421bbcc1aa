"""Placements in an instapbaan: agreed after both sides accepted, started, ended or cancelled.

One lifecycle (`TRANSITIONS`), one place per placement taken from the task with a conditional
UPDATE when the contractor accepts (domain/proposals.py) and given back when a placement is
cancelled before its start or ends. Every change writes a `placement.changed` event, numbered per
placement: intake moves the resident's stage and plans the follow-ups from it (no cross-service
write).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from services.matching.domain.events import publish_placement, publish_proposal
from services.matching.models import Placement, Proposal, Task
from shared import clock
from shared.auth.accounts import Principal
from shared.auth.roles import AANNEMER, BEHEERDER, JOBCOACH, PROGRAMMABUREAU
from shared.db import utcnow
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.states import PLACEMENT, PlacementStatus

AFGESPROKEN, GESTART, BEEINDIGD, GEANNULEERD = (s.value for s in PlacementStatus)
# The one transition table of a placement's lifecycle (shared/states.py), as plain codes.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    state.value: tuple(t.value for t in steps) for state, steps in PLACEMENT.transitions.items()
}
END_REASONS = (
    "contract_afgelopen",
    "vast_werk_elders",
    "ander_werk_bij_aannemer",
    "opleiding_gestart",
    "zelf_gestopt",
    "ontslag_proeftijd",
    "ontslag",
    "project_gestopt",
    "onbekend",
)
CANCEL_REASONS = ("deelnemer_ziet_af", "aannemer_ziet_af", "toestemming_ingetrokken", "planning", "anders")
TERM_FIELDS = (
    "planned_start",
    "contract_type",
    "hours_per_week",
    "wage_subsidy",
    "jobcoach_support",
    "sroi_tag",
)


def visible(query: Select, principal: Principal) -> Select:
    """Which placements a principal may see: a contractor its own tasks', a coach their
    residents' (through the proposal's coach), the bureau and beheerder all."""
    query = query.where(Placement.kind == "plaatsing")
    if principal.role in (BEHEERDER, PROGRAMMABUREAU):
        return query
    if principal.role == AANNEMER:
        own = select(Task.id).where(Task.organisation_id == principal.organisation_id)
        return query.where(Placement.task_id.in_(own))
    if principal.role == JOBCOACH:
        if principal.user_id is None:
            raise Forbidden("Een token kan geen plaatsingen van een coach zien.")
        mine = select(Proposal.id).where(Proposal.coach_id == principal.user_id)
        return query.where(Placement.proposal_id.in_(mine))
    raise Forbidden("U heeft met uw rol geen toegang tot plaatsingen.")


def get(session: Session, principal: Principal, placement_id: int) -> Placement:
    placement = session.scalar(visible(select(Placement), principal).where(Placement.id == placement_id))
    if placement is None:
        raise NotFound("Deze plaatsing is niet gevonden.")
    return placement


def _require_owner(principal: Principal, action: str) -> None:
    if principal.role not in (AANNEMER, BEHEERDER):
        raise Forbidden(f"Alleen de aannemer van deze instaptaak {action}.")


def _move(session: Session, placement: Placement, to: str) -> None:
    """Change status only along the transition table, with a conditional UPDATE: of two requests
    at the same moment (two tabs, a retry) exactly one moves the placement; the other gets 409."""
    PLACEMENT.check(placement.status, to, f"Deze plaatsing kan niet van {placement.status} naar {to}.")
    moved = session.execute(
        update(Placement)
        .where(Placement.id == placement.id, Placement.status == placement.status)
        .values(status=to, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise Conflict("Deze plaatsing is net door iemand anders gewijzigd. Laad de pagina opnieuw.")
    session.refresh(placement)


def _release_place(session: Session, placement: Placement) -> None:
    """Give the task's place back (a cancelled or ended placement leaves room for someone else)."""
    session.execute(
        update(Task)
        .where(Task.id == placement.task_id, Task.filled > 0)
        .values(filled=Task.filled - 1)
        .execution_options(synchronize_session=False)
    )


def agree(session: Session, proposal: Proposal, task: Task) -> Placement:
    """Both sides accepted: the placement exists with the task's terms as a starting point.
    The caller has already taken the place (conditional UPDATE on the task).

    A proposal accepted again after its placement was called off (consent withdrawn and given
    again, a new round proposing the same pair) agrees on its one placement row afresh: one
    placement per proposal, its version going on, so consumers see the newest state."""
    placement = session.scalar(select(Placement).where(Placement.proposal_id == proposal.id))
    if placement is None:
        placement = Placement(proposal_id=proposal.id, created_at=utcnow())
        session.add(placement)
    elif placement.status != GEANNULEERD:
        raise Conflict("Voor dit voorstel is al een plaatsing afgesproken.")
    placement.programme_id = proposal.programme_id
    placement.kind = "plaatsing"
    placement.task_id = task.id
    placement.status = AFGESPROKEN
    placement.planned_start = task.start_date
    placement.contract_type = task.contract_type
    placement.hours_per_week = task.hours_per_week
    placement.wage_subsidy = False
    placement.jobcoach_support = False
    placement.sroi_tag = task.sroi_tag
    placement.started_on = None
    placement.ended_on = None
    placement.end_reason = None
    placement.early_start_reason = None
    placement.updated_at = utcnow()
    session.flush()
    publish_placement(session, placement, task)
    return placement


def update_terms(
    session: Session, principal: Principal, placement: Placement, data: dict[str, Any]
) -> Placement:
    """The contractor records what was agreed; only before the start (after it, they are facts)."""
    _require_owner(principal, "legt de afspraken vast")
    if placement.status != AFGESPROKEN:
        raise Conflict("De afspraken liggen vast zodra de start is bevestigd.")
    task = placement.task
    assert task is not None
    planned = data.get("planned_start", placement.planned_start)
    if planned is not None and task.end_date is not None and planned > task.end_date:
        message = "De geplande start ligt na het einde van de instaptaak."
        raise Invalid(message, {"planned_start": [message]})
    for key in TERM_FIELDS:
        if key in data:
            setattr(placement, key, data[key])
    placement.updated_at = utcnow()
    session.flush()
    publish_placement(session, placement, task)
    return placement


def confirm_start(
    session: Session,
    principal: Principal,
    placement: Placement,
    started_on: date,
    early_start_reason: str | None = None,
    *,
    today: date | None = None,
) -> Placement:
    """The contractor confirms the actual start. Not in the future, not after the task ended,
    and not before the task's start unless the contractor says why."""
    _require_owner(principal, "bevestigt de start")
    task = placement.task
    assert task is not None
    today = today or clock.today()
    reason = (early_start_reason or "").strip() or None
    if started_on > today:
        message = "Bevestig de start op of na de eerste werkdag, niet vooraf."
        raise Invalid(message, {"started_on": [message]})
    if task.end_date is not None and started_on > task.end_date:
        message = "De startdatum ligt na het einde van de instaptaak."
        raise Invalid(message, {"started_on": [message]})
    if started_on < task.start_date and reason is None:
        message = "De startdatum ligt voor de start van de instaptaak. Schrijf erbij waarom."
        raise Invalid(message, {"early_start_reason": [message]})
    _move(session, placement, GESTART)
    placement.started_on = started_on
    placement.early_start_reason = reason if started_on < task.start_date else None
    proposal = session.get(Proposal, placement.proposal_id)
    assert proposal is not None
    if proposal.status != "geplaatst":
        # Reached from the placement page: the proposal moves here, with the candidate's consent
        # checked in the same statement (issue 7), as proposals.confirm_start does.
        from services.matching.domain import proposals as proposal_steps  # a cycle at import time

        proposal_steps.move_to_started(session, proposal)
    session.flush()
    publish_proposal(session, proposal, task)
    publish_placement(session, placement, task)
    return placement


def end(
    session: Session,
    principal: Principal,
    placement: Placement,
    ended_on: date,
    reason: str,
    *,
    today: date | None = None,
) -> Placement:
    """A started placement ends on a date with a reason code; its place becomes free again."""
    _require_owner(principal, "beëindigt de plaatsing")
    today = today or clock.today()
    if reason not in END_REASONS:
        raise Invalid("Kies een reden.", {"reason": ["Kies een reden uit de lijst."]})
    if placement.status != GESTART:
        raise Conflict("Alleen een gestarte plaatsing kan eindigen.")
    assert placement.started_on is not None
    if ended_on < placement.started_on:
        message = "De einddatum ligt voor de startdatum."
        raise Invalid(message, {"ended_on": [message]})
    if ended_on > today:
        message = "Leg het einde vast op of na de laatste werkdag, niet vooraf."
        raise Invalid(message, {"ended_on": [message]})
    _move(session, placement, BEEINDIGD)
    placement.ended_on = ended_on
    placement.end_reason = reason
    _release_place(session, placement)
    session.flush()
    publish_placement(session, placement)
    return placement


def _cancel(session: Session, placement: Placement, reason: str) -> None:
    _move(session, placement, GEANNULEERD)
    placement.end_reason = reason
    _release_place(session, placement)
    # The proposal leaves the accepted state, so the resident can be proposed elsewhere.
    proposal = session.get(Proposal, placement.proposal_id)
    if proposal is not None and proposal.status == "aannemer_akkoord":
        proposal.status = "ingetrokken"
        proposal.organisation_reason = reason[:40]
        proposal.updated_at = utcnow()
        session.flush()
        publish_proposal(session, proposal)
    session.flush()
    publish_placement(session, placement)


def cancel(session: Session, principal: Principal, placement: Placement, reason: str) -> Placement:
    """A placement that did not start is called off (reason code); the place is free again."""
    _require_owner(principal, "annuleert de plaatsing")
    if reason not in CANCEL_REASONS:
        raise Invalid("Kies een reden.", {"reason": ["Kies een reden uit de lijst."]})
    if placement.status != AFGESPROKEN:
        raise Conflict("Alleen een plaatsing die nog niet is gestart kan worden geannuleerd.")
    _cancel(session, placement, reason)
    return placement


def cancel_unstarted_placements(
    session: Session, programme_id: str, reason: str = "toestemming_ingetrokken"
) -> int:
    """Consent withdrawn (or the resident left or was erased): placements that have not started
    are cancelled and their places given back. Started ones are facts and stay. For the consent
    handlers (privacy) to call in the same transaction as the withdrawal; returns how many."""
    rows = session.scalars(
        select(Placement).where(
            Placement.programme_id == programme_id,
            Placement.kind == "plaatsing",
            Placement.status == AFGESPROKEN,
        )
    ).all()
    for placement in rows:
        _cancel(session, placement, reason)
    return len(rows)
