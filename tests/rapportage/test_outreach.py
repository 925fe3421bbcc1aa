"""Outreach activities: recorded by coaches and the bureau as headcounts, checked per field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import bearer

URL = "/rapportage/api/v1/outreach"
GOOD = {"held_on": "2026-03-05", "wijk": "wielwijk", "kind": "informatiebijeenkomst", "reached": 20}


@pytest.mark.parametrize("role", ["jobcoach", "programmabureau", "beheerder"])
def test_recorded_by_coaches_and_the_bureau(
    rapportage_app: Any, make_token: Callable[..., str], role: str
) -> None:
    client = rapportage_app.test_client()
    headers = bearer(make_token(role))
    response = client.post(URL, json=GOOD, headers=headers)
    assert response.status_code == 201, response.json
    assert response.json["reached"] == 20
    assert [a["id"] for a in client.get(URL, headers=headers).json] == [response.json["id"]]


@pytest.mark.parametrize("role", ["aannemer", "opleider"])
def test_others_may_not(rapportage_app: Any, make_token: Callable[..., str], role: str) -> None:
    assert (
        rapportage_app.test_client().post(URL, json=GOOD, headers=bearer(make_token(role))).status_code == 403
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"wijk": "amsterdam"}, "wijk"),
        ({"kind": "feest"}, "kind"),
        ({"reached": -1}, "reached"),
        ({"held_on": "2999-01-01"}, "held_on"),
        ({"held_on": "morgen"}, "held_on"),
        ({"description": "BSN 111222333"}, "description"),
        ({"name": "Jan"}, "name"),
    ],
)
def test_bad_input_per_field(
    rapportage_app: Any, make_token: Callable[..., str], change: dict[str, Any], field: str
) -> None:
    response = rapportage_app.test_client().post(
        URL, json={**GOOD, **change}, headers=bearer(make_token("jobcoach"))
    )
    assert response.status_code == 422
    assert field in response.json["errors"]
