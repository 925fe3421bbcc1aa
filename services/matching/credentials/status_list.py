"""W3C Bitstring Status List: which credentials are revoked, published as one signed credential.

Bit *i* counts from the most significant bit of the first byte and is 1 when the credential with
``statusListIndex`` *i* is revoked. The list is GZIP-compressed and encoded as multibase base64url
(``u`` prefix, no padding); it has at least 131072 bits (16 KB), the spec's minimum, so one list
hides each holder among many. The status list credential is a VC-JWT signed with the same keys as
the certificates, so an offline verifier checks it with the same JWKS.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import re
import secrets
import zlib
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from .document import VC_V2_CONTEXT, timestamp
from .model import STATUS_LIST_BITS

MINIMUM_BITS = STATUS_LIST_BITS
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]*$")
# Refuse to inflate more than this from an untrusted list (a gzip bomb); 128x the minimum.
MAX_BYTES = 128 * MINIMUM_BITS // 8
STATUS_LIST_TYPE = ["VerifiableCredential", "BitstringStatusListCredential"]


class StatusListError(ValueError):
    """An encoded list or status list credential that cannot be read."""


class Bitstring:
    """A fixed-size bitstring; index 0 is the most significant bit of byte 0."""

    def __init__(self, size: int = MINIMUM_BITS, data: bytes | None = None) -> None:
        if size < MINIMUM_BITS or size % 8:
            raise StatusListError(f"a status list has a multiple of 8 and at least {MINIMUM_BITS} bits")
        self.size = size
        if data is None:
            self._bytes = bytearray(size // 8)
        else:
            if len(data) * 8 != size:
                raise StatusListError("data does not match the size")
            self._bytes = bytearray(data)

    def _check(self, index: int) -> None:
        if type(index) is not int or not 0 <= index < self.size:
            raise IndexError(f"status list index {index!r} is outside 0..{self.size - 1}")

    def get(self, index: int) -> bool:
        self._check(index)
        return bool(self._bytes[index // 8] & (0x80 >> (index % 8)))

    def set(self, index: int, value: bool = True) -> None:
        self._check(index)
        mask = 0x80 >> (index % 8)
        if value:
            self._bytes[index // 8] |= mask
        else:
            self._bytes[index // 8] &= ~mask & 0xFF

    def ones(self) -> list[int]:
        """Every index whose bit is 1, ascending."""
        found: list[int] = []
        for position, byte in enumerate(self._bytes):
            if byte:  # most bytes are 0: skip them whole
                found.extend(position * 8 + bit for bit in range(8) if byte & (0x80 >> bit))
        return found

    def to_bytes(self) -> bytes:
        return bytes(self._bytes)

    def encode(self) -> str:
        """Multibase base64url (``u``, no padding) of the GZIP-compressed bits; deterministic."""
        compressed = gzip.compress(self.to_bytes(), compresslevel=9, mtime=0)
        return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode("ascii")

    @classmethod
    def decode(cls, encoded: str) -> Bitstring:
        """Read an `encodedList`; rejects other multibase bases, bad gzip and too short lists."""
        if not isinstance(encoded, str) or not encoded.startswith("u"):
            raise StatusListError("encodedList is not multibase base64url (no 'u' prefix)")
        body = encoded[1:]
        if not _BASE64URL.fullmatch(body) or len(body) % 4 == 1:
            raise StatusListError("encodedList is not base64url")
        try:
            compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            raise StatusListError("encodedList is not base64url") from None
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip header expected
        try:
            raw = inflater.decompress(compressed, MAX_BYTES + 1)
        except zlib.error:
            raise StatusListError("encodedList is not GZIP-compressed") from None
        if len(raw) > MAX_BYTES:
            raise StatusListError("encodedList is too large")
        if not inflater.eof:
            raise StatusListError("encodedList is truncated")
        if len(raw) * 8 < MINIMUM_BITS:
            raise StatusListError(f"encodedList is shorter than {MINIMUM_BITS} bits")
        return cls(len(raw) * 8, raw)

    @classmethod
    def with_ones(cls, indexes: Iterable[int], size: int = MINIMUM_BITS) -> Bitstring:
        bits = cls(size)
        for index in indexes:
            bits.set(index)
        return bits


def allocate_index(taken: Collection[int], size: int = MINIMUM_BITS) -> int:
    """A random free index: random (not sequential) so an index says nothing about issue order."""
    if len(taken) >= size:
        raise StatusListError("the status list is full; start a new list")
    while True:
        index = secrets.randbelow(size)
        if index not in taken:
            return index


def status_list_credential(
    *,
    url: str,
    issuer: dict[str, Any],
    revoked: Iterable[int],
    valid_from: datetime,
    size: int = MINIMUM_BITS,
) -> dict[str, Any]:
    """The unsigned BitstringStatusListCredential at `url`; sign it with `sign_credential`."""
    return {
        "@context": [VC_V2_CONTEXT],
        "id": url,
        "type": list(STATUS_LIST_TYPE),
        "issuer": issuer,
        "validFrom": timestamp(valid_from),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": Bitstring.with_ones(revoked, size).encode(),
        },
    }


def read_status_list(document: dict[str, Any]) -> tuple[str, str, Bitstring]:
    """(id, statusPurpose, bits) of a status list credential's payload; raises StatusListError."""
    types = document.get("type")
    if not isinstance(types, list) or "BitstringStatusListCredential" not in types:
        raise StatusListError("not a BitstringStatusListCredential")
    list_id = document.get("id")
    subject = document.get("credentialSubject")
    if not isinstance(list_id, str) or not isinstance(subject, dict):
        raise StatusListError("status list credential without id or credentialSubject")
    if subject.get("type") != "BitstringStatusList":
        raise StatusListError("credentialSubject is not a BitstringStatusList")
    purpose = subject.get("statusPurpose")
    if not isinstance(purpose, str):
        raise StatusListError("status list without statusPurpose")
    return list_id, purpose, Bitstring.decode(subject.get("encodedList"))  # type: ignore[arg-type]
