"""The RQ dashboard (rq-dashboard) inside one service app, for beheerders only and read-only.

Mounted at `/<service>/rq/`. Its pages need their own inline script, so they get a policy that
allows it; everything that changes a queue (delete, requeue, empty) is refused here: the
dashboard's buttons post without our CSRF token, and one of them even changes state on a GET.
Failed jobs are requeued with `rq requeue` (docs/operations.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import rq_dashboard
from flask import Flask, abort, request, send_from_directory
from rq_dashboard.web import setup_rq_connection
from werkzeug.wrappers import Response

from shared.auth.roles import BEHEERDER
from shared.auth.web import roles_required
from shared.config import Settings

PREFIX = "/rq"
STATIC = Path(rq_dashboard.__file__).parent / "static"
# Endpoints that only read; anything else of the blueprint is refused.
READ_ONLY = {
    "queues_overview",
    "workers_overview",
    "jobs_overview",
    "job_view",
    "list_queues",
    "list_jobs",
    "job_info",
    "list_workers",
    "favicon",
    "static",
}
POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; form-action 'none'"
)


@roles_required(BEHEERDER)
def _allowed() -> None:
    """Anonymous visitors go to the login page; other roles get 403."""


def init_rq_dashboard(app: Flask, settings: Settings) -> None:
    """Mount the dashboard under PREFIX when a Redis is configured."""
    if not settings.redis_url:
        return
    app.config.update(
        RQ_DASHBOARD_REDIS_URL=settings.redis_url,
        RQ_DASHBOARD_DISABLE_DELETE=True,
        RQ_DASHBOARD_POLL_INTERVAL=5000,
    )
    setup_rq_connection(app)
    app.register_blueprint(rq_dashboard.blueprint, url_prefix=PREFIX)

    # rq-dashboard's base template asks for the app's "static" endpoint (its favicon); these apps
    # have none, so serve that one file from the dashboard's own static folder.
    @app.get(f"{PREFIX}/favicon/<path:filename>", endpoint="static")
    def _favicon(filename: str) -> Any:
        return send_from_directory(STATIC, filename)

    @app.before_request
    def _guard() -> Any:
        if request.blueprint != "rq_dashboard" and request.endpoint != "static":
            return None
        refused = _allowed()
        if refused is not None:
            return refused
        endpoint = (request.endpoint or "").rsplit(".", 1)[-1]
        if request.method not in ("GET", "HEAD") or endpoint not in READ_ONLY:
            abort(405)
        return None

    @app.after_request
    def _policy(response: Response) -> Response:
        if request.blueprint == "rq_dashboard":
            response.headers["Content-Security-Policy"] = POLICY
            response.headers["Cache-Control"] = "no-store"
        return response
