"""API: consent ledger per purpose and funnel stage transitions, with their events."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from services.intake.models import OutboxEvent
from tests.conftest import resident_payload

API = "/intake/api/v1/residents"


def _events(app, type_=None):
    with app.extensions["instap"].db.unit_of_work() as s:
        q = select(OutboxEvent).order_by(OutboxEvent.created_at, OutboxEvent.id)
        rows = s.scalars(q).all()
        return [(r.type, json.loads(r.payload)) for r in rows if type_ is None or r.type == type_]


def _give(c, pid, purpose, method="schriftelijk"):
    return c.post(
        f"{API}/{pid}/consents", json={"purpose": purpose, "method": method, "info_version": "2026-01"}
    )


def test_consent_give_withdraw_and_history(app, make_user, login):
    c = login(make_user("jobcoach"))
    pid = c.post(API, json=resident_payload()).json["programme_id"]
    assert _give(c, pid, "delen_werkgever").status_code == 409  # registratie first
    first = _give(c, pid, "registratie")
    assert first.status_code == 201 and first.json["active"] is True
    assert _give(c, pid, "registratie").status_code == 409  # already active
    assert _give(c, pid, "delen_werkgever", "mondeling").status_code == 201
    assert c.get(f"{API}/{pid}").json["consents"] == ["delen_werkgever", "registratie"]

    withdrawn = c.delete(f"{API}/{pid}/consents/delen_werkgever")
    assert withdrawn.status_code == 200 and withdrawn.json["withdrawn_at"]
    assert c.delete(f"{API}/{pid}/consents/delen_werkgever").status_code == 404
    assert c.delete(f"{API}/{pid}/consents/onzin").status_code == 404
    assert _give(c, pid, "delen_werkgever").status_code == 201  # given again: a new record

    history = c.get(f"{API}/{pid}/consents").json
    assert [(h["purpose"], h["active"]) for h in history] == [
        ("registratie", True),
        ("delen_werkgever", False),
        ("delen_werkgever", True),
    ]
    assert history[1]["method"] == "mondeling"


@pytest.mark.both_backends
def test_consent_events_and_profile_sharing_follow_the_ledger(app, make_user, login):
    c = login(make_user("jobcoach"))
    pid = c.post(API, json=resident_payload()).json["programme_id"]
    _give(c, pid, "registratie")
    assert _events(app, "candidate.upserted") == []  # no sharing purpose yet
    _give(c, pid, "delen_werkgever")
    upserts = _events(app, "candidate.upserted")
    assert len(upserts) == 1
    profile = upserts[0][1]
    assert profile["programme_id"] == pid and profile["consent"]["delen_werkgever"] is True
    # The profile carries no name, contact or address.
    text = json.dumps(profile)
    for secret in ("Ayşe", "Yılmaz", "0612345678", "ayse@example.nl", "Wielwijkstraat", "3317 AB"):
        assert secret not in text
    assert profile["pc4"] == "3317" and profile["age_band"] == "25-45"

    c.delete(f"{API}/{pid}/consents/delen_werkgever")
    consent_events = [p for _, p in _events(app, "consent.changed")]
    assert consent_events[-1]["purpose"] == "delen_werkgever" and consent_events[-1]["active"] is False
    assert _events(app)[-1][0] == "candidate.removed"


def test_withdrawing_registratie_ends_every_purpose(app, make_user, login):
    c = login(make_user("jobcoach"))
    pid = c.post(API, json=resident_payload()).json["programme_id"]
    for purpose in ("registratie", "delen_opleider", "follow_up"):
        _give(c, pid, purpose)
    c.delete(f"{API}/{pid}/consents/registratie")
    assert c.get(f"{API}/{pid}").json["consents"] == []
    withdrawn = {p["purpose"] for _, p in _events(app, "consent.changed") if not p["active"]}
    assert withdrawn == {"registratie", "delen_opleider", "follow_up"}


def test_consent_input_errors(app, make_user, login):
    c = login(make_user("jobcoach"))
    pid = c.post(API, json=resident_payload()).json["programme_id"]
    r = c.post(f"{API}/{pid}/consents", json={"purpose": "reclame", "method": "telepathie"})
    assert r.status_code == 422
    assert set(r.json["errors"]) == {"purpose", "method", "info_version"}


@pytest.mark.both_backends
def test_stage_transitions_follow_the_funnel(app, make_user, login):
    c = login(make_user("jobcoach"))
    pid = c.post(API, json=resident_payload()).json["programme_id"]
    skip = c.post(f"{API}/{pid}/stages", json={"to_stage": "duurzaam"})
    assert skip.status_code == 409 and "aangemeld" in skip.json["message"]
    for stage in ("intake", "orientatie", "opleiding", "gecertificeerd", "geplaatst"):
        r = c.post(f"{API}/{pid}/stages", json={"to_stage": stage})
        assert r.status_code == 201, r.json
    history = c.get(f"{API}/{pid}/stages").json
    assert [h["to_stage"] for h in history] == [
        "aangemeld",
        "intake",
        "orientatie",
        "opleiding",
        "gecertificeerd",
        "geplaatst",
    ]
    assert all(h["changed_at"] for h in history)
    assert history[2]["from_stage"] == "intake"
    assert c.get(f"{API}/{pid}").json["stage"] == "geplaatst"
    stage_events = [p for _, p in _events(app, "stage.changed")]
    assert [e["to_stage"] for e in stage_events][-1] == "geplaatst"
    assert set(stage_events[-1]) == {
        "programme_id",
        "from_stage",
        "to_stage",
        "reason_code",
        "changed_at",
        "wijk",
        "age_band",
        "gender",
    }


def test_dropout_needs_a_reason_code(app, make_user, login):
    c = login(make_user("jobcoach"))
    pid = c.post(API, json=resident_payload()).json["programme_id"]
    r = c.post(f"{API}/{pid}/stages", json={"to_stage": "uitgevallen"})
    assert r.status_code == 422 and "reason_code" in r.json["errors"]
    bad = c.post(f"{API}/{pid}/stages", json={"to_stage": "uitgevallen", "reason_code": "ziek"})
    assert bad.status_code == 422
    ok = c.post(f"{API}/{pid}/stages", json={"to_stage": "uitgevallen", "reason_code": "vervoer"})
    assert ok.status_code == 201 and ok.json["reason_code"] == "vervoer"
    assert c.post(f"{API}/{pid}/stages", json={"to_stage": "bestaat_niet"}).status_code == 422


def test_notes(app, make_user, login):
    coach = make_user("jobcoach", name="Fatima")
    c = login(coach)
    pid = c.post(API, json=resident_payload()).json["programme_id"]
    assert c.post(f"{API}/{pid}/notes", json={"body": ""}).status_code == 422
    r = c.post(f"{API}/{pid}/notes", json={"body": "Belt volgende week terug."})
    assert r.status_code == 201 and r.json["author_name"] == "Fatima"
    assert [n["body"] for n in c.get(f"{API}/{pid}/notes").json] == ["Belt volgende week terug."]
