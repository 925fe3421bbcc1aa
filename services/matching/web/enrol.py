"""The coach's enrolment page: put one of their own residents (with `delen_opleider` consent) in a
training slot, and see their residents' enrolments. Names come from intake, asked as the coach."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select

from services.matching.api import enrolment_schemas as s
from services.matching.domain import enrolments
from services.matching.models import Candidate, Enrolment, TrainingSlot
from services.matching.web.cohorts import DROPOUT_LABELS, PHASES
from services.matching.web.helpers import render
from services.matching.web.views import bp
from shared.auth.roles import JOBCOACH
from shared.auth.web import require_principal, roles_required
from shared.errors import Conflict, Invalid
from shared.peers import PeerUnavailable
from shared.web import commit, db_session


def _names() -> dict[str, str]:
    """The coach's own caseload from intake (their own rules, their own audit entry)."""
    peers = current_app.extensions["instap"].peers
    if not peers.knows("intake"):
        return {}
    try:
        reply = peers.get("intake", "/api/v1/residents", {"per_page": 200})
    except PeerUnavailable:
        return {}
    items = reply.body.get("items", []) if reply.ok and isinstance(reply.body, dict) else []
    return {r["programme_id"]: r.get("name", "") for r in items if isinstance(r, dict)}


def _page(
    status: int = 200, errors: dict[str, str] | None = None, values: dict[str, str] | None = None
) -> Any:
    principal = require_principal()
    session = db_session()
    residents = session.scalars(
        select(Candidate)
        .where(
            Candidate.coach_id == principal.user_id,
            Candidate.share_with_trainer.is_(True),
            Candidate.removed_at.is_(None),
        )
        .order_by(Candidate.programme_id)
    ).all()
    slots = session.scalars(
        select(TrainingSlot)
        .where(TrainingSlot.status == "open", TrainingSlot.filled < TrainingSlot.seats)
        .order_by(TrainingSlot.start_date, TrainingSlot.id)
    ).all()
    mine = session.scalars(
        enrolments.visible(select(Enrolment), principal).order_by(Enrolment.id.desc()).limit(100)
    ).all()
    return render(
        "matching/enrol.html",
        status,
        residents=residents,
        slots=slots,
        mine=mine,
        names=_names(),
        phases=dict(PHASES),
        dropout_labels=DROPOUT_LABELS,
        errors=errors or {},
        values=values or {},
        nav_current="enrol",
    )


@bp.route("/inschrijvingen", methods=["GET", "POST"])
@roles_required(JOBCOACH)
def enrol() -> Any:
    if request.method == "GET":
        return _page()
    raw = {
        "programme_id": request.form.get("programme_id") or None,
        "slot_id": request.form.get("slot_id") or None,
    }
    session = db_session()
    try:
        data = s.EnrolmentCreateSchema().load(raw)
        enrolments.enrol_by_coach(session, require_principal(), data["programme_id"], data["slot_id"])
    except (ValidationError, Invalid) as err:
        session.rollback()
        messages: Any = err.messages if isinstance(err, ValidationError) else err.errors
        errors = {
            key: str(value[0] if isinstance(value, list) else value)
            for key, value in messages.items()
            if key in ("programme_id", "slot_id")
        } or {"programme_id": _("Kies een deelnemer en een opleiding.")}
        return _page(422, errors, {k: v or "" for k, v in raw.items()})
    except Conflict as err:
        session.rollback()
        return _page(409, {"slot_id": err.message}, {k: v or "" for k, v in raw.items()})
    commit()
    flash(_("Ingeschreven. De opleider ziet de deelnemer nu in het cohort."), "success")
    return redirect(url_for("web.enrol"))
