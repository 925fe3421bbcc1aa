"""Small builders shared by the disclosure tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np

from services.rapportage.disclosure import (
    Dimension,
    Policy,
    ProtectedTable,
    Table,
    TableSpec,
    build_document,
)

PERIOD = (date(2026, 1, 1), date(2026, 12, 31))


def stages(n: int) -> Dimension:
    return Dimension("stage", tuple(f"s{i}" for i in range(n)), additive=False)


def funnel_of(
    exact: Sequence[Any] | np.ndarray, names: Sequence[Sequence[str]] = (), dims_named: Sequence[str] = ()
) -> Table:
    """A funnel table from persons at *exactly* each stage (last axis), one axis per breakdown
    (named `dims_named`, or d0, d1, ...)."""
    exact = np.asarray(exact, dtype=np.int64)
    labels = list(dims_named) or [f"d{i}" for i in range(len(names))]
    dims = [Dimension(labels[i], tuple(cats)) for i, cats in enumerate(names)]
    dims.append(stages(exact.shape[-1]))
    cumulative = np.flip(np.cumsum(np.flip(exact, -1), -1), -1)
    return Table(TableSpec(tuple(dims), cumulative="stage"), cumulative)


def doc(protected: ProtectedTable, report: str = "funnel") -> dict[str, Any]:
    return build_document(protected, report=report, title="t", period_from=PERIOD[0], period_to=PERIOD[1])


def statuses(protected: ProtectedTable) -> dict[tuple[str, ...], str]:
    return {c.key: c.status.value for c in protected.cells}


def policy(threshold: int = 5, rounded_to: int | None = None) -> Policy:
    return Policy(threshold=threshold, rounded_to=rounded_to)
