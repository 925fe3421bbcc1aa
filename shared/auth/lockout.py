"""Per-account lock-out with back-off, kept in the rate limiter's storage (Redis in production).

Failed logins are counted per e-mail address as typed, whether or not an account has that
address: a known and an unknown address are locked after the same number of failures, for the
same time, with the same message, so a lock-out never tells whether an account exists. After
`after` failures in a row the address is locked for `base_seconds`; every further failure after
a lock doubles the time, up to `max_seconds`. A successful login clears the count.

The address is stored only as an HMAC with the app's secret key: no e-mail address in Redis.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from dataclasses import dataclass
from typing import Protocol

from limits.storage import Storage

# How long a series of failures is remembered (from its first failure).
FAILURE_MEMORY_SECONDS = 24 * 3600


class _HasStorage(Protocol):
    @property
    def storage(self) -> Storage: ...


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
    """Counts failed logins per address in the limiter's storage and locks with back-off."""

    def __init__(self, limiter: _HasStorage, secret_key: str, policy: LockoutPolicy):
        self._limiter = limiter
        self._secret = secret_key.encode()
        self.policy = policy

    def _keys(self, email: str) -> tuple[str, str]:
        digest = hmac.new(self._secret, email.strip().lower().encode(), hashlib.sha256).hexdigest()
        return f"instap/lockout/fail/{digest}", f"instap/lockout/lock/{digest}"

    def locked_for(self, email: str) -> int:
        """Seconds this address stays locked (0: not locked)."""
        storage = self._limiter.storage
        _, lock_key = self._keys(email)
        if storage.get(lock_key) <= 0:
            return 0
        return max(1, math.ceil(storage.get_expiry(lock_key) - time.time()))

    def failed(self, email: str) -> int:
        """Record a failed login; returns the seconds of the lock it starts (0: none)."""
        storage = self._limiter.storage
        fail_key, lock_key = self._keys(email)
        failures = storage.incr(fail_key, FAILURE_MEMORY_SECONDS)
        seconds = self.policy.lock_seconds(failures)
        if seconds:
            storage.incr(lock_key, seconds)
        return seconds

    def succeeded(self, email: str) -> None:
        storage = self._limiter.storage
        for key in self._keys(email):
            storage.clear(key)
