"""Rapportage pages: the bureau's dashboard, one page per report (filters, chart, table, exports),
outreach activities and the monthly packs. Every number comes from the same published documents
as the API and the exports (`domain/reports.fetch`)."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select

from services.rapportage.api import schemas as s
from services.rapportage.domain import organisations, outreach, packs
from services.rapportage.domain import reports as rep
from services.rapportage.domain.reports import derived
from services.rapportage.exports import charts, labels
from services.rapportage.exports.tables import pivot
from services.rapportage.models import ReportPack
from shared import clock, reference
from shared.auth.roles import AANNEMER, BEHEERDER, JOBCOACH, PROGRAMMABUREAU
from shared.auth.web import current_principal, require_principal, roles_required
from shared.errors import Invalid, NotFound
from shared.pages import flatten_errors, local_date, local_datetime
from shared.runtime import service_context
from shared.web import commit, db_session

bp = Blueprint("web", __name__, static_folder="static", static_url_path="/rapportage-static")
bp.add_app_template_filter(local_datetime, "datumtijd")
bp.add_app_template_filter(local_date, "datum")
REPORT_VIEWERS = (PROGRAMMABUREAU, BEHEERDER)
OUTREACH_ROLES = (JOBCOACH, PROGRAMMABUREAU, BEHEERDER)
OUTREACH_FIELDS = {
    "held_on": "Datum",
    "wijk": "Wijk",
    "kind": "Soort activiteit",
    "reached": "Aantal bereikte bewoners",
    "description": "Korte omschrijving",
}
DASHBOARD_BY = {
    "": "Geen uitsplitsing",
    "wijk": "Per wijk",
    "gender": "Per gender",
    "age_band": "Per leeftijd",
}
KIND_LABELS = {
    "informatiebijeenkomst": "Informatiebijeenkomst",
    "huisbezoeken": "Huisbezoeken",
    "open_dag_beroepentuin": "Open dag Beroepentuin",
    "wijkmarkt": "Wijkmarkt of buurtfeest",
    "spreekuur": "Spreekuur in de wijk",
    "anders": "Anders",
}


def _names() -> dict[str, str]:
    return organisations.names(service_context().accounts_db)


def _section(name: str, q: rep.ReportQuery, names: dict[str, str], idx: int) -> dict[str, Any]:
    doc = rep.fetch(db_session(), name, q)
    section: dict[str, Any] = {"name": name, "doc": doc, "query": q}
    if doc["format"] == "instap.table/1":
        section["pivot"] = pivot(doc, names)
        section["chart"] = charts.bar_chart(doc, f"chart-{idx}", names)
    if name == "fairness":
        section["rates"] = derived.fairness_rates(doc)
    return section


def _export_url(name: str, q: rep.ReportQuery, fmt: str) -> str:
    args = {
        "from": q.start.isoformat(),
        "to": q.end.isoformat(),
        "by": ",".join(q.by),
        "threshold": q.threshold,
    }
    return f"/rapportage/api/v1/reports/{name}/export?" + urlencode({**args, "format": fmt})


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    return {
        "report_viewers": REPORT_VIEWERS,
        "outreach_roles": OUTREACH_ROLES,
        "labels": labels,
        "export_url": _export_url,
        "report_titles": {n: r.title for n, r in rep.REPORTS.items()}
        | {"time_to_placement": "Tijd tot plaatsing"},
    }


@bp.get("/")
def index() -> Any:
    principal = current_principal()
    if principal is None:
        return redirect(url_for("auth.login", next="/rapportage/"))
    if principal.has_role(AANNEMER):
        return redirect(url_for("web.report", name="placements"))
    if principal.has_role(JOBCOACH):
        return redirect(url_for("web.outreach_page"))
    return dashboard()


@roles_required(*REPORT_VIEWERS)
def dashboard() -> Any:
    """The bureau's start page: the main reports for a period, broken down the same way."""
    principal = require_principal()
    by = request.args.get("by", "")
    if by not in DASHBOARD_BY:
        raise Invalid(
            "Niet alle gegevens zijn goed ingevuld.", {"by": ["Kies een uitsplitsing uit de lijst."]}
        )
    args = {
        "from": request.args.get("from"),
        "to": request.args.get("to"),
        "threshold": request.args.get("threshold"),
    }
    threshold = service_context().settings.rapportage_threshold
    names = _names()
    sections = []
    plan = [
        ("funnel", by),
        ("placements", "contractor"),
        ("retention", by),
        ("fairness", by or "gender"),
        ("ladder", by),
        ("outreach", "wijk"),
    ]
    for idx, (name, breakdown) in enumerate(plan):
        _, q = rep.parse(name, {**args, "by": breakdown}, principal, threshold)
        sections.append(_section(name, q, names, idx))
    q0 = sections[0]["query"]
    return render_template(
        "rapportage/dashboard.html",
        sections=sections,
        by=by,
        by_options=DASHBOARD_BY,
        period=(q0.start, q0.end),
        threshold=q0.threshold,
        nav_current="reports",
    )


@bp.get("/rapporten/<string:name>")
@roles_required(*REPORT_VIEWERS, AANNEMER)
def report(name: str) -> Any:
    principal = require_principal()
    name, q = rep.parse(name, request.args, principal, service_context().settings.rapportage_threshold)
    section = _section(name, q, _names(), 0)
    info = rep.REPORTS.get(name, rep.REPORTS["retention"])
    choices = {"": "Geen uitsplitsing"} | {
        b: labels.BREAKDOWN_CHOICES.get(b, b).capitalize() for b in info.breakdowns
    }
    if info.min_by and name in rep.REPORTS:
        choices.pop("")
    return render_template(
        "rapportage/report.html",
        section=section,
        name=name,
        q=q,
        by_choices=choices,
        max_by=info.max_by if name in rep.REPORTS else 1,
        visible=rep.visible_reports(principal),
        nav_current="reports" if name != "placements" or principal.role != AANNEMER else "placements",
    )


@bp.route("/voorlichting", methods=["GET", "POST"])
@roles_required(*OUTREACH_ROLES)
def outreach_page() -> Any:
    principal = require_principal()
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {"held_on": clock.today().isoformat()}
    status = 200
    if request.method == "POST":
        form = {k: v for k, v in request.form.items() if k != "csrf_token"}
        values = form
        try:
            data = s.OutreachCreateSchema().load({k: v for k, v in form.items() if v != "" or k == "reached"})
            outreach.record(db_session(), principal, data)
            commit()
            flash(_("De activiteit is opgeslagen."), "success")
            return redirect(url_for("web.outreach_page"))
        except ValidationError as exc:
            errors = {path.split(".")[0]: msg for path, msg in flatten_errors(exc.messages)}
            status = 422
        except Invalid as exc:
            errors = {k: (v[0] if isinstance(v, list) else v) for k, v in exc.errors.items()}
            status = 422
    items = outreach.list_activities(db_session(), principal)
    return render_template(
        "rapportage/outreach.html",
        items=items,
        errors=errors,
        values=values,
        wijken=reference.names("wijken"),
        kinds={code: _(text) for code, text in KIND_LABELS.items()},
        field_label=lambda key: _(OUTREACH_FIELDS[key]) if key in OUTREACH_FIELDS else key,
        nav_current="outreach",
    ), status


@bp.route("/pakketten", methods=["GET", "POST"])
@roles_required(*REPORT_VIEWERS)
def packs_page() -> Any:
    principal = require_principal()
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        month = request.form.get("month", "")
        try:
            s.PackCreateSchema().load({"month": month})
            pack = packs.request_pack(
                db_session(), month, service_context().settings.rapportage_threshold, principal.name
            )
            commit()
            flash(
                _(
                    "Het pakket van %(month)s is aangevraagd. Vernieuw de pagina over een minuut.",
                    month=pack.month,
                ),
                "success",
            )
            return redirect(url_for("web.packs_page"))
        except ValidationError as exc:
            errors = {"month": flatten_errors(exc.messages)[0][1]}
            status = 422
        except Invalid as exc:
            errors = {k: (v[0] if isinstance(v, list) else v) for k, v in exc.errors.items()}
            status = 422
    items = db_session().scalars(select(ReportPack).order_by(ReportPack.month.desc()).limit(60)).all()
    return render_template(
        "rapportage/packs.html",
        items=items,
        errors=errors,
        values={"month": packs.previous_month(clock.today())},
        field_label=lambda key: _("Maand") if key == "month" else key,
        nav_current="reports",
    ), status


@bp.get("/pakketten/<int:pack_id>/<string:kind>")
@roles_required(*REPORT_VIEWERS)
def pack_file(pack_id: int, kind: str) -> Any:
    pack = db_session().get(ReportPack, pack_id)
    if pack is None or pack.status != "done" or kind not in ("xlsx", "pdf"):
        raise NotFound("Dit bestand is er (nog) niet.")
    data = pack.xlsx if kind == "xlsx" else pack.pdf
    mimetype = (
        "application/pdf"
        if kind == "pdf"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return send_file(
        io.BytesIO(data or b""),
        mimetype=mimetype,
        as_attachment=True,
        download_name=f"instap-pakket-{pack.month}.{kind}",
    )
