"""Many events in one transaction: the consumer's fast path (issue 10: keep up with 1,000 events/s).

`apply_once` (shared/jobs.py) applies one event per transaction; on PostgreSQL each commit waits
for the WAL flush and each event asks the database five or six small questions, so one worker
managed ~40 events/s. A batch keeps every guarantee of the per-event path and pays these costs
once per batch:

- the inbox rows of all its events are written in the same transaction as their facts, after one
  bulk check of which ids were applied before (a crash or rollback loses nothing, since nothing
  of the batch commits; a duplicate, within the batch or from an earlier one, has no effect);
- the rows its events touch (persons, proposals, enrolments, ...) are locked in one query per
  table, in key order (two batches take turns instead of deadlocking), and the tombstones and
  existing funnel steps of its persons are read in one query each (`facts.KNOWN`);
- then every event goes through the same handler as before, one by one, in delivery order: the
  handlers do not depend on order (facts.py), so the facts are the same as per event, and an
  erasure in the middle of a batch removes what came before it and drops what comes after.

If the batch cannot commit because another worker wrote one of its rows at the same moment
(a unique key), it is applied again event by event through `apply_once`, which sorts that out.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from services.rapportage.domain.facts import KNOWN, FactStore
from services.rapportage.models import (
    CertificateFact,
    EnrolmentFact,
    ErasedPerson,
    FollowUpFact,
    InboxEvent,
    Person,
    PlacementFact,
    ProposalFact,
    StageFact,
)
from shared.db import Database
from shared.events import load_payload
from shared.jobs import apply_once

log = logging.getLogger(__name__)

# event type -> (model of the state row, hash kind, payload field of its id)
STATE_ROWS: dict[str, tuple[type[Any], str, str]] = {
    "proposal.changed": (ProposalFact, "proposal", "proposal_id"),
    "enrolment.changed": (EnrolmentFact, "enrolment", "enrolment_id"),
    "certificate.changed": (CertificateFact, "certificate", "certificate_id"),
    "placement.changed": (PlacementFact, "placement", "placement_id"),
    "followup.recorded": (FollowUpFact, "followup", "followup_id"),
}
CHUNK = 500  # ids per IN (...): well under SQLite's and PostgreSQL's parameter limits


def _chunks(keys: list[str]) -> list[list[str]]:
    return [keys[i : i + CHUNK] for i in range(0, len(keys), CHUNK)]


def prefetch(session: Session, store: FactStore, events: list[tuple[dict[str, Any], Any]]) -> None:
    """Read and lock in bulk what the batch's handlers would otherwise ask one by one."""
    persons: set[str] = set()
    stage_persons: set[str] = set()
    state: dict[type[Any], set[str]] = {}
    for env, p in events:
        person = store.person(p["programme_id"])
        persons.add(person)
        if env["type"] == "stage.changed":
            stage_persons.add(person)
        elif env["type"] in STATE_ROWS:
            model, kind, field = STATE_ROWS[env["type"]]
            state.setdefault(model, set()).add(store.hash(kind, p[field]))
    known: dict[str, Any] = {
        "checked": set(persons),
        "erased": set(),
        "locked": set(),
        "rows": {},
        "stages_of": set(stage_persons),
        "stages": set(),
    }
    for chunk in _chunks(sorted(persons)):
        known["erased"].update(session.scalars(select(ErasedPerson.key).where(ErasedPerson.key.in_(chunk))))
    for chunk in _chunks(sorted(stage_persons)):
        rows = session.execute(
            select(StageFact.person, StageFact.to_stage, StageFact.changed_at).where(
                StageFact.person.in_(chunk)
            )
        )
        known["stages"].update((r.person, r.to_stage, r.changed_at) for r in rows)
    # Lock in one order (model, then key), like two per-event workers would take turns.
    order: list[tuple[type[Any], set[str]]] = [(Person, stage_persons)]
    order += sorted(state.items(), key=lambda kv: str(kv[0].__tablename__))
    for model, keys in order:
        for chunk in _chunks(sorted(keys)):
            for row in session.scalars(
                select(model).where(model.key.in_(chunk)).order_by(model.key).with_for_update()
            ):
                known["rows"][(model, row.key)] = row  # held here: the identity map is weak
            known["locked"].update((model, key) for key in chunk)
    session.info[KNOWN] = known


def apply_batch(db: Database, envelopes: list[dict[str, Any]], store: FactStore) -> int:
    """Apply delivered events in one transaction with their inbox rows; returns how many had an
    effect (the others were seen before, repeated within the batch, or have no handler).
    Raises when an event cannot be read (its payload does not validate): nothing is applied then."""
    handlers = store.handlers()
    todo: dict[str, dict[str, Any]] = {}
    for env in envelopes:
        if env["type"] in handlers:
            todo.setdefault(env["id"], env)
        else:
            log.info("event ignored: no handler", extra={"event_type": env["type"]})
    if not todo:
        return 0
    events = [(env, load_payload(env["type"], env["version"], env["payload"])) for env in todo.values()]
    try:
        with db.unit_of_work() as session:
            seen: set[str] = set()
            for chunk in _chunks(list(todo)):
                seen.update(
                    session.scalars(select(InboxEvent.event_id).where(InboxEvent.event_id.in_(chunk)))
                )
            fresh = [(env, p) for env, p in events if env["id"] not in seen]
            if not fresh:
                return 0
            session.add_all(InboxEvent(event_id=env["id"], type=env["type"]) for env, _ in fresh)
            session.flush()
            prefetch(session, store, fresh)
            for env, p in fresh:
                handlers[env["type"]](session, p, env)
            session.info.pop(KNOWN, None)
    except (IntegrityError, OperationalError) as exc:
        # Another worker applied one of these events, or created one of their rows, at the same
        # moment (or PostgreSQL broke a deadlock): event by event, each in its own transaction.
        log.warning("batch conflicted; applying its events one by one", extra={"error": type(exc).__name__})
        return sum(apply_once(db, InboxEvent, env, handlers) for env in todo.values())
    log.info("events applied", extra={"events": len(fresh), "duplicates": len(events) - len(fresh)})
    return len(fresh)
