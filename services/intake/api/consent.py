"""API: the consent ledger of a resident (give, withdraw, history)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from services.intake.api import schemas as s
from services.intake.domain import audit, caseload, consent
from shared import reference
from shared.api import Blueprint
from shared.auth.roles import BEHEERDER, JOBCOACH
from shared.auth.web import require_principal, roles_required
from shared.errors import NotFound
from shared.web import commit, db_session

blp = Blueprint(
    "consent",
    __name__,
    url_prefix="/api/v1/residents/<programme_id>/consents",
    description="Consent per purpose (AVG): provable and revocable",
)


@blp.route("")
class Consents(MethodView):
    @roles_required(JOBCOACH, BEHEERDER)
    @blp.response(200, s.ConsentSchema(many=True))
    def get(self, programme_id: str) -> Any:
        """All consent records, given and withdrawn (history)."""
        principal = require_principal()
        resident = caseload.get_visible(db_session(), principal, programme_id)
        audit.record(db_session(), principal, resident, "view_consent", "api", "consent ledger")
        commit()
        return resident.consents

    @roles_required(JOBCOACH, BEHEERDER)
    @blp.arguments(s.ConsentGiveSchema)
    @blp.response(201, s.ConsentSchema)
    def post(self, data: dict[str, Any], programme_id: str) -> Any:
        """Record consent for one purpose."""
        principal = require_principal()
        resident = caseload.get_visible(db_session(), principal, programme_id)
        record = consent.give(db_session(), principal, resident, **data)
        audit.record(db_session(), principal, resident, "consent_given", "api", data["purpose"])
        commit()
        return record


@blp.route("/<purpose>")
class ConsentPurpose(MethodView):
    @roles_required(JOBCOACH, BEHEERDER)
    @blp.response(200, s.ConsentSchema)
    def delete(self, programme_id: str, purpose: str) -> Any:
        """Withdraw consent for one purpose; sharing for it stops at once."""
        if purpose not in reference.CONSENT_PURPOSES:
            raise NotFound("Dit doel van toestemming bestaat niet.")
        principal = require_principal()
        resident = caseload.get_visible(db_session(), principal, programme_id)
        record = consent.withdraw(db_session(), principal, resident, purpose)
        audit.record(db_session(), principal, resident, "consent_withdrawn", "api", purpose)
        commit()
        return record
