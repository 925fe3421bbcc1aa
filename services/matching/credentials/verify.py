"""Offline verification of a downloaded certificate: signature, shape, validity period, revocation.

Needs nothing but the VC-JWT, the published JWKS and (optionally) the published status list: no call
to the programme. The result is one `Verdict` whose reason is a single line for people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .document import OB_V3_CONTEXT, VC_V2_CONTEXT
from .status_list import StatusListError, read_status_list
from .vcjwt import VerificationError, verify_jwt

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True)
class Verdict:
    """`valid`, or why not (`reason`); `credential` is the verified payload when the signature held."""

    valid: bool
    reason: str
    credential: dict[str, Any] | None = field(default=None, repr=False)

    def line(self) -> str:
        """What the CLI prints: ``valid`` or ``invalid: <reason>``."""
        if self.valid:
            return "valid"
        # Reasons quote values from the token (a kid, an alg): keep the promise of one short line.
        reason = " ".join(self.reason.split())
        return f"invalid: {reason[:300]}"


def _types(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return []


def _need_object(doc: Any, path: str) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise VerificationError(f"not well-formed: {path} is missing or not an object")
    return doc


def _need_text(doc: dict[str, Any], name: str, path: str) -> str:
    value = doc.get(name)
    if not isinstance(value, str) or not value.strip():
        raise VerificationError(f"not well-formed: {path}.{name} is missing")
    return value


def _need_type(doc: dict[str, Any], wanted: str, path: str) -> None:
    if wanted not in _types(doc.get("type")):
        raise VerificationError(f"not well-formed: {path}.type does not include {wanted}")


def _moment(value: Any, path: str) -> datetime:
    if not isinstance(value, str) or not _TIMESTAMP.fullmatch(value):
        raise VerificationError(f"not well-formed: {path} is not a date-time with a time zone")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise VerificationError(f"not well-formed: {path} is not a date-time") from None


def unwrap(payload: dict[str, Any]) -> dict[str, Any]:
    """The credential in a JWT payload: the payload itself, or its `vc` claim (older VC-JWT style)."""
    if "@context" not in payload and isinstance(payload.get("vc"), dict):
        return payload["vc"]
    return payload


def status_entry(credential: dict[str, Any]) -> dict[str, Any]:
    """The revocation entry of `credentialStatus` (an object, or a list holding one)."""
    raw = credential.get("credentialStatus")
    entries = raw if isinstance(raw, list) else [raw]
    for entry in entries:
        if (
            isinstance(entry, dict)
            and "BitstringStatusListEntry" in _types(entry.get("type"))
            and entry.get("statusPurpose") == "revocation"
        ):
            index = entry.get("statusListIndex")
            if not isinstance(index, str) or not index.isdigit():
                raise VerificationError("not well-formed: statusListIndex is not a number")
            url = entry.get("statusListCredential")
            if not isinstance(url, str) or "/matching/" not in url:
                raise VerificationError("not well-formed: statusListCredential is not a /matching/ URL")
            return entry
    raise VerificationError("not well-formed: no BitstringStatusListEntry for revocation")


def check_shape(credential: dict[str, Any]) -> None:
    """The Open Badges 3.0 fields the contract requires; raises VerificationError naming the first gap."""
    contexts = credential.get("@context")
    if not isinstance(contexts, list) or not contexts or contexts[0] != VC_V2_CONTEXT:
        raise VerificationError(f"not well-formed: @context does not start with {VC_V2_CONTEXT}")
    if OB_V3_CONTEXT not in contexts:
        raise VerificationError("not well-formed: @context lacks the Open Badges 3.0 context")
    for wanted in ("VerifiableCredential", "OpenBadgeCredential"):
        _need_type(credential, wanted, "credential")
    issuer = _need_object(credential.get("issuer"), "issuer")
    _need_text(issuer, "id", "issuer")
    _need_type(issuer, "Profile", "issuer")
    _need_text(issuer, "name", "issuer")
    _moment(credential.get("validFrom"), "validFrom")
    subject = _need_object(credential.get("credentialSubject"), "credentialSubject")
    _need_type(subject, "AchievementSubject", "credentialSubject")
    achievement = _need_object(subject.get("achievement"), "credentialSubject.achievement")
    path = "credentialSubject.achievement"
    _need_text(achievement, "id", path)
    _need_type(achievement, "Achievement", path)
    _need_text(achievement, "name", path)
    _need_text(achievement, "description", path)
    criteria = _need_object(achievement.get("criteria"), f"{path}.criteria")
    _need_text(criteria, "narrative", f"{path}.criteria")
    status_entry(credential)


def check_period(credential: dict[str, Any], now: datetime) -> None:
    if _moment(credential["validFrom"], "validFrom") > now:
        raise VerificationError("not yet valid (validFrom is in the future)")
    if "validUntil" in credential and _moment(credential["validUntil"], "validUntil") < now:
        raise VerificationError("expired (validUntil has passed)")


def check_status(credential: dict[str, Any], status_list_token: str, jwks: Any) -> None:
    entry = status_entry(credential)
    try:
        payload = unwrap(verify_jwt(status_list_token, jwks))
    except VerificationError as exc:
        raise VerificationError(f"status list: {exc.reason}") from None
    try:
        list_id, purpose, bits = read_status_list(payload)
    except StatusListError as exc:
        raise VerificationError(f"status list: {exc}") from None
    if list_id != entry["statusListCredential"]:
        raise VerificationError("status list: not the list the credential refers to")
    if purpose != "revocation":
        raise VerificationError("status list: not a revocation list")
    index = int(entry["statusListIndex"])
    if index >= bits.size:
        raise VerificationError("status list: statusListIndex is outside the list")
    if bits.get(index):
        raise VerificationError("revoked")


def verify_credential(
    token: str,
    jwks: Any,
    *,
    status_list: str | None = None,
    now: datetime | None = None,
) -> Verdict:
    """Check a credential VC-JWT against a JWKS document and, when given, a status list VC-JWT.

    Raises `JwksError` only when `jwks` itself is not a key set (a caller's mistake, not the
    credential's); every problem with the credential or the status list is a Verdict.
    """
    moment = now or datetime.now(UTC)
    try:
        payload = verify_jwt(token, jwks)
    except VerificationError as exc:
        return Verdict(False, exc.reason)
    credential = unwrap(payload)
    try:
        check_shape(credential)
        check_period(credential, moment)
        if status_list is not None:
            check_status(credential, status_list, jwks)
    except VerificationError as exc:
        return Verdict(False, exc.reason, credential)
    return Verdict(True, "valid", credential)
