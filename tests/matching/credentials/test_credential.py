"""The Open Badges 3.0 credential: exact fields, nothing identifying, and a signature that holds."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from joserfc import jws
from joserfc.errors import SecurityWarning
from joserfc.jwk import OKPKey

from services.matching.credentials import (
    CertificateRecord,
    CredentialUrls,
    KeyStore,
    build_credential,
    issue_credential,
    sign_credential,
    verify_credential,
)

from .conftest import BASE_URL, CODE, praktijkverklaring_record, vca_record

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
CREDENTIAL_KEYS = {
    "@context",
    "id",
    "type",
    "name",
    "issuer",
    "validFrom",
    "credentialSubject",
    "credentialStatus",
}
ISSUER_KEYS = {"id", "type", "name"}
SUBJECT_KEYS = {"type", "identifier", "achievement"}
IDENTIFIER_KEYS = {"type", "identityType", "hashed", "identityHash"}
ACHIEVEMENT_KEYS = {"id", "type", "name", "description", "criteria"}
ALIGNMENT_KEYS = {"type", "targetType", "targetCode", "targetName", "targetFramework", "targetUrl"}
STATUS_KEYS = {"id", "type", "statusPurpose", "statusListIndex", "statusListCredential"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _payload(token: str) -> dict[str, Any]:
    return json.loads(_unb64(token.split(".")[1]))


def _all_strings(value: Any) -> list[str]:
    """Every string value (not the member names) in a JSON document."""
    if isinstance(value, dict):
        return [s for v in value.values() for s in _all_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _all_strings(v)]
    return [value] if isinstance(value, str) else []


def test_praktijkverklaring_has_exactly_the_listed_fields(token: str) -> None:
    credential = _payload(token)
    assert set(credential) == CREDENTIAL_KEYS
    assert credential["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["id"] == f"{BASE_URL}/matching/api/v1/credentials/{CODE}"
    assert credential["validFrom"] == "2025-06-02T00:00:00Z"
    assert set(credential["issuer"]) == ISSUER_KEYS
    assert credential["issuer"]["type"] == ["Profile"]
    assert credential["issuer"]["name"] == "ROC Da Vinci College"
    subject = credential["credentialSubject"]
    assert set(subject) == SUBJECT_KEYS
    assert subject["type"] == ["AchievementSubject"]
    [identifier] = subject["identifier"]
    assert identifier == {
        "type": "IdentityObject",
        "identityType": "name",
        "hashed": False,
        "identityHash": "J.A.",
    }
    achievement = subject["achievement"]
    assert set(achievement) == ACHIEVEMENT_KEYS | {"alignment"}
    assert achievement["type"] == ["Achievement"]
    assert set(achievement["criteria"]) == {"narrative"}
    assert [set(a) for a in achievement["alignment"]] == [ALIGNMENT_KEYS, ALIGNMENT_KEYS]
    assert [a["targetCode"] for a in achievement["alignment"]] == ["B1-K1-W1", "B1-K1-W3"]
    assert all(a["type"] == ["Alignment"] for a in achievement["alignment"])
    status = credential["credentialStatus"]
    assert set(status) == STATUS_KEYS
    assert status == {
        "id": f"{BASE_URL}/matching/api/v1/status-lists/1#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": f"{BASE_URL}/matching/api/v1/status-lists/1",
    }


def test_certificate_with_an_end_date_has_valid_until_and_no_alignment(urls: CredentialUrls) -> None:
    credential = build_credential(vca_record(urls), urls)
    assert set(credential) == CREDENTIAL_KEYS | {"validUntil"}
    assert credential["validUntil"] == "2035-04-10T23:59:59Z"
    assert set(credential["credentialSubject"]["achievement"]) == ACHIEVEMENT_KEYS
    assert credential["credentialSubject"]["identifier"][0]["identityHash"] == "IJ.M."


def test_nothing_identifying_beyond_initials(token: str) -> None:
    strings = _all_strings(_payload(token))
    text = " ".join(strings).lower()
    for forbidden in (
        "jan",
        "vries",
        "@",
        "bsn",
        "programme",
        "programma_id",
        "candidate",
        "pseudonym",
        "phone",
    ):
        assert forbidden not in text, forbidden
    initials_seen = [s for s in strings if s == "J.A."]
    assert len(initials_seen) == 1


def test_header_is_fully_specified_ed25519_with_a_published_kid(token: str, keys: KeyStore) -> None:
    header = json.loads(_unb64(token.split(".")[0]))
    assert header == {"alg": "Ed25519", "kid": header["kid"], "typ": "vc+jwt"}
    assert header["kid"] in [k["kid"] for k in keys.jwks()["keys"]]


def test_verifies_with_the_published_jwks(token: str, keys: KeyStore) -> None:
    published = json.loads(keys.jwks_path.read_text())
    verdict = verify_credential(token, published, now=NOW)
    assert (verdict.valid, verdict.reason) == (True, "valid")
    assert verdict.credential == _payload(token)


def test_changing_any_character_of_the_token_breaks_it(token: str, keys: KeyStore) -> None:
    jwks = keys.jwks()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for position, ch in enumerate(token):
        if ch == ".":
            continue
        replacement = alphabet[(alphabet.index(ch) + 1) % len(alphabet)]
        changed = token[:position] + replacement + token[position + 1 :]
        assert not verify_credential(changed, jwks, now=NOW).valid, position


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_changing_one_byte_of_header_payload_or_signature_breaks_it(
    token: str, keys: KeyStore, data: st.DataObject
) -> None:
    """The bytes under the encoding, re-encoded properly, as a forger would do it."""
    jwks = keys.jwks()
    segments = [_unb64(s) for s in token.split(".")]
    part = data.draw(st.integers(0, 2), label="part (0 header, 1 payload, 2 signature)")
    position = data.draw(st.integers(0, len(segments[part]) - 1), label="position")
    value = data.draw(st.integers(0, 255).filter(lambda v: v != segments[part][position]), label="byte")
    changed = bytearray(segments[part])
    changed[position] = value
    segments[part] = bytes(changed)
    forged = ".".join(_b64(s) for s in segments)
    verdict = verify_credential(forged, jwks, now=NOW)
    assert not verdict.valid
    assert verdict.reason


def test_a_changed_claim_fails_as_bad_signature(token: str, keys: KeyStore) -> None:
    header, _, signature = token.split(".")
    credential = _payload(token)
    credential["credentialSubject"]["identifier"][0]["identityHash"] = "K.B."
    forged = ".".join([header, _b64(json.dumps(credential).encode()), signature])
    assert verify_credential(forged, keys.jwks(), now=NOW).reason == "bad signature"


def test_fails_with_a_wrong_key(token: str, tmp_path: Any) -> None:
    other = KeyStore(tmp_path / "other")
    verdict = verify_credential(token, other.jwks(), now=NOW)
    assert not verdict.valid and verdict.reason.startswith("unknown key")


def test_fails_when_a_kid_is_bound_to_another_public_key(token: str, keys: KeyStore) -> None:
    impostor = OKPKey.generate_key("Ed25519").as_dict(private=False)
    kid = keys.jwks()["keys"][0]["kid"]
    jwks = {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": impostor["x"], "kid": kid, "use": "sig"}]}
    assert verify_credential(token, jwks, now=NOW).reason == "bad signature"


def test_old_credentials_verify_after_rotation(
    record: CertificateRecord, urls: CredentialUrls, keys: KeyStore
) -> None:
    before = issue_credential(record, urls, keys)
    old_kid = keys.signing_key().thumbprint()
    new_kid = keys.rotate()
    after = issue_credential(record, urls, keys)
    jwks = keys.jwks()
    assert [k["kid"] for k in jwks["keys"]] == [new_kid, old_kid]
    assert json.loads(_unb64(after.split(".")[0]))["kid"] == new_kid
    assert verify_credential(before, jwks, now=NOW).valid
    assert verify_credential(after, jwks, now=NOW).valid
    keys.rotate()
    assert verify_credential(before, keys.jwks(), now=NOW).valid
    # A key set without the old key no longer vouches for the old credential.
    assert not verify_credential(before, {"keys": keys.jwks()["keys"][:1]}, now=NOW).valid


def test_eddsa_header_is_accepted_and_other_algorithms_are_not(
    record: CertificateRecord, urls: CredentialUrls, keys: KeyStore
) -> None:
    key = keys.signing_key()
    payload = json.dumps(build_credential(record, urls)).encode()
    with pytest.warns(SecurityWarning):  # joserfc: "EdDSA is deprecated via RFC 9864"
        eddsa = jws.serialize_compact(
            {"alg": "EdDSA", "kid": key.thumbprint()}, payload, key, algorithms=["EdDSA"]
        )
    assert verify_credential(eddsa, keys.jwks(), now=NOW).valid
    unsigned = ".".join([_b64(b'{"alg":"none","kid":"%s"}' % key.thumbprint().encode()), _b64(payload), ""])
    assert verify_credential(unsigned, keys.jwks(), now=NOW).reason.startswith("unsupported algorithm")


def test_credential_in_a_vc_claim_is_accepted(
    record: CertificateRecord, urls: CredentialUrls, keys: KeyStore
) -> None:
    wrapped = sign_credential(
        {"vc": build_credential(record, urls), "iss": record.issuer.id}, keys.signing_key()
    )
    assert verify_credential(wrapped, keys.jwks(), now=NOW).valid


def test_validity_period(urls: CredentialUrls, keys: KeyStore) -> None:
    token = issue_credential(vca_record(urls), urls, keys)
    assert verify_credential(token, keys.jwks(), now=datetime(2035, 4, 10, 23, 0, tzinfo=UTC)).valid
    assert verify_credential(token, keys.jwks(), now=datetime(2035, 4, 11, tzinfo=UTC)).reason.startswith(
        "expired"
    )
    assert verify_credential(token, keys.jwks(), now=datetime(2025, 4, 9, tzinfo=UTC)).reason.startswith(
        "not yet valid"
    )


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        (("type",), "credential.type does not include VerifiableCredential"),
        (("@context",), "@context does not start with https://www.w3.org/ns/credentials/v2"),
        (("issuer", "name"), "issuer.name is missing"),
        (
            ("credentialSubject", "achievement", "criteria"),
            "credentialSubject.achievement.criteria is missing",
        ),
        (("credentialStatus",), "no BitstringStatusListEntry for revocation"),
        (("validFrom",), "validFrom is not a date-time"),
    ],
)
def test_a_signed_but_malformed_credential_is_invalid(
    record: CertificateRecord, urls: CredentialUrls, keys: KeyStore, path: tuple[str, ...], reason: str
) -> None:
    credential = build_credential(record, urls)
    holder = credential
    for step in path[:-1]:
        holder = holder[step]
    del holder[path[-1]]
    verdict = verify_credential(sign_credential(credential, keys.signing_key()), keys.jwks(), now=NOW)
    assert not verdict.valid
    assert reason in verdict.reason


def test_garbage_is_invalid_not_an_exception(keys: KeyStore) -> None:
    jwks = keys.jwks()
    for garbage in ("", "abc", "a.b.c", "....", "é.é.é", "x" * 2_000_000, "eyJhbGciOiJFZDI1NTE5In0..", "a.b"):
        assert not verify_credential(garbage, jwks, now=NOW).valid


def test_record_changes_change_the_credential(urls: CredentialUrls) -> None:
    one = build_credential(praktijkverklaring_record(urls), urls)
    other = build_credential(praktijkverklaring_record(urls, issued=date(2025, 6, 3)), urls)
    assert one["credentialSubject"] == other["credentialSubject"]
    assert one["validFrom"] != other["validFrom"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for name, child in value.items():
            found.extend(_paths(child, (*prefix, name)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_paths(child, (*prefix, index)))
    return found


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_any_signed_change_to_the_credential_gives_a_verdict_not_a_crash(
    record: CertificateRecord, urls: CredentialUrls, keys: KeyStore, data: st.DataObject
) -> None:
    """A signed document with any member replaced or removed: a verdict (never an exception)."""
    credential = build_credential(record, urls)
    path = data.draw(st.sampled_from(_paths(credential)), label="path")
    holder: Any = credential
    for step in path[:-1]:
        holder = holder[step]
    if data.draw(st.booleans(), label="remove") and isinstance(holder, dict):
        del holder[path[-1]]
    else:
        holder[path[-1]] = data.draw(json_values, label="value")
    verdict = verify_credential(sign_credential(credential, keys.signing_key()), keys.jwks(), now=NOW)
    assert isinstance(verdict.valid, bool)
    assert verdict.line().count("\n") == 0
    if not verdict.valid:
        assert verdict.reason


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.text(max_size=12), json_values, max_size=6))
def test_any_signed_json_object_gives_a_verdict(keys: KeyStore, document: dict[str, Any]) -> None:
    verdict = verify_credential(sign_credential(document, keys.signing_key()), keys.jwks(), now=NOW)
    assert not verdict.valid  # nothing random is a well-formed OpenBadgeCredential
