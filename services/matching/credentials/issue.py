"""Issuing: sign a certificate's credential and a status list with the active key of a KeyStore."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from .document import build_credential, issuer_profile
from .keys import KeyStore
from .model import CertificateRecord, Issuer
from .status_list import MINIMUM_BITS, status_list_credential
from .urls import CredentialUrls
from .vcjwt import sign_credential


def issue_credential(record: CertificateRecord, urls: CredentialUrls, keys: KeyStore) -> str:
    """The compact VC-JWT served at /matching/api/v1/credentials/<code>.

    Signing is cheap (microseconds) and deterministic for one key, so the service may sign on each
    request instead of storing the token; after a key rotation it then signs with the new key.
    """
    return sign_credential(build_credential(record, urls), keys.signing_key())


def issue_status_list(
    *,
    slug: str,
    revoked: Iterable[int],
    issuer: Issuer,
    urls: CredentialUrls,
    keys: KeyStore,
    now: datetime | None = None,
    size: int = MINIMUM_BITS,
) -> str:
    """The status list VC-JWT served at /matching/api/v1/status-lists/<slug>."""
    document = status_list_credential(
        url=urls.status_list(slug),
        issuer=issuer_profile(issuer),
        revoked=revoked,
        valid_from=now or datetime.now(UTC),
        size=size,
    )
    return sign_credential(document, keys.signing_key())
