"""Pages that show what another service owns, asked on behalf of the person (shared/peers.py).

A page never copies another service's data: it asks the other service's API with the caller's
own credentials, for just the rows it shows, and shows what it has when the other service does
not answer (`unavailable`), saying so on the page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from shared.peers import PeerUnavailable
from shared.runtime import service_context

log = logging.getLogger(__name__)
CHUNK = 200  # the APIs take at most this many ids per call


@dataclass
class Lookup:
    """What the other service answered, by key; `unavailable` when some of it could not be asked."""

    found: dict[Any, Any] = field(default_factory=dict)
    unavailable: bool = False

    def get(self, key: Any, default: Any = None) -> Any:
        return self.found.get(key, default)


def ask_many(
    service: str, path: str, param: str, keys: Iterable[Any], key_of: str, extra: dict[str, Any] | None = None
) -> Lookup:
    """GET `path` for these keys (in chunks) and index the answer's items by `key_of`."""
    wanted = sorted(set(keys))
    lookup = Lookup()
    if not wanted:
        return lookup
    peers = service_context().peers
    if not peers.knows(service):
        return Lookup(unavailable=True)
    for start in range(0, len(wanted), CHUNK):
        params = {param: wanted[start : start + CHUNK], **(extra or {})}
        try:
            reply = peers.get(service, path, params)
        except PeerUnavailable:
            lookup.unavailable = True
            break
        if not reply.ok:
            log.warning("peer refused", extra={"peer": service, "status": reply.status})
            lookup.unavailable = True
            break
        body = reply.body
        items = body.get("items", []) if isinstance(body, dict) else body or []
        for item in items:
            lookup.found[item[key_of]] = item
    return lookup
