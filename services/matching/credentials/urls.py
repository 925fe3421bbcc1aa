"""The public URLs of certificates, built from the suite's public origin (INSTAP_PUBLIC_URL).

The matching service serves these paths (see docs/contracts/credentials.md); this module only spells
them, so the credential, the PDF's QR code and the routes agree.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from .codes import parse

# Namespace for the deterministic urn:uuid ids below (uuid5 of a URL-like name).
_NAMESPACE = uuid.NAMESPACE_URL


@dataclass(frozen=True)
class CredentialUrls:
    """URLs under one public origin such as ``https://instap.example.nl`` (no trailing slash)."""

    base_url: str

    def __post_init__(self) -> None:
        base = self.base_url.rstrip("/")
        if not base.startswith(("https://", "http://")):
            raise ValueError("the public URL must start with https:// or http://")
        object.__setattr__(self, "base_url", base)

    def verification_page(self, code: str) -> str:
        """The public page a QR code opens: ``/matching/verify/<code>``."""
        return f"{self.base_url}/matching/verify/{parse(code)}"

    def credential(self, code: str) -> str:
        """The VC-JWT download, also used as the credential's `id`."""
        return f"{self.base_url}/matching/api/v1/credentials/{parse(code)}"

    def jwks(self) -> str:
        return f"{self.base_url}/matching/.well-known/jwks.json"

    def status_list(self, slug: str) -> str:
        """The Bitstring Status List credential (a VC-JWT) named `slug`."""
        return f"{self.base_url}/matching/api/v1/status-lists/{slug}"

    def organisation_profile_id(self, organisation_key: str) -> str:
        """A stable issuer Profile id for an organisation: urn:uuid, so it needs no route of its own."""
        return "urn:uuid:" + str(
            uuid.uuid5(_NAMESPACE, f"{self.base_url}/matching/organisations/{organisation_key}")
        )

    def achievement_id(self, kind: str, crebo: str | None, werkproces_codes: list[str]) -> str:
        """The same achievement (kind, qualification, werkprocessen) always gets the same urn:uuid."""
        name = "|".join([self.base_url, "achievement", kind, crebo or "", *sorted(werkproces_codes)])
        return "urn:uuid:" + str(uuid.uuid5(_NAMESPACE, name))
