"""Request and response schemas of the matching API (contractor-facing ones are separate classes)."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from shared import clock
from shared.api import NoBsnSchema, QueryArgsSchema, Schema
from shared.states import OPENING, PROPOSAL, RUN
from shared.validators import ID, in_reference, language_level

CONTRACT_TYPES = ("bbl", "bepaalde_tijd", "onbepaalde_tijd", "uitzend", "proefplaatsing")
# Validators shared by every service (shared/validators.py), under the names this module uses.
_ID = ID
_ref = in_reference


def _werkproces(value: str) -> None:
    import re

    if not re.fullmatch(r"B\d-K\d-W\d{1,2}", value):
        raise ValidationError("Schrijf een werkproces zoals B1-K1-W1.")


class TaskFieldsSchema(NoBsnSchema):
    title = fields.String(validate=validate.Length(3, 200, error="Vul 3 tot 200 tekens in."))
    occupation = fields.String(validate=_ref("occupations", "Kies een beroep uit de lijst."))
    corporation = fields.String(allow_none=True, validate=validate.Length(max=100))
    project = fields.String(allow_none=True, validate=validate.Length(max=200))
    wijk = fields.String(validate=_ref("wijken", "Kies een wijk uit de lijst."))
    site = fields.String(allow_none=True, validate=validate.Length(max=200))
    start_date = fields.Date()
    end_date = fields.Date(allow_none=True)
    hours_per_week = fields.Integer(validate=validate.Range(4, 40, error="Kies 4 tot 40 uur per week."))
    places = fields.Integer(validate=validate.Range(1, 100, error="Kies 1 tot 100 plaatsen."))
    contract_type = fields.String(validate=validate.OneOf(CONTRACT_TYPES, error="Kies een soort contract."))
    req_certificates = fields.List(fields.String(validate=_ref("certificates", "Onbekend certificaat.")))
    req_language_spoken = fields.String(allow_none=True, validate=language_level())
    req_language_written = fields.String(allow_none=True, validate=language_level())
    req_driving_licence = fields.Boolean()
    req_work_at_height = fields.Boolean()
    req_heavy_work = fields.Boolean()
    skills = fields.List(fields.String(validate=_ref("skills", "Onbekende vaardigheid.")))
    werkprocessen = fields.List(fields.String(validate=_werkproces))
    sroi_tag = fields.String(allow_none=True, validate=validate.Length(max=60))
    contact_name = fields.String(allow_none=True, validate=validate.Length(max=120))
    contact_phone = fields.String(
        allow_none=True,
        validate=validate.Regexp(
            r"^\+?[0-9][0-9 ()-]{5,28}$", error="Vul een telefoonnummer in, zoals 078 123 45 67."
        ),
    )
    contact_email = fields.Email(allow_none=True, validate=validate.Length(max=254))


class TaskCreateSchema(TaskFieldsSchema):
    # Required fields are checked with every other field (one round), on the input as sent: a
    # field that is there but wrong has its own message and is not also called missing.
    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _required(self, _data: dict[str, Any], data: dict[str, Any], **_: Any) -> None:
        if not isinstance(data, dict):
            return  # not an object at all: marshmallow says so already
        missing = {
            k: ["Vul dit veld in."]
            for k in (
                "title",
                "occupation",
                "wijk",
                "start_date",
                "hours_per_week",
                "places",
                "contract_type",
            )
            if data.get(k) in (None, "")
        }
        if missing:
            raise ValidationError(missing)

    @validates_schema(skip_on_field_errors=False)
    def _dates(self, data: dict[str, Any], **_: Any) -> None:
        """Checked with every other field, so all mistakes show in one round."""
        check_dates(data.get("start_date"), data.get("end_date"))


def check_dates(start: date | None, end: date | None) -> None:
    """A new opening starts today or later; an end date is not before the start."""
    problems: dict[str, list[str]] = {}
    if isinstance(start, date) and start < clock.today():
        problems["start_date"] = ["De startdatum ligt in het verleden. Kies vandaag of later."]
    if isinstance(start, date) and isinstance(end, date) and end < start:
        problems["end_date"] = ["De einddatum ligt voor de startdatum."]
    if problems:
        raise ValidationError(problems)


class TaskUpdateSchema(TaskFieldsSchema):
    """Partial update."""


class TaskSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    occupation = fields.String()
    corporation = fields.String(allow_none=True)
    project = fields.String(allow_none=True)
    wijk = fields.String()
    site = fields.String(allow_none=True)
    start_date = fields.Date()
    end_date = fields.Date(allow_none=True)
    hours_per_week = fields.Integer()
    places = fields.Integer()
    filled = fields.Integer()
    contract_type = fields.String()
    req_certificates = fields.List(fields.String())
    req_language_spoken = fields.String(allow_none=True)
    req_language_written = fields.String(allow_none=True)
    req_driving_licence = fields.Boolean()
    req_work_at_height = fields.Boolean()
    req_heavy_work = fields.Boolean()
    skills = fields.List(fields.String())
    werkprocessen = fields.List(fields.String())
    sroi_tag = fields.String(allow_none=True)
    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)
    status = fields.String(validate=validate.OneOf(OPENING.values))
    organisation_id = fields.Integer()
    updated_at = fields.DateTime()


class SlotFieldsSchema(NoBsnSchema):
    name = fields.String(validate=validate.Length(3, 200, error="Vul 3 tot 200 tekens in."))
    occupations = fields.List(fields.String(validate=_ref("occupations", "Kies een beroep uit de lijst.")))
    grants = fields.List(fields.String(validate=_ref("certificates", "Onbekend certificaat.")))
    crebo = fields.String(
        allow_none=True, validate=validate.Regexp(r"^\d{5}$", error="Een crebo-code heeft 5 cijfers.")
    )
    werkprocessen = fields.List(fields.String(validate=_werkproces))
    start_date = fields.Date()
    weeks = fields.Integer(validate=validate.Range(1, 10, error="Kies 1 tot 10 weken."))
    seats = fields.Integer(validate=validate.Range(1, 100, error="Kies 1 tot 100 plekken."))
    site = fields.String(allow_none=True, validate=validate.Length(max=200))
    min_language_spoken = fields.String(allow_none=True, validate=language_level())
    vca_exam_included = fields.Boolean()
    contact_name = fields.String(allow_none=True, validate=validate.Length(max=120))
    contact_phone = fields.String(
        allow_none=True,
        validate=validate.Regexp(
            r"^\+?[0-9][0-9 ()-]{5,28}$", error="Vul een telefoonnummer in, zoals 078 123 45 67."
        ),
    )
    contact_email = fields.Email(allow_none=True, validate=validate.Length(max=254))


class SlotCreateSchema(SlotFieldsSchema):
    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _required(self, _data: dict[str, Any], data: dict[str, Any], **_: Any) -> None:
        if not isinstance(data, dict):
            return  # not an object at all: marshmallow says so already
        missing = {
            k: ["Vul dit veld in."]
            for k in ("name", "occupations", "start_date", "weeks", "seats")
            if data.get(k) in (None, "", [])
        }
        if missing:
            raise ValidationError(missing)

    @validates_schema(skip_on_field_errors=False)
    def _dates(self, data: dict[str, Any], **_: Any) -> None:
        check_dates(data.get("start_date"), None)


class SlotUpdateSchema(SlotFieldsSchema):
    """Partial update."""


class SlotSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    occupations = fields.List(fields.String())
    grants = fields.List(fields.String())
    crebo = fields.String(allow_none=True)
    werkprocessen = fields.List(fields.String())
    start_date = fields.Date()
    weeks = fields.Integer()
    seats = fields.Integer()
    filled = fields.Integer()
    site = fields.String(allow_none=True)
    min_language_spoken = fields.String(allow_none=True)
    vca_exam_included = fields.Boolean()
    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)
    status = fields.String(validate=validate.OneOf(OPENING.values))
    organisation_id = fields.Integer()


class ListArgsSchema(QueryArgsSchema):
    """Filters of the task and slot lists (`page` and `page_size` come with the pagination)."""

    status = fields.String(load_default=None, validate=validate.OneOf(OPENING.values))


class CertificateCardSchema(Schema):
    code = fields.String()
    valid_until = fields.String(allow_none=True)


class CandidateCardSchema(Schema):
    """What an organisation may see of a candidate: a pseudonym and job-relevant facts only."""

    programme_id = fields.String()
    wijk = fields.String()
    age_band = fields.String()
    language_spoken = fields.String(allow_none=True)
    language_written = fields.String(allow_none=True)
    certificates = fields.List(fields.Nested(CertificateCardSchema))
    driving_licence = fields.Boolean()
    hours_per_week = fields.Integer(allow_none=True)
    days = fields.List(fields.String())
    available_from = fields.Date(allow_none=True)
    work_at_height = fields.Boolean()
    heavy_work = fields.Boolean()
    interests = fields.List(fields.String())
    skills = fields.List(fields.String())


class OrganisationCandidateCardSchema(Schema):
    """The card an organisation sees: no programme id (the proposal carries a pseudonym)."""

    wijk = fields.String()
    age_band = fields.String()
    language_spoken = fields.String(allow_none=True)
    language_written = fields.String(allow_none=True)
    certificates = fields.List(fields.Nested(CertificateCardSchema))
    driving_licence = fields.Boolean()
    hours_per_week = fields.Integer(allow_none=True)
    available_from = fields.Date(allow_none=True)
    interests = fields.List(fields.String())
    skills = fields.List(fields.String())


class ProposalSchema(Schema):
    """Coach and beheerder view of a proposal."""

    id = fields.Integer()
    programme_id = fields.String()
    task_id = fields.Integer(allow_none=True)
    slot_id = fields.Integer(allow_none=True)
    leads_to_task_id = fields.Integer(allow_none=True)
    score = fields.Float()
    explanation = fields.Dict(keys=fields.String(), values=fields.Float())
    explanation_nl = fields.String()
    status = fields.String(validate=validate.OneOf(PROPOSAL.values))
    coach_reason = fields.String(allow_none=True)
    organisation_reason = fields.String(allow_none=True)
    run_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    opening = fields.Method("_opening", metadata={"description": "the task or training slot"})
    contact = fields.Method(
        "_contact",
        allow_none=True,
        metadata={"description": "the organisation's contact person, once both sides accepted"},
    )

    def _opening(self, p: Any) -> dict[str, Any]:
        row = p.task if p.task_id is not None else p.slot
        if row is None:
            return {}
        return {
            "kind": "task" if p.task_id is not None else "training",
            "title": getattr(row, "title", None) or getattr(row, "name", ""),
            "organisation_id": row.organisation_id,
            "start_date": row.start_date.isoformat(),
            "status": row.status,
        }

    def _contact(self, p: Any) -> dict[str, Any] | None:
        row = p.task if p.task_id is not None else p.slot
        if row is None or p.status not in ACCEPTED_BY_BOTH:
            return None
        return {"name": row.contact_name, "phone": row.contact_phone, "email": row.contact_email}


ACCEPTED_BY_BOTH = ("aannemer_akkoord", "geplaatst", "ingeschreven")


class OrganisationProposalSchema(Schema):
    """Contractor / trainer view: the pseudonymous card, never intake's personal fields."""

    id = fields.Integer()
    task_id = fields.Integer(allow_none=True)
    slot_id = fields.Integer(allow_none=True)
    score = fields.Float()
    explanation_nl = fields.String()
    status = fields.String(validate=validate.OneOf(PROPOSAL.values))
    organisation_reason = fields.String(allow_none=True)
    pseudonym = fields.String(
        metadata={
            "description": "The candidate as your organisation sees them for this opening: "
            "not the programme id, different at every other organisation and opening."
        }
    )
    candidate = fields.Nested(
        OrganisationCandidateCardSchema,
        allow_none=True,
        metadata={"description": "null once the candidate no longer shares their profile with you"},
    )
    updated_at = fields.DateTime()


class ProposalQueryArgsSchema(QueryArgsSchema):
    status = fields.String(
        load_default=None, validate=validate.OneOf(PROPOSAL.values, error="Onbekende status.")
    )
    programme_id = fields.String(load_default=None, validate=validate.Length(1, 16))
    task_id = fields.Integer(load_default=None, validate=_ID)
    slot_id = fields.Integer(load_default=None, validate=_ID)


class DecisionSchema(NoBsnSchema):
    accept = fields.Boolean(required=True)
    reason = fields.String(allow_none=True, load_default=None)


class RunCreateSchema(NoBsnSchema):
    kind = fields.String(load_default="full", validate=validate.OneOf(("full",)))


class RunSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    scope = fields.String(allow_none=True)
    status = fields.String(validate=validate.OneOf(RUN.values))
    progress = fields.Integer()
    counts = fields.Dict()
    timings = fields.Dict()
    error = fields.String(allow_none=True)
    attempts = fields.Integer()
    requested_by = fields.String()
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


class SubjectSchema(Schema):
    """Everything matching holds about one resident (domain/subjects.py), for their export."""

    programme_id = fields.String()
    erased_at = fields.String(allow_none=True)
    candidate = fields.Dict(keys=fields.String(), allow_none=True)
    proposals = fields.List(fields.Dict(keys=fields.String()))
    placements = fields.List(fields.Dict(keys=fields.String()))
    enrolments = fields.List(fields.Dict(keys=fields.String()))
