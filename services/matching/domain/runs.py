"""Match runs: request, execute (idempotently), recover stuck ones; proposals are upserted."""

from __future__ import annotations

import logging
import threading
import time
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from services.matching import engine
from services.matching.domain import explain
from services.matching.domain.events import publish_proposal
from services.matching.domain.instance import Built, build
from services.matching.models import MatchRun, Proposal
from shared import clock
from shared.db import Database, utcnow
from shared.errors import Conflict
from shared.outbox import wake_worker
from shared.states import ProposalStatus, RunStatus

log = logging.getLogger(__name__)

RUN_KINDS = ("full", "candidate", "task", "slot")
MAX_ATTEMPTS = 3
ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)
# A running run writes its heartbeat this often; the reconciler presumes a run dead when the
# heartbeat is older than MATCHING_HEARTBEAT_STALE_SECONDS (30 s by default: six missed beats).
HEARTBEAT_SECONDS = 5.0
HEARTBEAT_STALE = timedelta(seconds=30)


def deadline_for(job_timeout_seconds: int) -> timedelta:
    """When a running run is presumed dead: after its job timeout, plus a margin for the
    worker to record the failure itself."""
    return timedelta(seconds=job_timeout_seconds * 1.2 + 5)


def request_run(session: Session, kind: str, scope: str | None, requested_by: str) -> MatchRun:
    """A new run row; an identical run that is still queued is reused (debounce)."""
    if kind not in RUN_KINDS:
        raise Conflict(f"onbekende soort ronde: {kind}")
    existing = session.scalar(
        select(MatchRun).where(
            MatchRun.kind == kind,
            MatchRun.scope.is_(None) if scope is None else MatchRun.scope == scope,
            MatchRun.status == RunStatus.QUEUED,
        )
    )
    if existing is not None:
        return existing
    run = MatchRun(
        kind=kind,
        scope=scope,
        status=RunStatus.QUEUED,
        requested_by=requested_by,
        created_at=utcnow(),
        counts={},
        timings={},
    )
    session.add(run)
    session.flush()
    wake_worker(session)  # the reconciler enqueues it as soon as this commits
    return run


DECIDED_AGAINST = (ProposalStatus.COACH_AFGEWEZEN, ProposalStatus.AANNEMER_AFGEWEZEN)


def consent_filter(built: Built, session: Session | None = None) -> Any:
    """Arc mask: tasks need consent to share with employers, trainings with trainers; a pair
    somebody already said no to is never proposed again."""
    residents = built.instance["residents"]
    openings = built.instance["openings"]
    n_op = max(1, len(openings))
    rejected = np.array([], dtype=np.int64)
    if session is not None and residents:
        r_index = {r["id"]: i for i, r in enumerate(residents)}
        o_index = {o["id"]: j for j, o in enumerate(openings)}
        pairs = session.execute(
            select(Proposal.programme_id, Proposal.opening_key).where(Proposal.status.in_(DECIDED_AGAINST))
        ).all()
        rejected = np.array(
            [r_index[pid] * n_op + o_index[key] for pid, key in pairs if pid in r_index and key in o_index],
            dtype=np.int64,
        )
    employer = np.array([built.candidates[r["id"]].share_with_employer for r in residents], dtype=bool)
    trainer = np.array([built.candidates[r["id"]].share_with_trainer for r in residents], dtype=bool)
    is_task = np.array([o["kind"] == "task" for o in openings], dtype=bool)

    def allow(arcs: engine.Arcs) -> np.ndarray:
        on_task = is_task[arcs.opening]
        ok = np.where(on_task, employer[arcs.resident], trainer[arcs.resident])
        # A pathway ends at a task: the employer will see the candidate later, so both.
        ok &= (arcs.leads_to < 0) | employer[arcs.resident]
        if rejected.size:
            ok &= ~np.isin(arcs.resident * n_op + arcs.opening, rejected)
        return ok

    return allow


def _claim(db: Database, run_id: int, deadline: timedelta) -> int | None:
    """Mark a queued (or recovered) run as running; its attempt number (the fencing token: only
    the worker holding the current attempt may finish it), or None if another worker has it or
    it is done."""
    with db.unit_of_work() as s:
        now = utcnow()
        claimed = s.execute(
            update(MatchRun)
            .where(MatchRun.id == run_id, MatchRun.status == RunStatus.QUEUED)
            .values(
                status=RunStatus.RUNNING,
                started_at=now,
                heartbeat_at=now,
                deadline_at=now + deadline,
                attempts=MatchRun.attempts + 1,
                progress=5,
                error=None,
            )
            .returning(MatchRun.attempts)
        ).scalar_one_or_none()
        return None if claimed is None else int(claimed)


class RunLost(Exception):
    """The run was released while this worker ran it (its heartbeat looked dead): another
    attempt owns it now, so this one stores nothing."""


class Heartbeat(threading.Thread):
    """While a worker runs a match run, writes the run's heartbeat and progress every `every`
    seconds (and at once when the progress changes), in its own short transactions. The
    reconciler releases a running run whose heartbeat is older than
    MATCHING_HEARTBEAT_STALE_SECONDS: its worker died (SIGKILL, out of memory, lost host)."""

    def __init__(self, db: Database, run_id: int, attempt: int, every: float = HEARTBEAT_SECONDS):
        super().__init__(name=f"heartbeat-run-{run_id}", daemon=True)
        self.db = db
        self.run_id = run_id
        self.attempt = attempt
        self.every = every
        self.progress = 5
        self.timings: dict[str, float] = {}
        self._wake = threading.Event()
        self._stopped = threading.Event()

    def advance(self, progress: int, **timings: float) -> None:
        """The run reached a new stage: written now, not at the next beat."""
        self.progress = progress
        self.timings.update({k: round(v, 4) for k, v in timings.items()})
        self._wake.set()

    def run(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(self.every)
            self._wake.clear()
            if self._stopped.is_set():
                return
            self.beat()

    def beat(self) -> None:
        try:
            with self.db.unit_of_work() as s:
                s.execute(
                    update(MatchRun)
                    .where(
                        MatchRun.id == self.run_id,
                        MatchRun.status == RunStatus.RUNNING,
                        MatchRun.attempts == self.attempt,
                    )
                    .values(heartbeat_at=utcnow(), progress=self.progress)
                )
        except Exception:  # a missed beat is no failure; several in a row mean a dead run anyway
            log.warning("run heartbeat not written", extra={"run_id": self.run_id}, exc_info=True)

    def stop(self, *, wait: bool = True) -> None:
        """Stop beating. Inside the run's own transaction, do not wait: a beat may be waiting
        for a lock that transaction holds (its UPDATE then finds the run finished and does
        nothing)."""
        self._stopped.set()
        self._wake.set()
        if wait and self.is_alive() and self is not threading.current_thread():
            self.join(timeout=10)


def _scope(run: MatchRun) -> dict[str, Any]:
    if run.kind == "candidate":
        return {"candidate_ids": [run.scope]}
    if run.kind == "task":
        return {"task_ids": [int(run.scope or 0)]}
    if run.kind == "slot":
        return {"slot_ids": [int(run.scope or 0)]}
    return {}


def execute(
    db: Database,
    run_id: int,
    today: date | None = None,
    deadline: timedelta = timedelta(minutes=10),
    *,
    heartbeat_every: float = HEARTBEAT_SECONDS,
) -> MatchRun | None:
    """Run the engine for one run row. Safe to call twice: a finished run is not redone, and
    proposals are upserted on (candidate, opening), so a retry never duplicates one. A worker
    whose run was released meanwhile (its heartbeat looked dead) stores nothing (RunLost)."""
    attempt = _claim(db, run_id, deadline)
    if attempt is None:
        log.info("run not claimable (done or taken)", extra={"run_id": run_id})
        return None
    heartbeat = Heartbeat(db, run_id, attempt, heartbeat_every)
    heartbeat.start()
    today = today or clock.today()
    t0 = time.perf_counter()
    try:
        with db.unit_of_work() as s:
            run = s.get(MatchRun, run_id)
            assert run is not None
            built = build(s, today, **_scope(run))
            t1 = time.perf_counter()
            heartbeat.advance(30, build=t1 - t0)
            counts: dict[str, int] = {
                "candidates": len(built.candidates),
                "openings": len(built.instance["openings"]),
            }
            created = kept = withdrawn = 0
            if built.candidates and built.instance["openings"]:
                result = engine.match(engine.parse_match(built.instance), allow=consent_filter(built, s))
                t2 = time.perf_counter()
                heartbeat.advance(70, engine=t2 - t1)
                created, kept = _upsert(s, run, built, result.assignments)
                counts["assigned"] = result.assigned
                timings = {"build": t1 - t0, "engine": t2 - t1, "store": time.perf_counter() - t2}
            else:
                timings = {"build": t1 - t0}
            if run.kind == "full":
                withdrawn = _withdraw_stale(s, run)
            heartbeat.stop(wait=False)  # from here the commit ends the run
            # The fence: lock the run row and check that this attempt still owns it. A run
            # released meanwhile (and perhaps running elsewhere) is not finished twice.
            s.refresh(run, with_for_update=True)
            if run.status != RunStatus.RUNNING or run.attempts != attempt:
                raise RunLost(f"run {run_id} attempt {attempt} was released")
            counts.update(created=created, kept=kept, withdrawn=withdrawn)
            run.counts = counts
            run.timings = {k: round(v, 4) for k, v in timings.items()}
            run.status = RunStatus.DONE
            run.progress = 100
            run.finished_at = utcnow()
            run.heartbeat_at = run.finished_at
            return run
    except RunLost:
        log.warning("run released while running; this attempt stores nothing", extra={"run_id": run_id})
        return None
    except Exception as exc:
        with db.unit_of_work() as s:
            run = s.get(MatchRun, run_id, with_for_update=True)
            if run is not None and run.status == RunStatus.RUNNING and run.attempts == attempt:
                run.error = f"{type(exc).__name__}: {exc}"[:1000]
                # Back to the queue for RQ's retry, unless attempts are used up.
                run.status = RunStatus.QUEUED if run.attempts < MAX_ATTEMPTS else RunStatus.FAILED
                run.finished_at = utcnow() if run.status == RunStatus.FAILED else None
        raise
    finally:
        heartbeat.stop()


def _upsert(s: Session, run: MatchRun, built: Built, assignments: list[engine.Assignment]) -> tuple[int, int]:
    existing = {
        (p.programme_id, p.opening_key): p
        for p in s.scalars(
            select(Proposal).where(Proposal.programme_id.in_([a.resident for a in assignments]))
        )
    }
    created = kept = 0
    new: list[tuple[Proposal, Any]] = []
    for a in assignments:
        cand = built.candidates[a.resident]
        key = (a.resident, a.opening)
        proposal = existing.get(key)
        if proposal is not None:
            if proposal.status == ProposalStatus.VOORGESTELD:
                proposal.score = a.score
                proposal.explanation = a.explanation or {}
                proposal.run_id = run.id
            elif proposal.status == ProposalStatus.INGETROKKEN:
                proposal.status = ProposalStatus.VOORGESTELD
                proposal.run_id = run.id
                publish_proposal(s, proposal)
            kept += 1
            continue
        task = built.tasks.get(a.opening)
        slot = built.slots.get(a.opening)
        leads_to = built.tasks.get(a.leads_to) if a.leads_to else None
        text = explain.for_task(cand, task) if task else explain.for_slot(cand, slot, leads_to)
        proposal = Proposal(
            run_id=run.id,
            programme_id=a.resident,
            opening_key=a.opening,
            task_id=task.id if task else None,
            slot_id=slot.id if slot else None,
            leads_to_task_id=leads_to.id if leads_to else None,
            coach_id=cand.coach_id,
            score=a.score,
            explanation=a.explanation or {},
            explanation_nl=text,
            status=ProposalStatus.VOORGESTELD,
            version=1,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        s.add(proposal)
        new.append((proposal, task or slot))
        created += 1
    s.flush()  # one round trip for all new rows; their ids go into the events
    for proposal, opening in new:
        publish_proposal(s, proposal, opening, new=True)
    return created, kept


def _withdraw_stale(s: Session, run: MatchRun) -> int:
    """A full run replaces earlier suggestions nobody acted on yet."""
    ids = list(
        s.scalars(
            select(Proposal.id).where(
                Proposal.status == ProposalStatus.VOORGESTELD, Proposal.run_id != run.id
            )
        )
    )
    if not ids:
        return 0
    # Conditional: a coach who accepted one of these a moment ago keeps the acceptance.
    changed = (
        s.execute(
            update(Proposal)
            .where(Proposal.id.in_(ids), Proposal.status == ProposalStatus.VOORGESTELD)
            .values(status=ProposalStatus.INGETROKKEN, coach_reason="nieuwe_ronde", updated_at=utcnow())
            .returning(Proposal.id)
        )
        .scalars()
        .all()
    )
    for proposal in s.scalars(select(Proposal).where(Proposal.id.in_(changed))):
        publish_proposal(s, proposal)
    return len(changed)


def stuck_runs(s: Session, now: datetime, stale: timedelta = HEARTBEAT_STALE) -> list[MatchRun]:
    """Runs whose worker died: still 'running' with a heartbeat older than `stale`, or past
    their deadline (a worker that beats but never finishes)."""
    return list(
        s.scalars(
            select(MatchRun).where(
                MatchRun.status == RunStatus.RUNNING,
                (func.coalesce(MatchRun.heartbeat_at, MatchRun.started_at) < now - stale)
                | (MatchRun.deadline_at < now),
            )
        )
    )


def release(s: Session, run: MatchRun) -> bool:
    """Put a stuck run back in the queue (or fail it after MAX_ATTEMPTS). Conditional on the
    attempt the reconciler saw, so a run that finished meanwhile stays finished; True if done."""
    give_up = run.attempts >= MAX_ATTEMPTS
    values: dict[str, Any] = (
        {
            "status": RunStatus.FAILED,
            "error": (run.error or "") + " | opgegeven na te veel pogingen",
            "finished_at": utcnow(),
        }
        if give_up
        else {"status": RunStatus.QUEUED, "deadline_at": None}
    )
    changed = s.execute(
        update(MatchRun)
        .where(MatchRun.id == run.id, MatchRun.status == RunStatus.RUNNING, MatchRun.attempts == run.attempts)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount == 1:
        s.expire(run)
        return True
    return False
