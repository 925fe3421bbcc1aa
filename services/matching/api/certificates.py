"""API: certificates for staff, and the public documents anyone may fetch without logging in:
the credential (VC-JWT), the status list and the key set (docs/contracts/credentials.md)."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Response, current_app
from flask.views import MethodView
from sqlalchemy import select

from services.matching.api import enrolment_schemas as s
from services.matching.credentials import MEDIA_TYPE, CredentialUrls, KeyStore, issue_credential
from services.matching.domain import certificates, pseudonyms
from services.matching.models import Certificate
from shared.api import Blueprint, page_of
from shared.auth.roles import BEHEERDER, OPLEIDER
from shared.auth.web import require_principal, roles_required
from shared.errors import NotFound
from shared.web import commit, db_session

blp = Blueprint(
    "certificates",
    __name__,
    url_prefix="/api/v1/certificates",
    description="Issued certificates (staff): the trainer its own, a beheerder all; revoke with a reason",
)
public = Blueprint(
    "credentials",
    __name__,
    url_prefix="/api/v1",
    description="Public, no login: a certificate's signed Open Badges 3.0 credential and the status list",
)
wellknown = Blueprint(
    "jwks",
    __name__,
    url_prefix="/.well-known",
    description="Public, no login: the keys that verify credentials",
)
# WeasyPrint reports each layout step at INFO: ten log lines per PDF say nothing to operators.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
# Public documents change only with a revocation or a key rotation: a short cache is safe.
PUBLIC_CACHE = "public, max-age=60"


def credential_urls() -> CredentialUrls:
    return CredentialUrls(current_app.extensions["instap"].settings.public_url)


def key_store() -> KeyStore:
    return KeyStore(current_app.extensions["instap"].settings.credential_key_dir())


@blp.route("")
class Certificates(MethodView):
    @roles_required(OPLEIDER, BEHEERDER)
    @blp.arguments(s.CertificateQueryArgsSchema, location="query")
    @blp.response(200, s.CertificateSchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Any:
        """Certificates of your organisation (beheerder: all), newest first."""
        query = certificates.visible(select(Certificate), require_principal())
        if args["status"] == "valid":
            query = query.where(Certificate.revoked_at.is_(None))
        elif args["status"] == "revoked":
            query = query.where(Certificate.revoked_at.is_not(None))
        query = query.order_by(Certificate.issued_on.desc(), Certificate.id.desc())
        rows = page_of(db_session(), query, pagination_parameters)
        urls = credential_urls()
        return [shown_certificate(c, urls) for c in rows]


def shown_certificate(certificate: Certificate, urls: CredentialUrls) -> dict[str, Any]:
    """A certificate as the caller may see it: a trainer gets its pseudonym of the resident, not
    the programme id (domain/pseudonyms.py)."""
    return pseudonyms.shown(
        require_principal(),
        certificates.as_dict(certificate, urls),
        lambda: pseudonyms.for_certificate(db_session(), certificate),
    )


def _own(code: str) -> Certificate:
    certificate = certificates.by_code(db_session(), code)
    if not db_session().scalar(
        certificates.visible(select(Certificate.id), require_principal()).where(
            Certificate.id == certificate.id
        )
    ):
        raise NotFound(certificates.NOT_FOUND)
    return certificate


@blp.route("/<code>")
class CertificateItem(MethodView):
    @roles_required(OPLEIDER, BEHEERDER)
    @blp.response(200, s.CertificateSchema)
    def get(self, code: str) -> Any:
        return shown_certificate(_own(code), credential_urls())


@blp.route("/<code>/revoke")
class CertificateRevoke(MethodView):
    @roles_required(OPLEIDER, BEHEERDER)
    @blp.arguments(s.RevokeSchema)
    @blp.response(200, s.CertificateSchema)
    def post(self, data: dict[str, Any], code: str) -> Any:
        """Revoke with a reason: the verification page and the status list say so at once."""
        certificate = certificates.revoke(db_session(), require_principal(), _own(code), data["reason"])
        result = shown_certificate(certificate, credential_urls())
        commit()
        return result


@blp.route("/<code>/pdf")
class CertificatePdf(MethodView):
    @roles_required(OPLEIDER, BEHEERDER)
    @blp.response(200, {"format": "binary", "type": "string"}, content_type="application/pdf")
    def get(self, code: str) -> Any:
        """The printable certificate (A4 PDF) with a QR code to the verification page."""
        from services.matching.credentials.pdf import certificate_view, render_certificate_pdf

        certificate = _own(code)
        urls = credential_urls()
        view = certificate_view(
            certificates.record(certificate, urls),
            urls,
            revoked_on=certificate.revoked_at.date() if certificate.revoked_at else None,
        )
        pdf = render_certificate_pdf(view)
        filename = f"certificaat-{certificate.verification_code}.pdf"
        return Response(
            pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'}
        )


@public.route("/credentials/<code>")
class Credential(MethodView):
    @public.response(200, {"type": "string"}, content_type=MEDIA_TYPE)
    def get(self, code: str) -> Any:
        """The certificate as a compact VC-JWT (Open Badges 3.0, Ed25519). No login."""
        urls = credential_urls()
        token = issue_credential(
            certificates.record(certificates.by_code(db_session(), code), urls), urls, key_store()
        )
        return Response(token, mimetype=MEDIA_TYPE, headers={"Cache-Control": PUBLIC_CACHE})


@public.route("/status-lists/<slug>")
class StatusList(MethodView):
    @public.response(200, {"type": "string"}, content_type=MEDIA_TYPE)
    def get(self, slug: str) -> Any:
        """The W3C Bitstring Status List of revocations, as a VC-JWT. No login."""
        token = certificates.status_list_token(db_session(), slug, credential_urls(), key_store())
        return Response(token, mimetype=MEDIA_TYPE, headers={"Cache-Control": PUBLIC_CACHE})


@wellknown.route("/jwks.json")
class Jwks(MethodView):
    @wellknown.response(200)
    def get(self) -> Any:
        """The public Ed25519 keys (active first, then earlier ones). No login."""
        return Response(
            json.dumps(key_store().jwks()),
            mimetype="application/json",
            headers={"Cache-Control": PUBLIC_CACHE},
        )
