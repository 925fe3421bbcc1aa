"""Organisation pages: a contractor's entry tasks and de Beroepentuin's training slots, each
with the pseudonymous candidates proposed for it (accept, decline, confirm the start)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError
from sqlalchemy import func, select

from services.matching.api import schemas as s
from services.matching.api.schemas import ACCEPTED_BY_BOTH
from services.matching.domain import proposals, runs, supply
from services.matching.domain.pseudonyms import for_proposal as pseudonym_of
from services.matching.models import Proposal, Task, TrainingSlot
from services.matching.web import forms
from services.matching.web.helpers import cards_for, introductions, pseudonyms_for, render
from services.matching.web.views import bp
from shared.auth.roles import AANNEMER, OPLEIDER
from shared.auth.web import require_principal, roles_required
from shared.errors import Conflict, Invalid, NotFound
from shared.i18n import translate_message
from shared.states import OpeningStatus, ProposalStatus
from shared.web import commit, db_session

# Proposal groups on an organisation's page, in the order they are shown.
ORG_GROUPS = (
    (ProposalStatus.COACH_AKKOORD, "Kandidaten om te beoordelen"),
    (ProposalStatus.AANNEMER_AKKOORD, "Geaccepteerd: start nog bevestigen"),
    ("started", "Gestart"),
    (ProposalStatus.AANNEMER_AFGEWEZEN, "Afgewezen"),
)


@dataclass(frozen=True)
class Kind:
    """What differs between an entry task and a training slot on these pages."""

    name: str  # "task" | "slot"
    model: Any
    spec: forms.FormSpec
    create_schema: type[Schema]
    update_schema: type[Schema]
    get: Any
    create: Any
    update: Any
    close: Any
    query: Any
    capacity: str  # "places" | "seats"
    started: str  # proposal status after the start is confirmed
    new_run: str
    changed_run: str

    def proposal_filter(self, row_id: int) -> Any:
        column = Proposal.task_id if self.name == "task" else Proposal.slot_id
        return column == row_id

    def endpoint(self, page: str) -> str:
        return f"web.{page}_{self.name}"


TASK = Kind(
    "task",
    Task,
    forms.TASK,
    s.TaskCreateSchema,
    s.TaskUpdateSchema,
    supply.get_task,
    supply.create_task,
    supply.update_task,
    supply.close_task,
    supply.tasks_query,
    "places",
    ProposalStatus.GEPLAATST,
    "nieuwe taak",
    "taak gewijzigd",
)
SLOT = Kind(
    "slot",
    TrainingSlot,
    forms.SLOT,
    s.SlotCreateSchema,
    s.SlotUpdateSchema,
    supply.get_slot,
    supply.create_slot,
    supply.update_slot,
    supply.close_slot,
    supply.slots_query,
    "seats",
    ProposalStatus.INGESCHREVEN,
    "nieuwe opleidingsplek",
    "opleidingsplek gewijzigd",
)
NOT_FOUND = {
    "task": "Deze instaptaak bestaat niet, of hoort niet bij uw organisatie.",
    "slot": "Deze opleidingsplek bestaat niet, of hoort niet bij uw organisatie.",
}


def _row(kind: Kind, row_id: int) -> Any:
    try:
        return kind.get(db_session(), require_principal(), row_id)
    except NotFound:
        raise NotFound(NOT_FOUND[kind.name]) from None


# --- lists ------------------------------------------------------------------------------------


def _list(kind: Kind) -> Any:
    principal = require_principal()
    rows = (
        db_session()
        .scalars(
            kind.query(principal).order_by(kind.model.status.desc(), kind.model.start_date, kind.model.id)
        )
        .all()
    )
    column = Proposal.task_id if kind.name == "task" else Proposal.slot_id
    counts = db_session().execute(
        select(column, func.count())
        .where(column.in_([r.id for r in rows]), Proposal.status == ProposalStatus.COACH_AKKOORD)
        .group_by(column)
    )
    waiting: dict[int, int] = {row_id: n for row_id, n in counts if row_id is not None}
    return render(f"matching/{kind.name}s.html", rows=rows, waiting=waiting, nav_current=f"{kind.name}s")


@bp.get("/taken")
@roles_required(AANNEMER)
def tasks() -> Any:
    return _list(TASK)


@bp.get("/plekken")
@roles_required(OPLEIDER)
def slots() -> Any:
    return _list(SLOT)


# --- new and edit -----------------------------------------------------------------------------


def _form_page(
    kind: Kind, row: Any, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Any:
    return render(
        f"matching/{kind.name}_form.html",
        status,
        row=row,
        values=values,
        errors=errors,
        field_label=forms.field_label_for(kind.spec),
        nav_current=None if row else f"new_{kind.name}",
    )


def _new(kind: Kind) -> Any:
    principal = require_principal()
    if request.method == "GET":
        return _form_page(kind, None, forms.empty_values(kind.spec, principal.name), {})
    data_in = forms.payload(kind.spec, request.form, editing=False)
    session = db_session()
    try:
        data = kind.create_schema().load(data_in)
        row = kind.create(session, principal, data)
    except (ValidationError, Invalid) as err:
        session.rollback()
        messages: Any = (
            err.errors
            if isinstance(err, Invalid)
            else {**forms.missing_required(kind.spec, data_in), **err.normalized_messages()}
        )
        return _form_page(
            kind,
            None,
            forms.values_from_form(kind.spec, request.form),
            forms.field_errors(kind.spec, messages),
            422,
        )
    runs.request_run(session, kind.name, str(row.id), kind.new_run)
    row_id = row.id
    commit()
    flash(
        _("Instaptaak opgeslagen. Instap zoekt nu passende kandidaten.")
        if kind is TASK
        else _("Opleidingsplek opgeslagen. Instap zoekt nu passende deelnemers."),
        "success",
    )
    return redirect(url_for(kind.endpoint("show"), row_id=row_id))


def _edit(kind: Kind, row_id: int) -> Any:
    principal = require_principal()
    row = _row(kind, row_id)
    if row.status != OpeningStatus.OPEN:
        flash(_("Dit is gesloten. U kunt het niet meer wijzigen."), "error")
        return redirect(url_for(kind.endpoint("show"), row_id=row_id))
    if request.method == "GET":
        return _form_page(kind, row, forms.values_from(kind.spec, row), {})
    data_in = forms.payload(kind.spec, request.form, editing=True)
    session = db_session()
    try:
        data = kind.update_schema().load(data_in)
        kind.update(session, principal, row, data)
    except (ValidationError, Invalid, Conflict) as err:
        session.rollback()
        if isinstance(err, ValidationError):
            messages: Any = err.messages
        elif isinstance(err, Invalid):
            messages = err.errors
        else:  # fewer places than already given
            messages = {
                kind.capacity: [_("Er zijn al %(n)s plaatsen vergeven. Minder kan niet.", n=row.filled)]
            }
        return _form_page(
            kind,
            _row(kind, row_id),
            forms.values_from_form(kind.spec, request.form),
            forms.field_errors(kind.spec, messages),
            422,
        )
    runs.request_run(session, kind.name, str(row_id), kind.changed_run)
    commit()
    flash(_("Wijzigingen opgeslagen."), "success")
    return redirect(url_for(kind.endpoint("show"), row_id=row_id))


@bp.route("/taken/nieuw", methods=["GET", "POST"])
@roles_required(AANNEMER)
def new_task() -> Any:
    return _new(TASK)


@bp.route("/taken/<int:row_id>/bewerken", methods=["GET", "POST"])
@roles_required(AANNEMER)
def edit_task(row_id: int) -> Any:
    return _edit(TASK, row_id)


@bp.route("/plekken/nieuw", methods=["GET", "POST"])
@roles_required(OPLEIDER)
def new_slot() -> Any:
    return _new(SLOT)


@bp.route("/plekken/<int:row_id>/bewerken", methods=["GET", "POST"])
@roles_required(OPLEIDER)
def edit_slot(row_id: int) -> Any:
    return _edit(SLOT, row_id)


# --- close ------------------------------------------------------------------------------------


def _close(kind: Kind, row_id: int) -> Any:
    principal = require_principal()
    row = _row(kind, row_id)
    if row.status != OpeningStatus.OPEN:
        flash(_("Dit is al gesloten."), "info")
        return redirect(url_for(kind.endpoint("show"), row_id=row_id))
    if request.method == "GET":
        return render("matching/close.html", kind=kind.name, row=row)
    kind.close(db_session(), principal, row)
    commit()
    flash(
        _(
            "Gesloten. Er komen geen nieuwe voorstellen meer bij. Afspraken die al gemaakt zijn, "
            "blijven staan."
        ),
        "success",
    )
    return redirect(url_for(kind.endpoint("show"), row_id=row_id))


@bp.route("/taken/<int:row_id>/sluiten", methods=["GET", "POST"])
@roles_required(AANNEMER)
def close_task(row_id: int) -> Any:
    return _close(TASK, row_id)


@bp.route("/plekken/<int:row_id>/sluiten", methods=["GET", "POST"])
@roles_required(OPLEIDER)
def close_slot(row_id: int) -> Any:
    return _close(SLOT, row_id)


# --- the page of one task or slot, with its candidates ----------------------------------------


def _show(
    kind: Kind,
    row_id: int,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Any:
    principal = require_principal()
    row = _row(kind, row_id)
    items = (
        db_session()
        .scalars(
            proposals.visible(select(Proposal), principal)
            .where(kind.proposal_filter(row_id))
            .order_by(Proposal.score.desc(), Proposal.id)
        )
        .all()
    )
    groups: dict[str, list[Proposal]] = {key: [] for key, _title in ORG_GROUPS}
    for p in items:
        groups["started" if p.status == kind.started else p.status].append(p)
    # Name and contact only where both sides accepted; intake checks consent and logs each read.
    accepted = [p.id for p in items if p.status in ACCEPTED_BY_BOTH]
    return render(
        f"matching/{kind.name}.html",
        status,
        row=row,
        groups=groups,
        intros=introductions(accepted),
        group_titles=dict(ORG_GROUPS),
        cards=cards_for(items),
        pseudonyms=pseudonyms_for(items),
        errors=errors or {},
        values=values or {},
        kind=kind.name,
        nav_current=None,
    )


@bp.get("/taken/<int:row_id>")
@roles_required(AANNEMER)
def show_task(row_id: int) -> Any:
    return _show(TASK, row_id)


@bp.get("/plekken/<int:row_id>")
@roles_required(OPLEIDER)
def show_slot(row_id: int) -> Any:
    return _show(SLOT, row_id)


def _proposal_of(kind: Kind, row_id: int, proposal_id: int) -> Proposal:
    """A proposal the principal may see, and only on the page of its own task or slot."""
    _row(kind, row_id)
    try:
        proposal = proposals.get(db_session(), require_principal(), proposal_id)
    except NotFound:
        raise NotFound("Dit voorstel is niet gevonden.") from None
    if (proposal.task_id if kind is TASK else proposal.slot_id) != row_id:
        raise NotFound("Dit voorstel is niet gevonden.")
    return proposal


def _conflict(err: Conflict) -> None:
    if isinstance(err, proposals.NoPlaceLeft | proposals.ConsentWithdrawn):
        flash(translate_message(err.message), "error")
    else:
        flash(
            _("Dit voorstel wacht niet meer op uw besluit. Misschien heeft een collega het al behandeld."),
            "error",
        )


def _decide(kind: Kind, row_id: int, proposal_id: int) -> Any:
    principal = require_principal()
    proposal = _proposal_of(kind, row_id, proposal_id)
    field = f"reason-{proposal_id}"
    raw = {"accept": request.form.get("accept", ""), "reason": request.form.get("reason") or None}
    session = db_session()
    try:
        data = s.DecisionSchema().load(raw)
        proposals.organisation_decides(session, principal, proposal, data["accept"], data["reason"])
    except (ValidationError, Invalid) as err:
        session.rollback()
        messages = err.messages if isinstance(err, ValidationError) else err.errors
        errors = {
            field if key == "reason" else forms.FORM_ERROR_KEY: text
            for key, text in forms.field_errors(None, messages).items()
        }
        return _show(kind, row_id, 422, errors, {field: raw["reason"] or ""})
    except Conflict as err:
        session.rollback()
        _conflict(err)
        return redirect(url_for(kind.endpoint("show"), row_id=row_id))
    commit()
    if data["accept"]:
        flash(
            _(
                "U heeft kandidaat %(id)s geaccepteerd. De jobcoach brengt u met de deelnemer in "
                "contact. Bevestig de start als de deelnemer begonnen is.",
                id=pseudonym_of(proposal),
            ),
            "success",
        )
    else:
        flash(_("U heeft kandidaat %(id)s afgewezen.", id=pseudonym_of(proposal)), "success")
    return redirect(url_for(kind.endpoint("show"), row_id=row_id, _anchor=f"p{proposal_id}"))


def _start(kind: Kind, row_id: int, proposal_id: int) -> Any:
    principal = require_principal()
    proposal = _proposal_of(kind, row_id, proposal_id)
    if kind is TASK:  # a start is a date with its rules: the placement page asks for it
        return redirect(url_for("web.placement_of_proposal", proposal_id=proposal_id))
    try:
        proposals.confirm_start(db_session(), principal, proposal)
    except Conflict as err:
        db_session().rollback()
        if isinstance(err, proposals.ConsentWithdrawn):
            flash(translate_message(proposals.WITHDRAWN), "error")
        else:
            flash(
                _("De start kan nog niet worden bevestigd: eerst moeten beide kanten akkoord zijn."), "error"
            )
        return redirect(url_for(kind.endpoint("show"), row_id=row_id))
    commit()
    flash(
        _("De start van kandidaat %(id)s is bevestigd.", id=pseudonym_of(proposal))
        if kind is TASK
        else _("De inschrijving van kandidaat %(id)s is bevestigd.", id=pseudonym_of(proposal)),
        "success",
    )
    return redirect(url_for(kind.endpoint("show"), row_id=row_id, _anchor=f"p{proposal_id}"))


@bp.post("/taken/<int:row_id>/voorstellen/<int:proposal_id>/besluit")
@roles_required(AANNEMER)
def decide_task(row_id: int, proposal_id: int) -> Any:
    return _decide(TASK, row_id, proposal_id)


@bp.post("/plekken/<int:row_id>/voorstellen/<int:proposal_id>/besluit")
@roles_required(OPLEIDER)
def decide_slot(row_id: int, proposal_id: int) -> Any:
    return _decide(SLOT, row_id, proposal_id)


@bp.post("/taken/<int:row_id>/voorstellen/<int:proposal_id>/start")
@roles_required(AANNEMER)
def start_task(row_id: int, proposal_id: int) -> Any:
    return _start(TASK, row_id, proposal_id)


@bp.post("/plekken/<int:row_id>/voorstellen/<int:proposal_id>/start")
@roles_required(OPLEIDER)
def start_slot(row_id: int, proposal_id: int) -> Any:
    return _start(SLOT, row_id, proposal_id)
