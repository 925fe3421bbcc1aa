"""Placements: terms, a confirmed start (a date, early only with a reason), end and cancel, each
a placement.changed event; capacity by conditional UPDATE; SROI export; the timeline source."""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.matching.domain import placements as placements_domain
from services.matching.models import OutboxEvent, Placement, Proposal, Task
from shared import clock
from tests.conftest import LoggedIn
from tests.matching.factories import (
    add_candidate,
    add_proposal,
    backdate_task,
    card_pseudonym,
    task_payload,
)

TASKS = "/matching/api/v1/tasks"
PROPOSALS = "/matching/api/v1/proposals"
PLACEMENTS = "/matching/api/v1/placements"


def _db(app):
    return app.extensions["instap"].db


@pytest.fixture
def placed(matching_app, make_user):
    """A contractor's task (started 10 days ago, 2 places) and one agreed placement."""
    coach = make_user("jobcoach")
    contractor = LoggedIn(matching_app.test_client(), make_user("aannemer", org="Aannemer A"), "/matching")
    task_id = contractor.post(
        TASKS,
        json=task_payload(
            places=2,
            start_date=clock.today().isoformat(),
            end_date=(clock.today() + timedelta(days=200)).isoformat(),
        ),
    ).json["id"]
    backdate_task(_db(matching_app), task_id, clock.today() - timedelta(days=10))
    add_candidate(_db(matching_app), "DW-PLAC0001", coach_id=coach.id)
    proposal_id = add_proposal(_db(matching_app), "DW-PLAC0001", task_id, coach_id=coach.id)
    assert contractor.post(f"{PROPOSALS}/{proposal_id}/decision", json={"accept": True}).status_code == 200
    [placement] = contractor.get(PLACEMENTS).json
    return coach, contractor, task_id, proposal_id, placement


def _events(app, placement_id: int) -> list[dict]:
    with _db(app).unit_of_work() as s:
        rows = s.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.subject == f"placement:{placement_id}")
            .order_by(OutboxEvent.seq)
        ).all()
        return [{"seq": r.seq, "version": r.version, **json.loads(r.payload)} for r in rows]


@pytest.mark.both_backends
def test_agreed_placement_starts_from_the_tasks_terms_and_emits_an_event(matching_app, placed):
    _, _, task_id, proposal_id, placement = placed
    assert placement["status"] == "afgesproken" and placement["proposal_id"] == proposal_id
    assert placement["contract_type"] == "bbl" and placement["hours_per_week"] == 24
    assert placement["sroi_tag"] == "SROI-2027-014" and placement["wage_subsidy"] is False
    assert placement["planned_start"] == (clock.today() - timedelta(days=10)).isoformat()
    [event] = _events(matching_app, placement["id"])
    assert event["seq"] == 1 and event["version"] == 1 and event["status"] == "afgesproken"
    assert event["programme_id"] == "DW-PLAC0001" and event["task_id"] == task_id
    assert not {"name", "first_name", "email", "phone"} & set(event)


def test_terms_are_checked_and_belong_to_the_contractor(matching_app, placed, make_user):
    coach, contractor, _, _, placement = placed
    url = f"{PLACEMENTS}/{placement['id']}"
    ok = contractor.patch(
        url,
        json={
            "contract_type": "bepaalde_tijd",
            "hours_per_week": 32,
            "wage_subsidy": True,
            "jobcoach_support": True,
            "sroi_tag": "SROI-TRIVIRE-7",
        },
    )
    assert ok.status_code == 200 and ok.json["wage_subsidy"] is True and ok.json["hours_per_week"] == 32
    for bad, field in (
        ({"contract_type": "zzp"}, "contract_type"),
        ({"hours_per_week": 0}, "hours_per_week"),
        ({"planned_start": (clock.today() + timedelta(days=400)).isoformat()}, "planned_start"),
        ({"colour": "rood"}, "colour"),
    ):
        r = contractor.patch(url, json=bad)
        assert r.status_code == 422 and field in r.json["errors"], (bad, r.json)
    assert contractor.patch(url, json={}).status_code == 422
    other = LoggedIn(matching_app.test_client(), make_user("aannemer", org="Aannemer B"), "/matching")
    assert other.patch(url, json={"hours_per_week": 8}).status_code == 404
    coach_client = LoggedIn(matching_app.test_client(), coach, "/matching")
    assert coach_client.get(url).status_code == 200  # the coach of the resident reads it
    assert coach_client.patch(url, json={"hours_per_week": 8}).status_code == 403
    assert contractor.get(url).json["hours_per_week"] == 32  # nothing half-written


@pytest.mark.both_backends
def test_start_is_a_date_not_in_the_future_and_early_only_with_a_reason(matching_app, placed):
    _, contractor, task_id, proposal_id, placement = placed
    url = f"{PLACEMENTS}/{placement['id']}/start"
    future = contractor.post(url, json={"started_on": (clock.today() + timedelta(days=1)).isoformat()})
    assert future.status_code == 422 and "started_on" in future.json["errors"]
    early = (clock.today() - timedelta(days=12)).isoformat()
    no_reason = contractor.post(url, json={"started_on": early})
    assert no_reason.status_code == 422 and "early_start_reason" in no_reason.json["errors"]
    assert contractor.post(url, json={}).status_code == 422
    assert len(_events(matching_app, placement["id"])) == 1  # nothing written by the refusals
    started = contractor.post(url, json={"started_on": early, "early_start_reason": "Proefdag op de bouw"})
    assert started.status_code == 200 and started.json["status"] == "gestart"
    assert started.json["started_on"] == early and started.json["early_start_reason"] == "Proefdag op de bouw"
    assert contractor.post(url, json={"started_on": early, "early_start_reason": "x"}).status_code == 409
    with _db(matching_app).unit_of_work() as s:
        assert s.get(Proposal, proposal_id).status == "geplaatst"
    events = _events(matching_app, placement["id"])
    assert [e["status"] for e in events] == ["afgesproken", "gestart"] and events[-1]["seq"] == 2
    assert events[-1]["started_on"] == early
    # After the start the terms are facts.
    assert contractor.patch(f"{PLACEMENTS}/{placement['id']}", json={"hours_per_week": 8}).status_code == 409


def test_legacy_start_on_the_proposal_uses_the_same_rules(matching_app, make_user):
    contractor = LoggedIn(matching_app.test_client(), make_user("aannemer", org="Aannemer C"), "/matching")
    task_id = contractor.post(TASKS, json=task_payload(start_date=clock.today().isoformat())).json["id"]
    add_candidate(_db(matching_app), "DW-PLAC0002")
    pid = add_proposal(_db(matching_app), "DW-PLAC0002", task_id)
    contractor.post(f"{PROPOSALS}/{pid}/decision", json={"accept": True})
    r = contractor.post(f"{PROPOSALS}/{pid}/start")
    assert r.status_code == 200 and r.json["status"] == "geplaatst"
    [placement] = contractor.get(PLACEMENTS).json
    assert placement["status"] == "gestart" and placement["started_on"] == clock.today().isoformat()


@pytest.mark.both_backends
def test_end_records_date_and_reason_and_frees_the_place(matching_app, placed):
    _, contractor, task_id, _, placement = placed
    base = f"{PLACEMENTS}/{placement['id']}"
    not_started = contractor.post(
        f"{base}/end", json={"ended_on": clock.today().isoformat(), "reason": "ontslag"}
    )
    assert not_started.status_code == 409
    start = (clock.today() - timedelta(days=5)).isoformat()
    contractor.post(f"{base}/start", json={"started_on": start})
    for body, field in (
        ({"ended_on": clock.today().isoformat(), "reason": "ruzie"}, "reason"),
        ({"ended_on": (clock.today() - timedelta(days=6)).isoformat(), "reason": "ontslag"}, "ended_on"),
        ({"ended_on": (clock.today() + timedelta(days=3)).isoformat(), "reason": "ontslag"}, "ended_on"),
        ({"reason": "ontslag"}, "ended_on"),
    ):
        r = contractor.post(f"{base}/end", json=body)
        assert r.status_code == 422 and field in r.json["errors"], (body, r.json)
    with _db(matching_app).unit_of_work() as s:
        assert s.get(Task, task_id).filled == 1
    ended = contractor.post(
        f"{base}/end", json={"ended_on": clock.today().isoformat(), "reason": "contract_afgelopen"}
    )
    assert ended.status_code == 200 and ended.json["status"] == "beeindigd"
    assert (
        ended.json["ended_on"] == clock.today().isoformat()
        and ended.json["end_reason"] == "contract_afgelopen"
    )
    with _db(matching_app).unit_of_work() as s:
        assert s.get(Task, task_id).filled == 0
    again = contractor.post(f"{base}/end", json={"ended_on": clock.today().isoformat(), "reason": "ontslag"})
    assert again.status_code == 409
    assert _events(matching_app, placement["id"])[-1]["end_reason"] == "contract_afgelopen"


def test_cancel_before_the_start_frees_the_place_and_the_resident(matching_app, placed):
    _, contractor, task_id, proposal_id, placement = placed
    base = f"{PLACEMENTS}/{placement['id']}"
    assert contractor.post(f"{base}/cancel", json={"reason": "weet niet"}).status_code == 422
    r = contractor.post(f"{base}/cancel", json={"reason": "deelnemer_ziet_af"})
    assert r.status_code == 200 and r.json["status"] == "geannuleerd"
    with _db(matching_app).unit_of_work() as s:
        assert s.get(Task, task_id).filled == 0
        assert s.get(Proposal, proposal_id).status == "ingetrokken"
    assert contractor.post(f"{base}/start", json={"started_on": clock.today().isoformat()}).status_code == 409


@pytest.mark.both_backends
def test_withdrawn_employer_consent_cancels_placements_that_did_not_start(matching_app, placed):
    from services.matching.jobs import HANDLERS

    _, contractor, task_id, _, placement = placed
    with _db(matching_app).unit_of_work() as s:
        HANDLERS["consent.changed"](
            s,
            {
                "programme_id": "DW-PLAC0001",
                "purpose": "delen_werkgever",
                "active": False,
                "changed_at": __import__("shared.db", fromlist=["utcnow"]).utcnow(),
            },
            {},
        )
    got = contractor.get(f"{PLACEMENTS}/{placement['id']}").json
    assert got["status"] == "geannuleerd" and got["end_reason"] == "toestemming_ingetrokken"
    with _db(matching_app).unit_of_work() as s:
        assert s.get(Task, task_id).filled == 0
        # A started placement is a fact: the function leaves it alone.
        assert placements_domain.cancel_unstarted_placements(s, "DW-PLAC0001") == 0


@pytest.mark.both_backends
def test_concurrent_starts_and_cancels_move_a_placement_once(matching_app, placed):
    """Two tabs at the same moment: one start wins, the other gets 409; nothing half-written."""
    _, contractor, _, _, placement = placed
    base = f"{PLACEMENTS}/{placement['id']}"
    other_tab = LoggedIn(matching_app.test_client(), contractor.user, "/matching")
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def go(client, path, body):
        barrier.wait()
        statuses.append(client.post(path, json=body).status_code)

    threads = [
        threading.Thread(
            target=go, args=(contractor, f"{base}/start", {"started_on": clock.today().isoformat()})
        ),
        threading.Thread(target=go, args=(other_tab, f"{base}/cancel", {"reason": "planning"})),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(statuses) == [200, 409]
    final = contractor.get(base).json["status"]
    assert final in ("gestart", "geannuleerd")
    assert [e["status"] for e in _events(matching_app, placement["id"])] == ["afgesproken", final]


@pytest.mark.both_backends
def test_a_placement_beyond_the_tasks_places_is_refused(matching_app, make_user):
    contractor = LoggedIn(matching_app.test_client(), make_user("aannemer", org="Aannemer Vol"), "/matching")
    task_id = contractor.post(TASKS, json=task_payload(places=1, start_date=clock.today().isoformat())).json[
        "id"
    ]
    db = _db(matching_app)
    ids = []
    for i in range(2):
        add_candidate(db, f"DW-FULL000{i}")
        ids.append(add_proposal(db, f"DW-FULL000{i}", task_id))
    assert contractor.post(f"{PROPOSALS}/{ids[0]}/decision", json={"accept": True}).status_code == 200
    assert contractor.post(f"{PROPOSALS}/{ids[1]}/decision", json={"accept": True}).status_code == 409
    with db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Placement)) == 1
        assert s.get(Proposal, ids[1]).status == "coach_akkoord"  # nothing half-written
    # The first one starts and ends: its place is free again for the second.
    [first] = contractor.get(PLACEMENTS).json
    contractor.post(f"{PLACEMENTS}/{first['id']}/start", json={"started_on": clock.today().isoformat()})
    contractor.post(
        f"{PLACEMENTS}/{first['id']}/end", json={"ended_on": clock.today().isoformat(), "reason": "ontslag"}
    )
    assert contractor.post(f"{PROPOSALS}/{ids[1]}/decision", json={"accept": True}).status_code == 200


def test_sroi_export_per_tag_and_period(matching_app, placed, make_user):
    coach, contractor, _, _, placement = placed
    base = f"{PLACEMENTS}/{placement['id']}"
    contractor.patch(base, json={"wage_subsidy": True, "hours_per_week": 28, "sroi_tag": "=HYPERLINK(1)"})
    start = clock.today() - timedelta(days=7)
    contractor.post(f"{base}/start", json={"started_on": start.isoformat()})
    url = f"{PLACEMENTS}/sroi-export"
    period = {"from": (clock.today() - timedelta(days=30)).isoformat(), "to": clock.today().isoformat()}
    r = contractor.get(url, query_string=period)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    text = r.data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 1
    row = rows[0]
    assert row["sroi_kenmerk"] == "'=HYPERLINK(1)"  # never a formula in a spreadsheet
    assert row["startdatum"] == start.isoformat() and row["einddatum"] == ""
    assert row["uren_per_week"] == "28" and row["loonkostensubsidie"] == "ja"
    assert row["weken_in_periode"] == "1,1" and row["uren_in_periode"] == "32,0"  # 8 days of 28 h/week
    # The contractor's pseudonym for the task (the one on its card), never the programme id.
    assert row["deelnemer_pseudoniem"] == card_pseudonym(matching_app, "DW-PLAC0001", placed[2])
    assert "DW-PLAC0001" not in text and placement["pseudonym"] == row["deelnemer_pseudoniem"]
    assert "programme_id" not in placement
    # Per tag; a period before the start has no rows.
    assert (
        len(
            list(
                csv.DictReader(
                    io.StringIO(
                        contractor.get(url, query_string={**period, "sroi_tag": "ANDERS"}).data.decode(
                            "utf-8-sig"
                        )
                    ),
                    delimiter=";",
                )
            )
        )
        == 0
    )
    before = {
        "from": (clock.today() - timedelta(days=60)).isoformat(),
        "to": (clock.today() - timedelta(days=31)).isoformat(),
    }
    assert contractor.get(url, query_string=before).data.decode("utf-8-sig").count("\n") == 1
    bad = contractor.get(
        url,
        query_string={
            "from": clock.today().isoformat(),
            "to": (clock.today() - timedelta(days=1)).isoformat(),
        },
    )
    assert bad.status_code == 422 and "to" in bad.json["errors"]
    assert (
        contractor.get(url, query_string={"from": "gisteren", "to": clock.today().isoformat()}).status_code
        == 422
    )
    coach_client = LoggedIn(matching_app.test_client(), coach, "/matching")
    assert coach_client.get(url, query_string=period).status_code == 403
    other = LoggedIn(matching_app.test_client(), make_user("aannemer", org="Aannemer B"), "/matching")
    assert other.get(url, query_string=period).data.decode("utf-8-sig").count("\n") == 1  # header only


def test_timeline_of_a_resident_for_their_coach_only(matching_app, placed, make_user):
    coach, contractor, _, _, placement = placed
    contractor.post(f"{PLACEMENTS}/{placement['id']}/start", json={"started_on": clock.today().isoformat()})
    coach_client = LoggedIn(matching_app.test_client(), coach, "/matching")
    entries = coach_client.get("/matching/api/v1/timeline/DW-PLAC0001").json
    assert [e["phase"] for e in entries] == ["voorstel", "plaatsing"]
    assert entries[1]["status"] == "gestart" and entries[1]["status_label"] == "Aan het werk"
    assert {f["label"] for f in entries[1]["facts"]} >= {"Gestart op", "Soort contract"}
    other_coach = LoggedIn(matching_app.test_client(), make_user("jobcoach"), "/matching")
    assert other_coach.get("/matching/api/v1/timeline/DW-PLAC0001").status_code == 404
    assert contractor.get("/matching/api/v1/timeline/DW-PLAC0001").status_code == 403
