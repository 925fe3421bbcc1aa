"""Intake tables: residents (personal data), consent ledger, funnel history, notes, audit, outbox."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.db import UTCDateTime, new_metadata, utcnow
from shared.jobs import SubjectProgressMixin
from shared.outbox import InboxMixin, OutboxMixin


class Base(DeclarativeBase):
    """Declarative base with this component's own metadata (its own tables and migrations)."""

    metadata = new_metadata()


# The caseload list: residents not erased, in name order, per coach (a coach's own list), per
# organisation (a machine token of a coaching organisation) or all (a beheerder). Partial
# indexes in that order give the page without a sort and its count from the index alone.
_LISTED = "erased_at IS NULL"
CASELOAD_INDEXES = tuple(
    Index(
        f"ix_resident_caseload_{name}",
        *columns,
        "last_name",
        "first_name",
        "id",
        sqlite_where=text(_LISTED),
        postgresql_where=text(_LISTED),
    )
    for name, columns in (("coach", ("coach_id",)), ("organisation", ("organisation_id",)), ("all", ()))
)


class Resident(Base):
    __tablename__ = "resident"
    __table_args__ = CASELOAD_INDEXES

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[str] = mapped_column(String(16), unique=True)
    # Personal data: never leaves this service except by an audited introduction or export.
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    # The one channel ("telefoon" or "e-mail") an introduced organisation receives; that channel
    # is always filled in (domain/residents.py). Empty only once the resident is erased.
    contact_preference: Mapped[str | None] = mapped_column(String(10))
    street: Mapped[str | None] = mapped_column(String(200))
    house_number: Mapped[str | None] = mapped_column(String(20))
    postcode: Mapped[str | None] = mapped_column(String(7))
    city: Mapped[str | None] = mapped_column(String(100))
    # Used outside intake (pseudonymous): wijk and PC4.
    wijk: Mapped[str] = mapped_column(String(40), index=True)
    pc4: Mapped[str | None] = mapped_column(String(4))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    gender: Mapped[str] = mapped_column(String(10), default="onbekend")
    language_spoken: Mapped[str | None] = mapped_column(String(12))
    language_written: Mapped[str | None] = mapped_column(String(12))
    driving_licence: Mapped[bool] = mapped_column(Boolean, default=False)
    own_transport: Mapped[bool] = mapped_column(Boolean, default=False)
    hours_per_week: Mapped[int | None] = mapped_column(Integer)
    days: Mapped[list[str]] = mapped_column(JSON, default=list)
    available_from: Mapped[date | None] = mapped_column(Date)
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    work_experience: Mapped[str | None] = mapped_column(Text)
    barriers: Mapped[list[str]] = mapped_column(JSON, default=list)
    income: Mapped[str | None] = mapped_column(String(20))
    work_at_height: Mapped[bool] = mapped_column(Boolean, default=False)
    heavy_work: Mapped[bool] = mapped_column(Boolean, default=False)
    stage: Mapped[str] = mapped_column(String(20), default="aangemeld", index=True)
    coach_id: Mapped[int | None] = mapped_column(Integer, index=True)
    organisation_id: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Number of the last event about this resident (see domain/publishing.py: ordering).
    event_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    certificates: Mapped[list[ResidentCertificate]] = relationship(
        back_populates="resident", cascade="all, delete-orphan", order_by="ResidentCertificate.code"
    )
    consents: Mapped[list[ConsentRecord]] = relationship(
        back_populates="resident", cascade="all, delete-orphan", order_by="ConsentRecord.id"
    )
    stage_changes: Mapped[list[StageChange]] = relationship(
        back_populates="resident", cascade="all, delete-orphan", order_by="StageChange.id"
    )
    ladder: Mapped[list[LadderMeasurement]] = relationship(
        back_populates="resident", cascade="all, delete-orphan", order_by="LadderMeasurement.id"
    )
    notes: Mapped[list[Note]] = relationship(
        back_populates="resident", cascade="all, delete-orphan", order_by="Note.id"
    )

    @property
    def participatieladder(self) -> int | None:
        return self.ladder[-1].trede if self.ladder else None

    @property
    def display_name(self) -> str:
        if self.erased_at is not None:
            return "(gewist)"
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.programme_id


class ResidentCertificate(Base):
    __tablename__ = "resident_certificate"
    __table_args__ = (Index("ix_resident_certificate_resident_code", "resident_id", "code", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    obtained_on: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)

    resident: Mapped[Resident] = relationship(back_populates="certificates")


class LadderMeasurement(Base):
    """Participatieladder step at intake and at each follow-up."""

    __tablename__ = "ladder_measurement"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id", ondelete="CASCADE"), index=True)
    trede: Mapped[int] = mapped_column(Integer)
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    measured_by: Mapped[int | None] = mapped_column(Integer)

    resident: Mapped[Resident] = relationship(back_populates="ladder")


class ConsentRecord(Base):
    """One record per purpose given; withdrawing sets withdrawn_at (history is never rewritten)."""

    __tablename__ = "consent_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(30))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime)
    method: Mapped[str] = mapped_column(String(20))
    info_version: Mapped[str] = mapped_column(String(20))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by: Mapped[int | None] = mapped_column(Integer)
    withdrawn_by: Mapped[int | None] = mapped_column(Integer)

    resident: Mapped[Resident] = relationship(back_populates="consents")

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


class StageChange(Base):
    __tablename__ = "stage_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id", ondelete="CASCADE"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    reason_code: Mapped[str | None] = mapped_column(String(40))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by: Mapped[int | None] = mapped_column(Integer)

    resident: Mapped[Resident] = relationship(back_populates="stage_changes")


class Note(Base):
    __tablename__ = "note"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(Integer)
    author_name: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    resident: Mapped[Resident] = relationship(back_populates="notes")


class AuditEntry(Base):
    """Who read or changed whose personal data, when, and through which channel."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(200))
    actor_role: Mapped[str] = mapped_column(String(40))
    organisation_id: Mapped[int | None] = mapped_column(Integer)
    resident_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))  # page | api | cli | job
    reason: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Introduction(Base):
    """Identity released to one organisation after both sides accepted a proposal, with consent.

    Tied to the consent record it was made under: once that record is withdrawn the
    introduction is no longer shown, and consent given again (a new record) needs a new mutual
    acceptance (a new introduction) before the organisation sees the person again."""

    __tablename__ = "introduction"
    __table_args__ = (UniqueConstraint("proposal_id", "consent_record_id", name="one_per_consent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(Integer, index=True)
    consent_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("consent_record.id", ondelete="CASCADE"), index=True
    )
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(20))  # task | training
    opening_title: Mapped[str] = mapped_column(String(200))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    resident: Mapped[Resident] = relationship()


class FollowUp(Base):
    """A follow-up +1, +3, +6 or +12 months after a placement started (domain/followups.py).

    Created once per (placement, month) when intake learns of the start; the due date is stored
    here and the worker's periodic job moves `gepland` to `open` on that date, so nothing depends
    on Redis keeping a scheduled job. `vervallen` when the follow_up consent is missing."""

    __tablename__ = "follow_up"
    __table_args__ = (
        UniqueConstraint("placement_id", "month", name="one_per_placement_month"),
        Index("ix_follow_up_status_due_on", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id", ondelete="CASCADE"), index=True)
    placement_id: Mapped[int] = mapped_column(Integer)  # matching's placement id
    opening_title: Mapped[str | None] = mapped_column(String(200))
    month: Mapped[int] = mapped_column(Integer)
    started_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="gepland")
    became_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_reason: Mapped[str | None] = mapped_column(String(40))
    recorded_on: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by: Mapped[int | None] = mapped_column(Integer)
    still_working: Mapped[str | None] = mapped_column(String(10))
    trede: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    resident: Mapped[Resident] = relationship()


class OutboxEvent(OutboxMixin, Base):
    __tablename__ = "outbox"


class InboxEvent(InboxMixin, Base):
    __tablename__ = "inbox"


class SubjectProgress(SubjectProgressMixin, Base):
    """The newest event applied per proposal (matching's proposal.changed)."""

    __tablename__ = "subject_progress"
