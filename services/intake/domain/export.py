"""Right of access: everything intake holds on one resident, as one document."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.intake.models import AuditEntry, OutboxEvent, Resident


def export(session: Session, resident: Resident) -> dict[str, Any]:
    def iso(value: Any) -> Any:
        return value.isoformat() if value is not None else None

    audit = session.scalars(
        select(AuditEntry).where(AuditEntry.resident_id == resident.id).order_by(AuditEntry.id)
    ).all()
    events = session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.payload.contains(resident.programme_id))
        .order_by(OutboxEvent.created_at)
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
