"""Regenerate docs/screenshots/*.png of the intake and matching pages (demo data, headless Chromium).

Usage: .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import threading
from datetime import date, timedelta
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.intake.app import create_app  # noqa: E402
from services.matching.app import create_app as create_matching_app  # noqa: E402
from shared import demo  # noqa: E402
from shared.cli import migrate_all  # noqa: E402
from shared.components import COMPONENTS  # noqa: E402
from shared.config import load_settings  # noqa: E402
from shared.peers import link_apps  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WIDTH = 1280


def demo_settings(data_dir: Path):  # type: ignore[no-untyped-def]
    """Settings for a throw-away demo: every database a SQLite file in data_dir, no Redis."""
    urls = {f"{c}_database_url": f"sqlite:///{data_dir / f'{c}.db'}" for c in COMPONENTS}
    return load_settings(
        env="development",
        data_dir=data_dir,
        redis_url="",
        secret_key="screenshots-only-not-a-secret",  # noqa: S106 - throw-away demo
        log_level="WARNING",
        **urls,
    )


def demo_login(data_dir: Path, role: str = "jobcoach", local: str = "coach") -> tuple[str, str]:
    """A demo user's e-mail and generated password (shared.demo writes them to a file)."""
    text = (data_dir / "demo-logins.txt").read_text()
    match = re.search(rf"{role}\s+({local}@\S+)\s+wachtwoord: (\S+)", text)
    if not match:
        raise SystemExit(f"demo-logins.txt has no {role} login")
    return match.group(1), match.group(2)


def coach_login(data_dir: Path) -> tuple[str, str]:
    return demo_login(data_dir)


def seed_matching(settings) -> None:  # type: ignore[no-untyped-def]
    """Entry tasks for the demo contractor, candidate profiles and proposals, two runs: what
    intake's events and the matching worker would have made (no personal data, only pseudonyms)."""
    from services.matching.models import Candidate, MatchRun, Proposal, Task, TrainingSlot
    from shared.auth.models import User
    from shared.db import Database, utcnow

    accounts = Database(settings.database_url("accounts"), "accounts")
    with accounts.unit_of_work() as s:
        org = {u.role: u.organisation_id for u in s.query(User).all()}
        coach_id = s.query(User).filter(User.email.like("coach@%")).one().id
    accounts.dispose()
    db = Database(settings.database_url("matching"), "matching")
    start = date.today() + timedelta(days=40)
    why = [
        "heeft VCA, woont in de wijk ernaast, wil graag werken als hulpmonteur zonnepanelen, "
        "kan al: werken met gereedschap",
        "heeft VCA, woont in dezelfde wijk, spreekt Nederlands op niveau B1 (nodig: A2)",
        "heeft VCA, wil graag werken als hulpmonteur zonnepanelen, heeft geen rijbewijs → "
        "niet nodig voor deze taak",
    ]
    with db.unit_of_work() as s:
        tasks = [
            Task(
                organisation_id=org["aannemer"],
                title=title,
                occupation=occ,
                corporation="Trivire",
                project="Crabbehof – Leefbaar, Veilig en Duurzaam",
                wijk=wijk,
                start_date=start + timedelta(days=i * 14),
                hours_per_week=24,
                places=places,
                filled=0,
                contract_type="bbl",
                req_certificates=["vca_basis"],
                req_language_spoken="A2",
                skills=["gereedschap"],
                werkprocessen=["B1-K1-W1", "B1-K1-W2"],
                sroi_tag="SROI-2026-17",
                status="open",
                created_at=utcnow(),
                updated_at=utcnow(),
            )
            for i, (title, occ, wijk, places) in enumerate(
                [
                    ("Hulpmonteur zonnepanelen Crabbehof", "hulpmonteur_zonnepanelen", "crabbehof", 3),
                    ("Isolatiemonteur Wielwijk", "isolatiemonteur", "wielwijk", 2),
                    ("Grondwerker warmtenet Nieuw-Krispijn", "grondwerker_warmtenet", "nieuw_krispijn", 4),
                ]
            )
        ]
        s.add_all(tasks)
        s.add(
            TrainingSlot(
                organisation_id=org["opleider"],
                name="Leerwerktraject zonnepanelen",
                occupations=["hulpmonteur_zonnepanelen"],
                grants=["vca_basis"],
                crebo="25650",
                werkprocessen=["B1-K1-W1"],
                start_date=start,
                weeks=6,
                seats=8,
                filled=0,
                site="De Beroepentuin",
                min_language_spoken="A2",
                vca_exam_included=True,
                status="open",
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
        s.flush()
        for i, (pid, wijk, status) in enumerate(
            [
                ("DW-K7Q2M9", "wielwijk", "coach_akkoord"),
                ("DW-P3X8RA", "crabbehof", "coach_akkoord"),
                ("DW-H4N6TC", "oud_krispijn", "voorgesteld"),
            ]
        ):
            s.add(
                Candidate(
                    programme_id=pid,
                    wijk=wijk,
                    age_band=("25-45", "15-25", "45-65")[i],
                    stage="gecertificeerd",
                    language_spoken="B1",
                    language_written="A2",
                    certificates=[{"code": "vca_basis", "valid_until": "2034-03-01"}],
                    driving_licence=i == 1,
                    hours_per_week=24 + 4 * i,
                    available_from=date.today(),
                    interests=["hulpmonteur_zonnepanelen"],
                    skills=["gereedschap", "meten"],
                    share_with_employer=True,
                    share_with_trainer=True,
                    coach_id=coach_id,
                    profile_updated_at=utcnow(),
                )
            )
            task = tasks[0] if status == "coach_akkoord" else tasks[1]
            s.add(
                Proposal(
                    programme_id=pid,
                    opening_key=f"task:{task.id}",
                    task_id=task.id,
                    coach_id=coach_id,
                    score=0.9 - i / 10,
                    explanation={},
                    explanation_nl=why[i],
                    status=status,
                    created_at=utcnow(),
                    updated_at=utcnow(),
                )
            )
        now = utcnow()
        s.add_all(
            [
                MatchRun(
                    kind="full",
                    status="done",
                    progress=100,
                    requested_by="nachtelijke ronde",
                    counts={
                        "candidates": 58,
                        "openings": 4,
                        "assigned": 3,
                        "created": 3,
                        "kept": 0,
                        "withdrawn": 0,
                    },
                    timings={"build": 0.041, "engine": 0.118, "store": 0.022},
                    created_at=now - timedelta(hours=9),
                    started_at=now - timedelta(hours=9),
                    finished_at=now - timedelta(hours=9),
                ),
                MatchRun(
                    kind="task",
                    scope=str(tasks[2].id),
                    status="queued",
                    progress=0,
                    requested_by="nieuwe taak",
                    counts={},
                    timings={},
                    created_at=now,
                ),
            ]
        )
    db.dispose()


def run_queued_match_runs(settings) -> None:  # type: ignore[no-untyped-def]
    """What the matching worker of `make run` does within seconds: the runs the demo requested
    are done (no worker runs here, so the runs page would show them all waiting)."""
    from sqlalchemy import select

    from services.matching.domain import runs
    from services.matching.models import MatchRun
    from shared.db import Database
    from shared.states import RunStatus

    db = Database(settings.database_url("matching"), "matching")
    try:
        with db.unit_of_work() as s:
            queued = list(s.scalars(select(MatchRun.id).where(MatchRun.status == RunStatus.QUEUED)))
        for run_id in queued:
            runs.execute(db, run_id)
    finally:
        db.dispose()


def take_matching(base: str, data_dir: Path, out: Path) -> None:
    """The matching pages: a contractor's tasks, form errors, a task with candidates; the coach's
    proposals; the runs page."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for role, local, landing in (("aannemer", "aannemer", "taken"), ("jobcoach", "coach", "voorstellen")):
            page = browser.new_context(viewport={"width": WIDTH, "height": 800}, locale="nl-NL").new_page()
            email, password = demo_login(data_dir, role, local)
            page.goto(f"{base}/login")
            page.get_by_label("E-mailadres").fill(email)
            page.get_by_label("Wachtwoord").fill(password)
            page.get_by_role("button", name="Inloggen").click()
            # Each role lands on its own start page (issue 8): a coach's is intake's caseload,
            # which this matching-only server does not serve, so go to the page wanted.
            page.wait_for_url(lambda url: "/login" not in url)
            if page.url != f"{base}/{landing}":
                page.goto(f"{base}/{landing}")
            if role == "aannemer":
                page.screenshot(path=str(out / "matching-tasks.png"), full_page=True)
                page.goto(f"{base}/taken/nieuw")
                page.get_by_label("Titel (verplicht)").fill("Laadpaalmonteur Oud-Krispijn")
                page.get_by_label("Beroep (verplicht)").select_option("laadpaalmonteur")
                page.get_by_label("Wijk (verplicht)").select_option("oud_krispijn")
                page.get_by_label("Uren per week (verplicht)").fill("60")
                page.get_by_label("Werkprocessen").fill("B1-K1-W1, werkproces 2")
                page.get_by_role("button", name="Instaptaak opslaan").click()
                page.get_by_role("alert").wait_for()
                page.screenshot(path=str(out / "matching-task-form-errors.png"), full_page=True)
                page.goto(f"{base}/taken")
                page.get_by_role("link", name="Hulpmonteur zonnepanelen Crabbehof").click()
                page.get_by_role("heading", name="Kandidaten", exact=True).wait_for()
                page.screenshot(path=str(out / "matching-task.png"), full_page=True)
            else:
                page.screenshot(path=str(out / "matching-proposals.png"))  # the first screen of a long list
                page.goto(f"{base}/rondes")
                # The first screen: the list goes back through every run the demo made.
                page.screenshot(path=str(out / "matching-runs.png"))
            page.context.close()
        browser.close()


def take(base: str, email: str, password: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": WIDTH, "height": 800}, locale="nl-NL").new_page()

        page.goto(f"{base}/login")
        page.screenshot(path=str(out / "login.png"), full_page=True)
        page.get_by_label("E-mailadres").fill(email)
        page.get_by_label("Wachtwoord").fill(password)
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_url(f"{base}/deelnemers")
        page.screenshot(path=str(out / "caseload.png"), full_page=True)

        page.get_by_role("link", name="Nieuwe intake").first.click()
        page.get_by_label("Voornaam (verplicht)").fill("Samira")
        page.get_by_label("Achternaam (verplicht)").fill("Bouali")
        page.get_by_label("Telefoonnummer").fill("06 23456789")
        page.get_by_label("E-mailadres").fill("samira@voorbeeld")
        page.get_by_role(
            "group", name="Hoe wil de deelnemer benaderd worden door een werkgever of opleider?"
        ).get_by_label("E-mail", exact=True).check()
        page.get_by_label("Postcode").fill("33A")
        page.get_by_label("Wijk (verplicht)").select_option("crabbehof")
        page.get_by_label("Geboortejaar").fill("1988")
        page.get_by_role("checkbox", name="B-VCA (VCA Basis)").check()
        page.get_by_role("button", name="Intake opslaan").click()
        page.get_by_role("alert").wait_for()
        page.screenshot(path=str(out / "intake-form-errors.png"), full_page=True)

        page.goto(f"{base}/deelnemers?fase=opleiding")
        page.get_by_role("table").get_by_role("link").first.click()
        page.get_by_role("heading", name="Fase in het traject").wait_for()
        page.screenshot(path=str(out / "resident.png"), full_page=True)
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--residents", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="instap-screens-") as tmp:
        data_dir = Path(tmp)
        settings = demo_settings(data_dir)
        migrate_all(settings)
        print(demo.seed(settings, residents=args.residents))
        seed_matching(settings)
        run_queued_match_runs(settings)
        app = create_app(settings)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        matching = create_matching_app(settings)
        # Each page reaches the other service as in the suite (the resident page's timeline and
        # proposals come from matching; names on the coach's proposals from intake).
        link_apps(app, matching)
        matching_server = make_server("127.0.0.1", 0, matching, threaded=True)
        matching_thread = threading.Thread(target=matching_server.serve_forever, daemon=True)
        matching_thread.start()
        try:
            take(f"http://127.0.0.1:{server.server_port}/intake", *coach_login(data_dir), args.out)
            take_matching(f"http://127.0.0.1:{matching_server.server_port}/matching", data_dir, args.out)
        finally:
            server.shutdown()
            matching_server.shutdown()
            app.extensions["instap"].close()
            matching.extensions["instap"].close()
    print(f"screenshots written to {args.out}")


if __name__ == "__main__":
    main()
