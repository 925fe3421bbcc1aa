"""Small helpers shared by the matching pages: rendering, dates, the candidate cards."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from flask import render_template
from sqlalchemy import select

from services.matching.domain import proposals, pseudonyms
from services.matching.models import Candidate, Proposal
from services.matching.web.labels import LABELS, label, labels_for, options
from shared.pages import local_date
from shared.web import db_session


def local_iso(value: str | None) -> str:
    """An ISO date kept as text (certificate validity in a profile), in Dutch notation."""
    if not value:
        return ""
    try:
        return local_date(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value)


def cards_for(items: Iterable[Proposal]) -> dict[int, Candidate]:
    """The pseudonymous candidate profiles behind these proposals (proposal id → profile), only
    while the candidate's consent lets matching share them with the opening's organisation.
    Matching holds no names or contact details at all: intake keeps those."""
    items = list(items)
    ids = {p.programme_id for p in items}
    if not ids:
        return {}
    by_id = {
        c.programme_id: c
        for c in db_session().scalars(select(Candidate).where(Candidate.programme_id.in_(ids)))
    }
    return {
        p.id: by_id[p.programme_id] for p in items if proposals.card_visible(by_id.get(p.programme_id), p)
    }


def pseudonyms_for(items: Iterable[Proposal]) -> dict[int, str]:
    """Proposal id → the pseudonym the opening's organisation sees (domain/pseudonyms.py)."""
    return {p.id: pseudonyms.for_proposal(p) for p in items}


def render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(
        template, labels=LABELS, label=label, labels_for=labels_for, options=options, **context
    ), status
