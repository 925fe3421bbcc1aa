"""Login through the municipality's OpenID Connect provider (Authlib), linked to local accounts."""

from __future__ import annotations

from typing import Any

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Flask, abort, current_app, redirect, url_for
from joserfc.errors import JoseError
from requests import RequestException
from sqlalchemy import select

from shared.auth.models import User
from shared.auth.web import bp, start_session
from shared.config import Settings
from shared.errors import Forbidden, Unauthorized
from shared.runtime import service_context

CLIENT = "gemeente"
# What can go wrong between us and the provider: its answer, the network, the id_token's checks.
_PROVIDER_ERRORS = (AuthlibBaseError, JoseError, RequestException, ValueError, KeyError)


def init_oidc(app: Flask, settings: Settings) -> None:
    """Register the provider's client; without OIDC_ISSUER the routes below answer 404."""
    if not settings.oidc_issuer:
        return
    oauth = OAuth(app)
    oauth.register(
        CLIENT,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
        # PKCE on top of the client secret; a hanging provider must not hold a worker forever.
        client_kwargs={
            "scope": "openid email profile",
            "code_challenge_method": "S256",
            "default_timeout": 10,
        },
    )


def _client() -> Any:
    oauth = current_app.extensions.get("authlib.integrations.flask_client")
    if oauth is None:
        abort(404)
    return oauth.create_client(CLIENT)


def _failed(reason: Exception) -> Unauthorized:
    current_app.logger.warning("oidc login failed", extra={"reason": type(reason).__name__})
    return Unauthorized("Inloggen met uw gemeente-account is niet gelukt. Probeer het opnieuw.")


@bp.get("/login/oidc")
def oidc_start() -> Any:
    client = _client()
    try:
        return client.authorize_redirect(url_for("auth.oidc_callback", _external=True))
    except _PROVIDER_ERRORS as exc:
        raise _failed(exc) from exc


@bp.get("/login/oidc/callback")
def oidc_callback() -> Any:
    client = _client()
    try:
        # Checks the error parameter, state, PKCE verifier, id_token signature, iss, aud and nonce.
        claims = client.authorize_access_token()["userinfo"]
        subject = str(claims["sub"])
    except _PROVIDER_ERRORS as exc:
        raise _failed(exc) from exc
    with service_context().accounts_db.unit_of_work() as s:
        user = s.scalar(select(User).where(User.oidc_subject == subject))
        email = claims.get("email")
        # Linking by e-mail only once, only when the provider vouches for the address,
        # and never to an account already linked: afterwards the subject alone decides.
        if user is None and claims.get("email_verified") is True and isinstance(email, str):
            user = s.scalar(
                select(User).where(User.email == email.strip().lower(), User.oidc_subject.is_(None))
            )
            if user is not None and user.active:
                user.oidc_subject = subject
        uid = user.id if user is not None and user.active else None
        version = user.session_version if user is not None else 0
    if uid is None:
        current_app.logger.info("oidc login without account")
        raise Forbidden(
            "Er is geen Instap-account voor uw gemeente-account. Vraag een beheerder om u toegang te geven."
        )
    start_session(uid, version)
    current_app.logger.info("login", extra={"user_id": uid, "via": "oidc"})
    return redirect(url_for("web.index"))
