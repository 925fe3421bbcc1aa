"""Flask side of auth: who is asking (session or bearer token), login/logout pages, role checks."""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from limits import parse as parse_limit
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter

from shared.auth.accounts import (
    Principal,
    authenticate,
    end_sessions,
    principal_for_session,
    principal_for_token,
    token_digest,
)
from shared.auth.cache import Staff, StaffMember, TTLCache, staff_member
from shared.auth.hashing import hashing_for
from shared.auth.lockout import STORAGE_ERRORS
from shared.db import utcnow
from shared.errors import DomainError, Forbidden, Unauthorized
from shared.runtime import ServiceContext, service_context

bp = Blueprint("auth", __name__, template_folder="../templates")
# The cookie's "last seen" time is rewritten at most this often, not on every request.
SEEN_RESOLUTION_SECONDS = 60


class TooManyAttempts(DomainError):
    status = 429
    code = "too_many_requests"


def is_api_request() -> bool:
    return "/api/" in request.path


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def _cache(ctx: ServiceContext, name: str) -> TTLCache[Any]:
    """One of this process's accounts caches (shared/auth/cache.py)."""
    cache = ctx.extras.get(name)
    if cache is None:
        cache = ctx.extras[name] = TTLCache(ctx.settings.auth_cache_seconds)
    return cache


def forget_cached_accounts(ctx: ServiceContext) -> None:
    """Forget every token and staff member this process remembers (tests, revocation)."""
    for name in ("token_cache", "staff_cache"):
        if name in ctx.extras:
            ctx.extras[name].forget()


def _principal_for_token(ctx: ServiceContext, token: str) -> Principal | None:
    """The token's principal, from this process's short memory or else the accounts store.
    A remembered token is still checked against its expiry on every request."""
    cache = _cache(ctx, "token_cache")
    key = token_digest(token)
    found = cache.get(key)
    if found is not None:
        principal, expires_at = found
        if expires_at > utcnow():
            return principal  # type: ignore[no-any-return]
        cache.forget(key)
    with ctx.accounts_db.unit_of_work() as s:
        result = principal_for_token(s, token, with_expiry=True)
    if result is None:
        return None
    cache.put(key, result)
    return result[0]


def staff() -> Staff:
    """Staff members (coaches) as the accounts store knows them, remembered for a few seconds."""
    ctx = service_context()
    cache = _cache(ctx, "staff_cache")

    def lookup(user_id: int) -> StaffMember | None:
        member = cache.get(user_id)
        if member is None:
            with ctx.accounts_db.unit_of_work() as s:
                member = staff_member(s, user_id)
            if member is not None:
                cache.put(user_id, member)
        return member  # type: ignore[no-any-return]

    return Staff(lookup)


def load_principal() -> None:
    """Before every request: set g.principal from a bearer token or the session cookie."""
    g.principal = None
    ctx = service_context()
    token = bearer_token()
    if token:
        g.principal = _principal_for_token(ctx, token)
        if g.principal is None:
            raise Unauthorized("Dit token is ongeldig, verlopen of ingetrokken.")
        return
    uid = session.get("uid")
    if uid is None:
        return
    now = time.time()
    if not _session_is_fresh(now):
        session.clear()
        return
    with ctx.accounts_db.unit_of_work() as s:
        g.principal = principal_for_session(s, int(uid), int(session.get("sv", -1)))
    if g.principal is None:
        session.clear()
    elif now - session["seen"] >= SEEN_RESOLUTION_SECONDS:
        session["seen"] = int(now)


def _session_is_fresh(now: float) -> bool:
    """Within the absolute lifetime since login and the idle timeout since the last request."""
    settings = service_context().settings
    started, seen = session.get("iat"), session.get("seen")
    if not isinstance(started, int) or not isinstance(seen, int):
        return False  # a cookie from before session versions, or not made by start_session
    return (
        now - started < settings.session_max_hours * 3600 and now - seen < settings.session_idle_minutes * 60
    )


def start_session(user_id: int, session_version: int) -> None:
    """Log this user in: a new cookie bound to the user's current session version."""
    now = int(time.time())
    session.clear()
    session.update(uid=user_id, sv=session_version, iat=now, seen=now)
    session.permanent = True


def current_principal() -> Principal | None:
    return g.get("principal")


def require_principal() -> Principal:
    principal = current_principal()
    if principal is None:
        raise Unauthorized("Log eerst in.")
    return principal


def roles_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Allow only these roles; anonymous page visitors are sent to the login page."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            principal = current_principal()
            if principal is None:
                if is_api_request():
                    raise Unauthorized("Log eerst in of stuur een token mee.")
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not principal.has_role(*roles):
                raise Forbidden("U heeft met uw rol geen toegang tot deze gegevens.")
            return view(*args, **kwargs)

        wrapped.required_roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorator


def _safe_next(target: str | None) -> str:
    """Only redirect to a path on this origin (no open redirect)."""
    default = url_for("web.index")
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    ctx = service_context()
    error = None
    email = ""
    if request.method == "POST":
        _login_limit()
        email = request.form.get("email", "").strip()
        password = request.form.get("password", "")
        if not email or not password:
            error = _("Vul uw e-mailadres en wachtwoord in.")
        else:
            lockout = ctx.extras["lockout"]
            locked = lockout.locked_for(email)
            if locked:
                raise TooManyAttempts(
                    ngettext(
                        "Te veel mislukte pogingen met dit e-mailadres. "
                        "Probeer het over %(num)s minuut opnieuw.",
                        "Te veel mislukte pogingen met dit e-mailadres. "
                        "Probeer het over %(num)s minuten opnieuw.",
                        math.ceil(locked / 60),
                    )
                )
            with ctx.accounts_db.unit_of_work() as s:
                user = authenticate(s, email, password, hashing_for(ctx.settings))
                uid, version = (user.id, user.session_version) if user else (None, None)
            if uid is None or version is None:
                lockout.failed(email)
                error = _("Dit e-mailadres en wachtwoord horen niet bij elkaar.")
            else:
                lockout.succeeded(email)
                _login_limit(refund=True)
                start_session(uid, version)
                current_app.logger.info("login", extra={"user_id": uid})
                return redirect(_safe_next(request.args.get("next")))
    status = 401 if error and request.method == "POST" and email else (422 if error else 200)
    return render_template(
        "auth/login.html", error=error, email=email, oidc_enabled=bool(ctx.settings.oidc_issuer)
    ), status


def _login_limit(refund: bool = False) -> None:
    """The limit on login attempts per client address, counted in the shared login store (Redis:
    every process and service counts together; while that store does not answer, this process's
    memory, so logging in keeps working).

    Every attempt is counted before the password is looked at, in one atomic step (parallel
    guesses cannot pass the limit), and a successful login is given back (`refund=True`): the
    limit is against guessing, and a team behind one address (a municipal office, the demo's six
    roles) logs in many times a morning. Fixed windows, because a moving window cannot give an
    attempt back; the per-account lock-out (lockout.py) still counts every failure."""
    ctx = service_context()
    limit = parse_limit(ctx.settings.login_rate_limit)
    keys = ("instap", "login", request.remote_addr or "-")  # prefix, scope, address
    try:
        storage = ctx.extras["limit_storage"]
        allowed = _apply_login_limit(storage, limit, keys, refund)
    except STORAGE_ERRORS as exc:
        current_app.logger.warning(
            "login limit store unreachable; counting in this process", extra={"error": str(exc)}
        )
        local = ctx.extras.setdefault("local_login_storage", MemoryStorage())
        allowed = _apply_login_limit(local, limit, keys, refund)
    if not allowed:
        raise TooManyAttempts(_("Te veel pogingen. Wacht een minuut en probeer het opnieuw."))


def _apply_login_limit(storage: Any, limit: Any, keys: tuple[str, ...], refund: bool) -> bool:
    if not refund:
        return bool(FixedWindowRateLimiter(storage).hit(limit, *keys))
    key = limit.key_for(*keys)
    if (storage.get(key) or 0) > 0:  # not below zero when the window turned meanwhile
        storage.incr(key, limit.get_expiry(), amount=-1)
    return True


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    principal = current_principal()
    if principal is not None and principal.via == "session" and principal.user_id is not None:
        # Raise the version: this cookie, and every copy of it, is refused from now on.
        with service_context().accounts_db.unit_of_work() as s:
            end_sessions(s, principal.user_id)
    session.clear()
    flash(_("U bent uitgelogd."), "info")
    return redirect(url_for("auth.login"))
