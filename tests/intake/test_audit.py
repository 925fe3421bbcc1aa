"""Every read of a resident's personal data writes exactly one audit entry (pages and API)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from services.intake.models import AuditEntry, Resident
from tests.conftest import csrf_from, resident_payload

API = "/intake/api/v1/residents"
PAGES = "/intake/deelnemers"


def _db(app: Any) -> Any:
    return app.extensions["instap"].db


def _last_id(app: Any) -> int:
    with _db(app).unit_of_work() as s:
        return s.scalar(select(func.max(AuditEntry.id))) or 0


def _entries_after(app: Any, last_id: int) -> list[dict[str, Any]]:
    with _db(app).unit_of_work() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id)).all()
        return [
            {
                "action": e.action,
                "channel": e.channel,
                "reason": e.reason,
                "actor_id": e.actor_id,
                "actor_name": e.actor_name,
                "actor_role": e.actor_role,
                "resident_id": e.resident_id,
                "detail": e.detail,
                "at": e.at,
            }
            for e in rows
        ]


def _resident_id(app: Any, programme_id: str) -> int:
    with _db(app).unit_of_work() as s:
        return s.scalar(select(Resident.id).where(Resident.programme_id == programme_id))


def _create(client: Any, **overrides: Any) -> str:
    response = client.post(API, json=resident_payload(**overrides))
    assert response.status_code == 201, response.json
    return response.json["programme_id"]


def _only_entry(app: Any, last_id: int) -> dict[str, Any]:
    entries = _entries_after(app, last_id)
    assert len(entries) == 1, entries
    assert entries[0]["at"] is not None
    return entries[0]


@pytest.fixture
def coach_user(make_user: Any) -> Any:
    return make_user("jobcoach", name="Fatima el Amrani")


@pytest.fixture
def coach(coach_user: Any, login: Any) -> Any:
    return login(coach_user)


def _assert_entry(
    entry: dict[str, Any], user: Any, resident_id: int | None, action: str, channel: str
) -> None:
    assert (entry["action"], entry["channel"]) == (action, channel)
    assert entry["actor_id"] == user.id
    assert entry["actor_name"] == user.name and entry["actor_role"] == user.role
    assert entry["resident_id"] == resident_id


# --- pages ------------------------------------------------------------------------------------


def test_edit_page_get_is_logged(app: Any, coach: Any, coach_user: Any) -> None:
    pid = _create(coach)
    before = _last_id(app)
    page = coach.get(f"{PAGES}/{pid}/bewerken")
    assert page.status_code == 200 and 'value="Wielwijkstraat"' in page.text
    entry = _only_entry(app, before)
    _assert_entry(entry, coach_user, _resident_id(app, pid), "view_edit", "page")


def test_edit_form_shown_again_after_an_error_is_logged(app: Any, coach: Any, coach_user: Any) -> None:
    pid = _create(coach)
    url = f"{PAGES}/{pid}/bewerken"
    token = csrf_from(coach.get(url).text)
    before = _last_id(app)
    page = coach.client.post(url, data={"first_name": "", "last_name": "Demir", "csrf_token": token})
    assert page.status_code == 422 and "Ayşe Yılmaz" in page.text  # the stored name, shown again
    entry = _only_entry(app, before)
    _assert_entry(entry, coach_user, _resident_id(app, pid), "view_edit", "page")
    assert entry["reason"] == "edit form after error"


def test_withdraw_confirmation_page_is_logged(app: Any, coach: Any, coach_user: Any) -> None:
    pid = _create(coach)
    given = coach.post(
        f"{API}/{pid}/consents",
        json={"purpose": "registratie", "method": "schriftelijk", "info_version": "2026-01"},
    )
    assert given.status_code == 201  # only consent that was given is offered for withdrawal
    before = _last_id(app)
    page = coach.get(f"{PAGES}/{pid}/toestemming/registratie/intrekken")
    assert page.status_code == 200 and "Ayşe Yılmaz" in page.text
    entry = _only_entry(app, before)
    _assert_entry(entry, coach_user, _resident_id(app, pid), "view", "page")
    assert entry["reason"] == "bevestigen intrekken"


def test_unknown_purpose_confirmation_writes_nothing(app: Any, coach: Any) -> None:
    pid = _create(coach)
    before = _last_id(app)
    assert coach.get(f"{PAGES}/{pid}/toestemming/onzin/intrekken").status_code == 404
    assert _entries_after(app, before) == []


def test_erase_confirmation_page_is_logged(app: Any, coach: Any, coach_user: Any) -> None:
    pid = _create(coach)
    before = _last_id(app)
    page = coach.get(f"{PAGES}/{pid}/wissen")
    assert page.status_code == 200 and "Ayşe Yılmaz" in page.text
    entry = _only_entry(app, before)
    _assert_entry(entry, coach_user, _resident_id(app, pid), "view", "page")
    assert entry["reason"] == "bevestigen wissen"


def test_other_coach_gets_404_and_no_entry(app: Any, coach: Any, make_user: Any, login: Any) -> None:
    pid = _create(coach)
    other = login(make_user("jobcoach", name="Jeroen de Wit"))
    before = _last_id(app)
    for url in (
        f"{PAGES}/{pid}/bewerken",
        f"{PAGES}/{pid}/wissen",
        f"{PAGES}/{pid}/toestemming/registratie/intrekken",
    ):
        assert other.get(url).status_code == 404
    assert other.get(f"{API}/{pid}/stages").status_code == 404
    assert _entries_after(app, before) == []


def test_caseload_page_logs_listed_programme_ids(
    app: Any, coach: Any, coach_user: Any, make_user: Any, login: Any
) -> None:
    first = _create(coach, first_name="Anna", last_name="Aalders")
    second = _create(coach, first_name="Bram", last_name="Bakker")
    _create(login(make_user("jobcoach")), first_name="Andere", last_name="Persoon")
    before = _last_id(app)
    assert coach.get(PAGES).status_code == 200
    entry = _only_entry(app, before)
    _assert_entry(entry, coach_user, None, "list", "page")
    assert entry["detail"] == {"count": 2, "programme_ids": [first, second]}
    filtered = _last_id(app)
    assert coach.get(f"{PAGES}?q=bakker").status_code == 200
    assert _only_entry(app, filtered)["detail"] == {"count": 1, "programme_ids": [second]}


def test_printable_and_json_export_pages_are_logged(app: Any, coach: Any, coach_user: Any) -> None:
    pid = _create(coach)
    rid = _resident_id(app, pid)
    before = _last_id(app)
    assert coach.get(f"{PAGES}/{pid}/inzage").status_code == 200
    entry = _only_entry(app, before)
    _assert_entry(entry, coach_user, rid, "export", "page")
    assert entry["detail"] == {"format": "html"}
    before = _last_id(app)
    assert coach.get(f"{PAGES}/{pid}/gegevens.json").status_code == 200
    entry = _only_entry(app, before)
    _assert_entry(entry, coach_user, rid, "export", "page")
    assert entry["detail"] == {"format": "json"}


def test_page_note_still_logged_once(app: Any, coach: Any, coach_user: Any) -> None:
    pid = _create(coach)
    token = csrf_from(coach.get(f"{PAGES}/{pid}").text)
    before = _last_id(app)
    saved = coach.client.post(
        f"{PAGES}/{pid}/notities", data={"body": "Belt maandag terug.", "csrf_token": token}
    )
    assert saved.status_code == 302
    _assert_entry(_only_entry(app, before), coach_user, _resident_id(app, pid), "note_added", "page")


# --- API --------------------------------------------------------------------------------------


def test_api_stage_history_is_logged(app: Any, coach: Any, coach_user: Any) -> None:
    pid = _create(coach)
    assert coach.post(f"{API}/{pid}/stages", json={"to_stage": "intake"}).status_code == 201
    before = _last_id(app)
    response = coach.get(f"{API}/{pid}/stages")
    assert response.status_code == 200
    assert [c["to_stage"] for c in response.json][-1] == "intake"
    _assert_entry(_only_entry(app, before), coach_user, _resident_id(app, pid), "view_stages", "api")


def test_api_note_post_is_logged(app: Any, coach: Any, coach_user: Any) -> None:
    pid = _create(coach)
    before = _last_id(app)
    response = coach.post(f"{API}/{pid}/notes", json={"body": "Belt maandag terug."})
    assert response.status_code == 201, response.json
    assert response.json["body"] == "Belt maandag terug."
    _assert_entry(_only_entry(app, before), coach_user, _resident_id(app, pid), "note_added", "api")


def test_api_rejected_note_writes_no_entry(app: Any, coach: Any) -> None:
    pid = _create(coach)
    before = _last_id(app)
    assert coach.post(f"{API}/{pid}/notes", json={}).status_code == 422
    assert _entries_after(app, before) == []


def test_api_list_logs_listed_programme_ids(
    app: Any, coach: Any, coach_user: Any, make_user: Any, login: Any
) -> None:
    first = _create(coach, first_name="Anna", last_name="Aalders")
    second = _create(coach, first_name="Bram", last_name="Bakker")
    _create(login(make_user("jobcoach")), first_name="Andere", last_name="Persoon")
    before = _last_id(app)
    response = coach.get(API)
    assert response.status_code == 200
    assert [r["programme_id"] for r in response.json] == [first, second]
    entry = _only_entry(app, before)
    _assert_entry(entry, coach_user, None, "list", "api")
    assert entry["detail"] == {"count": 2, "programme_ids": [first, second]}
    paged = _last_id(app)
    assert coach.get(f"{API}?page_size=1&page=2").status_code == 200
    assert _only_entry(app, paged)["detail"] == {"count": 1, "programme_ids": [second]}
