"""One service asks another's API, on behalf of the person asking: the other service decides.

Services never read each other's tables. When a page of one service needs what another owns (a
coach's matching page shows the names intake keeps; intake's export of a resident includes what
matching holds), it calls that service's JSON API with the credentials of the person who asked
(their session cookie or bearer token). The other service applies its own access rules and writes
its own audit entry, exactly as if the person had called it: no new trust, no copy of personal data.

Where the call goes: in the development suite and in tests every app lives in one process, so the
call is a WSGI call into the other app (no socket, no port); in a deployment each service has its
own address (`INSTAP_PEER_URLS`, e.g. `intake=http://intake-web:8000`), reached over HTTP with short
timeouts. A peer that does not answer is `PeerUnavailable` (503): callers show what they have.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import requests
from flask import Flask, has_request_context, request
from werkzeug.test import EnvironBuilder, run_wsgi_app

from shared.errors import DomainError
from shared.logs import correlation_id

log = logging.getLogger(__name__)

SESSION_COOKIE = "instap_session"
CONNECT_TIMEOUT = 1.0
READ_TIMEOUT = 3.0


class PeerUnavailable(DomainError):
    status = 503
    code = "unavailable"


@dataclass(frozen=True)
class PeerReply:
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def _parse_urls(spec: str) -> dict[str, str]:
    """`intake=http://intake-web:8000,matching=http://matching-web:8000` → {service: base url}."""
    urls: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, sep, url = part.partition("=")
        if not sep or not name.strip() or not url.strip().startswith(("http://", "https://")):
            raise ValueError(f"INSTAP_PEER_URLS: expected service=http(s)://host:port, got {part!r}")
        urls[name.strip()] = url.strip().rstrip("/")
    return urls


@dataclass
class Peers:
    """The other services this one may ask, by name."""

    urls: dict[str, str] = field(default_factory=dict)
    apps: dict[str, Flask] = field(default_factory=dict)

    @classmethod
    def from_setting(cls, spec: str) -> Peers:
        return cls(urls=_parse_urls(spec))

    def attach(self, name: str, app: Flask) -> None:
        """Reach `name` inside this process (development suite, tests)."""
        self.apps[name] = app

    def knows(self, service: str) -> bool:
        return service in self.apps or service in self.urls

    def get(self, service: str, path: str, params: dict[str, Any] | None = None) -> PeerReply:
        """GET `/<service><path>` as the person of the current request."""
        headers = _forwarded_credentials()
        if service in self.apps:
            return _in_process(self.apps[service], f"/{service}{path}", params, headers)
        base = self.urls.get(service)
        if base is None:
            raise PeerUnavailable(f"Het onderdeel {service} is niet bereikbaar.")
        try:
            reply = requests.get(
                f"{base}/{service}{path}",
                params=params,
                headers=headers,
                timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            log.warning("peer call failed", extra={"peer": service, "error": type(exc).__name__})
            raise PeerUnavailable(f"Het onderdeel {service} is niet bereikbaar.") from None
        return PeerReply(reply.status_code, _json_or_none(reply.content))


def _forwarded_credentials() -> dict[str, str]:
    """The caller's own credentials (never more): bearer token, or the session cookie alone."""
    headers = {"Accept": "application/json", "X-Request-ID": correlation_id.get()}
    if not has_request_context():
        return headers
    authorization = request.headers.get("Authorization")
    if authorization:
        headers["Authorization"] = authorization
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        headers["Cookie"] = f"{SESSION_COOKIE}={cookie}"
    return headers


def _in_process(app: Flask, path: str, params: dict[str, Any] | None, headers: dict[str, str]) -> PeerReply:
    environ = EnvironBuilder(
        path=path,
        method="GET",
        query_string=params,
        headers=list(headers.items()),
        base_url="http://peer.invalid/",
    ).get_environ()
    app_iter, status, _headers = run_wsgi_app(app, environ, buffered=True)
    try:
        body = b"".join(app_iter)
    finally:
        close = getattr(app_iter, "close", None)
        if close is not None:
            close()
    return PeerReply(int(status.split(" ", 1)[0]), _json_or_none(body))


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


def link_apps(*apps: Flask) -> None:
    """Let every app reach every other one in this process (development suite, tests)."""
    for app in apps:
        peers: Peers = app.extensions["instap"].peers
        for other in apps:
            name = other.extensions["instap"].name
            if other is not app:
                peers.attach(name, other)
