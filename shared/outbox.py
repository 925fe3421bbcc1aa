"""Transactional outbox (events written in the same transaction as the change) and inbox (dedup).

Events leave only through the relay in the service's worker, never from a request: a request
commits its change and its outbox rows and answers, whatever Redis is doing. In PostgreSQL the
commit also NOTIFYs the worker, which relays at once; elsewhere the worker polls (a fraction of a
second). One relay at a time per service (an advisory lock), in the order the rows were written.

Events about one subject (a resident, a proposal) carry the subject and a sequence number that
grows with every event about it, so a consumer that keeps *state* can ignore anything older than
what it already applied, whatever order RQ's workers deliver them in (see `shared/jobs.py`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
import zlib
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

import redis
from rq import Queue, Retry
from sqlalchemy import Integer, String, Text, func, select, text, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.db import Database, UTCDateTime, utcnow
from shared.events import SUBSCRIBERS, validate_payload
from shared.logs import correlation_id
from shared.writebehind import insert_later

log = logging.getLogger(__name__)

EVENT_JOB = "services.{consumer}.jobs.handle_event"
EVENTS_JOB = "services.{consumer}.jobs.handle_events"
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
    # What the event is about ("DW-…", "proposal:12") and its place among that subject's events.
    subject: Mapped[str | None] = mapped_column(String(60), index=True)
    seq: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    relayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class InboxMixin:
    """Ids of events a consumer has applied; the primary key makes a second apply impossible."""

    event_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    type: Mapped[str] = mapped_column(String(60))
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def notify_channel(component: str) -> str:
    """The PostgreSQL NOTIFY channel a component's worker listens on for new outbox rows."""
    return f"instap_outbox_{component}"


def notify(executor: Any, component: str) -> None:
    """NOTIFY the component's worker on PostgreSQL, in the transaction of `executor` (a session or
    a connection): delivered at its commit; identical ones in one transaction are sent once."""
    executor.execute(text("SELECT pg_notify(:channel, '')"), {"channel": notify_channel(component)})


def wake_worker(session: Session) -> None:
    """Tell the component's worker (PostgreSQL: at commit; a rollback sends nothing) that there
    is work: outbox rows or runs. Elsewhere the worker polls; nothing to do here."""
    component = session.info.get("component")
    if component and session.get_bind().dialect.name == "postgresql":
        notify(session, component)


def add_event(
    session: Session,
    outbox_model: type[Any],
    event_type: str,
    payload: dict[str, Any],
    version: int = 1,
    *,
    subject: str | None = None,
    seq: int | None = None,
) -> str:
    """Write an event in the caller's transaction; it leaves only if that transaction commits."""
    body = validate_payload(event_type, version, payload)
    event_id = uuid.uuid4().hex
    row = {
        "id": event_id,
        "type": event_type,
        "version": version,
        "payload": json.dumps(body, sort_keys=True),
        "correlation_id": correlation_id.get(),
        "subject": subject,
        "seq": seq,
        "created_at": utcnow(),
        "relayed_at": None,
        "attempts": 0,
        "last_error": None,
    }
    # Not an object for the next flush, and not a statement of its own: the row is never read
    # back in the transaction that writes it and nothing refers to it, so it waits for the
    # transaction's next statement or its commit and goes in with the other rows waiting
    # (shared/writebehind.py). On PostgreSQL the same statement sends the NOTIFY that wakes the
    # relay at commit.
    component = session.info.get("component")
    channel = None
    if component and session.get_bind().dialect.name == "postgresql":
        channel = notify_channel(component)
    insert_later(session, outbox_model.__table__, row, notify=channel)
    return event_id


def envelope(row: Any, source: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "type": row.type,
        "version": row.version,
        "source": source,
        "occurred_at": row.created_at.isoformat(),
        "correlation_id": row.correlation_id,
        "subject": row.subject,
        "seq": row.seq,
        "payload": json.loads(row.payload),
    }


# What every job delivering events gets: RQ's retries, a timeout, how long results are kept.
_DELIVERY: dict[str, Any] = {
    "retry": JOB_RETRY,
    "timeout": JOB_TIMEOUT,
    "failure_ttl": FAILED_TTL,
    "result_ttl": 3600,
}


def _job_data(consumer: str, env: dict[str, Any]) -> Any:
    """What RQ needs to enqueue the job that delivers one event to one consumer."""
    return Queue.prepare_data(
        EVENT_JOB.format(consumer=consumer),
        (env,),
        job_id=f"evt-{env['id']}-{consumer}",
        meta={"correlation_id": env["correlation_id"]},
        description=f"{env['type']} {env['id']} -> {consumer}",
        **_DELIVERY,
    )


def enqueue_event(conn: redis.Redis, consumer: str, env: dict[str, Any]) -> None:
    """One RQ job per (event, consumer); the job id makes a re-send replace, not duplicate."""
    Queue(consumer, connection=conn).enqueue_many([_job_data(consumer, env)])


def _batch_job_data(consumer: str, envs: list[dict[str, Any]]) -> Any:
    """What RQ needs to enqueue the job that delivers a relay round's events to one consumer, in
    the order they were written. Its id follows from the events: the same round sent again
    (a crash between Redis and the commit) replaces the job instead of adding one."""
    digest = hashlib.blake2b("".join(env["id"] for env in envs).encode(), digest_size=10).hexdigest()
    return Queue.prepare_data(
        EVENTS_JOB.format(consumer=consumer),
        (envs,),
        job_id=f"evts-{consumer}-{digest}",
        meta={"correlation_id": envs[0]["correlation_id"], "events": len(envs)},
        description=f"{len(envs)} events {envs[0]['id']}..{envs[-1]['id']} -> {consumer}",
        **_DELIVERY,
    )


def enqueue_events(conn: redis.Redis, envs: list[dict[str, Any]]) -> int:
    """Many events to their consumers: per consumer **one** job carrying its events in order
    (`handle_events`, shared/jobs.py `apply_each`), all sent to Redis in one transaction
    (MULTI/EXEC, one round trip): all of them are queued or none. Returns how many deliveries
    (event, consumer) were queued. RQ's bookkeeping per job (a hash of a dozen fields, the
    queue, the registries) was most of the relay's cost per event when every event had a job of
    its own (issue 12); an event that fails in the batch gets a job of its own then."""
    by_consumer: dict[str, list[dict[str, Any]]] = {}
    for env in envs:
        for consumer in SUBSCRIBERS.get(env["type"], ()):
            by_consumer.setdefault(consumer, []).append(env)
    if not by_consumer:
        return 0
    pipe = conn.pipeline(transaction=True)
    for consumer, batch in by_consumer.items():
        Queue(consumer, connection=conn).enqueue_many([_batch_job_data(consumer, batch)], pipeline=pipe)
    pipe.execute()
    return sum(len(batch) for batch in by_consumer.values())


def _relay_lock_key(source: str) -> int:
    """A stable 32-bit key for PostgreSQL's advisory lock of one service's relay."""
    return zlib.crc32(f"instap-relay-{source}".encode())


RELAY_BATCH = 200
"""Outbox rows one relay transaction takes at most."""


def relay_pending(
    db: Database, outbox_model: type[Any], conn: redis.Redis, source: str, batch: int = RELAY_BATCH
) -> int:
    """Move unrelayed outbox rows to their consumers' queues; returns how many were relayed
    (fewer than `batch`: nothing else was waiting).

    The batch's jobs go to Redis in one transaction (`enqueue_events`); its rows are marked only
    after Redis accepted them, in the same transaction that read them, so a Redis outage leaves
    them pending (the oldest row counts the attempt) and a crash at worst re-sends (harmless:
    inboxes).
    In PostgreSQL only one relay of a service runs at a time (a transaction-scoped advisory
    lock), so rows leave in the order they were written; another worker's relay skips its turn.
    """
    with db.unit_of_work() as session:
        if db.is_postgres and not session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _relay_lock_key(source)}
        ):
            return 0
        query = (
            select(outbox_model)
            .where(outbox_model.relayed_at.is_(None))
            .order_by(outbox_model.created_at, outbox_model.seq, outbox_model.id)
            .limit(batch)
        )
        rows = session.scalars(query).all()
        if not rows:
            return 0
        try:
            # The whole batch in one Redis transaction: one round trip, not a few per event.
            enqueue_events(conn, [envelope(row, source) for row in rows])
        except redis.RedisError as exc:
            first = rows[0]  # nothing of the batch was queued: the oldest row waits first
            first.attempts += 1
            first.last_error = f"{type(exc).__name__}: {exc}"[:500]
            log.warning(
                "outbox relay paused: redis unavailable", extra={"event_id": first.id, "error": str(exc)}
            )
            return 0
        session.execute(
            update(outbox_model)
            .where(outbox_model.id.in_([row.id for row in rows]))
            .values(relayed_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    return len(rows)


def _lost_marker(source: str) -> str:
    """A Redis key the relay keeps: when it is gone, Redis lost its data (a restart without
    persistence, a flush) and with it queued jobs and the retries RQ had scheduled."""
    return f"instap:relay:{source}:kept"


def redeliver_if_redis_lost(
    db: Database, outbox_model: type[Any], conn: redis.Redis, source: str, window: timedelta
) -> int | None:
    """Scheduled retries that survive a Redis restart: the database, not Redis, is the record.
    When the relay's marker key is missing from Redis, every event relayed within `window` is
    sent again, in the order it was written (consumers' inboxes and subject sequences make a
    second delivery harmless), and the marker is set. Returns how many deliveries (event,
    consumer) were sent again, or None when Redis kept its data. One relay per service does this
    (the advisory lock). The events go as the relay sends them: per consumer one job for up to
    RELAY_BATCH of them."""
    marker = _lost_marker(source)
    if conn.exists(marker):
        return None
    sent = 0
    with db.unit_of_work() as session:
        if db.is_postgres and not session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _relay_lock_key(source)}
        ):
            return None
        if conn.exists(marker):  # another worker did it while this one waited
            return None
        query = (
            select(outbox_model)
            .where(outbox_model.relayed_at.is_not(None), outbox_model.relayed_at >= utcnow() - window)
            .order_by(outbox_model.created_at, outbox_model.seq, outbox_model.id)
        )
        batch: list[dict[str, Any]] = []
        for row in session.scalars(query).yield_per(RELAY_BATCH):
            batch.append(envelope(row, source))
            if len(batch) == RELAY_BATCH:
                sent += enqueue_events(conn, batch)
                batch = []
        if batch:
            sent += enqueue_events(conn, batch)
        conn.set(marker, utcnow().isoformat())
    if sent:
        log.warning(
            "redis lost its data: relayed events sent again", extra={"service": source, "deliveries": sent}
        )
    return sent


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
        query = (
            select(outbox_model)
            .where(outbox_model.payload != SCRUBBED)
            .order_by(outbox_model.created_at, outbox_model.id)
        )
        if event_types:
            query = query.where(outbox_model.type.in_(event_types))
        for row in session.scalars(query):
            enqueue_event(conn, consumer, envelope(row, source))
            count += 1
    return count


# --- scrubbing: delivered payloads do not keep personal data for ever (issue 7) ----------------

SCRUBBED = json.dumps({"scrubbed": True})
"""The payload of an event whose content was wiped; its type, subject, number and times stay."""
KEEP_TYPES = ("resident.erased",)
"""Events whose payload is kept: the fact that someone was erased is all that may remain."""


def scrub_subjects(session: Session, outbox_model: type[Any], subjects: Collection[str]) -> int:
    """Wipe every payload about these subjects at once (a resident was erased), delivered or
    not: an event not yet delivered is marked delivered, since the erasure that follows it
    supersedes it (consumers that keep state ignore older events of a subject anyway)."""
    if not subjects:
        return 0
    now = utcnow()
    result = session.execute(
        update(outbox_model)
        .where(
            outbox_model.subject.in_(list(subjects)),
            outbox_model.type.not_in(KEEP_TYPES),
            outbox_model.payload != SCRUBBED,
        )
        .values(payload=SCRUBBED, relayed_at=func.coalesce(outbox_model.relayed_at, now))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def scrub_delivered(
    db: Database, outbox_model: type[Any], retention_days: int, now: datetime | None = None
) -> int:
    """Wipe the payloads of events delivered more than `retention_days` ago
    (INSTAP_OUTBOX_RETENTION_DAYS); the worker's periodic hook calls it."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    with db.unit_of_work() as session:
        result = session.execute(
            update(outbox_model)
            .where(
                outbox_model.relayed_at.is_not(None),
                outbox_model.relayed_at < cutoff,
                outbox_model.type.not_in(KEEP_TYPES),
                outbox_model.payload != SCRUBBED,
            )
            .values(payload=SCRUBBED)
            .execution_options(synchronize_session=False)
        )
        count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        log.info("outbox payloads scrubbed", extra={"count": count, "retention_days": retention_days})
    return count


SCRUB_EVERY = timedelta(hours=1)


def scrub_when_due(ctx: Any, outbox_model: type[Any], now: datetime | None = None) -> int | None:
    """The periodic hook's part: `scrub_delivered` at most once an hour per process."""
    now = now or utcnow()
    last = ctx.extras.get("outbox_scrubbed_at")
    if last is not None and now - last < SCRUB_EVERY:
        return None
    ctx.extras["outbox_scrubbed_at"] = now
    return scrub_delivered(ctx.db, outbox_model, ctx.settings.outbox_retention_days, now)
