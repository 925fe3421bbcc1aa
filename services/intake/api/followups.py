"""API: follow-ups after a placement start (+1, +3, +6, +12 months): the coach's due list and
recording one (still working ja/nee/onbekend, Participatieladder trede)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.intake.api.schemas import FollowUpQueryArgsSchema, FollowUpRecordSchema, FollowUpSchema
from services.intake.domain import audit, caseload, followups
from shared.api import MAX_ID, Blueprint
from shared.auth.roles import BEHEERDER, JOBCOACH
from shared.auth.web import require_principal, roles_required
from shared.errors import NotFound
from shared.web import commit, db_session

blp = Blueprint(
    "followups",
    __name__,
    url_prefix="/api/v1",
    description="Follow-ups after a start: due list of the coach, recording once",
)


def _id(raw: str) -> int:
    """The follow-up's number from the path. A string in the route, so that a role without
    access gets its 403 before any 404 about the number (the id's shape is no secret either)."""
    if not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        raise NotFound("Deze opvolging is niet gevonden.")
    return int(raw)


@blp.route("/follow-ups")
class FollowUps(MethodView):
    @roles_required(JOBCOACH, BEHEERDER)
    @blp.arguments(FollowUpQueryArgsSchema, location="query")
    @blp.response(200, FollowUpSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Your residents' follow-ups (default: those due now), oldest due date first."""
        principal = require_principal()
        page = followups.due_list(db_session(), principal, args["status"])
        audit.record(
            db_session(),
            principal,
            None,
            "list",
            "api",
            "follow-ups",
            count=len(page.items),
            programme_ids=sorted({f.resident.programme_id for f in page.items}),
        )
        commit()
        return page.items


@blp.route("/follow-ups/<followup_id>")
class FollowUpItem(MethodView):
    @roles_required(JOBCOACH, BEHEERDER)
    @blp.response(200, FollowUpSchema)
    def get(self, followup_id: str) -> Any:
        principal = require_principal()
        return followups.get_visible(db_session(), principal, _id(followup_id))

    @roles_required(JOBCOACH, BEHEERDER)
    @blp.arguments(FollowUpRecordSchema)
    @blp.response(200, FollowUpSchema)
    def post(self, data: dict[str, Any], followup_id: str) -> Any:
        """Record an open follow-up once (409 when it was recorded already or is not open)."""
        principal = require_principal()
        session = db_session()
        item = followups.get_visible(session, principal, _id(followup_id))
        followups.record(
            session, principal, item, data["still_working"], data["trede"], data["recorded_on"], channel="api"
        )
        commit()
        return item


@blp.route("/residents/<programme_id>/follow-ups")
class ResidentFollowUps(MethodView):
    @roles_required(JOBCOACH, BEHEERDER)
    @blp.response(200, FollowUpSchema(many=True))
    def get(self, programme_id: str) -> Any:
        """Every follow-up of one of your residents, in due order."""
        principal = require_principal()
        resident = caseload.get_visible(db_session(), principal, programme_id)
        audit.record(db_session(), principal, resident, "view_follow_ups", "api", "follow-ups")
        commit()
        return followups.of_resident(db_session(), resident)
