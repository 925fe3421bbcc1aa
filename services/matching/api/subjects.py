"""API: everything matching holds about one resident (right of access; intake's export asks)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.matching.api import schemas as s
from services.matching.domain import subjects
from shared.api import Blueprint
from shared.auth.roles import BEHEERDER, JOBCOACH
from shared.auth.web import require_principal, roles_required
from shared.runtime import service_context
from shared.web import db_session

blp = Blueprint(
    "subjects",
    __name__,
    url_prefix="/api/v1/subjects",
    description="Everything matching holds about one resident, for their right of access",
)


@blp.route("/<programme_id>")
class Subject(MethodView):
    @roles_required(JOBCOACH, BEHEERDER)
    @blp.response(200, s.SubjectSchema)
    def get(self, programme_id: str) -> Any:
        """Candidate profile, proposals with explanations, placements and enrolments.

        Coaches for their own residents, beheerders for everyone; 404 when there is nothing."""
        with service_context().accounts_db.unit_of_work() as accounts:
            return subjects.subject(db_session(), accounts, require_principal(), programme_id)
