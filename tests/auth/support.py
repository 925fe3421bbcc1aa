"""Helpers for the auth tests: cookies as a thief would copy them, and the `instap` CLI."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner, Result

from shared.cli import main
from shared.config import Settings

COOKIE = "instap_session"


def copy_cookie(client: Any) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None, "not logged in"
    return str(cookie.value)


def client_with_cookie(app: Any, value: str) -> Any:
    """A fresh browser that only has a copy of someone's session cookie."""
    client = app.test_client()
    client.set_cookie(COOKIE, value)
    return client


def session_data(app: Any, value: str) -> dict[str, Any]:
    return dict(app.session_interface.get_signing_serializer(app).loads(value))


def signed_session(app: Any, data: dict[str, Any]) -> str:
    """A cookie as the app itself would sign it (the tests move its times into the past)."""
    return str(app.session_interface.get_signing_serializer(app).dumps(data))


def run_cli(settings: Settings, *args: str) -> Result:
    """`instap ARGS` against this test's databases, as an operator would run it."""
    env = {
        "INSTAP_ENV": "test",
        "INSTAP_DATA_DIR": str(settings.data_dir),
        "INSTAP_SECRET_KEY": settings.secret_key,
        "REDIS_URL": settings.redis_url,
        "ACCOUNTS_DATABASE_URL": settings.database_url("accounts"),
        "INTAKE_DATABASE_URL": settings.database_url("intake"),
        "MATCHING_DATABASE_URL": settings.database_url("matching"),
    }
    return CliRunner(env=env).invoke(main, list(args), catch_exceptions=False)
