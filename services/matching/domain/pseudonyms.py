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
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from services.matching.models import Proposal
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
