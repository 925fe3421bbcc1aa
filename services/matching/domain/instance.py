"""Build the engine's input (`instap.match/1`) from the candidate projection and open supply."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.matching.models import Candidate, Proposal, Task, TrainingSlot
from shared.states import OpeningStatus, ProposalStatus, Stage

# Candidates who are placed, or in the middle of an accepted proposal, are not matched again.
ENGAGED_STATUSES = (
    ProposalStatus.COACH_AKKOORD,
    ProposalStatus.AANNEMER_AKKOORD,
    ProposalStatus.GEPLAATST,
    ProposalStatus.INGESCHREVEN,
)
BUSY_STAGES = (Stage.GEPLAATST, Stage.DUURZAAM, Stage.UITGEVALLEN, Stage.GESTOPT)


@dataclass
class Built:
    """The instance plus the maps back to database rows."""

    instance: dict[str, Any]
    tasks: dict[str, Task] = field(default_factory=dict)
    slots: dict[str, TrainingSlot] = field(default_factory=dict)
    candidates: dict[str, Candidate] = field(default_factory=dict)


def task_key(task_id: int) -> str:
    return f"task:{task_id}"


def slot_key(slot_id: int) -> str:
    return f"slot:{slot_id}"


def _resident(c: Candidate, today: date) -> dict[str, Any]:
    return {
        "id": c.programme_id,
        "wijk": c.wijk,
        "language": {"spoken": c.language_spoken or "pre_A1", "written": c.language_written or "pre_A1"},
        "certificates": [
            {"code": x["code"], "valid_until": x.get("valid_until")} for x in c.certificates or []
        ],
        "driving_licence": c.driving_licence,
        "hours_per_week": c.hours_per_week or 0,
        "available_from": (c.available_from or today).isoformat(),
        "interests": list(c.interests or []),
        "skills": list(c.skills or []),
        "work_at_height": c.work_at_height,
        "heavy_work": c.heavy_work,
    }


def _reserved(session: Session) -> tuple[dict[int, int], dict[int, int]]:
    """Places promised by proposals accepted by the coach but not yet by the organisation."""
    tasks: dict[int, int] = {}
    slots: dict[int, int] = {}
    for p in session.scalars(select(Proposal).where(Proposal.status == ProposalStatus.COACH_AKKOORD)):
        if p.task_id is not None:
            tasks[p.task_id] = tasks.get(p.task_id, 0) + 1
        if p.slot_id is not None:
            slots[p.slot_id] = slots.get(p.slot_id, 0) + 1
    return tasks, slots


def build(
    session: Session,
    today: date,
    *,
    candidate_ids: list[str] | None = None,
    task_ids: list[int] | None = None,
    slot_ids: list[int] | None = None,
) -> Built:
    """Open tasks and slots with room left, and the candidates who may be proposed.

    A candidate is in only with consent to share with an employer or a trainer; the
    engine's arcs are filtered by which of the two (see runs.consent_filter).
    """
    engaged = set(session.scalars(select(Proposal.programme_id).where(Proposal.status.in_(ENGAGED_STATUSES))))
    query = (
        select(Candidate)
        .where(
            (Candidate.share_with_employer.is_(True)) | (Candidate.share_with_trainer.is_(True)),
            Candidate.stage.not_in(BUSY_STAGES),
            Candidate.removed_at.is_(None),
        )
        .order_by(Candidate.programme_id)
    )
    if candidate_ids is not None:
        query = query.where(Candidate.programme_id.in_(candidate_ids))
    candidates = {c.programme_id: c for c in session.scalars(query) if c.programme_id not in engaged}

    reserved_tasks, reserved_slots = _reserved(session)
    built = Built(
        instance={"format": "instap.match/1", "date": today.isoformat(), "residents": [], "openings": []}
    )
    task_query = (
        select(Task).where(Task.status == OpeningStatus.OPEN, Task.start_date >= today).order_by(Task.id)
    )
    if task_ids is not None:
        task_query = task_query.where(Task.id.in_(task_ids))
    for t in session.scalars(task_query):
        room = t.places - t.filled - reserved_tasks.get(t.id, 0)
        if room <= 0:
            continue
        key = task_key(t.id)
        built.tasks[key] = t
        built.instance["openings"].append(
            {
                "id": key,
                "kind": "task",
                "occupation": t.occupation,
                "capacity": room,
                "wijk": t.wijk,
                "start_date": t.start_date.isoformat(),
                "hours_per_week": t.hours_per_week,
                "skills": list(t.skills or []),
                "requires": {
                    "certificates": list(t.req_certificates or []),
                    "language_spoken": t.req_language_spoken,
                    "language_written": t.req_language_written,
                    "driving_licence": t.req_driving_licence,
                    "work_at_height": t.req_work_at_height,
                    "heavy_work": t.req_heavy_work,
                },
            }
        )
    slot_query = (
        select(TrainingSlot)
        .where(TrainingSlot.status == OpeningStatus.OPEN, TrainingSlot.start_date >= today)
        .order_by(TrainingSlot.id)
    )
    if slot_ids is not None:
        slot_query = slot_query.where(TrainingSlot.id.in_(slot_ids))
    for s in session.scalars(slot_query):
        room = s.seats - s.filled - reserved_slots.get(s.id, 0)
        if room <= 0:
            continue
        key = slot_key(s.id)
        built.slots[key] = s
        built.instance["openings"].append(
            {
                "id": key,
                "kind": "training",
                "occupation": (s.occupations or ["onbekend"])[0],
                "capacity": room,
                "start_date": s.start_date.isoformat(),
                "weeks": s.weeks,
                "grants": list(s.grants or []),
                "requires": {"language_spoken": s.min_language_spoken},
            }
        )
    for pid, c in candidates.items():
        built.candidates[pid] = c
        built.instance["residents"].append(_resident(c, today))
    return built
