"""Who may see and edit which resident: coaches their own caseload, a beheerder everything."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from services.intake.models import Resident
from shared.auth.accounts import Principal
from shared.auth.roles import BEHEERDER, JOBCOACH
from shared.errors import Forbidden, NotFound

INTAKE_ROLES = (JOBCOACH, BEHEERDER)


def scope(query: Select, principal: Principal) -> Select:
    """Limit a resident query to what this principal may see."""
    query = query.where(Resident.erased_at.is_(None))
    if principal.role == BEHEERDER:
        return query
    if principal.role == JOBCOACH:
        if principal.user_id is not None:
            return query.where(Resident.coach_id == principal.user_id)
        # A machine token of a coaching organisation sees that organisation's residents.
        return query.where(Resident.organisation_id == principal.organisation_id)
    raise Forbidden("Alleen jobcoaches en beheerders werken met deelnemers.")


def get_visible(session: Session, principal: Principal, programme_id: str) -> Resident:
    """The resident if this principal may see it; otherwise 404, so existence is not revealed."""
    resident = session.scalar(scope(select(Resident), principal).where(Resident.programme_id == programme_id))
    if resident is None:
        raise NotFound("Deze deelnemer is niet gevonden.")
    return resident
