"""Flask side of auth: who is asking (session or bearer token), login/logout pages, role checks."""

from __future__ import annotations

import functools
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

from shared.auth.accounts import Principal, authenticate, principal_for_token, principal_for_user
from shared.auth.passwords import hashing_for
from shared.errors import DomainError, Forbidden, Unauthorized
from shared.runtime import service_context

bp = Blueprint("auth", __name__, template_folder="../templates")


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


def load_principal() -> None:
    """Before every request: set g.principal from a bearer token or the session cookie."""
    g.principal = None
    ctx = service_context()
    token = bearer_token()
    if token:
        with ctx.accounts_db.unit_of_work() as s:
            g.principal = principal_for_token(s, token)
        if g.principal is None:
            raise Unauthorized("Dit token is ongeldig of ingetrokken.")
        return
    uid = session.get("uid")
    if uid is not None:
        with ctx.accounts_db.unit_of_work() as s:
            g.principal = principal_for_user(s, int(uid))
        if g.principal is None:
            session.clear()


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
        limiter, limit = ctx.extras["login_limiter"]
        if not limiter.hit(limit, "login", request.remote_addr or "-"):
            raise TooManyAttempts(_("Te veel pogingen. Wacht een minuut en probeer het opnieuw."))
        email = request.form.get("email", "").strip()
        password = request.form.get("password", "")
        if not email or not password:
            error = _("Vul uw e-mailadres en wachtwoord in.")
        else:
            with ctx.accounts_db.unit_of_work() as s:
                user = authenticate(s, email, password, hashing_for(ctx.settings))
                uid = user.id if user else None
            if uid is None:
                error = _("Dit e-mailadres en wachtwoord horen niet bij elkaar.")
            else:
                session.clear()
                session["uid"] = uid
                session.permanent = True
                current_app.logger.info("login", extra={"user_id": uid})
                return redirect(_safe_next(request.args.get("next")))
    status = 401 if error and request.method == "POST" and email else (422 if error else 200)
    return render_template(
        "auth/login.html", error=error, email=email, oidc_enabled=bool(ctx.settings.oidc_issuer)
    ), status


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    session.clear()
    flash(_("U bent uitgelogd."), "info")
    return redirect(url_for("auth.login"))
