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
from services.matching.web.stories import risks
from shared.auth.accounts import organisation_names as accounts_organisation_names
from shared.composed import Lookup, ask_many
from shared.pages import local_date
from shared.runtime import service_context
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
        template, labels=LABELS, label=label, labels_for=labels_for, options=options, risks=risks, **context
    ), status


def resident_names(programme_ids: Iterable[str]) -> Lookup:
    """The names of the coach's own residents, asked from intake for this page (intake decides
    and logs the read); matching itself keeps no names."""
    found = ask_many(
        "intake", "/api/v1/residents", "programme_id", programme_ids, "programme_id", {"page_size": 200}
    )
    found.found = {pid: item["name"] for pid, item in found.found.items()}
    return found


def introductions(proposal_ids: Iterable[int]) -> Lookup:
    """Name and the one contact channel of residents introduced to the caller's organisation,
    for these proposals only (intake checks consent and logs each read)."""
    return ask_many("intake", "/api/v1/introductions", "proposal_id", proposal_ids, "proposal_id")


def organisation_names(ids: Iterable[int]) -> dict[int, str]:
    with service_context().accounts_db.unit_of_work() as accounts:
        return accounts_organisation_names(accounts, set(ids))
