"""The `instap.table/1` document: exact fields, order, cells, footnote; deterministic."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from services.rapportage.disclosure import (
    REPORT,
    TITLE,
    DisclosureError,
    DisclosureLeak,
    FunnelPerson,
    Policy,
    build_document,
    dumps,
    funnel_table,
    publish,
    suppress,
)
from services.rapportage.disclosure.publish import verify

from .helpers import doc, funnel_of, policy

PERIOD = dict(period_from=date(2026, 1, 1), period_to=date(2026, 12, 31))


def persons() -> list[FunnelPerson]:
    moment = datetime(2026, 3, 1, 9, tzinfo=UTC)
    out = []
    for i in range(40):
        wijk = ("wielwijk", "crabbehof", "oud_krispijn")[i % 3]
        gender = ("man", "vrouw")[i % 2] if i != 7 else "anders"
        reached = {"intake": moment} if i % 4 else {}
        if i % 5 == 0:
            reached["geplaatst"] = moment
        out.append(FunnelPerson(f"p{i}", moment, wijk, gender, "25-45", reached))
    return out


def test_contract_shape_field_order_and_cells() -> None:
    table = funnel_table(persons(), PERIOD["period_from"], PERIOD["period_to"], by=("wijk", "gender"))
    document = publish(table, Policy(), report=REPORT, title=TITLE, **PERIOD)
    assert list(document) == [
        "format", "report", "title", "period", "unit", "dimensions", "categories", "additive",
        "threshold", "cells", "notes",
    ]  # fmt: skip
    assert document["format"] == "instap.table/1" and document["report"] == "funnel"
    assert document["title"] == "Trechter in unieke personen"
    assert document["period"] == {"from": "2026-01-01", "to": "2026-12-31"}
    assert document["unit"] == "persons"
    assert document["dimensions"] == ["wijk", "gender", "stage"]
    assert document["categories"]["wijk"][0] == "oud_krispijn" and len(document["categories"]["stage"]) == 7
    assert document["additive"] == ["wijk", "gender"]
    assert document["threshold"] == 5
    assert len(document["cells"]) == 7 * 5 * 7
    keys = [tuple(c["key"].values()) for c in document["cells"]]
    assert len(set(keys)) == len(keys)
    for cell in document["cells"]:
        assert list(cell["key"]) == ["wijk", "gender", "stage"]
        assert set(cell) == {"key", "value", "status"}
        assert (cell["value"] is None) == (cell["status"] == "suppressed")
        if cell["status"] == "shown":
            assert not 1 <= cell["value"] < 5
    assert document["notes"] == [
        "Aantallen onder 5 en cellen waaruit die af te leiden zijn, staan niet in deze tabel."
    ]


def test_same_request_twice_gives_the_same_bytes() -> None:
    table = funnel_table(persons(), PERIOD["period_from"], PERIOD["period_to"], by=("gender",))
    first = dumps(publish(table, report=REPORT, title=TITLE, **PERIOD))
    second = dumps(publish(table, report=REPORT, title=TITLE, **PERIOD))
    assert first == second and json.loads(first)["cells"]


def test_rounded_cells_carry_rounded_to_and_a_note() -> None:
    exact = [[10, 7, 6, 3, 3], [0, 0, 0, 2, 9], [7, 10, 6, 7, 11], [8, 7, 6, 6, 11]]
    document = doc(suppress(funnel_of(exact, [("a", "b", "c", "d")]), policy(5, 5)))
    rounded = [c for c in document["cells"] if c["status"] == "rounded"]
    assert rounded and all(list(c) == ["key", "value", "status", "rounded_to"] for c in rounded)
    assert any("afgerond" in note for note in document["notes"])


def test_threshold_appears_in_the_footnote() -> None:
    document = doc(suppress(funnel_of([3, 20]), policy(10)))
    assert document["notes"][0].startswith("Aantallen onder 10 ")


def test_reversed_period_is_refused() -> None:
    with pytest.raises(DisclosureError):
        build_document(suppress(funnel_of([3, 20])), report="r", title="t", period_from=date(2026, 2, 1),
                       period_to=date(2026, 1, 1))  # fmt: skip


def test_publish_refuses_a_document_the_auditor_can_break() -> None:
    table = funnel_of([1, 1, 10, 0])
    protected = suppress(table)
    document = doc(protected)
    for cell in document["cells"]:
        if cell["status"] == "suppressed" and cell["key"]["stage"] == "s1":
            cell.update(value=11, status="shown")
    with pytest.raises(DisclosureLeak):
        verify([document], [protected])
