"""Issue 7 item 7: an organisation never sees a resident's programme id. After an accepted
proposal, an agreed and started placement, enrolments (from a proposal and from a coach) and a
certificate, the contractor and the trainer fetch every matching page and API read they can reach
(every GET route of the app, ids filled in): the programme id appears in none of them. Pages and
records show the organisation's own pseudonym of the resident for the opening instead; the coach
still gets the programme id."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from services.matching.models import Proposal
from shared import clock
from tests.conftest import LoggedIn
from tests.matching.factories import (
    add_candidate,
    add_proposal,
    backdate_task,
    card_pseudonym,
    slot_payload,
    slot_pseudonym,
    task_payload,
)
from tests.matching.test_enrolments import completion

PLACED = "DW-ORGP0001"
PROPOSED = "DW-ORGP0002"  # enrolled from an accepted training proposal
ENTERED = "DW-ORGP0003"  # enrolled by their coach, no proposal
API = "/matching/api/v1"
# Routes no organisation reads for a resident: the id is part of the URL itself (staff only),
# the RQ dashboard, static files, and the service's own machinery.
SKIP_ARGS = {"programme_id", "filename", "instance_number", "slug", "run_id", "job_id", "queue_name"}


def _db(app: Any) -> Any:
    return app.extensions["instap"].db


def _crawl(app: Any, client: LoggedIn, ids: dict[str, Any], extra: list[str]) -> dict[str, bytes]:
    """Every GET route of the matching app with the given ids filled in (row_id: the task on
    /taken, the slot on /plekken), plus `extra` URLs; url → body."""
    bodies: dict[str, bytes] = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.arguments & SKIP_ARGS or rule.rule.startswith("/rq"):
            continue
        values = dict(ids)
        values["row_id"] = ids["slot_id"] if rule.rule.startswith("/plekken") else ids["task_id"]
        missing = rule.arguments - set(values)
        assert not missing, (rule.rule, missing)  # a new route: give the test its id
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<int:{name}>", str(values[name])).replace(f"<{name}>", str(values[name]))
        bodies[path] = client.get(f"/matching{path}").data
    for url in extra:
        bodies[url] = client.get(url).data
    return bodies


def _assert_nowhere(bodies: dict[str, bytes], *programme_ids: str) -> None:
    for url, body in bodies.items():
        for pid in programme_ids:
            assert pid.encode() not in body, f"{pid} on {url}"


def test_contractor_never_sees_the_programme_id(matching_app: Any, make_user: Any) -> None:
    coach_user = make_user("jobcoach")
    coach = LoggedIn(matching_app.test_client(), coach_user, "/matching")
    contractor = LoggedIn(matching_app.test_client(), make_user("aannemer", org="Aannemer P"), "/matching")
    task_id = contractor.post(
        f"{API}/tasks",
        json=task_payload(
            places=2,
            start_date=clock.today().isoformat(),
            end_date=(clock.today() + timedelta(days=90)).isoformat(),
        ),
    ).json["id"]
    backdate_task(_db(matching_app), task_id, clock.today() - timedelta(days=10))
    add_candidate(_db(matching_app), PLACED, coach_id=coach_user.id)
    proposal_id = add_proposal(_db(matching_app), PLACED, task_id, coach_id=coach_user.id)
    assert (
        contractor.post(f"{API}/proposals/{proposal_id}/decision", json={"accept": True}).status_code == 200
    )
    [placement] = contractor.get(f"{API}/placements").json
    base = f"{API}/placements/{placement['id']}"
    assert contractor.patch(base, json={"hours_per_week": 32, "sroi_tag": "SROI-P"}).status_code == 200
    started = contractor.post(
        f"{base}/start", json={"started_on": (clock.today() - timedelta(days=3)).isoformat()}
    )
    assert started.status_code == 200, started.json

    shown = card_pseudonym(matching_app, PLACED, task_id)
    assert started.json["pseudonym"] == shown and "programme_id" not in started.json
    assert contractor.get(base).json["pseudonym"] == shown
    period = f"from={(clock.today() - timedelta(days=30)).isoformat()}&to={clock.today().isoformat()}"
    csv_url = f"{API}/placements/sroi-export?{period}"
    bodies = _crawl(
        matching_app,
        contractor,
        {"task_id": task_id, "slot_id": 0, "proposal_id": proposal_id, "placement_id": placement["id"]}
        | {"enrolment_id": 0, "code": "X"},
        [csv_url, f"/matching/plaatsingen/sroi.csv?{period}&sroi_tag=SROI-P"],
    )
    _assert_nowhere(bodies, PLACED)
    # The pages and the export do name the resident, by the contractor's pseudonym.
    assert (
        shown.encode() in bodies["/plaatsingen"]
        and shown.encode() in bodies[f"/plaatsingen/{placement['id']}"]
    )
    [row] = csv.DictReader(io.StringIO(bodies[csv_url].decode("utf-8-sig")), delimiter=";")
    assert row["deelnemer_pseudoniem"] == shown
    # The coach keeps the programme id.
    assert coach.get(base).json["programme_id"] == PLACED and "pseudonym" not in coach.get(base).json


def test_trainer_never_sees_the_programme_id(matching_app: Any, make_user: Any) -> None:
    coach_user = make_user("jobcoach")
    coach = LoggedIn(matching_app.test_client(), coach_user, "/matching")
    trainer = LoggedIn(matching_app.test_client(), make_user("opleider", org="Beroepentuin P"), "/matching")
    slot_id = trainer.post(f"{API}/slots", json=slot_payload()).json["id"]
    add_candidate(_db(matching_app), PROPOSED, coach_id=coach_user.id)
    with _db(matching_app).unit_of_work() as s:
        p = Proposal(
            programme_id=PROPOSED,
            opening_key=f"slot:{slot_id}",
            slot_id=slot_id,
            coach_id=coach_user.id,
            score=0.9,
            explanation={},
            explanation_nl="past",
            status="coach_akkoord",
        )
        s.add(p)
        s.flush()
        proposal_id = p.id
    assert trainer.post(f"{API}/proposals/{proposal_id}/decision", json={"accept": True}).status_code == 200
    add_candidate(_db(matching_app), ENTERED, coach_id=coach_user.id)
    entered = coach.post(f"{API}/enrolments", json={"programme_id": ENTERED, "slot_id": slot_id})
    assert entered.status_code == 201 and entered.json["programme_id"] == ENTERED  # the coach's view
    eid = entered.json["id"]
    for status in ("orientatie", "opleiding"):
        moved = trainer.post(f"{API}/enrolments/{eid}/status", json={"status": status})
        assert moved.status_code == 200 and "programme_id" not in moved.json
    issued = trainer.post(f"{API}/enrolments/{eid}/complete", json=completion())
    assert issued.status_code == 201, issued.json
    code = issued.json[0]["verification_code"]

    by_id = {e["id"]: e for e in trainer.get(f"{API}/enrolments").json}
    assert by_id[eid]["pseudonym"] == slot_pseudonym(matching_app, ENTERED, slot_id)
    proposed = next(e for e in by_id.values() if e["proposal_id"] == proposal_id)
    # From a proposal: the pseudonym on the trainer's card of that proposal.
    assert proposed["pseudonym"] == slot_pseudonym(matching_app, PROPOSED, slot_id)
    assert all(c["pseudonym"] == by_id[eid]["pseudonym"] for c in issued.json)
    bodies = _crawl(
        matching_app,
        trainer,
        {"task_id": 0, "slot_id": slot_id, "proposal_id": proposal_id, "placement_id": 0}
        | {"enrolment_id": eid, "code": code},
        [f"{API}/enrolments?slot_id={slot_id}", f"{API}/certificates?status=valid"],
    )
    _assert_nowhere(bodies, PROPOSED, ENTERED)
    assert proposed["pseudonym"].encode() in bodies[f"/plekken/{slot_id}/cohort"]
