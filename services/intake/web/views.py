"""Intake pages: caseload and the intake form (new and edit); resident pages live in detail.py."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from services.intake.api import schemas as s
from services.intake.domain import audit, duplicates, residents
from services.intake.models import Resident
from services.intake.web import forms
from services.intake.web.helpers import coaches, local_iso, render, visible_resident
from shared.auth.roles import BEHEERDER, JOBCOACH
from shared.auth.web import current_principal, require_principal, roles_required, staff
from shared.errors import Invalid
from shared.navigation import start_path
from shared.pages import load_in_one_round, local_date, local_datetime
from shared.runtime import service_context
from shared.states import FUNNEL
from shared.web import commit, db_session, page_args

bp = Blueprint("web", __name__)
bp.add_app_template_filter(local_datetime, "datumtijd")
bp.add_app_template_filter(local_date, "datum")
bp.add_app_template_filter(local_iso, "iso")


@bp.get("/")
def index() -> Any:
    principal = current_principal()
    if principal is None:
        return redirect(url_for("auth.login", next="/intake/"))
    return redirect(start_path(principal.role))


def _filters() -> tuple[dict[str, str], dict[str, Any], list[str]]:
    """The caseload filters from the query string: as typed, as search arguments, and problems."""
    shown = {key: request.args.get(key, "").strip() for key in ("q", "wijk", "fase", "coach")}
    raw = {
        "q": shown["q"],
        "wijk": shown["wijk"],
        "stage": shown["fase"],
        "coach_id": shown["coach"],
    }
    raw = {k: v for k, v in raw.items() if v}
    problems: list[str] = []
    try:
        args = s.ResidentQueryArgsSchema().load(raw)
    except ValidationError as err:
        # A bad filter (old link, typo) is dropped with a message; the rest still applies.
        problems = list(forms.simple_errors(err.messages).values())
        for key in err.messages:
            raw.pop(key, None)
        args = s.ResidentQueryArgsSchema().load(raw)
    return shown, args, problems


@bp.get("/deelnemers")
@roles_required(JOBCOACH, BEHEERDER)
def caseload() -> Any:
    principal = require_principal()
    shown, args, problems = _filters()
    if principal.role != BEHEERDER:
        args.pop("coach_id", None)
        shown["coach"] = ""
    per_page = service_context().settings.page_size
    page, _ = page_args(request.args.get("pagina"), per_page, per_page)
    result = residents.search(db_session(), principal, page=page, per_page=per_page, **args)
    audit.record(
        db_session(),
        principal,
        None,
        "list",
        "page",
        "caseload",
        count=len(result.items),
        programme_ids=[r.programme_id for r in result.items],
    )
    commit()
    pages = max(1, -(-result.total // per_page))
    link_args = {k: v for k, v in shown.items() if v}
    filtered = any(shown.values())
    return render(
        "intake/caseload.html",
        result=result,
        pages=pages,
        filters=shown,
        link_args=link_args,
        filtered=filtered,
        problems=problems,
        coach_names=coaches() if principal.role == BEHEERDER else {},
        nav_current="caseload",
    )


def _form_page(
    resident: Resident | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
    duplicates: list[Resident] | None = None,
) -> Any:
    principal = require_principal()
    coach_options = coaches() if principal.role == BEHEERDER and resident is None else {}
    return render(
        "intake/form.html",
        status,
        resident=resident,
        values=values,
        errors=errors,
        duplicates=duplicates or [],
        expiring=forms.expiring_certificates(),
        coach_options=coach_options,
        nav_current="new" if resident is None else None,
    )


@bp.route("/deelnemers/nieuw", methods=["GET", "POST"])
@roles_required(JOBCOACH, BEHEERDER)
def new() -> Any:
    principal = require_principal()
    if request.method == "GET":
        return _form_page(None, forms.empty_values(), {})
    payload = forms.payload_from_form(request.form, editing=False)
    if principal.role == BEHEERDER:
        payload["coach_id"] = request.form.get("coach_id") or None
    try:
        data = load_in_one_round(s.ResidentCreateSchema(), payload)
        found = (
            []
            if request.form.get("dubbel_bevestigd") == "ja"
            else duplicates.find(db_session(), principal, data)
        )
        if found:
            # Maybe registered already: show who (a read of their names, logged), and let the
            # coach either open that resident or confirm this is someone else.
            for other in found:
                audit.record(db_session(), principal, other, "view", "page", "possible duplicate")
            commit()
            return _form_page(None, forms.values_from_form(request.form), {}, 409, found)
        resident = residents.create(db_session(), staff(), principal, data)
    except (ValidationError, Invalid) as err:
        messages = err.messages if isinstance(err, ValidationError) else err.errors
        return _form_page(
            None, forms.values_from_form(request.form), forms.field_errors(messages, payload), 422
        )
    audit.record(db_session(), principal, resident, "create", "page", "intake")
    commit()
    flash(_("Intake opgeslagen."), "success")
    return redirect(url_for("web.resident", programme_id=resident.programme_id))


@bp.route("/deelnemers/<programme_id>/bewerken", methods=["GET", "POST"])
@roles_required(JOBCOACH, BEHEERDER)
def edit(programme_id: str) -> Any:
    principal, resident = visible_resident(programme_id)
    if request.method == "GET":
        audit.record(db_session(), principal, resident, "view_edit", "page", "edit form")
        commit()
        return _form_page(resident, forms.values_from_resident(resident), {})
    payload = forms.payload_from_form(
        request.form, editing=True, obtained_on={c.code: c.obtained_on for c in resident.certificates}
    )
    try:
        data = load_in_one_round(s.ResidentUpdateSchema(), payload)
        residents.update(db_session(), principal, resident, data)
    except (ValidationError, Invalid) as err:
        db_session().rollback()
        messages = err.messages if isinstance(err, ValidationError) else err.errors
        resident = visible_resident(programme_id)[1]
        # The page shows the stored name again: a read like any other (nothing was changed).
        audit.record(db_session(), principal, resident, "view_edit", "page", "edit form after error")
        commit()
        return _form_page(
            resident, forms.values_from_form(request.form), forms.field_errors(messages, payload), 422
        )
    audit.record(db_session(), principal, resident, "update", "page", "edit", fields=sorted(data))
    commit()
    flash(_("Wijzigingen opgeslagen."), "success")
    return redirect(url_for("web.resident", programme_id=resident.programme_id))


@bp.app_context_processor
def _intake_globals() -> dict[str, Any]:
    return {"stages": FUNNEL.values}


# The resident pages register their routes on the same blueprint.
from services.intake.web import detail, followups  # noqa: E402, F401
