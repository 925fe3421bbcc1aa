"""The programme bureau filters the dashboard and downloads the Excel file and the PDF pack in a
real browser; axe-core checks the rapportage pages against WCAG 2.1 AA, also at 390 px wide."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import _serve, axe_violations, describe
from tests.rapportage import dataset
from tests.rapportage.conftest import feed_events

pytestmark = pytest.mark.browser


@pytest.fixture
def rapportage_url(world: Any) -> Iterator[str]:
    app = world.app("rapportage")
    feed_events(app.extensions["instap"], dataset.events())
    yield from _serve(app, "/rapportage")


def log_in(page: Any, base: str, user: Any) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mailadres").fill(user.email)
    page.get_by_label("Wachtwoord").fill(user.password)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(f"{base}/")


def test_bureau_filters_the_dashboard_and_downloads(page: Any, rapportage_url: str, make_user: Any) -> None:
    log_in(page, rapportage_url, make_user("programmabureau", org="Programmabureau Dordt West"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Overzicht")
    page.get_by_label("Van", exact=True).fill("2026-01-01")
    page.get_by_label("Tot en met", exact=True).fill("2026-12-31")
    page.get_by_label("Uitsplitsing", exact=True).select_option("wijk")
    page.get_by_role("button", name="Toon").click()
    page.wait_for_url("**by=wijk**")
    funnel = page.get_by_role("table", name="Trechter in unieke personen, 2026")
    expect(funnel).to_be_visible()
    total_row = funnel.get_by_role("row", name="Totaal")
    expect(total_row.get_by_role("cell").first).to_have_text("19")  # aangemeld, all wijken
    expect(page.get_by_role("img", name="Trechter in unieke personen: fase")).to_be_visible()

    page.get_by_role("link", name="Meer over trechter in unieke personen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Trechter in unieke personen")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Excel-bestand, met uitleg").click()
    xlsx = download_info.value
    assert xlsx.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(Path(xlsx.path()).read_bytes()))
    assert workbook.sheetnames[0] == "Uitleg"
    with page.expect_download() as download_info:
        page.get_by_role("link", name="PDF").click()
    pdf = download_info.value
    assert pdf.suggested_filename.endswith(".pdf")
    assert Path(pdf.path()).read_bytes()[:4] == b"%PDF"
    assert page.csp_errors == []


def test_rapportage_pages_meet_wcag_21_aa(axe_page: Any, rapportage_url: str, make_user: Any) -> None:
    page = axe_page
    log_in(page, rapportage_url, make_user("programmabureau", org="Programmabureau Dordt West"))
    found: dict[str, Any] = {}
    page.goto(f"{rapportage_url}/?from=2026-01-01&to=2026-12-31&by=gender")
    found["dashboard"] = axe_violations(page)
    for name in ("funnel", "fairness", "time_to_placement", "outreach"):
        page.goto(f"{rapportage_url}/rapporten/{name}?from=2026-01-01&to=2026-12-31")
        found[name] = axe_violations(page)
    page.goto(f"{rapportage_url}/voorlichting")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("alert")).to_be_visible()
    found["outreach form with errors"] = axe_violations(page)
    page.goto(f"{rapportage_url}/pakketten")
    found["packs"] = axe_violations(page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{rapportage_url}/?from=2026-01-01&to=2026-12-31&by=wijk")
    found["dashboard at 390 px"] = axe_violations(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways at 390 px ({width} px)"
    assert not any(found.values()), "\n".join(f"{k}:\n{describe(v)}" for k, v in found.items() if v)
