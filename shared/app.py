"""Factory for one service's Flask app: config, databases, auth, errors, i18n, API, health."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import redis
from flask import Blueprint, Flask, g, jsonify, make_response, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from jinja2 import ChoiceLoader, FileSystemLoader
from limits.storage import Storage, storage_from_string
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SqlPoolTimeout
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from shared import reference
from shared.api import Api, _error_response, api_settings
from shared.auth import web as auth_web
from shared.auth.lockout import AccountLockout, LockoutPolicy
from shared.auth.oidc import init_oidc
from shared.auth.roles import ROLE_LABELS_NL
from shared.config import Settings, load_settings
from shared.db import Database
from shared.i18n import init_i18n
from shared.logs import configure_logging, correlation_id, safe_request_id
from shared.metrics import init_metrics
from shared.navigation import items_for, start_path
from shared.peers import Peers
from shared.runtime import ServiceContext
from shared.web import close_request_session

SHARED_DIR = Path(__file__).parent
csrf = CSRFProtect()


def build_context(name: str, settings: Settings) -> ServiceContext:
    """The wiring of one service, shared by its web app and its worker."""
    timeout = settings.db_statement_timeout_ms
    db = Database(settings.database_url(name), name, statement_timeout_ms=timeout)
    accounts_db = Database(settings.database_url("accounts"), "accounts", statement_timeout_ms=timeout)
    return ServiceContext(
        name=name,
        settings=settings,
        db=db,
        accounts_db=accounts_db,
        peers=Peers.from_setting(settings.peer_urls),
    )


UNAVAILABLE_MESSAGE = (
    "Dit lukt nu even niet: een onderdeel is niet bereikbaar. Probeer het over een paar seconden opnieuw."
)
RETRY_AFTER_SECONDS = 5


def register_unavailable_handlers(app: Flask) -> None:
    """A database or Redis that is down, stuck or refusing gives a 503 with Retry-After in the
    one error shape (and the Dutch error page), never a 500 with a traceback."""

    def unavailable(error: Exception) -> Any:
        app.logger.warning("dependency unavailable", extra={"error": type(error).__name__})
        response = make_response(_error_response(503, UNAVAILABLE_MESSAGE))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    for error in (OperationalError, InterfaceError, SqlPoolTimeout, redis.RedisError):
        app.register_error_handler(error, unavailable)


OUTSIDE_PATH = "/-/niet-gevonden"


def _outside(inner: Callable[..., Any], name: str) -> Callable[..., Any]:
    """A path outside this service's prefix (e.g. /rapportage/ where that service is not
    installed) gets this service's own Dutch, styled 404 page with the person's menu, not a bare
    English "Not Found": the request is handed to the app under a path no route has."""

    def not_found(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ = {**environ, "SCRIPT_NAME": f"/{name}", "PATH_INFO": OUTSIDE_PATH}
        return inner(environ, start_response)

    return not_found


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with its signing serializer made once per key instead of
    on every request (Flask makes it anew each time, cookie or not: about 1 % of an API
    request's CPU, issue 12). A changed key or fallback list makes a new one."""

    _cached: tuple[Any, Any] | None = None

    def get_signing_serializer(self, app: Flask) -> Any:
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self._cached
        if cached is None or cached[0] != key:
            cached = self._cached = (key, super().get_signing_serializer(app))
        return cached[1]


def create_service_app(
    name: str, title: str, settings: Settings | None, import_name: str, template_dir: Path
) -> tuple[Flask, Api]:
    """Build the common parts of a service app; the service then registers its own views."""
    settings = settings or load_settings()
    configure_logging(name, settings.log_level)
    app = Flask(import_name, static_folder=None)
    app.session_interface = _SessionInterface()
    app.jinja_loader = ChoiceLoader(
        [FileSystemLoader(str(template_dir)), FileSystemLoader(str(SHARED_DIR / "templates"))]
    )
    app.config.update(
        SECRET_KEY=settings.ensure_secret_key(),
        SESSION_COOKIE_NAME="instap_session",
        SESSION_COOKIE_PATH="/",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        # The browser drops the cookie after the absolute lifetime; the server checks it too
        # (auth_web.load_principal), because a copied cookie has no such expiry.
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_max_hours),
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=False,
        JSON_SORT_KEYS=False,
        TESTING=settings.env == "test",
        **api_settings(name, title, f"/{name}/static"),
    )
    ctx = build_context(name, settings)
    app.extensions["instap"] = ctx
    # Login attempts (auth/web.py) and the per-account lock-out (auth/lockout.py) count in a
    # store of the `limits` library: Redis, so every worker and every service counts the same
    # attempts. No route has a rate limit of its own, so no extension checks every request
    # (Flask-Limiter's hooks were 4 % of an intake create's CPU, issue 12).
    storage_uri = settings.rate_limit_storage()
    # A frozen Redis must not hold a login: give up fast, then count in memory (auth/web.py).
    storage_options: dict[str, Any] = (
        {"socket_timeout": 0.5, "socket_connect_timeout": 0.5} if storage_uri.startswith("redis") else {}
    )
    limit_storage = storage_from_string(storage_uri, **storage_options)
    if not isinstance(limit_storage, Storage):  # an async+... URI: nothing here awaits
        raise ValueError(f"the login store must not be asynchronous: {storage_uri.split('://')[0]}")
    ctx.extras["limit_storage"] = limit_storage
    ctx.extras["lockout"] = AccountLockout(
        limit_storage,
        settings.ensure_secret_key(),
        LockoutPolicy(
            after=settings.login_lockout_after,
            base_seconds=settings.login_lockout_seconds,
            max_seconds=settings.login_lockout_max_seconds,
        ),
    )

    init_i18n(app)
    csrf.init_app(app)
    api = Api(app)
    register_unavailable_handlers(app)

    static = Blueprint(
        "shared_static", __name__, static_folder=str(SHARED_DIR / "static"), static_url_path="/static"
    )
    app.register_blueprint(static)
    app.register_blueprint(auth_web.bp)
    init_oidc(app, settings)
    app.teardown_appcontext(close_request_session)
    init_metrics(app, name)

    @app.before_request
    def _before() -> None:
        g.started = time.perf_counter()
        correlation_id.set(safe_request_id(request.headers.get("X-Request-ID")))
        g.csp_nonce = secrets.token_urlsafe(16)
        auth_web.load_principal()
        if request.method not in ("GET", "HEAD", "OPTIONS") and auth_web.bearer_token() is None:
            csrf.protect()

    @app.after_request
    def _after(response: Response) -> Response:
        response.headers["X-Request-ID"] = correlation_id.get()
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if response.mimetype == "text/html" and not request.path.endswith("/api/docs"):
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                f"script-src 'self' 'nonce-{g.get('csp_nonce', '')}'; frame-ancestors 'none'",
            )
        if g.get("principal") is not None:
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify(status="ok", service=name)

    @app.get("/readyz")
    def readyz() -> Any:
        checks: dict[str, str] = {}
        for label, db in (("database", ctx.db), ("accounts_database", ctx.accounts_db)):
            try:
                db.ping()
                checks[label] = "ok"
            except Exception as exc:  # report, don't crash: this is a probe
                checks[label] = f"error: {type(exc).__name__}"
        # Web requests do not need Redis (events leave through the workers), so Redis alone never
        # takes a web node out of service; it is reported for the operator.
        ok = all(v == "ok" for v in checks.values())
        try:
            probe = ctx.extras.get("redis_probe")
            if probe is None:  # short timeouts: a frozen Redis must not hold the probe
                probe = redis.Redis.from_url(
                    ctx.settings.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
                )
                ctx.extras["redis_probe"] = probe
            probe.ping()
            checks["redis"] = "ok"
        except (redis.RedisError, OSError, ValueError) as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
        return jsonify(status="ok" if ok else "unavailable", checks=checks), (200 if ok else 503)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        principal = g.get("principal")
        role = principal.role if principal is not None else None
        return {
            "principal": principal,
            "nav_items": items_for(role),
            "start_path": start_path(role) if principal is not None else f"/{name}/login",
            "service_name": name,
            "role_labels": ROLE_LABELS_NL,
            "ref": reference,
            "csp_nonce": g.get("csp_nonce", ""),
        }

    # Serve the app under its prefix (/intake/...) in every setting: tests, gunicorn, dev.
    inner = app.wsgi_app
    app.wsgi_app = DispatcherMiddleware(_outside(inner, name), {f"/{name}": inner})  # type: ignore[method-assign]
    if settings.env == "production":
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    return app, api
