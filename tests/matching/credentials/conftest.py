"""Fixtures for the certificate core: a key store in a temp dir, example certificates, tokens."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from services.matching.credentials import (
    CertificateRecord,
    CredentialUrls,
    Issuer,
    KeyStore,
    Qualification,
    Werkproces,
    issue_credential,
    praktijkverklaring,
)
from services.matching.credentials.model import Achievement

BASE_URL = "https://instap.example.nl"
CODE = "K7QM-4RTX-A"  # a valid code: A is the check character of K7QM4RTX


@pytest.fixture
def urls() -> CredentialUrls:
    return CredentialUrls(BASE_URL)


@pytest.fixture
def keys(tmp_path: Path) -> KeyStore:
    return KeyStore(tmp_path / "keys")


def school(urls: CredentialUrls) -> Issuer:
    return Issuer(urls.organisation_profile_id("roc-da-vinci"), "ROC Da Vinci College")


def praktijkverklaring_record(urls: CredentialUrls, **changes: object) -> CertificateRecord:
    achievement = praktijkverklaring(
        qualification=Qualification("25123", "Medewerker installatietechniek"),
        werkprocessen=[
            Werkproces("B1-K1-W1", "Bereidt de werkzaamheden voor"),
            Werkproces("B1-K1-W3", "Monteert zonnepanelen op een dak"),
        ],
        leerbedrijf="Zonnedak Dordrecht BV",
        judged_on=date(2025, 5, 30),
        school="ROC Da Vinci College",
    )
    fields: dict[str, object] = {
        "verification_code": CODE,
        "initials": "J.A.",
        "issuer": school(urls),
        "achievement": achievement,
        "issued": date(2025, 6, 2),
        "status_list": "1",
        "status_index": 94567,
    }
    fields.update(changes)
    return CertificateRecord(**fields)  # type: ignore[arg-type]


def vca_record(urls: CredentialUrls) -> CertificateRecord:
    achievement = Achievement(
        kind="vca_basis",
        name="Basisveiligheid VCA (B-VCA)",
        description="Certificaat Basisveiligheid VCA: de houder kent de regels voor veilig werken.",
        criteria="Geslaagd voor het examen Basisveiligheid VCA.",
    )
    return CertificateRecord(
        verification_code=CODE,
        initials="IJ.M.",
        issuer=Issuer(urls.organisation_profile_id("beroepentuin"), "De Beroepentuin"),
        achievement=achievement,
        issued=date(2025, 4, 10),
        valid_until=date(2035, 4, 10),
        status_list="1",
        status_index=7,
    )


@pytest.fixture
def record(urls: CredentialUrls) -> CertificateRecord:
    return praktijkverklaring_record(urls)


@pytest.fixture
def token(record: CertificateRecord, urls: CredentialUrls, keys: KeyStore) -> str:
    return issue_credential(record, urls, keys)
