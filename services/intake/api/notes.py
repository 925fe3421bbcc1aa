"""API: coach notes on a resident."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.intake.api import schemas as s
from services.intake.domain import audit, caseload, notes
from shared.api import Blueprint
from shared.auth.roles import BEHEERDER, JOBCOACH
from shared.auth.web import require_principal, roles_required
from shared.web import commit, db_session

blp = Blueprint(
    "notes",
    __name__,
    url_prefix="/api/v1/residents/<programme_id>/notes",
    description="Notes by coaches (never shared outside intake)",
)


@blp.route("")
class Notes(MethodView):
    @roles_required(JOBCOACH, BEHEERDER)
    @blp.response(200, s.NoteSchema(many=True))
    def get(self, programme_id: str) -> Any:
        principal = require_principal()
        resident = caseload.get_visible(db_session(), principal, programme_id)
        audit.record(db_session(), principal, resident, "view_notes", "api", "notes")
        commit()
        return resident.notes

    @roles_required(JOBCOACH, BEHEERDER)
    @blp.arguments(s.NoteCreateSchema)
    @blp.response(201, s.NoteSchema)
    def post(self, data: dict[str, Any], programme_id: str) -> Any:
        principal = require_principal()
        resident = caseload.get_visible(db_session(), principal, programme_id)
        note = notes.add(db_session(), principal, resident, data["body"])
        audit.record(db_session(), principal, resident, "note_added", "api", "note")
        commit()
        return note
