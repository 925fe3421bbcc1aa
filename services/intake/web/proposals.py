"""The proposals section of a resident's page, asked from matching as the coach looking
(shared/peers.py): matching decides what this coach may see; intake adds nothing to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from services.intake.domain import audit
from services.intake.models import Resident
from shared.auth.accounts import Principal, organisation_names
from shared.peers import PeerUnavailable
from shared.runtime import service_context
from shared.web import db_session

ACCEPTED_BY_BOTH = ("aannemer_akkoord", "geplaatst", "ingeschreven")
STATUS = {
    "voorgesteld": "Nieuw voorstel: bespreek het met de deelnemer",
    "coach_akkoord": "U gaf akkoord; wacht op de werkgever of opleider",
    "coach_afgewezen": "Afgewezen door de jobcoach",
    "aannemer_akkoord": "Allebei akkoord: maak kennis",
    "aannemer_afgewezen": "Afgewezen door de organisatie",
    "geplaatst": "Gestart",
    "ingeschreven": "Ingeschreven",
    "ingetrokken": "Ingetrokken",
}


@dataclass
class ProposalsSection:
    items: list[dict[str, Any]] = field(default_factory=list)
    unavailable: bool = False


def for_resident(principal: Principal, resident: Resident) -> ProposalsSection:
    """This resident's proposals, newest first; the introduction (organisation, opening, contact
    person) where both sides accepted, and that showing written to the audit log."""
    peers = service_context().peers
    if not peers.knows("matching"):
        return ProposalsSection(unavailable=True)
    try:
        reply = peers.get("matching", "/api/v1/proposals", {"programme_id": resident.programme_id})
    except PeerUnavailable:
        return ProposalsSection(unavailable=True)
    if not reply.ok or not isinstance(reply.body, list):
        return ProposalsSection(unavailable=True)
    items = sorted(reply.body, key=lambda p: p.get("updated_at") or "", reverse=True)
    org_ids = {p["opening"]["organisation_id"] for p in items if p.get("opening")}
    with service_context().accounts_db.unit_of_work() as accounts:
        names = organisation_names(accounts, org_ids)
    for p in items:
        opening = p.get("opening") or {}
        p["organisation"] = names.get(opening.get("organisation_id"), "")
        p["status_text"] = _(STATUS.get(p["status"], p["status"]))
        if p["status"] in ACCEPTED_BY_BOTH and p.get("contact"):
            audit.record(
                db_session(), principal, resident, "introduction_view", "page", f"voorstel {p['id']}"
            )
    return ProposalsSection(items)
