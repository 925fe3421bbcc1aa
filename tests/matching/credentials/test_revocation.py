"""Revocation through the published status list, checked offline."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

from services.matching.credentials import (
    CertificateRecord,
    CredentialUrls,
    Issuer,
    KeyStore,
    issue_status_list,
    verify_credential,
)
from services.matching.credentials.status_list import status_list_credential
from services.matching.credentials.vcjwt import sign_credential

NOW = datetime(2026, 1, 15, tzinfo=UTC)


def _programme(urls: CredentialUrls) -> Issuer:
    return Issuer(urls.organisation_profile_id("programmabureau"), "Programmabureau Dordt West")


def _list(urls: CredentialUrls, keys: KeyStore, revoked: list[int], slug: str = "1") -> str:
    return issue_status_list(
        slug=slug, revoked=revoked, issuer=_programme(urls), urls=urls, keys=keys, now=NOW
    )


def test_revoked_only_when_its_own_bit_is_set(
    token: str, record: CertificateRecord, urls: CredentialUrls, keys: KeyStore
) -> None:
    jwks = keys.jwks()
    index = record.status_index
    assert verify_credential(token, jwks, status_list=_list(urls, keys, []), now=NOW).valid
    neighbours = _list(urls, keys, [index - 1, index + 1])
    assert verify_credential(token, jwks, status_list=neighbours, now=NOW).valid
    verdict = verify_credential(token, jwks, status_list=_list(urls, keys, [index]), now=NOW)
    assert (verdict.valid, verdict.line()) == (False, "invalid: revoked")


def test_a_list_made_after_a_rotation_still_revokes_older_credentials(
    token: str, record: CertificateRecord, urls: CredentialUrls, keys: KeyStore
) -> None:
    keys.rotate()
    revoked = _list(urls, keys, [record.status_index])
    assert verify_credential(token, keys.jwks(), status_list=revoked, now=NOW).reason == "revoked"


def test_another_list_does_not_count(
    token: str, record: CertificateRecord, urls: CredentialUrls, keys: KeyStore
) -> None:
    other = _list(urls, keys, [], slug="2")
    verdict = verify_credential(token, keys.jwks(), status_list=other, now=NOW)
    assert verdict.reason == "status list: not the list the credential refers to"


def test_a_tampered_or_foreign_list_is_not_trusted(
    token: str, record: CertificateRecord, urls: CredentialUrls, keys: KeyStore, tmp_path: Path
) -> None:
    jwks = keys.jwks()
    revoked = _list(urls, keys, [record.status_index])
    header, payload, signature = revoked.split(".")
    document = json.loads(base64.urlsafe_b64decode(payload + "=="))
    cleared = json.loads(base64.urlsafe_b64decode(_list(urls, keys, []).split(".")[1] + "=="))
    document["credentialSubject"]["encodedList"] = cleared["credentialSubject"]["encodedList"]
    forged_payload = base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")
    forged = ".".join([header, forged_payload, signature])
    assert verify_credential(token, jwks, status_list=forged, now=NOW).reason == "status list: bad signature"
    stranger = KeyStore(tmp_path / "stranger")
    foreign = _list(urls, stranger, [])
    assert verify_credential(token, jwks, status_list=foreign, now=NOW).reason.startswith(
        "status list: unknown key"
    )
    assert verify_credential(token, jwks, status_list="not a jwt", now=NOW).reason.startswith("status list:")


def test_a_list_for_another_purpose_is_refused(token: str, urls: CredentialUrls, keys: KeyStore) -> None:
    document = status_list_credential(
        url=urls.status_list("1"), issuer={"id": "urn:x:y", "type": ["Profile"]}, revoked=[], valid_from=NOW
    )
    document["credentialSubject"]["statusPurpose"] = "suspension"
    suspended = sign_credential(document, keys.signing_key())
    assert verify_credential(token, keys.jwks(), status_list=suspended, now=NOW).reason == (
        "status list: not a revocation list"
    )
