"""API: training slots of de Beroepentuin."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.matching.api import schemas as s
from services.matching.domain import runs, supply
from services.matching.models import TrainingSlot
from shared.api import Blueprint
from shared.auth.roles import BEHEERDER, JOBCOACH, OPLEIDER, PROGRAMMABUREAU
from shared.auth.web import require_principal, roles_required
from shared.web import commit, db_session

blp = Blueprint(
    "slots",
    __name__,
    url_prefix="/api/v1/slots",
    description="Training slots (leerwerktrajecten) of de Beroepentuin",
)
READ = (OPLEIDER, JOBCOACH, PROGRAMMABUREAU, BEHEERDER)


@blp.route("")
class Slots(MethodView):
    @roles_required(*READ)
    @blp.arguments(s.ListArgsSchema, location="query")
    @blp.response(200, s.SlotSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        query = supply.slots_query(require_principal())
        if args["status"]:
            query = query.where(TrainingSlot.status == args["status"])
        query = (
            query.order_by(TrainingSlot.start_date, TrainingSlot.id)
            .offset((args["page"] - 1) * args["per_page"])
            .limit(args["per_page"])
        )
        return db_session().scalars(query).all()

    @roles_required(OPLEIDER)
    @blp.arguments(s.SlotCreateSchema)
    @blp.response(201, s.SlotSchema)
    def post(self, data: dict[str, Any]) -> Any:
        session = db_session()
        slot = supply.create_slot(session, require_principal(), data)
        runs.request_run(session, "slot", str(slot.id), "nieuwe opleidingsplek")
        commit()
        return slot


@blp.route("/<int:slot_id>")
class SlotItem(MethodView):
    @roles_required(*READ)
    @blp.response(200, s.SlotSchema)
    def get(self, slot_id: int) -> Any:
        return supply.get_slot(db_session(), require_principal(), slot_id)

    @roles_required(OPLEIDER)
    @blp.arguments(s.SlotUpdateSchema)
    @blp.response(200, s.SlotSchema)
    def patch(self, data: dict[str, Any], slot_id: int) -> Any:
        session = db_session()
        principal = require_principal()
        slot = supply.update_slot(session, principal, supply.get_slot(session, principal, slot_id), data)
        runs.request_run(session, "slot", str(slot.id), "opleidingsplek gewijzigd")
        commit()
        return slot

    @roles_required(OPLEIDER)
    @blp.response(200, s.SlotSchema)
    def delete(self, slot_id: int) -> Any:
        session = db_session()
        principal = require_principal()
        slot = supply.close_slot(session, principal, supply.get_slot(session, principal, slot_id))
        commit()
        return slot
