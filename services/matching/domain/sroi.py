"""SROI export: a contractor's started placements per SROI tag and period, as CSV.

Social-return monitors ask, per contract (the SROI tag), for each person placed: start and end
date, contract type and hours; the bureau's monitor then values the hours. The file gives those
per placement plus the hours worked inside the period asked for (hours per week × weeks in the
period), so a contractor can copy the rows without recounting. Semicolons and a UTF-8 byte order
mark: the way Dutch spreadsheet programs open a CSV without asking.

`deelnemer_pseudoniem` is the contractor's pseudonym of the resident for the task (the one on its
candidate card, domain/pseudonyms.py), whoever downloads the file: the file goes on to the
social-return monitor, outside the programme, and the programmabureau's copy matches the
contractor's row for row. Never the programme id.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.matching.domain import pseudonyms
from services.matching.domain.placements import BEEINDIGD, GESTART, visible
from services.matching.models import Placement, Task
from shared.auth.accounts import Principal
from shared.errors import Invalid

COLUMNS = (
    "sroi_kenmerk",
    "plaatsing",
    "deelnemer_pseudoniem",
    "instaptaak",
    "project",
    "woningcorporatie",
    "soort_contract",
    "uren_per_week",
    "startdatum",
    "einddatum",
    "loonkostensubsidie",
    "jobcoach",
    "weken_in_periode",
    "uren_in_periode",
)
# A cell a spreadsheet would run as a formula (CSV injection) gets a leading apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def overlap_days(self, started_on: date, ended_on: date | None) -> int:
        first = max(self.start, started_on)
        last = min(self.end, ended_on or self.end)
        return max(0, (last - first).days + 1)


def period(start: date, end: date) -> Period:
    if end < start:
        message = "Het einde van de periode ligt voor het begin."
        raise Invalid(message, {"to": [message]})
    if (end - start).days > 3 * 366:
        message = "Kies een periode van hoogstens drie jaar."
        raise Invalid(message, {"to": [message]})
    return Period(start, end)


def rows(session: Session, principal: Principal, sroi_tag: str | None, within: Period) -> list[Placement]:
    """Started (or ended) placements the principal may see that overlap the period."""
    query = (
        visible(select(Placement), principal)
        .where(
            Placement.status.in_((GESTART, BEEINDIGD)),
            Placement.started_on <= within.end,
            or_(Placement.ended_on.is_(None), Placement.ended_on >= within.start),
        )
        .order_by(Placement.sroi_tag, Placement.started_on, Placement.id)
    )
    if sroi_tag:
        query = query.where(Placement.sroi_tag == sroi_tag)
    return list(session.scalars(query))


def _safe(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(items: Iterable[Placement], tasks: dict[int, Task], within: Period, names: dict[int, str]) -> str:
    """`names`: placement id → the pseudonym in `deelnemer_pseudoniem`."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for p in items:
        task = tasks[p.task_id] if p.task_id is not None else None
        assert p.started_on is not None
        days = within.overlap_days(p.started_on, p.ended_on)
        weeks = round(days / 7, 1)
        hours = round(days / 7 * (p.hours_per_week or 0), 1)
        writer.writerow(
            [
                _safe(p.sroi_tag),
                p.id,
                names[p.id],
                _safe(task.title if task else ""),
                _safe(task.project if task else ""),
                _safe(task.corporation if task else ""),
                p.contract_type or "",
                p.hours_per_week or "",
                p.started_on.isoformat(),
                p.ended_on.isoformat() if p.ended_on else "",
                "ja" if p.wage_subsidy else "nee",
                "ja" if p.jobcoach_support else "nee",
                f"{weeks:.1f}".replace(".", ","),
                f"{hours:.1f}".replace(".", ","),
            ]
        )
    return out.getvalue()


def export(session: Session, principal: Principal, sroi_tag: str | None, start: date, end: date) -> str:
    within = period(start, end)
    items = rows(session, principal, sroi_tag, within)
    task_ids = {p.task_id for p in items if p.task_id is not None}
    tasks = {t.id: t for t in session.scalars(select(Task).where(Task.id.in_(task_ids)))} if task_ids else {}
    names = {p.id: pseudonyms.for_placement(session, p) for p in items}
    return to_csv(items, tasks, within, names)


def tags(session: Session, principal: Principal) -> list[str]:
    """The SROI tags on the principal's placements (for the export form)."""
    query = visible(select(Placement.sroi_tag), principal).where(Placement.sroi_tag.is_not(None)).distinct()
    return sorted(t for t in session.scalars(query) if t)
