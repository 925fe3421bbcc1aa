"""Per-request unit of work and small helpers shared by the services' views."""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy.orm import Session

from shared.runtime import service_context


def db_session() -> Session:
    """The request's session, opened on first use and closed at teardown."""
    session = g.get("_db_session")
    if session is None:
        session = service_context().db.sessionmaker()
        g._db_session = session
    return session


def commit() -> None:
    """Commit the request's unit of work once. Events it wrote leave through the worker's relay,
    never from the request: a slow or frozen Redis cannot hold up a page or an API call."""
    db_session().commit()


def close_request_session(_exc: BaseException | None = None) -> None:
    session = g.pop("_db_session", None)
    if session is not None:
        session.rollback()
        session.close()


def page_args(page: Any, per_page: Any, default: int) -> tuple[int, int]:
    """Clamp a page's pagination arguments (`?pagina=`) to sane bounds: a page never fails on a
    bad number. (The API pages through `shared.api.Blueprint.paginate` and answers 422 instead.)"""
    try:
        p = min(2**31 - 1, max(1, int(page or 1)))
    except (TypeError, ValueError):
        p = 1
    try:
        n = min(200, max(1, int(per_page or default)))
    except (TypeError, ValueError):
        n = default
    return p, n
