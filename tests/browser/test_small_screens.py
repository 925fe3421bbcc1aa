"""Every page of every role at 390 px wide (a small phone): nothing wider than the screen, so
nothing is cut off or needs sideways scrolling, and axe-core finds no WCAG 2.1 AA problem."""

from __future__ import annotations

from typing import Any

import pytest

from services.matching.models import Proposal
from shared.db import utcnow
from tests.browser.conftest import axe_violations, describe
from tests.conftest import LoggedIn, resident_payload
from tests.matching.factories import add_candidate, task_payload

pytestmark = pytest.mark.browser

WIDTH = 390
EXPLANATION = "heeft VCA, woont in dezelfde wijk, wil graag werken als hulpmonteur zonnepanelen"


def _world(app: Any, matching_app: Any, make_user: Any) -> dict[str, Any]:
    """One of everything a page can show: a resident with proposals, a task with a candidate."""
    coach = make_user("jobcoach", name="Fatima el Amrani")
    contractor = make_user("aannemer", org="Installateur Dordt", name="Mark Kuipers")
    trainer = make_user("opleider", org="De Beroepentuin", name="Ineke de Vries")
    pid = (
        LoggedIn(app.test_client(), coach)
        .post("/intake/api/v1/residents", json=resident_payload())
        .json["programme_id"]
    )
    task = LoggedIn(matching_app.test_client(), contractor, "/matching").post(
        "/matching/api/v1/tasks", json=task_payload(wijk="wielwijk", contact_name="Mark Kuipers")
    )
    slot = LoggedIn(matching_app.test_client(), trainer, "/matching").post(
        "/matching/api/v1/slots",
        json={
            "name": "Leerwerktraject zonnepanelen met een lange naam voor kleine schermen",
            "occupations": ["hulpmonteur_zonnepanelen"],
            "grants": ["vca_basis"],
            "start_date": task_payload()["start_date"],
            "weeks": 6,
            "seats": 8,
            "vca_exam_included": True,
        },
    )
    assert task.status_code == 201 and slot.status_code == 201, (task.json, slot.json)
    db = matching_app.extensions["instap"].db
    add_candidate(db, pid, coach_id=coach.id, language_written="A1")
    add_candidate(db, "DW-OTHER01", coach_id=coach.id)
    with db.unit_of_work() as s:
        for programme_id, key, status in (
            (pid, f"task:{task.json['id']}", "voorgesteld"),
            (pid, f"slot:{slot.json['id']}", "ingetrokken"),
            ("DW-OTHER01", f"task:{task.json['id']}", "coach_akkoord"),
        ):
            kind, number = key.split(":")
            s.add(
                Proposal(
                    programme_id=programme_id,
                    opening_key=key,
                    task_id=int(number) if kind == "task" else None,
                    slot_id=int(number) if kind == "slot" else None,
                    coach_id=coach.id,
                    score=0.9,
                    explanation={"interesse": 0.5},
                    explanation_nl=EXPLANATION,
                    status=status,
                    created_at=utcnow(),
                    updated_at=utcnow(),
                )
            )
    return {
        "jobcoach": (
            coach,
            [
                f"/intake/deelnemers/{pid}",
                f"/intake/deelnemers/{pid}/bewerken",
                f"/intake/deelnemers/{pid}/inzage",
                "POST /intake/deelnemers/nieuw",
            ],
        ),
        "aannemer": (
            contractor,
            [
                f"/matching/taken/{task.json['id']}",
                f"/matching/taken/{task.json['id']}/bewerken",
                "POST /matching/taken/nieuw",
            ],
        ),
        "opleider": (trainer, [f"/matching/plekken/{slot.json['id']}", "POST /matching/plekken/nieuw"]),
        "programmabureau": (
            make_user("programmabureau", org="Programmabureau"),
            ["/intake/deelnemers", "/rapportage/"],
        ),
        "beheerder": (make_user("beheerder", org="Gemeente Dordrecht"), [f"/intake/deelnemers/{pid}"]),
    }


def _too_wide(page: Any) -> list[str]:
    """The page's width beyond the screen, and the elements that stick out (for the message)."""
    return page.evaluate(
        """(width) => {
            if (document.documentElement.scrollWidth <= width) return [];
            const out = [`page is ${document.documentElement.scrollWidth}px wide`];
            for (const el of document.querySelectorAll('body *')) {
                const r = el.getBoundingClientRect();
                if (r.right > width + 1 && getComputedStyle(el).position !== 'absolute')
                    out.push(`${el.tagName}#${el.id}.${el.className} right=${Math.round(r.right)}`);
                if (out.length > 6) break;
            }
            return out;
        }""",
        WIDTH,
    )


def test_every_page_of_every_role_fits_390px_and_meets_wcag(
    browser: Any, suite_url: str, app: Any, matching_app: Any, make_user: Any
) -> None:
    roles = _world(app, matching_app, make_user)
    too_wide: dict[str, list[str]] = {}
    violations: dict[str, str] = {}
    for role, (user, extra_pages) in roles.items():
        context = browser.new_context(
            viewport={"width": WIDTH, "height": 844}, locale="nl-NL", bypass_csp=True
        )
        page = context.new_page()
        try:
            page.goto(f"{suite_url}/intake/login")
            page.get_by_label("E-mailadres").fill(user.email)
            page.get_by_label("Wachtwoord").fill(user.password)
            page.get_by_role("button", name="Inloggen").click()
            page.wait_for_load_state()
            start = page.url.removeprefix(suite_url)
            menu = page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link")
            paths = [start] + [menu.nth(i).get_attribute("href") for i in range(menu.count())] + extra_pages
            for path in dict.fromkeys(paths):
                if path.startswith("POST "):  # the form sent empty: every error message shown
                    page.goto(f"{suite_url}{path[5:]}")
                    page.locator("main form button[type=submit]").last.click()
                    page.wait_for_load_state()
                    assert page.locator(".error-summary").count() == 1, path
                else:
                    page.goto(f"{suite_url}{path}")
                name = f"{role} {path}"
                if path in paths[: menu.count() + 1]:  # the start page and the menu: never refused
                    assert page.locator("h1", has_text="Geen toegang").count() == 0, name
                problems = _too_wide(page)
                if problems:
                    too_wide[name] = problems
                found = axe_violations(page)
                if found:
                    violations[name] = describe(found)
        finally:
            context.close()
    assert not too_wide, "\n".join(f"[{name}] " + "; ".join(p) for name, p in too_wide.items())
    assert not violations, "\n".join(f"[{name}]\n{text}" for name, text in violations.items())
