"""The demo cohorts: completed and running cohorts, certificates with one revoked, all events in
the outbox (so intake receives them like real ones); seeding twice adds nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from services.intake import demo as intake_demo
from services.matching import demo as matching_demo
from services.matching import demo_cohorts
from services.matching.models import Certificate, Enrolment, OutboxEvent
from shared.auth.accounts import get_or_create_organisation


def test_demo_cohorts_have_completions_dropouts_and_one_revoked_certificate(
    settings, make_user, matching_app, accounts_db
):
    make_user("jobcoach")
    with accounts_db.unit_of_work() as a:
        get_or_create_organisation(a, "De Beroepentuin", "opleider")
        get_or_create_organisation(a, "Demo Installatiebedrijf", "aannemer")
    intake_demo.seed(settings, residents=90)
    matching_demo.seed(settings)
    summary = demo_cohorts.seed(settings)
    assert "3 demo cohorts" in summary, summary
    assert demo_cohorts.seed(settings) == "matching: demo cohorts already present"
    with matching_app.extensions["instap"].db.unit_of_work() as s:
        states = dict(s.execute(select(Enrolment.status, func.count()).group_by(Enrolment.status)).all())
        assert states["afgerond"] == 8 and states["uitgevallen"] == 2 and states["opleiding"] == 4
        assert (
            s.scalar(select(func.count()).select_from(Certificate).where(Certificate.revoked_at.is_not(None)))
            == 1
        )
        events = dict(s.execute(select(OutboxEvent.type, func.count()).group_by(OutboxEvent.type)).all())
        assert events["certificate.changed"] == 16 + 1 and events["enrolment.changed"] > 16
