"""Organisations' supply: entry tasks (aannemer) and training slots (opleider), own rows only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from services.matching.domain.proposals import withdraw_for_opening
from services.matching.models import Task, TrainingSlot
from shared.auth.accounts import Principal
from shared.auth.roles import AANNEMER, BEHEERDER, JOBCOACH, OPLEIDER, PROGRAMMABUREAU
from shared.db import utcnow
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.states import OpeningStatus

READERS = (JOBCOACH, PROGRAMMABUREAU, BEHEERDER)


def _scope(query: Select, model: Any, principal: Principal, owner_role: str) -> Select:
    if principal.role == owner_role:
        return query.where(model.organisation_id == principal.organisation_id)
    if principal.role in READERS:
        return query
    raise Forbidden("U heeft met uw rol geen toegang tot deze gegevens.")


def tasks_query(principal: Principal) -> Select:
    return _scope(select(Task), Task, principal, AANNEMER)


def slots_query(principal: Principal) -> Select:
    return _scope(select(TrainingSlot), TrainingSlot, principal, OPLEIDER)


def get_task(session: Session, principal: Principal, task_id: int) -> Task:
    task = session.scalar(tasks_query(principal).where(Task.id == task_id))
    if task is None:
        raise NotFound("Deze taak is niet gevonden.")
    return task


def get_slot(session: Session, principal: Principal, slot_id: int) -> TrainingSlot:
    slot = session.scalar(slots_query(principal).where(TrainingSlot.id == slot_id))
    if slot is None:
        raise NotFound("Deze opleidingsplek is niet gevonden.")
    return slot


def _check_dates(data: dict[str, Any], start: Any, end: Any) -> None:
    if start and end and end < start:
        raise Invalid(
            "Niet alle gegevens zijn goed ingevuld.", {"end_date": ["De einddatum ligt voor de startdatum."]}
        )


def create_task(session: Session, principal: Principal, data: dict[str, Any]) -> Task:
    if principal.role != AANNEMER:
        raise Forbidden("Alleen een aannemer plaatst instaptaken.")
    _check_dates(data, data.get("start_date"), data.get("end_date"))
    task = Task(
        organisation_id=principal.organisation_id,
        filled=0,
        status=OpeningStatus.OPEN,
        created_at=utcnow(),
        updated_at=utcnow(),
        **data,
    )
    session.add(task)
    session.flush()
    return task


def update_task(session: Session, principal: Principal, task: Task, data: dict[str, Any]) -> Task:
    if principal.role != AANNEMER:
        raise Forbidden("Alleen de aannemer van deze taak kan haar wijzigen.")
    if task.status != OpeningStatus.OPEN:
        raise Conflict("Een gesloten taak kan niet meer worden gewijzigd.")
    _check_dates(data, data.get("start_date", task.start_date), data.get("end_date", task.end_date))
    if "places" in data and data["places"] < task.filled:
        raise Conflict(f"Er zijn al {task.filled} plaatsen vergeven; minder kan niet.")
    for key, value in data.items():
        setattr(task, key, value)
    task.updated_at = utcnow()
    session.flush()
    return task


def close_task(session: Session, principal: Principal, task: Task) -> Task:
    if principal.role != AANNEMER:
        raise Forbidden("Alleen de aannemer van deze taak kan haar sluiten.")
    withdraw_for_opening(session, task_id=task.id)
    task.status = OpeningStatus.GESLOTEN
    task.updated_at = utcnow()
    return task


def create_slot(session: Session, principal: Principal, data: dict[str, Any]) -> TrainingSlot:
    if principal.role != OPLEIDER:
        raise Forbidden("Alleen de opleider plaatst opleidingsplekken.")
    slot = TrainingSlot(
        organisation_id=principal.organisation_id,
        filled=0,
        status=OpeningStatus.OPEN,
        created_at=utcnow(),
        updated_at=utcnow(),
        **data,
    )
    session.add(slot)
    session.flush()
    return slot


def update_slot(
    session: Session, principal: Principal, slot: TrainingSlot, data: dict[str, Any]
) -> TrainingSlot:
    if principal.role != OPLEIDER:
        raise Forbidden("Alleen de opleider van deze plek kan haar wijzigen.")
    if slot.status != OpeningStatus.OPEN:
        raise Conflict("Een gesloten opleidingsplek kan niet meer worden gewijzigd.")
    if "seats" in data and data["seats"] < slot.filled:
        raise Conflict(f"Er zijn al {slot.filled} plekken vergeven; minder kan niet.")
    for key, value in data.items():
        setattr(slot, key, value)
    slot.updated_at = utcnow()
    session.flush()
    return slot


def close_slot(session: Session, principal: Principal, slot: TrainingSlot) -> TrainingSlot:
    if principal.role != OPLEIDER:
        raise Forbidden("Alleen de opleider van deze plek kan haar sluiten.")
    withdraw_for_opening(session, slot_id=slot.id)
    slot.status = OpeningStatus.GESLOTEN
    slot.updated_at = utcnow()
    return slot
