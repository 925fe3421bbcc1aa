"""The demo data `make run` loads: it only takes steps the funnel allows, for any size and seed."""

from __future__ import annotations

import random
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from services.intake import demo
from services.intake.models import Resident, StageChange
from shared import reference
from shared.config import Settings
from shared.db import Database
from shared.demo import seed as seed_all


def _allowed(table: dict[str, tuple[str, ...]], start: str, steps: list[tuple[str, str | None]]) -> None:
    current = start
    for stage, reason in steps:
        assert stage in table.get(current, ()), f"{current} -> {stage} is not in the transition table"
        if stage == "uitgevallen":
            assert reason in reference.DROPOUT_REASONS
        current = stage


@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
@settings(max_examples=300)
def test_a_journey_takes_only_allowed_steps(seed: int) -> None:
    steps = demo.journey(random.Random(seed), "aangemeld")
    _allowed(reference.STAGE_TRANSITIONS, "aangemeld", steps)


@st.composite
def transition_tables(draw: st.DrawFn) -> dict[str, tuple[str, ...]]:
    """Any table over the real stages: the demo must follow whatever the funnel allows."""
    stages = list(reference.STAGES)
    return {
        stage: tuple(draw(st.lists(st.sampled_from(stages), unique=True, max_size=len(stages))))
        for stage in stages
    }


@given(table=transition_tables(), seed=st.integers(min_value=0, max_value=2**32 - 1))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_a_journey_follows_any_transition_table(table: dict[str, tuple[str, ...]], seed: int) -> None:
    with mock.patch.dict(reference.STAGE_TRANSITIONS, table, clear=True):
        steps = demo.journey(random.Random(seed), "aangemeld")
    _allowed(table, "aangemeld", steps)


def test_journeys_reach_every_stage_and_both_exits() -> None:
    """The demo shows every page with content: some residents get far, some drop out or stop."""
    rng = random.Random(505)
    reached = set()
    for _ in range(2000):
        reached.update(stage for stage, _ in demo.journey(rng, "aangemeld"))
    assert reached >= set(reference.STAGES) - {"aangemeld"}


def _counts(settings: Settings) -> tuple[int, int]:
    db = Database(settings.database_url("intake"), "intake")
    try:
        with db.unit_of_work() as s:
            residents = s.scalar(select(func.count()).select_from(Resident)) or 0
            changes = s.scalar(select(func.count()).select_from(StageChange)) or 0
            return residents, changes
    finally:
        db.dispose()


@pytest.mark.parametrize(("residents", "random_seed"), [(0, 505), (1, 505), (300, 505), (40, 7), (40, 2026)])
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_seeding_any_size_raises_no_domain_error(
    settings: Settings, residents: int, random_seed: int
) -> None:
    seed_all(settings, residents=0)  # the demo accounts and organisations
    demo.seed(settings, residents=residents, random_seed=random_seed)
    count, changes = _counts(settings)
    assert count == residents
    assert changes >= residents  # every resident has at least its registration
    # A second start (make run on an existing var/) adds nothing and does not fail.
    seed_all(settings, residents=residents)
    assert _counts(settings) == (count, changes)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_seeding_two_thousand_residents(settings: Settings) -> None:
    seed_all(settings, residents=2000)
    assert _counts(settings)[0] == 2000
