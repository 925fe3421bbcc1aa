"""The rapportage API: bad input gives clear 4xx in the project's error shape, access per role,
and every export carries exactly the numbers of the JSON document."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.conftest import bearer
from tests.rapportage import dataset

API = "/rapportage/api/v1/reports"
ARGS = {**dataset.PERIOD, "threshold": "3"}


def test_unknown_report_is_404(rapportage_app: Any, bureau: dict[str, str]) -> None:
    response = rapportage_app.test_client().get(f"{API}/salaris", headers=bureau)
    assert response.status_code == 404
    assert response.json["code"] == "not_found" and "Onbekend rapport" in response.json["message"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"by": "postcode"}, "by"),
        ({"by": "wijk,wijk"}, "by"),
        ({"by": "wijk,gender,age_band"}, "by"),
        ({"from": "2026-13-01"}, "from"),
        ({"to": "gisteren"}, "to"),
        ({"from": "2026-06-01", "to": "2026-01-01"}, "from"),
        ({"threshold": "2"}, "threshold"),
        ({"threshold": "drie"}, "threshold"),
    ],
)
def test_bad_input_is_422_per_field(
    rapportage_app: Any, bureau: dict[str, str], args: dict[str, str], field: str
) -> None:
    response = rapportage_app.test_client().get(f"{API}/funnel", query_string=args, headers=bureau)
    assert response.status_code == 422, response.json
    body = response.json
    assert set(body) == {"code", "status", "message", "errors"} and body["code"] == "invalid"
    assert field in body["errors"]


def test_filters_that_match_nothing_give_an_empty_protected_table(
    rapportage_app: Any, bureau: dict[str, str]
) -> None:
    response = rapportage_app.test_client().get(
        f"{API}/funnel", query_string={"from": "2030-01-01", "to": "2030-12-31", "by": "wijk"}, headers=bureau
    )
    assert response.status_code == 200
    assert {c["value"] for c in response.json["cells"]} == {0}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    by=st.text(alphabet="abcdegiknorstwj_,", max_size=30),
    threshold=st.one_of(st.integers(-5, 200).map(str), st.text(max_size=4)),
)
def test_any_query_is_answered_without_500(
    rapportage_app: Any, bureau: dict[str, str], by: str, threshold: str
) -> None:
    response = rapportage_app.test_client().get(
        f"{API}/funnel", query_string={"by": by, "threshold": threshold, "from": "2030-01-01"}, headers=bureau
    )
    assert response.status_code in (200, 422)


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("programmabureau", "/funnel", 200),
        ("beheerder", "/fairness", 200),
        ("jobcoach", "/funnel", 403),
        ("opleider", "/certificates", 403),
        ("aannemer", "/funnel", 403),
        ("aannemer", "/placements", 200),
        ("aannemer", "/fairness/rates", 403),
    ],
)
def test_access_per_role(
    rapportage_app: Any, make_token: Callable[..., str], role: str, path: str, status: int
) -> None:
    response = rapportage_app.test_client().get(f"{API}{path}", headers=bearer(make_token(role)))
    assert response.status_code == status, response.json


def test_anonymous_gets_401(rapportage_app: Any) -> None:
    assert rapportage_app.test_client().get(f"{API}/funnel").status_code == 401


def test_contractor_sees_only_its_own_placements(
    loaded: Any, rapportage_app: Any, make_token: Callable[..., str], accounts_db: Any
) -> None:
    from shared.auth.accounts import create_token
    from shared.auth.models import Organisation

    # The dataset's contractor 1 started 4 persons, contractor 2 one (P1, after contractor 1).
    with accounts_db.unit_of_work() as s:
        org = s.get(Organisation, 2) or Organisation(id=2, name="Aannemer Twee", kind="aannemer")
        s.add(org)
        s.flush()
        token = create_token(s, name="aannemer", role="aannemer", organisation=org)
    response = rapportage_app.test_client().get(
        f"{API}/placements", query_string={**ARGS, "by": "contractor"}, headers=bearer(token)
    )
    assert response.status_code == 200
    doc = response.json
    assert doc["categories"]["contractor"] == ["2"]
    assert "Alleen plaatsingen bij uw eigen organisatie." in doc["notes"]
    values = {c["key"]["contractor"]: c for c in doc["cells"]}
    assert values["2"]["status"] == "suppressed" or values["2"]["value"] == 1
    assert values["2"]["value"] != 4


def _doc_and_export(
    app: Any, headers: dict[str, str], name: str, by: str, fmt: str
) -> tuple[dict[str, Any], Any]:
    client = app.test_client()
    doc = client.get(f"{API}/{name}", query_string={**ARGS, "by": by}, headers=headers).json
    response = client.get(
        f"{API}/{name}/export", query_string={**ARGS, "by": by, "format": fmt}, headers=headers
    )
    assert response.status_code == 200, response.data[:300]
    return doc, response


@pytest.mark.parametrize(
    ("name", "by"),
    [("funnel", "wijk"), ("fairness", "gender"), ("placements", "contractor"), ("outreach", "wijk,maand")],
)
def test_csv_and_xlsx_carry_the_numbers_of_the_json(
    loaded: Any, rapportage_app: Any, bureau: dict[str, str], name: str, by: str
) -> None:
    doc, response = _doc_and_export(rapportage_app, bureau, name, by, "csv")
    rows = list(csv.DictReader(io.StringIO(response.data.decode())))
    assert len(rows) == len(doc["cells"])
    for row, cell in zip(rows, doc["cells"], strict=True):
        assert {d: row[d] for d in doc["dimensions"]} == cell["key"]
        assert row["status"] == cell["status"]
        assert row["value"] == ("" if cell["value"] is None else str(cell["value"]))

    doc, response = _doc_and_export(rapportage_app, bureau, name, by, "xlsx")
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames[0] == "Uitleg"
    sheet = workbook[workbook.sheetnames[1]]
    values = [row for row in sheet.iter_rows(min_row=5, max_row=4 + len(doc["cells"]), values_only=True)]
    width = len(doc["dimensions"])
    for row, cell in zip(values, doc["cells"], strict=True):
        expected = "." if cell["status"] == "suppressed" else cell["value"]
        assert row[width] == expected


def test_pdf_carries_the_shown_numbers(loaded: Any, rapportage_app: Any, bureau: dict[str, str]) -> None:
    doc, response = _doc_and_export(rapportage_app, bureau, "funnel", "", "pdf")
    assert response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert doc["title"] in text
    for cell in doc["cells"]:
        if cell["status"] == "shown":
            assert str(cell["value"]) in text
