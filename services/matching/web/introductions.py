"""The organisation's introductions page: residents it may now contact, with name and the one
contact channel they chose. Intake owns those and decides (consent, own organisation); this page
asks intake as the person looking (shared/peers.py), and intake logs every read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from services.matching.models import Proposal
from services.matching.web.helpers import render
from services.matching.web.views import bp
from shared.auth.roles import AANNEMER, OPLEIDER
from shared.auth.web import roles_required
from shared.composed import Lookup
from shared.peers import PeerUnavailable
from shared.runtime import service_context
from shared.web import db_session


def _all_introductions() -> Lookup:
    peers = service_context().peers
    if not peers.knows("intake"):
        return Lookup(unavailable=True)
    try:
        reply = peers.get("intake", "/api/v1/introductions")
    except PeerUnavailable:
        return Lookup(unavailable=True)
    if not reply.ok or not isinstance(reply.body, list):
        return Lookup(unavailable=True)
    return Lookup({item["proposal_id"]: item for item in reply.body})


@bp.get("/kennismakingen")
@roles_required(AANNEMER, OPLEIDER)
def introductions_page() -> Any:
    found = _all_introductions()
    proposals = {
        p.id: p for p in db_session().scalars(select(Proposal).where(Proposal.id.in_(list(found.found))))
    }
    items = []
    for proposal_id, intro in found.found.items():
        p = proposals.get(proposal_id)
        granted = intro.get("granted_at")
        items.append(
            {
                **intro,
                "granted": datetime.fromisoformat(granted) if granted else None,
                "link": (
                    f"/matching/taken/{p.task_id}#p{p.id}"
                    if p is not None and p.task_id
                    else f"/matching/plekken/{p.slot_id}#p{p.id}"
                    if p is not None and p.slot_id
                    else None
                ),
            }
        )
    return render(
        "matching/introductions.html", items=items, unavailable=found.unavailable, nav_current="introductions"
    )
