"""The pseudonym an organisation sees on a candidate card (issue 7, item 7).

A card never shows the programme id (which intake, the coach and every other organisation know).
It shows a keyed HMAC of the programme id under a key of the organisation's own, for one opening:

    organisation key = HMAC(INSTAP_PSEUDONYM_KEY, "organisation:<id>")
    pseudonym        = HMAC(organisation key, "<opening>:<programme id>")  → K-XXXX-XXXX

So two organisations see unrelated pseudonyms for one resident; without the key nobody can go
from a programme id to a pseudonym or back; and within one organisation the pseudonym differs per
task or training slot, so once a contractor learns a name through an introduction, they cannot
recognise that person on the cards of their other tasks. Nothing is stored: the pseudonym is
computed when a card is shown, and a new key gives every card a new pseudonym.

The same holds after the cards: a placement, an enrolment in a cohort and a certificate show an
organisation the pseudonym of the opening they came from (or the resident's name once the
introduction exists), never the programme id; staff (coaches, programmabureau, beheerder) keep
seeing programme ids.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from services.matching.models import Certificate, Enrolment, Placement, Proposal, TrainingSlot
from shared.auth.accounts import Principal
from shared.auth.roles import AANNEMER, OPLEIDER
from shared.runtime import service_context

PREFIX = "K-"


def _key() -> bytes:
    ctx = service_context()
    key = ctx.extras.get("pseudonym_key")
    if key is None:
        key = ctx.extras["pseudonym_key"] = ctx.settings.ensure_pseudonym_key()
    return key


def pseudonym(key: bytes, organisation_id: int, opening_key: str, programme_id: str) -> str:
    organisation_key = hmac.new(key, f"organisation:{organisation_id}".encode(), hashlib.sha256).digest()
    digest = hmac.new(organisation_key, f"{opening_key}:{programme_id}".encode(), hashlib.sha256).digest()
    code = base64.b32encode(digest[:5]).decode()  # 40 bits, 8 letters and digits
    return f"{PREFIX}{code[:4]}-{code[4:]}"


def organisation_of(proposal: Proposal) -> int:
    opening: Any = proposal.task if proposal.task_id is not None else proposal.slot
    return int(opening.organisation_id)


def for_proposal(proposal: Proposal) -> str:
    """The pseudonym of this proposal's candidate as the opening's organisation sees it."""
    return pseudonym(_key(), organisation_of(proposal), proposal.opening_key, proposal.programme_id)


# The roles that see a pseudonym instead of the programme id.
ORGANISATION_ROLES = frozenset({AANNEMER, OPLEIDER})


def hides_programme_id(principal: Principal) -> bool:
    return principal.role in ORGANISATION_ROLES


def for_slot(session: Session, slot_id: int, programme_id: str) -> str:
    """The pseudonym the slot's organisation sees for this resident (what `for_proposal` gives
    for a proposal of that slot, so an enrolment a coach entered looks the same)."""
    slot = session.get(TrainingSlot, slot_id)
    assert slot is not None
    return pseudonym(_key(), int(slot.organisation_id), f"slot:{slot_id}", programme_id)


def for_placement(session: Session, placement: Placement) -> str:
    proposal = session.get(Proposal, placement.proposal_id)
    assert proposal is not None
    return for_proposal(proposal)


def for_enrolment(session: Session, enrolment: Enrolment) -> str:
    if enrolment.proposal_id is not None:
        proposal = session.get(Proposal, enrolment.proposal_id)
        if proposal is not None:
            return for_proposal(proposal)
    return for_slot(session, enrolment.slot_id, enrolment.programme_id)


def for_certificate(session: Session, certificate: Certificate) -> str:
    if certificate.enrolment_id is not None:
        enrolment = session.get(Enrolment, certificate.enrolment_id)
        if enrolment is not None:
            return for_enrolment(session, enrolment)
    return pseudonym(
        _key(), certificate.organisation_id, f"certificate:{certificate.id}", certificate.programme_id
    )


def shown(principal: Principal, data: dict[str, Any], make: Callable[[], str]) -> dict[str, Any]:
    """An API record as this principal may see it: for an organisation `programme_id` is left
    out and `pseudonym` added; staff get the record as it is."""
    if hides_programme_id(principal):
        data = {k: v for k, v in data.items() if k != "programme_id"}
        data["pseudonym"] = make()
    return data
