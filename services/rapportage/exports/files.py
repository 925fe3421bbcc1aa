"""CSV per table, an Excel workbook (a sheet per report and an explanation sheet), a PDF pack.

All three are written from the published documents only: a number that is hidden in the JSON is
hidden here too, and every shown number is the same.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from services.rapportage.exports import charts, labels
from services.rapportage.exports.tables import flat_rows, pivot
from shared import clock

TEMPLATES = Path(__file__).parent / "templates"
EXPLANATION = [
    "Deze cijfers komen uit Instap, de rapportage van het wijkproject Werken in de energietransitie "
    "(Nationaal Programma Dordt West).",
    "We tellen unieke personen, geen aanmeldingen of rijen. Een persoon telt één keer.",
    "Kleine aantallen staan er niet in: in een wijk waar iedereen elkaar kent, is een '2' een persoon. "
    "Een punt (.) betekent: niet getoond. "
    "Ook cellen waaruit een klein aantal is af te leiden, zijn niet getoond.",
    "Alle tabellen in dit bestand zijn samen beschermd: ook wie ze combineert, vindt geen klein aantal.",
    "Status per cel: 'getoond' (precies), 'niet getoond', of 'afgerond'.",
]


def csv_text(document: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*document["dimensions"], "value", "status"])
    for row in flat_rows(document):
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


def _sheet_name(title: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]\*\?/\\:]", " ", title)[:28].strip() or "Rapport"
    base, n = name, 2
    while name in used:
        name = f"{base[:25]} {n}"
        n += 1
    used.add(name)
    return name


def xlsx_bytes(
    documents: Sequence[dict[str, Any]],
    names: dict[str, str] | None = None,
    *,
    generated: datetime | None = None,
) -> bytes:
    wb = Workbook()
    info = wb.active
    info.title = "Uitleg"
    info["A1"] = "Uitleg bij deze cijfers"
    info["A1"].font = Font(bold=True, size=14)
    row = 3
    for line in EXPLANATION:
        info.cell(row=row, column=1, value=line).alignment = Alignment(wrap_text=True)
        row += 1
    row += 1
    for label, value in (
        (
            "Periode",
            f"{documents[0]['period']['from']} tot en met {documents[0]['period']['to']}"
            if documents
            else "",
        ),
        ("Drempel", documents[0].get("threshold", "") if documents else ""),
        ("Gemaakt op", (generated or clock.local_now()).strftime("%d-%m-%Y %H:%M")),
    ):
        info.cell(row=row, column=1, value=label).font = Font(bold=True)
        info.cell(row=row, column=2, value=value)
        row += 1
    row += 1
    info.cell(row=row, column=1, value="Tabellen").font = Font(bold=True)
    info.column_dimensions["A"].width = 100
    info.column_dimensions["B"].width = 40
    used = {"Uitleg"}
    for doc in documents:
        row += 1
        sheet = wb.create_sheet(_sheet_name(doc["title"], used))
        info.cell(row=row, column=1, value=f"{sheet.title}: {doc['title']}")
        for note in doc.get("notes", []):
            row += 1
            info.cell(row=row, column=1, value=f"   {note}")
        _write_table(sheet, doc, names)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _write_table(sheet: Any, doc: dict[str, Any], names: dict[str, str] | None) -> None:
    sheet["A1"] = doc["title"]
    sheet["A1"].font = Font(bold=True, size=13)
    if "period" in doc:
        sheet["A2"] = f"Periode {doc['period']['from']} tot en met {doc['period']['to']}"
    header = [labels.dimension(d) for d in doc["dimensions"]] + ["Aantal", "Status"]
    for col, text in enumerate(header, start=1):
        sheet.cell(row=4, column=col, value=text).font = Font(bold=True)
    for r, cell in enumerate(doc["cells"], start=5):
        for c, dim in enumerate(doc["dimensions"], start=1):
            sheet.cell(row=r, column=c, value=labels.category(dim, cell["key"][dim], names))
        value = cell["value"] if cell["status"] != "suppressed" else labels.SUPPRESSED_MARK
        sheet.cell(row=r, column=len(doc["dimensions"]) + 1, value=value)
        sheet.cell(row=r, column=len(doc["dimensions"]) + 2, value=labels.STATUS[cell["status"]])
    last = len(doc["cells"]) + 6
    for note in doc.get("notes", []):
        sheet.cell(row=last, column=1, value=note)
        last += 1
    for col in range(1, len(header) + 1):
        sheet.column_dimensions[get_column_letter(col)].width = 24
    sheet.freeze_panes = "A5"


def pack_html(
    documents: Sequence[dict[str, Any]],
    *,
    heading: str,
    names: dict[str, str] | None = None,
    extras: Sequence[dict[str, Any]] = (),
) -> str:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))
    template = env.get_template("rapportage_pdf/pack.html")
    sections = [
        {"doc": doc, "pivot": pivot(doc, names), "chart": charts.bar_chart(doc, f"c{i}", names)}
        for i, doc in enumerate(documents)
    ]
    return template.render(
        heading=heading,
        sections=sections,
        extras=extras,
        explanation=EXPLANATION,
        css=(TEMPLATES / "rapportage_pdf" / "pack.css").read_text(),
        period=documents[0]["period"] if documents else None,
        threshold=documents[0]["threshold"] if documents else None,
        labels=labels,
    )


def pdf_bytes(html: str) -> bytes:
    from weasyprint import HTML  # imported late: needs Pango (scripts/system-deps.sh weasyprint)

    return bytes(HTML(string=html, base_url=str(TEMPLATES)).write_pdf())


__all__ = ["csv_text", "pack_html", "pdf_bytes", "xlsx_bytes"]
