"""Demo supply for Dordt West: entry tasks of the demo contractor and slots of de Beroepentuin."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import func, select

from services.matching.models import Task, TrainingSlot
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
        today = date.today()
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
