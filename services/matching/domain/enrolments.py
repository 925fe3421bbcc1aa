"""Enrolments in a training slot (de Beroepentuin's cohort): states, dates, seats and attendance.

aangemeld → orientatie → opleiding → afgerond (only by issuing the praktijkverklaring, see
domain/certificates.py) or → uitgevallen (a reason code) from any running state. An enrolment
holds one seat of its slot (`TrainingSlot.filled`): an enrolment a coach enters takes one with a
conditional UPDATE (never more than `seats`, also under concurrent requests); one that comes from
an accepted proposal already holds the seat the acceptance took. Dropping out gives the seat back.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from services.matching.domain.events import publish_enrolment, publish_proposal
from services.matching.models import Attendance, Candidate, Enrolment, Proposal, TrainingSlot
from shared import clock, reference
from shared.auth.accounts import Principal
from shared.auth.roles import BEHEERDER, JOBCOACH, OPLEIDER
from shared.db import utcnow
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.states import PROPOSAL, ProposalStatus

ACTIVE = ("aangemeld", "orientatie", "opleiding")
# Steps a trainer takes by hand; afgerond only comes with a certificate (certificates.complete).
STEPS: dict[str, tuple[str, ...]] = {
    "aangemeld": ("orientatie", "opleiding", "uitgevallen"),
    "orientatie": ("opleiding", "uitgevallen"),
    "opleiding": ("uitgevallen",),
}
# Why someone leaves a training: the funnel's dropout reasons; the system adds its own.
DROPOUT_REASONS = reference.DROPOUT_REASONS
SYSTEM_REASONS = ("toestemming_ingetrokken", "gewist", "gestopt")
PRESENCE = ("aanwezig", "deels", "afwezig")
FULL = "Alle plekken in deze opleiding zijn al vergeven."


def _invalid(field: str, message: str) -> Invalid:
    return Invalid("Niet alle gegevens zijn goed ingevuld.", {field: [message]})


def visible(query: Select, principal: Principal) -> Select:
    """Which enrolments a principal may see: the trainer its own slots', a coach their own
    residents', a beheerder all."""
    if principal.role == BEHEERDER:
        return query
    if principal.role == OPLEIDER:
        own = select(TrainingSlot.id).where(TrainingSlot.organisation_id == principal.organisation_id)
        return query.where(Enrolment.slot_id.in_(own))
    if principal.role == JOBCOACH:
        if principal.user_id is None:
            raise Forbidden("Een token kan geen inschrijvingen van een coach zien.")
        return query.where(Enrolment.coach_id == principal.user_id)
    raise Forbidden("U heeft met uw rol geen toegang tot inschrijvingen.")


def get(session: Session, principal: Principal, enrolment_id: int) -> Enrolment:
    enrolment = session.scalar(visible(select(Enrolment), principal).where(Enrolment.id == enrolment_id))
    if enrolment is None:
        raise NotFound("Deze inschrijving is niet gevonden.")
    return enrolment


def cohort(session: Session, slot_id: int) -> list[Enrolment]:
    """Everyone enrolled in a slot, running phases first."""
    order = {s: i for i, s in enumerate((*ACTIVE, "afgerond", "uitgevallen"))}
    rows = session.scalars(select(Enrolment).where(Enrolment.slot_id == slot_id).order_by(Enrolment.id)).all()
    return sorted(rows, key=lambda e: (order.get(e.status, 9), e.id))


def _take_seat(session: Session, slot_id: int) -> None:
    """One seat, or a 409: `filled < seats` is checked by the UPDATE itself (row lock in
    PostgreSQL, one writer in SQLite), so concurrent requests never overbook a slot."""
    result = session.execute(
        update(TrainingSlot)
        .where(
            TrainingSlot.id == slot_id,
            TrainingSlot.filled < TrainingSlot.seats,
            TrainingSlot.status == "open",
        )
        .values(filled=TrainingSlot.filled + 1)
    )
    if result.rowcount != 1:
        raise Conflict(FULL)


def _give_seat_back(session: Session, slot_id: int) -> None:
    session.execute(
        update(TrainingSlot)
        .where(TrainingSlot.id == slot_id, TrainingSlot.filled > 0)
        .values(filled=TrainingSlot.filled - 1)
    )


def _insert(session: Session, enrolment: Enrolment) -> Enrolment:
    """Insert and publish. The callers check for an existing enrolment first; two requests racing
    past that check meet the unique indexes, which the API answers with a 409 (nothing written)."""
    session.add(enrolment)
    session.flush()
    publish_enrolment(session, enrolment)
    return enrolment


def from_proposal(session: Session, proposal: Proposal) -> Enrolment:
    """The trainer accepted a training proposal: the resident is aangemeld (the seat is taken)."""
    existing = session.scalar(select(Enrolment).where(Enrolment.proposal_id == proposal.id))
    if existing is not None:
        return existing
    assert proposal.slot_id is not None
    return _insert(
        session,
        Enrolment(
            programme_id=proposal.programme_id,
            slot_id=proposal.slot_id,
            proposal_id=proposal.id,
            coach_id=proposal.coach_id,
            source="voorstel",
            status="aangemeld",
            registered_on=clock.today(),
            created_at=utcnow(),
            updated_at=utcnow(),
        ),
    )


def enrol_accepted_proposal(session: Session, principal: Principal, proposal_id: int) -> Enrolment:
    """An enrolment for a training proposal both sides accepted (also one accepted before
    enrolments existed)."""
    from services.matching.domain import proposals

    try:
        proposal = proposals.get(session, principal, proposal_id)
    except NotFound:
        raise _invalid("proposal_id", "Dit voorstel bestaat niet of is niet van uw organisatie.") from None
    if proposal.slot_id is None:
        raise _invalid("proposal_id", "Dit voorstel gaat over een instaptaak, niet over een opleiding.")
    if proposal.status not in ("aannemer_akkoord", "ingeschreven"):
        raise Conflict(f"Eerst moeten beide kanten akkoord zijn (status: {proposal.status}).")
    if session.scalar(select(Enrolment.id).where(Enrolment.proposal_id == proposal.id)) is not None:
        raise Conflict("Voor dit voorstel bestaat al een inschrijving.")
    return from_proposal(session, proposal)


def enrol_by_coach(session: Session, principal: Principal, programme_id: str, slot_id: int) -> Enrolment:
    """A coach enters their own resident, who agreed to share with the trainer (delen_opleider)."""
    if principal.role not in (JOBCOACH, BEHEERDER):
        raise Forbidden("Alleen een jobcoach schrijft een deelnemer zelf in.")
    candidate = session.get(Candidate, programme_id)
    if (
        candidate is None
        or candidate.removed_at is not None
        or (principal.role == JOBCOACH and candidate.coach_id != principal.user_id)
    ):
        raise _invalid("programme_id", "Deze deelnemer staat niet in uw caseload.")
    if not candidate.share_with_trainer:
        raise _invalid(
            "programme_id",
            "De deelnemer heeft geen toestemming gegeven om gegevens te delen met de opleider.",
        )
    slot = session.get(TrainingSlot, slot_id)
    if slot is None:
        raise _invalid("slot_id", "Deze opleidingsplek bestaat niet.")
    if slot.status != "open":
        raise Conflict("Deze opleidingsplek is gesloten.")
    if session.scalar(
        select(Enrolment.id).where(Enrolment.programme_id == programme_id, Enrolment.status.in_(ACTIVE))
    ):
        raise Conflict("Deze deelnemer is al ingeschreven voor een opleiding die nog loopt.")
    if session.scalar(
        select(Enrolment.id).where(Enrolment.programme_id == programme_id, Enrolment.slot_id == slot_id)
    ):
        raise Conflict("Deze deelnemer was al ingeschreven voor deze opleiding.")
    _take_seat(session, slot_id)
    return _insert(
        session,
        Enrolment(
            programme_id=programme_id,
            slot_id=slot_id,
            coach_id=candidate.coach_id,
            source="coach",
            status="aangemeld",
            registered_on=clock.today(),
            created_at=utcnow(),
            updated_at=utcnow(),
        ),
    )


def _latest_date(enrolment: Enrolment) -> date:
    return enrolment.started_on or enrolment.orientation_on or enrolment.registered_on


def check_date(enrolment: Enrolment, on: date, field: str = "date") -> None:
    """Dates follow each other and are not in the future (they record what happened)."""
    if on > clock.today():
        raise _invalid(field, "Deze datum ligt in de toekomst. Vul de datum in waarop het gebeurde.")
    if on < _latest_date(enrolment):
        raise _invalid(
            field,
            f"Deze datum ligt voor de vorige stap ({_latest_date(enrolment).strftime('%d-%m-%Y')}).",
        )


def _owner(principal: Principal, enrolment: Enrolment) -> None:
    if principal.role not in (OPLEIDER, BEHEERDER):
        raise Forbidden("Alleen de opleider houdt de voortgang van een inschrijving bij.")
    if principal.role == OPLEIDER and enrolment.slot.organisation_id != principal.organisation_id:
        raise NotFound("Deze inschrijving is niet gevonden.")


def _confirm_proposal(session: Session, enrolment: Enrolment) -> None:
    """The enrolment's first step (or its end) confirms the proposal (`ingeschreven`): the
    resident is no longer waiting on it, and can later accept the task the training leads to.
    What happened in the training is the enrolment's to tell, not the proposal's."""
    if enrolment.proposal_id is None:
        return
    proposal = session.get(Proposal, enrolment.proposal_id)
    if proposal is not None and proposal.status == ProposalStatus.AANNEMER_AKKOORD:
        PROPOSAL.check(proposal.status, ProposalStatus.INGESCHREVEN)
        proposal.status = ProposalStatus.INGESCHREVEN
        proposal.updated_at = utcnow()
        session.flush()
        publish_proposal(session, proposal)


def _drop(session: Session, enrolment: Enrolment, reason: str, on: date) -> None:
    enrolment.status = "uitgevallen"
    enrolment.reason_code = reason
    enrolment.ended_on = on
    enrolment.updated_at = utcnow()
    _give_seat_back(session, enrolment.slot_id)
    _confirm_proposal(session, enrolment)
    session.flush()
    publish_enrolment(session, enrolment)


def move(
    session: Session, principal: Principal, enrolment: Enrolment, to: str, on: date | None, reason: str | None
) -> Enrolment:
    """One step by the trainer, with its date (today when none is given)."""
    _owner(principal, enrolment)
    if to == "afgerond":
        raise Conflict("Afronden gaat met de praktijkverklaring: gebruik 'afronden'.")
    allowed = STEPS.get(enrolment.status, ())
    if to not in allowed:
        raise Conflict(
            f"Van {enrolment.status} naar {to} kan niet. Wel mogelijk: "
            + (", ".join(allowed) or "geen")
            + "."
        )
    on = on or clock.today()
    check_date(enrolment, on)
    if to == "uitgevallen":
        if reason not in DROPOUT_REASONS:
            raise _invalid("reason", "Kies een reden van uitval uit de lijst.")
        _drop(session, enrolment, reason, on)
        return enrolment
    if reason:
        raise _invalid("reason", "Een reden hoort alleen bij uitval.")
    if to == "orientatie":
        enrolment.orientation_on = on
    else:
        enrolment.started_on = on
    enrolment.status = to
    enrolment.updated_at = utcnow()
    session.flush()
    _confirm_proposal(session, enrolment)
    publish_enrolment(session, enrolment)
    return enrolment


def record_attendance(
    session: Session, principal: Principal, enrolment: Enrolment, week: int, presence: str
) -> Attendance:
    """Attendance in week `week` (1 … the slot's weeks) of a running enrolment; recording it
    again replaces the week's value."""
    _owner(principal, enrolment)
    if presence not in PRESENCE:
        raise _invalid("presence", "Kies aanwezig, deels of afwezig.")
    if not 1 <= week <= enrolment.slot.weeks:
        raise _invalid("week", f"Kies een week van 1 tot en met {enrolment.slot.weeks}.")
    if enrolment.status not in ACTIVE:
        raise Conflict("De opleiding van deze deelnemer is al afgelopen.")
    row = session.get(Attendance, (enrolment.id, week))
    if row is None:
        row = Attendance(enrolment_id=enrolment.id, week=week, presence=presence, recorded_at=utcnow())
        session.add(row)
    else:
        row.presence = presence
        row.recorded_at = utcnow()
    enrolment.updated_at = utcnow()
    session.flush()
    return row


def end_for_candidate(session: Session, programme_id: str, reason: str) -> int:
    """`delen_opleider` withdrawn, or the resident left or was erased: running enrolments end
    (uitgevallen with a system reason, seat given back). Completed ones and their certificates
    stay: they belong to the resident."""
    running = session.scalars(
        select(Enrolment).where(Enrolment.programme_id == programme_id, Enrolment.status.in_(ACTIVE))
    ).all()
    for enrolment in running:
        _drop(
            session,
            enrolment,
            reason if reason in SYSTEM_REASONS else "toestemming_ingetrokken",
            clock.today(),
        )
    return len(running)


def as_dict(enrolment: Enrolment) -> dict[str, Any]:
    return {
        "id": enrolment.id,
        "programme_id": enrolment.programme_id,
        "slot_id": enrolment.slot_id,
        "proposal_id": enrolment.proposal_id,
        "source": enrolment.source,
        "status": enrolment.status,
        "reason_code": enrolment.reason_code,
        "registered_on": enrolment.registered_on,
        "orientation_on": enrolment.orientation_on,
        "started_on": enrolment.started_on,
        "ended_on": enrolment.ended_on,
        "attendance": [{"week": a.week, "presence": a.presence} for a in enrolment.attendance],
        "updated_at": enrolment.updated_at,
    }


def set_coach(session: Session, programme_id: str, coach_id: int | None) -> None:
    """A reassigned resident's enrolments follow them to the new coach (who sees them)."""
    session.execute(
        update(Enrolment)
        .where(Enrolment.programme_id == programme_id, Enrolment.coach_id.is_distinct_from(coach_id))
        .values(coach_id=coach_id)
    )
