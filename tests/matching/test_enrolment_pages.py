"""Pages of issue 9 without a browser: the coach's enrolment form, the cohort's step and
attendance forms, the completion form and the revoke form, each with its Dutch error (422/409)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from services.matching.models import Certificate, Enrolment
from shared import clock
from tests.conftest import LoggedIn, csrf_from
from tests.matching.factories import add_candidate, slot_payload, slot_pseudonym
from tests.matching.test_enrolments import ENROLMENTS, completion


def _setup(matching_app, make_user, seats=5):
    trainer = LoggedIn(matching_app.test_client(), make_user("opleider", org="De Beroepentuin"), "/matching")
    coach_user = make_user("jobcoach")
    coach = LoggedIn(matching_app.test_client(), coach_user, "/matching")
    slot_id = trainer.post("/matching/api/v1/slots", json=slot_payload(seats=seats)).json["id"]
    return trainer, coach, coach_user, slot_id


def test_coach_enrols_on_the_page_with_clear_errors(matching_app, make_user):
    trainer, coach, coach_user, slot_id = _setup(matching_app, make_user, seats=1)
    db = matching_app.extensions["instap"].db
    add_candidate(db, "DW-PAGE0001", coach_id=coach_user.id)
    add_candidate(db, "DW-PAGE0002", coach_id=coach_user.id)
    add_candidate(db, "DW-NOCONSNT", coach_id=coach_user.id, share_with_trainer=False)
    page = coach.get("/matching/inschrijvingen")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "DW-PAGE0001" in html and "DW-NOCONSNT" not in html
    token = csrf_from(html)
    empty = coach.post("/matching/inschrijvingen", data={"csrf_token": token})
    assert empty.status_code == 422 and "Vul dit veld in." in empty.get_data(as_text=True)
    refused = coach.post(
        "/matching/inschrijvingen",
        data={"csrf_token": token, "programme_id": "DW-NOCONSNT", "slot_id": slot_id},
    )
    assert refused.status_code == 422 and "toestemming" in refused.get_data(as_text=True)
    ok = coach.post(
        "/matching/inschrijvingen",
        data={"csrf_token": token, "programme_id": "DW-PAGE0001", "slot_id": slot_id},
    )
    assert ok.status_code == 302
    full = coach.post(
        "/matching/inschrijvingen",
        data={"csrf_token": token, "programme_id": "DW-PAGE0002", "slot_id": slot_id},
    )
    assert full.status_code == 409 and "al vergeven" in full.get_data(as_text=True)
    assert "Aangemeld" in coach.get("/matching/inschrijvingen").get_data(as_text=True)
    assert trainer.get("/matching/inschrijvingen").status_code == 403


def test_cohort_forms_refuse_bad_input_in_dutch(matching_app, make_user):
    trainer, coach, coach_user, slot_id = _setup(matching_app, make_user)
    add_candidate(matching_app.extensions["instap"].db, "DW-PAGE0003", coach_id=coach_user.id)
    e = coach.post(ENROLMENTS, json={"programme_id": "DW-PAGE0003", "slot_id": slot_id}).json
    cohort = trainer.get(f"/matching/plekken/{slot_id}/cohort")
    html = cohort.get_data(as_text=True)
    shown = slot_pseudonym(matching_app, "DW-PAGE0003", slot_id)  # never the programme id
    assert cohort.status_code == 200 and shown in html and "nog geen kennismaking" in html
    assert "DW-PAGE0003" not in html
    token = csrf_from(html)
    step = f"/matching/plekken/{slot_id}/cohort/{e['id']}/stap"
    future = (clock.today() + timedelta(days=2)).isoformat()
    bad = trainer.post(step, data={"csrf_token": token, "status": "orientatie", "date": future})
    assert bad.status_code == 422 and "toekomst" in bad.get_data(as_text=True)
    no_reason = trainer.post(step, data={"csrf_token": token, "status": "uitgevallen"})
    assert no_reason.status_code == 422 and "reden" in no_reason.get_data(as_text=True).lower()
    for status in ("orientatie", "opleiding"):
        assert trainer.post(step, data={"csrf_token": token, "status": status}).status_code == 302
    att = trainer.post(
        f"/matching/plekken/{slot_id}/cohort/aanwezigheid",
        data={"csrf_token": token, "week": "99", f"presence-{e['id']}": "aanwezig"},
    )
    assert att.status_code == 422 and "Kies een week van 1" in att.get_data(as_text=True)

    form_url = f"/matching/plekken/{slot_id}/cohort/afronden"
    assert trainer.get(form_url).status_code == 200
    data = {k: v for k, v in completion().items() if isinstance(v, str) and k != "initials"}
    data.update(
        {"csrf_token": token, f"person-{e['id']}": "1", f"initials-{e['id']}": "J.A.", "crebo": "123"}
    )
    data["werkprocessen"] = ["B1-K1-W1"]
    wrong = trainer.post(form_url, data=data)
    assert wrong.status_code == 422 and "Een crebo-code heeft 5 cijfers." in wrong.get_data(as_text=True)
    with matching_app.extensions["instap"].db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(Certificate)) == 0
    data["crebo"] = "25398"
    done = trainer.post(form_url, data=data)
    assert done.status_code == 302 and done.headers["Location"].endswith("/matching/certificaten")
    with matching_app.extensions["instap"].db.unit_of_work() as s:
        assert s.get(Enrolment, e["id"]).status == "afgerond"
        code = s.scalar(select(Certificate.verification_code))
    listing = trainer.get("/matching/certificaten").get_data(as_text=True)
    assert code in listing and "Geldig" in listing
    revoke = f"/matching/certificaten/{code}/intrekken"
    assert trainer.post(revoke, data={"csrf_token": token}).status_code == 422
    assert trainer.post(revoke, data={"csrf_token": token, "reason": "fraude"}).status_code == 302
    assert "Ingetrokken" in trainer.get("/matching/certificaten").get_data(as_text=True)
