"""From a confirmed start to a recorded follow-up, in a real browser: the contractor confirms the
first working day, intake's worker plans the follow-ups, the coach records one and sees the whole
journey on the resident's timeline; axe-core checks WCAG 2.1 AA on each new page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from shared import clock
from tests.browser.conftest import axe_violations, describe
from tests.browser.test_matching_browser import add_proposal, log_in
from tests.conftest import LoggedIn, resident_payload
from tests.matching.factories import backdate_task, card_pseudonym, task_payload
from tests.support.workers import run_worker_burst

pytestmark = pytest.mark.browser

TASK_START = clock.today() - timedelta(days=60)
FIRST_DAY = clock.today() - timedelta(days=40)


def _resident(app: Any, coach: Any) -> str:
    client = LoggedIn(app.test_client(), coach)
    pid = client.post(
        "/intake/api/v1/residents", json=resident_payload(first_name="Samira", last_name="Bouali")
    ).json["programme_id"]
    for purpose in ("registratie", "delen_werkgever", "follow_up"):
        client.post(
            f"/intake/api/v1/residents/{pid}/consents",
            json={"purpose": purpose, "method": "schriftelijk", "info_version": "2026-01"},
        )
    client.post(f"/intake/api/v1/residents/{pid}/stages", json={"to_stage": "intake"})
    return pid


def test_contractor_confirms_start_coach_records_follow_up_and_sees_timeline(
    axe_page: Any,
    browser: Any,
    server_url: str,
    matching_url: str,
    app: Any,
    matching_app: Any,
    settings: Any,
    make_user: Any,
) -> None:
    coach = make_user("jobcoach", name="Fatima el Amrani")
    contractor = make_user("aannemer", org="Demo Installatiebedrijf", name="Mark Kuipers")
    pid = _resident(app, coach)
    task_id = (
        LoggedIn(matching_app.test_client(), contractor, "/matching")
        .post(
            "/matching/api/v1/tasks",
            json=task_payload(
                title="Hulpmonteur zonnepanelen Wielwijk", start_date=clock.today().isoformat()
            ),
        )
        .json["id"]
    )
    backdate_task(matching_app.extensions["instap"].db, task_id, TASK_START)
    add_proposal(matching_app, task_id, pid, coach_id=coach.id)
    found: dict[str, list[dict[str, Any]]] = {}

    # The contractor accepts, opens the placement and confirms the first working day.
    page = axe_page
    log_in(page, matching_url, contractor, "taken")
    page.goto(f"{matching_url}/taken/{task_id}")
    shown = card_pseudonym(matching_app, pid, task_id)  # the contractor never sees the programme id
    page.get_by_role("article", name=f"Kandidaat {shown}").get_by_role("button", name="Accepteren").click()
    page.get_by_role("link", name=f"Afspraken en start (kandidaat {shown})").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(shown)
    expect(page.locator("body")).not_to_contain_text(pid)
    found["placement page"] = axe_violations(page)
    page.get_by_label("Eerste werkdag").fill((clock.today() + timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Start bevestigen").click()
    expect(page.get_by_role("alert")).to_contain_text("Eerste werkdag")
    expect(page.get_by_label("Eerste werkdag")).to_have_attribute("aria-invalid", "true")
    found["placement page with an error"] = axe_violations(page)
    page.get_by_label("Eerste werkdag").fill(FIRST_DAY.isoformat())
    page.get_by_role("button", name="Start bevestigen").click()
    expect(page.get_by_role("status")).to_contain_text("De start is bevestigd.")
    expect(page.get_by_text("Aan het werk")).to_be_visible()
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Plaatsingen").click()
    expect(page.get_by_role("heading", name="Aan het werk (1)")).to_be_visible()
    found["placements list"] = axe_violations(page)
    page.context.clear_cookies()

    run_worker_burst(settings, service="intake")  # intake applies placement.changed

    # The coach sees the follow-up that is due, records it and sees the timeline.
    log_in(page, server_url, coach, "deelnemers")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Opvolging").click()
    table = page.get_by_role("table", name="Gesprekken die aan de beurt zijn")
    expect(table).to_contain_text("Samira Bouali")
    expect(table).to_contain_text("1 maand na de start")
    found["follow-ups due"] = axe_violations(page)
    table.get_by_role("link", name="Vastleggen").click()
    page.get_by_role("button", name="Opvolging opslaan").click()
    expect(page.get_by_role("alert")).to_contain_text("Werkt de deelnemer nog?")
    found["follow-up form with an error"] = axe_violations(page)
    page.get_by_label("Ja, werkt nog").check()
    page.get_by_label("Trede op de Participatieladder").select_option("6")
    page.get_by_role("button", name="Opvolging opslaan").click()
    expect(page.get_by_role("status")).to_contain_text("De opvolging is vastgelegd.")

    timeline = page.locator("section.timeline")
    expect(timeline.get_by_role("heading", name="Tijdlijn")).to_be_visible()
    expect(timeline.locator("h3")).to_have_text(
        ["Intake", "Voorstellen", "Opleiding", "Certificaten", "Werk", "Opvolging na de start"]
    )
    work = timeline.locator("li.phase-plaatsing")
    expect(work).to_contain_text("Hulpmonteur zonnepanelen Wielwijk")
    expect(work).to_contain_text("Aan het werk")
    follow = timeline.locator("li.phase-opvolging")
    expect(follow).to_contain_text("Vastgelegd")
    expect(follow).to_contain_text("Werkt nog")
    expect(timeline.locator("li.phase-intake")).to_contain_text("Intake gedaan")
    expect(page.get_by_text("Geplaatst").first).to_be_visible()
    found["resident page with timeline"] = axe_violations(page)

    page.set_viewport_size({"width": 390, "height": 844})
    expect(timeline.locator("li.phase-plaatsing")).to_be_visible()
    # At 390 px the timeline fits the screen: nothing in it sticks out to the right.
    wide = page.evaluate(
        "Array.from(document.querySelectorAll('section.timeline *'))"
        ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
        ".map(e => e.tagName + ': ' + e.textContent.slice(0, 30))"
    )
    assert wide == [], wide

    problems = {name: describe(v) for name, v in found.items() if v}
    assert not problems, "\n\n".join(f"{name}:\n{text}" for name, text in problems.items())
