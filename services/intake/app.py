"""create_app for the intake service (residents, consent, caseload, funnel)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from services.intake.api import consent, followups, introductions, notes, residents, stages
from services.intake.models import OutboxEvent
from services.intake.web import views
from shared.app import create_service_app
from shared.config import Settings

HERE = Path(__file__).parent


def create_app(settings: Settings | None = None) -> Flask:
    app, api = create_service_app("intake", "Instap intake", settings, __name__, HERE / "web" / "templates")
    app.extensions["instap"].extras["outbox_model"] = OutboxEvent
    for blp in (residents.blp, consent.blp, stages.blp, notes.blp, introductions.blp, followups.blp):
        api.register_blueprint(blp)
    app.register_blueprint(views.bp)
    return app
