"""API: the pseudonymous candidate cards (coaches and beheerder; organisations see them on proposals)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.matching.api import schemas as s
from services.matching.models import Candidate
from shared.api import Blueprint
from shared.auth.roles import BEHEERDER, JOBCOACH
from shared.auth.web import require_principal, roles_required
from shared.errors import NotFound
from shared.web import db_session

blp = Blueprint(
    "candidates",
    __name__,
    url_prefix="/api/v1/candidates",
    description="Pseudonymous candidate profiles built from intake's events",
)


@blp.route("/<programme_id>")
class CandidateItem(MethodView):
    @roles_required(JOBCOACH, BEHEERDER)
    @blp.response(200, s.CandidateCardSchema)
    def get(self, programme_id: str) -> Any:
        principal = require_principal()
        candidate = db_session().get(Candidate, programme_id)
        if (
            candidate is None
            or candidate.removed_at is not None
            or (principal.role == JOBCOACH and candidate.coach_id != principal.user_id)
        ):
            raise NotFound("Deze kandidaat is niet gevonden.")
        return candidate
