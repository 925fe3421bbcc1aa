"""Fixtures: real Redis, real PostgreSQL and SQLite (migrated once), apps, users and logins."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib
from sqlalchemy import text

from shared.auth.accounts import add_user, create_token, get_or_create_organisation
from shared.cli import migrate_all
from shared.components import COMPONENTS
from shared.config import Settings, load_settings
from shared.db import Database
from tests.support.servers import postgres_url_for_tests, redis_url_for_tests

BACKENDS = ("sqlite", "postgresql")
TEST_PASSWORD = "proef-wachtwoord-123"  # test-only


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, cleanup = redis_url_for_tests(tmp_path_factory.mktemp("redis"))
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
    # No nightly run and no debounce in tests: runs happen when a test asks for them.
    extra = {"matching_nightly_hour": -1, "matching_debounce_seconds": 0, **extra}
    return load_settings(
        env="test",
        data_dir=data_dir,
        redis_url=redis_url,
        secret_key="test-secret-key-not-for-production",
        log_level="WARNING",
        **urls,
        **extra,
    )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Path:
    """SQLite files migrated once; each test gets a copy (fast and isolated)."""
    template = tmp_path_factory.mktemp("sqlite-template")
    migrate_all(_settings(template, redis_url))
    return template


@pytest.fixture(scope="session")
def postgres_migrated(postgres_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    migrate_all(_settings(tmp_path_factory.mktemp("pgdata"), redis_url, postgres_url))
    return postgres_url


def _truncate_postgres(url: str) -> None:
    for comp in COMPONENTS:
        db = Database(url, comp)
        try:
            with db.engine.begin() as conn:
                tables = [t.name for t in COMPONENTS[comp].base().metadata.sorted_tables]
                if tables:
                    conn.execute(
                        text(
                            "TRUNCATE "
                            + ", ".join(f'"{comp}"."{t}"' for t in tables)
                            + " RESTART IDENTITY CASCADE"
                        )
                    )
        finally:
            db.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def settings(backend: str, request: pytest.FixtureRequest, tmp_path: Path, redis_url: str) -> Settings:
    """Settings of one test: fresh databases on the chosen backend, a clean Redis database."""
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    conn.close()
    data_dir = tmp_path / "var"
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        shutil.copytree(template, data_dir)
        return _settings(data_dir, redis_url)
    url = request.getfixturevalue("postgres_migrated")
    _truncate_postgres(url)
    data_dir.mkdir()
    return _settings(data_dir, redis_url, url)


@pytest.fixture
def app(settings: Settings) -> Iterator[Any]:
    from services.intake.app import create_app

    application = create_app(settings)
    yield application
    application.extensions["instap"].close()


@pytest.fixture
def matching_app(settings: Settings) -> Iterator[Any]:
    from services.matching.app import create_app

    application = create_app(settings)
    yield application
    application.extensions["instap"].close()


@pytest.fixture
def accounts_db(settings: Settings) -> Iterator[Database]:
    db = Database(settings.database_url("accounts"), "accounts")
    yield db
    db.dispose()


@dataclass
class TestUser:
    id: int
    email: str
    name: str
    role: str
    organisation_id: int
    password: str = TEST_PASSWORD


@pytest.fixture
def make_user(accounts_db: Database) -> Callable[..., TestUser]:
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


def resident_payload(**overrides: Any) -> dict[str, Any]:
    """A valid intake as a coach would send it."""
    data: dict[str, Any] = {
        "first_name": "Ayşe",
        "last_name": "Yılmaz",
        "phone": "06 12345678",
        "email": "ayse@example.nl",
        "street": "Wielwijkstraat",
        "house_number": "12",
        "postcode": "3317 AB",
        "city": "Dordrecht",
        "wijk": "wielwijk",
        "birth_year": 1990,
        "gender": "vrouw",
        "participatieladder": 3,
        "language": {"spoken": "B1", "written": "A2"},
        "certificates": [{"code": "vca_basis", "obtained_on": "2024-03-01", "valid_until": "2034-03-01"}],
        "driving_licence": False,
        "own_transport": True,
        "hours_per_week": 24,
        "days": ["ma", "di", "wo"],
        "available_from": "2027-01-15",
        "interests": ["hulpmonteur_zonnepanelen"],
        "skills": ["gereedschap", "meten"],
        "work_experience": "Twee jaar magazijnwerk",
        "barriers": ["kinderopvang"],
        "income": "bijstand",
        "work_at_height": True,
        "heavy_work": False,
    }
    data.update(overrides)
    return data


@pytest.fixture(autouse=True)
def _push_request_context() -> Iterator[None]:
    """Disable pytest-flask's context push: each test-client request must get its own `g`,
    as in production, or request state (session, principal, CSRF) would leak between requests."""
    yield
