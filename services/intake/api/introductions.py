"""API: introductions for organisations (name and one contact channel; every read logged)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import fields, validate

from services.intake.domain import introductions
from shared.api import Blueprint, NoBsnSchema, Schema
from shared.auth.roles import AANNEMER, OPLEIDER
from shared.auth.web import require_principal, roles_required
from shared.reference import CONTACT_CHANNELS
from shared.web import commit, db_session

blp = Blueprint(
    "introductions",
    __name__,
    url_prefix="/api/v1/introductions",
    description="Residents introduced to your organisation after both sides accepted",
)


class IntroductionQueryArgsSchema(NoBsnSchema):
    proposal_ids = fields.List(
        fields.Integer(validate=validate.Range(1, 2**31 - 1)),
        data_key="proposal_id",
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "only these proposals (repeat the parameter, at most 200)"},
    )


class ContactSchema(Schema):
    channel = fields.String(
        metadata={"enum": list(CONTACT_CHANNELS), "description": "the one channel the resident chose"}
    )
    value = fields.String(metadata={"description": "that phone number or e-mail address"})


class IntroductionSchema(Schema):
    """No programme id or pseudonym: only the proposal id of the one card it belongs to (that card's
    pseudonym is for that opening alone), so nothing links it to other cards or organisations."""

    proposal_id = fields.Integer()
    name = fields.String()
    first_name = fields.String(allow_none=True)
    initials = fields.String(allow_none=True, metadata={"description": "for a certificate, e.g. J.P."})
    contact = fields.Nested(ContactSchema)
    opening_title = fields.String()
    granted_at = fields.DateTime()


@blp.route("")
class Introductions(MethodView):
    @roles_required(AANNEMER, OPLEIDER)
    @blp.arguments(IntroductionQueryArgsSchema, location="query")
    @blp.response(200, IntroductionSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Only while the resident's consent to share with you is active."""
        items = introductions.visible(db_session(), require_principal(), "api", args["proposal_ids"])
        commit()
        return items
