"""RQ jobs of the matching service: events from intake, match runs, and the reconciler."""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from services.matching.domain import enrolments, proposals, runs
from services.matching.models import (
    Candidate,
    Certificate,
    Enrolment,
    Erasure,
    InboxEvent,
    MatchRun,
    OutboxEvent,
    Placement,
    Proposal,
    SubjectProgress,
)
from shared import clock
from shared.db import Database, utcnow
from shared.jobs import apply_each, apply_once
from shared.metrics import observe_match_run
from shared.outbox import scrub_subjects, scrub_when_due
from shared.runtime import service_context
from shared.states import RunStatus

log = logging.getLogger(__name__)

RUN_JOB = "services.matching.jobs.run_match"
RUN_TIMEOUT = 600


def _upsert_candidate(session: Session, p: dict[str, Any], _env: dict[str, Any]) -> None:
    if session.get(Erasure, p["programme_id"]) is not None:
        return  # erased: nothing about the person comes back, whatever arrives late
    candidate = proposals.lock_candidate(session, p["programme_id"])
    if candidate is not None and candidate.profile_updated_at >= p["updated_at"]:
        return  # a newer profile, withdrawal or removal is already here (events can overtake)
    if candidate is None:
        candidate = Candidate(programme_id=p["programme_id"])
        session.add(candidate)
    candidate.wijk = p["wijk"]
    candidate.pc4 = p.get("pc4")
    candidate.age_band = p["age_band"]
    candidate.stage = p["stage"]
    candidate.language_spoken = p["language"].get("spoken")
    candidate.language_written = p["language"].get("written")
    candidate.certificates = [
        {"code": c["code"], "valid_until": c["valid_until"].isoformat() if c.get("valid_until") else None}
        for c in p["certificates"]
    ]
    candidate.driving_licence = p["driving_licence"]
    candidate.own_transport = p["own_transport"]
    candidate.hours_per_week = p.get("hours_per_week")
    candidate.days = p["days"]
    candidate.available_from = p.get("available_from")
    candidate.interests = p["interests"]
    candidate.skills = p["skills"]
    candidate.work_at_height = p["work_at_height"]
    candidate.heavy_work = p["heavy_work"]
    candidate.share_with_employer = bool(p["consent"].get("delen_werkgever"))
    candidate.share_with_trainer = bool(p["consent"].get("delen_opleider"))
    candidate.coach_id = p.get("coach_id")
    candidate.profile_updated_at = p["updated_at"]
    candidate.removed_at = None
    session.flush()
    # A reassigned resident's open proposals move to the new coach.
    proposals.set_coach(session, candidate.programme_id, candidate.coach_id)
    enrolments.set_coach(session, candidate.programme_id, candidate.coach_id)
    if not candidate.share_with_employer:
        proposals.withdraw_for_candidate(
            session, candidate.programme_id, "toestemming_ingetrokken", "employer"
        )
    if not candidate.share_with_trainer:
        proposals.withdraw_for_candidate(
            session, candidate.programme_id, "toestemming_ingetrokken", "trainer"
        )
        enrolments.end_for_candidate(session, candidate.programme_id, "toestemming_ingetrokken")
    # Debounced incremental run: the reconciler enqueues it a few seconds later, so a burst
    # of changes to one candidate makes one run.
    runs.request_run(session, "candidate", candidate.programme_id, "wijziging")


def _forget(session: Session, programme_id: str, reason: str) -> None:
    """The resident may no longer be shared (consent withdrawn, left): their proposals stop
    and matching forgets the profile. Nothing is kept to stop an older profile from coming
    back: the resident's event sequence (SubjectProgress) already makes any older event stale."""
    proposals.lock_candidate(session, programme_id)
    proposals.withdraw_for_candidate(session, programme_id, reason[:40], "all")
    # Running enrolments end too (completed ones and their certificates stay: they are the
    # resident's). "gestopt" and "gewist" keep their own reason; anything else is a withdrawal.
    enrolments.end_for_candidate(session, programme_id, reason)
    session.execute(delete(Candidate).where(Candidate.programme_id == programme_id))


def _remove_candidate(session: Session, p: dict[str, Any], _env: dict[str, Any]) -> None:
    _forget(session, p["programme_id"], p.get("reason", "gewist"))


def _erase(session: Session, p: dict[str, Any], _env: dict[str, Any]) -> None:
    """Right to erasure: nothing about the person stays but the fact that they were erased."""
    pid = p["programme_id"]
    proposals.lock_candidate(session, pid)
    proposal_ids = [
        f"proposal:{i}" for i in session.scalars(select(Proposal.id).where(Proposal.programme_id == pid))
    ]
    # Placements, enrolments and certificates published the programme id too.
    for prefix, model in (("placement", Placement), ("enrolment", Enrolment), ("certificate", Certificate)):
        proposal_ids += [
            f"{prefix}:{i}" for i in session.scalars(select(model.id).where(model.programme_id == pid))
        ]
    # Running enrolments end (seat given back); completed ones and certificates are the
    # resident's own record and stay, without a link to a deleted proposal.
    enrolments.end_for_candidate(session, pid, "gewist")
    proposals.erase_for_candidate(session, pid)
    session.execute(delete(Candidate).where(Candidate.programme_id == pid))
    # Runs asked for this candidate name them; their scope goes (a queued one has nothing to do).
    session.execute(
        delete(MatchRun).where(
            MatchRun.kind == "candidate", MatchRun.scope == pid, MatchRun.status == "queued"
        )
    )
    session.execute(
        update(MatchRun)
        .where(MatchRun.kind == "candidate", MatchRun.scope == pid, MatchRun.status.in_(("done", "failed")))
        .values(scope=None)
    )
    # What matching told others about the person's proposals (programme id, where proposed).
    scrub_subjects(session, OutboxEvent, proposal_ids)
    if session.get(Erasure, pid) is None:
        session.add(Erasure(programme_id=pid, erased_at=p["erased_at"]))


def _consent_changed(session: Session, p: dict[str, Any], _env: dict[str, Any]) -> None:
    # Withdrawal takes effect at once, even before the next profile event arrives. The candidate
    # row is locked first: an accept in flight either commits before (and is ended here) or
    # finds the consent gone in its own conditional write (domain/proposals.py may_share).
    if p["active"]:
        return
    candidate = proposals.lock_candidate(session, p["programme_id"])
    if candidate is None:
        return
    pid = candidate.programme_id
    if p["purpose"] == "delen_werkgever":
        candidate.share_with_employer = False
        proposals.withdraw_for_candidate(session, pid, "toestemming_ingetrokken", "employer")
    elif p["purpose"] == "delen_opleider":
        candidate.share_with_trainer = False
        proposals.withdraw_for_candidate(session, pid, "toestemming_ingetrokken", "trainer")
        enrolments.end_for_candidate(session, pid, "toestemming_ingetrokken")
    elif p["purpose"] == "registratie":
        _forget(session, pid, "toestemming_ingetrokken")
        return
    candidate.profile_updated_at = max(candidate.profile_updated_at, p["changed_at"])


HANDLERS = {
    "candidate.upserted": _upsert_candidate,
    "candidate.removed": _remove_candidate,
    "resident.erased": _erase,
    "consent.changed": _consent_changed,
}


def handle_event(env: dict[str, Any]) -> bool:
    """Entry point the outbox relay enqueues; safe to run any number of times."""
    ctx = service_context()
    # All of intake's events about a resident carry state: apply them in the resident's order.
    return apply_once(ctx.db, InboxEvent, env, HANDLERS, progress_model=SubjectProgress, ordered=HANDLERS)


def handle_events(envs: list[dict[str, Any]]) -> int:
    """A relay round's events for matching, in the order written (shared.jobs.apply_each)."""
    return apply_each(envs, handle_event, "matching")


def enqueue_run(conn: Any, run_id: int, timeout: int = RUN_TIMEOUT, delay: int = 0) -> None:
    """One RQ job per run row; the fixed job id makes a second enqueue a no-op.

    `timeout` is the run deadline (MATCHING_RUN_DEADLINE_SECONDS): RQ stops a job that runs
    longer, so a run the reconciler finds 'running' past its deadline (plus a margin) has
    really lost its worker and is never run twice at the same time."""
    queue = Queue("matching", connection=conn)
    kwargs: dict[str, Any] = dict(
        job_id=f"run-{run_id}",
        job_timeout=timeout,
        retry=Retry(max=2, interval=[10, 60]),
        failure_ttl=7 * 24 * 3600,
        result_ttl=3600,
        description=f"match run {run_id}",
    )
    if delay:
        queue.enqueue_in(timedelta(seconds=delay), RUN_JOB, run_id, **kwargs)
    else:
        queue.enqueue(RUN_JOB, run_id, **kwargs)


def run_match(run_id: int) -> dict[str, Any]:
    """Execute one match run (idempotent: a finished run is not redone)."""
    ctx = service_context()
    run = runs.execute(ctx.db, run_id, deadline=runs.deadline_for(ctx.settings.matching_run_deadline_seconds))
    if run is not None:
        observe_match_run(run.kind, run.started_at, run.finished_at, int(run.counts.get("assigned", 0)))
    return {"run_id": run_id, "status": run.status if run else "skipped", "counts": run.counts if run else {}}


def _job_alive(conn: Any, run_id: int) -> bool:
    try:
        job = Job.fetch(f"run-{run_id}", connection=conn)
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) in (
        JobStatus.QUEUED,
        JobStatus.SCHEDULED,
        JobStatus.STARTED,
        JobStatus.DEFERRED,
    )


def _forget_job(conn: Any, run_id: int) -> None:
    """Drop a dead worker's job so the run can be enqueued again under the same id."""
    with contextlib.suppress(NoSuchJobError):
        Job.fetch(f"run-{run_id}", connection=conn).delete()


def reconcile(db: Database, conn: Any, settings: Any, now: datetime | None = None) -> dict[str, Any]:
    """Keep runs moving: re-enqueue runs whose heartbeat stopped or that are past their
    deadline (their worker died: recovered within about half a minute), enqueue
    queued runs that have settled (debounce), and request the nightly full run once a day.
    The database knows which runs are unfinished; Redis may have lost or kept stale jobs."""
    now = now or utcnow()
    debounce = timedelta(seconds=settings.matching_debounce_seconds)
    stale = timedelta(seconds=settings.matching_heartbeat_stale_seconds)
    released: list[int] = []
    with db.unit_of_work() as s:
        for run in runs.stuck_runs(s, now, stale):
            if runs.release(s, run):
                released.append(run.id)
        ready = [
            r.id
            for r in s.scalars(
                select(MatchRun).where(
                    MatchRun.status == RunStatus.QUEUED,
                    (MatchRun.kind == "full") | (MatchRun.created_at <= now - debounce),
                )
            )
        ]
    for run_id in released:
        _forget_job(conn, run_id)
    enqueued = []
    timeout = settings.matching_run_deadline_seconds
    for run_id in ready:
        if not _job_alive(conn, run_id):
            enqueue_run(conn, run_id, timeout)
            enqueued.append(run_id)
    nightly = None
    local = clock.local_now(now)
    if 0 <= settings.matching_nightly_hour <= local.hour:
        with db.unit_of_work() as s:
            last_full = s.scalar(
                select(MatchRun.created_at)
                .where(MatchRun.kind == "full")
                .order_by(MatchRun.created_at.desc())
                .limit(1)
            )
            if last_full is None or last_full.astimezone(local.tzinfo).date() < local.date():
                nightly = runs.request_run(s, "full", None, "nachtelijke ronde").id
        if nightly is not None:
            enqueue_run(conn, nightly, timeout)
    return {"released": released, "enqueued": enqueued, "nightly": nightly}


def periodic(ctx: Any) -> None:
    """Called by the matching worker's background loop."""
    reconcile(ctx.db, ctx.redis, ctx.settings)
    scrub_when_due(ctx, OutboxEvent)
