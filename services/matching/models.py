"""Matching tables: candidates (pseudonymous), entry tasks, training slots, runs, proposals."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
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
from shared.states import OpeningStatus, ProposalStatus, RunStatus


class Base(DeclarativeBase):
    """Declarative base with this component's own metadata (its own tables and migrations)."""

    metadata = new_metadata()


ENGAGED_SQL = "status IN ('coach_akkoord', 'aannemer_akkoord')"
ENROLMENT_ACTIVE_SQL = "status IN ('aangemeld', 'orientatie', 'opleiding')"


class Candidate(Base):
    """A resident as matching may know them: programme id, never a name, contact or address."""

    __tablename__ = "candidate"

    programme_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    wijk: Mapped[str] = mapped_column(String(40), index=True)
    pc4: Mapped[str | None] = mapped_column(String(4))
    age_band: Mapped[str] = mapped_column(String(10))
    stage: Mapped[str] = mapped_column(String(20))
    language_spoken: Mapped[str | None] = mapped_column(String(12))
    language_written: Mapped[str | None] = mapped_column(String(12))
    certificates: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    driving_licence: Mapped[bool] = mapped_column(Boolean, default=False)
    own_transport: Mapped[bool] = mapped_column(Boolean, default=False)
    hours_per_week: Mapped[int | None] = mapped_column(Integer)
    days: Mapped[list[str]] = mapped_column(JSON, default=list)
    available_from: Mapped[date | None] = mapped_column(Date)
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    work_at_height: Mapped[bool] = mapped_column(Boolean, default=False)
    heavy_work: Mapped[bool] = mapped_column(Boolean, default=False)
    share_with_employer: Mapped[bool] = mapped_column(Boolean, default=False)
    share_with_trainer: Mapped[bool] = mapped_column(Boolean, default=False)
    coach_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # Set when intake says the resident may no longer be shared (or was erased); the row stays
    # as a tombstone so that an older profile event arriving late cannot bring it back.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Version guard: an older profile event arriving late never overwrites a newer one.
    profile_updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Erasure(Base):
    """The one thing matching keeps about an erased resident: that, and when, they were erased
    (so an event about them that arrives late is refused). No profile, no coach, no proposals."""

    __tablename__ = "erasure"

    programme_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Task(Base):
    """An instaptaak posted by a contractor; `filled` counts accepted places (never > places)."""

    __tablename__ = "task"
    __table_args__ = (CheckConstraint("filled >= 0 AND filled <= places", name="capacity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(200))
    occupation: Mapped[str] = mapped_column(String(60))
    corporation: Mapped[str | None] = mapped_column(String(100))
    project: Mapped[str | None] = mapped_column(String(200))
    wijk: Mapped[str] = mapped_column(String(40))
    site: Mapped[str | None] = mapped_column(String(200))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    hours_per_week: Mapped[int] = mapped_column(Integer)
    places: Mapped[int] = mapped_column(Integer)
    filled: Mapped[int] = mapped_column(Integer, default=0)
    contract_type: Mapped[str] = mapped_column(String(30))
    req_certificates: Mapped[list[str]] = mapped_column(JSON, default=list)
    req_language_spoken: Mapped[str | None] = mapped_column(String(12))
    req_language_written: Mapped[str | None] = mapped_column(String(12))
    req_driving_licence: Mapped[bool] = mapped_column(Boolean, default=False)
    req_work_at_height: Mapped[bool] = mapped_column(Boolean, default=False)
    req_heavy_work: Mapped[bool] = mapped_column(Boolean, default=False)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    werkprocessen: Mapped[list[str]] = mapped_column(JSON, default=list)
    sroi_tag: Mapped[str | None] = mapped_column(String(60))
    # The organisation's contact person for this opening: staff data, shown to the job coach
    # once both sides accepted (the introduction), never to residents' other organisations.
    contact_name: Mapped[str | None] = mapped_column(String(120))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(20), default=OpeningStatus.OPEN, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TrainingSlot(Base):
    """A learning-work trajectory at de Beroepentuin; `filled` counts enrolments."""

    __tablename__ = "training_slot"
    __table_args__ = (CheckConstraint("filled >= 0 AND filled <= seats", name="capacity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(200))
    occupations: Mapped[list[str]] = mapped_column(JSON, default=list)
    grants: Mapped[list[str]] = mapped_column(JSON, default=list)
    crebo: Mapped[str | None] = mapped_column(String(5))
    werkprocessen: Mapped[list[str]] = mapped_column(JSON, default=list)
    start_date: Mapped[date] = mapped_column(Date)
    weeks: Mapped[int] = mapped_column(Integer)
    seats: Mapped[int] = mapped_column(Integer)
    filled: Mapped[int] = mapped_column(Integer, default=0)
    site: Mapped[str | None] = mapped_column(String(200))
    min_language_spoken: Mapped[str | None] = mapped_column(String(12))
    vca_exam_included: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_name: Mapped[str | None] = mapped_column(String(120))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(20), default=OpeningStatus.OPEN, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class MatchRun(Base):
    """One run of the engine; the database, not Redis, knows which runs are unfinished."""

    __tablename__ = "match_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # full | candidate | task | slot
    scope: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default=RunStatus.QUEUED, index=True)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    timings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    requested_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Written every few seconds by the worker running it (domain/runs.py: Heartbeat).
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Proposal(Base):
    """A proposed (candidate, opening) pair and its lifecycle; at most one per pair."""

    __tablename__ = "proposal"
    __table_args__ = (
        UniqueConstraint("programme_id", "opening_key", name="one_per_pair"),
        Index("ix_proposal_status_task", "status", "task_id"),
        # At most one proposal per resident in the accepted part of the lifecycle: two tabs
        # accepting two proposals at once cannot give one resident two placements.
        Index(
            "uq_proposal_one_engaged",
            "programme_id",
            unique=True,
            sqlite_where=text(ENGAGED_SQL),
            postgresql_where=text(ENGAGED_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("match_run.id"), index=True)
    programme_id: Mapped[str] = mapped_column(String(16), index=True)
    opening_key: Mapped[str] = mapped_column(String(40))  # "task:12" | "slot:3"
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("training_slot.id"), index=True)
    leads_to_task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    coach_id: Mapped[int | None] = mapped_column(Integer, index=True)
    score: Mapped[float] = mapped_column(Float)
    explanation: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    explanation_nl: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(30), default=ProposalStatus.VOORGESTELD, index=True)
    # Number of the proposal's last event (domain/events.py: consumers apply them in order).
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    coach_reason: Mapped[str | None] = mapped_column(String(40))
    organisation_reason: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    task: Mapped[Task | None] = relationship(foreign_keys=[task_id])
    slot: Mapped[TrainingSlot | None] = relationship(foreign_keys=[slot_id])
    leads_to: Mapped[Task | None] = relationship(foreign_keys=[leads_to_task_id])


class Placement(Base):
    """A resident in an instapbaan (task) or enrolled in a training slot, from a proposal.

    For a task (`kind` plaatsing) the contractor records the terms (planned start, contract,
    hours, loonkostensubsidie, job-coach support, SROI tag), confirms the actual start and later
    the end; see domain/placements.py. `version` numbers the placement's events."""

    __tablename__ = "placement"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), unique=True)
    programme_id: Mapped[str] = mapped_column(String(16), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # plaatsing | inschrijving
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("training_slot.id"))
    status: Mapped[str] = mapped_column(String(20), default="afgesproken")
    planned_start: Mapped[date | None] = mapped_column(Date)
    contract_type: Mapped[str | None] = mapped_column(String(30))
    hours_per_week: Mapped[int | None] = mapped_column(Integer)
    wage_subsidy: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    jobcoach_support: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    sroi_tag: Mapped[str | None] = mapped_column(String(60), index=True)
    started_on: Mapped[date | None] = mapped_column(Date)
    early_start_reason: Mapped[str | None] = mapped_column(String(200))
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    task: Mapped[Task | None] = relationship(foreign_keys=[task_id])


class Enrolment(Base):
    """A resident in a training slot's cohort: aangemeld → orientatie → opleiding → afgerond /
    uitgevallen (domain/enrolments.py). One per resident and slot; it holds a seat of the slot
    (`TrainingSlot.filled`) until it drops out."""

    __tablename__ = "enrolment"
    __table_args__ = (
        UniqueConstraint("programme_id", "slot_id", name="one_per_slot"),
        # One running enrolment per resident: two coaches (or tabs) cannot put one resident in two
        # cohorts at once.
        Index(
            "uq_enrolment_one_active",
            "programme_id",
            unique=True,
            sqlite_where=text(ENROLMENT_ACTIVE_SQL),
            postgresql_where=text(ENROLMENT_ACTIVE_SQL),
        ),
        CheckConstraint(
            "status IN ('aangemeld', 'orientatie', 'opleiding', 'afgerond', 'uitgevallen')", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[str] = mapped_column(String(16), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("training_slot.id"), index=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id"), unique=True)
    # The coach who entered it, or the resident's coach when it came from a proposal (staff id).
    coach_id: Mapped[int | None] = mapped_column(Integer, index=True)
    source: Mapped[str] = mapped_column(String(20))  # voorstel | coach
    status: Mapped[str] = mapped_column(String(20), default="aangemeld", index=True)
    reason_code: Mapped[str | None] = mapped_column(String(40))
    registered_on: Mapped[date] = mapped_column(Date)
    orientation_on: Mapped[date | None] = mapped_column(Date)
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    # Number of the enrolment's last event (enrolment.changed, consumers apply them in order).
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    slot: Mapped[TrainingSlot] = relationship()
    attendance: Mapped[list[Attendance]] = relationship(
        back_populates="enrolment", cascade="all, delete-orphan", order_by="Attendance.week"
    )


class Attendance(Base):
    """Attendance of one enrolment in one week of the training (1 = the first week)."""

    __tablename__ = "attendance"
    __table_args__ = (CheckConstraint("presence IN ('aanwezig', 'deels', 'afwezig')", name="presence"),)

    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolment.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[int] = mapped_column(Integer, primary_key=True)
    presence: Mapped[str] = mapped_column(String(10))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    enrolment: Mapped[Enrolment] = relationship(back_populates="attendance")


class Certificate(Base):
    """An issued certificate: a praktijkverklaring, or another one earned on the way (B-VCA).

    Everything the credential, the PDF and the public page show is stored here once; the VC-JWT is
    signed on each request (services/matching/credentials/). `initials` are the only trace of the
    person besides the programme id (a pseudonym that never leaves the service)."""

    __tablename__ = "certificate"
    __table_args__ = (UniqueConstraint("status_list", "status_index", name="one_per_status_bit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    verification_code: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[str] = mapped_column(String(40))  # praktijkverklaring | a reference certificate code
    programme_id: Mapped[str] = mapped_column(String(16), index=True)
    enrolment_id: Mapped[int | None] = mapped_column(ForeignKey("enrolment.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(Integer, index=True)
    initials: Mapped[str] = mapped_column(String(30))
    issuer_name: Mapped[str] = mapped_column(String(200))
    leerbedrijf: Mapped[str | None] = mapped_column(String(200))
    sbb_id: Mapped[str | None] = mapped_column(String(12))
    crebo: Mapped[str | None] = mapped_column(String(5))
    kwalificatie: Mapped[str | None] = mapped_column(String(200))
    werkprocessen: Mapped[list[str]] = mapped_column(JSON, default=list)
    judged_on: Mapped[date | None] = mapped_column(Date)
    issued_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    status_list: Mapped[str] = mapped_column(String(40), default="1")
    status_index: Mapped[int] = mapped_column(Integer)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxEvent(OutboxMixin, Base):
    __tablename__ = "outbox"


class InboxEvent(InboxMixin, Base):
    __tablename__ = "inbox"


class SubjectProgress(SubjectProgressMixin, Base):
    """The newest event applied per resident (intake's profile, consent and erasure events)."""

    __tablename__ = "subject_progress"
