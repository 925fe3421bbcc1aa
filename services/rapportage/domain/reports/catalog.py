"""The reports: what each one counts, its dimensions, and its published `instap.table/1` document.

Every document leaves through `disclosure.publish` (suppression, then the independent audit of the
result with the true counts), whatever the format it is shown in later.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from services.rapportage import disclosure as dc
from services.rapportage.domain.reports import sources
from services.rapportage.domain.reports.query import ReportQuery
from shared.errors import Invalid

PERSON_CATEGORIES: dict[str, tuple[str, ...]] = {
    "wijk": dc.WIJKEN,
    "gender": dc.GENDERS,
    "age_band": dc.AGE_BANDS,
}
RETENTION_STEPS = ("gestart", "na_6_maanden", "na_6_en_12_maanden")
OUTREACH_MEASURES = ("activiteiten", "bereikt")


@dataclass(frozen=True)
class Measure:
    """The last, non-breakdown dimension of a report (its steps or its categories)."""

    name: str
    categories: tuple[str, ...]
    additive: bool = False
    cumulative: bool = False


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    unit: str
    breakdowns: tuple[str, ...]
    max_by: int
    default_by: tuple[str, ...]
    rows: Callable[[Session, ReportQuery], list[tuple[Any, ...]]]
    measure: Measure | None = None
    min_by: int = 0
    contractor_may_see: bool = False
    description: str = ""

    def categories(self, session: Session, name: str, q: ReportQuery) -> tuple[str, ...]:
        if name in PERSON_CATEGORIES:
            return PERSON_CATEGORIES[name]
        if name in sources.PLACEMENT_DIMS:
            found = sources.placement_categories(session, name, q.organisation_id)
        elif name in sources.CERTIFICATE_DIMS:
            found = sources.certificate_categories(session, name)
        else:
            raise Invalid(
                "Niet alle gegevens zijn goed ingevuld.", {"by": [f"Onbekende uitsplitsing '{name}'."]}
            )
        return tuple(found) or (sources.UNKNOWN,)

    def spec(self, session: Session, q: ReportQuery) -> dc.TableSpec:
        dims = [dc.Dimension(b, self.categories(session, b, q)) for b in q.by]
        if self.measure is not None:
            m = self.measure
            dims.append(dc.Dimension(m.name, m.categories, additive=m.additive))
            return dc.TableSpec(tuple(dims), cumulative=m.name if m.cumulative else None)
        return dc.TableSpec(tuple(dims))

    def table(self, session: Session, q: ReportQuery) -> dc.Table:
        spec = self.spec(session, q)
        counts = np.zeros(spec.shape, dtype=np.int64)
        positions = [{c: i for i, c in enumerate(d.categories)} for d in spec.dimensions]
        n_by = len(q.by)
        for row in self.rows(session, q):
            labels, level, count = row[:n_by], row[n_by], row[n_by + 1]
            index: list[int] = []
            for pos, label in zip(positions, labels, strict=False):
                index.append(
                    pos.get(str(label) if label is not None else sources.UNKNOWN, pos.get(sources.UNKNOWN, 0))
                )
            if self.measure is not None:
                index.append(int(level))
            counts[tuple(index)] += int(count)
        if self.measure is not None and self.measure.cumulative:
            axis = len(spec.dimensions) - 1
            counts = np.flip(np.cumsum(np.flip(counts, axis=axis), axis=axis), axis=axis)
        return dc.Table(spec, counts)


def _no_rows(_session: Session, _q: ReportQuery) -> list[tuple[Any, ...]]:
    return []  # outreach builds its table itself (OutreachReport.table)


def _bucket(day: Any, yearly: bool) -> str:
    return f"{day.year}" if yearly else f"{day.year}-{day.month:02d}"


def outreach_periods(q: ReportQuery) -> tuple[str, ...]:
    """Months of the period, or years when it spans more than 13 months (tables stay readable)."""
    months = (q.end.year - q.start.year) * 12 + q.end.month - q.start.month + 1
    if months > 13:
        return tuple(str(y) for y in range(q.start.year, q.end.year + 1))
    out = []
    y, m = q.start.year, q.start.month
    for _ in range(months):
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return tuple(out)


class OutreachReport(Report):
    def categories(self, session: Session, name: str, q: ReportQuery) -> tuple[str, ...]:
        if name == "maand":
            return outreach_periods(q)
        return super().categories(session, name, q)

    def table(self, session: Session, q: ReportQuery) -> dc.Table:
        periods = outreach_periods(q)
        yearly = len(periods[0]) == 4
        spec = self.spec(session, q)
        counts = np.zeros(spec.shape, dtype=np.int64)
        positions = [{c: i for i, c in enumerate(d.categories)} for d in spec.dimensions]
        for held_on, wijk, _kind, reached in sources.outreach_activities(session, q):
            labels = {"wijk": wijk, "maand": _bucket(held_on, yearly)}
            index = [positions[i].get(labels[b], 0) for i, b in enumerate(q.by)]
            counts[(*index, 0)] += 1
            counts[(*index, 1)] += int(reached)
        return dc.Table(spec, counts)


REPORTS: dict[str, Report] = {
    r.name: r
    for r in (
        Report(
            "funnel",
            dc.TITLE,
            "persons",
            tuple(PERSON_CATEGORIES),
            2,
            (),
            sources.funnel_rows,
            Measure("stage", dc.STAGES, cumulative=True),
            description=("Hoeveel deelnemers die zich in de periode aanmeldden, elke fase bereikten."),
        ),
        Report(
            "placements",
            "Plaatsingen in unieke personen",
            "persons",
            (*sources.PLACEMENT_DIMS, *PERSON_CATEGORIES),
            2,
            ("contractor",),
            sources.placement_rows,
            min_by=1,
            contractor_may_see=True,
            description=(
                "Deelnemers die in de periode aan een instapbaan begonnen (elk bij de eerste plaatsing)."
            ),
        ),
        Report(
            "certificates",
            "Certificaten in unieke personen",
            "persons",
            (*sources.CERTIFICATE_DIMS, *PERSON_CATEGORIES),
            2,
            ("kind",),
            sources.certificate_rows,
            min_by=1,
            description=("Deelnemers die in de periode een geldig certificaat kregen (elk bij het eerste)."),
        ),
        Report(
            "retention",
            "Nog aan het werk na 6 en 12 maanden",
            "persons",
            tuple(PERSON_CATEGORIES),
            1,
            (),
            sources.retention_rows,
            Measure("step", RETENTION_STEPS, cumulative=True),
            description=(
                "Deelnemers die in de periode begonnen, en wie bij de nazorg na 6 (en 12) maanden nog werkte."
            ),
        ),
        Report(
            "ladder",
            "Beweging op de Participatieladder",
            "persons",
            tuple(PERSON_CATEGORIES),
            1,
            (),
            sources.ladder_rows,
            Measure("move", sources.LADDER_MOVES, additive=True),
            description=(
                "Trede bij de laatste nazorgmeting in de periode, vergeleken met de trede bij de intake."
            ),
        ),
        OutreachReport(
            "outreach",
            "Voorlichting: activiteiten en bereikte bewoners",
            "count",
            ("wijk", "maand"),
            2,
            ("wijk", "maand"),
            _no_rows,
            Measure("measure", OUTREACH_MEASURES),
            min_by=1,
            description=(
                "Voorlichtingsactiviteiten en het aantal bereikte bewoners (een telling, geen personen)."
            ),
        ),
        Report(
            "fairness",
            "Eerlijkheid van de matching",
            "persons",
            tuple(PERSON_CATEGORIES),
            1,
            ("gender",),
            sources.fairness_rows,
            Measure("step", sources.FAIRNESS_STEPS, cumulative=True),
            min_by=1,
            description=(
                "Voorstellen, akkoord van de aannemer en plaatsingen per "
                "groep, met een vlag bij een groot verschil."
            ),
        ),
    )
}


def get_report(name: str) -> Report:
    report = REPORTS.get(name)
    if report is None:
        from shared.errors import NotFound

        raise NotFound(f"Onbekend rapport '{name[:40]}'. Kies uit: {', '.join(REPORTS)}.")
    return report


def document(session: Session, report: Report, q: ReportQuery) -> dict[str, Any]:
    """The protected, audited document of one report."""
    table = report.table(session, q)
    try:
        return dc.publish(
            table,
            dc.Policy(threshold=q.threshold),
            report=report.name,
            title=report.title,
            period_from=q.start,
            period_to=q.end,
            unit=report.unit,
        )
    except dc.DisclosureError as exc:
        raise Invalid("Niet alle gegevens zijn goed ingevuld.", {exc.field: [exc.message]}) from None


def documents_together(
    session: Session, report: Report, q: ReportQuery, views: Sequence[tuple[str, ...]]
) -> list[dict[str, Any]]:
    """Several breakdowns of one report as views of one base table, suppressed together, so that
    the totals they share get one status and combining them leaks nothing."""
    base_by = tuple(dict.fromkeys(b for v in views for b in v))
    base = report.table(session, q.with_by(base_by))
    measure = (report.measure.name,) if report.measure is not None else ()
    return dc.publish_views(
        base,
        [(*v, *measure) for v in views],
        dc.Policy(threshold=q.threshold),
        report=report.name,
        titles=[f"{report.title} per {', '.join(v) or 'totaal'}" for v in views],
        period_from=q.start,
        period_to=q.end,
        unit=report.unit,
    )
