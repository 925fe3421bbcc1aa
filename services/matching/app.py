"""create_app for the matching service (tasks, training slots, runs, proposals)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from services.matching.api import (
    candidates,
    certificates,
    enrolments,
    placements,
    proposals,
    runs,
    slots,
    subjects,
    tasks,
)
from services.matching.models import OutboxEvent
from services.matching.web import views
from shared.app import create_service_app
from shared.config import Settings
from shared.rqdashboard import init_rq_dashboard

HERE = Path(__file__).parent


def create_app(settings: Settings | None = None) -> Flask:
    app, api = create_service_app(
        "matching", "Instap matching", settings, __name__, HERE / "web" / "templates"
    )
    app.extensions["instap"].extras["outbox_model"] = OutboxEvent
    for blp in (
        tasks.blp,
        slots.blp,
        candidates.blp,
        proposals.blp,
        runs.blp,
        enrolments.blp,
        enrolments.cohorts,
        certificates.blp,
        certificates.public,
        certificates.wellknown,
        subjects.blp,
        placements.blp,
        placements.timeline_blp,
    ):
        api.register_blueprint(blp)
    app.register_blueprint(views.bp)
    init_rq_dashboard(app, app.extensions["instap"].settings)
    return app
