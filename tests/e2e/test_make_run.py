"""`make run` exactly as the README says: a fresh copy of the repository, no options, a fresh `var/`.

The README's first command is the first thing every user, reviewer and operator runs, so this test
runs it as they do: `make run` in a copy of the checkout (what a clone would hold: the tracked and
the new, not ignored files; no `.venv`, no `var/`), with its default port 8000 and its default demo
size. It installs, migrates, seeds, starts, and must show the banner and a logged-in page. Then a
second `make run` on the existing `var/`, and one while port 8000 is taken.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import urllib.parse
from pathlib import Path

import pytest

from shared.devserver import port_in_use
from tests.e2e.suite import (
    ROOT,
    Browser,
    Suite,
    clean_env,
    csrf,
    demo_login,
    kill_everything,
    start,
    stop,
    wait_until_ready,
)

pytestmark = pytest.mark.slow

PORT = 8000  # the README's address: http://127.0.0.1:8000/
# Installing (uv, from its cache) and seeding the default 300 residents come before the banner.
FIRST_START_TIMEOUT = 420.0
# make reports an interrupted recipe by dying of the same signal (or exit status 2).
MAKE_INTERRUPTED = (0, 2, -signal.SIGINT, 128 + signal.SIGINT)


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
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if port_in_use("127.0.0.1", PORT):
        pytest.skip(f"another program listens on 127.0.0.1:{PORT}; `make run` needs that port")
    return _fresh_copy(tmp_path_factory.mktemp("clone"))


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


def test_make_run_with_its_defaults_twice_and_with_the_port_taken(clone: Path) -> None:
    suite = _make_run(clone)
    try:
        wait_until_ready(suite, FIRST_START_TIMEOUT)
        out = suite.output(last=10_000)
        assert f"http://127.0.0.1:{PORT}/" in out
        assert "coach@demo.instap.nl" in out and "wachtwoord: demo-" in out, out
        assert "intake: 300 demo residents" in out, out
        page = _logs_in(suite)
        assert "DW-" in page or "deelnemer" in page.lower()
        stop(suite, signal.SIGINT, group=True, returncodes=MAKE_INTERRUPTED)
    finally:
        kill_everything(suite)

    # A second start on the existing var/: no new demo data, the same logins, the same banner.
    again = _make_run(clone)
    try:
        wait_until_ready(again)
        assert "already present" in again.output(last=10_000)
        _logs_in(again)
        stop(again, signal.SIGINT, group=True, returncodes=MAKE_INTERRUPTED)
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
