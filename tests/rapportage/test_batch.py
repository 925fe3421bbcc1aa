"""The batch consumer (domain/consumer.py): many events per transaction give exactly the facts of
one event per transaction, whatever the duplicates, order, batch boundaries or erasures; and the
worker's event job takes the queued events behind it along, leaving nothing behind or applied twice."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest
from rq import Queue
from sqlalchemy import func, select

from services.rapportage import jobs
from services.rapportage.domain.consumer import apply_batch
from services.rapportage.models import ErasedPerson, InboxEvent, Person, PlacementFact, StageFact
from shared.outbox import enqueue_event
from tests.rapportage.events import Feed
from tests.rapportage.test_facts import _at, apply_all, history, snapshot
from tests.support.workers import run_worker_burst

pytestmark = pytest.mark.both_backends


def _batches(ctx: Any, envs: list[dict[str, Any]], size: int) -> int:
    store = jobs.fact_store(ctx)
    return sum(apply_batch(ctx.db, envs[i : i + size], store) for i in range(0, len(envs), size))


def _count(ctx: Any, model: Any) -> int:
    with ctx.db.unit_of_work() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_batches_give_the_facts_of_one_event_at_a_time(world: Any) -> None:
    ctx = world.app("rapportage").extensions["instap"]
    envs = history(Feed())
    assert apply_all(ctx, envs) == len(envs)
    expected = snapshot(ctx)
    rng = random.Random(10)
    for size in (len(envs) * 3, 4, 1):
        world.reset()
        # every event twice, shuffled: duplicates within one batch and across batches
        deliveries = envs + envs
        rng.shuffle(deliveries)
        assert _batches(ctx, deliveries, size) == len(envs)
        assert snapshot(ctx) == expected, size
        assert _batches(ctx, deliveries, size) == 0  # all seen: nothing changes
        assert snapshot(ctx) == expected


def test_a_batch_on_top_of_per_event_deliveries_changes_nothing(world: Any) -> None:
    ctx = world.app("rapportage").extensions["instap"]
    envs = history(Feed())
    apply_all(ctx, envs[::2])
    assert _batches(ctx, list(reversed(envs)), 100) == len(envs[1::2])
    expected = snapshot(ctx)
    world.reset()
    apply_all(ctx, envs)
    assert snapshot(ctx) == expected


def test_erasure_inside_a_batch_removes_what_came_before_and_drops_what_follows(world: Any) -> None:
    ctx = world.app("rapportage").extensions["instap"]
    feed = Feed()
    envs = history(feed)
    erase = feed.erased("DW-A1", _at(1, month=10))
    late = feed.stage("DW-A1", "geplaatst", _at(14), from_stage="opleiding")
    assert _batches(ctx, envs[:5] + [erase] + envs[5:] + [late, erase], 100) >= 1
    with ctx.db.unit_of_work() as s:
        assert {p.registered_on for p in s.scalars(select(Person))} == {_at(2).date()}  # only DW-B2
    assert _count(ctx, StageFact) == 1
    assert _count(ctx, PlacementFact) == 0
    assert _count(ctx, ErasedPerson) == 1
    # redelivered in later batches, in another order: the person stays gone
    _batches(ctx, list(reversed(envs)) + [late], 3)
    assert _count(ctx, Person) == 1 and _count(ctx, StageFact) == 1 and _count(ctx, PlacementFact) == 0


def test_erasure_in_an_earlier_batch_keeps_the_person_out(world: Any) -> None:
    ctx = world.app("rapportage").extensions["instap"]
    feed = Feed()
    envs = history(feed)
    _batches(ctx, [feed.erased("DW-A1", _at(1, month=10))], 10)
    _batches(ctx, envs, 100)
    assert _count(ctx, Person) == 1 and _count(ctx, StageFact) == 1


def test_a_bad_event_fails_the_batch_whole(world: Any) -> None:
    ctx = world.app("rapportage").extensions["instap"]
    envs = history(Feed())
    broken = dict(envs[0], id="f" * 32, payload={"programme_id": "DW-X"})
    with pytest.raises(Exception):  # noqa: B017 - whatever the validator raises
        _batches(ctx, [*envs, broken], 100)
    assert _count(ctx, InboxEvent) == 0 and _count(ctx, Person) == 0


@pytest.mark.slow
def test_the_worker_drains_queued_events_in_batches(world: Any, settings: Any) -> None:
    ctx = world.app("rapportage").extensions["instap"]
    feed = Feed()
    envs = history(feed)
    many = [feed.stage(f"DW-Q{i}", "aangemeld", _at(1 + i % 20)) for i in range(40)]
    deliveries = envs + many + envs[:3]  # re-sent ones replace their job (same job id)
    for env in deliveries:
        enqueue_event(world.redis, "rapportage", env)
    run_worker_burst(settings, "rapportage")
    assert Queue("rapportage", connection=world.redis).count == 0
    assert _count(ctx, InboxEvent) == len(envs) + len(many)
    assert _count(ctx, Person) == 2 + len(many)
    assert _count(ctx, StageFact) == 4 + len(many)
    assert _count(ctx, PlacementFact) == 1


@pytest.mark.slow
def test_a_relay_rounds_job_that_runs_past_its_timeout_fails_and_is_retried(
    world: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RQ's timeout on a relay round's job is not a bad batch: the job fails (RQ retries it), it
    does not go on to apply the events one by one with no limit left (found in review: the
    fallback caught the timeout)."""
    from shared import outbox

    ctx = world.app("rapportage").extensions["instap"]
    envs = history(Feed())
    monkeypatch.setitem(outbox._DELIVERY, "timeout", 1)
    queue = Queue("rapportage", connection=world.redis)
    queue.enqueue_many([outbox._batch_job_data("rapportage", envs)])  # what the relay sends
    [job] = queue.jobs
    real = jobs.apply_batch
    calls: list[int] = []

    def slow(db: Any, batch: list[dict[str, Any]], store: Any) -> int:
        calls.append(len(batch))
        time.sleep(3)  # past the job's timeout
        return real(db, batch, store)

    monkeypatch.setattr(jobs, "apply_batch", slow)
    run_worker_burst(settings, "rapportage")
    assert calls == [len(envs)]  # once, and no fallback after it
    assert job.id not in queue.finished_job_registry.get_job_ids()
    assert job.id in queue.scheduled_job_registry.get_job_ids()  # RQ's retry, a few seconds on
    assert _count(ctx, InboxEvent) == 0
