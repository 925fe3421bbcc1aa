"""API: funnel stage of a resident (history and allowed transitions)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.intake.api import schemas as s
from services.intake.domain import audit, caseload, funnel
from shared.api import Blueprint
from shared.auth.roles import BEHEERDER, JOBCOACH
from shared.auth.web import require_principal, roles_required
from shared.web import commit, db_session

blp = Blueprint(
    "stages",
    __name__,
    url_prefix="/api/v1/residents/<programme_id>/stages",
    description="Funnel: aangemeld → intake → … → duurzaam; side exits",
)


@blp.route("")
class Stages(MethodView):
    @roles_required(JOBCOACH, BEHEERDER)
    @blp.response(200, s.StageChangeOutSchema(many=True))
    def get(self, programme_id: str) -> Any:
        """Every stage change, oldest first."""
        principal = require_principal()
        resident = caseload.get_visible(db_session(), principal, programme_id)
        audit.record(db_session(), principal, resident, "view_stages", "api", "stage history")
        commit()
        return resident.stage_changes

    @roles_required(JOBCOACH, BEHEERDER)
    @blp.arguments(s.StageChangeSchema)
    @blp.response(201, s.StageChangeOutSchema)
    def post(self, data: dict[str, Any], programme_id: str) -> Any:
        """Move the resident to a next stage (only allowed steps; 409 otherwise)."""
        principal = require_principal()
        resident = caseload.get_visible(db_session(), principal, programme_id)
        change = funnel.change_stage(
            db_session(), principal, resident, data["to_stage"], data.get("reason_code")
        )
        audit.record(db_session(), principal, resident, "stage", "api", data["to_stage"])
        commit()
        return change
