"""API: match runs (request a full run; follow status and progress)."""

from __future__ import annotations

import logging
from typing import Any

from flask.views import MethodView
from sqlalchemy import select

from services.matching.api import schemas as s
from services.matching.domain import runs
from services.matching.models import MatchRun
from shared.api import Blueprint
from shared.auth.roles import BEHEERDER, JOBCOACH, PROGRAMMABUREAU
from shared.auth.web import require_principal, roles_required
from shared.errors import NotFound
from shared.web import commit, db_session

log = logging.getLogger(__name__)
blp = Blueprint(
    "runs",
    __name__,
    url_prefix="/api/v1/runs",
    description="Match runs on RQ workers: status, progress, counts, timings",
)


@blp.route("")
class Runs(MethodView):
    @roles_required(JOBCOACH, PROGRAMMABUREAU, BEHEERDER)
    @blp.response(200, s.RunSchema(many=True))
    def get(self) -> Any:
        return db_session().scalars(select(MatchRun).order_by(MatchRun.id.desc()).limit(50)).all()

    @roles_required(JOBCOACH, BEHEERDER)
    @blp.arguments(s.RunCreateSchema)
    @blp.response(202, s.RunSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Request a full run over all open tasks and slots (a queued one is reused).

        Job coaches and beheerders only: a full run withdraws proposals nobody acted on.

        A matching worker picks it up at once (it is woken at commit), whatever Redis is doing now.
        """
        principal = require_principal()
        run = runs.request_run(db_session(), data["kind"], None, principal.name)
        commit()
        return run


@blp.route("/<int:run_id>")
class RunItem(MethodView):
    @roles_required(JOBCOACH, PROGRAMMABUREAU, BEHEERDER)
    @blp.response(200, s.RunSchema)
    def get(self, run_id: int) -> Any:
        run = db_session().get(MatchRun, run_id)
        if run is None:
            raise NotFound("Deze ronde is niet gevonden.")
        return run
