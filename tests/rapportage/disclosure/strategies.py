"""Hypothesis strategies: small funnel and plain tables, dense in small counts and zeros."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from services.rapportage.disclosure import Dimension, Table, TableSpec

from .helpers import funnel_of

# Mostly small numbers (the interesting ones), some zeros, now and then a large one.
COUNT = st.one_of(st.integers(0, 4), st.integers(0, 12), st.integers(10, 60))


@st.composite
def funnel_tables(draw: st.DrawFn, max_categories: int = 3, max_stages: int = 5) -> Table:
    breakdowns = draw(st.integers(0, 2))
    shape = [draw(st.integers(1, max_categories)) for _ in range(breakdowns)]
    shape.append(draw(st.integers(2, max_stages)))
    exact = np.array(draw(st.lists(COUNT, min_size=int(np.prod(shape)), max_size=int(np.prod(shape)))))
    names = [[f"c{j}" for j in range(n)] for n in shape[:-1]]
    return funnel_of(exact.reshape(shape), names)


@st.composite
def plain_tables(draw: st.DrawFn) -> Table:
    """Additive tables without stages (placements by contractor, certificates by type...)."""
    shape = [draw(st.integers(1, 4)) for _ in range(draw(st.integers(1, 2)))]
    counts = np.array(draw(st.lists(COUNT, min_size=int(np.prod(shape)), max_size=int(np.prod(shape)))))
    dims = tuple(Dimension(f"d{i}", tuple(f"c{j}" for j in range(n))) for i, n in enumerate(shape))
    return Table(TableSpec(dims), counts.reshape(shape))


def policies() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"threshold": st.sampled_from([3, 5]), "rounded_to": st.sampled_from([None, None, 5])}
    )
