"""API: residents (create, view, edit, list, reassign, export, erase)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.intake.api import schemas as s
from services.intake.domain import audit, caseload, export, residents
from shared.api import Blueprint, page_of
from shared.auth.roles import BEHEERDER, JOBCOACH
from shared.auth.web import require_principal, roles_required, staff
from shared.web import commit, db_session

blp = Blueprint(
    "residents",
    __name__,
    url_prefix="/api/v1/residents",
    description="Residents in the programme (personal data; every read is logged)",
)


@blp.route("")
class Residents(MethodView):
    @roles_required(JOBCOACH, BEHEERDER)
    @blp.arguments(s.ResidentQueryArgsSchema, location="query")
    @blp.response(200, s.ResidentListItemSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Any:
        """List residents in your caseload, with search and filters; paged (X-Pagination)."""
        principal = require_principal()
        items = page_of(db_session(), residents.search_query(principal, **args), pagination_parameters)
        audit.record(
            db_session(),
            principal,
            None,
            "list",
            "api",
            "residents list",
            count=len(items),
            programme_ids=[r.programme_id for r in items],
        )
        commit()
        return items

    @roles_required(JOBCOACH, BEHEERDER)
    @blp.arguments(s.ResidentCreateSchema)
    @blp.response(201, s.ResidentSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Register a resident (intake)."""
        principal = require_principal()
        session = db_session()
        resident = residents.create(session, staff(), principal, data)
        audit.record(session, principal, resident, "create", "api", "intake")
        commit()
        return resident


@blp.route("/<programme_id>")
class ResidentItem(MethodView):
    @roles_required(JOBCOACH, BEHEERDER)
    @blp.response(200, s.ResidentSchema)
    def get(self, programme_id: str) -> Any:
        """One resident with personal data (logged)."""
        principal = require_principal()
        resident = caseload.get_visible(db_session(), principal, programme_id)
        audit.record(db_session(), principal, resident, "view", "api", "resident detail")
        commit()
        return resident

    @roles_required(JOBCOACH, BEHEERDER)
    @blp.arguments(s.ResidentUpdateSchema)
    @blp.response(200, s.ResidentSchema)
    def patch(self, data: dict[str, Any], programme_id: str) -> Any:
        """Change some fields of a resident."""
        principal = require_principal()
        resident = caseload.get_visible(db_session(), principal, programme_id)
        residents.update(db_session(), principal, resident, data)
        audit.record(db_session(), principal, resident, "update", "api", "edit", fields=sorted(data))
        commit()
        return resident

    @roles_required(JOBCOACH, BEHEERDER)
    @blp.response(204)
    def delete(self, programme_id: str) -> Any:
        """Erase a resident's personal data (right to erasure); funnel facts stay pseudonymous."""
        principal = require_principal()
        resident = caseload.get_visible(db_session(), principal, programme_id)
        residents.erase(db_session(), resident)
        audit.record(db_session(), principal, resident, "erase", "api", "right to erasure")
        commit()
        return None


@blp.route("/<programme_id>/coach")
class ResidentCoach(MethodView):
    @roles_required(BEHEERDER)
    @blp.arguments(s.ReassignSchema)
    @blp.response(200, s.ResidentSchema)
    def put(self, data: dict[str, Any], programme_id: str) -> Any:
        """Reassign a resident to another coach (beheerder only)."""
        principal = require_principal()
        resident = caseload.get_visible(db_session(), principal, programme_id)
        residents.reassign(db_session(), staff(), principal, resident, data["coach_id"])
        audit.record(
            db_session(), principal, resident, "reassign", "api", "caseload", coach_id=data["coach_id"]
        )
        commit()
        return resident


@blp.route("/<programme_id>/export")
class ResidentExport(MethodView):
    @roles_required(JOBCOACH, BEHEERDER)
    @blp.response(200, s.ResidentExportSchema)
    def get(self, programme_id: str) -> Any:
        """Everything held on one resident (right of access), as JSON."""
        principal = require_principal()
        resident = caseload.get_visible(db_session(), principal, programme_id)
        audit.record(db_session(), principal, resident, "export", "api", "right of access")
        commit()
        return export.export(db_session(), resident)
