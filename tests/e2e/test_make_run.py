"""`make run` exactly as the README says: a fresh copy of the repository, no options, a fresh `var/`.

The README's first command is the first thing every user, reviewer and operator runs, so this test
runs it as they do: `make run` in a copy of the checkout (what a clone would hold: the tracked and
the new, not ignored files; no `.venv`, no `var/`), with its default port 8000 and its default demo
size. It installs, migrates, seeds, starts (its own Redis: no REDIS_URL), and must show the banner and
a logged-in page. The test talks to it over HTTP like a browser (cookie jar, CSRF token from the
login form) and reads the matching and rapportage databases to see that the workers delivered
intake's events; a Ctrl-C (SIGINT to the process group, like a terminal) must stop everything.
Then a second `make run` on the existing `var/`, stopped by SIGTERM to `instap run` alone (as a
process manager or `kill PID` does: no orphans), and one while port 8000 is taken.

One test, one fresh copy, three starts: each start of the whole suite costs seconds of CPU, so
every check of the running suite is made on these starts rather than on starts of its own. The copy
(with the virtualenv `make run` installs into it) lives in /dev/shm where there is one: removing
tens of thousands of files from a disk mounted with `discard` took pytest 20 s at session end.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.rapportage.demo import DEMO_PERSONS
from shared.devserver import port_in_use
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
    persons,
    start,
    stop,
    wait_for,
    wait_until_ready,
)

pytestmark = pytest.mark.slow

PORT = 8000  # the README's address: http://127.0.0.1:8000/
# Installing (uv, from its cache) and seeding the default 300 residents come before the banner.
FIRST_START_TIMEOUT = 420.0
# make reports an interrupted recipe by dying of the same signal (or exit status 2).
MAKE_INTERRUPTED = (0, 2, -signal.SIGINT, 128 + signal.SIGINT)
DEMO_RESIDENTS = 300  # `instap run`'s default demo size


def _fresh_copy(dest: Path) -> Path:
    """What `git clone` of this checkout would give, including changes not yet committed."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        rel = Path(raw.decode())
        source = ROOT / rel
        if not source.is_file():  # deleted in the work tree
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    return dest


@pytest.fixture(scope="module")
def clone() -> Iterator[Path]:
    if port_in_use("127.0.0.1", PORT):
        pytest.skip(f"another program listens on 127.0.0.1:{PORT}; `make run` needs that port")
    shm = Path("/dev/shm")  # noqa: S108 - a private mkdtemp below it, removed afterwards
    where = tempfile.mkdtemp(prefix="instap-clone-", dir=shm if shm.is_dir() else None)
    try:
        yield _fresh_copy(Path(where))
    finally:
        shutil.rmtree(where, ignore_errors=True)


def _make_run(clone: Path) -> Suite:
    return start(["make", "run"], cwd=clone, env=clean_env(), port=PORT, data_dir=clone / "var")


def _logs_in(suite: Suite) -> str:
    """Log in as the demo coach with the generated password; return the page they land on."""
    web = Browser(suite.base)
    login = web.get("/intake/login")
    assert login.status == 200, login.body[:2000]
    email, password = demo_login(suite.data_dir)
    response = web.post(
        "/intake/login", {"email": email, "password": password, "csrf_token": csrf(login.body)}
    )
    assert response.status == 302, response.body[:2000]
    path = urllib.parse.urlsplit(response.headers["Location"]).path
    for _ in range(3):  # the start page may redirect once or twice
        page = web.get(path)
        if page.status != 302:
            break
        path = urllib.parse.urlsplit(page.headers["Location"]).path
    assert page.status == 200, (path, page.body[:2000])
    assert "Uitloggen" in page.body, page.body[:2000]
    return page.body


def _works_as_every_user_sees_it(suite: Suite) -> None:
    """What a first user does with the running suite, from the outside."""
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
    assert '<html lang="nl"' in page.body and "Inloggen" in page.body and "Wachtwoord" in page.body

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
    caseload = web.get(urllib.parse.urlsplit(home.headers["Location"]).path)
    assert caseload.status == 200, caseload.body[:2000]
    assert "Uitloggen" in caseload.body
    listed = set(re.findall(r'href="/intake/deelnemers/(DW-[A-Z0-9]+)"', caseload.body))
    assert listed, "the caseload lists no demo residents:\n" + caseload.body[:3000]

    api = web.get("/intake/api/v1/residents", headers={"Accept": "application/json"})
    assert api.status == 200, api.body[:2000]
    items, total = api.json(), json.loads(api.headers["X-Pagination"])["total"]
    assert 0 < total < DEMO_RESIDENTS  # a coach sees their own caseload only (two demo coaches)
    if total <= len(items):  # everything on one API page: same residents
        assert listed <= {item["programme_id"] for item in items}

    # The certificate signing key was made in var/keys before the web workers started.
    jwks = web.get("/matching/.well-known/jwks.json")
    assert jwks.status == 200 and [k["crv"] for k in jwks.json()["keys"]] == ["Ed25519"], jwks.body
    assert (suite.data_dir / "keys" / "signing-key.jwk").exists()
    ready = web.get("/intake/readyz")
    assert ready.status == 200, ready.body
    assert ready.json()["checks"]["redis"] == "ok"

    # The workers moved intake's events to matching (pseudonymous candidate profiles) and to
    # rapportage's fact store (keyed hashes), on top of its synthetic demo cohort; the bureau
    # starts on the dashboard, where every report shows something.
    wait_for(
        "candidate profiles in matching.db",
        suite,
        lambda: candidates(suite.data_dir / "matching.db") > 0,
        START_TIMEOUT,
    )
    wait_for(
        "persons in rapportage.db",
        suite,
        lambda: persons(suite.data_dir / "rapportage.db") > DEMO_PERSONS,
        START_TIMEOUT,
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

    errors = [line for line in suite.lines if '"level": "ERROR"' in line]
    assert not errors, "the suite logged errors:\n" + "\n".join(errors)[:5000]


def test_make_run_with_its_defaults_twice_and_with_the_port_taken(clone: Path) -> None:
    suite = _make_run(clone)
    try:
        wait_until_ready(suite, FIRST_START_TIMEOUT)
        out = suite.output(last=10_000)
        assert "Redis gestart op redis://127.0.0.1:" in out, out
        assert f"http://127.0.0.1:{PORT}/" in out
        assert "coach@demo.instap.nl" in out and "wachtwoord: demo-" in out, out
        assert f"intake: {DEMO_RESIDENTS} demo residents" in out, out
        _works_as_every_user_sees_it(suite)
        stop(suite, signal.SIGINT, group=True, returncodes=MAKE_INTERRUPTED)
        assert "Afsluiten" in suite.output()
    finally:
        kill_everything(suite)

    # A second start on the existing var/: no new demo data, the same logins, the same banner.
    again = _make_run(clone)
    try:
        wait_until_ready(again)
        assert "already present" in again.output(last=10_000)
        _logs_in(again)
        # SIGTERM to `instap run` alone (a process manager, `kill PID`): it stops everything it
        # started and exits 0, so make does too.
        stop(again, signal.SIGTERM, group=False, returncodes=(0,))
    finally:
        kill_everything(again)

    # Port 8000 taken by another program: a clear message that names the port and --port.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # ours left TIME_WAITs
        squatter.bind(("127.0.0.1", PORT))
        squatter.listen()
        taken = subprocess.run(
            ["make", "run"], cwd=clone, env=clean_env(), capture_output=True, text=True, timeout=120
        )
    said = taken.stdout + taken.stderr
    assert taken.returncode != 0, said
    assert f"Poort {PORT}" in said and "--port" in said, said
    assert "Traceback" not in said, said
