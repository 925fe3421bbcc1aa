"""The monthly pack: every report for the year up to the end of a month, as JSON, Excel and PDF.

One row per month (unique): the worker requests last month's pack on (or after) the first of a
month, and the bureau can ask for any month on demand; asking again for a month keeps that one
pack. The row is the state: queued -> running -> done / failed; the RQ job id is `pack-<id>`, so
a second enqueue of the same pack is a no-op, and a finished pack is never rebuilt.

Tables that share totals are suppressed together (views of one base table), and every document
is audited before it is stored.
"""

from __future__ import annotations

import calendar
import json
import logging
from datetime import date, datetime, timedelta
from typing import Any

from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.rapportage.domain import organisations
from services.rapportage.domain.reports import derived
from services.rapportage.domain.reports.catalog import REPORTS, document, documents_together
from services.rapportage.domain.reports.query import ReportQuery
from services.rapportage.exports import files
from services.rapportage.models import ReportPack
from shared.clock import AMSTERDAM
from shared.db import utcnow
from shared.errors import Invalid
from shared.runtime import ServiceContext

log = logging.getLogger(__name__)
PACK_JOB = "services.rapportage.jobs.generate_pack"
PACK_TIMEOUT = 900
MONTHLY = "maandelijks"
# (report, breakdowns of the views suppressed together)
PACK_CONTENT: list[tuple[str, list[tuple[str, ...]]]] = [
    ("funnel", [(), ("wijk",), ("gender",), ("age_band",)]),
    (
        "placements",
        [("contractor",), ("corporation",), ("project",), ("occupation",), ("contract_type",), ("sroi_tag",)],
    ),
    ("certificates", [("kind",), ("training",)]),
    ("retention", [()]),
    ("ladder", [()]),
    ("outreach", [("wijk", "maand")]),
    ("fairness", [("gender",), ("age_band",), ("wijk",)]),
]


def month_period(month: str) -> tuple[date, date]:
    """The pack of "2026-11" covers 1 January 2026 up to and including 30 November 2026."""
    try:
        year, mon = (int(x) for x in month.split("-"))
        last = date(year, mon, calendar.monthrange(year, mon)[1])
    except (ValueError, TypeError):
        raise Invalid(
            "Niet alle gegevens zijn goed ingevuld.", {"month": ["Schrijf de maand als jjjj-mm."]}
        ) from None
    return date(year, 1, 1), last


def previous_month(today: date) -> str:
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last.year}-{last.month:02d}"


def request_pack(
    session: Session, month: str, threshold: int, requested_by: str, *, again: bool = False
) -> ReportPack:
    """The pack of this month: the existing one (a failed one queued again, or any one when
    `again`), or a new queued one."""
    start, end = month_period(month)
    if end >= datetime.now(AMSTERDAM).date() + timedelta(days=31):
        raise Invalid(
            "Niet alle gegevens zijn goed ingevuld.", {"month": ["Deze maand is nog niet begonnen."]}
        )
    pack = session.scalar(select(ReportPack).where(ReportPack.month == month))
    if pack is None:
        pack = ReportPack(
            month=month,
            period_from=start,
            period_to=end,
            threshold=threshold,
            params={"content": [[name, [list(v) for v in views]] for name, views in PACK_CONTENT]},
            status="queued",
            requested_by=requested_by[:120],
        )
        session.add(pack)
        session.flush()
    elif pack.status == "failed" or (again and pack.status == "done"):
        pack.status, pack.error, pack.requested_by = "queued", None, requested_by[:120]
        pack.threshold = threshold
        session.flush()
    return pack


def request_monthly(ctx: ServiceContext, today: date | None = None) -> int | None:
    """On or after the first of a month: last month's pack, once (the unique month says so)."""
    month = previous_month(today or datetime.now(AMSTERDAM).date())
    try:
        with ctx.db.unit_of_work() as s:
            if s.scalar(select(ReportPack.id).where(ReportPack.month == month)) is not None:
                return None
            return request_pack(s, month, ctx.settings.rapportage_threshold, MONTHLY).id
    except IntegrityError:  # another worker requested it at the same moment
        return None


def _job_alive(conn: Any, pack_id: int) -> bool:
    try:
        job = Job.fetch(f"pack-{pack_id}", connection=conn)
    except NoSuchJobError:
        return False
    status = job.get_status(refresh=False)
    if status in (JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
        job.delete()
        return False
    return True


def enqueue_waiting(ctx: ServiceContext) -> list[int]:
    with ctx.db.unit_of_work() as s:
        waiting = list(s.scalars(select(ReportPack.id).where(ReportPack.status == "queued")))
    enqueued = []
    for pack_id in waiting:
        if not _job_alive(ctx.redis, pack_id):
            Queue("rapportage", connection=ctx.redis).enqueue(
                PACK_JOB,
                pack_id,
                job_id=f"pack-{pack_id}",
                job_timeout=PACK_TIMEOUT,
                retry=Retry(max=2, interval=[30, 300]),
                failure_ttl=7 * 24 * 3600,
                result_ttl=3600,
                description=f"rapportage pack {pack_id}",
            )
            enqueued.append(pack_id)
    return enqueued


def build_documents(
    session: Session, start: date, end: date, threshold: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The pack's table documents (views sharing totals suppressed together) and its statistics."""
    q = ReportQuery(start, end, (), threshold)
    docs: list[dict[str, Any]] = []
    for name, views in PACK_CONTENT:
        report = REPORTS[name]
        if len(views) == 1:
            docs.append(document(session, report, q.with_by(views[0])))
        elif name == "funnel" or report.measure is not None:
            docs.extend(documents_together(session, report, q, views))
        else:
            # One-breakdown tables of the same persons share only their grand total, which each
            # shows whenever it is at least the threshold: no table narrows another one's cells.
            docs.extend(document(session, report, q.with_by(v)) for v in views)
    fairness = [d for d in docs if d["report"] == "fairness"]
    extras = [derived.time_to_placement(session, q)]
    for doc in fairness:
        rates = derived.fairness_rates(doc)
        rates["title"] = f"Eerlijkheid: percentages per {doc['dimensions'][0]}"
        rates["notes"] = [
            "Een vlag betekent: lager dan vier vijfde van de beste groep, met minstens "
            f"{rates['min_persons']} personen achter beide percentages."
        ]
        extras.append(rates)
    return docs, extras


def requeue(ctx: ServiceContext, pack_id: int) -> None:
    """A pack whose build was broken off (its worker stopped) waits for the next worker."""
    with ctx.db.unit_of_work() as s:
        s.execute(
            update(ReportPack)
            .where(ReportPack.id == pack_id, ReportPack.status == "running")
            .values(status="queued")
        )


def generate(ctx: ServiceContext, pack_id: int) -> dict[str, Any]:
    with ctx.db.unit_of_work() as s:
        pack = s.get(ReportPack, pack_id, with_for_update=True)
        if pack is None or pack.status == "done":
            return {"pack_id": pack_id, "status": pack.status if pack else "missing"}
        pack.status, pack.attempts = "running", pack.attempts + 1
        start, end, threshold, month = pack.period_from, pack.period_to, pack.threshold, pack.month
    try:
        with ctx.db.unit_of_work() as s:
            docs, extras = build_documents(s, start, end, threshold)
        names = organisations.names(ctx.accounts_db)
        heading = f"Rapportage Werken in de energietransitie, {month}"
        xlsx = files.xlsx_bytes(docs, names)
        pdf = files.pdf_bytes(files.pack_html(docs, heading=heading, names=names, extras=extras))
    except Exception as exc:
        with ctx.db.unit_of_work() as s:
            pack = s.get(ReportPack, pack_id)
            assert pack is not None
            pack.status, pack.error = "failed", f"{type(exc).__name__}: {exc}"[:500]
        log.exception("pack failed", extra={"pack_id": pack_id})
        raise
    with ctx.db.unit_of_work() as s:
        pack = s.get(ReportPack, pack_id)
        assert pack is not None
        pack.documents = json.dumps({"tables": docs, "statistics": extras}, ensure_ascii=False)
        pack.xlsx, pack.pdf = xlsx, pdf
        pack.status, pack.finished_at, pack.error = "done", utcnow(), None
    return {"pack_id": pack_id, "status": "done", "tables": len(docs)}
