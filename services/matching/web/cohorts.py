"""De Beroepentuin's cohort page per training slot: who is in which phase (a pseudonym until the
introduction exists, then the first name, asked from intake), attendance per week, the next step
per person, and "afronden" for the whole cohort or one person (the praktijkverklaring)."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select

from services.matching.api import enrolment_schemas as s
from services.matching.api.enrolments import complete_people
from services.matching.domain import certificates, enrolments, pseudonyms, supply
from services.matching.models import Certificate, Enrolment, TrainingSlot
from services.matching.web.helpers import render
from services.matching.web.views import bp
from shared import clock, reference
from shared.auth.roles import OPLEIDER
from shared.auth.web import require_principal, roles_required
from shared.errors import Conflict, DomainError, Invalid, NotFound
from shared.peers import PeerUnavailable
from shared.web import commit, db_session

PHASES = (
    ("aangemeld", "Aangemeld"),
    ("orientatie", "Oriëntatie"),
    ("opleiding", "In opleiding"),
    ("afgerond", "Afgerond"),
    ("uitgevallen", "Uitgevallen"),
)
PRESENCE_LABELS = {"aanwezig": "Aanwezig", "deels": "Deels aanwezig", "afwezig": "Afwezig"}
DROPOUT_LABELS = {
    "persoonlijke_omstandigheden": "Persoonlijke omstandigheden",
    "werk_elders": "Werk gevonden",
    "motivatie": "Motivatie",
    "vervoer": "Vervoer",
    "kinderopvang": "Kinderopvang",
    "taal": "Taal",
    "verhuisd": "Verhuisd",
    "onbekend": "Onbekend",
    "toestemming_ingetrokken": "Toestemming ingetrokken",
    "gewist": "Gegevens gewist",
    "gestopt": "Gestopt met het programma",
}


def _slot(row_id: int) -> TrainingSlot:
    try:
        return supply.get_slot(db_session(), require_principal(), row_id)
    except NotFound:
        raise NotFound("Deze opleidingsplek bestaat niet, of hoort niet bij uw organisatie.") from None


def introductions(rows: list[Enrolment]) -> tuple[dict[int, dict[str, Any]], bool]:
    """Introductions intake granted to this organisation, by proposal id, asked as the person
    who is logged in (intake checks consent and logs the read). False when intake is down.
    Only enrolments from a proposal can have one: without those, intake is not asked."""
    if not any(e.proposal_id for e in rows):
        return {}, True
    peers = current_app.extensions["instap"].peers
    if not peers.knows("intake"):
        return {}, False
    try:
        reply = peers.get("intake", "/api/v1/introductions")
    except PeerUnavailable:
        return {}, False
    if not reply.ok or not isinstance(reply.body, list):
        return {}, False
    return {i["proposal_id"]: i for i in reply.body if isinstance(i, dict) and "proposal_id" in i}, True


def _people(rows: list[Enrolment], intros: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Per enrolment: what the page calls the person (their first name once the introduction
    exists, until then the trainer's pseudonym of them for the slot, never the programme id), and
    the initials for a certificate."""
    out = {}
    for e in rows:
        intro = intros.get(e.proposal_id) if e.proposal_id else None
        first = (intro or {}).get("first_name")
        out[e.id] = {
            "label": first or pseudonyms.for_enrolment(db_session(), e),
            "named": bool(first),
            "initials": (intro or {}).get("initials") or "",
        }
    return out


@bp.get("/plekken/<int:row_id>/cohort")
@roles_required(OPLEIDER)
def cohort(row_id: int) -> Any:
    return _cohort_page(row_id)


def _cohort_page(row_id: int, status: int = 200, errors: dict[str, str] | None = None) -> Any:
    slot = _slot(row_id)
    rows = enrolments.cohort(db_session(), slot.id)
    intros, reachable = introductions(rows)
    by_phase: dict[str, list[Enrolment]] = {key: [] for key, _label in PHASES}
    for e in rows:
        by_phase[e.status].append(e)
    attendance = {e.id: {a.week: a.presence for a in e.attendance} for e in rows}
    issued = {
        c.enrolment_id: c
        for c in db_session().scalars(
            certificates.visible(select(Certificate), require_principal()).where(
                Certificate.enrolment_id.in_([e.id for e in rows]),
                Certificate.kind == certificates.PRAKTIJKVERKLARING,
            )
        )
    }
    return render(
        "matching/cohort.html",
        status,
        slot=slot,
        rows=rows,
        by_phase=by_phase,
        phases=PHASES,
        people=_people(rows, intros),
        names_reachable=reachable,
        attendance=attendance,
        presence_labels=PRESENCE_LABELS,
        dropout_labels=DROPOUT_LABELS,
        dropout_reasons=enrolments.DROPOUT_REASONS,
        steps=enrolments.STEPS,
        issued=issued,
        errors=errors or {},
        today=clock.today().isoformat(),
        nav_current="slots",
    )


def _enrolment_of(slot: TrainingSlot, enrolment_id: int) -> Enrolment:
    enrolment = db_session().get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.slot_id != slot.id:
        raise NotFound("Deze inschrijving is niet gevonden.")
    return enrolment


def _first_message(err: DomainError | ValidationError) -> str:
    messages: Any = err.messages if isinstance(err, ValidationError) else (err.errors or {"_": [err.message]})
    while isinstance(messages, dict):
        messages = next(iter(messages.values()), "")
    if isinstance(messages, list):
        messages = messages[0] if messages else ""
    return str(messages)


@bp.post("/plekken/<int:row_id>/cohort/<int:enrolment_id>/stap")
@roles_required(OPLEIDER)
def cohort_step(row_id: int, enrolment_id: int) -> Any:
    slot = _slot(row_id)
    enrolment = _enrolment_of(slot, enrolment_id)
    raw = {
        "status": request.form.get("status", ""),
        "date": request.form.get("date") or None,
        "reason": request.form.get("reason") or None,
    }
    session = db_session()
    try:
        data = s.StepSchema().load(raw)
        enrolments.move(session, require_principal(), enrolment, data["status"], data["date"], data["reason"])
    except (ValidationError, Invalid, Conflict) as err:
        session.rollback()
        return _cohort_page(row_id, 422, {f"step-{enrolment_id}": _first_message(err)})
    commit()
    flash(_("De stap is opgeslagen."), "success")
    return redirect(url_for("web.cohort", row_id=row_id, _anchor=f"e{enrolment_id}"))


@bp.post("/plekken/<int:row_id>/cohort/aanwezigheid")
@roles_required(OPLEIDER)
def cohort_attendance(row_id: int) -> Any:
    slot = _slot(row_id)
    session = db_session()
    principal = require_principal()
    try:
        week = int(request.form.get("week", ""))
    except ValueError:
        return _cohort_page(row_id, 422, {"attendance": _("Kies een week.")})
    saved = 0
    try:
        for e in enrolments.cohort(session, slot.id):
            presence = request.form.get(f"presence-{e.id}")
            if presence and e.status in enrolments.ACTIVE:
                enrolments.record_attendance(session, principal, e, week, presence)
                saved += 1
    except (Invalid, Conflict) as err:
        session.rollback()
        return _cohort_page(row_id, 422, {"attendance": _first_message(err)})
    commit()
    flash(_("Aanwezigheid van week %(week)s opgeslagen (%(n)s deelnemers).", week=week, n=saved), "success")
    return redirect(url_for("web.cohort", row_id=row_id, _anchor="aanwezigheid"))


# --- afronden: the praktijkverklaring ----------------------------------------------------------


def _completion_page(
    slot: TrainingSlot,
    candidates: list[Enrolment],
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Any:
    intros, reachable = introductions(candidates)
    others = [c for c in (slot.grants or []) if c != certificates.PRAKTIJKVERKLARING]
    return render(
        "matching/cohort_complete.html",
        status,
        slot=slot,
        candidates=candidates,
        people=_people(candidates, intros),
        names_reachable=reachable,
        values=values,
        errors=errors,
        others=others,
        certificate_names=reference.names("certificates"),
        nav_current="slots",
    )


def _defaults(slot: TrainingSlot, candidates: list[Enrolment]) -> dict[str, Any]:
    today = clock.today().isoformat()
    return {
        "school": "",
        "leerbedrijf": "",
        "sbb_id": "",
        "crebo": slot.crebo or "",
        "kwalificatie": "",
        "werkprocessen": list(slot.werkprocessen or []),
        "judged_on": today,
        "others": {c: today for c in (slot.grants or []) if c != certificates.PRAKTIJKVERKLARING},
        "people": {e.id: True for e in candidates},
        "initials": {},
    }


def _field_errors(messages: Any, candidates: list[Enrolment], people_ids: list[int]) -> dict[str, str]:
    """Flatten schema/domain messages to the form's field names."""
    out: dict[str, str] = {}

    def first(value: Any) -> str:
        while isinstance(value, dict):
            value = next(iter(value.values()), "")
        return str(value[0] if isinstance(value, list) and value else value)

    for key, value in (messages or {}).items():
        key = str(key)
        if key == "people" and isinstance(value, dict):
            for index, inner in value.items():
                if int(index) < len(people_ids):
                    out[f"initials-{people_ids[int(index)]}"] = first(inner)
        elif key.startswith("people."):
            parts = key.split(".")
            index = int(parts[1])
            if index < len(people_ids):
                out[f"initials-{people_ids[index]}"] = first(value)
        elif key.startswith("other_certificates"):
            out["others"] = first(value)
        else:
            out[key] = first(value)
    return out


@bp.route("/plekken/<int:row_id>/cohort/afronden", methods=["GET", "POST"])
@roles_required(OPLEIDER)
def cohort_complete(row_id: int) -> Any:
    """Afronden for everyone in the training (or the one person `?wie=<enrolment id>`)."""
    slot = _slot(row_id)
    only = request.args.get("wie", type=int)
    candidates = [e for e in enrolments.cohort(db_session(), slot.id) if e.status == "opleiding"]
    if only is not None:
        candidates = [e for e in candidates if e.id == only]
    if not candidates:
        flash(_("Er is niemand in de opleiding om af te ronden."), "info")
        return redirect(url_for("web.cohort", row_id=row_id))
    if request.method == "GET":
        return _completion_page(slot, candidates, _defaults(slot, candidates), {})
    form = request.form
    chosen = [e.id for e in candidates if form.get(f"person-{e.id}")]
    others_chosen = [c for c in (slot.grants or []) if form.get(f"other-{c}")]
    payload: dict[str, Any] = {
        "school": form.get("school", "").strip(),
        "leerbedrijf": form.get("leerbedrijf", "").strip(),
        "sbb_id": form.get("sbb_id", "").strip(),
        "crebo": form.get("crebo", "").strip(),
        "kwalificatie": form.get("kwalificatie", "").strip(),
        "werkprocessen": form.getlist("werkprocessen"),
        "judged_on": form.get("judged_on", "").strip(),
        "other_certificates": [
            {"code": c, "obtained_on": form.get(f"other-date-{c}", "").strip()} for c in others_chosen
        ],
        "people": [{"enrolment_id": i, "initials": form.get(f"initials-{i}", "").strip()} for i in chosen],
    }
    values = {
        **{
            k: payload[k]
            for k in ("school", "leerbedrijf", "sbb_id", "crebo", "kwalificatie", "werkprocessen")
        },
        "judged_on": payload["judged_on"],
        "others": {c: form.get(f"other-date-{c}", "") for c in others_chosen},
        "people": {i: True for i in chosen},
        "initials": {e.id: form.get(f"initials-{e.id}", "") for e in candidates},
    }
    session = db_session()
    try:
        if not chosen:
            raise Invalid(_("Kies wie u afrondt."), {"people": [_("Kies minstens één deelnemer.")]})
        data = s.CohortCompletionSchema().load(payload)
        issued = complete_people(
            session, require_principal(), slot.id, certificates.Completion.from_data(data), data["people"]
        )
    except (ValidationError, Invalid) as err:
        session.rollback()
        messages = err.messages if isinstance(err, ValidationError) else err.errors
        if isinstance(err, Invalid) and "people" in messages and not isinstance(messages["people"], dict):
            errors = {"people": str(messages["people"][0])}
        else:
            errors = _field_errors(messages, candidates, chosen)
        return _completion_page(slot, candidates, values, errors, 422)
    except Conflict as err:
        session.rollback()
        flash(err.message, "error")
        return redirect(url_for("web.cohort", row_id=row_id))
    codes = [c.verification_code for c in issued if c.kind == certificates.PRAKTIJKVERKLARING]
    commit()
    flash(
        _(
            "Afgerond: %(n)s praktijkverklaring(en) uitgegeven. Verificatiecodes: %(codes)s.",
            n=len(codes),
            codes=", ".join(codes),
        ),
        "success",
    )
    return redirect(url_for("web.certificates"))
