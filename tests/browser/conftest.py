"""Browser fixtures: the apps served on 127.0.0.1 from a thread (on SQLite, the default backend:
these tests drive the pages, not the database), headless Chromium, axe."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

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
AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _serve(app: Any, prefix: str) -> Iterator[str]:
    """Serve a service app by werkzeug in a thread (no fork), on 127.0.0.1 and a free port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}{prefix}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def server_url(app: Any) -> Iterator[str]:
    """The intake app served by werkzeug in a thread (no fork), on 127.0.0.1 and a free port."""
    yield from _serve(app, "/intake")


@pytest.fixture
def matching_url(matching_app: Any) -> Iterator[str]:
    """The matching app, served the same way (its own databases on SQLite)."""
    yield from _serve(matching_app, "/matching")


@pytest.fixture
def suite_url(app: Any, matching_app: Any) -> Iterator[str]:
    """Intake and matching on one origin, as `instap run` and the nginx deployment serve them:
    one login for both, links between them, and pages that ask each other (shared/peers.py)."""

    def suite(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == "/matching" or path.startswith("/matching/"):
            return matching_app(environ, start_response)
        return app(environ, start_response)  # /intake, and intake's Dutch 404 for the rest

    yield from _serve(suite, "")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (scripts/system-deps.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page whose CSP stays on, so inline scripts or styles would really be blocked."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    page = context.new_page()
    page.csp_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda msg: "Content Security Policy" in msg.text and page.csp_errors.append(msg.text))  # type: ignore[attr-defined]
    yield page
    context.close()


@pytest.fixture
def axe_page(browser: Any) -> Iterator[Any]:
    """A page that may inject the vendored axe-core (bypass_csp lets the injected script run)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL", bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core for WCAG 2.1 A/AA on the current page; return the violations."""
    page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}))",
        WCAG_21_AA,
    )


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in violations
    )


@pytest.fixture
def log_in(make_user: Any) -> Callable[..., Any]:
    """Log a new user in through the real login form; returns the user."""

    def do(page: Any, base: str, role: str = "jobcoach", name: str = "Fatima el Amrani") -> Any:
        user = make_user(role, name=name)
        page.goto(f"{base}/login")
        page.get_by_label("E-mailadres").fill(user.email)
        page.get_by_label("Wachtwoord").fill(user.password)
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_url(f"{base}/deelnemers")
        return user

    return do
