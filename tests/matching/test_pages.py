"""Matching pages: contractors' tasks, trainers' slots, candidate cards, coach decisions, runs."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from services.matching.models import Candidate, MatchRun, Placement, Proposal, Task, TrainingSlot
from shared import clock
from shared.db import utcnow
from tests.conftest import LoggedIn, csrf_from
from tests.matching.factories import card_pseudonym

START = (clock.today() + timedelta(days=60)).isoformat()
# What intake knows and matching must never show (names, contact, address, birth year).
INTAKE_ONLY = (
    "Voornaam",
    "Achternaam",
    "Telefoonnummer",
    "E-mailadres",
    "Postcode",
    "Straat",
    "Geboortejaar",
    "first_name",
    "last_name",
    "phone",
    "birth_year",
    "Ayşe",
    "Yılmaz",
)


def task_form(**overrides: Any) -> dict[str, Any]:
    """A complete, valid entry task as the browser posts it."""
    data: dict[str, Any] = {
        "title": "Hulpmonteur zonnepanelen Crabbehof",
        "occupation": "hulpmonteur_zonnepanelen",
        "contract_type": "bbl",
        "corporation": "Trivire",
        "project": "Crabbehof – Leefbaar, Veilig en Duurzaam",
        "wijk": "crabbehof",
        "site": "Crabbehofstraat 1",
        "start_date": START,
        "end_date": "",
        "hours_per_week": "24",
        "places": "2",
        "req_certificates": ["vca_basis"],
        "req_language_spoken": "A2",
        "req_language_written": "",
        "req_driving_licence": "nee",
        "req_work_at_height": "ja",
        "req_heavy_work": "nee",
        "skills": ["gereedschap", "meten"],
        "werkprocessen": "B1-K1-W1, B1-K1-W2\nB1-K2-W1",
        "sroi_tag": "SROI-2026-17",
        "contact_name": "Mark Kuipers",
        "contact_phone": "078 123 45 67",
        "contact_email": "mark@installatie.example",
    }
    data.update(overrides)
    return data


def slot_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Leerwerktraject zonnepanelen",
        "occupations": ["hulpmonteur_zonnepanelen"],
        "grants": ["vca_basis"],
        "crebo": "25650",
        "werkprocessen": "B1-K1-W1",
        "start_date": START,
        "weeks": "6",
        "seats": "8",
        "site": "De Beroepentuin",
        "min_language_spoken": "A2",
        "vca_exam_included": "ja",
        "contact_name": "Ineke de Vries",
        "contact_phone": "",
        "contact_email": "ineke@beroepentuin.example",
    }
    data.update(overrides)
    return data


def post_form(user: LoggedIn, url: str, data: dict[str, Any], page: str | None = None) -> Any:
    """Post like a browser: the CSRF token comes from the page that holds the form."""
    html = user.client.get(page or url).data
    return user.client.post(url, data={**data, "csrf_token": csrf_from(html)})


def field_error(html: str, field: str) -> str:
    match = re.search(rf'id="{field}-error"[^>]*>(.*?)</p>', html, re.S)
    assert match, f"no error message for {field}"
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("Fout:", "").strip()


def db(app: Any) -> Any:
    return app.extensions["instap"].db.unit_of_work()


def create_task(user: LoggedIn, **overrides: Any) -> int:
    response = post_form(user, "/matching/taken/nieuw", task_form(**overrides))
    assert response.status_code == 302, response.text
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def add_candidate(app: Any, programme_id: str = "DW-K7Q2M9", coach_id: int | None = None) -> str:
    with db(app) as s:
        s.add(
            Candidate(
                programme_id=programme_id,
                wijk="wielwijk",
                pc4="3317",
                age_band="25-45",
                stage="gecertificeerd",
                language_spoken="B1",
                language_written="A2",
                certificates=[{"code": "vca_basis", "valid_until": "2034-03-01"}],
                driving_licence=False,
                own_transport=True,
                hours_per_week=24,
                days=["ma", "di"],
                available_from=clock.today(),
                interests=["hulpmonteur_zonnepanelen"],
                skills=["gereedschap", "meten"],
                work_at_height=True,
                heavy_work=False,
                share_with_employer=True,
                share_with_trainer=True,
                coach_id=coach_id,
                profile_updated_at=utcnow(),
            )
        )
    return programme_id


def add_proposal(
    app: Any,
    programme_id: str,
    *,
    task_id: int | None = None,
    slot_id: int | None = None,
    status: str = "coach_akkoord",
    coach_id: int | None = None,
) -> int:
    key = f"task:{task_id}" if task_id else f"slot:{slot_id}"
    with db(app) as s:
        proposal = Proposal(
            programme_id=programme_id,
            opening_key=key,
            task_id=task_id,
            slot_id=slot_id,
            coach_id=coach_id,
            score=0.87,
            explanation={"afstand": 0.4, "interesse": 0.3},
            explanation_nl="heeft VCA, woont in de wijk ernaast, wil graag werken als "
            "hulpmonteur zonnepanelen",
            status=status,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        s.add(proposal)
        s.flush()
        return proposal.id


@pytest.fixture
def contractor(matching_app: Any, make_user: Any) -> LoggedIn:
    return LoggedIn(
        matching_app.test_client(),
        make_user("aannemer", org="Demo Installatiebedrijf", name="Mark Kuipers"),
        prefix="/matching",
    )


@pytest.fixture
def coach(matching_app: Any, make_user: Any) -> LoggedIn:
    return LoggedIn(
        matching_app.test_client(), make_user("jobcoach", name="Fatima el Amrani"), prefix="/matching"
    )


# --- access -----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(matching_app: Any) -> None:
    client = matching_app.test_client()
    for url in (
        "/matching/",
        "/matching/taken",
        "/matching/taken/nieuw",
        "/matching/plekken",
        "/matching/voorstellen",
        "/matching/rondes",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/matching/login" in response.headers["Location"]


def test_start_page_by_role(app: Any, matching_app: Any, make_user: Any) -> None:
    """One start page per role, whichever service's front door the person used."""
    expected = {
        "aannemer": "/matching/taken",
        "opleider": "/matching/plekken",
        "jobcoach": "/intake/deelnemers",
        "beheerder": "/intake/deelnemers",
        "programmabureau": "/rapportage/",
    }
    for role, target in expected.items():
        user = LoggedIn(matching_app.test_client(), make_user(role, org=f"Org {role}"), prefix="/matching")
        # The same cookie opens every service (one origin, path /): no second login needed.
        intake = app.test_client()
        intake.set_cookie("instap_session", user.client.get_cookie("instap_session").value)
        for service, client in (("matching", user.client), ("intake", intake)):
            response = client.get(f"/{service}/")
            assert response.status_code == 302
            assert response.headers["Location"].endswith(target), (role, service)
            if target.startswith(f"/{service}/"):  # the start page opens for this role
                assert client.get(target).status_code == 200, (role, target)
    contractor_home = (
        LoggedIn(matching_app.test_client(), make_user("aannemer", org="Bouw"), prefix="/matching")
        .get("/matching/taken")
        .text
    )
    assert "<h1>Mijn instaptaken</h1>" in contractor_home
    trainer_home = (
        LoggedIn(matching_app.test_client(), make_user("opleider", org="Tuin"), prefix="/matching")
        .get("/matching/plekken")
        .text
    )
    assert "<h1>Mijn opleidingsplekken</h1>" in trainer_home


def test_wrong_role_gets_403(
    matching_app: Any, make_user: Any, contractor: LoggedIn, coach: LoggedIn
) -> None:
    for url in ("/matching/voorstellen", "/matching/rondes", "/matching/plekken", "/matching/plekken/nieuw"):
        response = contractor.get(url)
        assert response.status_code == 403, url
        assert "Geen toegang" in response.text
    for url in ("/matching/taken", "/matching/taken/nieuw", "/matching/plekken"):
        assert coach.get(url).status_code == 403, url
    bureau = LoggedIn(
        matching_app.test_client(), make_user("programmabureau", org="Bureau"), prefix="/matching"
    )
    assert bureau.get("/matching/voorstellen").status_code == 403
    assert bureau.get("/matching/rondes").status_code == 200
    # The 403 page says where this person can go instead, and its way out is not the same page.
    refused = contractor.get("/matching/voorstellen").text
    assert "Waar u wel terecht kunt" in refused
    assert '<a href="/matching/taken">Mijn instaptaken</a>' in refused
    assert 'href="/matching/voorstellen"' not in refused


def test_only_coaches_and_beheerders_start_match_runs(
    matching_app: Any, make_user: Any, make_token: Any, coach: LoggedIn
) -> None:
    """A full run withdraws proposals nobody acted on: the bureau follows runs, it does not start them."""
    bureau = LoggedIn(
        matching_app.test_client(), make_user("programmabureau", org="Bureau"), prefix="/matching"
    )
    page = bureau.get("/matching/rondes").text
    assert "Nieuwe matchronde starten" not in page and "Alleen jobcoaches en beheerders" in page
    assert post_form(bureau, "/matching/rondes", {}, page="/matching/rondes").status_code == 403
    api = matching_app.test_client()
    token = {"Authorization": f"Bearer {make_token('programmabureau', org='Bureau')}"}
    assert api.post("/matching/api/v1/runs", json={}, headers=token).status_code == 403
    assert api.get("/matching/api/v1/runs", headers=token).status_code == 200
    with db(matching_app) as s:
        assert s.scalar(select(func.count()).select_from(MatchRun)) == 0
    admin = LoggedIn(matching_app.test_client(), make_user("beheerder", org="Gemeente"), prefix="/matching")
    assert "Nieuwe matchronde starten" in coach.get("/matching/rondes").text
    assert post_form(coach, "/matching/rondes", {}, page="/matching/rondes").status_code == 302
    for role in ("jobcoach", "beheerder"):
        headers = {"Authorization": f"Bearer {make_token(role)}"}
        assert api.post("/matching/api/v1/runs", json={}, headers=headers).status_code == 202, role
    assert admin.get("/matching/rondes").status_code == 200


# --- contractor: tasks ------------------------------------------------------------------------


def test_task_form_has_grouped_accessible_fields(contractor: LoggedIn) -> None:
    html = contractor.get("/matching/taken/nieuw").text
    for legend in ("Het werk", "Waar en wanneer", "Eisen", "Wat de deelnemer leert"):
        assert f"<h2>{legend}</h2>" in html
    assert 'aria-current="page">Nieuwe instaptaak' in html
    assert '<option value="hulpmonteur_zonnepanelen">Hulpmonteur zonnepanelen</option>' in html
    assert '<option value="crabbehof">Crabbehof</option>' in html
    assert 'value="vca_basis"' in html and 'name="req_driving_licence"' in html
    for field in re.findall(r'<(?:input|select)[^>]+id="([^"]+)"[^>]*name=', html):
        if "-" not in field:
            assert f'for="{field}"' in html or f'id="{field}" name="' in html, field
    for field in re.findall(r'<input[^>]+type="(?:text|date)"[^>]*id="([^"]+)"', html):
        assert f'for="{field}"' in html, field
    assert "style=" not in html and "<script" not in html


def test_contractor_creates_task(contractor: LoggedIn, matching_app: Any) -> None:
    task_id = create_task(contractor)
    page = contractor.get(f"/matching/taken/{task_id}").text
    assert "Instaptaak opgeslagen." in page
    assert "<h1>Hulpmonteur zonnepanelen Crabbehof</h1>" in page
    assert "0 van 2 plaatsen vergeven" in page
    assert "Er zijn nog geen kandidaten voor u." in page
    with db(matching_app) as s:
        task = s.get(Task, task_id)
        assert task.organisation_id == contractor.user.organisation_id
        assert task.werkprocessen == ["B1-K1-W1", "B1-K1-W2", "B1-K2-W1"]
        assert task.req_certificates == ["vca_basis"] and task.skills == ["gereedschap", "meten"]
        assert task.req_work_at_height is True and task.req_driving_licence is False
        assert task.req_language_spoken == "A2" and task.req_language_written is None
        assert task.end_date is None and task.hours_per_week == 24 and task.places == 2
        assert task.sroi_tag == "SROI-2026-17" and task.status == "open"
        run = s.scalar(select(MatchRun).where(MatchRun.kind == "task"))
        assert run.scope == str(task_id) and run.requested_by == "nieuwe taak"


def test_task_validation_errors_in_dutch(contractor: LoggedIn, matching_app: Any) -> None:
    response = post_form(
        contractor,
        "/matching/taken/nieuw",
        task_form(
            title="",
            hours_per_week="60",
            places="0",
            werkprocessen="B1-K1-W1, werkproces 2",
            end_date=(clock.today() + timedelta(days=10)).isoformat(),
        ),
    )
    assert response.status_code == 422
    html = response.text
    assert "Er gaan nog dingen mis" in html
    assert field_error(html, "title") == "Vul dit veld in."
    assert field_error(html, "hours_per_week") == "Kies 4 tot 40 uur per week."
    assert field_error(html, "places") == "Kies 1 tot 100 plaatsen."
    assert field_error(html, "werkprocessen") == "Schrijf een werkproces zoals B1-K1-W1."
    assert 'id="hours_per_week" name="hours_per_week" type="text" value="60"' in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="hours_per_week-hint hours_per_week-error"' in html
    # The summary follows the form order and links to the fields.
    summary = re.findall(r'<li><a href="#([^"]+)">', html)
    # Every mistake in one round: the end date before the start date too.
    assert summary == ["title", "end_date", "hours_per_week", "places", "werkprocessen"]
    assert field_error(html, "end_date") == "De einddatum ligt voor de startdatum."
    # What was typed stays.
    assert 'value="vca_basis" checked' in html
    assert '<option value="crabbehof" selected>' in html
    # A start in the past, and no contact person, are refused too.
    again = post_form(
        contractor,
        "/matching/taken/nieuw",
        task_form(start_date=(clock.today() - timedelta(days=1)).isoformat(), contact_name=""),
    )
    assert again.status_code == 422
    assert (
        field_error(again.text, "start_date") == "De startdatum ligt in het verleden. Kies vandaag of later."
    )
    assert field_error(again.text, "contact_name") == "Vul dit veld in."
    # A BSN in a free-text field is refused.
    bsn = post_form(contractor, "/matching/taken/nieuw", task_form(sroi_tag="111222333"))
    assert bsn.status_code == 422 and 'id="sroi_tag-error"' in bsn.text
    with db(matching_app) as s:
        assert s.scalar(select(func.count()).select_from(Task)) == 0


def test_task_validation_in_english(contractor: LoggedIn) -> None:
    page = contractor.client.get("/matching/taken/nieuw?lang=en")
    response = contractor.client.post(
        "/matching/taken/nieuw?lang=en",
        data={**task_form(hours_per_week="60"), "csrf_token": csrf_from(page.data)},
    )
    assert response.status_code == 422
    assert "Some things still need fixing" in response.text
    assert "Hours per week: Choose 4 to 40 hours per week." in response.text
    assert "Kies 4 tot 40 uur per week." not in response.text


def test_contractor_sees_only_own_tasks(contractor: LoggedIn, matching_app: Any, make_user: Any) -> None:
    own = create_task(contractor, title="Eigen taak isoleren")
    other = LoggedIn(
        matching_app.test_client(), make_user("aannemer", org="Ander Bouwbedrijf"), prefix="/matching"
    )
    theirs = create_task(other, title="Taak van een ander")
    listing = contractor.get("/matching/taken").text
    assert "Eigen taak isoleren" in listing and "Taak van een ander" not in listing
    assert "0 van 2" in listing and "<caption>" in listing
    for url in (
        f"/matching/taken/{theirs}",
        f"/matching/taken/{theirs}/bewerken",
        f"/matching/taken/{theirs}/sluiten",
    ):
        response = contractor.get(url)
        assert response.status_code == 404, url
        assert "Taak van een ander" not in response.text
    assert contractor.get(f"/matching/taken/{own}").status_code == 200


def test_contractor_edits_task(contractor: LoggedIn, matching_app: Any) -> None:
    task_id = create_task(contractor)
    form = contractor.get(f"/matching/taken/{task_id}/bewerken").text
    assert 'value="B1-K1-W1, B1-K1-W2, B1-K2-W1"' in form
    bad = post_form(contractor, f"/matching/taken/{task_id}/bewerken", task_form(title="", places="3"))
    assert bad.status_code == 422
    assert field_error(bad.text, "title") == "Vul 3 tot 200 tekens in."
    ok = post_form(
        contractor, f"/matching/taken/{task_id}/bewerken", task_form(places="3", req_certificates=[])
    )
    assert ok.status_code == 302
    with db(matching_app) as s:
        task = s.get(Task, task_id)
        assert task.places == 3 and task.req_certificates == []


def test_contractor_closes_task(contractor: LoggedIn, matching_app: Any) -> None:
    task_id = create_task(contractor)
    confirm = contractor.get(f"/matching/taken/{task_id}/sluiten")
    assert confirm.status_code == 200 and "Instaptaak sluiten?" in confirm.text
    response = post_form(contractor, f"/matching/taken/{task_id}/sluiten", {})
    assert response.status_code == 302
    page = contractor.get(f"/matching/taken/{task_id}").text
    assert "Gesloten. Er komen geen nieuwe voorstellen meer bij." in page
    assert "Bewerken" not in page
    with db(matching_app) as s:
        assert s.get(Task, task_id).status == "gesloten"
    assert contractor.get(f"/matching/taken/{task_id}/bewerken").status_code == 302


# --- contractor: candidates -------------------------------------------------------------------


def test_candidate_card_is_pseudonymous(contractor: LoggedIn, matching_app: Any) -> None:
    task_id = create_task(contractor)
    pid = add_candidate(matching_app)
    add_proposal(matching_app, pid, task_id=task_id)
    # Proposals the coach has not discussed yet are not shown to the contractor.
    add_candidate(matching_app, "DW-NOGNIET")
    add_proposal(matching_app, "DW-NOGNIET", task_id=task_id, status="voorgesteld")
    html = contractor.get(f"/matching/taken/{task_id}").text
    assert "Kandidaten om te beoordelen" in html
    # A pseudonym of this organisation and task, never the programme id (issue 7).
    assert card_pseudonym(matching_app, pid, task_id) in html
    assert "DW-K7Q2M9" not in html and "DW-NOGNIET" not in html
    assert "heeft VCA, woont in de wijk ernaast" in html
    for shown in (
        "Wielwijk",
        "25 tot 45 jaar",
        "B1 (gewone gesprekken",
        "B-VCA (VCA Basis)",
        "geldig tot 01-03-2034",
        "Werken met gereedschap",
        "Accepteren",
        "Afwijzen",
        "De plek is al vergeven",
    ):
        assert shown in html, shown
    for hidden in INTAKE_ONLY + ("3317",):
        assert hidden not in html, hidden


def test_accept_places_candidate_then_confirm_start(contractor: LoggedIn, matching_app: Any) -> None:
    task_id = create_task(contractor)
    pid = add_candidate(matching_app)
    proposal_id = add_proposal(matching_app, pid, task_id=task_id)
    url = f"/matching/taken/{task_id}/voorstellen/{proposal_id}/besluit"
    response = post_form(contractor, url, {"accept": "true", "reason": ""}, page=f"/matching/taken/{task_id}")
    assert response.status_code == 302
    page = contractor.get(f"/matching/taken/{task_id}").text
    shown = card_pseudonym(matching_app, pid, task_id)
    assert f"U heeft kandidaat {shown} geaccepteerd." in page
    assert "1 van 2 plaatsen vergeven" in page
    assert "Afspraken en start" in page
    with db(matching_app) as s:
        assert s.get(Task, task_id).filled == 1
        assert s.get(Proposal, proposal_id).status == "aannemer_akkoord"
        placement = s.scalar(select(Placement).where(Placement.proposal_id == proposal_id))
        assert placement.kind == "plaatsing" and placement.status == "afgesproken"
        placement_id = placement.id
    # The card links to the placement; the old start button of a task leads there too.
    to_placement = contractor.get(f"/matching/plaatsingen/voorstel/{proposal_id}")
    assert to_placement.headers["Location"].endswith(f"/matching/plaatsingen/{placement_id}")
    old = post_form(
        contractor,
        f"/matching/taken/{task_id}/voorstellen/{proposal_id}/start",
        {},
        page=f"/matching/taken/{task_id}",
    )
    assert old.status_code == 302 and old.headers["Location"].endswith(f"/plaatsingen/voorstel/{proposal_id}")
    page_url = f"/matching/plaatsingen/{placement_id}"
    today = clock.today().isoformat()
    early = post_form(contractor, f"{page_url}/start", {"started_on": today}, page=page_url)
    assert early.status_code == 422  # the task starts later: the page asks why, nothing saved
    assert "Schrijf erbij waarom" in field_error(early.text, "early_start_reason")
    assert 'href="#early_start_reason"' in early.text
    start = post_form(
        contractor,
        f"{page_url}/start",
        {"started_on": today, "early_start_reason": "Proefweek"},
        page=page_url,
    )
    assert start.status_code == 302
    assert "De start is bevestigd." in contractor.get(page_url).text
    with db(matching_app) as s:
        assert s.get(Proposal, proposal_id).status == "geplaatst"


def test_decline_needs_reason(contractor: LoggedIn, matching_app: Any) -> None:
    task_id = create_task(contractor)
    pid = add_candidate(matching_app)
    proposal_id = add_proposal(matching_app, pid, task_id=task_id)
    url = f"/matching/taken/{task_id}/voorstellen/{proposal_id}/besluit"
    response = post_form(
        contractor, url, {"accept": "false", "reason": ""}, page=f"/matching/taken/{task_id}"
    )
    assert response.status_code == 422
    assert field_error(response.text, f"reason-{proposal_id}") == "Kies een reden uit de lijst."
    assert f'href="#reason-{proposal_id}"' in response.text
    ok = post_form(
        contractor, url, {"accept": "false", "reason": "planning"}, page=f"/matching/taken/{task_id}"
    )
    assert ok.status_code == 302
    with db(matching_app) as s:
        proposal = s.get(Proposal, proposal_id)
        assert proposal.status == "aannemer_afgewezen"
        assert proposal.organisation_reason == "planning"
        assert s.get(Task, task_id).filled == 0


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("kamer 4 111 222 333", "Een BSN mag niet worden vastgelegd. Haal dit nummer weg."),
        ("plan\x00ning", "Hier staat een onzichtbaar stuurteken in. Typ de tekst opnieuw."),
    ],
)
def test_decline_reason_with_bsn_or_control_character_is_refused(
    contractor: LoggedIn, matching_app: Any, reason: str, message: str
) -> None:
    task_id = create_task(contractor)
    proposal_id = add_proposal(matching_app, add_candidate(matching_app), task_id=task_id)
    url = f"/matching/taken/{task_id}/voorstellen/{proposal_id}/besluit"
    page = post_form(
        contractor, url, {"accept": "false", "reason": reason}, page=f"/matching/taken/{task_id}"
    )
    assert page.status_code == 422
    assert field_error(page.text, f"reason-{proposal_id}") == message
    api = contractor.post(
        f"/matching/api/v1/proposals/{proposal_id}/decision", json={"accept": False, "reason": reason}
    )
    assert api.status_code == 422 and api.json["errors"] == {"reason": [message]}
    listing = contractor.get("/matching/api/v1/tasks?status=111222333")
    assert listing.status_code == 422
    assert listing.json["errors"] == {"status": ["Een BSN mag niet worden vastgelegd. Haal dit nummer weg."]}
    with db(matching_app) as s:
        assert s.get(Proposal, proposal_id).status == "coach_akkoord"


@pytest.mark.both_backends
def test_accept_when_full_flashes_conflict(contractor: LoggedIn, matching_app: Any) -> None:
    task_id = create_task(contractor, places="1")
    first = add_proposal(matching_app, add_candidate(matching_app, "DW-EERSTE"), task_id=task_id)
    second = add_proposal(matching_app, add_candidate(matching_app, "DW-TWEEDE"), task_id=task_id)
    base = f"/matching/taken/{task_id}/voorstellen"
    page = f"/matching/taken/{task_id}"
    assert post_form(contractor, f"{base}/{first}/besluit", {"accept": "true"}, page=page).status_code == 302
    response = post_form(contractor, f"{base}/{second}/besluit", {"accept": "true"}, page=page)
    assert response.status_code == 302
    html = contractor.get(page).text
    assert "Alle plaatsen zijn al vergeven." in html
    assert "1 van 1 plaatsen vergeven" in html
    with db(matching_app) as s:
        assert s.get(Task, task_id).filled == 1
        assert s.get(Proposal, second).status == "coach_akkoord"


def test_contractor_cannot_decide_on_other_organisations_proposal(
    contractor: LoggedIn, matching_app: Any, make_user: Any
) -> None:
    other = LoggedIn(
        matching_app.test_client(), make_user("aannemer", org="Ander Bouwbedrijf"), prefix="/matching"
    )
    theirs = create_task(other)
    own = create_task(contractor)
    proposal_id = add_proposal(matching_app, add_candidate(matching_app), task_id=theirs)
    for task_id in (theirs, own):
        response = post_form(
            contractor,
            f"/matching/taken/{task_id}/voorstellen/{proposal_id}/besluit",
            {"accept": "true"},
            page=f"/matching/taken/{own}",
        )
        assert response.status_code == 404
    with db(matching_app) as s:
        assert s.get(Proposal, proposal_id).status == "coach_akkoord"


# --- trainer: slots ---------------------------------------------------------------------------


def test_trainer_creates_slot_and_enrols(matching_app: Any, make_user: Any) -> None:
    trainer = LoggedIn(
        matching_app.test_client(), make_user("opleider", org="De Beroepentuin"), prefix="/matching"
    )
    bad = post_form(trainer, "/matching/plekken/nieuw", slot_form(crebo="1234", occupations=[]))
    assert bad.status_code == 422
    assert field_error(bad.text, "crebo") == "Een crebo-code heeft 5 cijfers."
    assert field_error(bad.text, "occupations") == "Vul dit veld in."
    response = post_form(trainer, "/matching/plekken/nieuw", slot_form())
    assert response.status_code == 302
    slot_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    page = trainer.get(f"/matching/plekken/{slot_id}").text
    assert "Opleidingsplek opgeslagen." in page and "0 van 8 plekken vergeven" in page
    assert "25650" in page
    with db(matching_app) as s:
        slot = s.get(TrainingSlot, slot_id)
        assert slot.grants == ["vca_basis"] and slot.vca_exam_included is True
        assert slot.werkprocessen == ["B1-K1-W1"] and slot.weeks == 6
    assert "Leerwerktraject zonnepanelen" in trainer.get("/matching/plekken").text

    proposal_id = add_proposal(matching_app, add_candidate(matching_app), slot_id=slot_id)
    assert "heeft VCA, woont in de wijk ernaast" in trainer.get(f"/matching/plekken/{slot_id}").text
    accepted = post_form(
        trainer,
        f"/matching/plekken/{slot_id}/voorstellen/{proposal_id}/besluit",
        {"accept": "true"},
        page=f"/matching/plekken/{slot_id}",
    )
    assert accepted.status_code == 302
    post_form(
        trainer,
        f"/matching/plekken/{slot_id}/voorstellen/{proposal_id}/start",
        {},
        page=f"/matching/plekken/{slot_id}",
    )
    html = trainer.get(f"/matching/plekken/{slot_id}").text
    assert "1 van 8 plekken vergeven" in html and "is bevestigd" in html
    with db(matching_app) as s:
        assert s.get(Proposal, proposal_id).status == "ingeschreven"


# --- coach: proposals -------------------------------------------------------------------------


def _coach_setup(matching_app: Any, contractor: LoggedIn, coach: LoggedIn) -> tuple[int, int, int]:
    task_id = create_task(contractor)
    mine = add_proposal(
        matching_app,
        add_candidate(matching_app, "DW-MIJN01", coach.user.id),
        task_id=task_id,
        status="voorgesteld",
        coach_id=coach.user.id,
    )
    other = add_proposal(
        matching_app,
        add_candidate(matching_app, "DW-ANDER1", 99999),
        task_id=task_id,
        status="voorgesteld",
        coach_id=99999,
    )
    return task_id, mine, other


def test_coach_sees_own_proposals(matching_app: Any, contractor: LoggedIn, coach: LoggedIn) -> None:
    _coach_setup(matching_app, contractor, coach)
    html = coach.get("/matching/voorstellen").text
    assert "Voorstellen voor mijn deelnemers" in html
    assert "Wacht op uw besluit" in html
    assert "DW-MIJN01" in html and "DW-ANDER1" not in html
    assert "Hulpmonteur zonnepanelen Crabbehof" in html and "Crabbehof" in html
    assert "heeft VCA, woont in de wijk ernaast" in html
    assert "Akkoord (met de deelnemer besproken)" in html
    assert "Nieuwe matchronde starten" in html


def test_coach_accepts_and_rejects(matching_app: Any, contractor: LoggedIn, coach: LoggedIn) -> None:
    task_id, mine, _other = _coach_setup(matching_app, contractor, coach)
    second = add_proposal(
        matching_app,
        add_candidate(matching_app, "DW-MIJN02", coach.user.id),
        task_id=task_id,
        status="voorgesteld",
        coach_id=coach.user.id,
    )
    page = "/matching/voorstellen"
    missing = post_form(
        coach, f"/matching/voorstellen/{second}/besluit", {"accept": "false", "reason": ""}, page=page
    )
    assert missing.status_code == 422
    assert field_error(missing.text, f"reason-{second}") == "Kies een reden uit de lijst."
    assert "Er gaan nog dingen mis" in missing.text
    rejected = post_form(
        coach, f"/matching/voorstellen/{second}/besluit", {"accept": "false", "reason": "reistijd"}, page=page
    )
    assert rejected.status_code == 302
    accepted = post_form(coach, f"/matching/voorstellen/{mine}/besluit", {"accept": "true"}, page=page)
    assert accepted.status_code == 302
    html = coach.get(page).text
    assert "Akkoord vastgelegd voor DW-MIJN01." in html
    assert "Wacht op de werkgever of opleider" in html and "Reistijd is te lang" in html
    with db(matching_app) as s:
        assert s.get(Proposal, mine).status == "coach_akkoord"
        assert s.get(Proposal, second).status == "coach_afgewezen"
        assert s.get(Proposal, second).coach_reason == "reistijd"
    # Now the contractor sees the accepted one, under its pseudonym.
    assert (
        card_pseudonym(matching_app, "DW-MIJN01", task_id)
        in contractor.get(f"/matching/taken/{task_id}").text
    )


def test_coach_cannot_decide_for_another_coach(
    matching_app: Any, contractor: LoggedIn, coach: LoggedIn
) -> None:
    _task, _mine, other = _coach_setup(matching_app, contractor, coach)
    response = post_form(
        coach, f"/matching/voorstellen/{other}/besluit", {"accept": "true"}, page="/matching/voorstellen"
    )
    assert response.status_code == 404
    with db(matching_app) as s:
        assert s.get(Proposal, other).status == "voorgesteld"


# --- runs -------------------------------------------------------------------------------------


def test_runs_page_lists_runs_and_starts_one(matching_app: Any, coach: LoggedIn) -> None:
    assert "Er zijn nog geen matchrondes" in coach.get("/matching/rondes").text
    with db(matching_app) as s:
        s.add(
            MatchRun(
                kind="task",
                scope="3",
                status="failed",
                progress=40,
                attempts=3,
                requested_by="nieuwe taak",
                counts={"candidates": 12, "openings": 4},
                timings={"build": 0.25},
                error="RuntimeError: solver weg",
                created_at=utcnow(),
            )
        )
        s.add(
            MatchRun(
                kind="full",
                status="done",
                progress=100,
                attempts=1,
                requested_by="nachtelijke ronde",
                counts={
                    "candidates": 12,
                    "openings": 4,
                    "assigned": 3,
                    "created": 2,
                    "kept": 1,
                    "withdrawn": 5,
                },
                timings={"build": 0.25},
                created_at=utcnow(),
            )
        )
    response = post_form(coach, "/matching/rondes", {}, page="/matching/voorstellen")
    assert response.status_code == 302 and response.headers["Location"].endswith("/matching/rondes")
    html = coach.get("/matching/rondes").text
    assert "is aangevraagd" in html
    assert "Volledige ronde" in html and "In de wachtrij" in html
    assert "Mislukt" in html and "RuntimeError: solver weg" in html
    assert "Deze ronde is mislukt" in html
    # The numbers of a run, said in words (what "ingetrokken" means included).
    assert "Bekeken: 12 deelnemers en 4 instaptaken en opleidingsplekken met nog plaats." in html
    assert "In de beste verdeling krijgen 3 deelnemers een voorstel." in html
    assert "2 voorstellen zijn nieuw. 1 voorstel bestond al en blijft staan." in html
    assert "5 oude voorstellen zijn ingetrokken: niemand had er nog iets mee gedaan" in html
    assert "Rekentijd: 0.25 s" in html
    assert "Fatima el Amrani" in html
    with db(matching_app) as s:
        run = s.scalar(select(MatchRun).where(MatchRun.kind == "full", MatchRun.status == "queued"))
        assert run.requested_by == "Fatima el Amrani"
    # A second click reuses the queued run instead of adding one.
    post_form(coach, "/matching/rondes", {}, page="/matching/rondes")
    with db(matching_app) as s:
        queued = (
            select(func.count())
            .select_from(MatchRun)
            .where(MatchRun.kind == "full", MatchRun.status == "queued")
        )
        assert s.scalar(queued) == 1


def test_pages_in_english(contractor: LoggedIn, matching_app: Any) -> None:
    task_id = create_task(contractor)
    add_proposal(matching_app, add_candidate(matching_app), task_id=task_id)
    html = contractor.get(f"/matching/taken/{task_id}?lang=en").text
    assert 'lang="en"' in html
    assert "Accept" in html and "Accepteren" not in html
    assert "Mijn instaptaken" not in contractor.get("/matching/taken?lang=en").text
