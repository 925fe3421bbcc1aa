"""Certificates earned in a training come back from matching (certificate.changed) into the
resident's profile: intake owns the resident, so intake adds them and sends the new profile, and
the next match run sees the certificate (a training's `leads_to` task can then be proposed)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.intake.domain import audit, funnel, publishing
from services.intake.domain.introductions import _System
from services.intake.models import Resident, ResidentCertificate
from shared import reference


def on_certificate_changed(session: Session, p: dict[str, Any], _env: dict[str, Any]) -> None:
    """Issued: the certificate joins the profile (a praktijkverklaring also moves the resident
    to `gecertificeerd` where the funnel allows it). Revoked: the certificate it added goes."""
    resident = session.scalar(select(Resident).where(Resident.programme_id == p["programme_id"]))
    if resident is None or resident.erased_at is not None:
        return
    code = p.get("certificate_code") or p["kind"]
    if code not in reference.codes("certificates"):
        return
    held = next((c for c in resident.certificates if c.code == code), None)
    if p["status"] == "valid":
        if held is None:
            resident.certificates.append(
                ResidentCertificate(code=code, obtained_on=p["issued_on"], valid_until=p.get("valid_until"))
            )
        elif held.obtained_on is None or held.obtained_on <= p["issued_on"]:
            held.obtained_on = p["issued_on"]
            held.valid_until = p.get("valid_until")
        action = "certificate_received"
    else:
        if held is not None and held.obtained_on == p["issued_on"]:
            resident.certificates.remove(held)
        action = "certificate_revoked"
    audit.record(
        session,
        _System(),  # type: ignore[arg-type]
        resident,
        action,
        "job",
        f"certificaat {p['certificate_id']}",
        organisation_id=p["organisation_id"],
    )
    session.flush()
    if (
        p["status"] == "valid"
        and code == "praktijkverklaring"
        and "gecertificeerd" in reference.STAGE_TRANSITIONS.get(resident.stage, ())
    ):
        funnel.change_stage(session, _System(), resident, "gecertificeerd", None)  # type: ignore[arg-type]
        return  # change_stage sends the new profile
    publishing.publish_profile(session, resident)
