"""Contractor pages for placements: the list with the SROI export, and one placement with its
terms, the confirmed start, the end or a cancellation (same rules as the API)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError
from sqlalchemy import select

from services.matching.api import placements as api
from services.matching.domain import placements, pseudonyms, sroi
from services.matching.models import Placement, Task
from services.matching.web import forms
from services.matching.web.helpers import render
from services.matching.web.views import bp
from shared import clock
from shared.auth.roles import AANNEMER, BEHEERDER
from shared.auth.web import require_principal, roles_required
from shared.errors import Conflict, Invalid, NotFound
from shared.i18n import translate_message
from shared.web import commit, db_session

PAGE_ROLES = (AANNEMER, BEHEERDER)
FIELD_LABELS = {
    "planned_start": "Geplande startdatum",
    "contract_type": "Soort contract",
    "hours_per_week": "Uren per week",
    "wage_subsidy": "Loonkostensubsidie",
    "jobcoach_support": "Begeleiding door een jobcoach",
    "sroi_tag": "SROI-kenmerk",
    "started_on": "Eerste werkdag",
    "early_start_reason": "Waarom eerder begonnen",
    "ended_on": "Laatste werkdag",
    "reason": "Reden",
    "from": "Vanaf",
    "to": "Tot en met",
    "_form": "Formulier",
}
GROUPS = (
    (placements.AFGESPROKEN, "Afgesproken: start nog bevestigen"),
    (placements.GESTART, "Aan het werk"),
    (placements.BEEINDIGD, "Beëindigd"),
    (placements.GEANNULEERD, "Niet doorgegaan"),
)


def _label(placement: Placement, principal: Any) -> str:
    """How the page calls the resident: the contractor's pseudonym of them for the task (the one
    on the candidate card, domain/pseudonyms.py); the beheerder sees the programme id."""
    if pseudonyms.hides_programme_id(principal):
        return pseudonyms.for_placement(db_session(), placement)
    return placement.programme_id


def _field_label(key: str) -> str:
    return _(FIELD_LABELS.get(key, FIELD_LABELS["_form"]))


def _errors(err: ValidationError | Invalid) -> dict[str, str]:
    messages = err.messages if isinstance(err, ValidationError) else err.errors
    return forms.field_errors(None, messages)


def _load(schema: Schema, raw: dict[str, Any]) -> dict[str, Any]:
    """Form values → schema input: empty fields left out, ja/nee as booleans."""
    data: dict[str, Any] = {}
    for key, value in raw.items():
        value = (value or "").strip()
        if value == "":
            continue
        data[key] = (
            {"ja": True, "nee": False}.get(value, value)
            if key in ("wage_subsidy", "jobcoach_support")
            else value
        )
    return schema.load(data)


@bp.get("/plaatsingen")
@roles_required(*PAGE_ROLES)
def placements_list() -> Any:
    principal = require_principal()
    session = db_session()
    items = session.scalars(
        placements.visible(select(Placement), principal).order_by(Placement.planned_start, Placement.id)
    ).all()
    tasks = {t.id: t for t in session.scalars(select(Task).where(Task.id.in_({p.task_id for p in items})))}
    groups: dict[str, list[Placement]] = {key: [] for key, _title in GROUPS}
    for p in items:
        groups[p.status].append(p)
    today = clock.today()
    return render(
        "matching/placements.html",
        groups=groups,
        people={p.id: _label(p, principal) for p in items},
        group_titles=dict(GROUPS),
        tasks=tasks,
        sroi_tags=sroi.tags(session, principal),
        errors={},
        values={"from": date(today.year, 1, 1).isoformat(), "to": today.isoformat()},
        field_label=_field_label,
        nav_current="placements",
    )


@bp.get("/plaatsingen/sroi.csv")
@roles_required(*PAGE_ROLES)
def placements_sroi() -> Any:
    raw = {k: request.args.get(k, "") for k in ("sroi_tag", "from", "to")}
    try:
        args = _load(api.SroiArgsSchema(), raw)
        body = sroi.export(db_session(), require_principal(), args["sroi_tag"], args["start"], args["end"])
    except (ValidationError, Invalid) as err:
        flash(
            _("De export kan niet: %(problems)s", problems=" ".join(_errors(err).values())),
            "error",
        )
        return redirect(url_for("web.placements_list", _anchor="sroi"))
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": api._filename(args)})


@bp.get("/plaatsingen/voorstel/<int:proposal_id>")
@roles_required(*PAGE_ROLES)
def placement_of_proposal(proposal_id: int) -> Any:
    """From a candidate card on the task page to its placement."""
    placement = db_session().scalar(
        placements.visible(select(Placement), require_principal()).where(Placement.proposal_id == proposal_id)
    )
    if placement is None:
        raise NotFound("Deze plaatsing is niet gevonden.")
    return redirect(url_for("web.placement", placement_id=placement.id))


def _show(
    placement_id: int,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Any:
    principal = require_principal()
    placement = placements.get(db_session(), principal, placement_id)
    task = placement.task
    shown = {
        "planned_start": placement.planned_start.isoformat() if placement.planned_start else "",
        "contract_type": placement.contract_type or "",
        "hours_per_week": str(placement.hours_per_week or ""),
        "wage_subsidy": "ja" if placement.wage_subsidy else "nee",
        "jobcoach_support": "ja" if placement.jobcoach_support else "nee",
        "sroi_tag": placement.sroi_tag or "",
        "started_on": clock.today().isoformat(),
        "ended_on": clock.today().isoformat(),
    }
    shown.update(values or {})
    return render(
        "matching/placement.html",
        status,
        placement=placement,
        person=_label(placement, principal),
        task=task,
        early=task is not None and clock.today() < task.start_date,
        errors=errors or {},
        values=shown,
        field_label=_field_label,
        nav_current="placements",
    )


@bp.get("/plaatsingen/<int:placement_id>")
@roles_required(*PAGE_ROLES)
def placement(placement_id: int) -> Any:
    return _show(placement_id)


def _act(
    placement_id: int, fields: tuple[str, ...], schema: Schema, action: Any, done: str, anchor: str
) -> Any:
    principal = require_principal()
    session = db_session()
    found = placements.get(session, principal, placement_id)
    raw = {k: request.form.get(k, "") for k in fields}
    try:
        data = _load(schema, raw)
        action(session, principal, found, data)
    except (ValidationError, Invalid) as err:
        session.rollback()
        return _show(placement_id, 422, _errors(err), raw)
    except Conflict as err:
        session.rollback()
        flash(translate_message(err.message), "error")
        return redirect(url_for("web.placement", placement_id=placement_id))
    commit()
    flash(done, "success")
    return redirect(url_for("web.placement", placement_id=placement_id, _anchor=anchor))


@bp.post("/plaatsingen/<int:placement_id>/afspraken")
@roles_required(*PAGE_ROLES)
def placement_terms(placement_id: int) -> Any:
    return _act(
        placement_id,
        placements.TERM_FIELDS,
        api.PlacementTermsSchema(),
        lambda s, p, f, d: placements.update_terms(s, p, f, d),
        _("De afspraken zijn opgeslagen."),
        "afspraken",
    )


@bp.post("/plaatsingen/<int:placement_id>/start")
@roles_required(*PAGE_ROLES)
def placement_start(placement_id: int) -> Any:
    return _act(
        placement_id,
        ("started_on", "early_start_reason"),
        api.PlacementStartSchema(),
        lambda s, p, f, d: placements.confirm_start(s, p, f, d["started_on"], d["early_start_reason"]),
        _("De start is bevestigd. De jobcoach plant de gesprekken na 1, 3, 6 en 12 maanden."),
        "status",
    )


@bp.post("/plaatsingen/<int:placement_id>/einde")
@roles_required(*PAGE_ROLES)
def placement_end(placement_id: int) -> Any:
    return _act(
        placement_id,
        ("ended_on", "reason"),
        api.PlacementEndSchema(),
        lambda s, p, f, d: placements.end(s, p, f, d["ended_on"], d["reason"]),
        _("Het einde van de plaatsing is vastgelegd. De plaats is weer vrij."),
        "status",
    )


@bp.post("/plaatsingen/<int:placement_id>/annuleren")
@roles_required(*PAGE_ROLES)
def placement_cancel(placement_id: int) -> Any:
    return _act(
        placement_id,
        ("reason",),
        api.PlacementCancelSchema(),
        lambda s, p, f, d: placements.cancel(s, p, f, d["reason"]),
        _("De plaatsing gaat niet door. De plaats is weer vrij."),
        "status",
    )
