"""A job coach enters an intake in a real browser; axe-core checks WCAG 2.1 AA on the main pages."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, describe

pytestmark = pytest.mark.browser


def fill_intake(page: Any, postcode: str) -> None:
    """Fill the intake form the way a coach would, by visible labels."""
    page.get_by_label("Voornaam (verplicht)").fill("Samira")
    page.get_by_label("Achternaam (verplicht)").fill("Bouali")
    page.get_by_label("Telefoonnummer").fill("06 23456789")
    page.get_by_label("Straat").fill("Crabbehofstraat")
    page.get_by_label("Huisnummer").fill("8")
    page.get_by_label("Postcode").fill(postcode)
    page.get_by_label("Woonplaats").fill("Dordrecht")
    page.get_by_label("Wijk (verplicht)").select_option("crabbehof")
    page.get_by_label("Geboortejaar").fill("1988")
    page.get_by_label("Participatieladder").select_option("2")
    page.get_by_label("Spreken en luisteren").select_option("A2")
    page.get_by_role("checkbox", name="B-VCA (VCA Basis)").check()
    page.get_by_label("Uren per week").fill("20")
    page.get_by_role("group", name="Op welke dagen kan de deelnemer werken?").get_by_label("Dinsdag").check()
    page.get_by_role("group", name="Heeft de deelnemer eigen vervoer?").get_by_label("Ja").check()
    page.get_by_label("Isolatiemonteur").check()
    page.get_by_label("Werkervaring").fill("Drie jaar in een magazijn")


def test_coach_enters_intake_fixes_error_and_finds_resident(page: Any, server_url: str, log_in: Any) -> None:
    log_in(page, server_url)
    expect(page.get_by_text("U heeft nog geen deelnemers")).to_be_visible()

    menu = page.get_by_role("navigation", name="Hoofdmenu")
    menu.get_by_role("link", name="Nieuwe intake").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nieuwe intake")
    fill_intake(page, postcode="33A")
    page.get_by_role("button", name="Intake opslaan").click()

    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="Er gaan nog dingen mis")).to_be_visible()
    expect(summary.get_by_role("link")).to_have_text(["Postcode: Vul een postcode in zoals 3317 AB."])
    postcode = page.get_by_label("Postcode")
    expect(postcode).to_have_attribute("aria-invalid", "true")
    expect(postcode).to_have_value("33A")
    expect(page.locator("#postcode-error")).to_contain_text("Vul een postcode in zoals 3317 AB.")
    # The rest of what the coach typed is still there.
    expect(page.get_by_label("Voornaam (verplicht)")).to_have_value("Samira")
    expect(page.get_by_role("checkbox", name="B-VCA (VCA Basis)")).to_be_checked()
    expect(page.get_by_label("Wijk (verplicht)")).to_have_value("crabbehof")

    summary.get_by_role("link").click()
    assert page.url.endswith("#postcode")
    postcode.fill("3318 AB")
    page.get_by_role("button", name="Intake opslaan").click()

    expect(page.get_by_role("status")).to_contain_text("Intake opgeslagen.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Samira Bouali")
    expect(page.get_by_text("3318 AB")).to_be_visible()

    page.get_by_role("link", name="Deelnemers", exact=True).click()
    table = page.get_by_role("table", name="Uw deelnemers")
    expect(table.get_by_role("link", name="Samira Bouali")).to_be_visible()
    expect(table).to_contain_text("Crabbehof")
    assert page.csp_errors == []


def test_main_pages_meet_wcag_21_aa(axe_page: Any, server_url: str, log_in: Any) -> None:
    page = axe_page
    found: dict[str, list[dict[str, Any]]] = {}
    page.goto(f"{server_url}/login")
    found["login"] = axe_violations(page)

    log_in(page, server_url)
    page.goto(f"{server_url}/deelnemers/nieuw")
    fill_intake(page, postcode="33A")
    page.get_by_label("E-mailadres").fill("geen-mailadres")
    page.get_by_role("button", name="Intake opslaan").click()
    expect(page.get_by_role("alert")).to_be_visible()
    found["form with errors"] = axe_violations(page)

    page.get_by_label("Postcode").fill("3318 AB")
    page.get_by_label("E-mailadres").fill("samira@example.nl")
    page.get_by_role("button", name="Intake opslaan").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Samira Bouali")
    found["resident"] = axe_violations(page)

    page.goto(f"{server_url}/deelnemers")
    found["caseload"] = axe_violations(page)

    problems = {name: describe(v) for name, v in found.items() if v}
    assert not problems, "\n".join(f"[{name}]\n{text}" for name, text in problems.items())
