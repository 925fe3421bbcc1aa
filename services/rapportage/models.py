"""Rapportage tables: facts without identities, outreach headcounts, monthly packs.

No programme id, name, contact or address is stored. A person is a keyed hash of the programme id
(`domain/pseudonym.py`), and so are enrolments, certificates, placements, proposals and follow-ups
(matching's and intake's row ids would let the facts be joined with their tables). What is kept:
wijk, gender and age band at registration, trede, dates and codes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime, new_metadata, utcnow
from shared.outbox import InboxMixin, OutboxMixin

KEY = 32  # hex characters of a keyed hash (128 bits)


class Base(DeclarativeBase):
    metadata = new_metadata()


class OutboxEvent(OutboxMixin, Base):
    """Rapportage publishes nothing yet; the table keeps the worker and its metrics uniform."""

    __tablename__ = "outbox_event"


class InboxEvent(InboxMixin, Base):
    __tablename__ = "inbox_event"


class Person(Base):
    """One resident as reports know them: a keyed hash, attributes at registration, and the first
    moment of every funnel stage (the earliest of all events: order of delivery does not matter)."""

    __tablename__ = "person"

    key: Mapped[str] = mapped_column(String(KEY), primary_key=True)
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registered_on: Mapped[date | None] = mapped_column(Date, index=True)  # Amsterdam calendar day
    wijk: Mapped[str] = mapped_column(String(40))
    gender: Mapped[str] = mapped_column(String(20))
    age_band: Mapped[str] = mapped_column(String(10))
    # Which event the attributes came from: the earliest registration wins over anything else.
    attrs_rank: Mapped[str] = mapped_column(String(60))
    intake_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    orientatie_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opleiding_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    gecertificeerd_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    geplaatst_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duurzaam_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dropped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StageFact(Base):
    """Every funnel step as it happened (history; the person row is derived from these)."""

    __tablename__ = "stage_fact"
    __table_args__ = (UniqueConstraint("person", "to_stage", "changed_at", name="uq_stage_fact"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person: Mapped[str] = mapped_column(String(KEY), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    reason_code: Mapped[str | None] = mapped_column(String(40))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class _State:
    """Columns of a fact that carries state: the newest event (by sequence) wins."""

    key: Mapped[str] = mapped_column(String(KEY), primary_key=True)
    person: Mapped[str] = mapped_column(String(KEY), index=True)
    organisation_id: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(30))
    seq: Mapped[int | None] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProposalFact(_State, Base):
    """A proposal's furthest steps (first moments; kept whatever order events arrive in)."""

    __tablename__ = "proposal_fact"

    kind: Mapped[str] = mapped_column(String(10))
    proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    coach_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contractor_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contractor_no_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EnrolmentFact(_State, Base):
    __tablename__ = "enrolment_fact"

    training: Mapped[str] = mapped_column(String(200))
    crebo: Mapped[str | None] = mapped_column(String(10))
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)


class CertificateFact(_State, Base):
    __tablename__ = "certificate_fact"

    kind: Mapped[str] = mapped_column(String(60))
    training: Mapped[str | None] = mapped_column(String(200))
    crebo: Mapped[str | None] = mapped_column(String(10))
    issued_on: Mapped[date] = mapped_column(Date, index=True)


class PlacementFact(_State, Base):
    __tablename__ = "placement_fact"
    __table_args__ = (Index("ix_placement_fact_started", "started_on"),)

    corporation: Mapped[str | None] = mapped_column(String(120))
    project: Mapped[str | None] = mapped_column(String(200))
    occupation: Mapped[str | None] = mapped_column(String(60))
    contract_type: Mapped[str | None] = mapped_column(String(40))
    sroi_tag: Mapped[str | None] = mapped_column(String(60))
    planned_start: Mapped[date | None] = mapped_column(Date)
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(60))


class FollowUpFact(Base):
    __tablename__ = "followup_fact"

    key: Mapped[str] = mapped_column(String(KEY), primary_key=True)
    person: Mapped[str] = mapped_column(String(KEY), index=True)
    placement: Mapped[str] = mapped_column(String(KEY), index=True)
    month: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    recorded_on: Mapped[date] = mapped_column(Date)
    still_working: Mapped[str] = mapped_column(String(10))
    trede: Mapped[int | None] = mapped_column(Integer)
    seq: Mapped[int | None] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LadderFact(Base):
    __tablename__ = "ladder_fact"
    __table_args__ = (
        UniqueConstraint("person", "source", "measured_at", name="uq_ladder_fact"),
        CheckConstraint("trede BETWEEN 1 AND 6", name="trede_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person: Mapped[str] = mapped_column(String(KEY), index=True)
    trede: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ErasedPerson(Base):
    """The keyed hash of an erased resident and nothing else: an older event about them that
    arrives after the erasure is dropped instead of bringing the person back."""

    __tablename__ = "erased_person"

    key: Mapped[str] = mapped_column(String(KEY), primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutreachActivity(Base):
    """Informing residents before they register: a headcount, never persons."""

    __tablename__ = "outreach_activity"
    __table_args__ = (CheckConstraint("reached >= 0", name="reached_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date] = mapped_column(Date, index=True)
    wijk: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40))
    reached: Mapped[int] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(Integer)
    recorded_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportPack(Base):
    """A monthly pack: parameters, state, and the files (kept; generating a month twice keeps one)."""

    __tablename__ = "report_pack"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), unique=True)  # "2026-11"
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    threshold: Mapped[int] = mapped_column(Integer)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    requested_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    documents: Mapped[str | None] = mapped_column(Text)  # the instap.table/1 documents (JSON list)
    xlsx: Mapped[bytes | None] = mapped_column(LargeBinary)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
