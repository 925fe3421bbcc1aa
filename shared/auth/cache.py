"""A short-lived, per-process memory of what the accounts store said (issue 12: write path).

Every API request names a bearer token and many writes name a coach; asking the accounts store
each time costs a connection checkout, a query and a commit per request. A web process remembers
the answer for `auth_cache_seconds` (10 s by default): a token revoked or a coach deactivated in
another process is refused at most that much later (the process that revokes forgets at once).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from shared.auth.models import User

V = TypeVar("V")
_MISSING = object()


class TTLCache(Generic[V]):
    """Key → value for `ttl` seconds; bounded (the oldest half is dropped when full)."""

    def __init__(self, ttl: float, max_entries: int = 4096, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._items: dict[object, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: object) -> V | None:
        if self.ttl <= 0:
            return None
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            if found[0] <= self.clock():
                del self._items[key]
                return None
            return found[1]

    def put(self, key: object, value: V) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._items) >= self.max_entries:
                for old in list(self._items)[: self.max_entries // 2]:
                    del self._items[old]
            self._items[key] = (self.clock() + self.ttl, value)

    def forget(self, key: object | None = None) -> None:
        """Forget one key, or everything."""
        with self._lock:
            if key is None:
                self._items.clear()
            else:
                self._items.pop(key, None)


@dataclass(frozen=True)
class StaffMember:
    """What the services need to know of a user account to assign work to it."""

    id: int
    name: str
    role: str
    organisation_id: int
    active: bool


def staff_member(session: Session, user_id: int) -> StaffMember | None:
    user = session.get(User, user_id)
    if user is None:
        return None
    return StaffMember(user.id, user.name, user.role, user.organisation_id, user.active)


class Staff:
    """Looks up staff members in the accounts store, through a cache or one open session."""

    def __init__(self, lookup: Callable[[int], StaffMember | None]):
        self._lookup = lookup

    def member(self, user_id: int) -> StaffMember | None:
        return self._lookup(user_id)

    @classmethod
    def from_session(cls, session: Session) -> Staff:
        return cls(lambda user_id: staff_member(session, user_id))
