"""Matching tables. So far: the pseudonymous candidate projection built from intake's events."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db import UTCDateTime, make_base, utcnow
from shared.outbox import InboxMixin, OutboxMixin

Base = make_base("matching")


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
    # Version guard: an older profile event arriving late never overwrites a newer one.
    profile_updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxEvent(OutboxMixin, Base):
    __tablename__ = "outbox"


class InboxEvent(InboxMixin, Base):
    __tablename__ = "inbox"
