"""Logs (issue 11): JSON lines with correlation, job and event ids, and no personal data.

The session-wide check in tests/conftest.py looks at every test for the resident most tests
register; this test runs a whole flow (intake, consent, relay, matching worker, match run,
both sides accept, introduction, erasure) for a resident of its own, with the apps at INFO
(the production level), and fails when that resident's name, e-mail, phone or postcode is in
any line written meanwhile.
"""

from __future__ import annotations

import json
import logging

import pytest

from services.matching.domain import runs
from tests.conftest import LoggedIn, resident_payload
from tests.matching.factories import task_payload
from tests.support.logcheck import leaks, personal_values, recorder
from tests.support.workers import run_worker_burst

INTAKE = "/intake/api/v1/residents"
PROPOSALS = "/matching/api/v1/proposals"
RESIDENT = {
    "first_name": "Fenna",
    "last_name": "Oudejans",
    "email": "fenna.oudejans@example.nl",
    "phone": "06 98765432",
    "postcode": "3318 KL",
}


def test_the_check_finds_personal_data_in_a_line():
    """The check can fail: a line with the resident's name, phone or postcode is found, in any
    spelling the data is stored or sent in."""
    values = personal_values(RESIDENT)
    lines = recorder().lines
    start = len(lines)
    logging.getLogger("tests.logcheck").warning("bellen met %s", "0698765432")
    logging.getLogger("tests.logcheck").warning("adres", extra={"postcode": "3318KL"})
    logging.getLogger("tests.logcheck").warning("naam", extra={"who": "fenna OUDEJANS"})
    found = leaks(lines[start:], values)
    del lines[start:]
    assert {value for value, _ in found} == {"0698765432", "3318kl", "fenna", "oudejans"}


@pytest.mark.both_backends
def test_a_full_flow_writes_json_lines_with_ids_and_no_personal_data(app, matching_app, settings, make_user):
    lines = recorder().lines
    start = len(lines)
    coach_user = make_user("jobcoach")
    coach = LoggedIn(app.test_client(), coach_user)
    contractor_user = make_user("aannemer", org="Installateur Dordt")
    contractor = LoggedIn(matching_app.test_client(), contractor_user, "/matching")
    contractor.post("/matching/api/v1/tasks", json=task_payload(wijk="wielwijk", places=2))

    created = coach.post(INTAKE, json=resident_payload(**RESIDENT), headers={"X-Request-ID": "flow-0001"})
    assert created.status_code == 201, created.json
    pid = created.json["programme_id"]
    for purpose in ("registratie", "delen_werkgever"):
        r = coach.post(
            f"{INTAKE}/{pid}/consents",
            json={"purpose": purpose, "method": "schriftelijk", "info_version": "2026-01"},
            headers={"X-Request-ID": "flow-0001"},
        )
        assert r.status_code == 201
    # A mistake with personal data in it: the 422 must not put the value in a log line.
    assert coach.patch(f"{INTAKE}/{pid}", json={"email": "fenna.oudejans@"}).status_code == 422
    run_worker_burst(settings)  # matching receives the pseudonymous profile
    db = matching_app.extensions["instap"].db
    with db.unit_of_work() as s:
        run_id = runs.request_run(s, "full", None, "test").id
    runs.execute(db, run_id)
    matching_coach = LoggedIn(matching_app.test_client(), coach_user, "/matching")
    [proposal] = [p for p in matching_coach.get(PROPOSALS).json if p["programme_id"] == pid]
    matching_coach.post(f"{PROPOSALS}/{proposal['id']}/coach-decision", json={"accept": True})
    assert contractor.post(f"{PROPOSALS}/{proposal['id']}/decision", json={"accept": True}).status_code == 200
    run_worker_burst(settings, service="matching")
    run_worker_burst(settings, service="intake")  # the introduction
    intros = LoggedIn(app.test_client(), contractor_user).get("/intake/api/v1/introductions").json
    assert [i["name"] for i in intros] == ["Fenna Oudejans"]  # the flow really carried the data
    assert coach.get(f"{INTAKE}/{pid}/export").status_code == 200
    assert coach.delete(f"{INTAKE}/{pid}").status_code == 204
    run_worker_burst(settings)

    flow = lines[start:]
    found = leaks(flow, personal_values(RESIDENT))
    assert not found, f"personal data in a log line: {found[0]}"
    records = [json.loads(line) for line in flow]
    assert records, "the flow wrote no log line at all: the check would prove nothing"
    for record in records:
        assert {"time", "level", "logger", "message", "correlation_id", "job_id", "event_id"} <= set(record)
    applied = [r for r in records if r["message"] == "event applied"]
    assert applied, "no event was applied in a worker"
    for record in applied:
        # A relay round's events travel in one job per consumer (evts-<consumer>-<digest>); each
        # line names its own event.
        assert record["job_id"].startswith("evts-") and record["event_id"] not in ("", "-")
        assert record["correlation_id"] != "-"
    # The request's id follows its events into the jobs they cause.
    assert any(r["correlation_id"] == "flow-0001" for r in applied)
    del lines[start:]
