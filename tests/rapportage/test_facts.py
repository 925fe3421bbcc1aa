"""The fact store: fed only by events, the same facts whatever the order or number of deliveries,
no programme id stored, an erased resident gone for good."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import inspect, select, text

from services.rapportage import jobs
from services.rapportage.models import Base, ErasedPerson, Person, PlacementFact, ProposalFact, StageFact
from shared.jobs import apply_once
from shared.runtime import ServiceContext
from tests.rapportage.events import Feed

pytestmark = pytest.mark.both_backends


def _at(day: int, month: int = 3, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def apply_all(ctx: ServiceContext, envelopes: list[dict[str, Any]]) -> int:
    from services.rapportage.models import InboxEvent

    handlers = jobs.fact_store(ctx).handlers()
    return sum(apply_once(ctx.db, InboxEvent, env, handlers) for env in envelopes)


def snapshot(ctx: ServiceContext) -> dict[str, list[tuple[Any, ...]]]:
    """Every fact table's rows without surrogate ids, sorted: what 'the same facts' means."""
    out = {}
    with ctx.db.unit_of_work() as s:
        for table in Base.metadata.sorted_tables:
            if table.name in ("inbox_event", "outbox_event", "report_pack", "outreach_activity"):
                continue
            cols = [c for c in table.columns if c.name != "id"]
            out[table.name] = sorted(tuple(str(v) for v in row) for row in s.execute(select(*cols)))
    return out


def history(feed: Feed) -> list[dict[str, Any]]:
    envs = [
        feed.stage("DW-A1", "aangemeld", _at(1), wijk="crabbehof", gender="man", age_band="15-25"),
        feed.stage(
            "DW-A1",
            "intake",
            _at(5),
            from_stage="aangemeld",
            wijk="crabbehof",
            gender="man",
            age_band="25-45",
        ),
        feed.stage(
            "DW-A1", "opleiding", _at(9), from_stage="intake", wijk="wielwijk", gender="man", age_band="25-45"
        ),
        feed.proposal(7, "DW-A1", "voorgesteld", _at(10)),
        feed.proposal(7, "DW-A1", "coach_akkoord", _at(11)),
        feed.proposal(7, "DW-A1", "aannemer_akkoord", _at(12)),
        feed.placement(3, "DW-A1", "afgesproken", _at(12)),
        feed.placement(3, "DW-A1", "gestart", _at(14), started_on=date(2026, 3, 14)),
        feed.certificate(5, "DW-A1", date(2026, 3, 13), _at(13)),
        feed.enrolment(4, "DW-A1", "opleiding", _at(9)),
        feed.enrolment(4, "DW-A1", "afgerond", _at(13)),
        feed.ladder("DW-A1", 2, "intake", _at(5)),
        feed.ladder("DW-A1", 5, "follow_up", _at(20, month=9)),
        feed.followup(1, "DW-A1", 3, 6, "ja", date(2026, 9, 14), _at(14, month=9)),
        feed.stage("DW-B2", "aangemeld", _at(2), wijk="wielwijk", gender="vrouw", age_band="45-65"),
    ]
    return envs


def test_twice_and_shuffled_give_the_same_facts(world: Any) -> None:
    ctx = world.app("rapportage").extensions["instap"]
    envs = history(Feed())
    assert apply_all(ctx, envs) == len(envs)
    first = snapshot(ctx)
    assert first["person"] and first["placement_fact"]

    world.reset()
    shuffled = list(reversed(envs)) + random.Random(4).sample(envs, len(envs))
    assert apply_all(ctx, shuffled) == len(envs)  # the second deliveries change nothing
    assert snapshot(ctx) == first


def test_person_keeps_attributes_of_earliest_registration_and_first_moments(world: Any) -> None:
    ctx = world.app("rapportage").extensions["instap"]
    envs = history(Feed())
    apply_all(ctx, list(reversed(envs)))
    with ctx.db.unit_of_work() as s:
        person = s.scalar(select(Person).where(Person.registered_on == date(2026, 3, 1)))
        assert person is not None
        assert (person.wijk, person.gender, person.age_band) == ("crabbehof", "man", "15-25")
        assert person.intake_at == _at(5) and person.opleiding_at == _at(9) and person.orientatie_at is None
        placement = s.scalars(select(PlacementFact)).one()
        assert placement.status == "gestart" and placement.started_on == date(2026, 3, 14)
        proposal = s.scalars(select(ProposalFact)).one()
        assert proposal.status == "aannemer_akkoord" and proposal.contractor_ok_at == _at(12)


def test_no_programme_id_is_stored(world: Any) -> None:
    ctx = world.app("rapportage").extensions["instap"]
    apply_all(ctx, history(Feed()))
    dump = repr(snapshot(ctx))
    assert "DW-A1" not in dump and "DW-B2" not in dump
    # Nor matching's row ids as they are: a placement's key is a keyed hash too.
    with ctx.db.unit_of_work() as s:
        keys = list(s.scalars(select(PlacementFact.key)))
    assert keys and all(len(k) == 32 and k != "3" for k in keys)


def test_erased_resident_disappears_and_late_events_do_not_bring_them_back(world: Any) -> None:
    ctx = world.app("rapportage").extensions["instap"]
    feed = Feed()
    envs = history(feed)
    apply_all(ctx, envs)
    erase = feed.erased("DW-A1", _at(1, month=10))
    apply_all(ctx, [erase])
    late = [feed.stage("DW-A1", "geplaatst", _at(14), from_stage="opleiding")]
    apply_all(ctx, late + envs)  # redelivered and older events after the erasure
    with ctx.db.unit_of_work() as s:
        assert s.scalar(select(text("count(*)")).select_from(Person)) == 1  # only DW-B2 is left
        remaining = {p.registered_on for p in s.scalars(select(Person))}
        assert remaining == {date(2026, 3, 2)}
        assert s.scalar(select(text("count(*)")).select_from(StageFact)) == 1
        assert s.scalar(select(text("count(*)")).select_from(PlacementFact)) == 0
        assert s.scalar(select(text("count(*)")).select_from(ErasedPerson)) == 1


def test_erasure_first_then_history_stores_nothing(world: Any) -> None:
    ctx = world.app("rapportage").extensions["instap"]
    feed = Feed()
    envs = history(feed)
    apply_all(ctx, [feed.erased("DW-A1", _at(1, month=10))] + envs)
    with ctx.db.unit_of_work() as s:
        assert s.scalar(select(text("count(*)")).select_from(Person)) == 1


def test_tables_hold_no_identifying_columns(world: Any) -> None:
    ctx = world.app("rapportage").extensions["instap"]
    names = {
        c["name"]
        for t in inspect(ctx.db.engine).get_table_names()
        for c in inspect(ctx.db.engine).get_columns(t)
    }
    assert not names & {
        "programme_id",
        "name",
        "first_name",
        "last_name",
        "email",
        "phone",
        "street",
        "postcode",
        "bsn",
    }
