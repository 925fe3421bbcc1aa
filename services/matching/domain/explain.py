"""Why a candidate fits an opening, in plain Dutch (B1), from the engine's per-criterion shares."""

from __future__ import annotations

from services.matching.models import Candidate, Task, TrainingSlot
from shared import reference

CERT_SHORT = {"vca_basis": "VCA", "vol_vca": "VOL-VCA", "rijbewijs_b": "rijbewijs B"}


def _cert(code: str) -> str:
    return CERT_SHORT.get(code, reference.names("certificates").get(code, code))


def _occupation(code: str) -> str:
    return reference.names("occupations").get(code, code).lower()


def _place(c: Candidate, wijk: str) -> str | None:
    if c.wijk == wijk:
        return "woont in dezelfde wijk"
    if wijk in reference.data().get("wijk_neighbours", {}).get(c.wijk, []):
        return "woont in de wijk ernaast"
    return None


def for_task(c: Candidate, task: Task) -> str:
    held = {x["code"] for x in c.certificates or []}
    parts: list[str] = []
    for code in task.req_certificates or []:
        parts.append(f"heeft {_cert(code)}")
    place = _place(c, task.wijk)
    if place:
        parts.append(place)
    if task.occupation in (c.interests or []):
        parts.append(f"wil graag werken als {_occupation(task.occupation)}")
    common = [s for s in (c.skills or []) if s in (task.skills or [])]
    if common:
        names = reference.names("skills")
        parts.append("kan al: " + ", ".join(names.get(s, s).lower() for s in common))
    if task.req_language_spoken:
        parts.append(f"spreekt Nederlands op niveau {c.language_spoken} (nodig: {task.req_language_spoken})")
    if not task.req_driving_licence and "rijbewijs_b" not in held and not c.driving_licence:
        parts.append("heeft geen rijbewijs → niet nodig voor deze taak")
    if not parts:
        parts.append("voldoet aan alle eisen van deze taak")
    return ", ".join(parts)


def for_slot(c: Candidate, slot: TrainingSlot, leads_to: Task | None) -> str:
    held = {x["code"] for x in c.certificates or []}
    parts: list[str] = []
    if leads_to is not None:
        missing = [code for code in leads_to.req_certificates or [] if code not in held]
        gained = [code for code in missing if code in (slot.grants or [])]
        if gained:
            parts.append("haalt hier " + " en ".join(_cert(g) for g in gained))
        parts.append(
            f"daarna aan de slag als {_occupation(leads_to.occupation)} "
            f"({leads_to.title}, start {leads_to.start_date:%d-%m-%Y})"
        )
    interests = [o for o in slot.occupations or [] if o in (c.interests or [])]
    if interests:
        parts.append(f"wil graag werken als {_occupation(interests[0])}")
    if not parts:
        parts.append("voldoet aan de eisen van deze opleiding")
    return ", ".join(parts)
