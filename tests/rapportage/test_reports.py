"""Every report against numbers computed by hand on a small fixed dataset (dataset.py), and the
funnel against the disclosure core's own reference implementation."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.rapportage import disclosure as dc
from services.rapportage.domain.pseudonym import pseudonym
from services.rapportage.domain.reports.catalog import REPORTS
from services.rapportage.domain.reports.query import ReportQuery
from tests.rapportage import dataset

START, END = date(2026, 1, 1), date(2026, 12, 31)


def truth(ctx: Any, name: str, by: tuple[str, ...], threshold: int = 3) -> dc.Table:
    with ctx.db.unit_of_work() as s:
        return REPORTS[name].table(s, ReportQuery(START, END, by, threshold))


def get(app: Any, headers: dict[str, str], name: str, **args: str) -> dict[str, Any]:
    response = app.test_client().get(
        f"/rapportage/api/v1/reports/{name}",
        query_string={**dataset.PERIOD, "threshold": "3", **args},
        headers=headers,
    )
    assert response.status_code == 200, response.json
    return response.json


def assert_published_is_true(document: dict[str, Any], table: dc.Table) -> None:
    """Every shown cell carries the true count; the rules checker finds nothing."""
    spec = table.spec
    truths = {}
    for cell in document["cells"]:
        key = tuple(cell["key"][d] for d in spec.names)
        truths[key] = table.value(key)
        if cell["status"] == "shown":
            assert cell["value"] == truths[key], (key, cell)
    assert dc.check_rules(document, truths) == []


@pytest.mark.both_backends
def test_funnel_by_hand_and_against_the_core(
    loaded: Any, rapportage_app: Any, bureau: dict[str, str]
) -> None:
    table = truth(loaded, "funnel", ())
    assert {s: table.value((s,)) for s in dc.STAGES} == dataset.HAND["funnel"]
    by_wijk = truth(loaded, "funnel", ("wijk",))
    for key, value in dataset.HAND["funnel_by_wijk"].items():
        assert by_wijk.value(key) == value, key
    key = loaded.settings.ensure_hash_key()
    persons = dataset.funnel_persons(lambda pid: pseudonym(key, "person", pid))
    for by in [(), ("wijk",), ("gender",), ("wijk", "age_band"), ("gender", "wijk")]:
        assert truth(loaded, "funnel", by) == dc.funnel_table(persons, START, END, by), by
    document = get(rapportage_app, bureau, "funnel", by="wijk")
    assert document["format"] == "instap.table/1" and document["dimensions"] == ["wijk", "stage"]
    assert_published_is_true(document, by_wijk)
    grand = next(c for c in document["cells"] if c["key"] == {"wijk": "*", "stage": "aangemeld"})
    assert grand == {"key": {"wijk": "*", "stage": "aangemeld"}, "value": 19, "status": "shown"}


@pytest.mark.parametrize(
    ("name", "by", "hand"),
    [
        ("placements", ("contractor",), "placements_by_contractor"),
        ("certificates", ("kind",), "certificates_by_kind"),
        ("retention", (), "retention"),
        ("ladder", (), "ladder"),
        ("fairness", ("gender",), "fairness_by_gender"),
        ("outreach", ("wijk", "maand"), "outreach"),
    ],
)
def test_report_by_hand(
    loaded: Any, rapportage_app: Any, bureau: dict[str, str], name: str, by: tuple[str, ...], hand: str
) -> None:
    table = truth(loaded, name, by)
    for key, value in dataset.HAND[hand].items():
        full = key if isinstance(key, tuple) else (key,)
        assert table.value(full) == value, (name, full)
    document = get(rapportage_app, bureau, name, by=",".join(by))
    assert document["report"] == name
    assert_published_is_true(document, table)


def test_time_to_placement_needs_enough_persons(
    loaded: Any, rapportage_app: Any, bureau: dict[str, str]
) -> None:
    document = get(rapportage_app, bureau, "time_to_placement")
    assert document["format"] == "instap.statistic/1"
    assert document["min_persons"] == 10
    assert document["groups"] == [{"group": "*", "enough": False, "q1": None, "median": None, "q3": None}]


def test_fairness_rates_come_from_the_published_document(
    loaded: Any, rapportage_app: Any, bureau: dict[str, str]
) -> None:
    response = rapportage_app.test_client().get(
        "/rapportage/api/v1/reports/fairness/rates",
        query_string={**dataset.PERIOD, "threshold": "3"},
        headers=bureau,
    )
    assert response.status_code == 200
    rates = response.json
    assert rates["group"] == "gender" and rates["min_persons"] == 10
    # 8 men and 11 women: fewer than 10 behind the men's rate, so nothing may be flagged.
    assert not any(g["flag"] for r in rates["rates"] for g in r["groups"])
