"""The counts behind every report, computed in the database (GROUP BY), never row by row.

Each function returns rows `(labels..., level, count)`: one label per requested breakdown and, for
reports with a step or measure dimension, the index of the person's step. The caller turns them
into a table (`catalog.py`). Persons come from the `person` table (a keyed hash, attributes at
registration); a fact whose person has no registration yet counts under `onbekend`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, cast, distinct, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from services.rapportage.domain.reports.query import ReportQuery
from services.rapportage.models import (
    CertificateFact,
    FollowUpFact,
    LadderFact,
    OutreachActivity,
    Person,
    PlacementFact,
    ProposalFact,
)
from shared.clock import AMSTERDAM

UNKNOWN = "onbekend"
PERSON_DIMS = ("wijk", "gender", "age_band")
STARTED = ("gestart", "beeindigd")
Row = tuple[Any, ...]


def _label(column: Any) -> ColumnElement[Any]:
    return func.coalesce(column, literal(UNKNOWN))


def funnel_rows(session: Session, q: ReportQuery) -> list[Row]:
    """Cohort persons by breakdown and furthest stage (index in the funnel order)."""
    cut = q.cutoff
    furthest = case(
        (Person.duurzaam_at < cut, 6),
        (Person.geplaatst_at < cut, 5),
        (Person.gecertificeerd_at < cut, 4),
        (Person.opleiding_at < cut, 3),
        (Person.orientatie_at < cut, 2),
        (Person.intake_at < cut, 1),
        else_=0,
    ).label("level")
    cols = [getattr(Person, b).label(b) for b in q.by]
    stmt = (
        select(*cols, furthest, func.count())
        .where(Person.registered_on.between(q.start, q.end))
        .group_by(*[c.name for c in cols], "level")
    )
    return [tuple(r) for r in session.execute(stmt)]


PLACEMENT_DIMS = {
    "contractor": PlacementFact.organisation_id,
    "corporation": PlacementFact.corporation,
    "project": PlacementFact.project,
    "occupation": PlacementFact.occupation,
    "contract_type": PlacementFact.contract_type,
    "sroi_tag": PlacementFact.sroi_tag,
}


def _first_placements(q: ReportQuery, organisation_id: int | None) -> Any:
    """Each person's first placement that started in the period (one row per person)."""
    rank = (
        func.row_number()
        .over(partition_by=PlacementFact.person, order_by=(PlacementFact.started_on, PlacementFact.key))
        .label("rn")
    )
    stmt = select(PlacementFact, rank).where(
        PlacementFact.status.in_(STARTED), PlacementFact.started_on.between(q.start, q.end)
    )
    if organisation_id is not None:
        stmt = stmt.where(PlacementFact.organisation_id == organisation_id)
    ranked = stmt.subquery("ranked")
    return select(ranked).where(ranked.c.rn == 1).subquery("firsts")


def _person_cols(by: Sequence[str], firsts: Any) -> list[ColumnElement[Any]]:
    out: list[ColumnElement[Any]] = []
    for b in by:
        if b in PERSON_DIMS:
            out.append(_label(getattr(Person, b)).label(b))
        else:
            column = firsts.c["organisation_id" if b == "contractor" else b]
            out.append((cast(column, String) if b == "contractor" else _label(column)).label(b))
    return out


def placement_rows(session: Session, q: ReportQuery) -> list[Row]:
    firsts = _first_placements(q, q.organisation_id)
    cols = _person_cols(q.by, firsts)
    stmt = (
        select(*cols, literal(0).label("level"), func.count())
        .select_from(firsts)
        .outerjoin(Person, Person.key == firsts.c.person)
        .group_by(*[c.name for c in cols])
    )
    return [tuple(r) for r in session.execute(stmt)]


def placement_categories(session: Session, name: str, organisation_id: int | None) -> list[str]:
    column = PLACEMENT_DIMS[name]
    stmt = select(distinct(column)).where(PlacementFact.status.in_(STARTED))
    if organisation_id is not None:
        stmt = stmt.where(PlacementFact.organisation_id == organisation_id)
    values = {str(v) if v is not None else UNKNOWN for v in session.scalars(stmt)}
    return sorted(values - {UNKNOWN}) + ([UNKNOWN] if UNKNOWN in values else [])


CERTIFICATE_DIMS = {
    "training": CertificateFact.training,
    "crebo": CertificateFact.crebo,
    "kind": CertificateFact.kind,
}


def certificate_rows(session: Session, q: ReportQuery) -> list[Row]:
    rank = (
        func.row_number()
        .over(partition_by=CertificateFact.person, order_by=(CertificateFact.issued_on, CertificateFact.key))
        .label("rn")
    )
    ranked = (
        select(CertificateFact, rank)
        .where(CertificateFact.status == "valid", CertificateFact.issued_on.between(q.start, q.end))
        .subquery("ranked")
    )
    cols = [(_label(getattr(Person, b)) if b in PERSON_DIMS else _label(ranked.c[b])).label(b) for b in q.by]
    stmt = (
        select(*cols, literal(0).label("level"), func.count())
        .select_from(ranked)
        .outerjoin(Person, Person.key == ranked.c.person)
        .where(ranked.c.rn == 1)
        .group_by(*[c.name for c in cols])
    )
    return [tuple(r) for r in session.execute(stmt)]


def certificate_categories(session: Session, name: str) -> list[str]:
    values = {
        v if v is not None else UNKNOWN
        for v in session.scalars(
            select(distinct(CERTIFICATE_DIMS[name])).where(CertificateFact.status == "valid")
        )
    }
    return sorted(values - {UNKNOWN}) + ([UNKNOWN] if UNKNOWN in values else [])


def _followup_says_working(firsts: Any, month: int) -> Any:
    return exists().where(
        FollowUpFact.placement == firsts.c.key,
        FollowUpFact.month == month,
        FollowUpFact.still_working == "ja",
    )


def retention_rows(session: Session, q: ReportQuery) -> list[Row]:
    """Persons by their first placement started in the period: 0 started, 1 still working at +6,
    2 still working at +6 and at +12 months."""
    firsts = _first_placements(q, None)
    six, twelve = _followup_says_working(firsts, 6), _followup_says_working(firsts, 12)
    level = case((and_(six, twelve), 2), (six, 1), else_=0).label("level")
    cols = [_label(getattr(Person, b)).label(b) for b in q.by]
    stmt = (
        select(*cols, level, func.count())
        .select_from(firsts)
        .outerjoin(Person, Person.key == firsts.c.person)
        .group_by(*[c.name for c in cols], "level")
    )
    return [tuple(r) for r in session.execute(stmt)]


def time_to_placement_rows(session: Session, q: ReportQuery) -> list[tuple[str, date, date]]:
    """(group label, registered_on, started_on) of each person in the retention cohort."""
    firsts = _first_placements(q, None)
    group = _label(getattr(Person, q.by[0])) if q.by else literal("*")
    stmt = (
        select(group, Person.registered_on, firsts.c.started_on)
        .select_from(firsts)
        .join(Person, Person.key == firsts.c.person)
        .where(Person.registered_on.is_not(None))
    )
    return [(str(g), r, s) for g, r, s in session.execute(stmt)]


LADDER_MOVES = ("lager", "gelijk", "een_hoger", "twee_of_meer_hoger")


def ladder_rows(session: Session, q: ReportQuery) -> list[Row]:
    """Persons whose latest follow-up measurement up to `to` falls in the period, by the move
    from their first intake measurement (index in LADDER_MOVES)."""
    first_intake = (
        select(
            LadderFact.person,
            LadderFact.trede,
            func.row_number()
            .over(partition_by=LadderFact.person, order_by=LadderFact.measured_at)
            .label("rn"),
        )
        .where(LadderFact.source == "intake")
        .subquery("first_intake")
    )
    latest = (
        select(
            LadderFact.person,
            LadderFact.trede,
            LadderFact.measured_at,
            func.row_number()
            .over(partition_by=LadderFact.person, order_by=LadderFact.measured_at.desc())
            .label("rn"),
        )
        .where(LadderFact.source == "follow_up", LadderFact.measured_at < q.cutoff)
        .subquery("latest")
    )
    start = datetime.combine(q.start, time(0), tzinfo=AMSTERDAM)
    diff = latest.c.trede - first_intake.c.trede
    move = case((diff < 0, 0), (diff == 0, 1), (diff == 1, 2), else_=3).label("level")
    cols = [_label(getattr(Person, b)).label(b) for b in q.by]
    stmt = (
        select(*cols, move, func.count())
        .select_from(latest)
        .join(first_intake, and_(first_intake.c.person == latest.c.person, first_intake.c.rn == 1))
        .outerjoin(Person, Person.key == latest.c.person)
        .where(latest.c.rn == 1, latest.c.measured_at >= start)
        .group_by(*[c.name for c in cols], "level")
    )
    return [tuple(r) for r in session.execute(stmt)]


FAIRNESS_STEPS = ("aangemeld", "voorgesteld", "naar_aannemer", "aannemer_akkoord", "geplaatst")


def fairness_rows(session: Session, q: ReportQuery) -> list[Row]:
    """Cohort persons (registered in the period) by breakdown and furthest matching step."""
    cut = q.cutoff
    proposals = (
        select(
            ProposalFact.person.label("person"),
            func.min(ProposalFact.proposed_at).label("proposed"),
            func.min(ProposalFact.coach_ok_at).label("coach_ok"),
            func.min(ProposalFact.contractor_ok_at).label("contractor_ok"),
        )
        .where(ProposalFact.kind == "task")
        .group_by(ProposalFact.person)
        .subquery("proposals")
    )
    placed = (
        select(PlacementFact.person.label("person"), func.min(PlacementFact.started_on).label("started"))
        .where(PlacementFact.status.in_(STARTED))
        .group_by(PlacementFact.person)
        .subquery("placed")
    )
    level = case(
        (or_(Person.geplaatst_at < cut, placed.c.started <= q.end), 4),
        (proposals.c.contractor_ok < cut, 3),
        (proposals.c.coach_ok < cut, 2),
        (proposals.c.proposed < cut, 1),
        else_=0,
    ).label("level")
    cols = [getattr(Person, b).label(b) for b in q.by]
    stmt = (
        select(*cols, level, func.count())
        .select_from(Person)
        .outerjoin(proposals, proposals.c.person == Person.key)
        .outerjoin(placed, placed.c.person == Person.key)
        .where(Person.registered_on.between(q.start, q.end))
        .group_by(*[c.name for c in cols], "level")
    )
    return [tuple(r) for r in session.execute(stmt)]


def outreach_activities(session: Session, q: ReportQuery) -> list[tuple[date, str, str, int]]:
    stmt = select(
        OutreachActivity.held_on, OutreachActivity.wijk, OutreachActivity.kind, OutreachActivity.reached
    ).where(OutreachActivity.held_on.between(q.start, q.end))
    return [tuple(r) for r in session.execute(stmt)]  # type: ignore[misc]
