"""Per-account lock-out with back-off, kept in the shared login store (`limits`; Redis in production).

Failed logins are counted per e-mail address as typed, whether or not an account has that
address: a known and an unknown address are locked after the same number of failures, for the
same time, with the same message, so a lock-out never tells whether an account exists. After
`after` failures in a row the address is locked for `base_seconds`; every further failure after
a lock doubles the time, up to `max_seconds`. A successful login clears the count.

The address is stored only as an HMAC with the app's secret key: no e-mail address in Redis.

When the shared store does not answer (Redis down or frozen: short timeouts), counting goes on in
this process's memory until it answers again: logging in keeps working during an outage, and
guessing stays limited (per process instead of across all of them).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import redis
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage

log = logging.getLogger(__name__)
T = TypeVar("T")
# What a shared store that is down or frozen raises (redis-py's own errors, or limits' wrappers).
STORAGE_ERRORS = (redis.RedisError, StorageError, OSError)

# How long a series of failures is remembered (from its first failure).
FAILURE_MEMORY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class LockoutPolicy:
    after: int = 5
    base_seconds: int = 60
    max_seconds: int = 3600

    def lock_seconds(self, failures: int) -> int:
        """How long the address is locked after this many failures in a row (0: not locked)."""
        if failures < self.after:
            return 0
        # Bounded exponent: the doubling stops at max_seconds long before 2**30.
        return min(self.base_seconds * 2 ** min(failures - self.after, 30), self.max_seconds)


class AccountLockout:
    """Counts failed logins per address in the shared login store and locks with back-off."""

    def __init__(self, storage: Storage, secret_key: str, policy: LockoutPolicy):
        self._storage = storage
        self._secret = secret_key.encode()
        self.policy = policy
        self._local = MemoryStorage()

    def _with_storage(self, operation: Callable[[Storage], T]) -> T:
        try:
            return operation(self._storage)
        except STORAGE_ERRORS as exc:
            log.warning("lock-out store unreachable; counting in this process", extra={"error": str(exc)})
            return operation(self._local)

    def _keys(self, email: str) -> tuple[str, str]:
        digest = hmac.new(self._secret, email.strip().lower().encode(), hashlib.sha256).hexdigest()
        return f"instap/lockout/fail/{digest}", f"instap/lockout/lock/{digest}"

    def locked_for(self, email: str) -> int:
        """Seconds this address stays locked (0: not locked)."""
        _, lock_key = self._keys(email)

        def remaining(storage: Storage) -> int:
            if storage.get(lock_key) <= 0:
                return 0
            return max(1, math.ceil(storage.get_expiry(lock_key) - time.time()))

        return self._with_storage(remaining)

    def failed(self, email: str) -> int:
        """Record a failed login; returns the seconds of the lock it starts (0: none)."""
        fail_key, lock_key = self._keys(email)

        def count(storage: Storage) -> int:
            seconds = self.policy.lock_seconds(storage.incr(fail_key, FAILURE_MEMORY_SECONDS))
            if seconds:
                storage.incr(lock_key, seconds)
            return seconds

        return self._with_storage(count)

    def succeeded(self, email: str) -> None:
        def clear(storage: Storage) -> None:
            for key in self._keys(email):
                storage.clear(key)

        self._with_storage(clear)
