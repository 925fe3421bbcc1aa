"""Verifiable practice certificates: codes, Open Badges 3.0 VC-JWTs, keys, status lists, PDF.

Framework-free (no Flask, no database): the matching service builds a `CertificateRecord` from its
rows and calls these functions; docs/credentials.md explains the whole, and
docs/contracts/credentials.md is the interface the routes keep. The PDF functions live in
`services.matching.credentials.pdf` (they need WeasyPrint and Pango, imported only there).
"""

from .codes import CodeError, generate, is_valid, parse
from .document import OB_V3_CONTEXT, VC_V2_CONTEXT, build_credential
from .issue import issue_credential, issue_status_list
from .keys import JwksError, KeyStore, KeyStoreError, parse_jwks
from .model import (
    STATUS_LIST_BITS,
    Achievement,
    CertificateDataError,
    CertificateRecord,
    Issuer,
    Qualification,
    Werkproces,
    praktijkverklaring,
)
from .status_list import Bitstring, StatusListError, allocate_index
from .urls import CredentialUrls
from .vcjwt import MEDIA_TYPE, VerificationError, sign_credential, verify_jwt
from .verify import Verdict, verify_credential

__all__ = [
    "MEDIA_TYPE",
    "OB_V3_CONTEXT",
    "STATUS_LIST_BITS",
    "VC_V2_CONTEXT",
    "Achievement",
    "Bitstring",
    "CertificateDataError",
    "CertificateRecord",
    "CodeError",
    "CredentialUrls",
    "Issuer",
    "JwksError",
    "KeyStore",
    "KeyStoreError",
    "Qualification",
    "StatusListError",
    "Verdict",
    "VerificationError",
    "Werkproces",
    "allocate_index",
    "build_credential",
    "generate",
    "is_valid",
    "issue_credential",
    "issue_status_list",
    "parse",
    "parse_jwks",
    "praktijkverklaring",
    "sign_credential",
    "verify_credential",
    "verify_jwt",
]
