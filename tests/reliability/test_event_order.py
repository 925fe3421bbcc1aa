"""Events about one subject reach their consumer in any order, any number of times: same end state.

RQ promises neither order nor exactly-once. Intake numbers every event about a resident, matching
every event about a proposal; a consumer that keeps state ignores what is older than what it has
applied (issue 12: an older `candidate.removed` arriving after a newer `candidate.upserted` made a
consenting resident disappear from matching for good).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from services.intake import jobs as intake_jobs
from services.intake.models import Introduction
from services.intake.models import OutboxEvent as IntakeOutbox
from services.matching import jobs as matching_jobs
from services.matching.models import Candidate, InboxEvent, MatchRun, SubjectProgress
from shared.db import Database
from shared.events import SUBSCRIBERS
from shared.jobs import apply_once
from shared.outbox import envelope
from tests.conftest import LoggedIn, resident_payload

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
RESIDENTS = "/intake/api/v1/residents"
IGNORED = {"received_at"}  # when a row was written, not what it says


def _consent(coach: LoggedIn, pid: str, purpose: str, give: bool = True) -> None:
    if give:
        body = {"purpose": purpose, "method": "schriftelijk", "info_version": "2026-01"}
        response = coach.post(f"{RESIDENTS}/{pid}/consents", json=body)
        assert response.status_code == 201, response.json
    else:
        assert coach.delete(f"{RESIDENTS}/{pid}/consents/{purpose}").status_code == 200


def _events_for(db: Database, consumer: str) -> list[dict[str, Any]]:
    with db.unit_of_work() as s:
        rows = s.scalars(select(IntakeOutbox).order_by(IntakeOutbox.created_at, IntakeOutbox.seq)).all()
        return [envelope(r, "intake") for r in rows if consumer in SUBSCRIBERS.get(r.type, ())]


def _apply(db: Database, env: dict[str, Any]) -> bool:
    return apply_once(
        db,
        InboxEvent,
        env,
        matching_jobs.HANDLERS,
        progress_model=SubjectProgress,
        ordered=matching_jobs.HANDLERS,
    )


def _snapshot(db: Database) -> list[dict[str, Any]]:
    with db.unit_of_work() as s:
        return [
            {c.key: getattr(row, c.key) for c in Candidate.__table__.columns if c.key not in IGNORED}
            for row in s.scalars(select(Candidate).order_by(Candidate.programme_id))
        ]


def _reset(db: Database) -> None:
    with db.unit_of_work() as s:
        for model in (Candidate, InboxEvent, SubjectProgress, MatchRun):
            s.execute(delete(model))


@pytest.fixture
def history(app: Any, matching_app: Any, make_user: Any) -> Iterator[tuple[Database, list[dict[str, Any]]]]:
    """A resident's real history in intake: consent given, shared, withdrawn, given again, and a
    second resident who withdraws for good; each step through the API."""
    coach = LoggedIn(app.test_client(), make_user("jobcoach"))
    stays = coach.post(RESIDENTS, json=resident_payload()).json["programme_id"]
    _consent(coach, stays, "registratie")
    _consent(coach, stays, "delen_werkgever")
    assert coach.post(f"{RESIDENTS}/{stays}/stages", json={"to_stage": "intake"}).status_code == 201
    _consent(coach, stays, "delen_werkgever", give=False)
    _consent(coach, stays, "delen_opleider")
    _consent(coach, stays, "delen_werkgever")
    leaves = coach.post(RESIDENTS, json=resident_payload(first_name="Bo")).json["programme_id"]
    _consent(coach, leaves, "registratie")
    _consent(coach, leaves, "delen_opleider")
    _consent(coach, leaves, "registratie", give=False)
    yield matching_app.extensions["instap"].db, _events_for(app.extensions["instap"].db, "matching")


@SQLITE
def test_every_event_about_a_resident_is_numbered_in_commit_order(history) -> None:
    _db, events = history
    by_subject: dict[str, list[int]] = {}
    for env in events:
        by_subject.setdefault(env["subject"], []).append(env["seq"])
    assert len(by_subject) == 2
    for seqs in by_subject.values():
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


@SQLITE
def test_an_older_removal_after_a_newer_profile_changes_nothing(history) -> None:
    """The case measured in issue 12: the resident who consents again stays in matching."""
    db, events = history
    mine = [e for e in events if e["subject"] == events[0]["subject"]]
    last_removal = max((e for e in mine if e["type"] == "candidate.removed"), key=lambda e: e["seq"])
    for env in mine:
        if env is not last_removal:
            _apply(db, env)
    assert _apply(db, last_removal) is False  # older than the profile already applied
    [candidate] = _snapshot(db)
    assert candidate["share_with_employer"] is True


@SQLITE
def test_any_order_with_repeats_ends_in_the_same_state(history) -> None:
    db, events = history
    for env in events:
        _apply(db, env)
    expected = _snapshot(db)
    assert len(expected) == 1  # the one who withdrew registratie is forgotten

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(order=st.permutations(events), repeats=st.lists(st.sampled_from(events), max_size=8))
    def shuffled(order: list[dict[str, Any]], repeats: list[dict[str, Any]]) -> None:
        _reset(db)
        for env in [*order, *repeats]:
            _apply(db, env)
        assert _snapshot(db) == expected

    shuffled()


@SQLITE
def test_an_older_accepted_status_never_grants_an_introduction_after_a_withdrawal(app) -> None:
    """proposal.changed into intake: 'aannemer_akkoord' (v2) delivered after 'ingetrokken' (v3)."""
    db = app.extensions["instap"].db

    def event(status: str, seq: int) -> dict[str, Any]:
        return {
            "id": f"evt{seq:029d}",
            "type": "proposal.changed",
            "version": 1,
            "source": "matching",
            "occurred_at": "2027-01-01T10:00:00+00:00",
            "correlation_id": "test",
            "subject": "proposal:7",
            "seq": seq,
            "payload": {
                "proposal_id": 7,
                "programme_id": "DW-NOBODY00",
                "status": status,
                "kind": "task",
                "opening_id": 3,
                "organisation_id": 5,
                "opening_title": "Hulpmonteur",
                "leads_to_task_id": None,
                "changed_at": "2027-01-01T10:00:00+00:00",
            },
        }

    from services.intake.models import InboxEvent as IntakeInbox
    from services.intake.models import SubjectProgress as IntakeProgress

    def deliver(env: dict[str, Any]) -> bool:
        return apply_once(
            db,
            IntakeInbox,
            env,
            intake_jobs.HANDLERS,
            progress_model=IntakeProgress,
            ordered=intake_jobs.HANDLERS,
        )

    assert deliver(event("ingetrokken", 3)) is True
    assert deliver(event("aannemer_akkoord", 2)) is False
    with db.unit_of_work() as s:
        assert s.scalars(select(Introduction)).all() == []
