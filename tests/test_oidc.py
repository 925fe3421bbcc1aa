"""OIDC login against a real, minimal OpenID Connect provider served over HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from shared.auth.models import User
from shared.config import Settings
from shared.db import Database

CLIENT_ID = "instap-test"
CLIENT_SECRET = "provider-secret-for-tests"  # noqa: S105 - test-only
RESIDENTS = "/intake/api/v1/residents"
NO_ACCOUNT = "Vraag een beheerder om u toegang te geven."
FAILED = "Inloggen met uw gemeente-account is niet gelukt."


class Provider:
    """Discovery, authorize (answers at once), token (secret + PKCE checked) and JWKS."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig"})
        self.profile: dict[str, Any] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.server = make_server("127.0.0.1", 0, self.wsgi, request_handler=_Quiet)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        handler = {
            "/.well-known/openid-configuration": self.discovery,
            "/authorize": self.authorize,
            "/token": self.token,
            "/jwks": lambda _: _json(KeySet([self.key]).as_dict(private=False)),
        }.get(request.path)
        response = handler(request) if handler else Response("not found", status=404)
        return response(environ, start_response)

    def discovery(self, _: Request) -> Response:
        return _json(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            }
        )

    def authorize(self, request: Request) -> Response:
        args = request.args
        assert args["client_id"] == CLIENT_ID and args["response_type"] == "code"
        assert set(args["scope"].split()) == {"openid", "email", "profile"}
        assert args["code_challenge_method"] == "S256"
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "nonce": args["nonce"],
            "challenge": args["code_challenge"],
            "redirect_uri": args["redirect_uri"],
            "profile": dict(self.profile),
        }
        query = urlencode({"code": code, "state": args["state"]})
        return Response(status=302, headers={"Location": f"{args['redirect_uri']}?{query}"})

    def token(self, request: Request) -> Response:
        form = request.form
        auth = request.authorization
        client_id, secret = (
            (auth.username, auth.password) if auth else (form.get("client_id"), form.get("client_secret"))
        )
        if (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
            return _json({"error": "invalid_client"}, 401)
        grant = self.codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if (
            grant is None
            or form.get("redirect_uri") != grant["redirect_uri"]
            or challenge.rstrip(b"=").decode() != grant["challenge"]
        ):
            return _json({"error": "invalid_grant"}, 400)
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "nonce": grant["nonce"],
            "iat": now,
            "exp": now + 300,
            **grant["profile"],
        }
        id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.key)
        return _json(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            }
        )


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


class _Quiet(WSGIRequestHandler):
    def log(self, *args: Any) -> None:  # the provider's access log is noise in test output
        pass


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    p = Provider()
    p.thread.start()
    yield p
    p.server.shutdown()
    p.thread.join(5)
    p.server.server_close()


def _oidc_app(settings: Settings, provider: Provider, secret: str = CLIENT_SECRET) -> Any:
    from services.intake.app import create_app

    return create_app(
        settings.model_copy(
            update={"oidc_issuer": provider.issuer, "oidc_client_id": CLIENT_ID, "oidc_client_secret": secret}
        )
    )


@pytest.fixture
def oidc_app(settings: Settings, provider: Provider) -> Iterator[Any]:
    application = _oidc_app(settings, provider)
    yield application
    application.extensions["instap"].close()


def _to_provider(client: Any) -> str:
    """Start the login, let the provider answer; return the callback path + query for our app."""
    start = client.get("/intake/login/oidc")
    assert start.status_code == 302, start.data
    assert start.location.startswith(client.application.extensions["instap"].settings.oidc_issuer)
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as answer:
        opener.open(start.location, timeout=10)
    assert answer.value.code == 302
    back = urlsplit(answer.value.headers["Location"])
    assert back.path == "/intake/login/oidc/callback"
    return f"{back.path}?{back.query}"


def _login(client: Any) -> Any:
    return client.get(_to_provider(client))


def _subject(accounts_db: Database, user_id: int) -> str | None:
    with accounts_db.unit_of_work() as s:
        return s.scalar(select(User.oidc_subject).where(User.id == user_id))


def test_first_login_links_subject_by_verified_email(
    oidc_app: Any, provider: Provider, make_user: Any, accounts_db: Database
) -> None:
    user = make_user("jobcoach")
    provider.profile = {"sub": "sub-first", "email": user.email.upper(), "email_verified": True}
    client = oidc_app.test_client()
    assert 'href="/intake/login/oidc"' in client.get("/intake/login").get_data(as_text=True)
    assert client.get(RESIDENTS).status_code == 401
    done = _login(client)
    assert done.status_code == 302 and done.location.endswith("/intake/")
    assert client.get(RESIDENTS).status_code == 200
    assert _subject(accounts_db, user.id) == "sub-first"


def test_later_login_matches_on_subject_only(
    oidc_app: Any, provider: Provider, make_user: Any, accounts_db: Database
) -> None:
    user = make_user("jobcoach")
    other = make_user("jobcoach")
    provider.profile = {"sub": "sub-later", "email": user.email, "email_verified": True}
    assert _login(oidc_app.test_client()).status_code == 302
    # The address changed at the provider (even to another user's): the subject still decides.
    provider.profile = {"sub": "sub-later", "email": other.email, "email_verified": True}
    client = oidc_app.test_client()
    assert _login(client).status_code == 302
    assert client.get(RESIDENTS).status_code == 200
    assert _subject(accounts_db, user.id) == "sub-later"
    assert _subject(accounts_db, other.id) is None
    # A linked account is never linked again by e-mail to a different subject.
    provider.profile = {"sub": "sub-intruder", "email": user.email, "email_verified": True}
    client = oidc_app.test_client()
    assert _login(client).status_code == 403
    assert client.get(RESIDENTS).status_code == 401


@pytest.mark.parametrize(
    "profile",
    [
        {"email_verified": False},
        {"email": "onbekend@test.instap.nl", "email_verified": True},
    ],
    ids=["unverified", "unknown"],
)
def test_no_matching_account_is_refused(
    oidc_app: Any, provider: Provider, make_user: Any, accounts_db: Database, profile: dict[str, Any]
) -> None:
    user = make_user("jobcoach")
    provider.profile = {"sub": "sub-refused", "email": user.email, **profile}
    client = oidc_app.test_client()
    refused = _login(client)
    assert refused.status_code == 403
    assert NO_ACCOUNT in refused.get_data(as_text=True)
    assert client.get(RESIDENTS).status_code == 401
    assert _subject(accounts_db, user.id) is None


def test_provider_errors_and_bad_state_are_refused(oidc_app: Any, provider: Provider, make_user: Any) -> None:
    user = make_user("jobcoach")
    provider.profile = {"sub": "sub-errors", "email": user.email, "email_verified": True}
    client = oidc_app.test_client()
    callback = _to_provider(client)
    state = parse_qs(urlsplit(callback).query)["state"][0]
    tampered = callback.replace(f"state={state}", "state=not-the-state")
    denied = f"/intake/login/oidc/callback?{urlencode({'error': 'access_denied', 'state': state})}"
    for url in (tampered, denied, callback.replace("code=", "code=x")):
        response = client.get(url)
        assert response.status_code == 401, url
        assert FAILED in response.get_data(as_text=True)
        assert client.get(RESIDENTS).status_code == 401
    english = client.get(f"{denied}&lang=en").get_data(as_text=True)
    assert "Logging in with your municipality account did not work." in english


def test_token_exchange_failure_is_refused(settings: Settings, provider: Provider, make_user: Any) -> None:
    user = make_user("jobcoach")
    provider.profile = {"sub": "sub-secret", "email": user.email, "email_verified": True}
    application = _oidc_app(settings, provider, secret="wrong-secret")  # noqa: S106 - test-only
    try:
        client = application.test_client()
        response = _login(client)
        assert response.status_code == 401
        assert FAILED in response.get_data(as_text=True)
        assert client.get(RESIDENTS).status_code == 401
    finally:
        application.extensions["instap"].close()


def test_without_issuer_there_is_no_oidc(client: Any) -> None:
    assert client.get("/intake/login/oidc").status_code == 404
    assert client.get("/intake/login/oidc/callback?code=x&state=y").status_code == 404
    page = client.get("/intake/login").get_data(as_text=True)
    assert "/login/oidc" not in page
    assert "gemeente-account" not in page
