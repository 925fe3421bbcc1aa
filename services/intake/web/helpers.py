"""Small helpers shared by the intake pages: visible residents, coach lists, dates, rendering."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import render_template
from sqlalchemy import select

from services.intake.domain import caseload
from services.intake.models import Resident
from services.intake.web.forms import field_label
from services.intake.web.labels import LABELS
from shared.auth.accounts import Principal
from shared.auth.models import User
from shared.auth.roles import JOBCOACH
from shared.auth.web import require_principal
from shared.errors import NotFound
from shared.pages import local_date, local_datetime
from shared.runtime import service_context
from shared.web import db_session

NOT_FOUND_NL = "Deze deelnemer bestaat niet, of hoort niet bij uw caseload."


def visible_resident(programme_id: str) -> tuple[Principal, Resident]:
    """The principal and the resident they may see; a page 404 in plain Dutch otherwise."""
    principal = require_principal()
    try:
        return principal, caseload.get_visible(db_session(), principal, programme_id)
    except NotFound:
        raise NotFound(NOT_FOUND_NL) from None


def coaches() -> dict[int, str]:
    """Active job coaches from the accounts store: id → name (sorted by name)."""
    with service_context().accounts_db.unit_of_work() as accounts:
        users = accounts.scalars(
            select(User).where(User.role == JOBCOACH, User.active.is_(True)).order_by(User.name)
        ).all()
        return {u.id: u.name for u in users}


def local_iso(value: str | None) -> str:
    """An ISO date or timestamp from the export document, in Dutch notation and local time."""
    if not value:
        return ""
    if "T" in value:
        return local_datetime(datetime.fromisoformat(value))
    return local_date(date.fromisoformat(value))


# The shared helpers (shared/pages.py), bound to this service's lists.
label = LABELS.label
labels_for = LABELS.labels_for


def render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(
        template, labels=LABELS, label=label, labels_for=labels_for, field_label=field_label, **context
    ), status
