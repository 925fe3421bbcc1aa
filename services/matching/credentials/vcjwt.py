"""Compact VC-JWTs signed with Ed25519 (joserfc): the JWT payload is the credential itself.

This follows W3C "Securing Verifiable Credentials using JOSE and COSE": header ``typ: vc+jwt``, the
claims set is the credential (no `vc` wrapper, no extra registered claims). Signing uses the fully
specified algorithm name ``Ed25519`` (RFC 9864); verification also accepts the older ``EdDSA``.

Verification is strict about the encoding itself: every segment must be canonical base64url, so a
changed character can never decode to the same bytes and slip through.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import warnings
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import OKPKey

from .keys import JwksError, key_set, parse_jwks

SIGNING_ALGORITHM = "Ed25519"
ACCEPTED_ALGORITHMS = ("Ed25519", "EdDSA")
MEDIA_TYPE = "application/vc+jwt"
TYP = "vc+jwt"
_SEGMENT = re.compile(r"^[A-Za-z0-9_-]*$")
# A credential is a few kilobytes; a status list JWT about 200 bytes plus its compressed list.
MAX_TOKEN_LENGTH = 1_000_000


class VerificationError(ValueError):
    """Why a VC-JWT is not valid; `reason` is one short line for people."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(segment: str, what: str) -> bytes:
    if not _SEGMENT.fullmatch(segment) or len(segment) % 4 == 1:
        raise VerificationError(f"malformed {what}: not base64url")
    try:
        data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise VerificationError(f"malformed {what}: not base64url") from None
    if _b64url_encode(data) != segment:
        raise VerificationError(f"malformed {what}: not canonical base64url")
    return data


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise ValueError(f"duplicate member {name!r}")
        result[name] = value
    return result


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except (UnicodeDecodeError, ValueError) as exc:
        raise VerificationError(f"malformed {what}: {exc}") from None
    if not isinstance(value, dict):
        raise VerificationError(f"malformed {what}: not a JSON object")
    return value


def sign_credential(credential: dict[str, Any], key: OKPKey) -> str:
    """The compact VC-JWT of `credential`, signed with `key` (its thumbprint is the kid)."""
    header = {"alg": SIGNING_ALGORITHM, "kid": key.thumbprint(), "typ": TYP}
    payload = json.dumps(credential, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return jws.serialize_compact(header, payload, key, algorithms=[SIGNING_ALGORITHM])


def read_header(token: str) -> dict[str, Any]:
    """The protected header of a compact JWS, unverified (for the kid and alg)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise VerificationError("not a compact JWT (expected three parts separated by dots)")
    return _json_object(_b64url_decode(parts[0], "header"), "header")


def verify_jwt(token: str, jwks: Any) -> dict[str, Any]:
    """The payload of `token` once its Ed25519 signature verifies with a key of `jwks`.

    `jwks` is a JWKS document (a dict); raises `JwksError` when it is not one and
    `VerificationError` when the token does not verify.
    """
    keys = parse_jwks(jwks)
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise VerificationError("not a compact JWT")
    token = token.strip()
    if not token.isascii():
        raise VerificationError("not a compact JWT (contains non-ASCII characters)")
    header = read_header(token)
    _, payload_segment, signature_segment = token.split(".")
    payload_bytes = _b64url_decode(payload_segment, "payload")
    signature = _b64url_decode(signature_segment, "signature")
    alg = header.get("alg")
    if alg not in ACCEPTED_ALGORITHMS:
        raise VerificationError(f"unsupported algorithm {alg!r} (expected Ed25519)")
    if "crit" in header:
        raise VerificationError("unsupported critical header parameters")
    if header.get("typ", TYP) not in (TYP, "JWT"):
        raise VerificationError(f"unexpected typ {header.get('typ')!r} (expected vc+jwt)")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise VerificationError("no kid in the header")
    if not any(k["kid"] == kid for k in keys):
        raise VerificationError(f"unknown key {kid!r}: not in the key set")
    if len(signature) != 64:
        raise VerificationError("bad signature")
    try:
        with warnings.catch_warnings():
            # joserfc warns that "EdDSA" is deprecated (RFC 9864); accepting it is the contract's choice.
            warnings.simplefilter("ignore", SecurityWarning)
            jws.deserialize_compact(token, key_set({"keys": keys}), algorithms=[alg])
    except JoseError:
        raise VerificationError("bad signature") from None
    return _json_object(payload_bytes, "payload")


__all__ = [
    "ACCEPTED_ALGORITHMS",
    "MEDIA_TYPE",
    "SIGNING_ALGORITHM",
    "JwksError",
    "VerificationError",
    "read_header",
    "sign_credential",
    "verify_jwt",
]
