"""Typed configuration read from the environment once, when a process starts (never at import)."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES = ("intake", "matching", "rapportage")
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
# 32 characters of token_urlsafe carry 192 bits; anything shorter is likely a hand-typed word.
MIN_SECRET_KEY_LENGTH = 32


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
    # Empty: the counters live in REDIS_URL's Redis, shared by every process (issue 7).
    ratelimit_storage_url: str = Field(default="", validation_alias="RATELIMIT_STORAGE_URL")
    # Per-account lock-out: after this many failed logins in a row the e-mail address is locked
    # for the base time, doubled for every further failure up to the maximum.
    login_lockout_after: int = Field(default=5, ge=1, validation_alias="INSTAP_LOGIN_LOCKOUT_AFTER")
    login_lockout_seconds: int = Field(default=60, ge=1, validation_alias="INSTAP_LOGIN_LOCKOUT_SECONDS")
    login_lockout_max_seconds: int = Field(
        default=3600, ge=1, validation_alias="INSTAP_LOGIN_LOCKOUT_MAX_SECONDS"
    )
    session_cookie_secure: bool = Field(default=False, validation_alias="INSTAP_COOKIE_SECURE")
    # A session ends this long after login, whatever happens, and earlier after this much idleness.
    session_max_hours: float = Field(
        default=10, gt=0, le=24 * 30, validation_alias="INSTAP_SESSION_MAX_HOURS"
    )
    session_idle_minutes: float = Field(
        default=60, gt=0, le=24 * 60, validation_alias="INSTAP_SESSION_IDLE_MINUTES"
    )
    token_lifetime_days: int = Field(default=90, ge=1, le=3650, validation_alias="INSTAP_TOKEN_LIFETIME_DAYS")
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
    # Longest a single database statement may run (PostgreSQL); a stuck query gives a 503 then.
    db_statement_timeout_ms: int = Field(
        default=30_000, ge=100, le=3_600_000, validation_alias="INSTAP_DB_STATEMENT_TIMEOUT_MS"
    )
    # Where the other services answer when they do not run in this process, e.g.
    # "intake=http://intake-web:8000,matching=http://matching-web:8000" (see shared/peers.py).
    peer_urls: str = Field(default="", validation_alias="INSTAP_PEER_URLS")
    # Delivered events keep their payload (which may describe a resident) this many days; then
    # the worker wipes it (shared/outbox.py scrub_delivered). An erased resident's at once.
    outbox_retention_days: int = Field(
        default=90, ge=1, le=3650, validation_alias="INSTAP_OUTBOX_RETENTION_DAYS"
    )
    # Key of the candidate pseudonyms organisations see (services/matching/domain/pseudonyms.py);
    # empty: generated once into <data_dir>/dev-pseudonym-key outside production, derived from
    # INSTAP_SECRET_KEY in production.
    pseudonym_key: str = Field(default="", validation_alias="INSTAP_PSEUDONYM_KEY")
    # Longest sleep of the outbox relay: PostgreSQL wakes it at once; with SQLite it polls this often.
    relay_interval_seconds: float = Field(default=0.5, gt=0, validation_alias="INSTAP_RELAY_INTERVAL")
    # Shortest time between two relay rounds while commits keep waking it: under load each round
    # takes every event written meanwhile, so its fixed cost (two transactions, a Redis round
    # trip) is paid a few times a second, not once per event. A quiet relay answers a commit at
    # once; under load an event waits at most this much longer (docs/benchmarks.md, issue 12).
    relay_min_gap_seconds: float = Field(default=0.2, ge=0, le=5, validation_alias="INSTAP_RELAY_MIN_GAP")
    # How long a web process trusts what it read about a bearer token or a staff member (active,
    # role, organisation) before asking the accounts store again; 0 turns the cache off. A token
    # revoked (or a coach deactivated) from another process takes at most this long to be refused.
    auth_cache_seconds: float = Field(default=10, ge=0, le=60, validation_alias="INSTAP_AUTH_CACHE_SECONDS")
    # A match run whose worker has not written its heartbeat for this long is presumed dead:
    # the reconciler releases it and another worker runs it again (issue 12).
    matching_heartbeat_stale_seconds: int = Field(
        default=30, ge=5, validation_alias="MATCHING_HEARTBEAT_STALE_SECONDS"
    )
    # After Redis lost its data (a restart without persistence), the relays send again every
    # event relayed within this many hours; inboxes make the second delivery harmless.
    redeliver_hours: float = Field(default=24, ge=0, validation_alias="INSTAP_REDELIVER_HOURS")
    # Origin people reach the suite at; certificates, their QR codes and status lists link to it.
    public_url: str = Field(
        default=DEFAULT_PUBLIC_URL,
        pattern=r"^https?://[^\s/:]+(?::\d+)?/?$",
        validation_alias="INSTAP_PUBLIC_URL",
    )
    # Directory of the Ed25519 keys that sign certificates; empty = <data_dir>/keys.
    credentials_key_dir: Path | None = Field(default=None, validation_alias="INSTAP_CREDENTIALS_KEY_DIR")

    @field_validator("public_url", "credentials_key_dir", mode="before")
    @classmethod
    def _empty_means_default(cls, value: object, info: ValidationInfo) -> object:
        # `.env.example` promises that an empty value means the default; Path("") would be ".".
        if value == "":
            return None if info.field_name == "credentials_key_dir" else DEFAULT_PUBLIC_URL
        return value

    # Rapportage: the key of the keyed hash (HMAC-SHA256) that stands in for a programme id in the
    # fact store, so its rows cannot be joined with matching's or intake's. Empty outside
    # production: a dev-only key is generated once into <data_dir>/rapportage-hash-key.
    rapportage_hash_key: str = Field(default="", validation_alias="RAPPORTAGE_HASH_KEY")
    # Smallest count a report shows (the contract's t; never below 3).
    rapportage_threshold: int = Field(default=5, ge=3, le=100, validation_alias="RAPPORTAGE_THRESHOLD")
    # The worker requests last month's pack on its own (on or after the first of a month); false
    # switches that off (packs then come only when asked for, as in the tests).
    rapportage_monthly_pack: bool = Field(default=True, validation_alias="RAPPORTAGE_MONTHLY_PACK")

    # Where `instap backup`/`restore` find pg_dump and pg_restore (empty: PATH).
    pg_bin_dir: str = Field(default="", validation_alias="INSTAP_PG_BIN_DIR")
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
            weak = self.weak_production_settings()
            if weak:
                raise ValueError("unsafe setting(s) for production: " + "; ".join(weak))
        return self

    def weak_production_settings(self) -> list[str]:
        """What production must not run with (issue 7); each entry names its key."""
        weak = []
        if len(self.secret_key) < MIN_SECRET_KEY_LENGTH:
            weak.append(f"INSTAP_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters")
        if not self.session_cookie_secure:
            weak.append("INSTAP_COOKIE_SECURE must be true (session cookies only over HTTPS)")
        if self.rate_limit_storage().startswith("memory://"):
            weak.append("RATELIMIT_STORAGE_URL must not be memory:// (each process would count alone)")
        return weak

    def rate_limit_storage(self) -> str:
        """Where login counters and lock-outs live: the explicit URL, else REDIS_URL's Redis."""
        return self.ratelimit_storage_url or self.redis_url or "memory://"

    def database_url(self, component: str) -> str:
        """URL of one component's database; SQLite files under data_dir by default."""
        url = getattr(self, f"{component}_database_url")
        if url:
            return url
        return f"sqlite:///{(self.data_dir / f'{component}.db').resolve()}"

    def credential_key_dir(self) -> Path:
        """Where the certificate signing keys live (services/matching/credentials/keys.py)."""
        return self.credentials_key_dir or self.data_dir / "keys"

    def ensure_hash_key(self) -> bytes:
        """The rapportage pseudonym key; outside production a dev-only key is generated once."""
        if self.rapportage_hash_key:
            return self.rapportage_hash_key.encode()
        if self.env == "production":
            raise ConfigError("RAPPORTAGE_HASH_KEY is not set")
        key_file = self.data_dir / "rapportage-hash-key"
        if not key_file.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        return key_file.read_text().strip().encode()

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

    def ensure_pseudonym_key(self) -> bytes:
        """The key of the organisations' candidate pseudonyms. Changing it gives every candidate
        new pseudonyms (nothing stored depends on it)."""
        if self.pseudonym_key:
            return self.pseudonym_key.encode()
        if self.env == "production":
            # A separate key is better (rotate one without the other); derived, never the same.
            return hmac.new(self.ensure_secret_key().encode(), b"instap-pseudonyms-v1", "sha256").digest()
        key_file = self.data_dir / "dev-pseudonym-key"
        if not key_file.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        return key_file.read_text().strip().encode()


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
