"""Request and response schemas of the intake API (one per direction, unknown fields rejected)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import (
    ValidationError,
    fields,
    post_load,
    validate,
    validates,
    validates_schema,
)

from services.intake.domain.residents import contact_problems
from shared import clock, reference
from shared.api import NoBsnSchema, QueryArgsSchema, Schema
from shared.events import STILL_WORKING
from shared.states import FUNNEL
from shared.validators import (
    ID,
    in_reference,
    language_level,
    normalise_phone,
    normalise_postcode,
    one_of,
)

MIN_BIRTH_YEAR = 1940
MIN_AGE = 15
# Validators shared by every service (shared/validators.py), under the names this module uses.
_ID = ID
_one_of = one_of
_ref_one_of = in_reference


class LanguageSchema(Schema):
    spoken = fields.String(
        allow_none=True,
        load_default=None,
        validate=language_level(),
    )
    written = fields.String(
        allow_none=True,
        load_default=None,
        validate=language_level(),
    )


class CertificateSchema(Schema):
    code = fields.String(required=True, validate=_ref_one_of("certificates", "Onbekend certificaat."))
    obtained_on = fields.Date(allow_none=True, load_default=None)
    valid_until = fields.Date(allow_none=True, load_default=None)

    @validates_schema
    def _dates(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("obtained_on"), data.get("valid_until")
        if start and start > clock.today():
            raise ValidationError("Deze datum ligt in de toekomst.", "obtained_on")
        if start and end and end < start:
            raise ValidationError("Geldig tot moet na de datum van behalen liggen.", "valid_until")


def _birth_year(value: int) -> None:
    latest = clock.today().year - MIN_AGE
    if not MIN_BIRTH_YEAR <= value <= latest:
        raise ValidationError(f"Vul een geboortejaar in tussen {MIN_BIRTH_YEAR} en {latest}.")


class ResidentFieldsSchema(NoBsnSchema):
    """The fields a coach records; shared by create and update."""

    first_name = fields.String(validate=validate.Length(1, 100, error="Vul 1 tot 100 tekens in."))
    last_name = fields.String(validate=validate.Length(1, 100, error="Vul 1 tot 100 tekens in."))
    phone = fields.String(allow_none=True)
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    contact_preference = fields.String(
        validate=_one_of(reference.CONTACT_CHANNELS, "Kies telefoon of e-mail."),
        metadata={
            "description": "the one channel an organisation gets after an introduction; it must be "
            "filled in. Not sent on create: telefoon when phone is given, else e-mail. Not sent on "
            "update: the stored choice stays",
            "enum": list(reference.CONTACT_CHANNELS),
        },
    )
    street = fields.String(allow_none=True, validate=validate.Length(max=200))
    house_number = fields.String(allow_none=True, validate=validate.Length(max=20))
    postcode = fields.String(allow_none=True)
    city = fields.String(allow_none=True, validate=validate.Length(max=100))
    wijk = fields.String(validate=_ref_one_of("wijken", "Kies een wijk uit de lijst."))
    birth_year = fields.Integer(allow_none=True, strict=False, validate=_birth_year)
    gender = fields.String(validate=_one_of(reference.GENDERS, "Kies man, vrouw, anders of onbekend."))
    participatieladder = fields.Integer(
        allow_none=True, validate=validate.Range(1, 6, error="Kies een trede van 1 tot en met 6.")
    )
    language = fields.Nested(LanguageSchema)
    certificates = fields.List(fields.Nested(CertificateSchema))
    driving_licence = fields.Boolean()
    own_transport = fields.Boolean()
    hours_per_week = fields.Integer(
        allow_none=True, validate=validate.Range(1, 40, error="Vul een aantal uren van 1 tot en met 40 in.")
    )
    days = fields.List(
        fields.String(validate=_one_of(reference.DAYS, "Kies dagen: ma, di, wo, do, vr, za, zo."))
    )
    available_from = fields.Date(allow_none=True)
    interests = fields.List(fields.String(validate=_ref_one_of("occupations", "Onbekend beroep.")))
    skills = fields.List(fields.String(validate=_ref_one_of("skills", "Onbekende vaardigheid.")))
    work_experience = fields.String(
        allow_none=True,
        validate=validate.Length(max=2000, error="Gebruik hooguit 2000 tekens."),
        metadata={"multiline": True},
    )
    barriers = fields.List(
        fields.String(
            validate=_one_of(reference.BARRIERS, "Kies uit: kinderopvang, vervoer, taal, schulden_signaal.")
        )
    )
    income = fields.String(
        allow_none=True,
        validate=_one_of(reference.INCOME_CODES, "Kies uit: bijstand, ww, geen_uitkering, anders."),
    )
    work_at_height = fields.Boolean()
    heavy_work = fields.Boolean()

    @validates("phone")
    def _phone(self, value: str | None, **_: Any) -> None:
        if value:
            normalise_phone(value)

    @validates("postcode")
    def _postcode(self, value: str | None, **_: Any) -> None:
        if value:
            normalise_postcode(value)

    @validates("certificates")
    def _unique_certificates(self, value: list[dict[str, Any]], **_: Any) -> None:
        codes = [c.get("code") for c in value if isinstance(c, dict)]
        if len(codes) != len(set(codes)):
            raise ValidationError("Elk certificaat mag maar één keer voorkomen.")

    # Whether a field left out of the input counts as empty (create) or as unchanged (update).
    absent_is_empty = False

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _contact(self, _data: dict[str, Any], original: Any, **_: Any) -> None:
        """A phone number or e-mail address, and the chosen channel filled in: checked with every
        other field (one round). What an update leaves out is checked against the stored
        resident afterwards (domain/residents.py)."""
        if not isinstance(original, Mapping):
            return
        known = {
            key: original.get(key)
            for key in ("phone", "email", "contact_preference")
            if self.absent_is_empty or key in original
        }
        if problems := contact_problems(known):
            raise ValidationError(problems)

    @validates_schema(skip_on_field_errors=False)
    def _postcode_and_wijk(self, data: dict[str, Any], **_: Any) -> None:
        """Checked against each other (reference data), with every other field."""
        postcode, wijk = data.get("postcode"), data.get("wijk")
        if not postcode or not wijk:
            return
        try:
            postcode = normalise_postcode(postcode)
        except ValidationError:
            return  # the postcode has its own message
        problem = reference.postcode_wijk_problem(postcode, wijk)
        if problem:
            raise ValidationError({"postcode": [problem], "wijk": [problem]})

    @post_load
    def _normalise(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data.get("phone"):
            data["phone"] = normalise_phone(data["phone"])
        if data.get("postcode"):
            data["postcode"] = normalise_postcode(data["postcode"])
        for key in ("phone", "email", "street", "house_number", "city", "work_experience"):
            if key in data and isinstance(data[key], str) and not data[key].strip():
                data[key] = None
        return data


class ResidentCreateSchema(ResidentFieldsSchema):
    absent_is_empty = True

    coach_id = fields.Integer(
        allow_none=True,
        load_default=None,
        validate=_ID,
        metadata={"description": "User id of the coach; defaults to the coach who creates the resident"},
    )

    class Meta(ResidentFieldsSchema.Meta):
        pass

    # Checked with every other field (one round), on the input as sent: a field that is there
    # but wrong has its own message and is not also called missing.
    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _required(self, _data: dict[str, Any], original: Any, **_: Any) -> None:
        if not isinstance(original, Mapping):
            return
        missing: dict[str, list[str]] = {
            k: ["Vul dit veld in."] for k in ("first_name", "last_name", "wijk") if not original.get(k)
        }
        if missing:
            raise ValidationError(missing)


class ResidentUpdateSchema(ResidentFieldsSchema):
    """Partial update: only the fields sent change."""


class CertificateOutSchema(Schema):
    code = fields.String()
    obtained_on = fields.Date(allow_none=True)
    valid_until = fields.Date(allow_none=True)


class ConsentSchema(Schema):
    id = fields.Integer()
    purpose = fields.String()
    given_at = fields.DateTime()
    method = fields.String()
    info_version = fields.String()
    withdrawn_at = fields.DateTime(allow_none=True)
    active = fields.Boolean()


class ResidentSchema(Schema):
    programme_id = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    contact_preference = fields.String(
        allow_none=True,
        metadata={"enum": list(reference.CONTACT_CHANNELS), "description": "null once erased"},
    )
    street = fields.String(allow_none=True)
    house_number = fields.String(allow_none=True)
    postcode = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    wijk = fields.String()
    pc4 = fields.String(allow_none=True)
    birth_year = fields.Integer(allow_none=True)
    gender = fields.String()
    participatieladder = fields.Integer(allow_none=True)
    language = fields.Method("_language")
    certificates = fields.List(fields.Nested(CertificateOutSchema))
    driving_licence = fields.Boolean()
    own_transport = fields.Boolean()
    hours_per_week = fields.Integer(allow_none=True)
    days = fields.List(fields.String())
    available_from = fields.Date(allow_none=True)
    interests = fields.List(fields.String())
    skills = fields.List(fields.String())
    work_experience = fields.String(allow_none=True)
    barriers = fields.List(fields.String())
    income = fields.String(allow_none=True)
    work_at_height = fields.Boolean()
    heavy_work = fields.Boolean()
    stage = fields.String(validate=validate.OneOf(FUNNEL.values))
    coach_id = fields.Integer(allow_none=True)
    consents = fields.Method("_active_consents")
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def _language(self, obj: Any) -> dict[str, Any]:
        return {"spoken": obj.language_spoken, "written": obj.language_written}

    def _active_consents(self, obj: Any) -> list[str]:
        return sorted({c.purpose for c in obj.consents if c.active})


class ResidentListItemSchema(Schema):
    programme_id = fields.String()
    name = fields.String(attribute="display_name")
    wijk = fields.String()
    stage = fields.String(validate=validate.OneOf(FUNNEL.values))
    coach_id = fields.Integer(allow_none=True)
    updated_at = fields.DateTime()


class ResidentQueryArgsSchema(QueryArgsSchema):
    q = fields.String(load_default=None, metadata={"description": "search in name, e-mail, programme id"})
    wijk = fields.String(load_default=None, validate=_ref_one_of("wijken", "Kies een wijk uit de lijst."))
    stage = fields.String(load_default=None, validate=_one_of(FUNNEL.values, "Onbekende fase."))
    coach_id = fields.Integer(load_default=None, validate=_ID)
    programme_ids = fields.List(
        fields.String(validate=validate.Length(1, 16)),
        data_key="programme_id",
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "only these residents (repeat the parameter, at most 200)"},
    )


class ConsentGiveSchema(NoBsnSchema):
    purpose = fields.String(
        required=True, validate=_one_of(reference.CONSENT_PURPOSES, "Kies een doel van de toestemming.")
    )
    method = fields.String(
        required=True,
        validate=_one_of(reference.CONSENT_METHODS, "Kies schriftelijk, mondeling of digitaal."),
    )
    info_version = fields.String(
        required=True, validate=validate.Length(1, 20, error="Vul de versie van de informatietekst in.")
    )


class StageChangeSchema(NoBsnSchema):
    to_stage = fields.String(required=True, validate=_one_of(FUNNEL.values, "Onbekende fase."))
    reason_code = fields.String(
        allow_none=True,
        load_default=None,
        validate=_one_of(reference.DROPOUT_REASONS, "Kies een reden uit de lijst."),
    )


class StageChangeOutSchema(Schema):
    from_stage = fields.String(allow_none=True, validate=validate.OneOf(FUNNEL.values))
    to_stage = fields.String(validate=validate.OneOf(FUNNEL.values))
    reason_code = fields.String(allow_none=True)
    changed_at = fields.DateTime()
    changed_by = fields.Integer(allow_none=True)


class NoteCreateSchema(NoBsnSchema):
    body = fields.String(
        required=True,
        validate=validate.Length(1, 4000, error="Schrijf 1 tot 4000 tekens."),
        metadata={"multiline": True},
    )


class NoteSchema(Schema):
    id = fields.Integer()
    author_name = fields.String()
    body = fields.String()
    created_at = fields.DateTime()


class ReassignSchema(NoBsnSchema):
    coach_id = fields.Integer(required=True, validate=_ID)


class IntroductionExportSchema(Schema):
    organisation = fields.String(metadata={"description": "who received the name and contact"})
    kind = fields.String(metadata={"description": "task or training"})
    opening_title = fields.String()
    granted_at = fields.String()
    shared = fields.List(fields.String(), metadata={"description": "naam, telefoon or e-mail"})
    consent_purpose = fields.String()
    still_shown = fields.Boolean(metadata={"description": "false once that consent was withdrawn"})


class MatchingPartSchema(Schema):
    status = fields.String(
        metadata={"description": "ok (data holds it), niets (matching holds nothing) or onbereikbaar"}
    )
    data = fields.Dict(
        keys=fields.String(),
        allow_none=True,
        metadata={"description": "matching's GET /api/v1/subjects/{programme_id}, asked as you"},
    )


class ResidentExportSchema(Schema):
    """Right of access (services/intake/domain/export.py): everything Instap holds on one resident:
    intake's data, the introductions, and what matching holds."""

    format = fields.String(metadata={"example": "instap.resident-export/1"})
    programme_id = fields.String()
    personal = fields.Dict(keys=fields.String())
    profile = fields.Dict(keys=fields.String())
    certificates = fields.List(fields.Dict(keys=fields.String()))
    participatieladder = fields.List(fields.Dict(keys=fields.String()))
    consents = fields.List(fields.Dict(keys=fields.String()))
    stage_history = fields.List(fields.Dict(keys=fields.String()))
    notes = fields.List(fields.Dict(keys=fields.String()))
    shared_with_other_services = fields.List(fields.Dict(keys=fields.String()))
    access_log = fields.List(fields.Dict(keys=fields.String()))
    introductions = fields.List(fields.Nested(IntroductionExportSchema))
    matching = fields.Nested(MatchingPartSchema)
    created_at = fields.String(allow_none=True)


# --- Follow-ups after a start (issue 9) ---


FOLLOWUP_STATUSES = ("gepland", "open", "vastgelegd", "vervallen")


class FollowUpSchema(Schema):
    id = fields.Integer()
    programme_id = fields.Function(lambda f: f.resident.programme_id)
    placement_id = fields.Integer()
    opening_title = fields.String(allow_none=True)
    month = fields.Integer(metadata={"description": "1, 3, 6 or 12 months after the start"})
    started_on = fields.Date()
    due_on = fields.Date()
    status = fields.String(metadata={"enum": list(FOLLOWUP_STATUSES)})
    cancelled_reason = fields.String(allow_none=True)
    recorded_on = fields.Date(allow_none=True)
    still_working = fields.String(allow_none=True)
    trede = fields.Integer(allow_none=True)


class FollowUpQueryArgsSchema(NoBsnSchema):
    status = fields.String(
        load_default="open",
        validate=validate.OneOf(FOLLOWUP_STATUSES, error="Kies gepland, open, vastgelegd of vervallen."),
    )


class FollowUpRecordSchema(NoBsnSchema):
    still_working = fields.String(
        required=True,
        error_messages={"required": "Kies ja, nee of onbekend."},
        validate=validate.OneOf(STILL_WORKING, error="Kies ja, nee of onbekend."),
        metadata={"description": "still working: ja | nee | onbekend"},
    )
    trede = fields.Integer(
        allow_none=True,
        load_default=None,
        validate=validate.OneOf(list(reference.PARTICIPATIELADDER), error="Kies een trede van 1 tot 6."),
        metadata={"description": "Participatieladder trede 1-6"},
    )
    recorded_on = fields.Date(
        allow_none=True,
        load_default=None,
        metadata={"description": "day of the conversation; today if empty"},
    )
