"""The floor for the load benchmark: a bare Flask + SQLAlchemy app with one table of the shape
of intake's residents, an insert and a list, and nothing else (no auth, validation, audit,
events). `gunicorn -c deploy/gunicorn.conf.py bench.bare_app:app`, BARE_DATABASE_URL set.

    POST /bare/residents          insert one row from the JSON body, answer it as JSON (201)
    GET  /bare/residents          25 rows of one organisation in name order, and their count
    POST /bare/residents/one-statement  the same rows as /written in one statement
    POST /bare/residents/written  the same row plus the rows an Instap create must also write
                                  (its certificate, ladder and stage history, an audit entry and
                                  an outbox event with its NOTIFY), as plain INSERTs in the same
                                  transaction: the floor for what intake's create writes, still
                                  with no auth, validation or event contract
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask, jsonify, request
from marshmallow import ValidationError
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Index,
    Integer,
    String,
    Text,
    bindparam,
    create_engine,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from services.intake.api.schemas import ResidentCreateSchema


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


class _BareRow(Base):
    """A row an Instap create writes besides the resident: in the bare schema, numbered."""

    __abstract__ = True
    __table_args__ = {"schema": "bare"}
    id: Mapped[int] = mapped_column(primary_key=True)


class BareCertificate(_BareRow):
    __tablename__ = "bare_certificate"
    resident_id: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(40))
    obtained_on: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)


class BareLadder(_BareRow):
    __tablename__ = "bare_ladder"
    resident_id: Mapped[int] = mapped_column(Integer, index=True)
    trede: Mapped[int] = mapped_column(Integer)
    measured_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    measured_by: Mapped[int | None] = mapped_column(Integer)


class BareStageChange(_BareRow):
    __tablename__ = "bare_stage_change"
    resident_id: Mapped[int] = mapped_column(Integer, index=True)
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    changed_by: Mapped[int | None] = mapped_column(Integer)


class BareAudit(_BareRow):
    __tablename__ = "bare_audit"
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    resident_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class BareOutbox(Base):
    __tablename__ = "bare_outbox"
    __table_args__ = {"schema": "bare"}
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    type: Mapped[str] = mapped_column(String(60), index=True)
    payload: Mapped[str] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(60), index=True)
    seq: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    relayed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)


_OUTBOX = BareOutbox.__table__
# Instap's outbox INSERT carries the NOTIFY that wakes its relay (shared/outbox.py); so does this.
_OUTBOX_AND_NOTIFY = select(func.pg_notify("bare_outbox", "")).select_from(
    insert(_OUTBOX)
    .values({c.name: bindparam(c.name) for c in _OUTBOX.columns if c.name != "relayed_at"})
    .returning(_OUTBOX.c.id)
    .cte("written")
)


COLUMNS = [
    c.name for c in BareResident.__table__.columns if c.name not in ("id", "created_at", "programme_id")
]

JSON_COLUMNS = {c.name for c in BareResident.__table__.columns if isinstance(c.type, JSON)}
_RESIDENT_COLUMNS = [*COLUMNS, "programme_id", "created_at"]
_RESIDENT_VALUES = [f"CAST(:{c} AS json)" if c in JSON_COLUMNS else f":{c}" for c in _RESIDENT_COLUMNS]
# Column names from the model above; every value is a bound parameter.
ONE_STATEMENT = text(
    f"""
    WITH r AS (
        INSERT INTO bare.bare_resident ({", ".join(_RESIDENT_COLUMNS)})
        VALUES ({", ".join(_RESIDENT_VALUES)})
        RETURNING id, programme_id
    ), c AS (
        INSERT INTO bare.bare_certificate (resident_id, code, obtained_on, valid_until)
        SELECT r.id, g.code, g.obtained_on, g.valid_until
        FROM r, jsonb_to_recordset(CAST(:certificates AS jsonb))
            AS g(code text, obtained_on date, valid_until date)
    ), l AS (
        INSERT INTO bare.bare_ladder (resident_id, trede, measured_at, measured_by)
        SELECT r.id, :trede, :now, :coach FROM r
    ), s AS (
        INSERT INTO bare.bare_stage_change (resident_id, from_stage, to_stage, changed_at, changed_by)
        SELECT r.id, NULL, 'aangemeld', :now, :coach FROM r
    ), a AS (
        INSERT INTO bare.bare_audit (at, actor_id, resident_id, action, detail)
        SELECT :now, :coach, r.id, 'create', CAST(:detail AS json) FROM r
    ), o AS (
        INSERT INTO bare.bare_outbox (id, type, payload, subject, seq, created_at)
        SELECT :event_id, 'stage.changed', :payload, r.programme_id, 1, :now FROM r
        RETURNING id
    )
    SELECT r.id, pg_notify('bare_outbox', '') FROM r, o
    """  # noqa: S608
)


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
    intake_schema = ResidentCreateSchema()

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

    @app.post("/bare/residents/written")
    def create_written() -> Any:
        data = request.get_json()
        now = datetime.now(UTC)
        row = BareResident(
            programme_id=os.urandom(4).hex().upper(),
            created_at=now,
            **{c: data.get(c) for c in COLUMNS if c != "organisation_id"},
            organisation_id=ORGANISATION,
        )
        with sessions() as s, s.begin():
            s.add(row)
            s.flush()
            certificates = [
                {
                    "resident_id": row.id,
                    "code": c["code"],
                    "obtained_on": c.get("obtained_on"),
                    "valid_until": c.get("valid_until"),
                }
                for c in data.get("certificates") or []
            ]
            if certificates:
                s.execute(insert(BareCertificate), certificates)
            s.execute(
                insert(BareLadder),
                [
                    {
                        "resident_id": row.id,
                        "trede": data.get("participatieladder") or 1,
                        "measured_at": now,
                        "measured_by": data.get("coach_id"),
                    }
                ],
            )
            s.execute(
                insert(BareStageChange),
                [
                    {
                        "resident_id": row.id,
                        "from_stage": None,
                        "to_stage": "aangemeld",
                        "changed_at": now,
                        "changed_by": data.get("coach_id"),
                    }
                ],
            )
            s.execute(
                insert(BareAudit),
                [
                    {
                        "at": now,
                        "actor_id": data.get("coach_id"),
                        "resident_id": row.id,
                        "action": "create",
                        "detail": {"programme_id": row.programme_id},
                    }
                ],
            )
            payload = {
                "programme_id": row.programme_id,
                "from_stage": None,
                "to_stage": "aangemeld",
                "changed_at": now.isoformat(),
                "wijk": row.wijk,
                "gender": row.gender,
            }
            s.execute(
                _OUTBOX_AND_NOTIFY,
                {
                    "id": uuid.uuid4().hex,
                    "type": "stage.changed",
                    "payload": json.dumps(payload),
                    "subject": row.programme_id,
                    "seq": 1,
                    "created_at": now,
                },
            )
        return jsonify(_row(row)), 201

    @app.post("/bare/residents/one-statement")
    def create_one_statement() -> Any:
        """The same rows as /written in one statement (data-modifying CTEs, PostgreSQL only),
        written once as SQL: one round trip for all six writes, and no statement to build."""
        return _one_statement(request.get_json())

    @app.post("/bare/residents/validated")
    def create_validated() -> Any:
        """/one-statement after Instap's own request schema (marshmallow: every field's rule, the
        BSN and control-character rule): what the validation the stack asks for costs alone."""
        try:
            data = intake_schema.load(request.get_json())
        except ValidationError as err:
            return jsonify(errors=err.messages), 422
        return _one_statement(intake_schema.dump(data))

    def _one_statement(data: dict[str, Any]) -> Any:
        now = datetime.now(UTC)
        programme_id = os.urandom(4).hex().upper()
        values = {c: data.get(c) for c in COLUMNS if c != "organisation_id"}
        values |= {"programme_id": programme_id, "created_at": now, "organisation_id": ORGANISATION}
        params = {c: json.dumps(v) if c in JSON_COLUMNS else v for c, v in values.items()}
        payload = {
            "programme_id": programme_id,
            "from_stage": None,
            "to_stage": "aangemeld",
            "changed_at": now.isoformat(),
            "wijk": values.get("wijk"),
            "gender": values.get("gender"),
        }
        params |= {
            "certificates": json.dumps(data.get("certificates") or []),
            "trede": data.get("participatieladder") or 1,
            "coach": data.get("coach_id"),
            "now": now,
            "detail": json.dumps({"programme_id": programme_id}),
            "event_id": uuid.uuid4().hex,
            "payload": json.dumps(payload),
        }
        with engine.begin() as conn:
            row_id = conn.execute(ONE_STATEMENT, params).scalar_one()
        return jsonify({"id": row_id, **values}), 201

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
