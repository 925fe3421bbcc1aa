"""Proposal lifecycle: coach with the resident, then the organisation; capacity held in the DB."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from services.matching.domain import enrolments, placements
from services.matching.domain.events import publish_proposal
from services.matching.models import Placement, Proposal, Task, TrainingSlot
from shared.auth.accounts import Principal
from shared.auth.roles import AANNEMER, BEHEERDER, JOBCOACH, OPLEIDER
from shared.db import utcnow
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.states import (
    OPEN_PROPOSALS,
    ORGANISATION_SEES,
    PROPOSAL,
    RUNNING_PROPOSALS,
    OpeningStatus,
    ProposalStatus,
)

COACH_REJECT_REASONS = (
    "past_niet",
    "geen_interesse",
    "reistijd",
    "uren",
    "andere_plaatsing",
    "persoonlijke_situatie",
)
ORG_DECLINE_REASONS = ("plek_vergeven", "eisen_niet_gehaald", "planning", "past_niet_in_team", "anders")


class NoPlaceLeft(Conflict):
    """Every place of the task or seat of the slot is taken (409, code `no_place_left`)."""

    code = "no_place_left"


class ResidentBusy(Conflict):
    """The resident already has a proposal running with an organisation (409, `resident_busy`)."""

    code = "resident_busy"


def visible(query: Select, principal: Principal) -> Select:
    """Which proposals a principal may see."""
    if principal.role == BEHEERDER:
        return query
    if principal.role == JOBCOACH:
        if principal.user_id is None:
            raise Forbidden("Een token kan geen voorstellen van een coach zien.")
        return query.where(Proposal.coach_id == principal.user_id)
    if principal.role == AANNEMER:
        own = select(Task.id).where(Task.organisation_id == principal.organisation_id)
        return query.where(
            Proposal.task_id.in_(own),
            Proposal.status.in_([s for s in ORGANISATION_SEES if s != ProposalStatus.INGESCHREVEN]),
        )
    if principal.role == OPLEIDER:
        own = select(TrainingSlot.id).where(TrainingSlot.organisation_id == principal.organisation_id)
        return query.where(
            Proposal.slot_id.in_(own),
            Proposal.status.in_([s for s in ORGANISATION_SEES if s != ProposalStatus.GEPLAATST]),
        )
    raise Forbidden("U heeft met uw rol geen toegang tot voorstellen.")


def get(session: Session, principal: Principal, proposal_id: int) -> Proposal:
    proposal = session.scalar(visible(select(Proposal), principal).where(Proposal.id == proposal_id))
    if proposal is None:
        raise NotFound("Dit voorstel is niet gevonden.")
    return proposal


def coach_decides(
    session: Session, principal: Principal, proposal: Proposal, accept: bool, reason: str | None
) -> Proposal:
    if principal.role not in (JOBCOACH, BEHEERDER):
        raise Forbidden("Alleen de jobcoach beslist samen met de deelnemer.")
    target = ProposalStatus.COACH_AKKOORD if accept else ProposalStatus.COACH_AFGEWEZEN
    PROPOSAL.check(proposal.status, target, f"Dit voorstel is al behandeld (status: {proposal.status}).")
    if not accept and reason not in COACH_REJECT_REASONS:
        raise Invalid("Kies een reden.", {"reason": ["Kies een reden uit de lijst."]})
    if accept:
        # One accepted proposal per resident at a time: the others wait or lapse.
        busy = session.scalar(
            select(Proposal.id).where(
                Proposal.programme_id == proposal.programme_id,
                Proposal.id != proposal.id,
                Proposal.status.in_(RUNNING_PROPOSALS),
            )
        )
        if busy is not None:
            raise ResidentBusy("Deze deelnemer heeft al een lopend voorstel.")
    proposal.status = target
    proposal.coach_reason = None if accept else reason
    proposal.updated_at = utcnow()
    session.flush()
    publish_proposal(session, proposal)
    return proposal


def _take_place(session: Session, proposal: Proposal) -> None:
    """Atomically take one place: the conditional UPDATE never lets `filled` pass capacity,
    also when many organisations' users accept at the same moment (row lock in PostgreSQL,
    one writer at a time in SQLite)."""
    if proposal.task_id is not None:
        result = session.execute(
            update(Task)
            .where(Task.id == proposal.task_id, Task.filled < Task.places, Task.status == OpeningStatus.OPEN)
            .values(filled=Task.filled + 1)
        )
    else:
        result = session.execute(
            update(TrainingSlot)
            .where(
                TrainingSlot.id == proposal.slot_id,
                TrainingSlot.filled < TrainingSlot.seats,
                TrainingSlot.status == OpeningStatus.OPEN,
            )
            .values(filled=TrainingSlot.filled + 1)
        )
    if result.rowcount != 1:
        raise NoPlaceLeft("Alle plaatsen zijn al vergeven.")


def organisation_decides(
    session: Session, principal: Principal, proposal: Proposal, accept: bool, reason: str | None
) -> Proposal:
    owner_role = AANNEMER if proposal.task_id is not None else OPLEIDER
    if principal.role not in (owner_role, BEHEERDER):
        raise Forbidden("Alleen de organisatie van deze plek beslist hierover.")
    target = ProposalStatus.AANNEMER_AKKOORD if accept else ProposalStatus.AANNEMER_AFGEWEZEN
    PROPOSAL.check(
        proposal.status, target, f"Dit voorstel wacht niet op uw besluit (status: {proposal.status})."
    )
    if not accept and reason not in ORG_DECLINE_REASONS:
        raise Invalid("Kies een reden.", {"reason": ["Kies een reden uit de lijst."]})
    if accept:
        _take_place(session, proposal)
        if proposal.task_id is not None:
            task = session.get(Task, proposal.task_id)
            assert task is not None
            placements.agree(session, proposal, task)
        else:
            session.add(
                Placement(
                    proposal_id=proposal.id,
                    programme_id=proposal.programme_id,
                    kind="inschrijving",
                    slot_id=proposal.slot_id,
                    status="afgesproken",
                    created_at=utcnow(),
                )
            )
        if proposal.slot_id is not None:
            session.flush()
            enrolments.from_proposal(session, proposal)  # aangemeld in the cohort (issue 9)
    proposal.status = target
    proposal.organisation_reason = None if accept else reason
    proposal.updated_at = utcnow()
    session.flush()
    publish_proposal(session, proposal)
    return proposal


def confirm_start(
    session: Session,
    principal: Principal,
    proposal: Proposal,
    started_on: date | None = None,
    early_start_reason: str | None = None,
) -> Proposal:
    """The organisation confirms the resident started (task: the placement's rules, see
    domain/placements.py) or enrolled (training)."""
    owner_role = AANNEMER if proposal.task_id is not None else OPLEIDER
    if principal.role not in (owner_role, BEHEERDER):
        raise Forbidden("Alleen de organisatie van deze plek bevestigt de start.")
    target = ProposalStatus.GEPLAATST if proposal.task_id is not None else ProposalStatus.INGESCHREVEN
    PROPOSAL.check(
        proposal.status, target, f"Eerst moeten beide kanten akkoord zijn (status: {proposal.status})."
    )
    placement = session.scalar(select(Placement).where(Placement.proposal_id == proposal.id))
    assert placement is not None
    if proposal.task_id is not None:
        placements.confirm_start(
            session, principal, placement, started_on or utcnow().date(), early_start_reason
        )
        return proposal
    placement.status = "gestart"
    placement.started_on = utcnow().date()
    proposal.status = target
    proposal.updated_at = utcnow()
    session.flush()
    publish_proposal(session, proposal)
    return proposal


OPEN = OPEN_PROPOSALS


def withdraw_for_candidate(session: Session, programme_id: str, reason: str, kind: str) -> int:
    """Consent withdrawn or resident gone: open proposals stop at once. `kind` says which:
    "employer" (tasks, and trainings that lead to a task), "trainer" (trainings) or "all"."""
    query = select(Proposal).where(Proposal.programme_id == programme_id, Proposal.status.in_(OPEN))
    if kind == "employer":
        query = query.where((Proposal.task_id.is_not(None)) | (Proposal.leads_to_task_id.is_not(None)))
    elif kind == "trainer":
        query = query.where(Proposal.slot_id.is_not(None))
    open_ = session.scalars(query).all()
    for p in open_:
        p.status = PROPOSAL.check(p.status, ProposalStatus.INGETROKKEN)
        p.coach_reason = reason
        p.updated_at = utcnow()
        publish_proposal(session, p)
    return len(open_)


def set_coach(session: Session, programme_id: str, coach_id: int | None) -> None:
    """Every proposal of the resident follows them to a new coach (after a reassignment in
    intake): open ones to decide, accepted ones to follow up, decided ones as their history."""
    session.execute(
        update(Proposal)
        .where(
            Proposal.programme_id == programme_id,
            Proposal.coach_id.is_distinct_from(coach_id),
        )
        .values(coach_id=coach_id)
    )


def withdraw_for_opening(session: Session, *, task_id: int | None = None, slot_id: int | None = None) -> int:
    """A closed task or slot takes its open proposals with it."""
    column = Proposal.task_id if task_id is not None else Proposal.slot_id
    open_ = session.scalars(
        select(Proposal).where(column == (task_id or slot_id), Proposal.status.in_(OPEN))
    ).all()
    for p in open_:
        p.status = PROPOSAL.check(p.status, ProposalStatus.INGETROKKEN)
        p.organisation_reason = "plek_gesloten"
        p.updated_at = utcnow()
        publish_proposal(session, p)
    return len(open_)
