"""RQ jobs of the rapportage service: events into the fact store, and the monthly pack."""

from __future__ import annotations

import logging
from typing import Any

from services.rapportage.domain import packs
from services.rapportage.domain.facts import FactStore
from services.rapportage.models import InboxEvent
from shared.jobs import apply_once
from shared.runtime import ServiceContext, service_context

log = logging.getLogger(__name__)


def fact_store(ctx: ServiceContext) -> FactStore:
    store = ctx.extras.get("fact_store")
    if store is None:
        store = FactStore(ctx.settings.ensure_hash_key())
        ctx.extras["fact_store"] = store
    return store


def handle_event(env: dict[str, Any]) -> bool:
    """Entry point the outbox relay enqueues; any number of times, in any order (domain/facts.py
    keeps the newest state per subject itself, with keyed hashes as subjects)."""
    ctx = service_context()
    return apply_once(ctx.db, InboxEvent, env, fact_store(ctx).handlers())


def generate_pack(pack_id: int) -> dict[str, Any]:
    """Build one pack's documents and files (idempotent: a finished pack is not rebuilt)."""
    ctx = service_context()
    return packs.generate(ctx, pack_id)


def periodic(ctx: ServiceContext) -> None:
    """Called by the rapportage worker's loop: on (or after) the first of a month, the pack of
    the month before is requested once (its row is the state), and queued packs are enqueued."""
    packs.request_monthly(ctx)
    packs.enqueue_waiting(ctx)
