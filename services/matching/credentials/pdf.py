"""A printable certificate: HTML from the package's Jinja template, PDF by WeasyPrint, QR by segno.

The QR code links to the public verification page. WeasyPrint needs Pango from Debian
(``scripts/system-deps.sh weasyprint``); it is imported only when a PDF is made, so verifying and
signing work without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape

from .model import CertificateRecord, Werkproces, dutch_date
from .urls import CredentialUrls

TEMPLATE_DIR = Path(__file__).parent / "templates"
PDF_TEMPLATE = "credentials/certificate_pdf.html"
BODY_TEMPLATE = "credentials/certificate_body.html"
STYLESHEET = TEMPLATE_DIR / "credentials" / "certificate.css"
KIND_LABELS = {
    "praktijkverklaring": "Mbo-erkende praktijkverklaring",
    "vca_basis": "Certificaat Basisveiligheid VCA (B-VCA)",
    "vol_vca": "Certificaat VOL-VCA",
}


@dataclass(frozen=True)
class CertificateView:
    """What a person sees of a certificate, already in words; the same for the PDF and the page."""

    kind_label: str
    this_one: str  # "deze verklaring" / "dit certificaat": Dutch needs the article per noun
    the_one: str  # "de verklaring" / "het certificaat"
    title: str
    initials: str
    description: str
    criteria: str
    werkprocessen: tuple[Werkproces, ...]
    issuer: str
    issued_on: str
    valid_until: str | None
    revoked_on: str | None
    verification_code: str
    verification_url: str

    def context(self) -> dict[str, Any]:
        return dict(self.__dict__)


def certificate_view(
    record: CertificateRecord, urls: CredentialUrls, *, revoked_on: date | None = None
) -> CertificateView:
    """The words of a certificate for people (PDF and verification page)."""
    spec = record.achievement
    statement = spec.kind == "praktijkverklaring"
    return CertificateView(
        kind_label=KIND_LABELS.get(spec.kind, "Certificaat"),
        this_one="deze verklaring" if statement else "dit certificaat",
        the_one="de verklaring" if statement else "het certificaat",
        title=spec.name,
        initials=record.initials,
        description=spec.description,
        criteria=spec.criteria,
        werkprocessen=spec.werkprocessen,
        issuer=record.issuer.name,
        issued_on=dutch_date(record.issued_on),
        valid_until=dutch_date(record.valid_until) if record.valid_until else None,
        revoked_on=dutch_date(revoked_on) if revoked_on else None,
        verification_code=record.verification_code,
        verification_url=urls.verification_page(record.verification_code),
    )


def template_environment() -> Environment:
    """A Jinja environment over this package's templates (the web layer may add this loader)."""
    return Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def qr_data_uri(url: str) -> str:
    """A PNG QR code of `url` as a data: URI; error level M survives a crease or a smudge."""
    return segno.make(url, error="m", micro=False).png_data_uri(scale=10, border=4)


def render_certificate_body(view: CertificateView, *, details: bool = False) -> str:
    """Only the certificate part; without `details` exactly what the public page may show."""
    template = template_environment().get_template(BODY_TEMPLATE)
    return template.render(**view.context(), details=details)


def render_certificate_html(view: CertificateView) -> str:
    """The full HTML document that becomes the PDF."""
    template = template_environment().get_template(PDF_TEMPLATE)
    return template.render(
        **view.context(),
        qr_data_uri=qr_data_uri(view.verification_url),
        stylesheet=STYLESHEET.read_text(encoding="utf-8"),
    )


def render_certificate_pdf(view: CertificateView) -> bytes:
    """The printable PDF (A4, tagged PDF/UA-1 so screen readers can read it)."""
    from weasyprint import HTML

    html = render_certificate_html(view)
    pdf = HTML(string=html, base_url=str(TEMPLATE_DIR)).write_pdf(pdf_variant="pdf/ua-1")
    assert pdf is not None  # write_pdf returns bytes when no target is given
    return pdf
