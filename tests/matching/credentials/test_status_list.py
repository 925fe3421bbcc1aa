"""Bitstring Status List: bit i from the most significant bit of byte 0, GZIP, multibase base64url.

The decoder here is written from the W3C spec, independently of the package's own.
"""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching.credentials import (
    Bitstring,
    CredentialUrls,
    Issuer,
    KeyStore,
    StatusListError,
    allocate_index,
    issue_status_list,
    verify_jwt,
)
from services.matching.credentials.status_list import MAX_BYTES

BITS = 131072
# The all-zero list from the example in the W3C Bitstring Status List spec.
SPEC_EXAMPLE = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"


def reference_decode(encoded: str) -> tuple[int, set[int]]:
    """(number of bits, indexes set to 1), straight from the spec's definition."""
    assert encoded[0] == "u", "multibase base64url"
    body = encoded[1:]
    assert "=" not in body
    raw = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    ones = set()
    for byte_index, byte in enumerate(raw):
        for bit in range(8):
            if byte & (1 << (7 - bit)):
                ones.add(byte_index * 8 + bit)
    return len(raw) * 8, ones


indexes = st.sets(st.integers(0, BITS - 1), max_size=50)


@settings(deadline=None)  # no timing in pass/fail tests (the machine is shared)
@given(indexes)
def test_encoded_list_sets_exactly_the_revoked_bits(revoked: set[int]) -> None:
    encoded = Bitstring.with_ones(revoked).encode()
    size, ones = reference_decode(encoded)
    assert size == BITS
    assert ones == revoked
    decoded = Bitstring.decode(encoded)
    assert decoded.ones() == sorted(revoked)
    assert all(decoded.get(i) for i in revoked)


def test_bit_order_is_msb_first() -> None:
    bits = Bitstring.with_ones([0, 9, BITS - 1])
    raw = bits.to_bytes()
    assert raw[0] == 0b1000_0000
    assert raw[1] == 0b0100_0000
    assert raw[-1] == 0b0000_0001
    assert sum(1 for b in raw if b) == 3


def test_reads_the_spec_example() -> None:
    decoded = Bitstring.decode(SPEC_EXAMPLE)
    assert decoded.size == BITS and decoded.ones() == []


def test_set_and_clear() -> None:
    bits = Bitstring()
    bits.set(94567)
    assert bits.get(94567) and not bits.get(94566) and not bits.get(94568)
    bits.set(94567, False)
    assert bits.ones() == []
    with pytest.raises(IndexError):
        bits.set(BITS)
    with pytest.raises(IndexError):
        bits.get(-1)


def test_encoding_is_deterministic() -> None:
    assert Bitstring.with_ones([5, 6]).encode() == Bitstring.with_ones([6, 5]).encode()


@pytest.mark.parametrize(
    ("encoded", "message"),
    [
        ("z" + SPEC_EXAMPLE[1:], "no 'u' prefix"),
        ("u!!!", "not base64url"),
        ("u" + base64.urlsafe_b64encode(b"plain bytes").decode().rstrip("="), "not GZIP"),
        (
            "u" + base64.urlsafe_b64encode(gzip.compress(bytes(1024), mtime=0)).decode().rstrip("="),
            "shorter than 131072 bits",
        ),
        (
            "u" + base64.urlsafe_b64encode(gzip.compress(bytes(MAX_BYTES + 8), mtime=0)).decode().rstrip("="),
            "too large",
        ),
        (
            "u"
            + base64.urlsafe_b64encode(gzip.compress(bytes(BITS // 8), mtime=0)[:-12]).decode().rstrip("="),
            "truncated",
        ),
    ],
)
def test_unreadable_lists_are_refused(encoded: str, message: str) -> None:
    with pytest.raises(StatusListError, match=message):
        Bitstring.decode(encoded)


def test_allocate_index_is_free_and_random() -> None:
    taken: set[int] = set()
    for _ in range(200):
        index = allocate_index(taken)
        assert 0 <= index < BITS and index not in taken
        taken.add(index)
    assert sorted(taken) != list(range(200))
    with pytest.raises(StatusListError):
        allocate_index(range(BITS))


def test_status_list_credential_is_signed_and_well_formed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    urls = CredentialUrls("https://instap.example.nl/")
    keys = KeyStore(tmp_path / "keys")
    issuer = Issuer(urls.organisation_profile_id("programmabureau"), "Programmabureau Dordt West")
    token = issue_status_list(
        slug="1",
        revoked=[3, 94567],
        issuer=issuer,
        urls=urls,
        keys=keys,
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["alg"] == "Ed25519" and header["typ"] == "vc+jwt"
    document = verify_jwt(token, keys.jwks())
    assert set(document) == {"@context", "id", "type", "issuer", "validFrom", "credentialSubject"}
    assert document["id"] == "https://instap.example.nl/matching/api/v1/status-lists/1"
    assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert document["validFrom"] == "2026-01-01T00:00:00Z"
    subject = document["credentialSubject"]
    assert set(subject) == {"id", "type", "statusPurpose", "encodedList"}
    assert subject["type"] == "BitstringStatusList" and subject["statusPurpose"] == "revocation"
    assert reference_decode(subject["encodedList"]) == (BITS, {3, 94567})
