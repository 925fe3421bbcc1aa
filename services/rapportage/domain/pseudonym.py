"""The keyed hash that stands in for every identifier coming from another service.

HMAC-SHA256 with a key only rapportage holds (RAPPORTAGE_HASH_KEY): without the key nobody can
compute the hash of a known programme id, so the facts cannot be joined with intake's or
matching's rows, and the same programme id always gives the same key, so a person counts once.
"""

from __future__ import annotations

import hashlib
import hmac

from services.rapportage.models import KEY


def pseudonym(key: bytes, kind: str, value: object) -> str:
    """`kind` separates the name spaces: person "DW-1" and placement 1 never share a hash."""
    digest = hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return digest[:KEY]
