"""Valid objects for matching tests: candidates (as intake's events would make them), tasks, slots."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from services.matching.models import Candidate, Proposal
from shared import clock
from shared.db import Database, utcnow


def add_candidate(db: Database, programme_id: str, **overrides: Any) -> None:
    values: dict[str, Any] = dict(
        programme_id=programme_id,
        wijk="wielwijk",
        age_band="25-45",
        stage="intake",
        language_spoken="B1",
        language_written="A2",
        certificates=[{"code": "vca_basis", "valid_until": "2035-01-01"}],
        driving_licence=False,
        own_transport=True,
        hours_per_week=32,
        days=["ma", "di"],
        available_from=clock.today(),
        interests=["hulpmonteur_zonnepanelen"],
        skills=["gereedschap"],
        work_at_height=True,
        heavy_work=True,
        share_with_employer=True,
        share_with_trainer=True,
        coach_id=None,
        profile_updated_at=utcnow(),
    )
    values.update(overrides)
    with db.unit_of_work() as s:
        s.add(Candidate(**values))


def task_payload(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Hulpmonteur zonnepanelen Crabbehof",
        "occupation": "hulpmonteur_zonnepanelen",
        "corporation": "Trivire",
        "project": "Crabbehof – Leefbaar, Veilig en Duurzaam",
        "wijk": "crabbehof",
        "site": "Aert de Gelderstraat",
        "start_date": (clock.today() + timedelta(days=60)).isoformat(),
        "end_date": (clock.today() + timedelta(days=240)).isoformat(),
        "hours_per_week": 24,
        "places": 3,
        "contract_type": "bbl",
        "req_certificates": ["vca_basis"],
        "req_language_spoken": "A2",
        "req_language_written": None,
        "req_driving_licence": False,
        "req_work_at_height": True,
        "req_heavy_work": False,
        "skills": ["gereedschap"],
        "werkprocessen": ["B1-K1-W1"],
        "sroi_tag": "SROI-2027-014",
    }
    data.update(overrides)
    return data


def slot_payload(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Zonnepanelen en VCA",
        "occupations": ["hulpmonteur_zonnepanelen"],
        "grants": ["vca_basis", "praktijkverklaring"],
        "crebo": "25398",
        "werkprocessen": ["B1-K1-W1", "B1-K1-W2"],
        "start_date": (clock.today() + timedelta(days=7)).isoformat(),
        "weeks": 6,
        "seats": 10,
        "site": "De Beroepentuin, Dordrecht",
        "min_language_spoken": "A1",
        "vca_exam_included": True,
    }
    data.update(overrides)
    return data


def add_proposal(
    db: Database, programme_id: str, task_id: int, status: str = "coach_akkoord", coach_id: int | None = None
) -> int:
    with db.unit_of_work() as s:
        p = Proposal(
            programme_id=programme_id,
            opening_key=f"task:{task_id}",
            task_id=task_id,
            coach_id=coach_id,
            score=0.8,
            explanation={"skills": 0.4},
            explanation_nl="heeft VCA, woont in dezelfde wijk",
            status=status,
        )
        s.add(p)
        s.flush()
        return p.id


def card_pseudonym(app: Any, programme_id: str, task_id: int) -> str:
    """The pseudonym the task's organisation sees for this candidate (never the programme id)."""
    from services.matching.domain.pseudonyms import pseudonym
    from services.matching.models import Task
    from shared.runtime import service_context

    with app.app_context():
        key = service_context().settings.ensure_pseudonym_key()
        ctx_key = service_context().extras.setdefault("pseudonym_key", key)
        with app.extensions["instap"].db.unit_of_work() as s:
            task = s.get(Task, task_id)
            assert task is not None
            return pseudonym(ctx_key, task.organisation_id, f"task:{task_id}", programme_id)


def slot_pseudonym(app: Any, programme_id: str, slot_id: int) -> str:
    """The pseudonym the slot's organisation (the trainer) sees for this resident."""
    from services.matching.domain.pseudonyms import pseudonym
    from services.matching.models import TrainingSlot
    from shared.runtime import service_context

    with app.app_context():
        key = service_context().settings.ensure_pseudonym_key()
        ctx_key = service_context().extras.setdefault("pseudonym_key", key)
        with app.extensions["instap"].db.unit_of_work() as s:
            slot = s.get(TrainingSlot, slot_id)
            assert slot is not None
            return pseudonym(ctx_key, slot.organisation_id, f"slot:{slot_id}", programme_id)


def backdate_task(db: Database, task_id: int, start: date) -> None:
    """A task that started already (the API only takes start dates from today on)."""
    from services.matching.models import Task

    with db.unit_of_work() as s:
        task = s.get(Task, task_id)
        assert task is not None
        task.start_date = start
