"""API: contractors' entry tasks and de Beroepentuin's training slots."""

from __future__ import annotations

import pytest

from tests.conftest import LoggedIn, bearer
from tests.matching.factories import slot_payload, task_payload

TASKS = "/matching/api/v1/tasks"
SLOTS = "/matching/api/v1/slots"


@pytest.fixture
def contractor(matching_app, make_user):
    return LoggedIn(matching_app.test_client(), make_user("aannemer", org="Aannemer A"), "/matching")


@pytest.mark.both_backends
def test_contractor_posts_edits_and_closes_own_task(matching_app, contractor):
    created = contractor.post(TASKS, json=task_payload())
    assert created.status_code == 201, created.json
    task = created.json
    assert task["filled"] == 0 and task["status"] == "open" and task["places"] == 3
    assert contractor.get(f"{TASKS}/{task['id']}").json["title"].startswith("Hulpmonteur")
    changed = contractor.patch(f"{TASKS}/{task['id']}", json={"places": 5, "hours_per_week": 32})
    assert changed.status_code == 200 and changed.json["places"] == 5
    closed = contractor.delete(f"{TASKS}/{task['id']}")
    assert closed.status_code == 200 and closed.json["status"] == "gesloten"
    assert contractor.patch(f"{TASKS}/{task['id']}", json={"places": 2}).status_code == 409
    assert [t["id"] for t in contractor.get(f"{TASKS}?status=gesloten").json] == [task["id"]]


def test_organisation_sees_and_edits_only_its_own_tasks(matching_app, contractor, make_user):
    other = LoggedIn(matching_app.test_client(), make_user("aannemer", org="Aannemer B"), "/matching")
    task_id = contractor.post(TASKS, json=task_payload()).json["id"]
    assert other.get(TASKS).json == []
    assert other.get(f"{TASKS}/{task_id}").status_code == 404
    assert other.patch(f"{TASKS}/{task_id}", json={"places": 1}).status_code == 404
    assert other.delete(f"{TASKS}/{task_id}").status_code == 404
    coach = LoggedIn(matching_app.test_client(), make_user("jobcoach"), "/matching")
    assert [t["id"] for t in coach.get(TASKS).json] == [task_id]
    assert coach.post(TASKS, json=task_payload()).status_code == 403


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("occupation", "astronaut"),
        ("wijk", "narnia"),
        ("start_date", "morgen"),
        ("hours_per_week", 80),
        ("places", 0),
        ("contract_type", "zwart"),
        ("req_certificates", ["rijbewijs_z"]),
        ("req_language_spoken", "B9"),
        ("werkprocessen", ["werkproces 1"]),
        ("title", ""),
        ("sroi_tag", "111222333"),
        ("end_date", "2020-01-01"),
    ],
)
def test_task_field_errors(matching_app, contractor, field, value):
    response = contractor.post(TASKS, json=task_payload(**{field: value}))
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


def test_task_unknown_field_and_missing_fields(matching_app, contractor):
    assert contractor.post(TASKS, json=task_payload(salaris=9000)).status_code == 422
    missing = contractor.post(TASKS, json={"title": "Iets"})
    assert missing.status_code == 422
    assert {"occupation", "wijk", "start_date", "places"} <= set(missing.json["errors"])


def test_trainer_publishes_slots(matching_app, make_user):
    trainer = LoggedIn(matching_app.test_client(), make_user("opleider", org="De Beroepentuin"), "/matching")
    created = trainer.post(SLOTS, json=slot_payload())
    assert created.status_code == 201, created.json
    assert created.json["grants"] == ["vca_basis", "praktijkverklaring"]
    bad = trainer.post(SLOTS, json=slot_payload(crebo="123", weeks=20))
    assert bad.status_code == 422 and {"crebo", "weeks"} <= set(bad.json["errors"])
    contractor = LoggedIn(matching_app.test_client(), make_user("aannemer"), "/matching")
    assert contractor.post(SLOTS, json=slot_payload()).status_code == 403
    assert contractor.get(SLOTS).status_code == 403


def test_roles_and_tokens_on_supply_endpoints(matching_app, make_token):
    client = matching_app.test_client()
    assert client.get(TASKS).status_code == 401
    assert client.get(TASKS, headers=bearer(make_token("opleider"))).status_code == 403
    assert client.get(SLOTS, headers=bearer(make_token("aannemer"))).status_code == 403
    token = make_token("aannemer", org="Aannemer Token")
    created = client.post(TASKS, json=task_payload(), headers=bearer(token))
    assert created.status_code == 201
    assert client.get(TASKS, headers=bearer(token)).json[0]["id"] == created.json["id"]


def test_matching_openapi_and_health(matching_app):
    client = matching_app.test_client()
    assert client.get("/matching/healthz").json["service"] == "matching"
    assert client.get("/matching/readyz").status_code == 200
    paths = client.get("/matching/api/openapi.json").json["paths"]
    assert {"/api/v1/tasks", "/api/v1/slots", "/api/v1/proposals", "/api/v1/runs"} <= set(paths)
