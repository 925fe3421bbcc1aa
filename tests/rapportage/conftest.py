"""Fixtures of the rapportage tests: its app, a bureau token, the fixed dataset fed as events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from services.rapportage import jobs
from services.rapportage.models import InboxEvent
from shared.jobs import apply_once
from tests.conftest import bearer
from tests.rapportage import dataset


@pytest.fixture
def rapportage_app(world: Any) -> Any:
    return world.app("rapportage")


@pytest.fixture
def rctx(rapportage_app: Any) -> Any:
    return rapportage_app.extensions["instap"]


def feed_events(ctx: Any, envelopes: list[dict[str, Any]]) -> int:
    handlers = jobs.fact_store(ctx).handlers()
    return sum(apply_once(ctx.db, InboxEvent, env, handlers) for env in envelopes)


@pytest.fixture
def bureau(make_token: Callable[..., str]) -> dict[str, str]:
    return bearer(make_token("programmabureau", org="Programmabureau Dordt West"))


@pytest.fixture
def loaded(rctx: Any, rapportage_app: Any, bureau: dict[str, str]) -> Any:
    """The fixed dataset (tests/rapportage/dataset.py) in the fact store, outreach recorded."""
    feed_events(rctx, dataset.events())
    client = rapportage_app.test_client()
    for activity in dataset.OUTREACH:
        response = client.post("/rapportage/api/v1/outreach", json=activity, headers=bureau)
        assert response.status_code == 201, response.json
    return rctx
