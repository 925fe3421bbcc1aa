"""The printable certificate: the PDF carries the code, and its QR code opens the verification page."""

from __future__ import annotations

import io
from datetime import date

import pypdf
import pytest
import zxingcpp

from services.matching.credentials import CertificateRecord, CredentialUrls, Issuer
from services.matching.credentials.pdf import (
    certificate_view,
    render_certificate_body,
    render_certificate_html,
    render_certificate_pdf,
)

from .conftest import BASE_URL, CODE, praktijkverklaring_record, vca_record

VERIFY_URL = f"{BASE_URL}/matching/verify/{CODE}"


def _read(pdf: bytes) -> tuple[str, list[str]]:
    """(all text, decoded QR codes of all images)."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    decoded = []
    for page in reader.pages:
        for image in page.images:
            decoded.extend(result.text for result in zxingcpp.read_barcodes(image.image))
    return text, decoded


@pytest.fixture(scope="module")
def praktijkverklaring_pdf() -> bytes:
    urls = CredentialUrls(BASE_URL)
    return render_certificate_pdf(certificate_view(praktijkverklaring_record(urls), urls))


def test_pdf_contains_the_code_and_a_qr_to_the_verification_page(praktijkverklaring_pdf: bytes) -> None:
    assert praktijkverklaring_pdf.startswith(b"%PDF-")
    text, qr_codes = _read(praktijkverklaring_pdf)
    assert CODE in text
    assert qr_codes == [VERIFY_URL]
    for expected in ("J.A.", "B1-K1-W1", "B1-K1-W3", "ROC Da Vinci College", "2 juni 2025", "Controlecode"):
        assert expected in text, expected
    assert "Ingetrokken" not in text
    assert len(pypdf.PdfReader(io.BytesIO(praktijkverklaring_pdf)).pages) == 1


def test_pdf_is_tagged_and_dutch(praktijkverklaring_pdf: bytes) -> None:
    reader = pypdf.PdfReader(io.BytesIO(praktijkverklaring_pdf))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "nl"
    assert "/StructTreeRoot" in root  # PDF/UA-1: screen readers get the structure
    assert reader.metadata is not None and CODE in (reader.metadata.title or "")


def test_revoked_certificate_says_so(urls: CredentialUrls, record: CertificateRecord) -> None:
    pdf = render_certificate_pdf(certificate_view(record, urls, revoked_on=date(2025, 9, 1)))
    text, qr_codes = _read(pdf)
    assert "Ingetrokken" in text and "1 september 2025" in text
    assert qr_codes == [VERIFY_URL]


def test_certificate_without_werkprocessen_shows_its_end_date(urls: CredentialUrls) -> None:
    html = render_certificate_html(certificate_view(vca_record(urls), urls))
    assert "Geldig tot en met" in html and "10 april 2035" in html
    assert 'class="werkprocessen"' not in html


def test_html_escapes_what_comes_from_data(urls: CredentialUrls) -> None:
    record = praktijkverklaring_record(urls, issuer=Issuer("urn:uuid:1234", "<script>alert(1)</script> & Co"))
    html = render_certificate_html(certificate_view(record, urls))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html


def test_body_for_the_public_page_shows_only_the_allowed_facts(
    urls: CredentialUrls, record: CertificateRecord
) -> None:
    view = certificate_view(record, urls, revoked_on=date(2025, 9, 1))
    page = render_certificate_body(view)
    for shown in (
        "J.A.",
        "Praktijkverklaring Medewerker installatietechniek",
        "B1-K1-W1",
        "ROC Da Vinci College",
    ):
        assert shown in page
    assert "2 juni 2025" in page and "Ingetrokken" in page and "1 september 2025" in page
    for hidden in ("Zonnedak", "praktijkopleider", CODE, "crebo"):
        assert hidden not in page, hidden
    assert "Zonnedak" in render_certificate_body(view, details=True)


def test_other_certificates_are_called_certificaat(urls: CredentialUrls) -> None:
    html = render_certificate_html(certificate_view(vca_record(urls), urls, revoked_on=date(2030, 1, 2)))
    assert "Is dit certificaat echt?" in html and "Dit certificaat geldt niet meer." in html
    assert "verklaring" not in html.lower().replace("praktijkverklaring", "")
