"""Versioned event contracts between services (marshmallow schemas) and who subscribes to what."""

from __future__ import annotations

import functools
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from shared import reference
from shared.states import FUNNEL, PROPOSAL


class _EventSchema(ma.Schema):
    """An event contract. A field left out of a payload is loaded as its `load_default` and
    dumped as the same value, so that a dumped payload loads and dumps to itself: one check
    (`validate_payload`) is a dump and a load, not a dump, a load and a dump."""

    class Meta:
        unknown = ma.RAISE
        ordered = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if field.load_default is not ma.missing and field.dump_default is ma.missing:
                field.dump_default = field.load_default


class CertificateHeldSchema(_EventSchema):
    code = fields.String(required=True)
    valid_until = fields.Date(allow_none=True, load_default=None)


class LanguageSchema(_EventSchema):
    spoken = fields.String(allow_none=True, validate=validate.OneOf(reference.LANGUAGE_LEVELS))
    written = fields.String(allow_none=True, validate=validate.OneOf(reference.LANGUAGE_LEVELS))


class CandidateUpsertedV1(_EventSchema):
    """The pseudonymous profile matching needs: no name, contact or address (wijk and PC4 only)."""

    programme_id = fields.String(required=True)
    wijk = fields.String(required=True)
    pc4 = fields.String(allow_none=True)
    age_band = fields.String(required=True)
    stage = fields.String(required=True, validate=validate.OneOf(FUNNEL.values))
    language = fields.Nested(LanguageSchema, required=True)
    certificates = fields.List(fields.Nested(CertificateHeldSchema), required=True)
    driving_licence = fields.Boolean(required=True)
    own_transport = fields.Boolean(required=True)
    hours_per_week = fields.Integer(allow_none=True)
    days = fields.List(fields.String(), required=True)
    available_from = fields.Date(allow_none=True)
    interests = fields.List(fields.String(), required=True)
    skills = fields.List(fields.String(), required=True)
    work_at_height = fields.Boolean(required=True)
    heavy_work = fields.Boolean(required=True)
    consent = fields.Dict(keys=fields.String(), values=fields.Boolean(), required=True)
    updated_at = fields.DateTime(required=True)
    # The coach's account id (staff, not the resident): routes proposals to the right coach.
    coach_id = fields.Integer(allow_none=True, load_default=None)


class CandidateRemovedV1(_EventSchema):
    """The resident may no longer be shared (consent withdrawn, left, erased)."""

    programme_id = fields.String(required=True)
    reason = fields.String(
        required=True, validate=validate.OneOf(["toestemming_ingetrokken", "gewist", "gestopt"])
    )


class ConsentChangedV1(_EventSchema):
    programme_id = fields.String(required=True)
    purpose = fields.String(required=True, validate=validate.OneOf(reference.CONSENT_PURPOSES))
    active = fields.Boolean(required=True)
    changed_at = fields.DateTime(required=True)


class StageChangedV1(_EventSchema):
    """A funnel step, with the non-identifying attributes reports break down by."""

    programme_id = fields.String(required=True)
    from_stage = fields.String(allow_none=True, validate=validate.OneOf(FUNNEL.values))
    to_stage = fields.String(required=True, validate=validate.OneOf(FUNNEL.values))
    reason_code = fields.String(allow_none=True)
    changed_at = fields.DateTime(required=True)
    wijk = fields.String(required=True)
    age_band = fields.String(required=True)
    gender = fields.String(required=True)


class ResidentErasedV1(_EventSchema):
    programme_id = fields.String(required=True)
    erased_at = fields.DateTime(required=True)


class ProposalChangedV1(_EventSchema):
    """A proposal moved in its lifecycle; intake uses it to release an introduction."""

    proposal_id = fields.Integer(required=True)
    programme_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(PROPOSAL.values))
    kind = fields.String(required=True, validate=validate.OneOf(["task", "training"]))
    opening_id = fields.Integer(required=True)
    organisation_id = fields.Integer(required=True)
    opening_title = fields.String(required=True)
    leads_to_task_id = fields.Integer(allow_none=True, load_default=None)
    changed_at = fields.DateTime(required=True)


# --- From proposal to work (issue 9). Matching publishes these per subject (enrolment, certificate,
# placement) with the subject's version as `seq`; intake publishes follow-ups and ladder steps per
# resident. They carry the programme id (a pseudonym) and codes, never a name or contact.

ENROLMENT_STATES = ("aangemeld", "orientatie", "opleiding", "afgerond", "uitgevallen")
PLACEMENT_STATES = ("afgesproken", "gestart", "beeindigd", "geannuleerd")
FOLLOWUP_MONTHS = (1, 3, 6, 12)
STILL_WORKING = ("ja", "nee", "onbekend")


class EnrolmentChangedV1(_EventSchema):
    """An enrolment in a training slot (de Beroepentuin) moved to a new state."""

    enrolment_id = fields.Integer(required=True)
    programme_id = fields.String(required=True)
    slot_id = fields.Integer(required=True)
    organisation_id = fields.Integer(required=True)
    training = fields.String(required=True, metadata={"description": "the slot's title"})
    crebo = fields.String(allow_none=True, load_default=None)
    status = fields.String(required=True, validate=validate.OneOf(ENROLMENT_STATES))
    reason_code = fields.String(allow_none=True, load_default=None)
    proposal_id = fields.Integer(allow_none=True, load_default=None)
    started_on = fields.Date(allow_none=True, load_default=None)
    ended_on = fields.Date(allow_none=True, load_default=None)
    changed_at = fields.DateTime(required=True)


class CertificateChangedV1(_EventSchema):
    """A certificate was issued (status valid) or revoked; intake adds it to the profile."""

    certificate_id = fields.Integer(required=True)
    programme_id = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "praktijkverklaring or a code"})
    certificate_code = fields.String(
        allow_none=True, load_default=None, metadata={"description": "reference certificate code"}
    )
    training = fields.String(allow_none=True, load_default=None)
    crebo = fields.String(allow_none=True, load_default=None)
    organisation_id = fields.Integer(required=True)
    enrolment_id = fields.Integer(allow_none=True, load_default=None)
    status = fields.String(required=True, validate=validate.OneOf(["valid", "revoked"]))
    issued_on = fields.Date(required=True)
    valid_until = fields.Date(allow_none=True, load_default=None)
    revoked_at = fields.DateTime(allow_none=True, load_default=None)
    changed_at = fields.DateTime(required=True)


class PlacementChangedV1(_EventSchema):
    """A placement (an entry job) was agreed, started, ended or cancelled."""

    placement_id = fields.Integer(required=True)
    programme_id = fields.String(required=True)
    proposal_id = fields.Integer(allow_none=True, load_default=None)
    task_id = fields.Integer(required=True)
    organisation_id = fields.Integer(required=True)
    corporation = fields.String(allow_none=True, load_default=None)
    project = fields.String(allow_none=True, load_default=None)
    occupation = fields.String(allow_none=True, load_default=None)
    contract_type = fields.String(allow_none=True, load_default=None)
    hours_per_week = fields.Integer(allow_none=True, load_default=None)
    wage_subsidy = fields.Boolean(allow_none=True, load_default=None)
    jobcoach_support = fields.Boolean(allow_none=True, load_default=None)
    sroi_tag = fields.String(allow_none=True, load_default=None)
    status = fields.String(required=True, validate=validate.OneOf(PLACEMENT_STATES))
    planned_start = fields.Date(allow_none=True, load_default=None)
    started_on = fields.Date(allow_none=True, load_default=None)
    ended_on = fields.Date(allow_none=True, load_default=None)
    end_reason = fields.String(allow_none=True, load_default=None)
    changed_at = fields.DateTime(required=True)


class FollowUpRecordedV1(_EventSchema):
    """A coach recorded a follow-up (+1, +3, +6 or +12 months after a start)."""

    followup_id = fields.Integer(required=True)
    programme_id = fields.String(required=True)
    placement_id = fields.Integer(required=True)
    month = fields.Integer(required=True, validate=validate.OneOf(FOLLOWUP_MONTHS))
    due_on = fields.Date(required=True)
    recorded_on = fields.Date(required=True)
    still_working = fields.String(required=True, validate=validate.OneOf(STILL_WORKING))
    trede = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(1, 6))
    changed_at = fields.DateTime(required=True)


class LadderMeasuredV1(_EventSchema):
    """A Participatieladder step was measured (at intake or at a follow-up)."""

    programme_id = fields.String(required=True)
    trede = fields.Integer(required=True, validate=validate.Range(1, 6))
    source = fields.String(required=True, validate=validate.OneOf(["intake", "follow_up"]))
    measured_at = fields.DateTime(required=True)


# (type, version) -> schema. A new payload shape is a new version, never an edited one.
SCHEMAS: dict[tuple[str, int], type[ma.Schema]] = {
    ("candidate.upserted", 1): CandidateUpsertedV1,
    ("candidate.removed", 1): CandidateRemovedV1,
    ("consent.changed", 1): ConsentChangedV1,
    ("stage.changed", 1): StageChangedV1,
    ("resident.erased", 1): ResidentErasedV1,
    ("proposal.changed", 1): ProposalChangedV1,
    ("enrolment.changed", 1): EnrolmentChangedV1,
    ("certificate.changed", 1): CertificateChangedV1,
    ("placement.changed", 1): PlacementChangedV1,
    ("followup.recorded", 1): FollowUpRecordedV1,
    ("ladder.measured", 1): LadderMeasuredV1,
}

# Event type -> consuming services. Each consumer gets its own job per event.
# Services that do not exist yet are added with their consumer; the outbox keeps every
# event, so a new consumer can be back-filled with `instap outbox replay`.
SUBSCRIBERS: dict[str, tuple[str, ...]] = {
    "candidate.upserted": ("matching",),
    "candidate.removed": ("matching",),
    "consent.changed": ("matching",),
    "stage.changed": ("rapportage",),
    "resident.erased": ("matching", "rapportage"),
    "proposal.changed": ("intake", "rapportage"),
    # Issue 9: intake consumes certificates (it owns the profile and the stage); rapportage
    # consumes all of them into its fact store (issue 10).
    "enrolment.changed": ("rapportage",),
    # Intake owns the resident: the certificate joins the profile, so the next match run sees it.
    "certificate.changed": ("intake", "rapportage"),
    "placement.changed": ("intake", "rapportage"),
    "followup.recorded": ("rapportage",),
    "ladder.measured": ("rapportage",),
}


class UnknownEvent(ValueError):
    """An event type/version no schema describes."""


@functools.cache
def _schema(event_type: str, version: int) -> ma.Schema:
    """One schema instance per contract: building one deep-copies its fields, and loading and
    dumping keep no state, so every event of a type can share it."""
    schema_cls = SCHEMAS.get((event_type, version))
    if schema_cls is None:
        raise UnknownEvent(f"no schema for event {event_type} v{version}")
    return schema_cls()


def validate_payload(event_type: str, version: int, payload: dict[str, Any]) -> dict[str, Any]:
    """Check a payload against its contract and return its JSON-ready form."""
    schema = _schema(event_type, version)
    dumped = schema.dump(payload)
    schema.load(dumped)  # raises ValidationError; what it returns dumps to `dumped` again
    return dumped


def load_payload(event_type: str, version: int, payload: dict[str, Any]) -> dict[str, Any]:
    """Parse a received payload into Python values (dates, datetimes)."""
    return _schema(event_type, version).load(payload)
