"""Pages composed across services (shared/peers.py): a coach sees names on matching's proposals
page and proposals on intake's resident page; after both sides accept, each side sees the other in
the introduction; every read of a name is in intake's audit log; a reassignment moves proposals."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from services.intake.models import AuditEntry
from services.matching.domain import runs
from tests.conftest import LoggedIn, csrf_from, resident_payload
from tests.matching.factories import task_payload
from tests.support.workers import run_worker_burst

INTAKE = "/intake/api/v1/residents"
PROPOSALS = "/matching/api/v1/proposals"


def _post_form(user: LoggedIn, url: str, data: dict[str, Any], page: str) -> Any:
    html = user.client.get(page).data
    return user.client.post(url, data={**data, "csrf_token": csrf_from(html)})


def _cookie_client(app: Any, user: LoggedIn) -> Any:
    """A client of another service with the same login (one origin, one cookie)."""
    client = app.test_client()
    client.set_cookie("instap_session", user.client.get_cookie("instap_session").value)
    return client


def _audit(app: Any, action: str) -> list[AuditEntry]:
    with app.extensions["instap"].db.unit_of_work() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()
        s.expunge_all()
        return list(rows)


def _proposed(
    app: Any, matching_app: Any, settings: Any, coach_user: Any, contractor: LoggedIn
) -> tuple[str, int]:
    intake_coach = LoggedIn(app.test_client(), coach_user)
    pid = intake_coach.post(
        INTAKE, json=resident_payload(first_name="Samira", last_name="Bouali", email="samira@example.nl")
    ).json["programme_id"]
    for purpose in ("registratie", "delen_werkgever"):
        intake_coach.post(
            f"{INTAKE}/{pid}/consents",
            json={"purpose": purpose, "method": "schriftelijk", "info_version": "2026-01"},
        )
    task = contractor.post(
        "/matching/api/v1/tasks",
        json=task_payload(wijk="wielwijk", contact_name="Mark Kuipers", contact_phone="078 123 45 67"),
    )
    assert task.status_code == 201, task.json
    run_worker_burst(settings)
    db = matching_app.extensions["instap"].db
    with db.unit_of_work() as s:
        run_id = runs.request_run(s, "full", None, "test").id
    runs.execute(db, run_id)
    return pid, task.json["id"]


def test_introduction_and_names_on_pages_of_both_sides(
    app: Any, matching_app: Any, settings: Any, make_user: Any
) -> None:
    coach_user = make_user("jobcoach", name="Fatima el Amrani")
    contractor_user = make_user("aannemer", org="Installateur Dordt", name="Mark Kuipers")
    contractor = LoggedIn(matching_app.test_client(), contractor_user, "/matching")
    pid, task_id = _proposed(app, matching_app, settings, coach_user, contractor)

    # The coach's proposals page shows the resident's name, asked from intake (and logged there).
    coach = LoggedIn(matching_app.test_client(), coach_user, "/matching")
    page = coach.get("/matching/voorstellen").text
    assert "Samira Bouali" in page and pid in page
    assert "Wat niet past of een risico is" in page
    listed = _audit(app, "list")
    assert any(pid in (entry.detail or {}).get("programme_ids", []) for entry in listed)
    # Another coach sees neither the proposal nor the name.
    other = LoggedIn(matching_app.test_client(), make_user("jobcoach", name="Ander"), "/matching")
    assert "Samira" not in other.get("/matching/voorstellen").text

    # The resident page in intake has a proposals section, asked from matching as this coach.
    intake_page = _cookie_client(app, coach).get(f"/intake/deelnemers/{pid}").text
    assert 'id="voorstellen"' in intake_page and "Hulpmonteur zonnepanelen Crabbehof" in intake_page
    assert "Mark Kuipers" not in intake_page  # no contact person before both accepted

    [proposal] = coach.get(PROPOSALS).json
    assert (
        _post_form(
            coach,
            f"/matching/voorstellen/{proposal['id']}/besluit",
            {"accept": "true"},
            "/matching/voorstellen",
        ).status_code
        == 302
    )
    task_page = contractor.get(f"/matching/taken/{task_id}").text
    assert "Samira" not in task_page and "Kandidaat" in task_page
    assert (
        _post_form(
            contractor,
            f"/matching/taken/{task_id}/voorstellen/{proposal['id']}/besluit",
            {"accept": "true"},
            f"/matching/taken/{task_id}",
        ).status_code
        == 302
    )
    run_worker_burst(settings, service="matching")
    run_worker_burst(settings, service="intake")  # intake grants the introduction

    # The contractor: the name and the one channel the resident chose, on the task page and the
    # introductions page; each showing is an audited read in intake.
    before = len(_audit(app, "introduction_view"))
    task_page = contractor.get(f"/matching/taken/{task_id}").text
    assert "Samira Bouali" in task_page and "0612345678" in task_page
    intros = contractor.get("/matching/kennismakingen").text
    assert "Samira Bouali" in intros and "Hulpmonteur zonnepanelen Crabbehof" in intros
    assert len(_audit(app, "introduction_view")) == before + 2

    # The coach: organisation, task and contact person, on both services' pages.
    page = coach.get("/matching/voorstellen").text
    assert "Kennismaking" in page and "Installateur Dordt" in page and "Mark Kuipers" in page
    assert "078 123 45 67" in page
    intake_page = _cookie_client(app, coach).get(f"/intake/deelnemers/{pid}").text
    assert "Installateur Dordt" in intake_page and "Mark Kuipers" in intake_page
    coach_reads = [e for e in _audit(app, "introduction_view") if e.channel == "page"]
    assert coach_reads and coach_reads[-1].actor_role == "jobcoach"


def test_reassignment_moves_every_proposal_to_the_new_coach(
    app: Any, matching_app: Any, settings: Any, make_user: Any
) -> None:
    old_user = make_user("jobcoach", name="Oude Coach")
    new_user = make_user("jobcoach", name="Nieuwe Coach")
    contractor = LoggedIn(matching_app.test_client(), make_user("aannemer", org="Bouw"), "/matching")
    pid, task_id = _proposed(app, matching_app, settings, old_user, contractor)
    old = LoggedIn(matching_app.test_client(), old_user, "/matching")
    [proposal] = old.get(PROPOSALS).json
    old.post(f"{PROPOSALS}/{proposal['id']}/coach-decision", json={"accept": True})
    contractor.post(f"{PROPOSALS}/{proposal['id']}/decision", json={"accept": True})  # both accepted

    admin = LoggedIn(app.test_client(), make_user("beheerder", name="Beheer"))
    moved = _post_form(
        admin,
        f"/intake/deelnemers/{pid}/jobcoach",
        {"coach_id": str(new_user.id)},
        f"/intake/deelnemers/{pid}",
    )
    assert moved.status_code == 302
    run_worker_burst(settings)  # matching applies the new profile with the new coach

    new = LoggedIn(matching_app.test_client(), new_user, "/matching")
    assert [p["id"] for p in new.get(PROPOSALS).json] == [proposal["id"]]
    assert old.get(PROPOSALS).json == []
    page = new.get("/matching/voorstellen").text
    assert "Samira Bouali" in page and "Geaccepteerd: de start volgt" in page
    assert "Samira" not in old.get("/matching/voorstellen").text
