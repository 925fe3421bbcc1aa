"""Scrape-time metrics of the matching worker: match runs by status, the last full run, overdue runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.matching.models import MatchRun
from shared.db import utcnow
from shared.states import RunStatus

STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.DONE, RunStatus.FAILED)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def run_state(session: Session) -> Iterator[GaugeMetricFamily]:
    """Yield the run metrics; read in the collector's transaction (see shared.metrics)."""
    by_status = GaugeMetricFamily(
        "instap_match_runs", "Match runs in the database, by status.", labels=["status"]
    )
    counts = dict(session.execute(select(MatchRun.status, func.count()).group_by(MatchRun.status)).all())
    for status in STATUSES:
        by_status.add_metric([status], counts.get(status, 0))
    yield by_status

    last_full = GaugeMetricFamily(
        "instap_match_last_full_run_finished_timestamp_seconds",
        "When the last full match run finished (Unix time; 0 when none has).",
    )
    finished = _aware(
        session.scalar(
            select(func.max(MatchRun.finished_at)).where(
                MatchRun.kind == "full", MatchRun.status == RunStatus.DONE
            )
        )
    )
    last_full.add_metric([], finished.timestamp() if finished else 0.0)
    yield last_full

    waiting = GaugeMetricFamily(
        "instap_match_run_oldest_unfinished_age_seconds",
        "Age of the oldest queued or running match run (0 when none).",
    )
    oldest = _aware(
        session.scalar(
            select(func.min(MatchRun.created_at)).where(
                MatchRun.status.in_((RunStatus.QUEUED, RunStatus.RUNNING))
            )
        )
    )
    waiting.add_metric([], (utcnow() - oldest).total_seconds() if oldest else 0.0)
    yield waiting
