"""Regenerate docs/screenshots/*.png of the intake pages (demo data on SQLite, headless Chromium).

Usage: .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.intake.app import create_app  # noqa: E402
from shared import demo  # noqa: E402
from shared.cli import migrate_all  # noqa: E402
from shared.components import COMPONENTS  # noqa: E402
from shared.config import load_settings  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-quic"]
WIDTH = 1280


def demo_settings(data_dir: Path):  # type: ignore[no-untyped-def]
    """Settings for a throw-away demo: every database a SQLite file in data_dir, no Redis."""
    urls = {f"{c}_database_url": f"sqlite:///{data_dir / f'{c}.db'}" for c in COMPONENTS}
    return load_settings(env="development", data_dir=data_dir, redis_url="",
                         secret_key="screenshots-only-not-a-secret",  # noqa: S106 - throw-away demo
                         log_level="WARNING", **urls)


def coach_login(data_dir: Path) -> tuple[str, str]:
    """The demo coach's e-mail and generated password (shared.demo writes them to a file)."""
    text = (data_dir / "demo-logins.txt").read_text()
    match = re.search(r"jobcoach\s+(coach@\S+)\s+wachtwoord: (\S+)", text)
    if not match:
        raise SystemExit("demo-logins.txt has no coach login")
    return match.group(1), match.group(2)


def take(base: str, email: str, password: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": WIDTH, "height": 800},
                                   locale="nl-NL").new_page()

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
        app = create_app(settings)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            take(f"http://127.0.0.1:{server.server_port}/intake", *coach_login(data_dir), args.out)
        finally:
            server.shutdown()
            app.extensions["instap"].close()
    print(f"screenshots written to {args.out}")


if __name__ == "__main__":
    main()
