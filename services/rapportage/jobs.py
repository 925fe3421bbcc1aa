"""RQ jobs of the rapportage service: events into the fact store, and the monthly pack."""

from __future__ import annotations

import logging
import multiprocessing
import queue
from typing import Any

import redis
from rq import get_current_job
from rq.job import Job
from rq.timeouts import JobTimeoutException

from services.rapportage.domain import packs
from services.rapportage.domain.consumer import apply_batch
from services.rapportage.domain.facts import FactStore
from services.rapportage.models import InboxEvent
from shared.app import build_context
from shared.config import Settings
from shared.events import load_payload
from shared.jobs import apply_each, apply_once
from shared.outbox import EVENT_JOB
from shared.runtime import ServiceContext, service_context, stop_requested

log = logging.getLogger(__name__)
BATCH = 500  # events per transaction at most (this job's own and up to 499 queued behind it)
OUR_EVENT_JOB = EVENT_JOB.format(consumer="rapportage")


def fact_store(ctx: ServiceContext) -> FactStore:
    store = ctx.extras.get("fact_store")
    if store is None:
        store = FactStore(ctx.settings.ensure_hash_key())
        ctx.extras["fact_store"] = store
    return store


def _readable(env: Any) -> bool:
    """Can this queued event join a batch? One that does not validate (e.g. a payload scrubbed
    after delivery) stays queued and fails in its own job, not in everyone's batch."""
    try:
        load_payload(env["type"], env["version"], env["payload"])
    except Exception:
        return False
    return True


def handle_event(env: dict[str, Any]) -> bool:
    """Entry point the outbox relay enqueues; any number of times, in any order (domain/facts.py
    keeps the newest state per subject itself, with keyed hashes as subjects).

    Run by a worker, the job takes the event jobs queued behind it along (up to BATCH events in
    all) and applies them in one transaction (domain/consumer.py). Only after that commit are
    those jobs taken off the queue, so a crash or a Redis outage in between leaves them queued:
    they run again and the inbox turns them into no-ops. A job another worker took meanwhile is
    not removed (LREM finds nothing) and is a no-op there. If the batch cannot be applied (an
    event that does not validate), this job's event is applied alone, as before, and the others
    stay queued for their own jobs.
    """
    ctx = service_context()
    store = fact_store(ctx)
    job = get_current_job()
    if job is None or BATCH <= 1:
        return apply_once(ctx.db, InboxEvent, env, store.handlers())
    conn = job.connection
    queue_key = f"rq:queue:{job.origin}"
    ids = dict.fromkeys(
        i.decode() if isinstance(i, bytes) else i for i in conn.lrange(queue_key, 0, BATCH - 2)
    )
    peers = [
        peer
        for peer in Job.fetch_many(list(ids), connection=conn)
        if peer is not None
        and peer.id != job.id
        and peer.func_name == OUR_EVENT_JOB
        and peer.args
        and _readable(peer.args[0])
    ]
    if not peers:
        return apply_once(ctx.db, InboxEvent, env, store.handlers())
    try:
        applied = apply_batch(ctx.db, [env, *(peer.args[0] for peer in peers)], store)
    except JobTimeoutException:  # RQ's limit on this job: not a bad batch, and it fires once
        raise
    except Exception as exc:  # its type only: a validation message may quote the payload
        log.warning("batch failed; applying this job's event alone", extra={"error": type(exc).__name__})
        return apply_once(ctx.db, InboxEvent, env, store.handlers())
    try:  # committed: their jobs are done (a re-sent event's job id may be queued twice)
        with conn.pipeline() as pipe:
            for peer in peers:
                pipe.lrem(queue_key, 0, peer.id)
            removed = pipe.execute()
        done = [peer.key for peer, n in zip(peers, removed, strict=True) if n]
        if done:
            conn.delete(*done)
    except redis.RedisError:  # Redis went away: they stay queued and run as no-ops later
        log.warning("could not take applied jobs off the queue", exc_info=True)
    log.info("event batch", extra={"events": len(peers) + 1, "applied": applied})
    return applied > 0


def handle_events(envs: list[dict[str, Any]]) -> int:
    """A relay round's events (one job per round, shared/outbox.py `enqueue_events`) in one
    transaction (domain/consumer.py). If the batch cannot be applied (an event that does not
    validate), its events are applied one by one, and one that fails gets a job of its own
    (shared.jobs.apply_each)."""
    ctx = service_context()
    store = fact_store(ctx)
    readable = [env for env in envs if _readable(env)]
    applied = 0
    if readable:
        try:
            applied = apply_batch(ctx.db, readable, store)
        except JobTimeoutException:  # RQ's limit on this job: not a bad batch, and it fires once
            raise
        except Exception as exc:  # its type only: a validation message may quote the payload
            log.warning("batch failed; applying its events one by one", extra={"error": type(exc).__name__})
            readable = []
    done = {id(env) for env in readable}
    rest = [env for env in envs if id(env) not in done]  # unreadable, or the batch failed
    handlers = store.handlers()
    applied += apply_each(rest, lambda env: apply_once(ctx.db, InboxEvent, env, handlers), "rapportage")
    log.info("event batch", extra={"events": len(envs), "applied": applied})
    return applied


def _generate_in_child(settings: Settings, pack_id: int, results: Any) -> None:
    ctx = build_context("rapportage", settings)
    try:
        results.put(packs.generate(ctx, pack_id))
    finally:
        ctx.close()


# Pack children are forked from a forkserver that has imported the generator once (per worker
# process): a spawned child re-imported the whole service (about 4 s of CPU) for every pack.
_FORKSERVER = multiprocessing.get_context("forkserver")
_FORKSERVER.set_forkserver_preload([__name__])


def generate_pack(pack_id: int) -> dict[str, Any]:
    """Build one pack's documents and files (idempotent: a finished pack is not rebuilt).

    The work (seconds of CPU: suppression, Excel, PDF) runs in a child process of its own: in the
    worker's process it would hold the GIL for seconds at a time, starving the relay thread and
    the Redis connection the worker needs for its heartbeat and the other jobs. This process only
    waits for the child (sleeping, the GIL free), and kills it if RQ's job timeout fires. The
    pack row is the state: a child that dies leaves it `running`/`failed`, and a retry rebuilds.
    When the worker is asked to stop, the build is broken off and the pack queued again (the next
    worker's loop enqueues it): a stop (Ctrl-C on `make run`, a deploy) does not wait seconds
    for a pack, nor is the worker killed with the pack left `running`.
    """
    ctx = service_context()
    results = _FORKSERVER.Queue()
    child = _FORKSERVER.Process(
        target=_generate_in_child, args=(ctx.settings, pack_id, results), name=f"pack-{pack_id}"
    )
    child.start()
    try:
        while True:
            try:
                result: dict[str, Any] = results.get(timeout=0.2)
                break
            except queue.Empty:
                if stop_requested.is_set():
                    child.kill()
                    child.join()
                    packs.requeue(ctx, pack_id)
                    log.info("pack build broken off: the worker stops", extra={"pack_id": pack_id})
                    return {"pack_id": pack_id, "status": "queued"}
                if not child.is_alive():
                    raise RuntimeError(f"pack {pack_id}: generator exited with {child.exitcode}") from None
        child.join(timeout=30)
        return result
    finally:
        if child.is_alive():
            child.kill()
            child.join()


def periodic(ctx: ServiceContext) -> None:
    """Called by the rapportage worker's loop: on (or after) the first of a month, the pack of
    the month before is requested once (its row is the state; RAPPORTAGE_MONTHLY_PACK=false
    switches this off), and queued packs are enqueued."""
    if ctx.settings.rapportage_monthly_pack:
        packs.request_monthly(ctx)
    packs.enqueue_waiting(ctx)
