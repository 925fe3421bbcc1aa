"""De Beroepentuin completes a cohort in a real browser (attendance, a mistake, afronden); an
outsider then opens the verification page from the PDF's QR code. axe-core checks WCAG 2.1 AA on
each page, and the verification page also at 390 px."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlsplit

import pypdf
import pytest
import zxingcpp
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, describe
from tests.browser.test_matching_browser import log_in
from tests.conftest import LoggedIn
from tests.matching.factories import add_candidate, slot_payload, slot_pseudonym

pytestmark = pytest.mark.browser
ENROLMENTS = "/matching/api/v1/enrolments"


def _cohort(matching_app: Any, trainer_user: Any, coach_user: Any) -> int:
    """A slot with two residents in training and one still in orientation (set up by API)."""
    trainer = LoggedIn(matching_app.test_client(), trainer_user, "/matching")
    coach = LoggedIn(matching_app.test_client(), coach_user, "/matching")
    slot_id = trainer.post("/matching/api/v1/slots", json=slot_payload(name="Zonnepanelen voorjaar")).json[
        "id"
    ]
    for i, steps in enumerate((("orientatie", "opleiding"), ("orientatie", "opleiding"), ("orientatie",))):
        pid = f"DW-BROWSE0{i}"
        add_candidate(matching_app.extensions["instap"].db, pid, coach_id=coach_user.id)
        e = coach.post(ENROLMENTS, json={"programme_id": pid, "slot_id": slot_id}).json
        for status in steps:
            assert trainer.post(f"{ENROLMENTS}/{e['id']}/status", json={"status": status}).status_code == 200
    return slot_id


def test_beroepentuin_completes_a_cohort_and_an_outsider_verifies_from_the_qr(
    axe_page: Any, browser: Any, matching_url: str, matching_app: Any, make_user: Any
) -> None:
    page = axe_page
    found: dict[str, list[dict[str, Any]]] = {}
    trainer_user = make_user("opleider", org="De Beroepentuin", name="Noor Visser")
    coach_user = make_user("jobcoach", name="Fatima el Amrani")
    slot_id = _cohort(matching_app, trainer_user, coach_user)
    # Before an introduction the trainer sees its own pseudonyms, never the programme ids.
    shown = [slot_pseudonym(matching_app, f"DW-BROWSE0{i}", slot_id) for i in range(3)]
    log_in(page, matching_url, trainer_user, "plekken")
    page.get_by_role("link", name="Cohort van Zonnepanelen voorjaar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cohort Zonnepanelen voorjaar")
    expect(page.get_by_role("table", name="Deelnemers in dit cohort")).to_contain_text(shown[0])
    expect(page.locator("body")).not_to_contain_text("DW-BROWSE0")
    found["cohort"] = axe_violations(page)

    # Attendance for week 1, by keyboard-reachable radio buttons.
    page.get_by_label("Week", exact=True).select_option("1")
    for i in range(3):
        page.get_by_role("group", name=shown[i]).get_by_label("Aanwezig", exact=True).check()
    page.get_by_role("button", name="Aanwezigheid opslaan").click()
    expect(page.get_by_role("status")).to_contain_text("Aanwezigheid van week 1 opgeslagen (3 deelnemers)")

    # Afronden for the cohort: first with a mistake, then right.
    page.get_by_role("link", name="Cohort afronden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Afronden met een praktijkverklaring")
    for i in range(2):
        page.get_by_label(f"Voorletters van {shown[i]} (staan op de verklaring)").fill("J.A." if i else "M.")
    page.get_by_label("School (bevoegd gezag)").fill("ROC Da Vinci College")
    page.get_by_label("Leerbedrijf", exact=True).fill("De Beroepentuin")
    page.get_by_label("SBB-nummer van het leerbedrijf").fill("10023A")
    page.get_by_label("Kwalificatie").fill("Monteur elektrotechnische installaties")
    page.get_by_role("button", name="Afronden en verklaringen uitgeven").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Er is niets opgeslagen")
    expect(summary).to_contain_text("Een SBB-leerbedrijfnummer heeft alleen cijfers.")
    expect(page.get_by_label("SBB-nummer van het leerbedrijf")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("School (bevoegd gezag)")).to_have_value("ROC Da Vinci College")
    found["completion form with an error"] = axe_violations(page)
    page.get_by_label("SBB-nummer van het leerbedrijf").fill("100234567")
    page.get_by_role("button", name="Afronden en verklaringen uitgeven").click()
    expect(page.get_by_role("status")).to_contain_text("Afgerond: 2 praktijkverklaring(en) uitgegeven.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Certificaten")
    table = page.get_by_role("table", name="Uitgegeven certificaten")
    expect(table.get_by_role("row")).to_have_count(1 + 4)  # two praktijkverklaringen, two B-VCA
    found["certificates"] = axe_violations(page)

    # The PDF of the first praktijkverklaring, as the trainer prints it; its QR code.
    pdf_link = (
        table.get_by_role("row")
        .filter(has_text="Praktijkverklaring")
        .first.get_by_role("link", name="PDF van")
    )
    origin = urlsplit(matching_url)
    pdf = page.request.get(f"{origin.scheme}://{origin.netloc}{pdf_link.get_attribute('href')}")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(pdf.body()))
    [qr_url] = [
        r.text for p in reader.pages for image in p.images for r in zxingcpp.read_barcodes(image.image)
    ]
    code = qr_url.rsplit("/", 1)[-1]
    assert code in "\n".join(p.extract_text() for p in reader.pages)

    # An outsider, not logged in, on a phone: the QR link (on this test server's origin).
    outsider = browser.new_context(viewport={"width": 390, "height": 844}, locale="nl-NL", bypass_csp=True)
    phone = outsider.new_page()
    phone.goto(f"{origin.scheme}://{origin.netloc}{urlsplit(qr_url).path}")
    expect(phone.get_by_role("status")).to_contain_text("Dit certificaat is geldig.")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Praktijkverklaring")
    expect(phone.get_by_role("main")).to_contain_text("B1-K1-W2")
    expect(phone.get_by_role("button", name="Uitloggen")).to_have_count(0)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    found["verification page (390 px)"] = axe_violations(phone)

    # Revoked: the trainer revokes it, the outsider's page says so.
    page.get_by_role("link", name=f"{code} intrekken").click()
    page.get_by_label("Reden").select_option("fout_in_gegevens")
    page.get_by_role("button", name="Intrekken").click()
    expect(page.get_by_role("status")).to_contain_text(f"Certificaat {code} is ingetrokken.")
    phone.reload()
    expect(phone.get_by_role("status").first).to_contain_text("Dit certificaat is ingetrokken")
    found["verification page, revoked"] = axe_violations(phone)
    phone.goto(f"{origin.scheme}://{origin.netloc}/matching/verify/AAAA-AAAA-A")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Certificaat niet gevonden")
    found["verification page, unknown code"] = axe_violations(phone)
    outsider.close()

    # The coach's enrolment page (the coach puts a resident in a training themselves).
    page.get_by_role("button", name="Uitloggen").click()
    add_candidate(matching_app.extensions["instap"].db, "DW-BROWSE09", coach_id=coach_user.id)
    log_in(page, matching_url, coach_user, "/intake/deelnemers")  # the coach's start page
    page.goto(f"{matching_url}/voorstellen")  # only matching is served in this test
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role(
        "link", name="Inschrijven voor opleiding"
    ).click()
    page.get_by_role("button", name="Inschrijven").click()
    expect(page.get_by_role("alert")).to_contain_text("Vul dit veld in.")
    found["coach enrolment form with errors"] = axe_violations(page)
    page.get_by_label("Deelnemer").select_option("DW-BROWSE09")
    page.get_by_label("Opleiding").select_option(index=1)
    page.get_by_role("button", name="Inschrijven").click()
    expect(page.get_by_role("status")).to_contain_text("Ingeschreven.")
    expect(page.get_by_role("table", name="Inschrijvingen van uw deelnemers")).to_contain_text("DW-BROWSE09")
    found["coach enrolments"] = axe_violations(page)

    problems = {name: describe(v) for name, v in found.items() if v}
    assert not problems, "\n".join(f"[{name}]\n{text}" for name, text in problems.items())
