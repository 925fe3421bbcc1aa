"""The fact store, fed only by events (outbox -> RQ -> inbox, `shared/jobs.py:apply_once`).

Every identifier is replaced by a keyed hash before anything is written. The effect of the events
does not depend on how often or in which order they arrive:

- a funnel step is kept as a fact of its own; the person row keeps the *first* moment of every
  stage and the attributes of the *earliest registration* (minimums commute);
- enrolments, certificates, placements, proposals' statuses and follow-ups carry state: the event
  with the highest sequence number (else the latest `changed_at`) wins, and a proposal keeps the
  first moment of every step it reached;
- an erased resident's facts are deleted, and their keyed hash is kept as a tombstone so that an
  older event arriving later is dropped instead of bringing them back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.rapportage.domain.pseudonym import pseudonym
from services.rapportage.models import (
    CertificateFact,
    EnrolmentFact,
    ErasedPerson,
    FollowUpFact,
    LadderFact,
    Person,
    PlacementFact,
    ProposalFact,
    StageFact,
)
from shared import reference
from shared.clock import AMSTERDAM

STAGE_COLUMNS = {s: f"{s}_at" for s in reference.FUNNEL_ORDER[1:]}
PERSON_TABLES = (
    StageFact,
    ProposalFact,
    EnrolmentFact,
    CertificateFact,
    PlacementFact,
    FollowUpFact,
    LadderFact,
)
# proposal status -> the steps it proves (a contractor's yes means the coach said yes before)
PROPOSAL_STEPS = {
    "voorgesteld": ("proposed_at",),
    "coach_akkoord": ("proposed_at", "coach_ok_at"),
    "coach_afgewezen": ("proposed_at",),
    "aannemer_akkoord": ("proposed_at", "coach_ok_at", "contractor_ok_at"),
    "aannemer_afgewezen": ("proposed_at", "coach_ok_at", "contractor_no_at"),
    "geplaatst": ("proposed_at", "coach_ok_at", "contractor_ok_at"),
    "ingeschreven": ("proposed_at", "coach_ok_at", "contractor_ok_at"),
    "ingetrokken": ("proposed_at",),
}

Handler = Callable[[Session, dict[str, Any], dict[str, Any]], None]


def _earlier(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b < a else a


def _newer(row: Any, seq: int | None, at: datetime) -> bool:
    """Does an event with (seq, at) carry newer state than what the row holds?"""
    if seq is not None and row.seq is not None:
        return seq > row.seq
    return at > row.changed_at


# A batch (domain/consumer.py) reads what its events touch in a few bulk queries before applying
# them one by one, and leaves what it learnt in the session: the handlers then ask the database
# nothing it already answered. Without a batch (apply_once) every lookup goes to the database.
KNOWN = "rapportage.known"


def known(session: Session) -> dict[str, Any] | None:
    """The batch's prefetched answers, or None outside a batch."""
    return session.info.get(KNOWN)


def _erased(session: Session, person: str) -> bool:
    k = known(session)
    if k is not None and person in k["checked"]:
        return person in k["erased"]
    return session.get(ErasedPerson, person) is not None


def _flush(session: Session) -> None:
    """One event's writes to the database now; in a batch they wait for one flush at its end
    (bulk INSERTs and UPDATEs), the rows it created being remembered in `known` meanwhile."""
    if known(session) is None:
        session.flush()


def _remember(session: Session, model: type[Any], key: str, row: Any) -> None:
    k = known(session)
    if k is not None:
        k["rows"][(model, key)] = row
        k["locked"].add((model, key))


def _locked(session: Session, model: type[Any], key: str) -> Any:
    """The row (locked FOR UPDATE in PostgreSQL until commit) or None. In a batch the rows were
    locked in one query at its start; a row added since is in the session's identity map."""
    k = known(session)
    if k is not None and (model, key) in k["locked"]:
        # Locked at the start, or created by an earlier event of the batch (`_remember`); not in
        # `rows`: it did not exist then and nothing created it since.
        return k["rows"].get((model, key))
    return session.get(model, key, with_for_update=True)


class FactStore:
    """The handlers of one hash key (the service's RAPPORTAGE_HASH_KEY)."""

    def __init__(self, key: bytes):
        self.key = key
        # HMAC per identifier is pure: cache it (bounded; the store lives as long as the worker).
        self.hash: Callable[[str, object], str] = lru_cache(maxsize=200_000)(
            lambda kind, value: pseudonym(key, kind, value)
        )

    def person(self, programme_id: str) -> str:
        return self.hash("person", programme_id)

    def handlers(self) -> dict[str, Handler]:
        return {
            "stage.changed": self.stage_changed,
            "resident.erased": self.resident_erased,
            "proposal.changed": self.proposal_changed,
            "enrolment.changed": self.enrolment_changed,
            "certificate.changed": self.certificate_changed,
            "placement.changed": self.placement_changed,
            "followup.recorded": self.followup_recorded,
            "ladder.measured": self.ladder_measured,
        }

    # --- funnel ---------------------------------------------------------------------------------
    def stage_changed(self, session: Session, p: dict[str, Any], env: dict[str, Any]) -> None:
        person = self.person(p["programme_id"])
        if _erased(session, person):
            return
        at: datetime = p["changed_at"]
        to_stage = p["to_stage"]
        k = known(session)
        if k is not None and person in k["stages_of"]:
            exists: Any = (person, to_stage, at) in k["stages"]
            k["stages"].add((person, to_stage, at))
        else:
            exists = session.scalar(
                select(StageFact.id).where(
                    StageFact.person == person, StageFact.to_stage == to_stage, StageFact.changed_at == at
                )
            )
        if not exists:
            session.add(
                StageFact(
                    person=person,
                    from_stage=p.get("from_stage"),
                    to_stage=to_stage,
                    reason_code=p.get("reason_code"),
                    changed_at=at,
                )
            )
        # The earliest registration gives the attributes (age band at registration); before one
        # arrives, the earliest other event stands in.
        first = 0 if to_stage == "aangemeld" else 1
        rank = f"{first}|{at.astimezone(UTC).isoformat()}|{env.get('seq') or 0:012d}"
        row = _locked(session, Person, person)
        if row is None:
            row = Person(
                key=person, wijk=p["wijk"], gender=p["gender"], age_band=p["age_band"], attrs_rank=rank
            )
            session.add(row)
            _remember(session, Person, person, row)
        elif rank < row.attrs_rank:
            row.wijk, row.gender, row.age_band, row.attrs_rank = p["wijk"], p["gender"], p["age_band"], rank
        if to_stage == "aangemeld":
            row.registered_at = _earlier(row.registered_at, at)
            row.registered_on = row.registered_at.astimezone(AMSTERDAM).date()
        elif to_stage in STAGE_COLUMNS:
            column = STAGE_COLUMNS[to_stage]
            setattr(row, column, _earlier(getattr(row, column), at))
        elif to_stage == "uitgevallen":
            row.dropped_at = _earlier(row.dropped_at, at)
        _flush(session)

    def resident_erased(self, session: Session, p: dict[str, Any], _env: dict[str, Any]) -> None:
        person = self.person(p["programme_id"])
        for model in PERSON_TABLES:
            session.execute(delete(model).where(model.person == person))
        session.execute(delete(Person).where(Person.key == person))
        k = known(session)
        if k is not None:
            k["checked"].add(person)
            if person not in k["erased"]:
                k["erased"].add(person)
                session.add(ErasedPerson(key=person, erased_at=p["erased_at"]))
        elif session.get(ErasedPerson, person) is None:
            session.add(ErasedPerson(key=person, erased_at=p["erased_at"]))
        _flush(session)

    # --- state per subject ----------------------------------------------------------------------
    def _state(
        self,
        session: Session,
        model: type[Any],
        kind: str,
        ident: object,
        p: dict[str, Any],
        env: dict[str, Any],
    ) -> tuple[Any, bool] | None:
        """The subject's row and whether this event is the newest; None when the person is erased."""
        person = self.person(p["programme_id"])
        if _erased(session, person):
            return None
        key = self.hash(kind, ident)
        row = _locked(session, model, key)
        seq = env.get("seq")
        if row is None:
            row = model(key=key, person=person, seq=seq, changed_at=p["changed_at"])
            session.add(row)
            _remember(session, model, key, row)
            return row, True
        if _newer(row, seq, p["changed_at"]):
            row.seq, row.changed_at = seq, p["changed_at"]
            return row, True
        return row, False

    def proposal_changed(self, session: Session, p: dict[str, Any], env: dict[str, Any]) -> None:
        found = self._state(session, ProposalFact, "proposal", p["proposal_id"], p, env)
        if found is None:
            return
        row, newest = found
        if newest or row.status is None:
            row.status, row.kind, row.organisation_id = p["status"], p["kind"], p["organisation_id"]
        for column in PROPOSAL_STEPS.get(p["status"], ("proposed_at",)):
            setattr(row, column, _earlier(getattr(row, column), p["changed_at"]))
        _flush(session)

    def enrolment_changed(self, session: Session, p: dict[str, Any], env: dict[str, Any]) -> None:
        found = self._state(session, EnrolmentFact, "enrolment", p["enrolment_id"], p, env)
        if found is None or not found[1]:
            return
        row = found[0]
        row.organisation_id, row.status, row.training = p["organisation_id"], p["status"], p["training"][:200]
        row.crebo, row.started_on, row.ended_on = p.get("crebo"), p.get("started_on"), p.get("ended_on")
        _flush(session)

    def certificate_changed(self, session: Session, p: dict[str, Any], env: dict[str, Any]) -> None:
        found = self._state(session, CertificateFact, "certificate", p["certificate_id"], p, env)
        if found is None or not found[1]:
            return
        row = found[0]
        row.organisation_id, row.status = p["organisation_id"], p["status"]
        row.kind = (p.get("certificate_code") or p["kind"])[:60]
        row.training = (p.get("training") or None) and p["training"][:200]
        row.crebo, row.issued_on = p.get("crebo"), p["issued_on"]
        _flush(session)

    def placement_changed(self, session: Session, p: dict[str, Any], env: dict[str, Any]) -> None:
        found = self._state(session, PlacementFact, "placement", p["placement_id"], p, env)
        if found is None or not found[1]:
            return
        row = found[0]
        row.organisation_id, row.status = p["organisation_id"], p["status"]
        for name in ("corporation", "project", "occupation", "contract_type", "sroi_tag", "end_reason"):
            value = p.get(name)
            setattr(row, name, value[: getattr(PlacementFact, name).type.length] if value else None)
        row.planned_start, row.started_on, row.ended_on = (
            p.get("planned_start"),
            p.get("started_on"),
            p.get("ended_on"),
        )
        _flush(session)

    def followup_recorded(self, session: Session, p: dict[str, Any], env: dict[str, Any]) -> None:
        person = self.person(p["programme_id"])
        if _erased(session, person):
            return
        key = self.hash("followup", p["followup_id"])
        row = _locked(session, FollowUpFact, key)
        seq = env.get("seq")
        if row is None:
            row = FollowUpFact(key=key, person=person, seq=seq, changed_at=p["changed_at"])
            session.add(row)
            _remember(session, FollowUpFact, key, row)
        elif _newer(row, seq, p["changed_at"]):
            row.seq, row.changed_at = seq, p["changed_at"]
        else:
            return
        row.placement = self.hash("placement", p["placement_id"])
        row.month, row.due_on, row.recorded_on = p["month"], p["due_on"], p["recorded_on"]
        row.still_working, row.trede = p["still_working"], p.get("trede")
        _flush(session)

    def ladder_measured(self, session: Session, p: dict[str, Any], _env: dict[str, Any]) -> None:
        person = self.person(p["programme_id"])
        if _erased(session, person):
            return
        exists = session.scalar(
            select(LadderFact.id).where(
                LadderFact.person == person,
                LadderFact.source == p["source"],
                LadderFact.measured_at == p["measured_at"],
            )
        )
        if exists is None:
            session.add(
                LadderFact(person=person, trede=p["trede"], source=p["source"], measured_at=p["measured_at"])
            )
            _flush(session)
