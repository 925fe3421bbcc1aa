"""`instap run` for real: starts Redis, migrates, seeds, serves, works, and stops cleanly.

The suite runs as a subprocess in its own session, exactly as a developer starts it (no REDIS_URL:
it starts its own Redis), against a fresh data directory. The test talks to it over HTTP like a
browser (cookie jar, CSRF token from the login form) and reads the matching database to see that
the workers delivered intake's events. Finally a Ctrl-C (SIGINT to the process group) must stop
`instap run` and every process it started. (`make run` itself, from a fresh copy of the repository
with its defaults, is tested in test_make_run.py.)
"""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import sys
import urllib.parse
from pathlib import Path

import pytest

from services.rapportage.demo import DEMO_PERSONS
from shared.localservers import free_port
from tests.e2e.suite import (
    ROOT,
    START_TIMEOUT,
    Browser,
    Suite,
    candidates,
    clean_env,
    csrf,
    demo_login,
    kill_everything,
    start,
    stop,
    wait_for,
    wait_until_ready,
)

pytestmark = pytest.mark.slow


def persons(db_path: Path) -> int:
    """Persons in rapportage's fact store (0 while the file or table is not there yet)."""
    if not db_path.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=2)
        try:
            return int(conn.execute("select count(*) from person").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


DEMO_RESIDENTS = 24


def _start(tmp_path: Path, *args: str) -> Suite:
    data_dir = tmp_path / "var"
    port = free_port()
    env = clean_env(INSTAP_ENV="development", INSTAP_DATA_DIR=str(data_dir))
    return start(
        [sys.executable, "-m", "shared.cli", "run", "--port", str(port), *args],
        cwd=ROOT,
        env=env,
        port=port,
        data_dir=data_dir,
    )


def test_make_run_serves_the_suite_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    suite = _start(tmp_path, "--demo-residents", str(DEMO_RESIDENTS))
    try:
        wait_until_ready(suite)
        out = suite.output(last=10_000)
        assert "Redis gestart op redis://127.0.0.1:" in out, out
        assert f"http://127.0.0.1:{suite.port}/" in out

        web = Browser(suite.base)
        root = web.get("/")
        assert root.status == 302 and root.headers["Location"].endswith("/intake/"), root

        # Not logged in: the caseload sends you to the (Dutch) login page.
        anonymous = web.get("/intake/")
        assert anonymous.status == 302, anonymous
        login_path = urllib.parse.urlsplit(anonymous.headers["Location"])
        assert login_path.path == "/intake/login", anonymous.headers["Location"]
        page = web.get(f"{login_path.path}?{login_path.query}")
        assert page.status == 200
        assert '<html lang="nl"' in page.body and "Inloggen" in page.body
        assert "Wachtwoord" in page.body

        # Log in through the form, with the demo coach's generated password.
        email, password = demo_login(suite.data_dir)
        assert password.startswith("demo-")
        logged_in = web.post(
            f"{login_path.path}?{login_path.query}",
            {"email": email, "password": password, "csrf_token": csrf(page.body)},
        )
        assert logged_in.status == 302, logged_in.body[:2000]
        assert urllib.parse.urlsplit(logged_in.headers["Location"]).path == "/intake/"
        assert any(c.name == "instap_session" for c in web.cookies)

        home = web.get("/intake/")
        assert home.status == 302, home
        caseload_path = urllib.parse.urlsplit(home.headers["Location"]).path
        caseload = web.get(caseload_path)
        assert caseload.status == 200, caseload.body[:2000]
        listed = set(re.findall(r'href="/intake/deelnemers/(DW-[A-Z0-9]+)"', caseload.body))
        assert listed, "the caseload lists no demo residents:\n" + caseload.body[:3000]

        api = web.get("/intake/api/v1/residents", headers={"Accept": "application/json"})
        assert api.status == 200, api.body[:2000]
        items, total = api.json(), json.loads(api.headers["X-Pagination"])["total"]
        assert total > 0
        assert total <= DEMO_RESIDENTS  # a coach sees their own caseload only
        if total <= len(items):  # everything on one API page: same residents
            assert listed <= {item["programme_id"] for item in items}

        # The certificate signing key was made in var/keys before the web workers started.
        jwks = web.get("/matching/.well-known/jwks.json")
        assert jwks.status == 200 and [k["crv"] for k in jwks.json()["keys"]] == ["Ed25519"], jwks.body
        assert (suite.data_dir / "keys" / "signing-key.jwk").exists()

        ready = web.get("/intake/readyz")
        assert ready.status == 200, ready.body
        assert ready.json()["checks"]["redis"] == "ok"

        # The workers moved intake's events to matching: pseudonymous candidate profiles.
        matching_db = suite.data_dir / "matching.db"
        wait_for(
            "candidate profiles in matching.db", suite, lambda: candidates(matching_db) > 0, START_TIMEOUT
        )
        # ...and to rapportage's fact store (keyed hashes), on top of its synthetic demo cohort;
        # the bureau starts on the dashboard, where every report shows something.
        rapportage_db = suite.data_dir / "rapportage.db"
        wait_for(
            "persons in rapportage.db", suite, lambda: persons(rapportage_db) > DEMO_PERSONS, START_TIMEOUT
        )
        bureau = Browser(suite.base)
        form = bureau.get("/rapportage/login")
        signed_in = bureau.post(
            "/rapportage/login",
            {"email": "bureau@demo.instap.nl", "password": password, "csrf_token": csrf(form.body)},
        )
        assert signed_in.status == 302, signed_in.body[:2000]
        dashboard = bureau.get("/rapportage/")
        assert dashboard.status == 200, dashboard.body[:2000]
        for title in (
            "Trechter in unieke personen",
            "Plaatsingen in unieke personen",
            "Eerlijkheid van de matching",
        ):
            assert title in dashboard.body

        assert not any('"level": "ERROR"' in line for line in suite.lines), (
            "the suite logged errors:\n"
            + "\n".join(line for line in suite.lines if '"level": "ERROR"' in line)[:5000]
        )

        stop(suite, signal.SIGINT, group=True)
        assert "Afsluiten" in suite.output()
    finally:
        kill_everything(suite)


def test_sigterm_to_instap_run_alone_stops_everything(tmp_path: Path) -> None:
    """A process manager (or `kill PID`) signals only `instap run`; it must not leave orphans."""
    suite = _start(tmp_path, "--no-seed")
    try:
        wait_until_ready(suite)
        stop(suite, signal.SIGTERM, group=False)
    finally:
        kill_everything(suite)
