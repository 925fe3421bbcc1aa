"""The Open Badges 3.0 `OpenBadgeCredential` of one certificate, as a JSON-ready dict.

Only the fields listed in docs/credentials.md ("What a verifier sees") are produced: the contract's
list, plus `id` and `name`, which Open Badges 3.0 requires of every credential, and the holder's
initials as an OB 3.0 `IdentityObject` (plain text, `hashed: false`). Never a name, contact or
programme id: `CertificateRecord` has no field that could carry one.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from .model import CertificateRecord, Issuer
from .urls import CredentialUrls

VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_V3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CREDENTIAL_TYPE = ["VerifiableCredential", "OpenBadgeCredential"]
# Werkprocessen are not one of the CASE/CTDL target types OB 3.0 names, hence the `ext:` prefix the
# spec asks for extensions.
WERKPROCES_TARGET_TYPE = "ext:Werkproces"


def timestamp(moment: datetime) -> str:
    """XML Schema dateTimeStamp in UTC without fractions: ``2025-06-02T00:00:00Z``."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def end_of_day(day: date) -> datetime:
    """A certificate valid "until 31-05-2035" is valid through that whole day (UTC)."""
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=UTC)


def issuer_profile(issuer: Issuer) -> dict[str, Any]:
    """The OB 3.0 Profile of an issuer: exactly id, type and name."""
    return {"id": issuer.id, "type": ["Profile"], "name": issuer.name}


def achievement(record: CertificateRecord, urls: CredentialUrls) -> dict[str, Any]:
    spec = record.achievement
    crebo = spec.qualification.crebo if spec.qualification else None
    doc: dict[str, Any] = {
        "id": urls.achievement_id(spec.kind, crebo, [w.code for w in spec.werkprocessen]),
        "type": ["Achievement"],
        "name": spec.name,
        "description": spec.description,
        "criteria": {"narrative": spec.criteria},
    }
    if spec.werkprocessen and spec.qualification is not None:
        framework = f"Kwalificatiedossier {spec.qualification.name} (crebo {spec.qualification.crebo})"
        doc["alignment"] = [
            {
                "type": ["Alignment"],
                "targetType": WERKPROCES_TARGET_TYPE,
                "targetCode": w.code,
                "targetName": w.label,
                "targetFramework": framework,
                "targetUrl": spec.qualification.url,
            }
            for w in spec.werkprocessen
        ]
    return doc


def status_entry(record: CertificateRecord, urls: CredentialUrls) -> dict[str, Any]:
    """The W3C Bitstring Status List entry; the index is a string, as the spec defines it."""
    list_url = urls.status_list(record.status_list)
    return {
        "id": f"{list_url}#{record.status_index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(record.status_index),
        "statusListCredential": list_url,
    }


def build_credential(record: CertificateRecord, urls: CredentialUrls) -> dict[str, Any]:
    """The unsigned credential; `sign_credential` turns it into a VC-JWT."""
    doc: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT, OB_V3_CONTEXT],
        "id": urls.credential(record.verification_code),
        "type": list(CREDENTIAL_TYPE),
        "name": record.achievement.name,
        "issuer": issuer_profile(record.issuer),
        "validFrom": timestamp(record.valid_from),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": record.initials,
                }
            ],
            "achievement": achievement(record, urls),
        },
        "credentialStatus": status_entry(record, urls),
    }
    if record.valid_until is not None:
        doc["validUntil"] = timestamp(end_of_day(record.valid_until))
    return doc
