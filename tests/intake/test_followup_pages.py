"""Follow-up and timeline pages: only the coach's own residents, errors in Dutch, reads audited,
and the timeline still shows intake's part when matching does not answer."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from services.intake.domain import followups
from services.intake.models import AuditEntry
from shared import clock
from shared.db import utcnow
from shared.peers import PeerUnavailable
from tests.conftest import LoggedIn, csrf_from, resident_payload

API = "/intake/api/v1"


def _placed(app, client) -> tuple[str, int]:
    pid = client.post(f"{API}/residents", json=resident_payload(first_name="Noor", last_name="Jansen")).json[
        "programme_id"
    ]
    for purpose in ("registratie", "delen_werkgever", "follow_up"):
        client.post(
            f"{API}/residents/{pid}/consents",
            json={"purpose": purpose, "method": "schriftelijk", "info_version": "2026-01"},
        )
    with app.extensions["instap"].db.unit_of_work() as s:
        followups.on_placement_changed(
            s,
            {
                "placement_id": 3,
                "programme_id": pid,
                "status": "gestart",
                "started_on": clock.today() - timedelta(days=40),
                "occupation": "isolatiemonteur",
                "changed_at": utcnow(),
            },
            {},
        )
    [item] = client.get(f"{API}/follow-ups").json
    return pid, item["id"]


def test_due_list_and_recording_on_pages(app, make_user):
    coach = LoggedIn(app.test_client(), make_user("jobcoach"))
    pid, fid = _placed(app, coach)
    page = coach.get("/intake/opvolging").text
    assert "Noor Jansen" in page and "1 maand na de start" in page and "Isolatiemonteur" in page
    form = coach.get(f"/intake/opvolging/{fid}")
    bad = coach.client.post(
        f"/intake/opvolging/{fid}", data={"csrf_token": csrf_from(form.data), "trede": "9"}
    )
    assert bad.status_code == 422
    assert "Kies ja, nee of onbekend." in bad.text and "Kies een trede van 1 tot 6." in bad.text
    ok = coach.client.post(
        f"/intake/opvolging/{fid}",
        data={"csrf_token": csrf_from(form.data), "still_working": "nee", "trede": "4"},
    )
    assert ok.status_code == 302 and ok.headers["Location"].endswith(f"/deelnemers/{pid}#tijdlijn")
    again = coach.client.post(
        f"/intake/opvolging/{fid}", data={"csrf_token": csrf_from(form.data), "still_working": "ja"}
    )
    assert again.status_code == 302  # back to the resident with a message, nothing changed
    assert "Deze opvolging is al vastgelegd." in coach.get(f"/intake/deelnemers/{pid}").text
    assert coach.get(f"{API}/residents/{pid}/follow-ups").json[0]["still_working"] == "nee"
    assert "Er staat nu niets open" in coach.get("/intake/opvolging").text
    with app.extensions["instap"].db.unit_of_work() as s:
        actions = {(a.action, a.reason) for a in s.scalars(select(AuditEntry))}
    assert ("list", "follow-ups") in actions and ("follow_up", "opvolging +1 maanden") in actions


def test_another_coach_gets_404(app, make_user):
    coach = LoggedIn(app.test_client(), make_user("jobcoach"))
    _, fid = _placed(app, coach)
    other = LoggedIn(app.test_client(), make_user("jobcoach"))
    assert other.get(f"/intake/opvolging/{fid}").status_code == 404
    assert "Noor" not in other.get("/intake/opvolging").text


def test_timeline_shows_intake_part_when_matching_does_not_answer(app, make_user, monkeypatch):
    coach = LoggedIn(app.test_client(), make_user("jobcoach"))
    pid, _ = _placed(app, coach)
    peers = app.extensions["instap"].peers

    def down(*_args, **_kwargs):
        raise PeerUnavailable("Het onderdeel matching is niet bereikbaar.")

    monkeypatch.setattr(peers, "get", down)
    page = coach.get(f"/intake/deelnemers/{pid}")
    assert page.status_code == 200
    assert "De gegevens uit matching kunnen nu niet worden getoond." in page.text
    assert "Intake" in page.text and "1 maand na de start" in page.text and "Nu aan de beurt" in page.text
