"""RQ jobs of the matching service: apply events from intake to the candidate projection."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from services.matching.models import Candidate, InboxEvent
from shared.jobs import apply_once
from shared.runtime import service_context


def _upsert_candidate(session: Session, p: dict[str, Any], _env: dict[str, Any]) -> None:
    candidate = session.get(Candidate, p["programme_id"])
    if candidate is not None and candidate.profile_updated_at >= p["updated_at"]:
        return  # a newer profile is already here
    if candidate is None:
        candidate = Candidate(programme_id=p["programme_id"])
        session.add(candidate)
    candidate.wijk = p["wijk"]
    candidate.pc4 = p.get("pc4")
    candidate.age_band = p["age_band"]
    candidate.stage = p["stage"]
    candidate.language_spoken = p["language"].get("spoken")
    candidate.language_written = p["language"].get("written")
    candidate.certificates = [
        {"code": c["code"], "valid_until": c["valid_until"].isoformat() if c.get("valid_until") else None}
        for c in p["certificates"]]
    candidate.driving_licence = p["driving_licence"]
    candidate.own_transport = p["own_transport"]
    candidate.hours_per_week = p.get("hours_per_week")
    candidate.days = p["days"]
    candidate.available_from = p.get("available_from")
    candidate.interests = p["interests"]
    candidate.skills = p["skills"]
    candidate.work_at_height = p["work_at_height"]
    candidate.heavy_work = p["heavy_work"]
    candidate.share_with_employer = bool(p["consent"].get("delen_werkgever"))
    candidate.share_with_trainer = bool(p["consent"].get("delen_opleider"))
    candidate.profile_updated_at = p["updated_at"]


def _remove_candidate(session: Session, p: dict[str, Any], _env: dict[str, Any]) -> None:
    candidate = session.get(Candidate, p["programme_id"])
    if candidate is not None:
        session.delete(candidate)


def _consent_changed(session: Session, p: dict[str, Any], _env: dict[str, Any]) -> None:
    # Withdrawal takes effect at once, even before the next profile event arrives.
    candidate = session.get(Candidate, p["programme_id"])
    if candidate is None or p["active"]:
        return
    if p["purpose"] == "delen_werkgever":
        candidate.share_with_employer = False
    elif p["purpose"] == "delen_opleider":
        candidate.share_with_trainer = False
    elif p["purpose"] == "registratie":
        session.delete(candidate)


HANDLERS = {
    "candidate.upserted": _upsert_candidate,
    "candidate.removed": _remove_candidate,
    "resident.erased": _remove_candidate,
    "consent.changed": _consent_changed,
}


def handle_event(env: dict[str, Any]) -> bool:
    """Entry point the outbox relay enqueues; safe to run any number of times."""
    ctx = service_context()
    return apply_once(ctx.db, InboxEvent, env, HANDLERS)
