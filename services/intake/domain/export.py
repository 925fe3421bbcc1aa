"""Right of access (AVG art. 15): everything Instap holds on one resident, as one document.

Intake's own data, the introductions (which organisation received the name and a contact
channel, and when), and what matching holds (candidate profile, proposals with their
explanations, placements, enrolments), asked from matching's API with the credentials of the
coach or beheerder who asks (shared/peers.py): matching applies its own access rule.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.intake.domain.introductions import chosen_channel, for_resident
from services.intake.models import AuditEntry, OutboxEvent, Resident
from shared.auth.models import Organisation
from shared.peers import PeerUnavailable
from shared.runtime import service_context

PURPOSE_FOR_KIND = {"task": "delen_werkgever", "training": "delen_opleider"}


def matching_part(programme_id: str) -> dict[str, Any]:
    """What matching holds: `status` is "ok" (with `data`), "niets" (nothing held) or
    "onbereikbaar" (matching did not answer; the export says so instead of failing)."""
    ctx = service_context()
    if not ctx.peers.knows("matching"):
        return {"status": "onbereikbaar", "data": None}
    try:
        reply = ctx.peers.get("matching", f"/api/v1/subjects/{programme_id}")
    except PeerUnavailable:
        return {"status": "onbereikbaar", "data": None}
    if reply.status == 404:
        return {"status": "niets", "data": None}
    if not reply.ok or not isinstance(reply.body, dict):
        return {"status": "onbereikbaar", "data": None}
    return {"status": "ok", "data": reply.body}


def introductions_part(session: Session, resident: Resident) -> list[dict[str, Any]]:
    intros = for_resident(session, resident)
    with service_context().accounts_db.unit_of_work() as accounts:
        names = {
            o.id: o.name
            for o in accounts.scalars(
                select(Organisation).where(Organisation.id.in_({i.organisation_id for i in intros}))
            )
        }
    contact = chosen_channel(resident)
    records = {c.id: c for c in resident.consents}
    out = []
    for intro in intros:
        record = records.get(intro.consent_record_id) if intro.consent_record_id else None
        out.append(
            {
                "organisation": names.get(intro.organisation_id, f"organisatie {intro.organisation_id}"),
                "kind": intro.kind,
                "opening_title": intro.opening_title,
                "granted_at": intro.granted_at.isoformat(),
                "shared": ["naam", contact],
                "consent_purpose": PURPOSE_FOR_KIND[intro.kind],
                "still_shown": record is not None and record.withdrawn_at is None,
            }
        )
    return out


def export(session: Session, resident: Resident) -> dict[str, Any]:
    def iso(value: Any) -> Any:
        return value.isoformat() if value is not None else None

    audit = session.scalars(
        select(AuditEntry).where(AuditEntry.resident_id == resident.id).order_by(AuditEntry.id)
    ).all()
    events = session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.subject == resident.programme_id)
        .order_by(OutboxEvent.created_at, OutboxEvent.seq)
    ).all()
    return {
        "format": "instap.resident-export/1",
        "programme_id": resident.programme_id,
        "personal": {
            k: getattr(resident, k)
            for k in (
                "first_name",
                "last_name",
                "phone",
                "email",
                "contact_preference",
                "street",
                "house_number",
                "postcode",
                "city",
                "birth_year",
                "gender",
            )
        },
        "profile": {
            "wijk": resident.wijk,
            "pc4": resident.pc4,
            "language": {"spoken": resident.language_spoken, "written": resident.language_written},
            "driving_licence": resident.driving_licence,
            "own_transport": resident.own_transport,
            "hours_per_week": resident.hours_per_week,
            "days": resident.days,
            "available_from": iso(resident.available_from),
            "interests": resident.interests,
            "skills": resident.skills,
            "work_experience": resident.work_experience,
            "barriers": resident.barriers,
            "income": resident.income,
            "work_at_height": resident.work_at_height,
            "heavy_work": resident.heavy_work,
            "stage": resident.stage,
        },
        "certificates": [
            {"code": c.code, "obtained_on": iso(c.obtained_on), "valid_until": iso(c.valid_until)}
            for c in resident.certificates
        ],
        "participatieladder": [
            {"trede": m.trede, "measured_at": iso(m.measured_at)} for m in resident.ladder
        ],
        "consents": [
            {
                "purpose": c.purpose,
                "given_at": iso(c.given_at),
                "method": c.method,
                "info_version": c.info_version,
                "withdrawn_at": iso(c.withdrawn_at),
            }
            for c in resident.consents
        ],
        "stage_history": [
            {
                "from": s.from_stage,
                "to": s.to_stage,
                "reason_code": s.reason_code,
                "changed_at": iso(s.changed_at),
            }
            for s in resident.stage_changes
        ],
        "notes": [
            {"author": n.author_name, "body": n.body, "created_at": iso(n.created_at)} for n in resident.notes
        ],
        "shared_with_other_services": [{"type": e.type, "at": iso(e.created_at)} for e in events],
        "introductions": introductions_part(session, resident),
        "matching": matching_part(resident.programme_id),
        "access_log": [
            {
                "at": iso(a.at),
                "by": a.actor_name,
                "role": a.actor_role,
                "action": a.action,
                "channel": a.channel,
            }
            for a in audit
        ],
        "created_at": iso(resident.created_at),
    }
