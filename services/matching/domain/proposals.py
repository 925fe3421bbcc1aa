"""Proposal lifecycle: coach with the resident, then the organisation; capacity held in the DB."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, select, update
from sqlalchemy.orm import Session

from services.matching.domain import enrolments, placements
from services.matching.domain.events import publish_proposal
from services.matching.models import Candidate, Enrolment, Placement, Proposal, Task, TrainingSlot
from shared import clock
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
    WrongState,
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


class ConsentWithdrawn(Conflict):
    """The candidate no longer shares their profile with this organisation (409, `consent_withdrawn`)."""

    code = "consent_withdrawn"


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


WITHDRAWN = "De deelnemer deelt zijn gegevens niet meer met u: dit voorstel is vervallen."


def may_share(proposal: Proposal) -> ColumnElement[bool]:
    """EXISTS: the candidate's consent still lets matching share them with this opening's
    organisation (employer for a task or a training that leads to one, trainer for a training).

    Used inside the conditional UPDATEs that take a place or confirm a start, so the check and
    the write are one statement. In PostgreSQL the candidate row is share-locked (FOR SHARE): a
    withdrawal, which first locks the candidate row (jobs.py), either waits for the accept to
    commit and then ends it, or commits first, and then this EXISTS re-reads the row and fails.
    In SQLite one writer at a time gives the same."""
    conditions = [Candidate.programme_id == proposal.programme_id, Candidate.removed_at.is_(None)]
    if proposal.task_id is not None or proposal.leads_to_task_id is not None:
        conditions.append(Candidate.share_with_employer.is_(True))
    if proposal.slot_id is not None:
        conditions.append(Candidate.share_with_trainer.is_(True))
    return select(Candidate.programme_id).where(*conditions).with_for_update(read=True).exists()


def card_visible(candidate: Candidate | None, proposal: Proposal) -> bool:
    """May the opening's organisation see this candidate's profile on the card? Only while the
    consent for its kind of organisation holds (the same rule as `may_share`)."""
    if candidate is None or candidate.removed_at is not None:
        return False
    if (
        proposal.task_id is not None or proposal.leads_to_task_id is not None
    ) and not candidate.share_with_employer:
        return False
    return not (proposal.slot_id is not None and not candidate.share_with_trainer)


def _take_place(session: Session, proposal: Proposal) -> None:
    """Atomically take one place: the conditional UPDATE never lets `filled` pass capacity,
    also when many organisations' users accept at the same moment (row lock in PostgreSQL,
    one writer at a time in SQLite), and never for a candidate whose consent is gone."""
    if proposal.task_id is not None:
        result = session.execute(
            update(Task)
            .where(
                Task.id == proposal.task_id,
                Task.filled < Task.places,
                Task.status == OpeningStatus.OPEN,
                may_share(proposal),
            )
            .values(filled=Task.filled + 1)
        )
    else:
        result = session.execute(
            update(TrainingSlot)
            .where(
                TrainingSlot.id == proposal.slot_id,
                TrainingSlot.filled < TrainingSlot.seats,
                TrainingSlot.status == OpeningStatus.OPEN,
                may_share(proposal),
            )
            .values(filled=TrainingSlot.filled + 1)
        )
    if result.rowcount != 1:
        if not session.scalar(select(may_share(proposal))):
            raise ConsentWithdrawn(WITHDRAWN)
        raise NoPlaceLeft("Alle plaatsen zijn al vergeven.")


def _move(session: Session, proposal: Proposal, from_status: str, to_status: str, *extra: Any) -> None:
    """Conditional status change: only if nobody (a withdrawal, a colleague) changed the
    proposal since it was read; else 409."""
    result = session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.status == from_status, *extra)
        .values(status=to_status, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        current = session.get(Proposal, proposal.id)
        if current is not None and current.status == from_status:
            raise ConsentWithdrawn(WITHDRAWN)
        raise WrongState(f"Dit voorstel is al behandeld (status: {current.status if current else '-'}).")
    session.refresh(proposal)


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
        # The place first (it share-locks the candidate row), then the proposal: the same order
        # as a withdrawal, so the two never deadlock.
        _take_place(session, proposal)
        _move(session, proposal, proposal.status, target)
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
    else:
        _move(session, proposal, proposal.status, target)
        proposal.organisation_reason = reason
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
    # Consent checked in the same statement that starts it: a withdrawn candidate never starts.
    _move(session, proposal, proposal.status, target, may_share(proposal))
    placement = session.scalar(select(Placement).where(Placement.proposal_id == proposal.id))
    assert placement is not None
    if proposal.task_id is not None:
        placements.confirm_start(
            session, principal, placement, started_on or clock.today(), early_start_reason
        )
        return proposal
    placement.status = "gestart"
    placement.started_on = clock.today()
    session.flush()
    publish_proposal(session, proposal)
    return proposal


def move_to_started(session: Session, proposal: Proposal) -> None:
    """An agreed task proposal becomes a started placement, only while consent holds."""
    PROPOSAL.check(proposal.status, ProposalStatus.GEPLAATST, "Eerst moeten beide kanten akkoord zijn.")
    _move(session, proposal, proposal.status, ProposalStatus.GEPLAATST, may_share(proposal))


OPEN = OPEN_PROPOSALS
# Everything before a started placement or enrolment: what a withdrawal of consent ends.
NOT_STARTED = (*OPEN, ProposalStatus.AANNEMER_AKKOORD)
STARTED = (ProposalStatus.GEPLAATST, ProposalStatus.INGESCHREVEN)


def lock_candidate(session: Session, programme_id: str) -> Candidate | None:
    """Lock the candidate row before ending proposals (see `may_share`): an accept in flight
    either committed already (and is ended below) or waits and then finds no consent."""
    return session.get(Candidate, programme_id, with_for_update=True)


def _release_place(session: Session, proposal: Proposal) -> None:
    """An accepted, not started proposal ends: its agreed placement goes and the place is free."""
    session.execute(
        delete(Placement).where(Placement.proposal_id == proposal.id, Placement.status != "gestart")
    )
    if proposal.task_id is not None:
        session.execute(
            update(Task).where(Task.id == proposal.task_id, Task.filled > 0).values(filled=Task.filled - 1)
        )
    elif session.scalar(select(Enrolment.id).where(Enrolment.proposal_id == proposal.id)) is None:
        # With an enrolment, the seat is the enrolment's: enrolments.end_for_candidate gives it back.
        session.execute(
            update(TrainingSlot)
            .where(TrainingSlot.id == proposal.slot_id, TrainingSlot.filled > 0)
            .values(filled=TrainingSlot.filled - 1)
        )


def _for_candidate(programme_id: str, kind: str, statuses: tuple[str, ...]) -> Select:
    query = select(Proposal).where(Proposal.programme_id == programme_id, Proposal.status.in_(statuses))
    if kind == "employer":
        query = query.where((Proposal.task_id.is_not(None)) | (Proposal.leads_to_task_id.is_not(None)))
    elif kind == "trainer":
        query = query.where(Proposal.slot_id.is_not(None))
    return query.order_by(Proposal.id).with_for_update()


def withdraw_for_candidate(session: Session, programme_id: str, reason: str, kind: str) -> int:
    """Consent withdrawn or resident gone: every proposal that has not become a started
    placement or enrolment stops at once, also one both sides accepted (its place is given
    back). `kind` says which: "employer" (tasks, and trainings that lead to a task), "trainer"
    (trainings) or "all". Callers lock the candidate first (`lock_candidate`)."""
    if kind in ("employer", "all"):
        # Agreed placements are called off as placements (an event intake and the reports see;
        # the place given back once); their proposals are then no longer "not started" here.
        placements.cancel_unstarted_placements(session, programme_id)
    ended = session.scalars(_for_candidate(programme_id, kind, NOT_STARTED)).all()
    for p in ended:
        if p.status == ProposalStatus.AANNEMER_AKKOORD:
            _release_place(session, p)
        p.status = PROPOSAL.check(p.status, ProposalStatus.INGETROKKEN)
        p.coach_reason = reason
        p.updated_at = utcnow()
        publish_proposal(session, p)
    return len(ended)


def erase_for_candidate(session: Session, programme_id: str) -> None:
    """Right to erasure: proposals that did not become a started placement are deleted (with
    their agreed placement, the place given back); a started placement stays as the
    organisation's record, without the explanation that described the person."""
    gone = select(Proposal).where(Proposal.programme_id == programme_id, Proposal.status.not_in(STARTED))
    for p in session.scalars(gone.order_by(Proposal.id).with_for_update()).all():
        if p.status == ProposalStatus.AANNEMER_AKKOORD:
            _release_place(session, p)
        session.execute(delete(Placement).where(Placement.proposal_id == p.id))
        session.execute(update(Enrolment).where(Enrolment.proposal_id == p.id).values(proposal_id=None))
        session.delete(p)
    session.execute(
        update(Proposal)
        .where(Proposal.programme_id == programme_id)
        .values(explanation={}, explanation_nl="", coach_reason=None)
        .execution_options(synchronize_session=False)
    )
    session.flush()


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
