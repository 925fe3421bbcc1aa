"""Transactional outbox (events written in the same transaction as the change) and inbox (dedup)."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime
from typing import Any

import redis
from rq import Queue, Retry
from sqlalchemy import Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.db import Database, UTCDateTime, utcnow
from shared.events import SUBSCRIBERS, validate_payload
from shared.logs import correlation_id

log = logging.getLogger(__name__)

EVENT_JOB = "services.{consumer}.jobs.handle_event"
JOB_RETRY = Retry(max=5, interval=[5, 30, 120, 600, 1800])
JOB_TIMEOUT = 120
FAILED_TTL = 7 * 24 * 3600  # failed jobs are kept a week for inspection, not a year


class OutboxMixin:
    """Columns of a service's outbox table; rows are kept after relaying (replayable history)."""

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    type: Mapped[str] = mapped_column(String(60), index=True)
    version: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text)
    correlation_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class InboxMixin:
    """Ids of events a consumer has applied; the primary key makes a second apply impossible."""

    event_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    type: Mapped[str] = mapped_column(String(60))
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def add_event(
    session: Session, outbox_model: type[Any], event_type: str, payload: dict[str, Any], version: int = 1
) -> str:
    """Write an event in the caller's transaction; it leaves only if that transaction commits."""
    body = validate_payload(event_type, version, payload)
    event_id = uuid.uuid4().hex
    session.add(
        outbox_model(
            id=event_id,
            type=event_type,
            version=version,
            payload=json.dumps(body, sort_keys=True),
            correlation_id=correlation_id.get(),
            created_at=utcnow(),
        )
    )
    session.info["has_events"] = True  # tells the request boundary to relay after commit
    return event_id


def envelope(row: Any, source: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "type": row.type,
        "version": row.version,
        "source": source,
        "occurred_at": row.created_at.isoformat(),
        "correlation_id": row.correlation_id,
        "payload": json.loads(row.payload),
    }


def enqueue_event(conn: redis.Redis, consumer: str, env: dict[str, Any]) -> None:
    """One RQ job per (event, consumer); the job id makes a re-send replace, not duplicate."""
    Queue(consumer, connection=conn).enqueue(
        EVENT_JOB.format(consumer=consumer),
        env,
        job_id=f"evt-{env['id']}-{consumer}",
        retry=JOB_RETRY,
        job_timeout=JOB_TIMEOUT,
        failure_ttl=FAILED_TTL,
        result_ttl=3600,
        meta={"correlation_id": env["correlation_id"]},
        description=f"{env['type']} {env['id']} -> {consumer}",
    )


def relay_pending(
    db: Database, outbox_model: type[Any], conn: redis.Redis, source: str, batch: int = 200
) -> int:
    """Move unrelayed outbox rows to their consumers' queues; returns how many were relayed.

    Rows are marked only after Redis accepted the job, in the same transaction that locked
    them, so a Redis outage leaves them pending and a crash at worst re-sends (harmless).
    """
    relayed = 0
    with db.unit_of_work() as session:
        query = (
            select(outbox_model)
            .where(outbox_model.relayed_at.is_(None))
            .order_by(outbox_model.created_at, outbox_model.id)
            .limit(batch)
        )
        if db.is_postgres:
            query = query.with_for_update(skip_locked=True)
        rows = session.scalars(query).all()
        for row in rows:
            env = envelope(row, source)
            try:
                for consumer in SUBSCRIBERS.get(row.type, ()):
                    enqueue_event(conn, consumer, env)
            except redis.RedisError as exc:
                row.attempts += 1
                row.last_error = f"{type(exc).__name__}: {exc}"[:500]
                log.warning(
                    "outbox relay paused: redis unavailable", extra={"event_id": row.id, "error": str(exc)}
                )
                break
            row.relayed_at = utcnow()
            relayed += 1
    return relayed


def try_relay(db: Database, outbox_model: type[Any], conn_factory: Any, source: str) -> int:
    """Best-effort relay right after a commit; never fails the caller (the worker catches up)."""
    try:
        return relay_pending(db, outbox_model, conn_factory(), source)
    except redis.RedisError as exc:
        log.warning("outbox relay skipped", extra={"error": str(exc)})
    except Exception:  # the request already succeeded; the relay loop will retry
        log.exception("outbox relay failed")
    return 0


def replay(
    db: Database,
    outbox_model: type[Any],
    conn: redis.Redis,
    source: str,
    consumer: str,
    event_types: tuple[str, ...] | None = None,
) -> int:
    """Re-send stored events to one consumer (back-fill a new service); inboxes dedupe."""
    count = 0
    with db.unit_of_work() as session:
        query = select(outbox_model).order_by(outbox_model.created_at, outbox_model.id)
        if event_types:
            query = query.where(outbox_model.type.in_(event_types))
        for row in session.scalars(query):
            enqueue_event(conn, consumer, envelope(row, source))
            count += 1
    return count
