"""Random tables: the independent auditor finds nothing, and rules 1, 3 and 4 hold."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from services.rapportage.disclosure import Policy, Table, audit, check_rules, suppress

from .helpers import doc, funnel_of
from .strategies import funnel_tables, plain_tables, policies

PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_rules_hold(table: Table, policy: Policy, report: str) -> None:
    protected = suppress(table, policy)
    document = doc(protected, report)
    again = doc(suppress(table, policy), report)
    assert check_rules(document, protected.truth(), again=again) == []


@PROPERTY
@given(funnel_tables(), policies())
def test_random_funnels_are_protected_and_not_wasteful(table: Table, policy: dict[str, Any]) -> None:
    assert_rules_hold(table, Policy(**policy), "funnel")


@PROPERTY
@given(plain_tables(), policies())
def test_random_plain_tables_are_protected_and_not_wasteful(table: Table, policy: dict[str, Any]) -> None:
    assert_rules_hold(table, Policy(**policy), "placements")


@pytest.mark.slow
@settings(max_examples=6, deadline=None)
@given(funnel_tables(max_categories=4, max_stages=7), policies())
def test_larger_random_funnels(table: Table, policy: dict[str, Any]) -> None:
    assert_rules_hold(table, Policy(**policy), "funnel")


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_full_size_two_way_funnel(seed: int) -> None:
    # Worst-case category counts of the contract: wijk 6 x gender 4 x 7 stages (245 cells).
    rng = np.random.default_rng(seed)
    exact = np.array([rng.multinomial(n, rng.dirichlet(np.ones(7))) for n in rng.integers(0, 40, 24)])
    table = funnel_of(exact.reshape(6, 4, 7), [[f"w{i}" for i in range(6)], [f"g{i}" for i in range(4)]])
    protected = suppress(table)
    assert audit(doc(protected), truth=[protected.truth()]).violations() == []
