"""Tables in one pack that share totals are suppressed together and attacked together."""

from __future__ import annotations

import numpy as np
import pytest

from services.rapportage.disclosure import (
    STAR,
    DisclosureError,
    Status,
    audit,
    check_rules,
    publish_views,
    suppress,
    suppress_views,
)

from .helpers import PERIOD, doc, funnel_of

WIJK, GENDER = ("a", "b", "c"), ("m", "v", "x")


def base_table():  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(5)
    exact = rng.integers(0, 7, size=(3, 3, 4))
    return funnel_of(exact, [WIJK, GENDER])


def test_two_tables_sharing_the_stage_totals_get_one_status_per_shared_cell() -> None:
    by_wijk, by_gender = suppress_views(base_table(), [("d0", "stage"), ("d1", "stage")])
    assert by_wijk.table.spec.names == ("d0", "stage") and by_gender.table.spec.names == ("d1", "stage")
    for stage in ("s0", "s1", "s2", "s3"):
        assert by_wijk.cell((STAR, stage)).status is by_gender.cell((STAR, stage)).status
        assert by_wijk.cell((STAR, stage)).value == by_gender.cell((STAR, stage)).value
    documents = [doc(by_wijk), doc(by_gender)]
    assert audit(*documents, truth=[by_wijk.truth(), by_gender.truth()]).violations() == []
    assert check_rules(documents[0], by_wijk.truth(), pack=[(documents[1], by_gender.truth())]) == []


def test_three_views_of_a_two_way_table_are_protected_against_the_whole_pack() -> None:
    # The two one-way tables and the two-way table: the attacker combines all three.
    views = [("d0", "stage"), ("d1", "stage"), ("d0", "d1", "stage")]
    protected = suppress_views(base_table(), views)
    documents = [doc(p) for p in protected]
    assert audit(*documents, truth=[p.truth() for p in protected]).violations() == []
    for stage in ("s0", "s1", "s2", "s3"):
        assert len({p.cell((STAR, stage) if len(p.table.spec.names) == 2 else (STAR, STAR, stage)).status
                    for p in protected}) == 1  # fmt: skip


def test_a_later_table_can_take_the_statuses_another_fixed() -> None:
    base = base_table()
    first = suppress(funnel_of(base.atoms().sum(axis=1), [WIJK], ["d0"]))
    shared = [(STAR, s) for s in ("s0", "s1", "s2", "s3")]
    shown = [k for k in shared if first.cell(k).status is Status.SHOWN]
    hidden = [k for k in shared if first.cell(k).status is Status.SUPPRESSED]
    second = suppress(funnel_of(base.atoms().sum(axis=0), [GENDER], ["d1"]), show=shown, hide=hidden)
    for key in shared:
        assert first.cell(key).status is second.cell(key).status


def test_publish_views_audits_the_pack() -> None:
    documents = publish_views(
        base_table(), [("d0", "stage"), ("d1", "stage")], report="funnel", titles=["per wijk", "per gender"],
        period_from=PERIOD[0], period_to=PERIOD[1],
    )  # fmt: skip
    assert [d["title"] for d in documents] == ["per wijk", "per gender"]
    assert audit(*documents).ranges


def test_views_must_keep_the_stage_and_name_known_dimensions() -> None:
    for views in ([("d0",)], [("d0", "nope", "stage")], [("d0", "d0", "stage")], []):
        with pytest.raises(DisclosureError):
            suppress_views(base_table(), views)
