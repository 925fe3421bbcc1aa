"""Follow-ups after a start: planned once from placement.changed, made due by the periodic job,
recorded once; consent decides; +6 months still working → duurzaam; skipped stages recorded."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from services.intake.domain import followups
from services.intake.models import FollowUp, LadderMeasurement, OutboxEvent, Resident
from shared import clock
from shared.db import utcnow
from tests.conftest import LoggedIn, resident_payload
from tests.matching.factories import add_proposal, backdate_task, task_payload
from tests.support.workers import run_worker_burst

API = "/intake/api/v1"


def _resident(client, consents=("registratie", "delen_werkgever", "follow_up")) -> str:
    pid = client.post(f"{API}/residents", json=resident_payload()).json["programme_id"]
    for purpose in consents:
        r = client.post(
            f"{API}/residents/{pid}/consents",
            json={"purpose": purpose, "method": "schriftelijk", "info_version": "2026-01"},
        )
        assert r.status_code == 201, r.json
    return pid


def _started(app, pid: str, started_on: date, placement_id: int = 7, status: str = "gestart") -> dict:
    payload = {
        "placement_id": placement_id,
        "programme_id": pid,
        "proposal_id": 1,
        "task_id": 1,
        "organisation_id": 1,
        "occupation": "hulpmonteur_zonnepanelen",
        "status": status,
        "started_on": started_on,
        "changed_at": utcnow(),
    }
    with app.extensions["instap"].db.unit_of_work() as s:
        followups.on_placement_changed(s, payload, {})
    return payload


def _rows(app, pid: str) -> list[FollowUp]:
    with app.extensions["instap"].db.unit_of_work() as s:
        rows = s.scalars(
            select(FollowUp).join(Resident).where(Resident.programme_id == pid).order_by(FollowUp.month)
        ).all()
        s.expunge_all()
        return list(rows)


def _make_due(app, today: date) -> int:
    with app.extensions["instap"].db.unit_of_work() as s:
        return followups.make_due(s, today)


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert followups.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert followups.add_months(date(2027, 11, 15), 3) == date(2028, 2, 15)
    assert followups.add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert followups.add_months(date(2027, 3, 1), -1) == date(2027, 2, 1)


@pytest.mark.both_backends
def test_whole_chain_contractor_start_to_stage_and_follow_ups(app, matching_app, settings, make_user):
    """Across services: a confirmed start in matching moves intake's stage (skipping the stages the
    resident did not need) and plans four follow-ups, once, also when delivered twice."""
    coach_user = make_user("jobcoach")
    coach = LoggedIn(app.test_client(), coach_user)
    pid = _resident(coach)
    assert coach.post(f"{API}/residents/{pid}/stages", json={"to_stage": "intake"}).status_code == 201
    run_worker_burst(settings, service="matching")  # the profile reaches matching
    contractor = LoggedIn(matching_app.test_client(), make_user("aannemer", org="Aannemer X"), "/matching")
    start = clock.today() - timedelta(days=40)
    task_id = contractor.post(
        "/matching/api/v1/tasks", json=task_payload(start_date=clock.today().isoformat())
    ).json["id"]
    mdb = matching_app.extensions["instap"].db
    backdate_task(mdb, task_id, start - timedelta(days=3))
    proposal_id = add_proposal(mdb, pid, task_id, coach_id=coach_user.id)
    assert (
        contractor.post(
            f"/matching/api/v1/proposals/{proposal_id}/decision", json={"accept": True}
        ).status_code
        == 200
    )
    [placement] = contractor.get("/matching/api/v1/placements").json
    r = contractor.post(
        f"/matching/api/v1/placements/{placement['id']}/start", json={"started_on": start.isoformat()}
    )
    assert r.status_code == 200
    run_worker_burst(settings, service="intake")  # relays matching's outbox, applies placement.changed
    run_worker_burst(settings, service="intake")  # a second round changes nothing
    history = coach.get(f"{API}/residents/{pid}/stages").json
    assert [(h["to_stage"], h["reason_code"]) for h in history[-4:]] == [
        ("orientatie", "overgeslagen"),
        ("opleiding", "overgeslagen"),
        ("gecertificeerd", "overgeslagen"),
        ("geplaatst", "plaatsing_gestart"),
    ]
    rows = _rows(app, pid)
    assert [(f.month, f.due_on) for f in rows] == [(m, followups.add_months(start, m)) for m in (1, 3, 6, 12)]
    # The +1 month one was due 10 days ago: open at once.
    assert [f.status for f in rows] == ["open", "gepland", "gepland", "gepland"]
    # The same event delivered again (a replay through the inbox, and once more past it):
    # still four follow-ups, the stage history unchanged.
    from services.intake.jobs import HANDLERS
    from services.intake.models import InboxEvent, SubjectProgress
    from services.matching.models import OutboxEvent as MatchingOutbox
    from shared.jobs import apply_once
    from shared.outbox import envelope

    with mdb.unit_of_work() as s:
        rows_out = s.scalars(select(MatchingOutbox).where(MatchingOutbox.type == "placement.changed")).all()
        envs = [envelope(row, "matching") for row in rows_out]
    for env in envs:
        assert not apply_once(
            app.extensions["instap"].db,
            InboxEvent,
            env,
            HANDLERS,
            progress_model=SubjectProgress,
            ordered=HANDLERS,
        )
    _started(app, pid, start, placement_id=placement["id"])
    assert len(_rows(app, pid)) == 4
    assert len(coach.get(f"{API}/residents/{pid}/stages").json) == len(history)
    due = coach.get(f"{API}/follow-ups").json
    assert [(d["programme_id"], d["month"]) for d in due] == [(pid, 1)]


def test_recording_once_with_trede_and_events(app, make_user):
    coach = LoggedIn(app.test_client(), make_user("jobcoach"))
    pid = _resident(coach)
    _started(app, pid, clock.today() - timedelta(days=20))
    assert _make_due(app, clock.today() + timedelta(days=15)) == 1
    assert _make_due(app, clock.today() + timedelta(days=15)) == 0  # idempotent
    [item] = coach.get(f"{API}/follow-ups").json
    url = f"{API}/follow-ups/{item['id']}"
    for body, field in (
        ({"still_working": "misschien"}, "still_working"),
        ({"still_working": "ja", "trede": 7}, "trede"),
        (
            {"still_working": "ja", "recorded_on": (clock.today() + timedelta(days=1)).isoformat()},
            "recorded_on",
        ),
        (
            {"still_working": "ja", "recorded_on": (clock.today() - timedelta(days=30)).isoformat()},
            "recorded_on",
        ),
        ({"trede": 5}, "still_working"),
        ({"still_working": "ja", "extra": 1}, "extra"),
    ):
        r = coach.post(url, json=body)
        assert r.status_code == 422 and field in r.json["errors"], (body, r.json)
    assert _rows(app, pid)[0].status == "open"  # nothing half-written
    ok = coach.post(url, json={"still_working": "ja", "trede": 5})
    assert ok.status_code == 200 and ok.json["status"] == "vastgelegd" and ok.json["trede"] == 5
    assert coach.post(url, json={"still_working": "nee"}).status_code == 409
    with app.extensions["instap"].db.unit_of_work() as s:
        resident = s.scalar(select(Resident).where(Resident.programme_id == pid))
        assert resident.participatieladder == 5
        assert s.scalar(select(func.count()).select_from(LadderMeasurement)) == 2  # intake + follow-up
        events = {
            e.type: json.loads(e.payload)
            for e in s.scalars(select(OutboxEvent).where(OutboxEvent.subject == pid))
        }
    assert events["followup.recorded"]["still_working"] == "ja" and events["followup.recorded"]["month"] == 1
    assert events["ladder.measured"] == {
        "programme_id": pid,
        "trede": 5,
        "source": "follow_up",
        "measured_at": events["ladder.measured"]["measured_at"],
    }
    other = LoggedIn(app.test_client(), make_user("jobcoach"))
    assert other.get(url).status_code == 404
    assert other.get(f"{API}/follow-ups").json == []


@pytest.mark.both_backends
def test_still_working_at_six_months_is_duurzaam(app, make_user):
    coach = LoggedIn(app.test_client(), make_user("jobcoach"))
    pid = _resident(coach)
    _started(app, pid, clock.today() - timedelta(days=100))
    assert _make_due(app, clock.today() + timedelta(days=100)) == 1  # +6 months (+1 and +3 were open at once)
    items = {f["month"]: f for f in coach.get(f"{API}/follow-ups").json}
    coach.post(f"{API}/follow-ups/{items[3]['id']}", json={"still_working": "ja"})
    assert coach.get(f"{API}/residents/{pid}").json["stage"] == "geplaatst"
    coach.post(f"{API}/follow-ups/{items[6]['id']}", json={"still_working": "ja", "trede": 6})
    assert coach.get(f"{API}/residents/{pid}").json["stage"] == "duurzaam"
    history = coach.get(f"{API}/residents/{pid}/stages").json
    assert (history[-1]["from_stage"], history[-1]["reason_code"]) == ("geplaatst", "werkt_na_6_maanden")


def test_not_working_at_six_months_keeps_the_stage(app, make_user):
    coach = LoggedIn(app.test_client(), make_user("jobcoach"))
    pid = _resident(coach)
    _started(app, pid, clock.today() - timedelta(days=200))
    items = {f["month"]: f for f in coach.get(f"{API}/follow-ups").json}
    coach.post(f"{API}/follow-ups/{items[6]['id']}", json={"still_working": "onbekend"})
    assert coach.get(f"{API}/residents/{pid}").json["stage"] == "geplaatst"


def test_without_follow_up_consent_there_are_no_follow_ups(app, make_user):
    coach = LoggedIn(app.test_client(), make_user("jobcoach"))
    pid = _resident(coach, consents=("registratie", "delen_werkgever"))
    _started(app, pid, clock.today() - timedelta(days=100))
    assert {f.status for f in _rows(app, pid)} == {"vervallen"}
    assert _make_due(app, clock.today()) == 0
    assert coach.get(f"{API}/follow-ups").json == []
    # Consent given later: those still ahead (or just due) come back.
    coach.post(
        f"{API}/residents/{pid}/consents",
        json={"purpose": "follow_up", "method": "mondeling", "info_version": "2026-01"},
    )
    assert [f.status for f in _rows(app, pid)] == ["vervallen", "gepland", "gepland", "gepland"]
    assert _make_due(app, clock.today()) == 1  # +3 months (due 10 days ago): the periodic job opens it


@pytest.mark.both_backends
def test_withdrawn_consent_cancels_open_and_planned_follow_ups(app, make_user):
    coach = LoggedIn(app.test_client(), make_user("jobcoach"))
    pid = _resident(coach)
    _started(app, pid, clock.today() - timedelta(days=40))
    [item] = coach.get(f"{API}/follow-ups").json
    assert coach.delete(f"{API}/residents/{pid}/consents/follow_up").status_code in (200, 204)
    assert {f.status for f in _rows(app, pid)} == {"vervallen"}
    assert coach.get(f"{API}/follow-ups").json == []
    assert coach.post(f"{API}/follow-ups/{item['id']}", json={"still_working": "ja"}).status_code == 409
    assert _make_due(app, clock.today() + timedelta(days=400)) == 0


def test_a_worker_restart_loses_nothing_the_periodic_job_opens_due_ones(
    app, settings, make_user, monkeypatch
):
    """Due dates live in the database: a fresh worker (nothing scheduled in Redis) opens them."""
    from services.intake import jobs

    coach = LoggedIn(app.test_client(), make_user("jobcoach"))
    pid = _resident(coach)
    _started(app, pid, clock.today() - timedelta(days=20))
    assert [f.status for f in _rows(app, pid)] == ["gepland"] * 4
    with app.extensions["instap"].db.unit_of_work() as s:  # time passes: two are due by now
        for f in s.scalars(select(FollowUp).where(FollowUp.month.in_((1, 3)))):
            f.due_on = clock.today() - timedelta(days=1)
    monkeypatch.setattr(jobs, "_last_followup_round", -1e12)
    run_worker_burst(settings, service="intake")
    assert [f.status for f in _rows(app, pid)] == ["open", "open", "gepland", "gepland"]
    monkeypatch.setattr(jobs, "_last_followup_round", -1e12)
    run_worker_burst(settings, service="intake")  # again: nothing changes, nothing duplicated
    assert [f.status for f in _rows(app, pid)] == ["open", "open", "gepland", "gepland"]


def test_placement_events_that_are_not_a_start_change_nothing(app, make_user):
    coach = LoggedIn(app.test_client(), make_user("jobcoach"))
    pid = _resident(coach)
    with app.extensions["instap"].db.unit_of_work() as s:
        for status in ("afgesproken", "geannuleerd"):
            followups.on_placement_changed(
                s,
                {"placement_id": 9, "programme_id": pid, "status": status, "started_on": None},
                {},
            )
    assert _rows(app, pid) == []
    assert coach.get(f"{API}/residents/{pid}").json["stage"] == "aangemeld"
    # An ended placement whose start never arrived (events overtook): it did start.
    _started(app, pid, clock.today() - timedelta(days=20), placement_id=9, status="beeindigd")
    assert coach.get(f"{API}/residents/{pid}").json["stage"] == "geplaatst"
    assert len(_rows(app, pid)) == 4


def test_coach_may_skip_stages_and_they_are_recorded(app, make_user):
    coach = LoggedIn(app.test_client(), make_user("jobcoach"))
    pid = _resident(coach)
    coach.post(f"{API}/residents/{pid}/stages", json={"to_stage": "intake"})
    r = coach.post(f"{API}/residents/{pid}/stages", json={"to_stage": "gecertificeerd"})
    assert r.status_code == 201 and r.json["from_stage"] == "opleiding"
    history = [
        (h["from_stage"], h["to_stage"], h["reason_code"])
        for h in coach.get(f"{API}/residents/{pid}/stages").json
    ]
    assert history[-3:] == [
        ("intake", "orientatie", "overgeslagen"),
        ("orientatie", "opleiding", "overgeslagen"),
        ("opleiding", "gecertificeerd", None),
    ]
    assert coach.post(f"{API}/residents/{pid}/stages", json={"to_stage": "duurzaam"}).status_code == 409


@pytest.mark.both_backends
def test_two_coaches_tabs_recording_at_once_record_once(app, make_user):
    """The conditional UPDATE lets exactly one of two simultaneous recordings through."""
    import threading

    user = make_user("jobcoach")
    coach = LoggedIn(app.test_client(), user)
    pid = _resident(coach)
    _started(app, pid, clock.today() - timedelta(days=40))
    [item] = coach.get(f"{API}/follow-ups").json
    tabs = [LoggedIn(app.test_client(), user) for _ in range(2)]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def record(tab, answer):
        barrier.wait()
        statuses.append(
            tab.post(f"{API}/follow-ups/{item['id']}", json={"still_working": answer}).status_code
        )

    threads = [threading.Thread(target=record, args=(t, a)) for t, a in zip(tabs, ("ja", "nee"), strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(statuses) == [200, 409]
    with app.extensions["instap"].db.unit_of_work() as s:
        events = s.scalars(
            select(OutboxEvent).where(OutboxEvent.subject == pid, OutboxEvent.type == "followup.recorded")
        ).all()
        assert len(events) == 1
