"""Production refuses to start with weak settings, and refuses demo data (issue 7)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from shared.cli import main
from shared.config import ConfigError, load_settings

STRONG = {
    "env": "production",
    "secret_key": "k" * 48,
    "redis_url": "redis://redis:6379/0",
    "ratelimit_storage_url": "redis://redis:6379/1",
    "session_cookie_secure": True,
    "accounts_database_url": "postgresql+psycopg://instap@db/instap",
    "intake_database_url": "postgresql+psycopg://instap@db/instap",
    "matching_database_url": "postgresql+psycopg://instap@db/instap",
}
PRODUCTION_ENV = {
    "INSTAP_ENV": "production",
    "INSTAP_SECRET_KEY": "k" * 48,
    "REDIS_URL": "redis://127.0.0.1:1/0",
    "RATELIMIT_STORAGE_URL": "redis://127.0.0.1:1/1",
    "INSTAP_COOKIE_SECURE": "true",
    "ACCOUNTS_DATABASE_URL": "sqlite:///{dir}/accounts.db",
    "INTAKE_DATABASE_URL": "sqlite:///{dir}/intake.db",
    "MATCHING_DATABASE_URL": "sqlite:///{dir}/matching.db",
}


def test_strong_production_settings_load() -> None:
    assert load_settings(**STRONG).env == "production"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"secret_key": "geheim"}, "INSTAP_SECRET_KEY"),
        ({"secret_key": "k" * 31}, "INSTAP_SECRET_KEY"),
        ({"session_cookie_secure": False}, "INSTAP_COOKIE_SECURE"),
        ({"ratelimit_storage_url": "memory://"}, "RATELIMIT_STORAGE_URL"),
    ],
)
def test_weak_production_settings_are_refused(change: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings(**{**STRONG, **change})


def test_rate_limit_store_follows_redis_url_when_unset() -> None:
    settings = load_settings(**{**STRONG, "ratelimit_storage_url": ""})
    assert settings.rate_limit_storage() == "redis://redis:6379/0"


def test_weak_settings_are_fine_outside_production() -> None:
    settings = load_settings(env="development", secret_key="kort", ratelimit_storage_url="memory://")
    assert settings.weak_production_settings()  # reported, but development may start


def test_seed_demo_is_refused_in_production(tmp_path: Path) -> None:
    env = {k: v.format(dir=tmp_path) for k, v in PRODUCTION_ENV.items()}
    result = CliRunner(env=env).invoke(main, ["seed-demo", "--residents", "0"])
    assert result.exit_code == 1
    assert "INSTAP_ENV=production" in result.output
    assert not (tmp_path / "accounts.db").exists()  # nothing created


def test_production_app_refuses_to_start_with_a_short_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from services.intake.app import create_app

    for key, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(key, value.format(dir="/nonexistent"))
    monkeypatch.setenv("INSTAP_SECRET_KEY", "dev")
    with pytest.raises(ConfigError, match="INSTAP_SECRET_KEY"):
        create_app()
