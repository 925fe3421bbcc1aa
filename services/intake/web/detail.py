"""Resident pages: profile, stage, consent, notes, export, erasure and reassignment."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from services.intake.api import schemas as s
from services.intake.domain import audit, consent, export, funnel, notes, residents
from services.intake.domain.consent import active_record
from services.intake.models import Resident
from services.intake.web import proposals, timeline
from services.intake.web.forms import simple_errors
from services.intake.web.helpers import coaches, label, render, visible_resident
from services.intake.web.views import bp
from shared import reference
from shared.auth.accounts import Principal
from shared.auth.roles import BEHEERDER, JOBCOACH
from shared.auth.web import roles_required, staff
from shared.db import utcnow
from shared.errors import Conflict, Invalid, NotFound
from shared.i18n import translate_message
from shared.states import FUNNEL
from shared.web import commit, db_session

# Labels of the small forms on the resident page, for the error summary.
ACTION_LABELS = {
    "to_stage": "Nieuwe fase",
    "reason_code": "Reden van uitval",
    "purpose": "Doel",
    "method": "Hoe gegeven",
    "info_version": "Versie van de informatietekst",
    "body": "Notitie",
    "coach_id": "Andere jobcoach",
}


def _detail(
    principal: Principal,
    resident: Resident,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Any:
    """The resident page; every showing of personal data is written to the audit log."""
    audit.record(db_session(), principal, resident, "view", "page", "resident detail")
    section = proposals.for_resident(principal, resident)
    commit()
    journey = timeline.build(db_session(), resident)
    is_admin = principal.role == BEHEERDER
    coach_names = coaches()
    return render(
        "intake/resident.html",
        status,
        resident=resident,
        errors=errors or {},
        values=values or {},
        action_labels=ACTION_LABELS,
        next_stages=FUNNEL.allowed(resident.stage),
        active={p: active_record(resident, p) for p in reference.CONSENT_PURPOSES},
        coach_name=coach_names.get(resident.coach_id or -1, ""),
        coach_choices={k: v for k, v in coach_names.items() if k != resident.coach_id} if is_admin else {},
        is_admin=is_admin,
        proposals=section,
        timeline=journey,
    )


def _again(principal: Principal, programme_id: str, errors: dict[str, Any], values: dict[str, str]) -> Any:
    """Show the resident page again with the problems of a small form (nothing was saved)."""
    db_session().rollback()
    resident = visible_resident(programme_id)[1]
    return _detail(principal, resident, 422, simple_errors(errors), values)


def _back(programme_id: str, anchor: str) -> Any:
    return redirect(url_for("web.resident", programme_id=programme_id, _anchor=anchor))


@bp.get("/deelnemers/<programme_id>")
@roles_required(JOBCOACH, BEHEERDER)
def resident(programme_id: str) -> Any:
    principal, found = visible_resident(programme_id)
    return _detail(principal, found)


@bp.post("/deelnemers/<programme_id>/fase")
@roles_required(JOBCOACH, BEHEERDER)
def change_stage(programme_id: str) -> Any:
    principal, found = visible_resident(programme_id)
    raw = {
        "to_stage": request.form.get("to_stage", ""),
        "reason_code": request.form.get("reason_code") or None,
    }
    try:
        data = s.StageChangeSchema().load(raw)
        funnel.change_stage(db_session(), principal, found, data["to_stage"], data["reason_code"])
    except (ValidationError, Invalid) as err:
        messages = err.messages if isinstance(err, ValidationError) else err.errors
        return _again(principal, programme_id, messages, {k: v or "" for k, v in raw.items()})
    except Conflict:
        flash(
            _(
                "Deze stap kan niet vanuit de fase %(stage)s. Kies een stap uit de lijst.",
                stage=label("stages", found.stage),
            ),
            "error",
        )
        return _back(programme_id, "fase")
    audit.record(db_session(), principal, found, "stage", "page", data["to_stage"])
    commit()
    flash(_("De fase is nu: %(stage)s.", stage=label("stages", data["to_stage"])), "success")
    return _back(programme_id, "fase")


@bp.post("/deelnemers/<programme_id>/toestemming")
@roles_required(JOBCOACH, BEHEERDER)
def give_consent(programme_id: str) -> Any:
    """Record consent for one or more purposes at once (one conversation, one form, one method)."""
    principal, found = visible_resident(programme_id)
    chosen = {p.strip() for p in request.form.getlist("purpose") if p.strip()}
    # Registration first: the sharing purposes need it (consent.give_many checks that).
    order = list(reference.CONSENT_PURPOSES)
    purposes = sorted(chosen, key=lambda p: order.index(p) if p in order else len(order))
    raw = {k: request.form.get(k, "").strip() for k in ("method", "info_version")}
    shown = {**raw, "purpose": ",".join(purposes)}
    if not purposes:
        return _again(principal, programme_id, {"purpose": ["Kies minstens één doel."]}, shown)
    try:
        loaded = [
            s.ConsentGiveSchema().load({"purpose": purpose, **{k: v for k, v in raw.items() if v}})
            for purpose in purposes
        ]
        consent.give_many(
            db_session(),
            principal,
            found,
            [(data["purpose"], data["method"]) for data in loaded],
            loaded[0]["info_version"],
        )
    except ValidationError as err:
        return _again(principal, programme_id, err.messages, shown)
    except Conflict as err:
        db_session().rollback()
        flash(translate_message(err.message), "error")
        return _back(programme_id, "toestemming")
    for data in loaded:
        audit.record(db_session(), principal, found, "consent_given", "page", data["purpose"])
    commit()
    flash(
        _(
            "Toestemming vastgelegd: %(purposes)s.",
            purposes=", ".join(label("purposes", d["purpose"]) for d in loaded),
        ),
        "success",
    )
    return _back(programme_id, "toestemming")


@bp.route("/deelnemers/<programme_id>/toestemming/<purpose>/intrekken", methods=["GET", "POST"])
@roles_required(JOBCOACH, BEHEERDER)
def withdraw_consent(programme_id: str, purpose: str) -> Any:
    if purpose not in reference.CONSENT_PURPOSES:
        abort(404)
    principal, found = visible_resident(programme_id)
    if active_record(found, purpose) is None:
        # Only consent that was given can be withdrawn; say so instead of asking to confirm.
        flash(_("Er is geen toestemming voor dit doel om in te trekken."), "error")
        return _back(programme_id, "toestemming")
    if request.method == "GET":
        audit.record(db_session(), principal, found, "view", "page", "bevestigen intrekken", purpose=purpose)
        commit()
        return render("intake/confirm.html", resident=found, action="withdraw", purpose=purpose)
    try:
        consent.withdraw(db_session(), principal, found, purpose)
    except NotFound:
        flash(_("Er is geen toestemming voor dit doel om in te trekken."), "error")
        return _back(programme_id, "toestemming")
    audit.record(db_session(), principal, found, "consent_withdrawn", "page", purpose)
    commit()
    flash(_("Toestemming ingetrokken: %(purpose)s.", purpose=label("purposes", purpose)), "success")
    return _back(programme_id, "toestemming")


@bp.post("/deelnemers/<programme_id>/notities")
@roles_required(JOBCOACH, BEHEERDER)
def add_note(programme_id: str) -> Any:
    principal, found = visible_resident(programme_id)
    body = request.form.get("body", "")
    try:
        data = s.NoteCreateSchema().load({"body": body} if body.strip() else {})
    except ValidationError as err:
        return _again(principal, programme_id, err.messages, {"body": body})
    notes.add(db_session(), principal, found, data["body"])
    audit.record(db_session(), principal, found, "note_added", "page", "note")
    commit()
    flash(_("Notitie opgeslagen."), "success")
    return _back(programme_id, "notities")


@bp.post("/deelnemers/<programme_id>/jobcoach")
@roles_required(BEHEERDER)
def reassign(programme_id: str) -> Any:
    principal, found = visible_resident(programme_id)
    raw = request.form.get("coach_id", "")
    try:
        data = s.ReassignSchema().load({"coach_id": raw} if raw else {})
        residents.reassign(db_session(), staff(), principal, found, data["coach_id"])
    except (ValidationError, Invalid) as err:
        messages = err.messages if isinstance(err, ValidationError) else err.errors
        return _again(principal, programme_id, messages, {"coach_id": raw})
    audit.record(db_session(), principal, found, "reassign", "page", "caseload", coach_id=data["coach_id"])
    commit()
    flash(_("De deelnemer heeft nu een andere jobcoach."), "success")
    return _back(programme_id, "jobcoach")


@bp.get("/deelnemers/<programme_id>/gegevens.json")
@roles_required(JOBCOACH, BEHEERDER)
def export_json(programme_id: str) -> Any:
    principal, found = visible_resident(programme_id)
    audit.record(db_session(), principal, found, "export", "page", "right of access", format="json")
    document = export.export(db_session(), found)
    commit()
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2, default=str),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="instap-{found.programme_id}.json"'},
    )


@bp.get("/deelnemers/<programme_id>/inzage")
@roles_required(JOBCOACH, BEHEERDER)
def export_page(programme_id: str) -> Any:
    principal, found = visible_resident(programme_id)
    audit.record(db_session(), principal, found, "export", "page", "right of access", format="html")
    document = export.export(db_session(), found)
    commit()
    return render("intake/inzage.html", resident=found, doc=document, now=utcnow())


@bp.route("/deelnemers/<programme_id>/wissen", methods=["GET", "POST"])
@roles_required(JOBCOACH, BEHEERDER)
def erase(programme_id: str) -> Any:
    principal, found = visible_resident(programme_id)
    if request.method == "GET":
        audit.record(db_session(), principal, found, "view", "page", "bevestigen wissen")
        commit()
        return render("intake/confirm.html", resident=found, action="erase", purpose=None)
    residents.erase(db_session(), found)
    audit.record(db_session(), principal, found, "erase", "page", "right to erasure")
    commit()
    flash(_("De persoonsgegevens van %(id)s zijn gewist.", id=programme_id), "success")
    return redirect(url_for("web.caseload"))
