"""Coach pages for follow-ups: the list of those due now, and recording one."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from services.intake.api.schemas import FollowUpRecordSchema
from services.intake.domain import audit, followups
from services.intake.web.forms import simple_errors
from services.intake.web.helpers import render
from services.intake.web.views import bp
from shared import clock
from shared.auth.roles import BEHEERDER, JOBCOACH
from shared.auth.web import require_principal, roles_required
from shared.errors import Conflict, Invalid, NotFound
from shared.i18n import translate_message
from shared.web import commit, db_session

RECORD_LABELS = {
    "still_working": "Werkt de deelnemer nog?",
    "trede": "Trede op de Participatieladder",
    "recorded_on": "Datum van het gesprek",
}


@bp.get("/opvolging")
@roles_required(JOBCOACH, BEHEERDER)
def followups_due() -> Any:
    principal = require_principal()
    page = followups.due_list(db_session(), principal)
    audit.record(
        db_session(),
        principal,
        None,
        "list",
        "page",
        "follow-ups",
        count=len(page.items),
        programme_ids=sorted({f.resident.programme_id for f in page.items}),
    )
    commit()
    return render("intake/followups.html", page=page, nav_current="followups")


def _form(
    item: Any, status: int = 200, errors: dict[str, str] | None = None, values: dict[str, str] | None = None
) -> Any:
    principal = require_principal()
    audit.record(db_session(), principal, item.resident, "view", "page", "follow-up")
    commit()
    return render(
        "intake/followup.html",
        status,
        item=item,
        resident=item.resident,
        errors=errors or {},
        values=values or {"recorded_on": clock.today().isoformat()},
        record_labels=RECORD_LABELS,
        nav_current="followups",
    )


@bp.route("/opvolging/<int:followup_id>", methods=["GET", "POST"])
@roles_required(JOBCOACH, BEHEERDER)
def followup(followup_id: int) -> Any:
    principal = require_principal()
    session = db_session()
    try:
        item = followups.get_visible(session, principal, followup_id)
    except NotFound:
        raise NotFound("Deze opvolging bestaat niet, of hoort niet bij uw caseload.") from None
    if request.method == "GET":
        return _form(item)
    raw = {k: request.form.get(k, "").strip() for k in ("still_working", "trede", "recorded_on")}
    try:
        data = FollowUpRecordSchema().load({k: v for k, v in raw.items() if v})
        followups.record(
            session,
            principal,
            item,
            data["still_working"],
            data["trede"],
            data["recorded_on"],
            channel="page",
        )
    except (ValidationError, Invalid) as err:
        session.rollback()
        messages = err.messages if isinstance(err, ValidationError) else err.errors
        return _form(
            followups.get_visible(session, principal, followup_id), 422, simple_errors(messages), raw
        )
    except Conflict as err:
        session.rollback()
        flash(translate_message(err.message), "error")
        return redirect(url_for("web.resident", programme_id=item.resident.programme_id, _anchor="tijdlijn"))
    programme_id = item.resident.programme_id
    commit()
    flash(_("De opvolging is vastgelegd."), "success")
    return redirect(url_for("web.resident", programme_id=programme_id, _anchor="tijdlijn"))
