"""The table model: every cell once, additive totals exact, atoms, validation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from services.rapportage.disclosure import STAR, Dimension, DisclosureError, Policy, Table, TableSpec

from .helpers import funnel_of


def test_every_cell_once_with_totals_for_additive_dimensions_only() -> None:
    spec = TableSpec(
        (
            Dimension("wijk", ("a", "b", "c")),
            Dimension("gender", ("m", "v")),
            Dimension("stage", ("x", "y"), False),
        ),
        cumulative="stage",
    )
    keys = spec.cell_keys()
    assert len(keys) == len(set(keys)) == 4 * 3 * 2
    assert set(keys) == set(itertools.product(("a", "b", "c", STAR), ("m", "v", STAR), ("x", "y")))
    assert keys[0] == ("a", "m", "x") and keys[-1] == (STAR, STAR, "y")
    assert spec.grand_total_key() == (STAR, STAR, "x")


def test_totals_are_exact_sums_of_their_parts() -> None:
    rng = np.random.default_rng(7)
    table = funnel_of(rng.integers(0, 9, size=(3, 2, 4)), [("a", "b", "c"), ("m", "v")])
    values = {c.key: c.value for c in table.cells()}
    for (w, g, s), value in values.items():
        if w == STAR:
            assert value == sum(values[(x, g, s)] for x in ("a", "b", "c"))
        if g == STAR:
            assert value == sum(values[(w, x, s)] for x in ("m", "v"))
    assert values[(STAR, STAR, "s0")] == int(table.atoms().sum())


def test_atoms_of_a_cumulative_table_are_units_at_exactly_each_stage() -> None:
    table = funnel_of([[3, 0, 2, 1]], [("a",)])
    assert table.counts.tolist() == [[6, 3, 3, 1]]
    assert table.atoms().tolist() == [[3, 0, 2, 1]]


def test_from_counts_leaves_missing_combinations_at_zero() -> None:
    spec = TableSpec((Dimension("wijk", ("a", "b")), Dimension("soort", ("p", "q"))))
    table = Table.from_counts(spec, {("a", "q"): 4})
    assert table.value(("a", STAR)) == 4 and table.value((STAR, "p")) == 0


@pytest.mark.parametrize(
    "build",
    [
        lambda: Dimension("wijk", ()),
        lambda: Dimension("wijk", ("a", "a")),
        lambda: Dimension("wijk", ("a", STAR)),
        lambda: TableSpec((Dimension("w", ("a",)), Dimension("w", ("b",)))),
        lambda: TableSpec((Dimension("stage", ("x", "y")),), cumulative="stage"),
        lambda: TableSpec((Dimension("w", ("a",)),), cumulative="stage"),
        lambda: Table(TableSpec((Dimension("w", ("a", "b")),)), [1, -1]),
        lambda: Table(TableSpec((Dimension("w", ("a", "b")),)), [1.5, 1]),
        lambda: Table(TableSpec((Dimension("w", ("a", "b")),)), [1, 2, 3]),
        lambda: Table(TableSpec((Dimension("s", ("x", "y"), False),), cumulative="s"), [1, 2]),
        lambda: Table.from_counts(TableSpec((Dimension("w", ("a", "b")),)), {(STAR,): 1}),
        lambda: Table.from_counts(TableSpec((Dimension("w", ("a", "b")),)), {("z",): 1}),
    ],
)
def test_bad_tables_are_refused_with_a_clear_error(build) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DisclosureError):
        build()


@pytest.mark.parametrize("threshold", [2, 1, 0, -5, True, 4.5])
def test_threshold_below_three_or_not_whole_is_refused(threshold) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DisclosureError) as err:
        Policy(threshold=threshold)
    assert err.value.field == "threshold"


@pytest.mark.parametrize("multiple", [0, 1, True, 2.5])
def test_rounding_needs_a_whole_multiple_of_at_least_two(multiple) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DisclosureError):
        Policy(rounded_to=multiple)
