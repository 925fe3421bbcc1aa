"""End to end through the real outbox: intake's events reach the fact store through Redis and the
rapportage worker, an erasure removes the person, and `outbox replay` back-fills a new consumer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from services.intake.models import OutboxEvent
from services.rapportage.models import InboxEvent, Person, StageFact
from shared.outbox import replay
from tests.conftest import resident_payload
from tests.support.workers import run_worker_burst

pytestmark = pytest.mark.both_backends
API = "/intake/api/v1/residents"


def _count(db: Any, model: Any) -> int:
    with db.unit_of_work() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.slow
def test_events_flow_into_the_fact_store_and_replay_backfills(
    world: Any, app: Any, settings: Any, make_user: Callable[..., Any], login: Callable[..., Any]
) -> None:
    rdb = world.databases["rapportage"]
    client = login(make_user("jobcoach"))
    headers: dict[str, str] = {}
    pids = []
    for _ in range(2):
        response = client.post(API, json=resident_payload(), headers=headers)
        assert response.status_code == 201, response.json
        pids.append(response.json["programme_id"])
    assert client.post(
        f"{API}/{pids[0]}/stages", json={"to_stage": "intake"}, headers=headers
    ).status_code in (200, 201)
    run_worker_burst(settings, "rapportage")
    assert _count(rdb, Person) == 2
    assert _count(rdb, StageFact) == 3

    # A new consumer (here: the same one with its store emptied) is back-filled from the outbox.
    with rdb.unit_of_work() as s:
        for model in (Person, StageFact, InboxEvent):
            s.execute(model.__table__.delete())
    idb = world.databases["intake"]
    sent = replay(idb, OutboxEvent, world.redis, "intake", "rapportage")
    assert sent >= 3
    run_worker_burst(settings, "rapportage")
    assert (_count(rdb, Person), _count(rdb, StageFact)) == (2, 3)
    replay(idb, OutboxEvent, world.redis, "intake", "rapportage")  # twice: nothing changes
    run_worker_burst(settings, "rapportage")
    assert (_count(rdb, Person), _count(rdb, StageFact)) == (2, 3)

    # Erasure in intake: the person is gone from the facts too.
    erased = client.delete(f"{API}/{pids[0]}")
    assert erased.status_code in (200, 204), erased.data
    run_worker_burst(settings, "rapportage")
    assert (_count(rdb, Person), _count(rdb, StageFact)) == (1, 1)
