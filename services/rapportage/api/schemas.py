"""Request and response schemas of the rapportage API."""

from __future__ import annotations

from marshmallow import fields, validate

from shared import reference
from shared.api import NoBsnSchema, Schema

OUTREACH_KINDS = (
    "informatiebijeenkomst",
    "huisbezoeken",
    "open_dag_beroepentuin",
    "wijkmarkt",
    "spreekuur",
    "anders",
)
EXPORT_FORMATS = ("csv", "xlsx", "pdf")


class ReportArgsSchema(NoBsnSchema):
    """Checked by the report code itself (so pages and API give the same messages)."""

    from_ = fields.String(
        data_key="from", metadata={"description": "first day, jjjj-mm-dd (default 1 January)"}
    )
    to = fields.String(metadata={"description": "last day, jjjj-mm-dd (default today)"})
    by = fields.String(metadata={"description": "comma-separated breakdowns, e.g. wijk,gender"})
    threshold = fields.String(metadata={"description": "smallest count shown; at least 3 (default 5)"})


class ExportArgsSchema(ReportArgsSchema):
    format = fields.String(
        load_default="csv", validate=validate.OneOf(EXPORT_FORMATS, error="Kies csv, xlsx of pdf.")
    )


class ReportInfoSchema(Schema):
    name = fields.String()
    title = fields.String()
    unit = fields.String()
    breakdowns = fields.List(fields.String())
    max_by = fields.Integer()
    default_by = fields.List(fields.String())
    description = fields.String()


class OutreachCreateSchema(NoBsnSchema):
    held_on = fields.Date(required=True)
    wijk = fields.String(
        required=True, validate=validate.OneOf(reference.codes("wijken"), error="Kies een wijk uit de lijst.")
    )
    kind = fields.String(
        required=True,
        validate=validate.OneOf(OUTREACH_KINDS, error="Kies een soort activiteit uit de lijst."),
    )
    reached = fields.Integer(
        required=True, validate=validate.Range(0, 100_000, error="Vul een aantal van 0 tot 100.000 in.")
    )
    description = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=200, error="Hoogstens 200 tekens.")
    )


class OutreachSchema(Schema):
    id = fields.Integer()
    held_on = fields.Date()
    wijk = fields.String()
    kind = fields.String()
    reached = fields.Integer()
    description = fields.String(allow_none=True)
    created_at = fields.DateTime()


class OutreachListArgsSchema(NoBsnSchema):
    from_ = fields.Date(data_key="from", load_default=None)
    to = fields.Date(load_default=None)


class PackCreateSchema(NoBsnSchema):
    month = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^\d{4}-(0[1-9]|1[0-2])$", error="Schrijf de maand als jjjj-mm, bijvoorbeeld 2026-11."
        ),
    )


class PackSchema(Schema):
    id = fields.Integer()
    month = fields.String()
    period_from = fields.Date()
    period_to = fields.Date()
    threshold = fields.Integer()
    status = fields.String()
    requested_by = fields.String()
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    error = fields.String(allow_none=True)
