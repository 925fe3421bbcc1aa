"""Demo supply for Dordt West: entry tasks of the demo contractor and slots of de Beroepentuin."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from services.matching.models import Task, TrainingSlot
from shared import clock
from shared.auth.models import Organisation
from shared.config import Settings
from shared.db import Database, utcnow
from shared.states import OpeningStatus

PROJECTS = [
    "Crabbehof – Leefbaar, Veilig en Duurzaam",
    "Wielwijk warmtenet fase 1",
    "Nieuw-Krispijn isolatie portiekflats",
    "Oud-Krispijn zonnedaken",
]
TASKS = [
    ("Hulpmonteur zonnepanelen", "hulpmonteur_zonnepanelen", ["vca_basis"], "A2", True, False),
    ("Isolatiemonteur spouwmuren", "isolatiemonteur", ["vca_basis"], "A2", False, True),
    ("Grondwerker warmtenet", "grondwerker_warmtenet", ["vca_basis"], "A1", False, True),
    (
        "Assistent warmtepomp (zonder koelcircuit)",
        "assistent_installateur_warmtepomp",
        [],
        "B1",
        False,
        False,
    ),
    ("Energiefixer huisbezoeken", "energiefixer", [], "B1", False, False),
    ("Laadpaalmonteur in opleiding", "laadpaalmonteur", ["vca_basis"], "A2", False, False),
    ("Hulp steigerbouw", "steigerbouw_hulp", ["vca_basis"], "A1", True, True),
]


def seed(settings: Settings, residents: int = 0) -> str:
    db = Database(settings.database_url("matching"), "matching")
    accounts = Database(settings.database_url("accounts"), "accounts")
    try:
        with db.unit_of_work() as s:
            if (s.scalar(select(func.count()).select_from(Task)) or 0) > 0:
                return "matching: demo supply already present"
        with accounts.unit_of_work() as a:
            orgs = {o.kind: o.id for o in a.scalars(select(Organisation))}
        if "aannemer" not in orgs or "opleider" not in orgs:
            return "matching: no demo organisations"
        rng = random.Random(505)
        today = clock.today()
        now = utcnow()
        with db.unit_of_work() as s:
            for i in range(12):
                title, occupation, certs, level, height, heavy = TASKS[i % len(TASKS)]
                s.add(
                    Task(
                        organisation_id=orgs["aannemer"],
                        title=title,
                        occupation=occupation,
                        corporation=rng.choice(["Trivire", "Woonbron"]),
                        project=rng.choice(PROJECTS),
                        wijk=rng.choice(["oud_krispijn", "nieuw_krispijn", "wielwijk", "crabbehof"]),
                        site=None,
                        start_date=today + timedelta(days=30 + 7 * i),
                        end_date=today + timedelta(days=210 + 7 * i),
                        hours_per_week=rng.choice([24, 32]),
                        places=rng.randint(1, 4),
                        filled=0,
                        contract_type=rng.choice(["bbl", "proefplaatsing"]),
                        req_certificates=certs,
                        req_language_spoken=level,
                        req_work_at_height=height,
                        req_heavy_work=heavy,
                        skills=["gereedschap"],
                        werkprocessen=["B1-K1-W1"],
                        sroi_tag="SROI-DW-2027",
                        status=OpeningStatus.OPEN,
                        created_at=now,
                        updated_at=now,
                    )
                )
            for j, (name, occupations) in enumerate(
                [
                    ("VCA en zonnepanelen", ["hulpmonteur_zonnepanelen", "laadpaalmonteur"]),
                    ("Isoleren en VCA", ["isolatiemonteur"]),
                    ("Werken in de grond (warmtenet)", ["grondwerker_warmtenet", "steigerbouw_hulp"]),
                ]
            ):
                s.add(
                    TrainingSlot(
                        organisation_id=orgs["opleider"],
                        name=name,
                        occupations=occupations,
                        grants=["vca_basis", "praktijkverklaring"],
                        crebo="25398",
                        werkprocessen=["B1-K1-W1", "B1-K1-W2"],
                        start_date=today + timedelta(days=7 + 7 * j),
                        weeks=4 + j,
                        seats=8,
                        site="De Beroepentuin, Dordrecht",
                        min_language_spoken="A1",
                        vca_exam_included=True,
                        filled=0,
                        status=OpeningStatus.OPEN,
                        created_at=now,
                        updated_at=now,
                    )
                )
        return "matching: 12 demo tasks, 3 training slots"
    finally:
        db.dispose()
        accounts.dispose()


# Running entry tasks (started months ago) that the demo placements belong to.
RUNNING_TASKS = [
    ("Hulpmonteur zonnepanelen Wielwijk", "hulpmonteur_zonnepanelen", "wielwijk", "SROI-TRIVIRE-2026-03"),
    ("Isolatiemonteur portiekflats", "isolatiemonteur", "nieuw_krispijn", "SROI-WOONBRON-2026-11"),
    ("Grondwerker warmtenet Crabbehof", "grondwerker_warmtenet", "crabbehof", "SROI-TRIVIRE-2026-03"),
]
END_REASONS = ["contract_afgelopen", "vast_werk_elders", "zelf_gestopt"]


def adopt_newest_profiles(session: Any, intake: Database, programme_ids: list[str]) -> None:
    """Demo only: apply each resident's newest published profile now, as matching's worker
    would, and mark their older events as applied (SubjectProgress), before the demo builds
    proposals, enrolments or placements on them. Otherwise the worker, starting later, would
    replay each resident's history in order, and an early profile without consent (or an old
    removal) would end the demo's enrolments and placements as a real withdrawal does."""
    from services.intake.models import OutboxEvent as IntakeOutbox
    from services.matching.jobs import HANDLERS
    from services.matching.models import SubjectProgress
    from shared.events import load_payload

    wanted = set(programme_ids)
    newest: dict[str, Any] = {}
    with intake.unit_of_work() as s:
        for row in s.scalars(
            select(IntakeOutbox)
            .where(IntakeOutbox.subject.in_(wanted), IntakeOutbox.seq.is_not(None))
            .order_by(IntakeOutbox.subject, IntakeOutbox.seq)
        ):
            newest[row.subject] = (row.seq, row.type, row.version, json.loads(row.payload))
    for subject, (seq, type_, version, payload) in newest.items():
        if type_ in HANDLERS:
            HANDLERS[type_](session, load_payload(type_, version, payload), {})
        progress = session.get(SubjectProgress, subject)
        if progress is None:
            session.add(SubjectProgress(subject=subject, seq=seq, updated_at=utcnow()))
        else:
            progress.seq = max(progress.seq, seq)
    session.flush()


def _placed_residents(settings: Settings) -> list[tuple[str, int, str]]:
    """Demo only: which demo residents are placed, as intake's demo made them (programme id,
    coach, stage). The one place a seeder looks across a service boundary: the services
    themselves learn of each other only by events and APIs; this builds the matching side of
    a history that intake's demo already tells."""
    from services.intake.models import ConsentRecord, Resident

    intake = Database(settings.database_url("intake"), "intake")
    try:
        with intake.unit_of_work() as s:
            sharing = select(ConsentRecord.resident_id).where(
                ConsentRecord.purpose == "delen_werkgever", ConsentRecord.withdrawn_at.is_(None)
            )
            rows = s.execute(
                select(Resident.programme_id, Resident.coach_id, Resident.stage)
                .where(Resident.stage.in_(("geplaatst", "duurzaam")), Resident.id.in_(sharing))
                .order_by(Resident.id)
            ).all()
            return [(r[0], r[1], r[2]) for r in rows if r[1] is not None]
    finally:
        intake.dispose()


def seed_placements(settings: Settings, residents: int = 0) -> str:
    """Placements (agreed, started, ended) for the placed demo residents, through the real use
    cases: matching writes placement.changed events, and intake's worker turns the starts into
    follow-ups (some due now) as soon as `make run` starts it."""
    from services.matching.domain import placements
    from services.matching.models import Placement, Proposal
    from shared.auth.accounts import Principal

    db = Database(settings.database_url("matching"), "matching")
    accounts = Database(settings.database_url("accounts"), "accounts")
    try:
        with db.unit_of_work() as s:
            if (s.scalar(select(func.count()).select_from(Placement)) or 0) > 0:
                return "matching: demo placements already present"
        with accounts.unit_of_work() as a:
            org = a.scalar(select(Organisation).where(Organisation.kind == "aannemer"))
            if org is None:
                return "matching: no demo contractor"
            contractor = Principal(None, "Demo-aannemer", "aannemer", org.id, org.name, "session")
        people = _placed_residents(settings)[:24]
        if not people:
            return "matching: no placed demo residents"
        rng = random.Random(909)
        today = clock.today()
        now = utcnow()
        intake = Database(settings.database_url("intake"), "intake")
        try:
            with db.unit_of_work() as s:
                adopt_newest_profiles(s, intake, [p[0] for p in people])
        finally:
            intake.dispose()
        with db.unit_of_work() as s:
            tasks = []
            for title, occupation, wijk, tag in RUNNING_TASKS:
                task = Task(
                    organisation_id=org.id,
                    title=title,
                    occupation=occupation,
                    corporation="Trivire" if "TRIVIRE" in tag else "Woonbron",
                    project=rng.choice(PROJECTS),
                    wijk=wijk,
                    site=None,
                    start_date=today - timedelta(days=330),
                    end_date=today + timedelta(days=400),
                    hours_per_week=32,
                    places=len(people) + 2,
                    filled=0,
                    contract_type="bepaalde_tijd",
                    req_certificates=["vca_basis"],
                    req_language_spoken="A2",
                    skills=["gereedschap"],
                    werkprocessen=["B1-K1-W1"],
                    sroi_tag=tag,
                    status="open",
                    created_at=now,
                    updated_at=now,
                )
                s.add(task)
                tasks.append(task)
            s.flush()
            counts = {"afgesproken": 0, "gestart": 0, "beeindigd": 0}
            for i, (programme_id, coach_id, stage) in enumerate(people):
                task = tasks[i % len(tasks)]
                proposal = Proposal(
                    programme_id=programme_id,
                    opening_key=f"task:{task.id}",
                    task_id=task.id,
                    coach_id=coach_id,
                    score=0.8,
                    explanation={},
                    explanation_nl="Demo: eerder gekoppeld",
                    status="aannemer_akkoord",
                    created_at=now,
                    updated_at=now,
                )
                s.add(proposal)
                task.filled += 1
                s.flush()
                placement = placements.agree(s, proposal, task)
                placement.wage_subsidy = rng.random() < 0.4
                placement.jobcoach_support = rng.random() < 0.6
                if i % 8 == 7 and stage == "geplaatst":
                    counts["afgesproken"] += 1  # agreed, the contractor still has to confirm the start
                    continue
                # Duurzaam residents started long ago; the others weeks to months ago, so their
                # +1, +3 or +6 months follow-up is due now.
                days_ago = (
                    rng.randint(200, 320) if stage == "duurzaam" else rng.choice([35, 40, 95, 100, 190])
                )
                placements.confirm_start(
                    s, contractor, placement, today - timedelta(days=days_ago), None, today=today
                )
                if i % 8 == 3:
                    ended = today - timedelta(days=rng.randint(1, min(20, days_ago)))
                    placements.end(s, contractor, placement, ended, rng.choice(END_REASONS), today=today)
                    counts["beeindigd"] += 1
                else:
                    counts["gestart"] += 1
        return (
            f"matching: {len(people)} demo placements "
            f"({counts['gestart']} working, {counts['afgesproken']} agreed, {counts['beeindigd']} ended)"
        )
    finally:
        db.dispose()
        accounts.dispose()
