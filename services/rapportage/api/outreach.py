"""API: outreach activities (informing residents before they register): headcounts, no persons."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.rapportage.api import schemas as s
from services.rapportage.domain import outreach
from shared.api import Blueprint
from shared.auth.roles import BEHEERDER, JOBCOACH, PROGRAMMABUREAU
from shared.auth.web import require_principal, roles_required
from shared.web import commit, db_session

blp = Blueprint("outreach", __name__, url_prefix="/api/v1/outreach", description="Outreach activities")
OUTREACH_ROLES = (JOBCOACH, PROGRAMMABUREAU, BEHEERDER)


@blp.route("")
class Outreach(MethodView):
    @roles_required(*OUTREACH_ROLES)
    @blp.arguments(s.OutreachListArgsSchema, location="query")
    @blp.response(200, s.OutreachSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Recorded activities (a coach sees those of the own organisation), newest first."""
        return outreach.list_activities(db_session(), require_principal(), args.get("from_"), args.get("to"))

    @roles_required(*OUTREACH_ROLES)
    @blp.arguments(s.OutreachCreateSchema)
    @blp.response(201, s.OutreachSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Record an activity: date, wijk, kind and the number of residents reached."""
        activity = outreach.record(db_session(), require_principal(), data)
        commit()
        return activity
