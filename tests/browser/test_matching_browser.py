"""A contractor posts an entry task and accepts a candidate in a real browser; axe-core checks
WCAG 2.1 AA on the task form (with errors), the task page and the coach's proposals page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from services.matching.models import Candidate, Proposal
from shared import clock
from shared.db import utcnow
from tests.browser.conftest import axe_violations, describe
from tests.matching.factories import card_pseudonym

pytestmark = pytest.mark.browser

START = (clock.today() + timedelta(days=45)).isoformat()
EXPLANATION = "heeft VCA, woont in de wijk ernaast, wil graag werken als hulpmonteur zonnepanelen"


def log_in(page: Any, base: str, user: Any, landing: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mailadres").fill(user.email)
    page.get_by_label("Wachtwoord").fill(user.password)
    page.get_by_role("button", name="Inloggen").click()
    if landing.startswith("/"):  # a start page in another service (not served here): go on directly
        page.wait_for_url(f"**{landing}")
        return
    page.wait_for_url(f"{base}/{landing}")


def fill_task(page: Any, hours: str) -> None:
    """Fill the task form the way a contractor would, by visible labels."""
    page.get_by_label("Titel (verplicht)").fill("Hulpmonteur zonnepanelen Crabbehof")
    page.get_by_label("Beroep (verplicht)").select_option("hulpmonteur_zonnepanelen")
    page.get_by_label("Soort contract (verplicht)").select_option("bbl")
    page.get_by_label("Woningcorporatie").fill("Trivire")
    page.get_by_label("Wijk (verplicht)").select_option("crabbehof")
    page.get_by_label("Startdatum (verplicht)").fill(START)
    page.get_by_label("Uren per week (verplicht)").fill(hours)
    page.get_by_label("Aantal plaatsen (verplicht)").fill("2")
    page.get_by_role("checkbox", name="B-VCA (VCA Basis)").check()
    page.get_by_role("group", name="Is het werk op hoogte?").get_by_label("Ja").check()
    page.get_by_label("Werkprocessen").fill("B1-K1-W1, B1-K1-W2")


def add_proposal(
    matching_app: Any,
    task_id: int | None,
    programme_id: str,
    status: str = "coach_akkoord",
    coach_id: int | None = None,
) -> None:
    """What intake's events and a match run would have produced: a profile and a proposal."""
    with matching_app.extensions["instap"].db.unit_of_work() as s:
        s.add(
            Candidate(
                programme_id=programme_id,
                wijk="wielwijk",
                age_band="25-45",
                stage="gecertificeerd",
                language_spoken="B1",
                language_written="A2",
                certificates=[{"code": "vca_basis", "valid_until": "2034-03-01"}],
                driving_licence=False,
                hours_per_week=24,
                available_from=clock.today(),
                interests=["hulpmonteur_zonnepanelen"],
                skills=["gereedschap"],
                share_with_employer=True,
                coach_id=coach_id,
                profile_updated_at=utcnow(),
            )
        )
        s.add(
            Proposal(
                programme_id=programme_id,
                opening_key=f"task:{task_id}",
                task_id=task_id,
                coach_id=coach_id,
                score=0.9,
                explanation={"interesse": 0.5},
                explanation_nl=EXPLANATION,
                status=status,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )


def task_id_from(url: str) -> int:
    """The task id from /matching/taken/<id> (a redirect keeps the #fragment the form had)."""
    return int(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])


def post_task(page: Any) -> None:
    """Open the task form and post it with one mistake; check how the mistake is shown."""
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Nieuwe instaptaak").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nieuwe instaptaak")
    fill_task(page, hours="60")
    page.get_by_role("button", name="Instaptaak opslaan").click()

    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="Er gaan nog dingen mis")).to_be_visible()
    expect(summary.get_by_role("link")).to_have_text(["Uren per week: Kies 4 tot 40 uur per week."])
    hours = page.get_by_label("Uren per week (verplicht)")
    expect(hours).to_have_attribute("aria-invalid", "true")
    expect(hours).to_have_value("60")
    expect(page.locator("#hours_per_week-error")).to_contain_text("Kies 4 tot 40 uur per week.")
    expect(page.get_by_label("Titel (verplicht)")).to_have_value("Hulpmonteur zonnepanelen Crabbehof")
    expect(page.get_by_role("checkbox", name="B-VCA (VCA Basis)")).to_be_checked()


def test_contractor_posts_task_and_accepts_candidate(
    page: Any, matching_url: str, matching_app: Any, make_user: Any
) -> None:
    user = make_user("aannemer", org="Demo Installatiebedrijf", name="Mark Kuipers")
    log_in(page, matching_url, user, "taken")
    expect(page.get_by_text("U heeft nog geen instaptaken")).to_be_visible()

    post_task(page)
    page.get_by_role("alert").get_by_role("link").click()
    assert page.url.endswith("#hours_per_week")
    page.get_by_label("Uren per week (verplicht)").fill("24")
    page.get_by_role("button", name="Instaptaak opslaan").click()

    expect(page.get_by_role("status")).to_contain_text("Instaptaak opgeslagen.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hulpmonteur zonnepanelen Crabbehof")
    expect(page.get_by_text("0 van 2 plaatsen vergeven")).to_be_visible()
    task_id = task_id_from(page.url)

    add_proposal(matching_app, task_id, "DW-K7Q2M9")
    shown = card_pseudonym(matching_app, "DW-K7Q2M9", task_id)  # never the programme id
    page.reload()
    card = page.get_by_role("article", name=f"Kandidaat {shown}")
    expect(card).to_contain_text(EXPLANATION)
    expect(card).to_contain_text("Wielwijk")
    expect(card).to_contain_text("25 tot 45 jaar")
    card.get_by_role("button", name="Accepteren").click()

    expect(page.get_by_role("status")).to_contain_text(f"U heeft kandidaat {shown} geaccepteerd.")
    expect(page.get_by_text("1 van 2 plaatsen vergeven")).to_be_visible()
    card = page.get_by_role("article", name=f"Kandidaat {shown}")
    card.get_by_role("link", name=f"Afspraken en start (kandidaat {shown})").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(shown)
    page.get_by_label("Eerste werkdag").fill(clock.today().isoformat())
    page.get_by_label("Waarom eerder begonnen").fill("Begint met de voorbereiding in de werkplaats")
    page.get_by_role("button", name="Start bevestigen").click()
    expect(page.get_by_role("status")).to_contain_text("De start is bevestigd.")
    assert "DW-K7Q2M9" not in page.content()

    page.get_by_role("link", name="Mijn instaptaken", exact=True).click()
    table = page.get_by_role("table", name="Instaptaken van uw organisatie")
    expect(table.get_by_role("link", name="Hulpmonteur zonnepanelen Crabbehof")).to_be_visible()
    expect(table).to_contain_text("1 van 2")
    assert page.csp_errors == []


def test_matching_pages_meet_wcag_21_aa(
    axe_page: Any, matching_url: str, matching_app: Any, make_user: Any
) -> None:
    page = axe_page
    found: dict[str, list[dict[str, Any]]] = {}
    contractor = make_user("aannemer", org="Demo Installatiebedrijf", name="Mark Kuipers")
    log_in(page, matching_url, contractor, "taken")
    found["task list (empty)"] = axe_violations(page)

    post_task(page)
    found["task form with errors"] = axe_violations(page)
    page.get_by_label("Uren per week (verplicht)").fill("24")
    page.get_by_role("button", name="Instaptaak opslaan").click()
    expect(page.get_by_role("status")).to_contain_text("Instaptaak opgeslagen.")
    task_id = task_id_from(page.url)

    add_proposal(matching_app, task_id, "DW-K7Q2M9")
    page.reload()
    found["task page with candidate"] = axe_violations(page)
    # Declining without a reason: the page again, with the error at the reason list.
    shown = card_pseudonym(matching_app, "DW-K7Q2M9", task_id)
    page.get_by_role("article", name=f"Kandidaat {shown}").get_by_role("button", name="Afwijzen").click()
    expect(page.get_by_role("alert")).to_contain_text("Kies een reden uit de lijst.")
    found["task page with decision error"] = axe_violations(page)

    page.get_by_role("button", name="Uitloggen").click()
    coach = make_user("jobcoach", name="Fatima el Amrani")
    add_proposal(matching_app, task_id, "DW-C0ACH1", status="voorgesteld", coach_id=coach.id)
    log_in(page, matching_url, coach, "/intake/deelnemers")  # the coach's start page
    page.goto(f"{matching_url}/voorstellen")
    expect(page.get_by_role("article", name="Deelnemer DW-C0ACH1")).to_contain_text(EXPLANATION)
    found["coach proposals"] = axe_violations(page)
    page.get_by_role("button", name="Nieuwe matchronde starten").click()
    expect(page.get_by_role("table", name="De laatste matchrondes")).to_be_visible()
    found["runs"] = axe_violations(page)

    problems = {name: describe(v) for name, v in found.items() if v}
    assert not problems, "\n".join(f"[{name}]\n{text}" for name, text in problems.items())
