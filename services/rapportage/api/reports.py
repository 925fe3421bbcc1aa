"""API: reports as `instap.table/1` documents, their exports, and the monthly packs."""

from __future__ import annotations

import io
import json
from typing import Any

from flask import Response, request, send_file
from flask.views import MethodView
from sqlalchemy import select

from services.rapportage.api import schemas as s
from services.rapportage.domain import organisations, packs
from services.rapportage.domain import reports as rep
from services.rapportage.domain.reports import derived
from services.rapportage.exports import files
from services.rapportage.models import ReportPack
from shared.api import Blueprint
from shared.auth.roles import AANNEMER, BEHEERDER, PROGRAMMABUREAU
from shared.auth.web import require_principal, roles_required
from shared.errors import Invalid, NotFound
from shared.runtime import service_context
from shared.web import commit, db_session

blp = Blueprint(
    "reports",
    __name__,
    url_prefix="/api/v1",
    description="Reports with disclosure control (instap.table/1), exports and monthly packs",
)
VIEW_ROLES = (PROGRAMMABUREAU, BEHEERDER, AANNEMER)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def report_document(name: str, args: Any) -> tuple[str, rep.ReportQuery, dict[str, Any]]:
    """Parse, check access, and build: the one path every format of a report takes."""
    principal = require_principal()
    ctx = service_context()
    name, q = rep.parse(name, args, principal, ctx.settings.rapportage_threshold)
    return name, q, rep.fetch(db_session(), name, q)


def export_response(name: str, q: rep.ReportQuery, doc: dict[str, Any], fmt: str) -> Any:
    stem = f"instap-{name}-{q.start.isoformat()}-{q.end.isoformat()}"
    if doc.get("format") != "instap.table/1":
        if fmt != "pdf":
            raise Invalid(
                "Niet alle gegevens zijn goed ingevuld.",
                {"format": ["Dit rapport is er alleen als pdf en JSON."]},
            )
        html = files.pack_html([], heading=doc["title"], extras=[doc])
        return _file(files.pdf_bytes(html), "application/pdf", f"{stem}.pdf")
    names = organisations.names(service_context().accounts_db)
    if fmt == "csv":
        return Response(
            files.csv_text(doc),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'},
        )
    if fmt == "xlsx":
        return _file(files.xlsx_bytes([doc], names), XLSX, f"{stem}.xlsx")
    extras = (
        [derived.fairness_rates(doc) | {"title": "Percentages per groep", "notes": []}]
        if name == "fairness"
        else []
    )
    html = files.pack_html([doc], heading=doc["title"], names=names, extras=extras)
    return _file(files.pdf_bytes(html), "application/pdf", f"{stem}.pdf")


def _file(data: bytes, mimetype: str, filename: str) -> Any:
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename)


@blp.route("/reports")
class ReportList(MethodView):
    @roles_required(*VIEW_ROLES)
    @blp.response(200, s.ReportInfoSchema(many=True))
    def get(self) -> Any:
        """The reports this principal may see, with their breakdowns."""
        principal = require_principal()
        out = []
        for name in rep.visible_reports(principal):
            r = rep.REPORTS.get(name, rep.REPORTS["retention"])
            out.append(
                {
                    "name": name,
                    "title": r.title if name in rep.REPORTS else "Tijd van aanmelding tot plaatsing",
                    "unit": r.unit if name in rep.REPORTS else "days",
                    "breakdowns": list(r.breakdowns),
                    "max_by": r.max_by if name in rep.REPORTS else 1,
                    "default_by": list(r.default_by) if name in rep.REPORTS else [],
                    "description": r.description
                    if name in rep.REPORTS
                    else "Mediaan en kwartielen in dagen.",
                }
            )
        return out


@blp.route("/reports/<string:name>")
class ReportItem(MethodView):
    @roles_required(*VIEW_ROLES)
    @blp.arguments(s.ReportArgsSchema, location="query", as_kwargs=True)
    @blp.response(200)
    def get(self, **_args: Any) -> Any:
        """One report as an `instap.table/1` document (time_to_placement: `instap.statistic/1`).

        Bad input (unknown breakdown, bad or reversed dates, threshold below 3) is a 422; an
        unknown report a 404; a contractor sees only `placements`, of its own organisation.
        """
        _, _, doc = report_document(request.view_args["name"], request.args)  # type: ignore[index]
        return doc


@blp.route("/reports/fairness/rates")
class FairnessRates(MethodView):
    @roles_required(PROGRAMMABUREAU, BEHEERDER)
    @blp.arguments(s.ReportArgsSchema, location="query", as_kwargs=True)
    @blp.response(200)
    def get(self, **_args: Any) -> Any:
        """Rates and four-fifths flags, computed from the published fairness document only."""
        _, _, doc = report_document("fairness", request.args)
        return derived.fairness_rates(doc)


@blp.route("/reports/<string:name>/export")
class ReportExport(MethodView):
    @roles_required(*VIEW_ROLES)
    @blp.arguments(s.ExportArgsSchema, location="query", as_kwargs=True)
    @blp.response(200)
    def get(self, format: str = "csv", **_args: Any) -> Any:  # noqa: A002 - the query parameter's name
        """The report as CSV, Excel (with an explanation sheet) or PDF: the same numbers as the JSON."""
        args = {k: v for k, v in request.args.items() if k != "format"}
        name, q, doc = report_document(request.view_args["name"], args)  # type: ignore[index]
        return export_response(name, q, doc, format)


@blp.route("/packs")
class PackList(MethodView):
    @roles_required(PROGRAMMABUREAU, BEHEERDER)
    @blp.response(200, s.PackSchema(many=True))
    def get(self) -> Any:
        """Stored monthly packs, newest month first."""
        return db_session().scalars(select(ReportPack).order_by(ReportPack.month.desc()).limit(120)).all()

    @roles_required(PROGRAMMABUREAU, BEHEERDER)
    @blp.arguments(s.PackCreateSchema)
    @blp.response(202, s.PackSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Ask for the pack of a month (1 January up to the end of that month). Asking again for
        the same month returns that one pack; a failed one is tried again. A worker builds it."""
        principal = require_principal()
        pack = packs.request_pack(
            db_session(), data["month"], service_context().settings.rapportage_threshold, principal.name
        )
        commit()
        return pack


def _pack(pack_id: int) -> ReportPack:
    pack = db_session().get(ReportPack, pack_id)
    if pack is None:
        raise NotFound("Dit pakket is niet gevonden.")
    return pack


@blp.route("/packs/<int:pack_id>")
class PackItem(MethodView):
    @roles_required(PROGRAMMABUREAU, BEHEERDER)
    @blp.response(200, s.PackSchema)
    def get(self, pack_id: int) -> Any:
        return _pack(pack_id)


@blp.route("/packs/<int:pack_id>/<string:kind>")
class PackFile(MethodView):
    @roles_required(PROGRAMMABUREAU, BEHEERDER)
    @blp.response(200)
    def get(self, pack_id: int, kind: str) -> Any:
        """A finished pack's file: `json` (all documents), `xlsx` or `pdf`."""
        pack = _pack(pack_id)
        if kind not in ("json", "xlsx", "pdf"):
            raise NotFound("Kies json, xlsx of pdf.")
        if pack.status != "done":
            raise NotFound("Dit pakket is nog niet klaar.")
        stem = f"instap-pakket-{pack.month}"
        if kind == "json":
            return Response(
                json.dumps(json.loads(pack.documents or "{}"), ensure_ascii=False),
                mimetype="application/json",
            )
        data = pack.xlsx if kind == "xlsx" else pack.pdf
        return _file(data or b"", XLSX if kind == "xlsx" else "application/pdf", f"{stem}.{kind}")
