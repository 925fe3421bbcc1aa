"""Schemas of enrolments, their completion (the praktijkverklaring) and certificates (issue 9)."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from services.matching.domain.certificates import REVOKE_REASONS
from services.matching.domain.enrolments import DROPOUT_REASONS, PRESENCE
from shared.api import MAX_ID, NoBsnSchema, QueryArgsSchema, Schema

_ID = validate.Range(1, MAX_ID, error="Onbekend nummer.")
WERKPROCES = re.compile(r"^[BP]\d{1,2}-K\d{1,2}-W\d{1,2}$")
STEP_TARGETS = ("orientatie", "opleiding", "uitgevallen")
ENROLMENT_STATES = ("aangemeld", "orientatie", "opleiding", "afgerond", "uitgevallen")


def _werkproces(value: str) -> None:
    if not WERKPROCES.fullmatch(value):
        raise ValidationError("Schrijf een werkproces zoals B1-K1-W1.")


def _text(maximum: int) -> Any:
    return validate.Length(2, maximum, error=f"Vul 2 tot {maximum} tekens in.")


class EnrolmentCreateSchema(NoBsnSchema):
    """From an accepted training proposal (`proposal_id`, the trainer) or entered by a coach for
    their own resident (`programme_id` and `slot_id`)."""

    proposal_id = fields.Integer(load_default=None, validate=_ID)
    programme_id = fields.String(
        load_default=None,
        validate=validate.Regexp(r"^[A-Z]{2}-[A-Z0-9]{4,12}$", error="Onbekend programmanummer."),
    )
    slot_id = fields.Integer(load_default=None, validate=_ID)

    @validates_schema
    def _one_way(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("proposal_id") is not None:
            if data.get("programme_id") or data.get("slot_id"):
                raise ValidationError(
                    "Geef een voorstel, of een deelnemer met een opleidingsplek: niet allebei."
                )
            return
        missing = {k: ["Vul dit veld in."] for k in ("programme_id", "slot_id") if data.get(k) is None}
        if missing:
            raise ValidationError(missing)


class EnrolmentQueryArgsSchema(QueryArgsSchema):
    """Filters (`page` and `page_size` come with the pagination)."""

    slot_id = fields.Integer(load_default=None, validate=_ID)
    status = fields.String(load_default=None, validate=validate.OneOf(ENROLMENT_STATES))


class StepSchema(NoBsnSchema):
    status = fields.String(
        required=True,
        validate=validate.OneOf(STEP_TARGETS, error="Kies orientatie, opleiding of uitgevallen."),
    )
    date = fields.Date(load_default=None)
    reason = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(DROPOUT_REASONS, error="Kies een reden van uitval."),
    )


class AttendanceInSchema(NoBsnSchema):
    week = fields.Integer(required=True, validate=validate.Range(1, 52, error="Kies een week."))
    presence = fields.String(
        required=True, validate=validate.OneOf(PRESENCE, error="Kies aanwezig, deels of afwezig.")
    )


class OtherCertificateSchema(NoBsnSchema):
    code = fields.String(required=True, validate=validate.Length(2, 40))
    obtained_on = fields.Date(required=True)
    valid_until = fields.Date(load_default=None, allow_none=True)
    issuer = fields.String(load_default=None, allow_none=True, validate=_text(200))


class CompletionFieldsSchema(NoBsnSchema):
    """The praktijkverklaring: school (bevoegd gezag), leerbedrijf and its SBB id, crebo and
    kwalificatie, the werkprocessen (from the training's list) and the judgement date."""

    school = fields.String(required=True, validate=_text(200))
    leerbedrijf = fields.String(required=True, validate=_text(200))
    sbb_id = fields.String(
        required=True,
        validate=validate.Regexp(r"^\d{1,12}$", error="Een SBB-leerbedrijfnummer heeft alleen cijfers."),
    )
    crebo = fields.String(
        required=True, validate=validate.Regexp(r"^\d{5}$", error="Een crebo-code heeft 5 cijfers.")
    )
    kwalificatie = fields.String(required=True, validate=_text(200))
    werkprocessen = fields.List(
        fields.String(validate=_werkproces),
        required=True,
        validate=validate.Length(1, 40, error="Kies minstens één werkproces."),
    )
    judged_on = fields.Date(required=True)
    other_certificates = fields.List(fields.Nested(OtherCertificateSchema), load_default=list)


class CompletionSchema(CompletionFieldsSchema):
    initials = fields.String(
        required=True, validate=validate.Length(2, 30, error="Vul voorletters in, zoals J.A.")
    )


class CohortPersonSchema(NoBsnSchema):
    enrolment_id = fields.Integer(required=True, validate=_ID)
    initials = fields.String(
        required=True, validate=validate.Length(2, 30, error="Vul voorletters in, zoals J.A.")
    )


class CohortCompletionSchema(CompletionFieldsSchema):
    people = fields.List(
        fields.Nested(CohortPersonSchema),
        required=True,
        validate=validate.Length(1, 200, error="Kies minstens één deelnemer."),
    )


class AttendanceSchema(Schema):
    week = fields.Integer()
    presence = fields.String()


class EnrolmentSchema(Schema):
    id = fields.Integer()
    programme_id = fields.String(
        metadata={"description": "the resident's programme id; only for staff (jobcoach, beheerder)"}
    )
    pseudonym = fields.String(
        metadata={
            "description": "for the trainer (opleider) instead of programme_id: its pseudonym of the "
            "resident for this training slot, the one on the candidate card (K-XXXX-XXXX)"
        }
    )
    slot_id = fields.Integer()
    proposal_id = fields.Integer(allow_none=True)
    source = fields.String()
    status = fields.String()
    reason_code = fields.String(allow_none=True)
    registered_on = fields.Date()
    orientation_on = fields.Date(allow_none=True)
    started_on = fields.Date(allow_none=True)
    ended_on = fields.Date(allow_none=True)
    attendance = fields.List(fields.Nested(AttendanceSchema))
    updated_at = fields.DateTime()


class CertificateSchema(Schema):
    """A certificate in the staff list (docs/contracts/credentials.md)."""

    id = fields.Integer()
    verification_code = fields.String()
    verification_url = fields.String()
    kind = fields.String()
    status = fields.String(metadata={"enum": ["valid", "revoked"]})
    issued_on = fields.Date()
    valid_until = fields.Date(allow_none=True)
    initials = fields.String()
    issuer = fields.String()
    crebo = fields.String(allow_none=True)
    kwalificatie = fields.String(allow_none=True)
    werkprocessen = fields.List(fields.String())
    programme_id = fields.String(
        metadata={"description": "the resident's programme id; only for staff (jobcoach, beheerder)"}
    )
    pseudonym = fields.String(
        metadata={
            "description": "for the trainer (opleider) instead of programme_id: its pseudonym of the "
            "resident for this training slot, the one on the candidate card (K-XXXX-XXXX)"
        }
    )
    enrolment_id = fields.Integer(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    revoked_reason = fields.String(allow_none=True)


class CertificateQueryArgsSchema(QueryArgsSchema):
    """Filters (`page` and `page_size` come with the pagination)."""

    status = fields.String(load_default=None, validate=validate.OneOf(("valid", "revoked")))


class RevokeSchema(NoBsnSchema):
    reason = fields.String(
        required=True, validate=validate.OneOf(REVOKE_REASONS, error="Kies een reden uit de lijst.")
    )
