"""Certificate pages: the trainer's list (PDF, revoke) and the public verification page that the
QR code opens (no login; only initials, certificate, werkprocessen, issuer, date and validity)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from services.matching.api.certificates import credential_urls
from services.matching.credentials.pdf import certificate_view, render_certificate_body
from services.matching.domain import certificates
from services.matching.models import Certificate
from services.matching.web.helpers import render
from services.matching.web.views import bp
from shared import clock
from shared.auth.roles import BEHEERDER, OPLEIDER
from shared.auth.web import require_principal, roles_required
from shared.errors import Conflict, Invalid, NotFound
from shared.web import commit, db_session

REVOKE_LABELS = {
    "fout_in_gegevens": "Er staat een fout in de gegevens",
    "ten_onrechte_uitgegeven": "Ten onrechte uitgegeven",
    "fraude": "Fraude",
    "op_verzoek_houder": "Op verzoek van de houder",
}
KIND_LABELS = {"praktijkverklaring": "Praktijkverklaring"}
PER_PAGE = 50


@bp.get("/certificaten", endpoint="certificates")
@roles_required(OPLEIDER, BEHEERDER)
def certificates_page() -> Any:
    page = max(request.args.get("pagina", 1, type=int) or 1, 1)
    rows = (
        db_session()
        .scalars(
            certificates.visible(select(Certificate), require_principal())
            .order_by(Certificate.issued_on.desc(), Certificate.id.desc())
            .offset((page - 1) * PER_PAGE)
            .limit(PER_PAGE + 1)
        )
        .all()
    )
    return render(
        "matching/certificates.html",
        rows=rows[:PER_PAGE],
        page=page,
        more=len(rows) > PER_PAGE,
        urls=credential_urls(),
        kind_labels=KIND_LABELS,
        revoke_labels=REVOKE_LABELS,
        nav_current="certificates",
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


@bp.route("/certificaten/<code>/intrekken", methods=["GET", "POST"])
@roles_required(OPLEIDER, BEHEERDER)
def revoke_certificate(code: str) -> Any:
    certificate = _own(code)
    errors: dict[str, str] = {}
    if request.method == "POST":
        session = db_session()
        try:
            certificates.revoke(session, require_principal(), certificate, request.form.get("reason", ""))
        except Invalid:
            session.rollback()
            errors = {"reason": _("Kies een reden uit de lijst.")}
        except Conflict:
            session.rollback()
            flash(_("Dit certificaat is al ingetrokken."), "info")
            return redirect(url_for("web.certificates"))
        else:
            commit()
            flash(_("Certificaat %(code)s is ingetrokken.", code=certificate.verification_code), "success")
            return redirect(url_for("web.certificates"))
    return render(
        "matching/revoke.html",
        422 if errors else 200,
        certificate=certificate,
        errors=errors,
        reasons=REVOKE_LABELS,
        nav_current="certificates",
    )


@bp.get("/verify/<code>")
def verify(code: str) -> Any:
    """Public: what anyone may know about a certificate, and whether it is still valid."""
    try:
        certificate = certificates.by_code(db_session(), code)
    except NotFound:
        return render("matching/verify_unknown.html", 404)
    urls = credential_urls()
    view = certificate_view(
        certificates.record(certificate, urls),
        urls,
        revoked_on=certificate.revoked_at.date() if certificate.revoked_at else None,
    )
    return render(
        "matching/verify.html",
        view=view,
        body=Markup(render_certificate_body(view)),  # noqa: S704 - autoescaped by its own Jinja environment
        expired=certificate.valid_until is not None and certificate.valid_until < clock.today(),
        revoked=certificate.revoked_at is not None,
        revoked_reason=REVOKE_LABELS.get(certificate.revoked_reason or ""),
        credential_url=urls.credential(certificate.verification_code),
        jwks_url=urls.jwks(),
    )
