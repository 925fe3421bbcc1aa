"""Fixtures: real Redis, real PostgreSQL and SQLite (migrated once per worker), apps, users, logins.

Backends: a test that uses `settings` (or `app`, `make_user`, ...) runs on SQLite. Mark it
`@pytest.mark.both_backends` to run it on SQLite and PostgreSQL, or `@pytest.mark.postgresql` for
PostgreSQL only (see tests/README.md for when). Databases and apps are built once per backend
and pytest-xdist worker, and emptied before every test (tests/support/worlds.py).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from shared import clock
from shared.auth.accounts import add_user, create_token, get_or_create_organisation
from shared.auth.hashing import hashing_for
from shared.cli import migrate_all
from shared.components import COMPONENTS
from shared.config import Settings, load_settings
from shared.db import Database
from shared.testdata import resident_payload
from tests.support.logcheck import leaks, personal_values, recorder
from tests.support.servers import postgres_url_for_tests, redis_url_for_tests, xdist_worker_index
from tests.support.worlds import World

BACKENDS = ("sqlite", "postgresql")
TEST_PASSWORD = "proef-wachtwoord-123"  # test-only


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """SQLite by default; `both_backends` adds PostgreSQL, `postgresql` runs on it alone."""
    if "backend" not in metafunc.fixturenames:
        return
    if metafunc.definition.get_closest_marker("both_backends"):
        metafunc.parametrize("backend", BACKENDS, indirect=True)
    elif metafunc.definition.get_closest_marker("postgresql"):
        metafunc.parametrize("backend", ["postgresql"], indirect=True)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Long tests first, spread over the xdist workers (after -m/-k deselection).

    pytest-xdist's `worksteal` gives worker i the i-th contiguous share of the collection and
    later lets an idle worker steal from the end of another's queue. A test of a minute that
    started last would make every other worker wait for it, so each share starts with its part of
    the `slow` and `browser` tests (dealt round-robin) and the quick tests fill the rest.
    """
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    if workers < 2:
        return
    heavy = [i for i in items if i.get_closest_marker("slow") or i.get_closest_marker("browser")]
    light = [i for i in items if not (i.get_closest_marker("slow") or i.get_closest_marker("browser"))]
    order: list[pytest.Item] = []
    for worker in range(workers):
        # The share worksteal sends this worker: what is left, divided by the workers left.
        share = (len(items) - len(order)) // (workers - worker)
        mine = heavy[worker::workers][:share]
        order.extend(mine)
        take = share - len(mine)
        order.extend(light[:take])
        del light[:take]
    order.extend(light)
    placed = set(order)
    order.extend(i for i in heavy if i not in placed)
    assert len(order) == len(items) and set(order) == set(items)
    items[:] = order


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A run in which no test passed (all skipped or deselected) proves nothing: fail it, as
    pytest already does when it collects no test, so `make test` cannot pass silently."""
    if hasattr(session.config, "workerinput") or exitstatus != pytest.ExitCode.OK:
        return  # xdist workers report to the controller, which decides
    if session.config.option.collectonly:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and not reporter.stats.get("passed"):
        reporter.write_line("no test passed (all skipped or deselected)", red=True)
        session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, cleanup = redis_url_for_tests(tmp_path_factory.mktemp("redis"), xdist_worker_index())
    yield url
    cleanup()


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, cleanup = postgres_url_for_tests(tmp_path_factory.mktemp("pg"))
    yield url
    cleanup()


def _settings(data_dir: Path, redis_url: str, db_url: str | None = None, **extra: Any) -> Settings:
    urls = {}
    if db_url:
        urls = {f"{c}_database_url": db_url for c in COMPONENTS}
    # No nightly run, no monthly pack and no debounce in tests: runs and packs happen when a test
    # asks for them (every rapportage worker burst built last month's pack). Passwords
    # are hashed with the cheap argon2 profile (full strength costs 0.2 s per hash and check).
    extra = {
        "matching_nightly_hour": -1,
        "rapportage_monthly_pack": False,
        "matching_debounce_seconds": 0,
        "password_hashing": "fast",
        # Tests change tokens and accounts behind the apps' backs: the apps ask every time
        # (tests/intake/test_round_trips.py turns the cache on where it is under test).
        "auth_cache_seconds": 0,
        **extra,
    }
    return load_settings(
        env="test",
        data_dir=data_dir,
        redis_url=redis_url,
        secret_key="test-secret-key-not-for-production",
        # The production level: every line production would write is checked for personal
        # data (tests/support/logcheck.py).
        log_level="INFO",
        **urls,
        **extra,
    )


@pytest.fixture(scope="session")
def sqlite_world(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[World]:
    """SQLite files of this worker, migrated once; emptied before each test."""
    files = tmp_path_factory.mktemp("sqlite")
    # Named explicitly, so that each test's own data_dir (see `settings`) does not move them.
    urls = {f"{c}_database_url": f"sqlite:///{(files / f'{c}.db').resolve()}" for c in COMPONENTS}
    settings = _settings(files, redis_url, **urls)
    migrate_all(settings)
    world = World("sqlite", settings)
    yield world
    world.close()


@pytest.fixture(scope="session")
def postgres_migrated(postgres_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    migrate_all(_settings(tmp_path_factory.mktemp("pgdata"), redis_url, postgres_url))
    return postgres_url


@pytest.fixture(scope="session")
def postgresql_world(
    postgres_migrated: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """This worker's PostgreSQL database, migrated once; truncated before each test."""
    world = World("postgresql", _settings(tmp_path_factory.mktemp("pg-var"), redis_url, postgres_migrated))
    yield world
    world.close()


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend of this test: "sqlite" unless a marker asks for PostgreSQL."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def world(backend: str, request: pytest.FixtureRequest) -> World:
    """The chosen backend's shared databases and apps, emptied for this test."""
    shared: World = request.getfixturevalue(f"{backend}_world")
    shared.reset()
    return shared


@pytest.fixture
def settings(world: World, tmp_path: Path) -> Settings:
    """Settings of one test: empty databases on the chosen backend, a clean Redis database and
    its own empty data_dir (the shared apps were built with the world's settings)."""
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    return world.settings.model_copy(update={"data_dir": data_dir})


@pytest.fixture
def app(world: World) -> Any:
    """The intake app (shared by the tests of this worker and backend; state reset per test)."""
    return world.app("intake")


@pytest.fixture
def matching_app(world: World) -> Any:
    """The matching app (shared by the tests of this worker and backend; state reset per test)."""
    return world.app("matching")


@pytest.fixture
def accounts_db(world: World) -> Database:
    return world.accounts_db


@dataclass
class TestUser:
    id: int
    email: str
    name: str
    role: str
    organisation_id: int
    password: str = TEST_PASSWORD


@pytest.fixture
def make_user(accounts_db: Database, settings: Settings) -> Callable[..., TestUser]:
    def make(
        role: str = "jobcoach", org: str = "Sociale Dienst Drechtsteden", name: str | None = None
    ) -> TestUser:
        email = f"{role}-{uuid.uuid4().hex[:8]}@test.instap.nl"
        with accounts_db.unit_of_work() as s:
            organisation = get_or_create_organisation(s, org, "gemeente")
            user = add_user(
                s,
                email=email,
                name=name or f"Test {role}",
                password=TEST_PASSWORD,
                role=role,
                organisation=organisation,
                hashing=hashing_for(settings),
            )
            return TestUser(user.id, user.email, user.name, role, organisation.id)

    return make


@pytest.fixture
def make_token(accounts_db: Database) -> Callable[..., str]:
    def make(role: str = "jobcoach", org: str = "Sociale Dienst Drechtsteden") -> str:
        with accounts_db.unit_of_work() as s:
            organisation = get_or_create_organisation(s, org, "gemeente")
            return create_token(s, name=f"test {role}", role=role, organisation=organisation)

    return make


def csrf_from(html: bytes | str) -> str:
    body = html.decode() if isinstance(html, bytes) else html
    match = re.search(r'name="csrf_token" value="([^"]+)"', body)
    assert match, "no csrf token on the page"
    return match.group(1)


class LoggedIn:
    """A test client logged in through the real login form; sends the CSRF header on writes."""

    def __init__(self, client: Any, user: TestUser, prefix: str = "/intake"):
        self.prefix = prefix
        self.client = client
        self.user = user
        page = client.get(f"{prefix}/login")
        response = client.post(
            f"{prefix}/login",
            data={"email": user.email, "password": user.password, "csrf_token": csrf_from(page.data)},
        )
        assert response.status_code == 302, response.data
        self.csrf = csrf_from(client.get(f"{prefix}/login").data)

    def __getattr__(self, method: str) -> Callable[..., Any]:
        def call(url: str, **kwargs: Any) -> Any:
            headers = kwargs.pop("headers", {})
            headers.setdefault("X-CSRFToken", self.csrf)
            return getattr(self.client, method)(url, headers=headers, **kwargs)

        return call


@pytest.fixture
def login(app: Any) -> Callable[[TestUser], LoggedIn]:
    def do(user: TestUser) -> LoggedIn:
        return LoggedIn(app.test_client(), user)

    return do


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(autouse=True)
def _one_calendar_day(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test holds one Dutch date from its start to its end. A test that ran across
    midnight created a task starting "today" before 00:00 and was refused after it ("the start
    lies in the past"): CI failed that way once. Processes the test starts keep the real clock."""
    day = clock.today()
    real = clock.today
    monkeypatch.setattr(clock, "today", lambda now=None: day if now is None else real(now))


@pytest.fixture(autouse=True)
def _no_personal_data_in_logs() -> Iterator[None]:
    """Every test: no log line written during it (setup, call, teardown) holds the name, e-mail,
    phone or postcode of the resident most tests register (`resident_payload`). Issue 11;
    tests/ops/test_logs.py does the same for a full intake → match → introduction flow."""
    lines = recorder().lines
    start = len(lines)
    yield
    found = leaks(lines[start:], personal_values(resident_payload()))
    del lines[start:]
    if found:
        value, line = found[0]
        pytest.fail(f"personal data ({value!r}) in a log line: {line}", pytrace=False)


@pytest.fixture(autouse=True)
def _push_request_context() -> Iterator[None]:
    """Disable pytest-flask's context push: each test-client request must get its own `g`,
    as in production, or request state (session, principal, CSRF) would leak between requests."""
    yield
