"""The rapportage demo data (`make run`): applied in bulk-read batches like the worker's, it gives
the facts of one event at a time, and every report shows something."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from services.rapportage import demo
from services.rapportage.domain.facts import FactStore
from services.rapportage.domain.reports.catalog import REPORTS
from services.rapportage.models import Base
from shared import clock
from shared.cli import migrate_all
from shared.config import Settings
from shared.db import Database
from shared.demo import seed as seed_all

# Rows the demo writes through the fact handlers (outreach and packs are written directly).
FACT_TABLES = [t for t in Base.metadata.sorted_tables if t.name.endswith(("_fact", "person"))]


def _facts(url: str) -> dict[str, list[str]]:
    """Every fact row without its surrogate id, sorted: comparable across two databases."""
    db = Database(url, "rapportage")
    try:
        with db.unit_of_work() as s:
            out = {}
            for table in FACT_TABLES:
                columns = [c for c in table.columns if c.name != "id"]
                out[table.name] = sorted(repr(tuple(row)) for row in s.execute(select(*columns)))
            return out
    finally:
        db.dispose()


def _migrated(settings: Settings, path: Any) -> Settings:
    own = settings.model_copy(update={"rapportage_database_url": f"sqlite:///{path}"})
    migrate_all(own)
    return own


def test_demo_history_in_batches_gives_the_facts_of_one_event_at_a_time(
    settings: Settings, tmp_path: Any
) -> None:
    end = clock.today()
    events = list(demo.history(60, date(end.year - 1, 1, 1), end, [11, 12, 13], 21))
    assert len(events) > demo.DEMO_BATCH  # more than one batch
    store = FactStore(settings.ensure_hash_key())
    batched = _migrated(settings, tmp_path / "batched.db")
    db = Database(batched.database_url("rapportage"), "rapportage")
    try:
        assert demo.apply_history(db, store, events) == len(events)
    finally:
        db.dispose()

    one_by_one = _migrated(settings, tmp_path / "one.db")
    handlers = store.handlers()
    db = Database(one_by_one.database_url("rapportage"), "rapportage")
    try:
        for env in events:
            with db.unit_of_work() as s:
                handlers[env["type"]](s, env["payload"], env)
    finally:
        db.dispose()
    facts = _facts(batched.database_url("rapportage"))
    assert len(facts["person"]) == 60
    assert facts == _facts(one_by_one.database_url("rapportage"))


def test_every_report_shows_something_on_the_demo_data(
    settings: Settings, rapportage_app: Any, bureau: dict[str, str]
) -> None:
    seed_all(settings, residents=0)  # accounts, organisations, and the rapportage demo
    client = rapportage_app.test_client()
    today = clock.today()
    period = {"from": date(today.year - 1, 1, 1).isoformat(), "to": today.isoformat()}
    for name in REPORTS:
        response = client.get(f"/rapportage/api/v1/reports/{name}", query_string=period, headers=bureau)
        assert response.status_code == 200, (name, response.json)
        shown = [c for c in response.json["cells"] if isinstance(c.get("value"), int) and c["value"] > 0]
        assert shown, (name, response.json["cells"][:5])
