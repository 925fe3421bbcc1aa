"""API: create, view, edit, list, reassign, export and erase residents."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import ANY

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from services.intake.models import AuditEntry, OutboxEvent, Resident
from shared.db import Database
from shared.outbox import SCRUBBED
from shared.testdata import RESIDENT
from tests.conftest import bearer, resident_payload


def _total(response: Any) -> int:
    """The list's total, from flask-smorest's X-Pagination header."""
    assert response.status_code == 200, response.json
    return int(json.loads(response.headers["X-Pagination"])["total"])


API = "/intake/api/v1/residents"


def _intake_db(app) -> Database:
    return app.extensions["instap"].db


@pytest.mark.both_backends
def test_coach_creates_resident_and_reads_it_back(app, make_user, login):
    coach = make_user("jobcoach")
    c = login(coach)
    response = c.post(API, json=resident_payload())
    assert response.status_code == 201, response.json
    body = response.json
    assert body["programme_id"].startswith("DW-")
    assert body["postcode"] == "3317 AB" and body["pc4"] == "3317"
    assert body["phone"] == "0612345678"
    assert body["stage"] == "aangemeld"
    assert body["coach_id"] == coach.id
    assert body["participatieladder"] == 3
    assert body["language"] == {"spoken": "B1", "written": "A2"}
    assert body["certificates"][0]["code"] == "vca_basis"

    again = c.get(f"{API}/{body['programme_id']}")
    assert again.status_code == 200
    assert again.json["first_name"] == "Ayşe"


# Every field a create may leave out (the rest: the names, the wijk and one contact channel).
OPTIONAL = sorted(set(RESIDENT) - {"first_name", "last_name", "wijk", "email"})


@pytest.mark.both_backends
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(left_out=st.sets(st.sampled_from(OPTIONAL)))
def test_a_create_answers_what_a_read_gives_back_whatever_it_leaves_out(app, make_user, login, left_out):
    """The answer to a create is built from the rows it wrote, not read back (shared/
    writebehind.py): it must say what is stored, null where nothing was sent, and its event must
    hold (found in review: leaving out `language` or `birth_year` answered 500)."""
    c = login(make_user("jobcoach"))
    sent = {k: v for k, v in resident_payload().items() if k not in left_out}
    created = c.post(API, json=sent)
    assert created.status_code == 201, created.json
    read = c.get(f"{API}/{created.json['programme_id']}")
    assert created.json == read.json
    with _intake_db(app).unit_of_work() as s:
        event = s.scalars(
            select(OutboxEvent).where(OutboxEvent.subject == created.json["programme_id"])
        ).one()
    assert json.loads(event.payload)["age_band"] == ("onbekend" if "birth_year" in left_out else ANY)


def test_every_read_of_personal_data_is_audit_logged(app, make_user, login):
    coach = make_user("jobcoach")
    c = login(coach)
    pid = c.post(API, json=resident_payload()).json["programme_id"]
    c.get(f"{API}/{pid}")
    c.get(f"{API}/{pid}/export")
    c.get(f"{API}/{pid}/consents")
    c.get(f"{API}/{pid}/notes")
    c.get(f"{API}/{pid}/stages")
    c.post(f"{API}/{pid}/notes", json={"body": "Belt maandag terug."})
    with _intake_db(app).unit_of_work() as s:
        resident = s.scalar(select(Resident).where(Resident.programme_id == pid))
        entries = s.scalars(select(AuditEntry).where(AuditEntry.resident_id == resident.id)).all()
        actions = [e.action for e in entries]
        assert actions == [
            "create",
            "view",
            "export",
            "view_consent",
            "view_notes",
            "view_stages",
            "note_added",
        ]
        assert all(e.actor_id == coach.id and e.channel == "api" for e in entries)
        assert all(e.at is not None for e in entries)


@pytest.mark.both_backends
def test_update_changes_only_sent_fields_and_keeps_ladder_history(app, make_user, login):
    c = login(make_user("jobcoach"))
    pid = c.post(API, json=resident_payload()).json["programme_id"]
    response = c.patch(
        f"{API}/{pid}", json={"hours_per_week": 32, "participatieladder": 4, "certificates": []}
    )
    assert response.status_code == 200, response.json
    assert response.json["hours_per_week"] == 32
    assert response.json["participatieladder"] == 4
    assert response.json["certificates"] == []
    assert response.json["first_name"] == "Ayşe"
    export = c.get(f"{API}/{pid}/export").json
    assert [m["trede"] for m in export["participatieladder"]] == [3, 4]


@pytest.mark.both_backends
def test_list_search_filters_and_pagination(app, make_user, login):
    c = login(make_user("jobcoach"))
    for i, wijk in enumerate(["wielwijk", "crabbehof", "crabbehof", "oud_krispijn"]):
        r = c.post(API, json=resident_payload(first_name=f"Naam{i}", last_name="Jansen", wijk=wijk))
        assert r.status_code == 201
    c.post(API, json=resident_payload(first_name="Bram", last_name="Visser", wijk="wielwijk"))

    everything = c.get(API)
    assert _total(everything) == 5 and len(everything.json) == 5
    assert _total(c.get(f"{API}?wijk=crabbehof")) == 2
    assert _total(c.get(f"{API}?q=visser")) == 1
    assert _total(c.get(f"{API}?q=bram vis")) == 1
    assert _total(c.get(f"{API}?stage=aangemeld")) == 5
    assert _total(c.get(f"{API}?stage=geplaatst")) == 0
    page2 = c.get(f"{API}?page_size=2&page=2")
    meta = json.loads(page2.headers["X-Pagination"])
    assert meta["page"] == 2 and len(page2.json) == 2 and meta["total"] == 5 and meta["total_pages"] == 3
    assert len(c.get(f"{API}?page_size=2&page=3").json) == 1
    # Pagination arguments are checked like any other: a bad one is a 422 with its field named.
    bad = c.get(f"{API}?page_size=0")
    assert bad.status_code == 422 and "page_size" in bad.json["errors"]
    names = [i["name"] for i in everything.json]
    assert "Bram Visser" in names
    assert set(everything.json[0]) == {"programme_id", "name", "wijk", "stage", "coach_id", "updated_at"}


def test_the_default_page_size_is_the_configured_one(app, make_user, login):
    c = login(make_user("jobcoach"))
    for i in range(3):
        assert c.post(API, json=resident_payload(first_name=f"Naam{i}")).status_code == 201
    ctx = app.extensions["instap"]
    configured = ctx.settings
    assert configured.page_size >= 3
    try:
        ctx.settings = configured.model_copy(update={"page_size": 2})  # INSTAP_PAGE_SIZE=2
        first = c.get(API)
        assert len(first.json) == 2 and json.loads(first.headers["X-Pagination"])["total_pages"] == 2
        assert len(c.get(f"{API}?page_size=3").json) == 3  # a client may still ask for more
    finally:
        ctx.settings = configured
    assert len(c.get(API).json) == 3


def test_coach_sees_only_own_caseload_and_other_residents_are_404(app, make_user, login):
    a, b = make_user("jobcoach"), make_user("jobcoach")
    ca, cb = login(a), login(b)
    pid = ca.post(API, json=resident_payload()).json["programme_id"]
    assert _total(cb.get(API)) == 0
    for method, kwargs in (("get", {}), ("patch", {"json": {"hours_per_week": 8}}), ("delete", {})):
        response = getattr(cb, method)(f"{API}/{pid}", **kwargs)
        assert response.status_code == 404, (method, response.json)
        assert response.json["code"] == "not_found"
    assert cb.get(f"{API}/{pid}/export").status_code == 404
    assert cb.post(f"{API}/{pid}/notes", json={"body": "x"}).status_code == 404
    # An id that does not exist at all answers exactly the same.
    assert cb.get(f"{API}/DW-NOTEXIST").json == cb.get(f"{API}/{pid}").json


def test_beheerder_sees_all_and_reassigns(app, make_user, login):
    a, b = make_user("jobcoach"), make_user("jobcoach")
    admin = login(make_user("beheerder", org="Gemeente Dordrecht"))
    pid = login(a).post(API, json=resident_payload()).json["programme_id"]
    assert _total(admin.get(API)) == 1
    response = admin.put(f"{API}/{pid}/coach", json={"coach_id": b.id})
    assert response.status_code == 200, response.json
    assert response.json["coach_id"] == b.id
    assert login(b).get(f"{API}/{pid}").status_code == 200
    assert login(a).get(f"{API}/{pid}").status_code == 404


def test_reassign_rules(app, make_user, login):
    a = make_user("jobcoach")
    contractor = make_user("aannemer", org="Bouwbedrijf")
    admin = login(make_user("beheerder", org="Gemeente Dordrecht"))
    pid = login(a).post(API, json=resident_payload()).json["programme_id"]
    assert login(a).put(f"{API}/{pid}/coach", json={"coach_id": a.id}).status_code == 403
    bad = admin.put(f"{API}/{pid}/coach", json={"coach_id": contractor.id})
    assert bad.status_code == 422 and "coach_id" in bad.json["errors"]
    assert admin.put(f"{API}/{pid}/coach", json={"coach_id": 999999}).status_code == 422
    assert admin.put(f"{API}/{pid}/coach", json={}).status_code == 422


def test_coach_cannot_put_resident_in_someone_elses_caseload(app, make_user, login):
    a, b = make_user("jobcoach"), make_user("jobcoach")
    response = login(a).post(API, json=resident_payload(coach_id=b.id))
    assert response.status_code == 422
    assert "coach_id" in response.json["errors"]


def test_beheerder_must_name_a_coach(app, make_user, login):
    admin = login(make_user("beheerder", org="Gemeente Dordrecht"))
    coach = make_user("jobcoach")
    assert admin.post(API, json=resident_payload()).status_code == 422
    created = admin.post(API, json=resident_payload(coach_id=coach.id))
    assert created.status_code == 201 and created.json["coach_id"] == coach.id


def test_machine_token_of_coaching_organisation(app, make_user, make_token, login):
    coach = make_user("jobcoach")
    other_org_coach = make_user("jobcoach", org="Stichting Anders")
    pid = login(coach).post(API, json=resident_payload()).json["programme_id"]
    login(other_org_coach).post(API, json=resident_payload())
    client = app.test_client()
    token = make_token("jobcoach")
    listed = client.get(API, headers=bearer(token))
    assert listed.status_code == 200 and _total(listed) == 1
    assert client.get(f"{API}/{pid}", headers=bearer(token)).status_code == 200
    # Tokens are not subject to CSRF (no cookie), but must name a coach of their organisation.
    created = client.post(API, json=resident_payload(coach_id=coach.id), headers=bearer(token))
    assert created.status_code == 201, created.json
    wrong = client.post(API, json=resident_payload(coach_id=other_org_coach.id), headers=bearer(token))
    assert wrong.status_code == 422


def test_export_holds_everything(app, make_user, login):
    c = login(make_user("jobcoach"))
    pid = c.post(API, json=resident_payload()).json["programme_id"]
    c.post(
        f"{API}/{pid}/consents",
        json={"purpose": "registratie", "method": "schriftelijk", "info_version": "2026-01"},
    )
    c.post(f"{API}/{pid}/notes", json={"body": "Eerste gesprek ging goed."})
    export = c.get(f"{API}/{pid}/export").json
    assert export["format"] == "instap.resident-export/1"
    assert export["personal"]["first_name"] == "Ayşe"
    assert export["consents"][0]["purpose"] == "registratie"
    assert export["notes"][0]["body"] == "Eerste gesprek ging goed."
    assert export["stage_history"][0]["to"] == "aangemeld"
    assert {e["type"] for e in export["shared_with_other_services"]} >= {"stage.changed"}
    assert any(a["action"] == "export" for a in export["access_log"]) or export["access_log"]


@pytest.mark.both_backends
def test_erase_removes_personal_data_and_tells_other_services(app, make_user, login):
    c = login(make_user("jobcoach"))
    pid = c.post(API, json=resident_payload()).json["programme_id"]
    c.post(f"{API}/{pid}/notes", json={"body": "Iets persoonlijks"})
    assert c.delete(f"{API}/{pid}").status_code == 204
    assert c.get(f"{API}/{pid}").status_code == 404
    assert _total(c.get(API)) == 0
    with _intake_db(app).unit_of_work() as s:
        resident = s.scalar(select(Resident).where(Resident.programme_id == pid))
        assert resident.first_name is None and resident.phone is None and resident.email is None
        assert resident.postcode is None and resident.birth_year is None
        assert resident.notes == []
        assert resident.erased_at is not None
        rows = s.scalars(select(OutboxEvent).order_by(OutboxEvent.seq)).all()
        types = [e.type for e in rows]
        # The erasure is the newest event about the resident, so consumers ignore anything older.
        assert "candidate.removed" in types and types[-1] == "resident.erased"
        assert [e.seq for e in rows] == sorted({e.seq for e in rows})
        # Nothing about the person stays but the fact of the erasure (issue 7): the row is
        # empty, its history gone, and no earlier payload in the outbox describes them.
        assert (resident.wijk, resident.pc4, resident.gender, resident.stage) == (
            "",
            None,
            "onbekend",
            "gewist",
        )
        assert resident.days == [] and resident.coach_id is None and resident.language_spoken is None
        assert resident.consents == [] and resident.stage_changes == [] and resident.certificates == []
        assert resident.ladder == []
        for row in rows[:-2]:
            assert row.payload == SCRUBBED and row.relayed_at is not None
        assert json.loads(rows[-1].payload) == {"programme_id": pid, "erased_at": ANY}
        assert json.loads(rows[-2].payload) == {"programme_id": pid, "reason": "gewist"}
        everything = " ".join(r.payload for r in rows)
        assert "wielwijk" not in everything and "aangemeld" not in everything


@pytest.mark.both_backends
@pytest.mark.parametrize("field", sorted(RESIDENT))
def test_a_create_with_any_field_null_is_stored_or_refused_per_field_never_a_500(
    app, make_user, login, field
):
    """The create builds its row from the fields sent (services/intake/domain/residents.py): a null
    where the schema allows one is stored as null or the column's default, elsewhere it is a 422
    naming that field."""
    c = login(make_user("jobcoach"))
    response = c.post(API, json={**resident_payload(), field: None})
    assert response.status_code in (201, 422), response.json
    if response.status_code == 422:
        assert field in json.dumps(response.json), response.json
    else:
        assert c.get(f"{API}/{response.json['programme_id']}").json == response.json
