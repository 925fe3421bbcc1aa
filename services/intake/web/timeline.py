"""One timeline on the coach's resident page: intake → proposals → enrolment → certificates →
placement → follow-ups.

Intake's own steps (registration, intake, ladder, follow-ups) come from its tables; what matching
holds (proposals, enrolments, certificates, placements) is asked from matching's timeline API
with the coach's own credentials (shared/peers.py): matching applies its own rules and no copy is
kept here. Matching's entries carry their phase and their Dutch title, status and facts, so a kind
of entry matching starts to deliver (enrolments, certificates) appears without a change here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _

from services.intake.domain import followups
from services.intake.models import FollowUp, Resident
from services.intake.web.helpers import label
from shared.peers import PeerUnavailable
from shared.runtime import service_context

PHASES = (
    ("intake", "Intake"),
    ("voorstel", "Voorstellen"),
    ("inschrijving", "Opleiding"),
    ("certificaat", "Certificaten"),
    ("plaatsing", "Werk"),
    ("opvolging", "Opvolging na de start"),
)
FOLLOWUP_STATUS = {
    "gepland": "Gepland",
    "open": "Nu aan de beurt",
    "vastgelegd": "Vastgelegd",
    "vervallen": "Vervallen",
}
STILL_WORKING = {"ja": "Werkt nog", "nee": "Werkt niet meer", "onbekend": "Onbekend of nog aan het werk"}


@dataclass
class Item:
    on: date | None
    title: str
    status: str = ""
    status_label: str = ""
    facts: list[dict[str, str]] = field(default_factory=list)
    followup_id: int | None = None


@dataclass
class Timeline:
    phases: list[tuple[str, str, list[Item]]]
    matching_unavailable: bool = False


def _intake_items(resident: Resident) -> list[Item]:
    items = [Item(resident.created_at.date(), _("Aangemeld bij het programma"))]
    for change in resident.stage_changes:
        if change.to_stage == "intake":
            items.append(Item(change.changed_at.date(), _("Intake gedaan")))
    if resident.ladder:
        first = resident.ladder[0]
        items.append(
            Item(
                first.measured_at.date(),
                _("Participatieladder bij de intake"),
                facts=[{"label": _("Trede"), "value": f"{first.trede} – {label('ladder', first.trede)}"}],
            )
        )
    return items


def _followup_items(rows: list[FollowUp]) -> list[Item]:
    out = []
    for f in rows:
        facts = [{"label": _("Datum"), "value": f.due_on.strftime("%d-%m-%Y")}]
        if f.status == "vastgelegd":
            facts.append(
                {"label": _("Nog aan het werk"), "value": _(STILL_WORKING[f.still_working or "onbekend"])}
            )
            if f.trede:
                facts.append({"label": _("Trede"), "value": f"{f.trede} – {label('ladder', f.trede)}"})
        if f.cancelled_reason:
            reason = _("Geen toestemming voor contact na de plaatsing")
            facts.append({"label": _("Reden"), "value": reason})
        out.append(
            Item(
                f.due_on,
                _("%(months)s maanden na de start", months=f.month)
                if f.month > 1
                else _("1 maand na de start"),
                f.status,
                _(FOLLOWUP_STATUS[f.status]),
                facts,
                followup_id=f.id if f.status == "open" else None,
            )
        )
    return out


def _matching_items(programme_id: str) -> tuple[dict[str, list[Item]], bool]:
    """Matching's entries by phase, asked as the coach; (entries, unavailable)."""
    try:
        reply = service_context().peers.get("matching", f"/api/v1/timeline/{programme_id}")
    except PeerUnavailable:
        return {}, True
    if reply.status == 404:
        return {}, False  # matching knows nothing about this resident (yet)
    if not reply.ok or not isinstance(reply.body, list):
        return {}, True
    by_phase: dict[str, list[Item]] = {}
    for e in reply.body:
        by_phase.setdefault(e.get("phase", ""), []).append(
            Item(
                date.fromisoformat(e["on"]) if e.get("on") else None,
                e.get("title", ""),
                e.get("status", ""),
                e.get("status_label", ""),
                [f for f in e.get("facts", []) if f.get("value")],
            )
        )
    return by_phase, False


def build(session: Any, resident: Resident) -> Timeline:
    matching, unavailable = _matching_items(resident.programme_id)
    own = {
        "intake": _intake_items(resident),
        "opvolging": _followup_items(followups.of_resident(session, resident)),
    }
    phases = []
    for code, title in PHASES:
        items = own.get(code) or matching.get(code, [])
        phases.append((code, _(title), sorted(items, key=lambda i: i.on or date.min)))
    # A phase matching delivers that this page does not list yet still shows, at the end.
    for code, items in matching.items():
        if code not in dict(PHASES):
            phases.append((code, code.capitalize(), items))
    return Timeline(phases, unavailable)
