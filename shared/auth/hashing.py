"""Password hashing profiles: argon2id at full strength, and a cheap one that only tests may use.

The profile comes from the settings (`INSTAP_PASSWORD_HASHING`), never from an import-time
global, so a test process can hash cheaply while every real process hashes at full strength.
The settings refuse the cheap profile in production.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

if TYPE_CHECKING:
    from shared.config import Settings

Profile = Literal["standard", "fast"]

# standard: argon2-cffi's default (RFC 9106 low-memory: t=3, m=64 MiB, p=4), about 0.2 s a hash.
# fast: argon2-cffi's CHEAPEST parameters, well under a millisecond; for tests only.
_PARAMETERS = {"standard": profiles.RFC_9106_LOW_MEMORY, "fast": profiles.CHEAPEST}


@dataclass(frozen=True)
class PasswordHashing:
    """Hashes and checks passwords with one argon2id profile."""

    profile: Profile
    hasher: PasswordHasher

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """True when `password` matches `stored`. Without a stored hash a dummy one is checked
        (and False returned), so a login for an unknown e-mail takes as long as for a known one."""
        try:
            matches = self.hasher.verify(stored or self._dummy_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        return matches and bool(stored)

    def needs_rehash(self, stored: str) -> bool:
        """True when `stored` was made with other parameters (e.g. by another profile)."""
        return self.hasher.check_needs_rehash(stored)

    @functools.cached_property
    def _dummy_hash(self) -> str:
        return self.hasher.hash("not-a-real-password")


@functools.cache
def hashing_profile(profile: Profile = "standard") -> PasswordHashing:
    """The shared hasher of one profile, built on first use (argon2's hasher is thread-safe)."""
    if profile not in _PARAMETERS:
        raise ValueError(f"unknown password hashing profile {profile!r}")
    return PasswordHashing(profile, PasswordHasher.from_parameters(_PARAMETERS[profile]))


def hashing_for(settings: Settings) -> PasswordHashing:
    """The hasher these settings ask for (INSTAP_PASSWORD_HASHING)."""
    return hashing_profile(settings.password_hashing)
