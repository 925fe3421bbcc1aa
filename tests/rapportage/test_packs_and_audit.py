"""The monthly pack (RQ job, once per month, stored and downloadable) and the independent auditor
attacking every report and the pack's tables together."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from rq.job import Job
from sqlalchemy import func, select

from services.rapportage import disclosure as dc
from services.rapportage import jobs
from services.rapportage.domain import packs
from services.rapportage.domain.reports.catalog import REPORTS
from services.rapportage.domain.reports.query import ReportQuery
from services.rapportage.models import ReportPack
from shared.runtime import set_worker_context, stop_requested
from tests.rapportage import dataset
from tests.support.workers import run_worker_burst

START, END = date(2026, 1, 1), date(2026, 12, 31)


def _truths(ctx: Any, doc: dict[str, Any]) -> dict[tuple[str, ...], int]:
    name = doc["report"]
    measure = REPORTS[name].measure
    by = tuple(d for d in doc["dimensions"] if measure is None or d != measure.name)
    with ctx.db.unit_of_work() as s:
        table = REPORTS[name].table(s, ReportQuery(START, END, by, doc["threshold"]))
    return {tuple(c.key): c.value for c in table.cells()}


@pytest.mark.parametrize(
    ("name", "by"),
    [
        ("funnel", ""),
        ("funnel", "wijk"),
        ("funnel", "gender,age_band"),
        ("placements", "contractor"),
        ("placements", "occupation,wijk"),
        ("certificates", "kind"),
        ("retention", "gender"),
        ("ladder", "wijk"),
        ("outreach", "wijk,maand"),
        ("fairness", "gender"),
        ("fairness", "wijk"),
    ],
)
def test_auditor_attacks_every_report(
    loaded: Any, rapportage_app: Any, bureau: dict[str, str], name: str, by: str
) -> None:
    response = rapportage_app.test_client().get(
        f"/rapportage/api/v1/reports/{name}",
        query_string={**dataset.PERIOD, "threshold": "5", "by": by},
        headers=bureau,
    )
    doc = response.json
    assert doc["threshold"] == 5
    # Without the truth: no count is certainly narrowed down to a small number.
    assert dc.audit(doc).disclosures() == []
    # With the truth: rules 1-4 hold.
    assert dc.check_rules(doc, _truths(loaded, doc)) == []


def test_the_pack_is_protected_as_a_whole(loaded: Any) -> None:
    with loaded.db.unit_of_work() as s:
        docs, extras = packs.build_documents(s, START, END, 3)
    by_report: dict[str, list[dict[str, Any]]] = {}
    for doc in docs:
        by_report.setdefault(doc["report"], []).append(doc)
    assert set(by_report) == {
        "funnel",
        "placements",
        "certificates",
        "retention",
        "ladder",
        "outreach",
        "fairness",
    }
    for name, group in by_report.items():
        truths = [_truths(loaded, d) for d in group]
        report = dc.audit(*group, truth=truths)
        assert report.violations() == [], name
        # The totals the tables share (every breakdown at *) have one status and value across them.
        shared: dict[str, set[tuple[str, Any]]] = {}
        for doc in group:
            additive = set(doc["additive"])
            for cell in doc["cells"]:
                if all(v == "*" for k, v in cell["key"].items() if k in additive):
                    rest = ",".join(f"{k}={v}" for k, v in cell["key"].items() if k not in additive)
                    shared.setdefault(rest, set()).add((cell["status"], cell["value"]))
        assert all(len(v) == 1 for v in shared.values()), (name, shared)
    assert extras[0]["report"] == "time_to_placement"


@pytest.mark.slow
@pytest.mark.both_backends
def test_monthly_pack_once_per_month_by_the_worker(loaded: Any, settings: Any, world: Any) -> None:
    ctx = loaded
    first = packs.request_monthly(ctx, today=date(2027, 1, 1))
    again = packs.request_monthly(ctx, today=date(2027, 1, 15))
    assert first is not None and again is None
    run_worker_burst(settings, "rapportage")  # its periodic hook enqueues the pack, the worker builds it
    with ctx.db.unit_of_work() as s:
        pack = s.get(ReportPack, first)
        assert pack is not None and pack.status == "done", pack.error if pack else None
        assert (pack.month, pack.period_from, pack.period_to) == ("2026-12", START, END)
        stored = json.loads(pack.documents or "{}")
        xlsx = pack.xlsx
    funnel = next(d for d in stored["tables"] if d["report"] == "funnel" and d["dimensions"] == ["stage"])
    total = next(c for c in funnel["cells"] if c["key"] == {"stage": "aangemeld"})
    assert total["value"] == 19
    workbook = load_workbook(io.BytesIO(xlsx or b""))
    assert workbook.sheetnames[0] == "Uitleg" and len(workbook.sheetnames) == len(stored["tables"]) + 1
    # Asking again on demand keeps one pack for the month.
    with ctx.db.unit_of_work() as s:
        assert packs.request_pack(s, "2026-12", 5, "bureau").id == first
        months = select(func.count()).select_from(ReportPack).where(ReportPack.month == "2026-12")
        assert s.scalar(months) == 1


@pytest.mark.slow
def test_a_pack_build_gives_way_when_its_worker_stops_and_is_built_later(loaded: Any, settings: Any) -> None:
    """A stop (Ctrl-C on `make run`, a deploy's SIGTERM) does not wait for a pack: the build is
    broken off, the pack queued again, and the next worker builds it."""
    ctx = loaded
    with ctx.db.unit_of_work() as s:
        pack_id = packs.request_pack(s, "2026-12", 5, "bureau").id
    set_worker_context(ctx)
    stop_requested.set()  # what the worker's warm shutdown sets
    try:
        assert jobs.generate_pack(pack_id) == {"pack_id": pack_id, "status": "queued"}
    finally:
        stop_requested.clear()
        set_worker_context(None)
    with ctx.db.unit_of_work() as s:
        assert s.get(ReportPack, pack_id).status == "queued"
    run_worker_burst(settings, "rapportage")  # its loop enqueues the queued pack and builds it
    with ctx.db.unit_of_work() as s:
        pack = s.get(ReportPack, pack_id)
        assert pack.status == "done" and pack.pdf, pack.error


@pytest.mark.parametrize("on", [True, False])
def test_the_workers_loop_requests_last_months_pack_unless_switched_off(world: Any, on: bool) -> None:
    """RAPPORTAGE_MONTHLY_PACK: on (the default), the worker's loop asks for last month's pack and
    enqueues it; off (the tests' setting), only packs someone asked for are built."""
    ctx = world.app("rapportage").extensions["instap"]
    settings = ctx.settings.model_copy(update={"rapportage_monthly_pack": on})
    jobs.periodic(dataclasses.replace(ctx, settings=settings))
    with ctx.db.unit_of_work() as s:
        months = list(s.scalars(select(ReportPack.month)))
    assert months == ([packs.previous_month(datetime.now(packs.AMSTERDAM).date())] if on else [])
    assert Job.exists("pack-1", connection=world.redis) is on


def test_pack_api_and_download(
    loaded: Any, rapportage_app: Any, bureau: dict[str, str], settings: Any
) -> None:
    client = rapportage_app.test_client()
    created = client.post("/rapportage/api/v1/packs", json={"month": "2026-12"}, headers=bureau)
    assert created.status_code == 202 and created.json["status"] == "queued"
    assert (
        client.post("/rapportage/api/v1/packs", json={"month": "2026-12"}, headers=bureau).json["id"]
        == created.json["id"]
    )
    assert (
        client.post("/rapportage/api/v1/packs", json={"month": "2026-13"}, headers=bureau).status_code == 422
    )
    pack_id = created.json["id"]
    assert (
        client.get(f"/rapportage/api/v1/packs/{pack_id}/pdf", headers=bureau).status_code == 404
    )  # not ready
    ctx = rapportage_app.extensions["instap"]
    packs.generate(ctx, pack_id)
    pdf = client.get(f"/rapportage/api/v1/packs/{pack_id}/pdf", headers=bureau)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get(f"/rapportage/api/v1/packs/{pack_id}/xlsx", headers=bureau).data[:2] == b"PK"
    assert packs.generate(ctx, pack_id)["status"] == "done"  # a finished pack is not rebuilt
