"""Typed configuration read from the environment once, when a process starts (never at import)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES = ("intake", "matching", "rapportage")


class ConfigError(RuntimeError):
    """Raised at start-up when the environment is incomplete or wrong; names the key."""


class Settings(BaseSettings):
    """Every setting of the suite; see `.env.example` for the list with explanations."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    env: Literal["development", "production", "test"] = Field(
        default="development", validation_alias="INSTAP_ENV"
    )
    secret_key: str = Field(default="", validation_alias="INSTAP_SECRET_KEY")
    data_dir: Path = Field(default=Path("var"), validation_alias="INSTAP_DATA_DIR")
    redis_url: str = Field(default="", validation_alias="REDIS_URL")
    accounts_database_url: str = Field(default="", validation_alias="ACCOUNTS_DATABASE_URL")
    intake_database_url: str = Field(default="", validation_alias="INTAKE_DATABASE_URL")
    matching_database_url: str = Field(default="", validation_alias="MATCHING_DATABASE_URL")
    rapportage_database_url: str = Field(default="", validation_alias="RAPPORTAGE_DATABASE_URL")
    log_level: str = Field(default="INFO", validation_alias="INSTAP_LOG_LEVEL")
    login_rate_limit: str = Field(default="10 per minute", validation_alias="INSTAP_LOGIN_RATE_LIMIT")
    ratelimit_storage_url: str = Field(default="memory://", validation_alias="RATELIMIT_STORAGE_URL")
    session_cookie_secure: bool = Field(default=False, validation_alias="INSTAP_COOKIE_SECURE")
    default_locale: str = Field(default="nl", validation_alias="INSTAP_DEFAULT_LOCALE")
    page_size: int = Field(default=25, ge=1, le=500, validation_alias="INSTAP_PAGE_SIZE")
    oidc_issuer: str = Field(default="", validation_alias="OIDC_ISSUER")
    oidc_client_id: str = Field(default="", validation_alias="OIDC_CLIENT_ID")
    oidc_client_secret: str = Field(default="", validation_alias="OIDC_CLIENT_SECRET")
    matching_run_deadline_seconds: int = Field(
        default=600, ge=5, validation_alias="MATCHING_RUN_DEADLINE_SECONDS"
    )
    matching_debounce_seconds: int = Field(default=5, ge=0, validation_alias="MATCHING_DEBOUNCE_SECONDS")
    # Hour (Europe/Amsterdam) after which the daily full run is requested; -1 switches it off.
    matching_nightly_hour: int = Field(default=2, ge=-1, le=23, validation_alias="MATCHING_NIGHTLY_HOUR")
    relay_interval_seconds: float = Field(default=1.0, gt=0, validation_alias="INSTAP_RELAY_INTERVAL")
    # argon2id profile for passwords: "standard" (full strength) or "fast" (tests only; refused
    # in production).
    password_hashing: Literal["standard", "fast"] = Field(
        default="standard", validation_alias="INSTAP_PASSWORD_HASHING"
    )

    @model_validator(mode="after")
    def _production_needs_real_values(self) -> Settings:
        if self.env == "production" and self.password_hashing == "fast":  # noqa: S105 - a profile name
            raise ValueError("INSTAP_PASSWORD_HASHING=fast is for tests; production hashes at full strength")
        if self.env == "production":
            missing = [
                alias
                for alias, value in (
                    ("INSTAP_SECRET_KEY", self.secret_key),
                    ("REDIS_URL", self.redis_url),
                    ("ACCOUNTS_DATABASE_URL", self.accounts_database_url),
                    ("INTAKE_DATABASE_URL", self.intake_database_url),
                    ("MATCHING_DATABASE_URL", self.matching_database_url),
                )
                if not value
            ]
            if missing:
                raise ValueError("missing required setting(s): " + ", ".join(missing))
        return self

    def database_url(self, component: str) -> str:
        """URL of one component's database; SQLite files under data_dir by default."""
        url = getattr(self, f"{component}_database_url")
        if url:
            return url
        return f"sqlite:///{(self.data_dir / f'{component}.db').resolve()}"

    def ensure_secret_key(self) -> str:
        """The signing key; outside production a dev-only key is generated once per data dir."""
        if self.secret_key:
            return self.secret_key
        if self.env == "production":
            raise ConfigError("INSTAP_SECRET_KEY is not set")
        key_file = self.data_dir / "dev-secret-key"
        if not key_file.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        return key_file.read_text().strip()


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment (plus explicit overrides, used by tests)."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "settings"
            problems.append(f"{loc}: {err['msg']}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None
