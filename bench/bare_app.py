"""The floor for the load benchmark: a bare Flask + SQLAlchemy app with one table of the shape
of intake's residents, an insert and a list, and nothing else (no auth, validation, audit,
events). `gunicorn -c deploy/gunicorn.conf.py bench.bare_app:app`, BARE_DATABASE_URL set.

    POST /bare/residents   insert one row from the JSON body, answer it as JSON (201)
    GET  /bare/residents   25 rows of one organisation in name order, and their count
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from flask import Flask, jsonify, request
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    create_engine,
    func,
    select,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker


class Base(DeclarativeBase):
    pass


class BareResident(Base):
    __tablename__ = "bare_resident"
    __table_args__ = (
        Index("ix_bare_list", "organisation_id", "last_name", "first_name", "id"),
        {"schema": "bare"},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[str] = mapped_column(String(16))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    street: Mapped[str | None] = mapped_column(String(200))
    house_number: Mapped[str | None] = mapped_column(String(20))
    postcode: Mapped[str | None] = mapped_column(String(7))
    city: Mapped[str | None] = mapped_column(String(100))
    wijk: Mapped[str] = mapped_column(String(40))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    gender: Mapped[str] = mapped_column(String(10))
    driving_licence: Mapped[bool] = mapped_column(Boolean)
    own_transport: Mapped[bool] = mapped_column(Boolean)
    hours_per_week: Mapped[int | None] = mapped_column(Integer)
    days: Mapped[list[str]] = mapped_column(JSON)
    interests: Mapped[list[str]] = mapped_column(JSON)
    skills: Mapped[list[str]] = mapped_column(JSON)
    work_experience: Mapped[str | None] = mapped_column(Text)
    barriers: Mapped[list[str]] = mapped_column(JSON)
    income: Mapped[str | None] = mapped_column(String(20))
    coach_id: Mapped[int | None] = mapped_column(Integer)
    organisation_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


COLUMNS = [
    c.name for c in BareResident.__table__.columns if c.name not in ("id", "created_at", "programme_id")
]


# What Instap takes from the bearer token's organisation; the bare app has one, fixed.
ORGANISATION = int(os.environ.get("BARE_ORGANISATION_ID", "1"))


def create_schema(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE SCHEMA IF NOT EXISTS bare"))
    Base.metadata.create_all(engine)
    engine.dispose()


def _row(r: BareResident) -> dict[str, Any]:
    return {"id": r.id, "programme_id": r.programme_id, **{c: getattr(r, c) for c in COLUMNS}}


def create_app(url: str | None = None) -> Flask:
    engine = create_engine(url or os.environ["BARE_DATABASE_URL"], pool_pre_ping=True)
    sessions = sessionmaker(engine, expire_on_commit=False)
    app = Flask(__name__)

    @app.post("/bare/residents")
    def create() -> Any:
        data = request.get_json()
        row = BareResident(
            programme_id=os.urandom(4).hex().upper(),
            created_at=datetime.now(UTC),
            **{c: data.get(c) for c in COLUMNS if c != "organisation_id"},
            organisation_id=ORGANISATION,
        )
        with sessions() as s, s.begin():
            s.add(row)
        return jsonify(_row(row)), 201

    @app.get("/bare/residents")
    def listing() -> Any:
        org = ORGANISATION
        with sessions() as s:
            query = select(BareResident).where(BareResident.organisation_id == org)
            rows = s.scalars(
                query.order_by(BareResident.last_name, BareResident.first_name, BareResident.id).limit(25)
            ).all()
            total = s.scalar(select(func.count()).select_from(query.subquery()))
            return jsonify(items=[_row(r) for r in rows], total=total)

    return app


app = create_app() if os.environ.get("BARE_DATABASE_URL") else None
