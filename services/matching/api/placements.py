"""API: placements in an instapbaan (terms, start, end, cancel), the SROI export and the
timeline of what matching holds about one resident."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response
from flask.views import MethodView
from marshmallow import ValidationError, fields, validate, validates_schema
from sqlalchemy import select

from services.matching.api.schemas import CONTRACT_TYPES
from services.matching.domain import placements, pseudonyms, sroi, timeline
from services.matching.models import Placement
from shared.api import MAX_ID, Blueprint, NoBsnSchema, Schema
from shared.auth.accounts import Principal
from shared.auth.roles import AANNEMER, BEHEERDER, JOBCOACH, PROGRAMMABUREAU
from shared.auth.web import require_principal, roles_required
from shared.web import commit, db_session

blp = Blueprint(
    "placements",
    __name__,
    url_prefix="/api/v1/placements",
    description="Placements in an entry job: terms, confirmed start, end; SROI export",
)
timeline_blp = Blueprint(
    "timeline",
    __name__,
    url_prefix="/api/v1/timeline",
    description="What matching holds about one resident, as timeline entries for their coach",
)
READ = (AANNEMER, JOBCOACH, PROGRAMMABUREAU, BEHEERDER)
WRITE = (AANNEMER, BEHEERDER)
_ID = validate.Range(1, MAX_ID, error="Onbekend nummer.")


class PlacementSchema(Schema):
    id = fields.Integer()
    proposal_id = fields.Integer()
    programme_id = fields.String(
        metadata={"description": "the programme id; only for staff (jobcoach, programmabureau, beheerder)"}
    )
    pseudonym = fields.String(
        metadata={
            "description": "for the contractor (aannemer) instead of programme_id: its pseudonym of the "
            "resident for this task, the one on the candidate card (K-XXXX-XXXX)"
        }
    )
    task_id = fields.Integer()
    status = fields.String(metadata={"enum": list(placements.TRANSITIONS)})
    planned_start = fields.Date(allow_none=True)
    contract_type = fields.String(allow_none=True)
    hours_per_week = fields.Integer(allow_none=True)
    wage_subsidy = fields.Boolean(metadata={"description": "loonkostensubsidie"})
    jobcoach_support = fields.Boolean()
    sroi_tag = fields.String(allow_none=True)
    started_on = fields.Date(allow_none=True)
    early_start_reason = fields.String(allow_none=True)
    ended_on = fields.Date(allow_none=True)
    end_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime(allow_none=True)


def shown(placement: Placement, principal: Principal) -> Any:
    """The placement as this principal may see it: a contractor gets its pseudonym of the
    resident, never the programme id (domain/pseudonyms.py)."""
    if not pseudonyms.hides_programme_id(principal):
        return placement
    data = {name: getattr(placement, name) for name in PlacementSchema().fields if name != "pseudonym"}
    return pseudonyms.shown(principal, data, lambda: pseudonyms.for_placement(db_session(), placement))


class PlacementQueryArgsSchema(NoBsnSchema):
    status = fields.String(
        load_default=None,
        validate=validate.OneOf(list(placements.TRANSITIONS), error="Kies een bestaande status."),
    )
    task_id = fields.Integer(load_default=None, validate=_ID)


class PlacementTermsSchema(NoBsnSchema):
    """What the contractor and the resident agreed (partial update, before the start)."""

    planned_start = fields.Date()
    contract_type = fields.String(validate=validate.OneOf(CONTRACT_TYPES, error="Kies een soort contract."))
    hours_per_week = fields.Integer(validate=validate.Range(1, 40, error="Kies 1 tot 40 uur per week."))
    wage_subsidy = fields.Boolean()
    jobcoach_support = fields.Boolean()
    sroi_tag = fields.String(allow_none=True, validate=validate.Length(max=60, error="Hoogstens 60 tekens."))

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError("Geef minstens één afspraak op.", "_schema")


class PlacementStartSchema(NoBsnSchema):
    started_on = fields.Date(
        required=True,
        error_messages={"required": "Vul de eerste werkdag in.", "invalid": "Vul een datum in."},
        metadata={"description": "the first working day"},
    )
    early_start_reason = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=200, error="Hoogstens 200 tekens."),
        metadata={"description": "required when started_on is before the task's start date"},
    )


class PlacementEndSchema(NoBsnSchema):
    ended_on = fields.Date(
        required=True,
        error_messages={"required": "Vul de laatste werkdag in.", "invalid": "Vul een datum in."},
    )
    reason = fields.String(
        required=True,
        error_messages={"required": "Kies een reden uit de lijst."},
        validate=validate.OneOf(placements.END_REASONS, error="Kies een reden uit de lijst."),
    )


class PlacementCancelSchema(NoBsnSchema):
    reason = fields.String(
        required=True,
        error_messages={"required": "Kies een reden uit de lijst."},
        validate=validate.OneOf(placements.CANCEL_REASONS, error="Kies een reden uit de lijst."),
    )


class SroiArgsSchema(NoBsnSchema):
    sroi_tag = fields.String(load_default=None, validate=validate.Length(max=60))
    # "from" is a Python keyword: the query names stay from/to, the keys start/end.
    start = fields.Date(required=True, data_key="from")
    end = fields.Date(required=True, data_key="to")


class TimelineFactSchema(Schema):
    label = fields.String()
    value = fields.String()


class TimelineEntrySchema(Schema):
    phase = fields.String(metadata={"description": "voorstel | inschrijving | certificaat | plaatsing"})
    on = fields.Date()
    title = fields.String()
    status = fields.String()
    status_label = fields.String(metadata={"description": "the status in plain Dutch"})
    facts = fields.List(fields.Nested(TimelineFactSchema))
    ref = fields.String()


@blp.route("")
class Placements(MethodView):
    @roles_required(*READ)
    @blp.arguments(PlacementQueryArgsSchema, location="query")
    @blp.response(200, PlacementSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Placements you may see: a contractor its own tasks', a coach their residents'."""
        query = placements.visible(select(Placement), require_principal())
        if args["status"]:
            query = query.where(Placement.status == args["status"])
        if args["task_id"]:
            query = query.where(Placement.task_id == args["task_id"])
        principal = require_principal()
        return [shown(p, principal) for p in db_session().scalars(query.order_by(Placement.id))]


@blp.route("/<int:placement_id>")
class PlacementItem(MethodView):
    @roles_required(*READ)
    @blp.response(200, PlacementSchema)
    def get(self, placement_id: int) -> Any:
        principal = require_principal()
        return shown(placements.get(db_session(), principal, placement_id), principal)

    @roles_required(*WRITE)
    @blp.arguments(PlacementTermsSchema)
    @blp.response(200, PlacementSchema)
    def patch(self, data: dict[str, Any], placement_id: int) -> Any:
        """Record the agreed terms (only before the start: 409 after)."""
        principal = require_principal()
        session = db_session()
        placement = placements.update_terms(
            session, principal, placements.get(session, principal, placement_id), data
        )
        commit()
        return shown(placement, principal)


@blp.route("/<int:placement_id>/start")
class PlacementStart(MethodView):
    @roles_required(*WRITE)
    @blp.arguments(PlacementStartSchema)
    @blp.response(200, PlacementSchema)
    def post(self, data: dict[str, Any], placement_id: int) -> Any:
        """Confirm the actual start; before the task's start only with a reason (422)."""
        principal = require_principal()
        session = db_session()
        placement = placements.confirm_start(
            session,
            principal,
            placements.get(session, principal, placement_id),
            data["started_on"],
            data["early_start_reason"],
        )
        commit()
        return shown(placement, principal)


@blp.route("/<int:placement_id>/end")
class PlacementEnd(MethodView):
    @roles_required(*WRITE)
    @blp.arguments(PlacementEndSchema)
    @blp.response(200, PlacementSchema)
    def post(self, data: dict[str, Any], placement_id: int) -> Any:
        """End a started placement on a date with a reason code; the place is free again."""
        principal = require_principal()
        session = db_session()
        placement = placements.end(
            session,
            principal,
            placements.get(session, principal, placement_id),
            data["ended_on"],
            data["reason"],
        )
        commit()
        return shown(placement, principal)


@blp.route("/<int:placement_id>/cancel")
class PlacementCancel(MethodView):
    @roles_required(*WRITE)
    @blp.arguments(PlacementCancelSchema)
    @blp.response(200, PlacementSchema)
    def post(self, data: dict[str, Any], placement_id: int) -> Any:
        """Call off a placement that did not start; the place is free again."""
        principal = require_principal()
        session = db_session()
        placement = placements.cancel(
            session, principal, placements.get(session, principal, placement_id), data["reason"]
        )
        commit()
        return shown(placement, principal)


@blp.route("/sroi-export")
class SroiExport(MethodView):
    @roles_required(AANNEMER, PROGRAMMABUREAU, BEHEERDER)
    @blp.arguments(SroiArgsSchema, location="query")
    @blp.response(200, {"type": "string"}, content_type="text/csv")
    def get(self, args: dict[str, Any]) -> Any:
        """CSV of started placements per SROI tag in a period: start, end, contract, hours."""
        body = sroi.export(db_session(), require_principal(), args["sroi_tag"], args["start"], args["end"])
        return Response(body, mimetype="text/csv", headers={"Content-Disposition": _filename(args)})


def _filename(args: dict[str, Any]) -> str:
    tag = "".join(c for c in (args["sroi_tag"] or "alle") if c.isalnum() or c in "-_")[:60] or "alle"
    start: date = args["start"]
    end: date = args["end"]
    return f'attachment; filename="sroi-{tag}-{start.isoformat()}-{end.isoformat()}.csv"'


@timeline_blp.route("/<programme_id>")
class Timeline(MethodView):
    @roles_required(JOBCOACH, BEHEERDER)
    @timeline_blp.response(200, TimelineEntrySchema(many=True))
    def get(self, programme_id: str) -> Any:
        """Proposals, enrolments, certificates and placements of one of your residents."""
        return timeline.entries(db_session(), require_principal(), programme_id[:40])
