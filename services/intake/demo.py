"""Demo residents for Dordt West (Faker nl_NL), created through the real use cases."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from faker import Faker
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.intake.domain import consent, funnel, residents
from services.intake.models import Resident
from shared import clock, reference
from shared.auth.accounts import Principal
from shared.auth.cache import Staff
from shared.auth.models import User
from shared.config import Settings
from shared.db import Database

# PC4 areas used for demo addresses (the real PC4 -> wijk table is reference data).
DEMO_PC4 = {
    "oud_krispijn": "3313",
    "nieuw_krispijn": "3314",
    "wielwijk": "3317",
    "crabbehof": "3318",
    "overig_dordrecht": "3311",
    "buiten_dordrecht": "3351",
}
WIJK_WEIGHTS = {
    "oud_krispijn": 22,
    "nieuw_krispijn": 22,
    "wielwijk": 25,
    "crabbehof": 23,
    "overig_dordrecht": 6,
    "buiten_dordrecht": 2,
}
# How far demo residents got in the funnel (index into the funnel order; 0 = only registered).
DEPTH_WEIGHTS = [10, 30, 10, 15, 12, 15, 8]
EXIT_CHANCE = 0.08
BATCH = 50


def _profile(fake: Faker, rng: random.Random) -> dict:
    wijk = rng.choices(list(WIJK_WEIGHTS), weights=list(WIJK_WEIGHTS.values()))[0]
    occupations = reference.codes("occupations")
    certs = []
    if rng.random() < 0.3:
        obtained = clock.today() - timedelta(days=rng.randint(30, 3000))
        certs.append(
            {"code": "vca_basis", "obtained_on": obtained, "valid_until": obtained + timedelta(days=3650)}
        )
    if rng.random() < 0.35:
        certs.append({"code": "rijbewijs_b", "obtained_on": None, "valid_until": None})
    levels = reference.LANGUAGE_LEVELS
    spoken = rng.choices(levels, weights=[3, 8, 15, 20, 12, 5, 2, 35])[0]
    written_index = max(0, levels.index(spoken) - rng.randint(0, 2))
    profile: dict[str, Any] = {
        "first_name": fake.first_name(),
        "last_name": fake.last_name(),
        "phone": "06" + "".join(str(rng.randint(0, 9)) for _ in range(8)),
        "email": fake.free_email() if rng.random() < 0.7 else None,
        "street": fake.street_name(),
        "house_number": str(rng.randint(1, 220)),
        "postcode": f"{DEMO_PC4[wijk]} {fake.random_uppercase_letter()}{rng.choice('ABCDEGHJKLMNPRTVWXZ')}",
        "city": "Dordrecht" if wijk != "buiten_dordrecht" else "Zwijndrecht",
        "wijk": wijk,
        "birth_year": rng.randint(1962, clock.today().year - 17),
        "gender": rng.choices(reference.GENDERS, weights=[55, 40, 2, 3])[0],
        "participatieladder": rng.randint(1, 5),
        "language": {"spoken": spoken, "written": levels[written_index]},
        "certificates": certs,
        "driving_licence": any(c["code"] == "rijbewijs_b" for c in certs),
        "own_transport": rng.random() < 0.5,
        "hours_per_week": rng.choice([16, 20, 24, 32, 36, 40]),
        "days": rng.sample(reference.DAYS[:5], rng.randint(3, 5)),
        "available_from": clock.today() + timedelta(days=rng.randint(-30, 60)),
        "interests": rng.sample(occupations, rng.randint(1, 3)),
        "skills": rng.sample(reference.codes("skills"), rng.randint(1, 4)),
        "work_experience": rng.choice(
            [None, "Magazijnwerk", "Schoonmaak", "Bouwplaats, 2 jaar", "Horeca", "Thuiszorg (vrijwilliger)"]
        ),
        "barriers": rng.sample(reference.BARRIERS, rng.choice([0, 0, 1, 2])),
        "income": rng.choice(reference.INCOME_CODES),
        "work_at_height": rng.random() < 0.6,
        "heavy_work": rng.random() < 0.5,
    }
    # Every demo resident has a phone number, most an e-mail address; about four in ten of those
    # prefer e-mail. Taken from the drawn phone number, not from rng: the rest of the demo stays
    # as it was.
    prefers_email = profile["email"] is not None and int(profile["phone"][-1]) < 4
    profile["contact_preference"] = "e-mail" if prefers_email else "telefoon"
    return profile


def journey(rng: random.Random, start: str) -> list[tuple[str, str | None]]:
    """A random walk through the funnel that takes only steps the transition table allows.

    The walk goes forward (each time to the nearest later stage the table allows) up to a
    drawn depth, and sometimes ends with a side exit that is allowed from where it stopped.
    Nothing here names a path: change the table and the demo follows it.
    """
    order = reference.FUNNEL_ORDER
    depth = rng.choices(range(len(order)), weights=DEPTH_WEIGHTS[: len(order)])[0]
    steps: list[tuple[str, str | None]] = []
    current = start
    while order.index(current) < depth:
        forward = [
            s
            for s in reference.STAGE_TRANSITIONS.get(current, ())
            if s in order and order.index(s) > order.index(current)
        ]
        if not forward:
            break
        current = min(forward, key=order.index)
        steps.append((current, None))
    if steps and rng.random() < EXIT_CHANCE:
        exits = [s for s in reference.STAGE_TRANSITIONS.get(current, ()) if s in reference.EXIT_STAGES]
        if exits:
            exit_stage = rng.choice(exits)
            reason = rng.choice(reference.DROPOUT_REASONS) if exit_stage == "uitgevallen" else None
            steps.append((exit_stage, reason))
    return steps


def _seed_one(s: Session, a: Session, coach: Principal, fake: Faker, rng: random.Random) -> None:
    """One demo resident through the real use cases: intake, consent, a walk through the funnel."""
    registered = residents_create(s, Staff.from_session(a), coach, _profile(fake, rng))
    resident = residents.load_registered(s, registered)
    grants = [("registratie", "schriftelijk")]
    for purpose, chance in (
        ("delen_opleider", 0.85),
        ("delen_werkgever", 0.75),
        ("follow_up", 0.7),
        ("onderzoek", 0.4),
    ):
        if rng.random() < chance:
            grants.append((purpose, rng.choice(reference.CONSENT_METHODS)))
    consent.give_many(s, coach, resident, grants, "2026-01")
    funnel.walk(s, coach, resident, journey(rng, resident.stage))


def seed(settings: Settings, residents: int = 300, *, random_seed: int = 505) -> str:
    db = Database(settings.database_url("intake"), "intake")
    accounts = Database(settings.database_url("accounts"), "accounts")
    try:
        with db.unit_of_work() as s:
            if (s.scalar(select(func.count()).select_from(Resident)) or 0) > 0:
                return "intake: demo residents already present"
        with accounts.unit_of_work() as a:
            coaches = [
                Principal(u.id, u.name, u.role, u.organisation_id, u.organisation.name, "session")
                for u in a.scalars(select(User).where(User.role == "jobcoach"))
            ]
        if not coaches:
            return "intake: no coaches, no residents"
        fake = Faker("nl_NL")
        Faker.seed(random_seed)
        rng = random.Random(random_seed)
        # A few dozen residents per transaction: each one still goes through the real use cases,
        # but a commit per resident made a large demo slow on SQLite (one fsync per commit).
        for first in range(0, residents, BATCH):
            with db.unit_of_work() as s, accounts.unit_of_work() as a:
                for i in range(first, min(first + BATCH, residents)):
                    _seed_one(s, a, coaches[i % len(coaches)], fake, rng)
        return f"intake: {residents} demo residents"
    finally:
        db.dispose()
        accounts.dispose()


residents_create = residents.create
