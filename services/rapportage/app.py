"""create_app for the rapportage service (facts without identities, protected reports)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from services.rapportage.api import outreach, reports
from services.rapportage.models import OutboxEvent
from services.rapportage.web import views
from shared.app import create_service_app
from shared.config import Settings

HERE = Path(__file__).parent


def create_app(settings: Settings | None = None) -> Flask:
    app, api = create_service_app(
        "rapportage", "Instap rapportage", settings, __name__, HERE / "web" / "templates"
    )
    ctx = app.extensions["instap"]
    ctx.extras["outbox_model"] = OutboxEvent
    ctx.settings.ensure_hash_key()  # fail at start-up, not at the first event, when it is missing
    for blp in (reports.blp, outreach.blp):
        api.register_blueprint(blp)
    app.register_blueprint(views.bp)
    return app
