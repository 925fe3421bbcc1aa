"""Demo cohorts of de Beroepentuin: two completed ones with praktijkverklaringen and B-VCA
certificates (one revoked, one dropout each) and one running with attendance, so `make run` shows
the cohort, certificate and verification pages with content.

Which residents: matching knows residents only from intake's events, and at seeding time the
worker has not relayed them yet. So this demo seeder reads the pseudonymous `candidate.upserted`
events intake has *published* (its outbox: exactly what matching will receive, no name or contact)
and picks residents who agreed to share with the trainer. It never reads intake's resident tables.
Enrolments come from proposals (status `ingeschreven`); their events go through the outbox like
real ones, so intake grants the introductions (the cohort page then shows first names) and takes
the certificates into the profiles. Initials on the demo certificates are made up (matching has no
names); real ones come from intake's introduction.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.intake.models import OutboxEvent as IntakeOutbox
from services.matching.credentials import allocate_index, generate
from services.matching.demo import adopt_newest_profiles
from services.matching.domain.certificates import PRAKTIJKVERKLARING, STATUS_LIST
from services.matching.domain.events import publish_certificate, publish_enrolment, publish_proposal
from services.matching.models import Attendance, Certificate, Enrolment, Proposal, TrainingSlot
from shared import clock
from shared.auth.models import Organisation
from shared.config import Settings
from shared.db import Database, utcnow

SCHOOL = "ROC Da Vinci College"
KWALIFICATIE = "Monteur elektrotechnische installaties"
LEERBEDRIJF = "De Beroepentuin"
SBB_ID = "100234567"
COHORTS = [
    # name, days ago it started, weeks, people, state
    ("VCA en zonnepanelen (najaar)", 150, 6, 5, "done"),
    ("Isoleren en VCA (zomer)", 230, 5, 5, "done"),
    ("VCA en zonnepanelen (nu)", 21, 6, 6, "running"),
]


def _sharing_residents(intake: Database) -> list[dict[str, Any]]:
    """Newest published profile per resident, of those who share with the trainer."""
    newest: dict[str, dict[str, Any]] = {}
    with intake.unit_of_work() as s:
        for row in s.scalars(
            select(IntakeOutbox)
            .where(IntakeOutbox.type.in_(("candidate.upserted", "candidate.removed")))
            .order_by(IntakeOutbox.created_at, IntakeOutbox.seq)
        ):
            payload = json.loads(row.payload)
            newest[payload["programme_id"]] = {"type": row.type, **payload}
    return [
        p
        for p in newest.values()
        if p["type"] == "candidate.upserted" and p["consent"].get("delen_opleider") and p.get("coach_id")
    ]


def _initials(rng: random.Random) -> str:
    return "".join(f"{rng.choice('ABDEFGHIJKLMNPRSTWY')}." for _ in range(rng.choice((1, 1, 2))))


def _enrol(
    s: Session, slot: TrainingSlot, person: dict[str, Any], registered: date, status: str
) -> Enrolment:
    proposal = Proposal(
        programme_id=person["programme_id"],
        opening_key=f"slot:{slot.id}",
        slot_id=slot.id,
        coach_id=person["coach_id"],
        score=0.8,
        explanation={"interesse": 0.5},
        explanation_nl="wil graag werken in de energietransitie",
        status="ingeschreven" if status != "aangemeld" else "aannemer_akkoord",
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    s.add(proposal)
    s.flush()
    publish_proposal(s, proposal, slot)
    enrolment = Enrolment(
        programme_id=person["programme_id"],
        slot_id=slot.id,
        proposal_id=proposal.id,
        coach_id=person["coach_id"],
        source="voorstel",
        status="aangemeld",
        registered_on=registered,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    s.add(enrolment)
    s.flush()
    enrolment.slot = slot
    publish_enrolment(s, enrolment)
    return enrolment


def _step(s: Session, enrolment: Enrolment, status: str, on: date, reason: str | None = None) -> None:
    if status == "orientatie":
        enrolment.orientation_on = on
    elif status == "opleiding":
        enrolment.started_on = on
    else:
        enrolment.ended_on = on
        enrolment.reason_code = reason
    enrolment.status = status
    s.flush()
    publish_enrolment(s, enrolment)


def _certify(
    s: Session, enrolment: Enrolment, slot: TrainingSlot, judged: date, rng: random.Random
) -> list[Certificate]:
    taken = set(s.scalars(select(Certificate.status_index)))
    initials = _initials(rng)
    made = []
    for kind in (PRAKTIJKVERKLARING, "vca_basis"):
        index = allocate_index(taken)
        taken.add(index)
        certificate = Certificate(
            verification_code=generate(),
            kind=kind,
            programme_id=enrolment.programme_id,
            enrolment_id=enrolment.id,
            organisation_id=slot.organisation_id,
            initials=initials,
            issuer_name=SCHOOL,
            leerbedrijf=LEERBEDRIJF,
            sbb_id=SBB_ID if kind == PRAKTIJKVERKLARING else None,
            crebo=slot.crebo if kind == PRAKTIJKVERKLARING else None,
            kwalificatie=KWALIFICATIE if kind == PRAKTIJKVERKLARING else None,
            werkprocessen=list(slot.werkprocessen) if kind == PRAKTIJKVERKLARING else [],
            judged_on=judged,
            issued_on=judged,
            valid_until=None
            if kind == PRAKTIJKVERKLARING
            else judged.replace(year=judged.year + 10) - timedelta(days=1),
            status_list=STATUS_LIST,
            status_index=index,
            created_at=utcnow(),
        )
        s.add(certificate)
        s.flush()
        publish_certificate(s, certificate, slot.name)
        made.append(certificate)
    return made


def seed(settings: Settings, residents: int = 0) -> str:
    db = Database(settings.database_url("matching"), "matching")
    intake = Database(settings.database_url("intake"), "intake")
    accounts = Database(settings.database_url("accounts"), "accounts")
    try:
        with db.unit_of_work() as s:
            if (s.scalar(select(func.count()).select_from(Enrolment)) or 0) > 0:
                return "matching: demo cohorts already present"
        with accounts.unit_of_work() as a:
            trainer_org = a.scalar(select(Organisation.id).where(Organisation.kind == "opleider"))
        people = _sharing_residents(intake)
        needed = sum(c[3] for c in COHORTS)
        if trainer_org is None or len(people) < needed:
            return "matching: too few residents who share with the trainer for demo cohorts"
        rng = random.Random(909)
        rng.shuffle(people)
        today = clock.today()
        certificates = enrolments = 0
        revoked = False
        with db.unit_of_work() as s:
            adopt_newest_profiles(s, intake, [p["programme_id"] for p in people[:needed]])
            for name, days_ago, weeks, size, state in COHORTS:
                start = today - timedelta(days=days_ago)
                slot = TrainingSlot(
                    organisation_id=trainer_org,
                    name=name,
                    occupations=["hulpmonteur_zonnepanelen"] if "zon" in name else ["isolatiemonteur"],
                    grants=["vca_basis", PRAKTIJKVERKLARING],
                    crebo="25398",
                    werkprocessen=["B1-K1-W1", "B1-K1-W2", "B1-K2-W1"],
                    start_date=start,
                    weeks=weeks,
                    seats=8,
                    filled=0,
                    site="De Beroepentuin, Dordrecht",
                    min_language_spoken="A1",
                    vca_exam_included=True,
                    status="gesloten" if state == "done" else "open",
                    created_at=utcnow(),
                    updated_at=utcnow(),
                )
                s.add(slot)
                s.flush()
                group, people = people[:size], people[size:]
                for k, person in enumerate(group):
                    e = _enrol(s, slot, person, start - timedelta(days=14), "opleiding")
                    enrolments += 1
                    slot.filled += 1
                    _step(s, e, "orientatie", start - timedelta(days=7))
                    if state == "running" and k >= 4:
                        continue  # still in orientation
                    _step(s, e, "opleiding", start)
                    for week in range(1, min(weeks, (today - start).days // 7) + 1):
                        s.add(
                            Attendance(
                                enrolment_id=e.id,
                                week=week,
                                presence=rng.choices(("aanwezig", "deels", "afwezig"), (8, 1, 1))[0],
                            )
                        )
                    if state == "running":
                        continue
                    if k == size - 1:  # one dropout per completed cohort
                        _step(
                            s,
                            e,
                            "uitgevallen",
                            start + timedelta(days=17),
                            rng.choice(("vervoer", "werk_elders")),
                        )
                        slot.filled -= 1
                        continue
                    judged = start + timedelta(weeks=weeks)
                    _step(s, e, "afgerond", judged)
                    made = _certify(s, e, slot, judged, rng)
                    certificates += len(made)
                    if not revoked:
                        made[0].revoked_at = utcnow()
                        made[0].revoked_reason = "fout_in_gegevens"
                        s.flush()
                        publish_certificate(s, made[0], slot.name)
                        revoked = True
        return (
            f"matching: {len(COHORTS)} demo cohorts, {enrolments} enrolments, "
            f"{certificates} certificates (1 revoked)"
        )
    finally:
        db.dispose()
        intake.dispose()
        accounts.dispose()
