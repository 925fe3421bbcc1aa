"""Per-request unit of work and small helpers shared by the services' views."""

from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy.orm import Session

from shared.outbox import try_relay
from shared.runtime import service_context


def db_session() -> Session:
    """The request's session, opened on first use and closed at teardown."""
    session = g.get("_db_session")
    if session is None:
        session = service_context().db.sessionmaker()
        g._db_session = session
    return session


def commit() -> None:
    """Commit the request's unit of work once; then try to relay the events it wrote."""
    session = db_session()
    had_events = bool(session.info.pop("has_events", False))
    session.commit()
    if had_events:
        ctx = service_context()
        outbox = ctx.extras.get("outbox_model")
        if outbox is not None and ctx.settings.redis_url:
            try_relay(ctx.db, outbox, lambda: ctx.redis, ctx.name)


def close_request_session(_exc: BaseException | None = None) -> None:
    session = g.pop("_db_session", None)
    if session is not None:
        session.rollback()
        session.close()


def page_args(page: Any, per_page: Any, default: int) -> tuple[int, int]:
    """Clamp pagination arguments to sane bounds."""
    try:
        p = max(1, int(page or 1))
    except (TypeError, ValueError):
        p = 1
    try:
        n = min(200, max(1, int(per_page or default)))
    except (TypeError, ValueError):
        n = default
    return p, n
