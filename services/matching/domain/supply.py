"""Organisations' supply: entry tasks (aannemer) and training slots (opleider), own rows only.

Tasks and slots are two kinds of one thing, an opening: one code path (`Opening` says what differs:
model, owning role, the capacity column and the words), used by the API and the pages alike.
The `*_task` / `*_slot` names are that path with the kind filled in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from services.matching.domain.proposals import withdraw_for_opening
from services.matching.models import Task, TrainingSlot
from shared.auth.accounts import Principal
from shared.auth.roles import AANNEMER, BEHEERDER, JOBCOACH, OPLEIDER, PROGRAMMABUREAU
from shared.db import utcnow
from shared.errors import Conflict, Forbidden, Invalid, NotFound
from shared.states import OPENING, OpeningStatus

READERS = (JOBCOACH, PROGRAMMABUREAU, BEHEERDER)


@dataclass(frozen=True)
class Opening:
    """What differs between an entry task and a training slot."""

    name: str  # "task" | "slot"
    model: Any
    owner_role: str
    capacity: str  # "places" | "seats"
    not_found: str
    only_owner_creates: str
    only_owner_changes: str
    only_owner_closes: str
    closed: str
    taken: str  # "Er zijn al {n} ... vergeven; minder kan niet."

    def withdraw(self, session: Session, row: Any) -> int:
        key = "task_id" if self.name == "task" else "slot_id"
        return withdraw_for_opening(session, **{key: row.id})


TASK = Opening(
    "task",
    Task,
    AANNEMER,
    "places",
    "Deze taak is niet gevonden.",
    "Alleen een aannemer plaatst instaptaken.",
    "Alleen de aannemer van deze taak kan haar wijzigen.",
    "Alleen de aannemer van deze taak kan haar sluiten.",
    "Een gesloten taak kan niet meer worden gewijzigd.",
    "Er zijn al {n} plaatsen vergeven; minder kan niet.",
)
SLOT = Opening(
    "slot",
    TrainingSlot,
    OPLEIDER,
    "seats",
    "Deze opleidingsplek is niet gevonden.",
    "Alleen de opleider plaatst opleidingsplekken.",
    "Alleen de opleider van deze plek kan haar wijzigen.",
    "Alleen de opleider van deze plek kan haar sluiten.",
    "Een gesloten opleidingsplek kan niet meer worden gewijzigd.",
    "Er zijn al {n} plekken vergeven; minder kan niet.",
)


def query(kind: Opening, principal: Principal) -> Select:
    """The rows a principal may see: an organisation its own, coaches and the bureau all."""
    if principal.role == kind.owner_role:
        return select(kind.model).where(kind.model.organisation_id == principal.organisation_id)
    if principal.role in READERS:
        return select(kind.model)
    raise Forbidden("U heeft met uw rol geen toegang tot deze gegevens.")


def get(session: Session, kind: Opening, principal: Principal, row_id: int) -> Any:
    row = session.scalar(query(kind, principal).where(kind.model.id == row_id))
    if row is None:
        raise NotFound(kind.not_found)
    return row


def _check_dates(start: Any, end: Any) -> None:
    if start and end and end < start:
        raise Invalid(
            "Niet alle gegevens zijn goed ingevuld.", {"end_date": ["De einddatum ligt voor de startdatum."]}
        )


def create(session: Session, kind: Opening, principal: Principal, data: dict[str, Any]) -> Any:
    if principal.role != kind.owner_role:
        raise Forbidden(kind.only_owner_creates)
    _check_dates(data.get("start_date"), data.get("end_date"))
    row = kind.model(
        organisation_id=principal.organisation_id,
        filled=0,
        status=OpeningStatus.OPEN,
        created_at=utcnow(),
        updated_at=utcnow(),
        **data,
    )
    session.add(row)
    session.flush()
    return row


def update(session: Session, kind: Opening, principal: Principal, row: Any, data: dict[str, Any]) -> Any:
    if principal.role != kind.owner_role:
        raise Forbidden(kind.only_owner_changes)
    if row.status != OpeningStatus.OPEN:
        raise Conflict(kind.closed)
    _check_dates(data.get("start_date", row.start_date), data.get("end_date", getattr(row, "end_date", None)))
    if kind.capacity in data and data[kind.capacity] < row.filled:
        raise Conflict(kind.taken.format(n=row.filled))
    for key, value in data.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    session.flush()
    return row


def close(session: Session, kind: Opening, principal: Principal, row: Any) -> Any:
    """No new proposals; agreed placements stay. Closing a closed opening changes nothing."""
    if principal.role != kind.owner_role:
        raise Forbidden(kind.only_owner_closes)
    if row.status == OpeningStatus.GESLOTEN:
        return row
    kind.withdraw(session, row)
    row.status = OPENING.check(row.status, OpeningStatus.GESLOTEN)
    row.updated_at = utcnow()
    return row


# The same path with the kind filled in (the pages' `Kind` and older callers use these names).


def tasks_query(principal: Principal) -> Select:
    return query(TASK, principal)


def slots_query(principal: Principal) -> Select:
    return query(SLOT, principal)


def get_task(session: Session, principal: Principal, task_id: int) -> Task:
    return get(session, TASK, principal, task_id)  # type: ignore[no-any-return]


def get_slot(session: Session, principal: Principal, slot_id: int) -> TrainingSlot:
    return get(session, SLOT, principal, slot_id)  # type: ignore[no-any-return]


def create_task(session: Session, principal: Principal, data: dict[str, Any]) -> Task:
    return create(session, TASK, principal, data)  # type: ignore[no-any-return]


def create_slot(session: Session, principal: Principal, data: dict[str, Any]) -> TrainingSlot:
    return create(session, SLOT, principal, data)  # type: ignore[no-any-return]


def update_task(session: Session, principal: Principal, task: Task, data: dict[str, Any]) -> Task:
    return update(session, TASK, principal, task, data)  # type: ignore[no-any-return]


def update_slot(
    session: Session, principal: Principal, slot: TrainingSlot, data: dict[str, Any]
) -> TrainingSlot:
    return update(session, SLOT, principal, slot, data)  # type: ignore[no-any-return]


def close_task(session: Session, principal: Principal, task: Task) -> Task:
    return close(session, TASK, principal, task)  # type: ignore[no-any-return]


def close_slot(session: Session, principal: Principal, slot: TrainingSlot) -> TrainingSlot:
    return close(session, SLOT, principal, slot)  # type: ignore[no-any-return]
