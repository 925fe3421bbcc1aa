"""Drive a running Instap suite from the outside: start it, read its output, talk HTTP, stop it.

Used by the end-to-end test of `make run` in a fresh copy of the repository (tests/e2e/test_make_run.py).
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import signal
import sqlite3
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
BANNER = "Instap draait"
START_TIMEOUT = 90.0
STOP_TIMEOUT = 20.0
# Settings a developer's shell or CI might export; the suite under test must not see them.
LEAKY_ENV = (
    "REDIS_URL",
    "INSTAP_SECRET_KEY",
    "ACCOUNTS_DATABASE_URL",
    "INTAKE_DATABASE_URL",
    "MATCHING_DATABASE_URL",
    "RAPPORTAGE_DATABASE_URL",
    "RATELIMIT_STORAGE_URL",
    "OIDC_ISSUER",
    "INSTAP_COOKIE_SECURE",
    "INSTAP_DATA_DIR",
    "INSTAP_ENV",
    "VIRTUAL_ENV",
    "PYTEST_ADDOPTS",
    "MAKEFLAGS",
    "MAKELEVEL",
    "MFLAGS",
)


@dataclass
class Suite:
    """A running `instap run` and everything it printed so far."""

    proc: subprocess.Popen[str]
    port: int
    data_dir: Path
    lines: list[str] = field(default_factory=list)
    banner: threading.Event = field(default_factory=threading.Event)
    descendants: dict[int, psutil.Process] = field(default_factory=dict)
    reader: threading.Thread | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self, last: int = 80) -> str:
        return "\n".join(self.lines[-last:])

    def remember_descendants(self) -> None:
        """Note every process `instap run` started (children come and go; keep the union)."""
        with contextlib.suppress(psutil.Error):
            for child in psutil.Process(self.proc.pid).children(recursive=True):
                self.descendants.setdefault(child.pid, child)

    @staticmethod
    def describe(p: psutil.Process) -> str:
        try:
            return " ".join(p.cmdline()).strip() or p.name()
        except psutil.Error:
            return f"pid {p.pid} (gone)"

    def alive_descendants(self) -> list[psutil.Process]:
        alive = []
        for p in self.descendants.values():
            with contextlib.suppress(psutil.NoSuchProcess):
                # is_running() also checks the create time, so a reused pid does not count.
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(p)
        return alive


def read_output(suite: Suite) -> None:
    assert suite.proc.stdout is not None
    for line in suite.proc.stdout:
        suite.lines.append(line.rstrip("\n"))
        if BANNER in line:
            suite.banner.set()


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a developer's shell, without settings that would change the suite."""
    env = {k: v for k, v in os.environ.items() if k not in LEAKY_ENV}
    env.update({"PYTHONUNBUFFERED": "1", **extra})
    return env


def _default_sigint() -> None:
    """Let Ctrl-C work even when pytest runs in the background (where SIGINT is ignored and
    that would be inherited): the test sends SIGINT like a terminal does."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(command: list[str], *, cwd: Path, env: dict[str, str], port: int, data_dir: Path) -> Suite:
    """Start `command` in its own session (like a terminal would) and read what it prints."""
    proc = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
        preexec_fn=_default_sigint,
    )
    suite = Suite(proc, port, data_dir)
    suite.reader = threading.Thread(target=read_output, args=(suite,), daemon=True)
    suite.reader.start()
    return suite


def kill_everything(suite: Suite) -> None:
    """Last resort (test failed half-way): no process of the suite may outlive the test."""
    suite.remember_descendants()
    if suite.proc.poll() is None:  # only while it runs: afterwards its pgid may be someone else's
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(suite.proc.pid, signal.SIGKILL)
    for p in suite.alive_descendants():
        with contextlib.suppress(psutil.Error):
            p.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        suite.proc.wait(timeout=10)


def wait_for(what: str, suite: Suite, check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        suite.remember_descendants()
        if check():
            return
        if suite.proc.poll() is not None:
            pytest.fail(
                f"`instap run` exited ({suite.proc.returncode}) while waiting for {what}:\n" + suite.output()
            )
        time.sleep(0.3)
    pytest.fail(f"timed out after {timeout:g}s waiting for {what}; output so far:\n" + suite.output())


DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via http_proxy


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # hand the 3xx back to the caller


@dataclass
class Reply:
    status: int
    headers: Any
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


class Browser:
    """A real HTTP client with a cookie jar that does not follow redirects."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )

    def request(
        self, path: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> Reply:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(  # noqa: S310 (http://127.0.0.1 only)
            self.base + path, data=body, headers=headers or {}, method="POST" if data is not None else "GET"
        )
        try:
            with self.opener.open(req, timeout=15) as resp:
                return Reply(resp.status, resp.headers, resp.read().decode())
        except urllib.error.HTTPError as exc:
            with exc:
                return Reply(exc.code, exc.headers, exc.read().decode(errors="replace"))

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request(path, **kwargs)

    def post(self, path: str, data: dict[str, str], **kwargs: Any) -> Reply:
        return self.request(path, data=data, **kwargs)


def healthy(base: str) -> bool:
    try:
        with DIRECT.open(base + "/intake/healthz", timeout=2) as resp:
            return bool(resp.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no csrf_token field on the login page:\n" + html[:2000]
    return match.group(1)


def demo_login(data_dir: Path, local: str = "coach") -> tuple[str, str]:
    logins = (data_dir / "demo-logins.txt").read_text()
    email = f"{local}@demo.instap.nl"
    match = re.search(rf"^\s*\S+\s+{re.escape(email)}\s+wachtwoord:\s*(\S+)\s*$", logins, re.M)
    assert match, f"no password for {email} in demo-logins.txt:\n{logins}"
    return email, match.group(1)


def candidates(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=2)
        try:
            return int(conn.execute("select count(*) from candidate").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:  # not migrated yet, or locked for a moment
        return 0


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


def wait_until_ready(suite: Suite, timeout: float = START_TIMEOUT) -> None:
    wait_for(f"the banner ({BANNER!r})", suite, suite.banner.is_set, timeout)
    wait_for("GET /intake/healthz = 200", suite, lambda: healthy(suite.base), timeout)


def instap_run_process(suite: Suite) -> psutil.Process:
    """The `instap run` supervisor among the processes `make run` started (its command line is
    `.venv/bin/python .venv/bin/instap run ...`)."""
    suite.remember_descendants()
    for p in suite.alive_descendants():
        words = suite.describe(p).split()
        if any(Path(w).name == "instap" and nxt == "run" for w, nxt in zip(words, words[1:], strict=False)):
            return p
    seen = [suite.describe(p) for p in suite.descendants.values()]
    pytest.fail(f"no `instap run` among the suite's processes: {seen}")


def stop(suite: Suite, sig: signal.Signals, *, group: bool, returncodes: tuple[int, ...] = (0,)) -> None:
    """Send `sig` (to the whole process group, like a terminal's Ctrl-C, or to `instap run` only,
    like a process manager) and require that everything is gone within STOP_TIMEOUT."""
    suite.remember_descendants()
    started = {p.pid: suite.describe(p) for p in suite.alive_descendants()}
    names = " ".join(started.values())
    assert "gunicorn" in names and "worker" in names and "redis-server" in names, started
    if group:
        os.killpg(suite.proc.pid, sig)
    else:
        instap_run_process(suite).send_signal(sig)
    try:
        suite.proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`instap run` still running {STOP_TIMEOUT:g}s after {sig.name}:\n" + suite.output())
    deadline = time.monotonic() + STOP_TIMEOUT
    while suite.alive_descendants() and time.monotonic() < deadline:
        time.sleep(0.2)
    left = {p.pid: suite.describe(p) for p in suite.alive_descendants()}
    if suite.reader is not None:
        suite.reader.join(timeout=5)  # the last lines it printed
    assert not left, f"processes left behind after {sig.name}: {left}\n" + suite.output()
    assert suite.proc.returncode in returncodes, suite.output()
