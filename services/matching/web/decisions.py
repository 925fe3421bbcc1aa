"""The job coach's proposals page: decide with the resident, and start a new match run."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from services.matching.api import schemas as s
from services.matching.api.schemas import ACCEPTED_BY_BOTH
from services.matching.domain import proposals
from services.matching.models import Proposal
from services.matching.web import forms
from services.matching.web.helpers import cards_for, organisation_names, render, resident_names
from services.matching.web.stories import withdrawal_reason
from services.matching.web.views import bp
from shared.auth.roles import BEHEERDER, JOBCOACH
from shared.auth.web import require_principal, roles_required
from shared.errors import Conflict, Invalid, NotFound
from shared.i18n import translate_message
from shared.states import ProposalStatus as P
from shared.web import commit, db_session

# Groups on the coach's page, in the order they are shown.
COACH_GROUPS = (
    ("voorgesteld", "Wacht op uw besluit", (P.VOORGESTELD,)),
    ("coach_akkoord", "Wacht op de werkgever of opleider", (P.COACH_AKKOORD,)),
    ("aannemer_akkoord", "Geaccepteerd: de start volgt", (P.AANNEMER_AKKOORD,)),
    ("gestart", "Gestart of ingeschreven", (P.GEPLAATST, P.INGESCHREVEN)),
    ("afgewezen", "Afgewezen", (P.COACH_AFGEWEZEN, P.AANNEMER_AFGEWEZEN)),
    ("ingetrokken", "Ingetrokken", (P.INGETROKKEN,)),
)


def _page(
    status: int = 200, errors: dict[str, str] | None = None, values: dict[str, str] | None = None
) -> Any:
    principal = require_principal()
    items = (
        db_session()
        .scalars(
            proposals.visible(select(Proposal), principal)
            .options(
                selectinload(Proposal.task), selectinload(Proposal.slot), selectinload(Proposal.leads_to)
            )
            .order_by(Proposal.updated_at.desc(), Proposal.id.desc())
        )
        .all()
    )
    groups: dict[str, list[Proposal]] = {key: [] for key, _t, _s in COACH_GROUPS}
    where = {st: key for key, _t, statuses in COACH_GROUPS for st in statuses}
    for p in items:
        groups[where.get(p.status, "ingetrokken")].append(p)
    # Names come from intake, asked as this coach (own caseload only; intake logs the read).
    names = resident_names(p.programme_id for p in items)
    accepted = [p for p in items if p.status in ACCEPTED_BY_BOTH]
    rows = [p.task or p.slot for p in accepted]
    return render(
        "matching/proposals.html",
        status,
        groups=groups,
        names=names,
        cards=cards_for(items),
        withdrawal_reason=withdrawal_reason,
        organisations=organisation_names(r.organisation_id for r in rows if r is not None),
        group_titles={key: title for key, title, _s in COACH_GROUPS},
        errors=errors or {},
        values=values or {},
        nav_current="proposals",
    )


@bp.get("/voorstellen", endpoint="proposals")
@roles_required(JOBCOACH, BEHEERDER)
def proposals_page() -> Any:
    return _page()


@bp.post("/voorstellen/<int:proposal_id>/besluit")
@roles_required(JOBCOACH, BEHEERDER)
def coach_decide(proposal_id: int) -> Any:
    principal = require_principal()
    session = db_session()
    try:
        proposal = proposals.get(session, principal, proposal_id)
    except NotFound:
        raise NotFound("Dit voorstel is niet gevonden.") from None
    field = f"reason-{proposal_id}"
    raw = {"accept": request.form.get("accept", ""), "reason": request.form.get("reason") or None}
    try:
        data = s.DecisionSchema().load(raw)
        proposals.coach_decides(session, principal, proposal, data["accept"], data["reason"])
    except (ValidationError, Invalid) as err:
        session.rollback()
        messages = err.messages if isinstance(err, ValidationError) else err.errors
        errors = {
            field if key == "reason" else forms.FORM_ERROR_KEY: text
            for key, text in forms.field_errors(None, messages).items()
        }
        return _page(422, errors, {field: raw["reason"] or ""})
    except Conflict as err:
        session.rollback()
        flash(
            translate_message(err.message)
            if isinstance(err, proposals.ResidentBusy)
            else _("Dit voorstel is al behandeld. Bekijk hieronder de nieuwe stand."),
            "error",
        )
        return redirect(url_for("web.proposals"))
    commit()
    if data["accept"]:
        flash(
            _(
                "Akkoord vastgelegd voor %(id)s. De werkgever of opleider ziet het profiel nu zonder naam.",
                id=proposal.programme_id,
            ),
            "success",
        )
    else:
        flash(_("Voorstel voor %(id)s afgewezen.", id=proposal.programme_id), "success")
    return redirect(url_for("web.proposals"))
