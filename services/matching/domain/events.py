"""What matching tells other services (outbox): proposals, enrolments and certificates, each
numbered per subject.

Each proposal counts its own events (`Proposal.version`); the event carries the proposal as its
subject and that number, so intake never lets an older status (say "accepted") undo a newer one
("withdrawn") when RQ delivers them the other way round.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.matching.models import (
    Certificate,
    Enrolment,
    OutboxEvent,
    Placement,
    Proposal,
    Task,
    TrainingSlot,
)
from shared.db import utcnow
from shared.outbox import add_event


def publish_proposal(
    session: Session, proposal: Proposal, opening: Task | TrainingSlot | None = None, *, new: bool = False
) -> None:
    """Number and write the proposal's event. `new`: a proposal just inserted with version 1
    (a match run stores thousands at once; no extra round trip each). `opening` may be passed by
    callers that have it, saving a lookup per proposal."""
    if not new:
        # In the database, not in Python: two transactions changing one proposal count both.
        proposal.version = Proposal.version + 1  # type: ignore[assignment]
        session.flush()
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
        subject=f"proposal:{proposal.id}",
        seq=proposal.version,
    )


def publish_placement(session: Session, placement: Placement, task: Task | None = None) -> None:
    """Number and write the placement's event (subject `placement:<id>`, seq = its version).
    Codes and dates only: the programme id is the resident's pseudonym, no name travels."""
    placement.version = Placement.version + 1  # type: ignore[assignment]
    session.flush()
    session.refresh(placement, ["version"])
    task = task or (session.get(Task, placement.task_id) if placement.task_id is not None else None)
    assert task is not None
    add_event(
        session,
        OutboxEvent,
        "placement.changed",
        {
            "placement_id": placement.id,
            "programme_id": placement.programme_id,
            "proposal_id": placement.proposal_id,
            "task_id": task.id,
            "organisation_id": task.organisation_id,
            "corporation": task.corporation,
            "project": task.project,
            "occupation": task.occupation,
            "contract_type": placement.contract_type,
            "hours_per_week": placement.hours_per_week,
            "wage_subsidy": placement.wage_subsidy,
            "jobcoach_support": placement.jobcoach_support,
            "sroi_tag": placement.sroi_tag,
            "status": placement.status,
            "planned_start": placement.planned_start,
            "started_on": placement.started_on,
            "ended_on": placement.ended_on,
            "end_reason": placement.end_reason,
            "changed_at": utcnow(),
        },
        subject=f"placement:{placement.id}",
        seq=placement.version,
    )


def _next_version(session: Session, row: Any) -> None:
    """Count the row's events in the database (two transactions changing one row count both)."""
    row.version = type(row).version + 1
    session.flush()
    session.refresh(row, ["version"])


def publish_enrolment(session: Session, enrolment: Enrolment) -> None:
    """enrolment.changed v1, numbered per enrolment (subject enrolment:<id>)."""
    _next_version(session, enrolment)
    slot = enrolment.slot or session.get(TrainingSlot, enrolment.slot_id)
    assert slot is not None
    add_event(
        session,
        OutboxEvent,
        "enrolment.changed",
        {
            "enrolment_id": enrolment.id,
            "programme_id": enrolment.programme_id,
            "slot_id": slot.id,
            "organisation_id": slot.organisation_id,
            "training": slot.name,
            "crebo": slot.crebo,
            "status": enrolment.status,
            "reason_code": enrolment.reason_code,
            "proposal_id": enrolment.proposal_id,
            "started_on": enrolment.started_on,
            "ended_on": enrolment.ended_on,
            "changed_at": utcnow(),
        },
        subject=f"enrolment:{enrolment.id}",
        seq=enrolment.version,
    )


def publish_certificate(session: Session, certificate: Certificate, training: str | None) -> None:
    """certificate.changed v1, numbered per certificate (subject certificate:<id>): intake adds
    the certificate to the resident's profile (or takes it off after a revocation)."""
    _next_version(session, certificate)
    add_event(
        session,
        OutboxEvent,
        "certificate.changed",
        {
            "certificate_id": certificate.id,
            "programme_id": certificate.programme_id,
            "kind": certificate.kind,
            "certificate_code": certificate.kind,
            "training": training,
            "crebo": certificate.crebo,
            "organisation_id": certificate.organisation_id,
            "enrolment_id": certificate.enrolment_id,
            "status": "revoked" if certificate.revoked_at else "valid",
            "issued_on": certificate.issued_on,
            "valid_until": certificate.valid_until,
            "revoked_at": certificate.revoked_at,
            "changed_at": utcnow(),
        },
        subject=f"certificate:{certificate.id}",
        seq=certificate.version,
    )
