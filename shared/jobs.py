"""Helpers for RQ jobs: apply an event exactly once per consumer, carry the correlation id."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.db import Database
from shared.events import load_payload
from shared.logs import correlation_id

log = logging.getLogger(__name__)

Handler = Callable[[Session, dict[str, Any], dict[str, Any]], None]


def apply_once(
    db: Database, inbox_model: type[Any], env: dict[str, Any], handlers: dict[str, Handler]
) -> bool:
    """Apply one delivered event in one transaction with its inbox row; False if seen before.

    At-least-once delivery (RQ retries, relay re-sends) becomes exactly-once effect here:
    the inbox row and the change commit together, and the primary key refuses a second one.
    """
    token = correlation_id.set(env.get("correlation_id") or "-")
    try:
        handler = handlers.get(env["type"])
        if handler is None:
            log.info("event ignored: no handler", extra={"event_type": env["type"]})
            return False
        payload = load_payload(env["type"], env["version"], env["payload"])
        try:
            with db.unit_of_work() as session:
                if session.get(inbox_model, env["id"]) is not None:
                    return False
                session.add(inbox_model(event_id=env["id"], type=env["type"]))
                session.flush()
                handler(session, payload, env)
        except IntegrityError:
            # Another worker applied the same event at the same moment.
            with db.unit_of_work() as session:
                if session.get(inbox_model, env["id"]) is not None:
                    return False
            raise
        log.info("event applied", extra={"event_id": env["id"], "event_type": env["type"]})
        return True
    finally:
        correlation_id.reset(token)
