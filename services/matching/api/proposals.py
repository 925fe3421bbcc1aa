"""API: proposals and their lifecycle (coach with the resident, then the organisation)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import select

from services.matching.api import schemas as s
from services.matching.domain import proposals, pseudonyms
from services.matching.models import Candidate, Proposal
from shared.api import Blueprint, page_of
from shared.auth.accounts import Principal
from shared.auth.roles import AANNEMER, BEHEERDER, JOBCOACH, OPLEIDER
from shared.auth.web import require_principal, roles_required
from shared.web import commit, db_session

blp = Blueprint(
    "proposals",
    __name__,
    url_prefix="/api/v1/proposals",
    description="Proposals: coaches see their residents', organisations a pseudonymous card",
)
ORGANISATIONS = (AANNEMER, OPLEIDER)


def _out(principal: Principal, items: list[Proposal]) -> Any:
    """Organisations get the separate card schema: a pseudonym of their own for this opening,
    never the programme id, and the profile only while consent lets matching share it; coaches
    the full proposal."""
    if principal.role in ORGANISATIONS:
        by_id = {
            c.programme_id: c
            for c in db_session()
            .query(Candidate)
            .filter(Candidate.programme_id.in_([p.programme_id for p in items]))
        }
        out = []
        for p in items:
            candidate = by_id.get(p.programme_id)
            out.append(
                {
                    **{
                        k: getattr(p, k)
                        for k in (
                            "id",
                            "task_id",
                            "slot_id",
                            "score",
                            "explanation_nl",
                            "status",
                            "organisation_reason",
                            "updated_at",
                        )
                    },
                    "pseudonym": pseudonyms.for_proposal(p),
                    "candidate": candidate if proposals.card_visible(candidate, p) else None,
                }
            )
        return s.OrganisationProposalSchema(many=True).dump(out)
    return s.ProposalSchema(many=True).dump(items)


@blp.route("")
class Proposals(MethodView):
    @roles_required(JOBCOACH, BEHEERDER, AANNEMER, OPLEIDER)
    @blp.arguments(s.ProposalQueryArgsSchema, location="query")
    @blp.response_one_of(200, s.ProposalSchema, s.OrganisationProposalSchema, many=True)
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> Any:
        """Proposals you may see; organisations only for their own tasks or slots. Paged."""
        principal = require_principal()
        query = proposals.visible(select(Proposal), principal)
        if args["status"]:
            query = query.where(Proposal.status == args["status"])
        if args["programme_id"]:
            query = query.where(Proposal.programme_id == args["programme_id"])
        if args["task_id"]:
            query = query.where(Proposal.task_id == args["task_id"])
        if args["slot_id"]:
            query = query.where(Proposal.slot_id == args["slot_id"])
        return _out(principal, page_of(db_session(), query.order_by(Proposal.id), pagination_parameters))


@blp.route("/<int:proposal_id>")
class ProposalItem(MethodView):
    @roles_required(JOBCOACH, BEHEERDER, AANNEMER, OPLEIDER)
    @blp.response_one_of(200, s.ProposalSchema, s.OrganisationProposalSchema)
    def get(self, proposal_id: int) -> Any:
        principal = require_principal()
        return _out(principal, [proposals.get(db_session(), principal, proposal_id)])[0]


@blp.route("/<int:proposal_id>/coach-decision")
class CoachDecision(MethodView):
    @roles_required(JOBCOACH, BEHEERDER)
    @blp.arguments(s.DecisionSchema)
    @blp.response(200, s.ProposalSchema)
    def post(self, data: dict[str, Any], proposal_id: int) -> Any:
        """The coach, with the resident, accepts or rejects (reason code)."""
        principal = require_principal()
        session = db_session()
        proposal = proposals.coach_decides(
            session, principal, proposals.get(session, principal, proposal_id), data["accept"], data["reason"]
        )
        commit()
        return proposal


@blp.route("/<int:proposal_id>/decision")
class OrganisationDecision(MethodView):
    @roles_required(AANNEMER, OPLEIDER, BEHEERDER)
    @blp.arguments(s.DecisionSchema)
    @blp.response_one_of(200, s.ProposalSchema, s.OrganisationProposalSchema)
    def post(self, data: dict[str, Any], proposal_id: int) -> Any:
        """The contractor or trainer accepts (takes a place, 409 when full) or declines."""
        principal = require_principal()
        session = db_session()
        proposal = proposals.organisation_decides(
            session, principal, proposals.get(session, principal, proposal_id), data["accept"], data["reason"]
        )
        commit()
        return _out(principal, [proposal])[0]


@blp.route("/<int:proposal_id>/start")
class ConfirmStart(MethodView):
    @roles_required(AANNEMER, OPLEIDER, BEHEERDER)
    @blp.errors(422)  # a task's start before the task's start date needs a reason (placements)
    @blp.response_one_of(200, s.ProposalSchema, s.OrganisationProposalSchema)
    def post(self, proposal_id: int) -> Any:
        """The organisation confirms the start (task) or enrolment (training)."""
        principal = require_principal()
        session = db_session()
        proposal = proposals.confirm_start(session, principal, proposals.get(session, principal, proposal_id))
        commit()
        return _out(principal, [proposal])[0]
