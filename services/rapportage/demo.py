"""Demo facts for `make run`: a synthetic history fed through the consumer's own handlers.

Intake's demo residents reach rapportage as real events through the outbox once the workers run
(their registrations and funnel steps). Placements, certificates, follow-ups and ladder steps come
from matching and intake as well, but demo residents are new and have none yet; so that every
report shows something on the first run, a synthetic cohort (programme ids `DEMO-…`, which exist
nowhere else) is fed through the same event handlers, plus outreach activities. Nothing else.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from services.rapportage.domain.consumer import prefetch
from services.rapportage.domain.facts import KNOWN, FactStore
from services.rapportage.models import OutreachActivity, Person
from shared import clock
from shared.auth.models import Organisation
from shared.config import Settings
from shared.db import Database

FUNNEL = ("aangemeld", "intake", "orientatie", "opleiding", "gecertificeerd", "geplaatst", "duurzaam")
GO_ON = (0.85, 0.75, 0.8, 0.8, 0.7, 0.6)  # chance to reach the next stage
WIJKEN = (
    ("oud_krispijn", 3),
    ("nieuw_krispijn", 3),
    ("wielwijk", 4),
    ("crabbehof", 4),
    ("overig_dordrecht", 1),
)
GENDERS = (("man", 6), ("vrouw", 4), ("anders", 0.2), ("onbekend", 0.3))
AGE_BANDS = (("15-25", 3), ("25-45", 5), ("45-65", 3), ("65+", 0.2))
OCCUPATIONS = (
    "isolatiemonteur",
    "hulpmonteur_zonnepanelen",
    "grondwerker_warmtenet",
    "energiefixer",
    "laadpaalmonteur",
)
PROJECTS = (
    "Crabbehof – Leefbaar, Veilig en Duurzaam",
    "Wielwijk warmtenet fase 1",
    "Oud-Krispijn zonnedaken",
)
CORPORATIONS = ("Trivire", "Woonbron")
CONTRACTS = ("bbl", "bepaalde_tijd", "proefplaatsing")
DEMO_PERSONS = 200  # enough for every report to show numbers above the threshold
DEMO_BATCH = 400  # events per transaction
OUTREACH_KINDS = ("informatiebijeenkomst", "huisbezoeken", "open_dag_beroepentuin", "wijkmarkt", "spreekuur")


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


class _Seq:
    def __init__(self) -> None:
        self.n: dict[str, int] = {}

    def env(self, event_type: str, payload: dict[str, Any], subject: str) -> dict[str, Any]:
        self.n[subject] = self.n.get(subject, 0) + 1
        # Python values as the consumer's handlers receive them after `load_payload` (the shapes
        # are the contracts of shared/events.py; tests/rapportage feeds checked envelopes).
        return {"type": event_type, "seq": self.n[subject], "subject": subject, "payload": payload}


def history(
    persons: int, start: date, end: date, contractors: list[int], trainer: int, seed: int = 505
) -> Iterator[dict[str, Any]]:
    """Event envelopes (type, seq, payload) of a synthetic cohort registering between start and end."""
    rng = random.Random(seed)
    seq = _Seq()
    now = datetime.combine(end, datetime.min.time(), tzinfo=UTC)
    span = (end - start).days
    ids = {"placement": 0, "certificate": 0, "enrolment": 0, "proposal": 0, "followup": 0}

    def next_id(kind: str) -> int:
        ids[kind] += 1
        return ids[kind]

    for i in range(persons):
        pid = f"DEMO-{i:06d}"
        attrs = {"wijk": _pick(rng, WIJKEN), "gender": _pick(rng, GENDERS), "age_band": _pick(rng, AGE_BANDS)}
        at = datetime.combine(start + timedelta(days=rng.randrange(span)), datetime.min.time(), tzinfo=UTC)
        at += timedelta(hours=rng.randrange(8, 17))
        furthest = 0
        while furthest < 6 and rng.random() < GO_ON[furthest]:
            furthest += 1
        moments = [at]
        for _ in range(furthest):
            moments.append(moments[-1] + timedelta(days=rng.randrange(7, 45)))
        moments = [m for m in moments if m < now]
        furthest = len(moments) - 1
        for n, moment in enumerate(moments):
            yield seq.env(
                "stage.changed",
                {
                    "programme_id": pid,
                    "from_stage": FUNNEL[n - 1] if n else None,
                    "to_stage": FUNNEL[n],
                    "reason_code": None,
                    "changed_at": moment,
                    **attrs,
                },
                pid,
            )
        if furthest < 6 and rng.random() < 0.3 and moments[-1] + timedelta(days=30) < now:
            yield seq.env(
                "stage.changed",
                {
                    "programme_id": pid,
                    "from_stage": FUNNEL[furthest],
                    "to_stage": "uitgevallen",
                    "reason_code": rng.choice(("motivatie", "vervoer", "werk_elders", "onbekend")),
                    "changed_at": moments[-1] + timedelta(days=30),
                    **attrs,
                },
                pid,
            )
        if furthest >= 1:
            trede = rng.randint(1, 4)
            yield seq.env(
                "ladder.measured",
                {"programme_id": pid, "trede": trede, "source": "intake", "measured_at": moments[1]},
                pid,
            )
        if furthest >= 2:  # a task proposal; a contractor's yes for those who are placed
            proposal = next_id("proposal")
            steps = ["voorgesteld"]
            if furthest >= 5:
                steps += ["coach_akkoord", "aannemer_akkoord"]
            elif rng.random() < 0.5:
                steps += ["coach_akkoord", rng.choice(("aannemer_afgewezen", "coach_akkoord"))]
            org = rng.choice(contractors)
            for k, status in enumerate(dict.fromkeys(steps)):
                yield seq.env(
                    "proposal.changed",
                    {
                        "proposal_id": proposal,
                        "programme_id": pid,
                        "status": status,
                        "kind": "task",
                        "opening_id": 1,
                        "organisation_id": org,
                        "opening_title": "Instaptaak",
                        "changed_at": moments[2] + timedelta(days=k + 1),
                    },
                    f"proposal:{proposal}",
                )
        if furthest >= 3:
            enrolment = next_id("enrolment")
            for status, moment in (("opleiding", moments[3]), ("afgerond", moments[min(4, furthest)])):
                yield seq.env(
                    "enrolment.changed",
                    {
                        "enrolment_id": enrolment,
                        "programme_id": pid,
                        "slot_id": 1,
                        "organisation_id": trainer,
                        "training": rng.choice(("Leerwerktraject isolatie", "Leerwerktraject zonnepanelen")),
                        "crebo": "25470",
                        "status": status,
                        "changed_at": moment,
                    },
                    f"enrolment:{enrolment}",
                )
        if furthest >= 4:
            for kind in ("vca_basis", "praktijkverklaring")[: rng.randint(1, 2)]:
                certificate = next_id("certificate")
                yield seq.env(
                    "certificate.changed",
                    {
                        "certificate_id": certificate,
                        "programme_id": pid,
                        "kind": kind,
                        "certificate_code": kind,
                        "training": "Leerwerktraject isolatie" if kind == "praktijkverklaring" else None,
                        "crebo": "25470" if kind == "praktijkverklaring" else None,
                        "organisation_id": trainer,
                        "status": "valid",
                        "issued_on": moments[4].date(),
                        "changed_at": moments[4],
                    },
                    f"certificate:{certificate}",
                )
        if furthest >= 5:
            placement = next_id("placement")
            started = moments[5].date()
            fields = {
                "placement_id": placement,
                "programme_id": pid,
                "task_id": 1,
                "organisation_id": rng.choice(contractors),
                "corporation": rng.choice(CORPORATIONS),
                "project": rng.choice(PROJECTS),
                "occupation": rng.choice(OCCUPATIONS),
                "contract_type": rng.choice(CONTRACTS),
                "sroi_tag": rng.choice(("SROI 2025", "SROI 2026")),
            }
            yield seq.env(
                "placement.changed",
                {**fields, "status": "gestart", "started_on": started, "changed_at": moments[5]},
                f"placement:{placement}",
            )
            for month in (6, 12):
                due = started + timedelta(days=30 * month)
                if due >= end:
                    break
                working = "ja" if furthest >= 6 and (month == 6 or rng.random() < 0.8) else "nee"
                yield seq.env(
                    "followup.recorded",
                    {
                        "followup_id": next_id("followup"),
                        "programme_id": pid,
                        "placement_id": placement,
                        "month": month,
                        "due_on": due,
                        "recorded_on": due,
                        "still_working": working,
                        "changed_at": datetime.combine(due, datetime.min.time(), tzinfo=UTC),
                    },
                    pid,
                )
                yield seq.env(
                    "ladder.measured",
                    {
                        "programme_id": pid,
                        "trede": min(6, max(1, trede + rng.randint(-1, 3))),
                        "source": "follow_up",
                        "measured_at": datetime.combine(due, datetime.min.time(), tzinfo=UTC),
                    },
                    pid,
                )


def apply_history(db: Database, store: FactStore, events: list[dict[str, Any]]) -> int:
    """Apply generated events through the fact handlers, in transactions of a few hundred events
    whose rows are read and locked in bulk first, as the worker's batches are (consumer.prefetch):
    a session holding thousands of objects makes every flush slow, and one event at a time asks
    the same rows again and again."""
    handlers = store.handlers()
    for i in range(0, len(events), DEMO_BATCH):
        chunk = events[i : i + DEMO_BATCH]
        with db.unit_of_work() as s:
            prefetch(s, store, [(env, env["payload"]) for env in chunk])
            for env in chunk:
                handlers[env["type"]](s, env["payload"], env)
            s.info.pop(KNOWN, None)
    return len(events)


def demo_organisations(accounts: Database) -> tuple[list[int], int]:
    """The demo's contractors and its trainer (0 stands in for one that does not exist)."""
    with accounts.unit_of_work() as a:
        orgs = {o.kind: o.id for o in a.scalars(select(Organisation))}
        contractors = [o.id for o in a.scalars(select(Organisation).where(Organisation.kind == "aannemer"))]
    return contractors or [0], orgs.get("opleider", 0)


def seed(settings: Settings, residents: int = 300) -> str:
    db = Database(settings.database_url("rapportage"), "rapportage")
    accounts = Database(settings.database_url("accounts"), "accounts")
    try:
        with db.unit_of_work() as s:
            if (s.scalar(select(func.count()).select_from(OutreachActivity)) or 0) > 0:
                return "rapportage: demo facts already present"
        contractors, trainer = demo_organisations(accounts)
        with accounts.unit_of_work() as a:
            bureau = a.scalar(select(Organisation.id).where(Organisation.kind == "programma")) or 0
        end = clock.today()
        start = date(end.year - 1, 1, 1)
        store = FactStore(settings.ensure_hash_key())
        count = apply_history(db, store, list(history(DEMO_PERSONS, start, end, contractors, trainer)))
        with db.unit_of_work() as s:
            rng = random.Random(7)
            for _ in range(60):
                s.add(
                    OutreachActivity(
                        held_on=start + timedelta(days=rng.randrange((end - start).days)),
                        wijk=_pick(rng, WIJKEN),
                        kind=rng.choice(OUTREACH_KINDS),
                        reached=rng.randrange(5, 80),
                        description="Demo-activiteit",
                        organisation_id=bureau,
                    )
                )
            persons = s.scalar(select(func.count()).select_from(Person))
        return f"rapportage: {count} demo events for {persons} persons, 60 outreach activities"
    finally:
        db.dispose()
        accounts.dispose()
