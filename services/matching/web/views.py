"""Matching pages: the start page per role, and match runs; tasks, slots and proposals live in
openings.py and decisions.py (same blueprint)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from services.matching.domain import runs as match_runs
from services.matching.models import MatchRun
from services.matching.web.helpers import local_iso, render
from services.matching.web.labels import label
from services.matching.web.stories import run_story
from shared import reference
from shared.auth.roles import BEHEERDER, JOBCOACH, PROGRAMMABUREAU
from shared.auth.web import current_principal, require_principal, roles_required
from shared.navigation import start_path
from shared.pages import local_date, local_datetime
from shared.web import commit, db_session

log = logging.getLogger(__name__)
bp = Blueprint("web", __name__)
bp.add_app_template_filter(local_datetime, "datumtijd")
bp.add_app_template_filter(local_date, "datum")
bp.add_app_template_filter(local_iso, "datum_iso")

# Everyone who follows the programme may see the runs; only those who work with residents'
# proposals may start one (a full run withdraws suggestions nobody acted on).
RUN_ROLES = (JOBCOACH, PROGRAMMABUREAU, BEHEERDER)
RUN_START_ROLES = (JOBCOACH, BEHEERDER)
RECENT_RUNS = 50


@bp.get("/")
def index() -> Any:
    principal = current_principal()
    if principal is None:
        return redirect(url_for("auth.login", next="/matching/"))
    return redirect(start_path(principal.role))


@bp.get("/rondes")
@roles_required(*RUN_ROLES)
def runs() -> Any:
    items = db_session().scalars(select(MatchRun).order_by(MatchRun.id.desc()).limit(RECENT_RUNS)).all()
    return render("matching/runs.html", items=items, run_story=run_story, nav_current="runs")


@bp.post("/rondes")
@roles_required(*RUN_START_ROLES)
def start_run() -> Any:
    """Request a full run over all open tasks and slots (a queued one is reused), like the API."""
    principal = require_principal()
    run = match_runs.request_run(db_session(), "full", None, principal.name)
    run_id = run.id
    commit()  # a matching worker is woken at commit and enqueues the run: no wait on Redis here
    flash(
        _("Matchronde %(id)s is aangevraagd. Vernieuw deze pagina om de voortgang te zien.", id=run_id),
        "success",
    )
    return redirect(url_for("web.runs"))


@bp.app_context_processor
def _matching_globals() -> dict[str, Any]:
    return {"run_roles": RUN_ROLES, "run_start_roles": RUN_START_ROLES, "sector_name": sector_name}


def sector_name(occupation: str | None) -> str:
    """The sector of an occupation, by name (reference data, so any sector shows without code)."""
    return label("sectors", reference.sector_of(occupation))


# The task, slot and proposal pages register their routes on the same blueprint.
from services.matching.web import (  # noqa: E402, F401
    certificates,
    cohorts,
    decisions,
    enrol,
    introductions,
    openings,
    placements,
)
