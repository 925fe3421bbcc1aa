"""API: enrolments in training slots (de Beroepentuin's cohorts) and their completion."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import select

from services.matching.api import enrolment_schemas as s
from services.matching.api.certificates import credential_urls, shown_certificate
from services.matching.domain import certificates, enrolments, pseudonyms, supply
from services.matching.models import Enrolment
from shared.api import Blueprint, page_of
from shared.auth.roles import BEHEERDER, JOBCOACH, OPLEIDER
from shared.auth.web import require_principal, roles_required
from shared.errors import Invalid
from shared.web import commit, db_session

blp = Blueprint(
    "enrolments",
    __name__,
    url_prefix="/api/v1/enrolments",
    description="Enrolments in training slots: aangemeld, orientatie, opleiding, afgerond or uitgevallen",
)
cohorts = Blueprint(
    "cohorts",
    __name__,
    url_prefix="/api/v1/slots",
    description="A training slot's cohort: complete everyone at once",
)
READ = (OPLEIDER, JOBCOACH, BEHEERDER)


def shown_enrolment(enrolment: Enrolment) -> dict[str, Any]:
    """An enrolment as the caller may see it: a trainer gets its pseudonym of the resident for
    the slot, not the programme id (domain/pseudonyms.py)."""
    return pseudonyms.shown(
        require_principal(),
        enrolments.as_dict(enrolment),
        lambda: pseudonyms.for_enrolment(db_session(), enrolment),
    )


@blp.route("")
class Enrolments(MethodView):
    @roles_required(*READ)
    @blp.arguments(s.EnrolmentQueryArgsSchema, location="query")
    @blp.response(200, s.EnrolmentSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Any:
        """Enrolments you may see: the trainer its own slots', a coach their own residents'."""
        query = enrolments.visible(select(Enrolment), require_principal())
        if args["slot_id"]:
            query = query.where(Enrolment.slot_id == args["slot_id"])
        if args["status"]:
            query = query.where(Enrolment.status == args["status"])
        rows = page_of(db_session(), query.order_by(Enrolment.id), pagination_parameters)
        return [shown_enrolment(e) for e in rows]

    @roles_required(OPLEIDER, JOBCOACH, BEHEERDER)
    @blp.arguments(s.EnrolmentCreateSchema)
    @blp.response(201, s.EnrolmentSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """From an accepted training proposal (trainer), or a coach's own resident with
        `delen_opleider` consent (takes a seat; 409 when the slot is full)."""
        principal = require_principal()
        session = db_session()
        if data["proposal_id"] is not None:
            enrolment = enrolments.enrol_accepted_proposal(session, principal, data["proposal_id"])
        else:
            enrolment = enrolments.enrol_by_coach(session, principal, data["programme_id"], data["slot_id"])
        result = shown_enrolment(enrolment)
        commit()
        return result


@blp.route("/<int:enrolment_id>")
class EnrolmentItem(MethodView):
    @roles_required(*READ)
    @blp.response(200, s.EnrolmentSchema)
    def get(self, enrolment_id: int) -> Any:
        return shown_enrolment(enrolments.get(db_session(), require_principal(), enrolment_id))


@blp.route("/<int:enrolment_id>/status")
class EnrolmentStep(MethodView):
    @roles_required(OPLEIDER, BEHEERDER)
    @blp.arguments(s.StepSchema)
    @blp.response(200, s.EnrolmentSchema)
    def post(self, data: dict[str, Any], enrolment_id: int) -> Any:
        """The next phase with its date (today when left out); uitgevallen needs a reason."""
        principal = require_principal()
        session = db_session()
        enrolment = enrolments.move(
            session,
            principal,
            enrolments.get(session, principal, enrolment_id),
            data["status"],
            data["date"],
            data["reason"],
        )
        result = shown_enrolment(enrolment)
        commit()
        return result


@blp.route("/<int:enrolment_id>/attendance")
class EnrolmentAttendance(MethodView):
    @roles_required(OPLEIDER, BEHEERDER)
    @blp.arguments(s.AttendanceInSchema)
    @blp.response(200, s.EnrolmentSchema)
    def post(self, data: dict[str, Any], enrolment_id: int) -> Any:
        """Attendance in one week (recording a week again replaces it)."""
        principal = require_principal()
        session = db_session()
        enrolment = enrolments.get(session, principal, enrolment_id)
        enrolments.record_attendance(session, principal, enrolment, data["week"], data["presence"])
        session.refresh(enrolment)
        result = shown_enrolment(enrolment)
        commit()
        return result


@blp.route("/<int:enrolment_id>/complete")
class EnrolmentComplete(MethodView):
    @roles_required(OPLEIDER, BEHEERDER)
    @blp.arguments(s.CompletionSchema)
    @blp.response(201, s.CertificateSchema(many=True))
    def post(self, data: dict[str, Any], enrolment_id: int) -> Any:
        """Afronden: records the praktijkverklaring (and other certificates) and issues each a
        verification code. Any error: 4xx and nothing written."""
        principal = require_principal()
        session = db_session()
        enrolment = enrolments.get(session, principal, enrolment_id)
        issued = certificates.complete(
            session, principal, enrolment, certificates.Completion.from_data(data), data["initials"]
        )
        urls = credential_urls()
        result = [shown_certificate(c, urls) for c in issued]
        commit()
        return result


@cohorts.route("/<int:slot_id>/complete")
class CohortComplete(MethodView):
    @roles_required(OPLEIDER, BEHEERDER)
    @cohorts.arguments(s.CohortCompletionSchema)
    @cohorts.response(201, s.CertificateSchema(many=True))
    def post(self, data: dict[str, Any], slot_id: int) -> Any:
        """Afronden for a whole cohort (or the people listed) in one go: all or nothing."""
        principal = require_principal()
        session = db_session()
        slot = supply.get_slot(session, principal, slot_id)
        completion = certificates.Completion.from_data(data)
        issued = complete_people(session, principal, slot.id, completion, data["people"])
        urls = credential_urls()
        result = [shown_certificate(c, urls) for c in issued]
        commit()
        return result


def complete_people(
    session: Any,
    principal: Any,
    slot_id: int,
    completion: certificates.Completion,
    people: list[dict[str, Any]],
) -> list[Any]:
    """Complete each listed enrolment of the slot; the first error stops all (nothing written,
    because the caller only commits after the last one)."""
    ids = [p["enrolment_id"] for p in people]
    if len(ids) != len(set(ids)):
        raise Invalid("Niet alle gegevens zijn goed ingevuld.", {"people": ["Iemand staat er twee keer in."]})
    issued = []
    for i, person in enumerate(people):
        enrolment = session.get(Enrolment, person["enrolment_id"])
        if enrolment is None or enrolment.slot_id != slot_id:
            raise Invalid(
                "Niet alle gegevens zijn goed ingevuld.",
                {f"people.{i}.enrolment_id": ["Deze inschrijving hoort niet bij deze opleidingsplek."]},
            )
        try:
            issued += certificates.complete(session, principal, enrolment, completion, person["initials"])
        except Invalid as err:
            if "initials" in err.errors:
                raise Invalid(err.message, {f"people.{i}.initials": err.errors["initials"]}) from None
            raise
    return issued
