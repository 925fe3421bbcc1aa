"""Helpers for RQ jobs: apply an event exactly once per consumer, in order per subject.

At-least-once delivery (RQ retries, relay re-sends, `instap outbox replay`) becomes exactly-once
effect through the inbox: the inbox row and the change commit together, and its primary key
refuses a second one. Events that carry *state* about a subject (a resident's profile and consent,
a proposal's status) are also applied in order: each carries the subject's sequence number, and
the consumer ignores an event older than what it already applied for that subject, so a late,
older event can never undo a newer one (issue 12). Events that are *facts* (history for reports)
are applied whatever their order: each is kept on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from rq import get_current_job
from rq.timeouts import JobTimeoutException
from sqlalchemy import Integer, String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.db import Database, UTCDateTime, utcnow
from shared.events import load_payload
from shared.logs import correlation_id, event_id
from shared.outbox import enqueue_event

log = logging.getLogger(__name__)

Handler = Callable[[Session, dict[str, Any], dict[str, Any]], None]


class SubjectProgressMixin:
    """Per subject, the highest sequence number a consumer has applied."""

    subject: Mapped[str] = mapped_column(String(60), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def _is_stale(session: Session, progress_model: type[Any], env: dict[str, Any]) -> bool:
    """True when a newer (or the same) event about this subject was applied already; else
    record this one as the newest. Locks the subject's row in PostgreSQL until commit, so two
    workers applying events of one subject take turns."""
    subject, seq = env.get("subject"), env.get("seq")
    if subject is None or seq is None:  # events written before subjects existed: no ordering
        return False
    progress = session.get(progress_model, subject, with_for_update=True)
    if progress is not None and progress.seq >= seq:
        return True
    if progress is None:
        session.add(progress_model(subject=subject, seq=seq, updated_at=utcnow()))
    else:
        progress.seq = seq
        progress.updated_at = utcnow()
    session.flush()
    return False


def apply_once(
    db: Database,
    inbox_model: type[Any],
    env: dict[str, Any],
    handlers: dict[str, Handler],
    *,
    progress_model: type[Any] | None = None,
    ordered: Collection[str] = (),
) -> bool:
    """Apply one delivered event in one transaction with its inbox row; False if it had no effect
    (seen before, no handler, or older than what was applied for its subject).

    `ordered` names the event types that carry state: those are checked against
    `progress_model` (a table with `SubjectProgressMixin`) and skipped when stale.
    """
    token = correlation_id.set(env.get("correlation_id") or "-")
    event_token = event_id.set(env["id"])
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
                if (
                    progress_model is not None
                    and env["type"] in ordered
                    and _is_stale(session, progress_model, env)
                ):
                    log.info(
                        "event skipped: a newer one about its subject was applied",
                        extra={"event_id": env["id"], "event_type": env["type"], "seq": env.get("seq")},
                    )
                    return False
                handler(session, payload, env)
        except IntegrityError:
            # Another worker applied the same event, or the first event of the same subject,
            # at the same moment: if it was this event, we are done; otherwise RQ retries.
            with db.unit_of_work() as session:
                if session.get(inbox_model, env["id"]) is not None:
                    return False
            raise
        log.info("event applied", extra={"event_id": env["id"], "event_type": env["type"]})
        return True
    finally:
        event_id.reset(event_token)
        correlation_id.reset(token)


def apply_each(envs: list[dict[str, Any]], apply: Callable[[dict[str, Any]], bool], consumer: str) -> int:
    """A relay round's events for one consumer (one RQ job, shared/outbox.py `enqueue_events`),
    applied in the order they were written, each by `apply` (e.g. `apply_once`: its own
    transaction and inbox row). An event that fails is queued again as a job of its own, with
    the usual retries, and the rest go on: one bad event neither holds up the others nor makes
    them run again. If it cannot be queued (Redis went away), this job fails and RQ runs it
    again later; the inbox makes the events already applied no-ops. Returns how many had an
    effect."""
    applied = 0
    failed: list[tuple[dict[str, Any], Exception]] = []
    for env in envs:
        try:
            applied += bool(apply(env))
        except JobTimeoutException:
            raise
        except Exception as exc:
            log.warning(
                "event failed in a batch: it gets a job of its own",
                extra={"event_id": env.get("id"), "event_type": env.get("type"), "error": type(exc).__name__},
            )
            failed.append((env, exc))
    if failed:
        job = get_current_job()
        if job is None:  # not in a worker (a test, a script): nowhere to queue it
            raise failed[0][1]
        for env, _exc in failed:
            enqueue_event(job.connection, consumer, env)
    return applied
