"""Each role in a real browser, on one origin with intake and matching together: log in, land on
the start page, walk the journey. The coach and the contractor meet through the introduction
(each sees the other's side), a failed form is fixed in one round, and axe-core checks WCAG 2.1 AA
on the pages walked. Every page of every role is also checked at 390 px (test_small_screens.py)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from services.matching.domain import runs
from shared import clock
from shared.components import COMPONENTS
from shared.navigation import start_path
from tests.browser.conftest import axe_violations, describe
from tests.matching.factories import card_pseudonym
from tests.support.workers import run_worker_burst

pytestmark = pytest.mark.browser

START = (clock.today() + timedelta(days=30)).isoformat()


def log_in(page: Any, base: str, user: Any, landing: str) -> None:
    """Log in at intake's front door; every role must land on its own start page."""
    page.goto(f"{base}/intake/login")
    page.get_by_label("E-mailadres").fill(user.email)
    page.get_by_label("Wachtwoord").fill(user.password)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{base}{landing}")
    expect(page.get_by_role("heading", name="Geen toegang")).to_have_count(0)


def menu(page: Any) -> list[str]:
    return page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link").all_inner_texts()


def expect_summary_focused(page: Any) -> None:
    """The error summary takes the focus (its `autofocus`), which the browser applies after the
    page has rendered: waited for, as the other expectations are, not read at one moment."""
    expect(page.locator("#fouten")).to_be_focused()


def check_axe(page: Any, found: dict[str, Any], name: str) -> None:
    found[name] = axe_violations(page)


def assert_no_axe_problems(found: dict[str, Any]) -> None:
    problems = {name: describe(v) for name, v in found.items() if v}
    assert not problems, "\n".join(f"[{name}]\n{text}" for name, text in problems.items())


def post_task_fixed_in_one_round(page: Any, found: dict[str, Any]) -> None:
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Nieuwe instaptaak").click()
    page.get_by_label("Titel (verplicht)").fill("Hulpmonteur zonnepanelen Crabbehof")
    page.get_by_label("Beroep (verplicht)").select_option("hulpmonteur_zonnepanelen")
    page.get_by_label("Soort contract (verplicht)").select_option("bbl")
    page.get_by_label("Wijk (verplicht)").select_option("crabbehof")
    # Three mistakes at once: a start in the past, an end before it, too many hours.
    page.get_by_label("Startdatum (verplicht)").fill((clock.today() - timedelta(days=3)).isoformat())
    page.get_by_label("Einddatum").fill((clock.today() - timedelta(days=10)).isoformat())
    page.get_by_label("Uren per week (verplicht)").fill("60")
    page.get_by_label("Aantal plaatsen (verplicht)").fill("2")
    page.get_by_role("checkbox", name="B-VCA (VCA Basis)").check()
    page.get_by_label("Telefoon").fill("078 123 45 67")
    page.get_by_role("button", name="Instaptaak opslaan").click()

    summary = page.get_by_role("alert")
    expect(summary.get_by_role("link")).to_have_count(3)
    expect(summary).to_contain_text("De startdatum ligt in het verleden.")
    expect(summary).to_contain_text("De einddatum ligt voor de startdatum.")
    expect(summary).to_contain_text("Kies 4 tot 40 uur per week.")
    expect_summary_focused(page)
    check_axe(page, found, "task form with three errors")
    page.get_by_label("Startdatum (verplicht)").fill(START)
    page.get_by_label("Einddatum").fill("")
    page.get_by_label("Uren per week (verplicht)").fill("24")
    page.get_by_role("button", name="Instaptaak opslaan").click()
    expect(page.get_by_role("status")).to_contain_text("Instaptaak opgeslagen.")


def enter_intake_fixed_in_one_round(page: Any, found: dict[str, Any]) -> None:
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Nieuwe intake").click()
    page.get_by_label("Achternaam (verplicht)").fill("Bouali")
    page.get_by_label("Telefoonnummer").fill("06 23456789")
    channel = page.get_by_role(
        "group", name="Hoe wil de deelnemer benaderd worden door een werkgever of opleider?"
    )
    channel.get_by_label("E-mail", exact=True).check()
    page.get_by_label("Postcode").fill("1012 AB")
    page.get_by_label("Wijk (verplicht)").select_option("crabbehof")
    page.get_by_label("Geboortejaar").fill("1990")
    page.get_by_label("Spreken en luisteren").select_option("B1")
    page.get_by_label("Lezen en schrijven").select_option("A2")
    vca = page.get_by_role("checkbox", name="B-VCA (VCA Basis)")
    date_field = page.locator("#cert_valid_until_vca_basis")
    expect(date_field).to_be_hidden()  # asked only once the certificate is ticked
    vca.check()
    expect(date_field).to_be_visible()
    page.get_by_label("Uren per week").fill("32")
    days = page.get_by_role("group", name="Op welke dagen kan de deelnemer werken?")
    for day in ("Maandag", "Dinsdag", "Woensdag"):
        days.get_by_label(day).check()
    page.get_by_role("group", name="Heeft de deelnemer eigen vervoer?").get_by_label("Ja").check()
    page.get_by_label("Hulpmonteur zonnepanelen").check()
    page.get_by_role("group", name="Wil en kan de deelnemer op hoogte werken?").get_by_label("Ja").check()
    page.get_by_role("group", name="Wil en kan de deelnemer zwaar werk doen?").get_by_label("Nee").check()
    page.get_by_role("button", name="Intake opslaan").click()

    # Every mistake in one round: no first name, e-mail chosen without an address, postcode and
    # wijk disagree.
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Voornaam: Vul dit veld in.")
    expect(summary).to_contain_text(
        "Contact na kennismaking: Gekozen is e-mail, maar er is geen e-mailadres."
    )
    expect(summary).to_contain_text("Postcode 1012 ligt niet in Dordrecht")
    expect_summary_focused(page)
    check_axe(page, found, "intake form with errors")
    page.get_by_label("Voornaam (verplicht)").fill("Samira")
    page.get_by_label("E-mailadres").fill("samira@example.nl")
    page.get_by_label("Postcode").fill("3318 AB")
    page.get_by_role("button", name="Intake opslaan").click()
    expect(page.get_by_role("status")).to_contain_text("Intake opgeslagen.")

    # Consent for two purposes in one submit.
    consent = page.get_by_role("group", name="Voor welke doelen geeft de deelnemer toestemming?")
    consent.get_by_label("Registratie in het programma").check()
    consent.get_by_label("Profiel zonder naam delen met aannemers").check()
    page.get_by_label("Hoe gegeven").select_option("schriftelijk")
    page.get_by_role("button", name="Toestemming vastleggen").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Toestemming vastgelegd: Registratie in het programma,"
    )


def test_coach_and_contractor_meet_through_the_introduction(
    browser: Any, suite_url: str, settings: Any, matching_app: Any, make_user: Any
) -> None:
    found: dict[str, Any] = {}
    base = suite_url
    contexts = [
        browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL", bypass_csp=True)
        for _ in range(2)
    ]
    contractor, coach = (c.new_page() for c in contexts)
    try:
        contractor_user = make_user("aannemer", org="Installateur Dordt", name="Mark Kuipers")
        log_in(contractor, base, contractor_user, "/matching/taken")
        assert {"Mijn instaptaken", "Nieuwe instaptaak", "Kennismakingen"} <= set(menu(contractor))
        post_task_fixed_in_one_round(contractor, found)
        task_url = contractor.url.split("#")[0]

        coach_user = make_user("jobcoach", name="Fatima el Amrani")
        log_in(coach, base, coach_user, "/intake/deelnemers")
        assert {"Deelnemers", "Nieuwe intake", "Voorstellen", "Matchrondes"} <= set(menu(coach))
        enter_intake_fixed_in_one_round(coach, found)
        resident_url = coach.url.split("#")[0]
        programme_id = resident_url.rsplit("/", 1)[-1]

        run_worker_burst(settings)  # matching receives the pseudonymous profile
        db = matching_app.extensions["instap"].db
        with db.unit_of_work() as s:
            run_id = runs.request_run(s, "full", None, "test").id
        runs.execute(db, run_id)

        # The coach sees the resident by name, with both sides of the explanation.
        coach.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Voorstellen").click()
        card = coach.get_by_role("article", name=f"Samira Bouali ({programme_id})")
        expect(card).to_contain_text("Wat past")
        expect(card).to_contain_text("Wat niet past of een risico is")
        check_axe(coach, found, "coach proposals with names")
        card.get_by_role("button", name="Akkoord (met de deelnemer besproken)").click()
        expect(coach.get_by_role("status")).to_contain_text("Akkoord vastgelegd")

        # The contractor sees a pseudonymous card with what matters for the work, and accepts:
        # a pseudonym of this organisation and task, never the programme id (issue 7).
        shown = card_pseudonym(matching_app, programme_id, int(task_url.rstrip("/").rsplit("/", 1)[-1]))
        contractor.goto(task_url)
        card = contractor.get_by_role("article", name=f"Kandidaat {shown}")
        expect(card).to_contain_text("Maandag, Dinsdag, Woensdag")
        expect(card).to_contain_text("Werken op hoogte")
        expect(card).not_to_contain_text("Samira")
        card.get_by_role("button", name="Accepteren").click()
        expect(contractor.get_by_role("status")).to_contain_text(f"U heeft kandidaat {shown} geaccepteerd.")

        run_worker_burst(settings, service="matching")
        run_worker_burst(settings, service="intake")  # intake grants the introduction

        # The contractor's side: the resident's name and the one channel they chose (e-mail,
        # although there is a phone number too).
        contractor.reload()
        card = contractor.get_by_role("article", name=f"Samira Bouali ({shown})")
        expect(card).to_contain_text("Kennismaking")
        assert programme_id not in contractor.content()
        expect(card).to_contain_text("samira@example.nl")
        expect(card).not_to_contain_text("0623456789")
        check_axe(contractor, found, "task page with introduction")
        contractor.get_by_role("navigation", name="Hoofdmenu").get_by_role(
            "link", name="Kennismakingen"
        ).click()
        introduced = contractor.get_by_role("article", name="Samira Bouali")
        expect(introduced).to_contain_text("Hulpmonteur zonnepanelen")
        expect(introduced).to_contain_text("samira@example.nl")
        check_axe(contractor, found, "introductions page")

        # The coach's side: organisation, task and contact person, on both services' pages.
        coach.reload()
        card = coach.get_by_role("article", name=f"Samira Bouali ({programme_id})")
        expect(card).to_contain_text("Installateur Dordt")
        expect(card).to_contain_text("Mark Kuipers")
        expect(card).to_contain_text("078 123 45 67")
        coach.goto(resident_url)
        section = coach.get_by_role("region", name="Voorstellen")
        expect(section).to_contain_text("Installateur Dordt")
        expect(section).to_contain_text("Mark Kuipers")
        check_axe(coach, found, "resident page with proposals and introduction")

        # The contractor confirms the start: the journey's last step.
        # That is a page of its own (issue 9): the first working day, and why if before the task.
        contractor.goto(task_url)
        contractor.get_by_role("link", name=re.compile("Afspraken en start")).click()
        contractor.get_by_label("Eerste werkdag").fill(clock.today().isoformat())
        contractor.get_by_label("Waarom eerder begonnen").fill("Begint met de voorbereiding")
        contractor.get_by_role("button", name="Start bevestigen").click()
        expect(contractor.get_by_role("status")).to_contain_text("is bevestigd")
    finally:
        for c in contexts:
            c.close()
    assert_no_axe_problems(found)


def test_trainer_posts_a_slot_fixed_in_one_round(axe_page: Any, suite_url: str, make_user: Any) -> None:
    page, found = axe_page, {}
    log_in(
        page,
        suite_url,
        make_user("opleider", org="De Beroepentuin", name="Ineke de Vries"),
        "/matching/plekken",
    )
    assert {"Mijn opleidingsplekken", "Nieuwe opleidingsplek", "Kennismakingen"} <= set(menu(page))
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Nieuwe opleidingsplek").click()
    page.get_by_label("Naam van de opleiding (verplicht)").fill("Leerwerktraject zonnepanelen")
    page.get_by_label("Hulpmonteur zonnepanelen").check()
    page.get_by_label("Startdatum (verplicht)").fill((clock.today() - timedelta(days=1)).isoformat())
    page.get_by_label("Aantal weken (verplicht)").fill("6")
    page.get_by_label("Aantal plekken (verplicht)").fill("0")
    page.get_by_label("Naam van de contactpersoon (verplicht)").fill("")
    page.get_by_role("button", name="Opleidingsplek opslaan").click()
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("link")).to_have_count(3)
    expect_summary_focused(page)
    check_axe(page, found, "slot form with errors")
    page.get_by_label("Startdatum (verplicht)").fill(START)
    page.get_by_label("Aantal plekken (verplicht)").fill("8")
    page.get_by_label("Naam van de contactpersoon (verplicht)").fill("Ineke de Vries")
    page.get_by_role("button", name="Opleidingsplek opslaan").click()
    expect(page.get_by_role("status")).to_contain_text("Opleidingsplek opgeslagen.")
    check_axe(page, found, "slot page")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Kennismakingen").click()
    expect(page.get_by_role("heading", name="Nog geen kennismakingen")).to_be_visible()
    check_axe(page, found, "introductions (empty)")
    assert_no_axe_problems(found)


def test_bureau_lands_on_runs_and_is_told_where_to_go(axe_page: Any, suite_url: str, make_user: Any) -> None:
    page, found = axe_page, {}
    log_in(
        page, suite_url, make_user("programmabureau", org="Programmabureau"), start_path("programmabureau")
    )
    page.goto(f"{suite_url}/matching/rondes")
    assert "Matchrondes" in menu(page) and "Deelnemers" not in menu(page)
    expect(page.get_by_role("button", name="Nieuwe matchronde starten")).to_have_count(0)
    expect(page.get_by_text("Alleen jobcoaches en beheerders starten een matchronde")).to_be_visible()
    check_axe(page, found, "runs (bureau)")
    # A page of another role: a 403 that says where to go, and its way out is not a loop.
    page.goto(f"{suite_url}/intake/deelnemers")
    expect(page.get_by_role("heading", level=1)).to_have_text("Geen toegang")
    expect(page.get_by_role("main").get_by_role("link", name="Matchrondes")).to_be_visible()
    check_axe(page, found, "403 page")
    page.get_by_role("link", name="Naar uw startpagina").click()
    page.wait_for_url(f"{suite_url}{start_path('programmabureau')}")
    # A service that is not installed here (or any unknown path): a styled Dutch page with the
    # menu, not a bare English 404.
    missing = "/onbekend/" if "rapportage" in COMPONENTS else "/rapportage/"
    response = page.goto(f"{suite_url}{missing}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Niet gevonden")
    expect(
        page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Matchrondes")
    ).to_be_visible()
    background = page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor")
    assert background == "rgb(11, 93, 59)", background  # the suite's stylesheet is applied
    check_axe(page, found, "not found")
    assert_no_axe_problems(found)


def test_beheerder_sees_everything_and_reassigns(
    axe_page: Any, suite_url: str, app: Any, make_user: Any
) -> None:
    from tests.conftest import LoggedIn, resident_payload

    page, found = axe_page, {}
    first, second = make_user("jobcoach", name="Oude Coach"), make_user("jobcoach", name="Nieuwe Coach")
    pid = (
        LoggedIn(app.test_client(), first)
        .post("/intake/api/v1/residents", json=resident_payload())
        .json["programme_id"]
    )
    log_in(
        page, suite_url, make_user("beheerder", org="Gemeente Dordrecht", name="Beheer"), "/intake/deelnemers"
    )
    assert {"Deelnemers", "Nieuwe intake", "Voorstellen", "Matchrondes"} <= set(menu(page))
    page.get_by_role("link", name="Ayşe Yılmaz").click()
    check_axe(page, found, "resident (beheerder)")
    page.get_by_role("combobox", name="Andere jobcoach").select_option(str(second.id))
    page.get_by_role("button", name="Jobcoach wijzigen").click()
    expect(page.get_by_role("status")).to_contain_text("De deelnemer heeft nu een andere jobcoach.")
    assert pid in page.url
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Matchrondes").click()
    expect(page.get_by_role("button", name="Nieuwe matchronde starten")).to_be_visible()
    assert_no_axe_problems(found)
