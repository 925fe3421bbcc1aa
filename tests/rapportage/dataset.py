"""A small fixed dataset with numbers computed by hand (tests/rapportage/test_reports.py).

19 persons register in 2026 (one of them at 00:30 on 1 January Amsterdam time, which is still
31 December in UTC): 11 in Wielwijk (women, 25-45) and 8 in Crabbehof (men, 45-65); one more
registered in 2025 is outside the period.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.rapportage.disclosure import FunnelPerson
from tests.rapportage.events import Feed

W = {"wijk": "wielwijk", "gender": "vrouw", "age_band": "25-45"}
C = {"wijk": "crabbehof", "gender": "man", "age_band": "45-65"}
FUNNEL = ["aangemeld", "intake", "orientatie", "opleiding", "gecertificeerd", "geplaatst", "duurzaam"]
# person -> (attributes, registered at, furthest stage index)
PERSONS: dict[str, tuple[dict[str, str], datetime, int]] = {}
for i in range(1, 11):
    furthest = {1: 6, 2: 6, 3: 6, 4: 5, 5: 4, 6: 3, 7: 2, 8: 2, 9: 1, 10: 1}[i]
    PERSONS[f"DW-P{i}"] = (W, datetime(2026, 3, i, 9, tzinfo=UTC), furthest)
for i in range(1, 9):
    PERSONS[f"DW-Q{i}"] = (C, datetime(2026, 3, 10 + i, 9, tzinfo=UTC), 2 if i <= 4 else 1)
PERSONS["DW-R1"] = (W, datetime(2025, 12, 31, 23, 30, tzinfo=UTC), 0)  # 1 January in Amsterdam
PERSONS["DW-R0"] = (W, datetime(2025, 12, 31, 22, 30, tzinfo=UTC), 3)  # 31 December: outside

PERIOD = {"from": "2026-01-01", "to": "2026-12-31"}
HAND = {
    "funnel": {"aangemeld": 19, "intake": 18, "orientatie": 12, "opleiding": 6,
               "gecertificeerd": 5, "geplaatst": 4, "duurzaam": 3},
    "funnel_by_wijk": {
        ("wielwijk", "aangemeld"): 11, ("wielwijk", "intake"): 10, ("wielwijk", "orientatie"): 8,
        ("crabbehof", "aangemeld"): 8, ("crabbehof", "intake"): 8, ("crabbehof", "orientatie"): 4,
        ("crabbehof", "opleiding"): 0,
    },
    "placements_by_contractor": {"1": 4, "2": 0, "*": 4},
    "certificates_by_kind": {"vca_basis": 5, "bhv": 0, "*": 5},
    "retention": {"gestart": 4, "na_6_maanden": 3, "na_6_en_12_maanden": 2},
    "ladder": {"lager": 1, "gelijk": 1, "een_hoger": 1, "twee_of_meer_hoger": 2, "*": 5},
    "fairness_by_gender": {
        ("vrouw", "aangemeld"): 11, ("vrouw", "voorgesteld"): 6, ("vrouw", "naar_aannemer"): 5,
        ("vrouw", "aannemer_akkoord"): 4, ("vrouw", "geplaatst"): 4,
        ("man", "aangemeld"): 8, ("man", "voorgesteld"): 2, ("man", "naar_aannemer"): 1,
        ("man", "aannemer_akkoord"): 0, ("man", "geplaatst"): 0,
    },
    "outreach": {("wielwijk", "2026-03", "activiteiten"): 3, ("wielwijk", "2026-03", "bereikt"): 60,
                 ("crabbehof", "2026-04", "activiteiten"): 1, ("crabbehof", "2026-04", "bereikt"): 15,
                 ("*", "*", "bereikt"): 75},
}  # fmt: skip


def _t(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def events() -> list[dict[str, Any]]:
    feed = Feed()
    out: list[dict[str, Any]] = []
    for pid, (attrs, registered, furthest) in PERSONS.items():
        out.append(feed.stage(pid, "aangemeld", registered, **attrs))
        for n in range(1, furthest + 1):
            out.append(
                feed.stage(pid, FUNNEL[n], registered + timedelta(days=n), from_stage=FUNNEL[n - 1], **attrs)
            )
    start = date(2026, 5, 1)
    for i in range(1, 5):  # P1..P4 start at contractor 1; P1 later also at contractor 2
        pid = f"DW-P{i}"
        out.append(feed.placement(i, pid, "afgesproken", _t(date(2026, 4, 20))))
        out.append(feed.placement(i, pid, "gestart", _t(start), started_on=start))
    out.append(
        feed.placement(
            9, "DW-P1", "gestart", _t(date(2026, 6, 1)), organisation_id=2, started_on=date(2026, 6, 1)
        )
    )
    out.append(feed.placement(10, "DW-Q1", "afgesproken", _t(date(2026, 6, 1))))
    for i in range(1, 6):
        out.append(feed.certificate(i, f"DW-P{i}", date(2026, 4, 1), _t(date(2026, 4, 1))))
    out.append(feed.certificate(20, "DW-P1", date(2026, 7, 1), _t(date(2026, 7, 1)), kind="bhv"))
    out.append(feed.certificate(21, "DW-Q2", date(2026, 4, 1), _t(date(2026, 4, 2)), status="revoked"))
    for i in range(1, 5):
        working6 = "ja" if i <= 3 else "nee"
        out.append(
            feed.followup(100 + i, f"DW-P{i}", i, 6, working6, date(2026, 11, 1), _t(date(2026, 11, 1)))
        )
        if i <= 2:
            out.append(
                feed.followup(200 + i, f"DW-P{i}", i, 12, "ja", date(2026, 12, 1), _t(date(2026, 12, 1)))
            )
    for i, later in zip(range(1, 6), (5, 3, 2, 1, 4), strict=True):
        out.append(feed.ladder(f"DW-P{i}", 2, "intake", _t(date(2026, 3, 20))))
        out.append(feed.ladder(f"DW-P{i}", later, "follow_up", _t(date(2026, 11, 2))))
    out.append(feed.ladder("DW-P6", 2, "intake", _t(date(2026, 3, 20))))
    n = 0
    for i in range(1, 7):
        steps = ["voorgesteld", "coach_akkoord", "aannemer_akkoord"][: 3 if i <= 4 else 2 if i == 5 else 1]
        n += 1
        for k, status in enumerate(steps):
            out.append(feed.proposal(n, f"DW-P{i}", status, _t(date(2026, 4, 10 + k))))
    for i, steps in ((1, ["voorgesteld", "coach_akkoord", "aannemer_afgewezen"]), (2, ["voorgesteld"])):
        n += 1
        for k, status in enumerate(steps):
            out.append(feed.proposal(n, f"DW-Q{i}", status, _t(date(2026, 4, 10 + k))))
    n += 1
    out.append(feed.proposal(n, "DW-Q3", "voorgesteld", _t(date(2026, 4, 10)), kind="training"))
    return out


OUTREACH = [
    {"held_on": "2026-03-05", "wijk": "wielwijk", "kind": "informatiebijeenkomst", "reached": 20},
    {"held_on": "2026-03-12", "wijk": "wielwijk", "kind": "huisbezoeken", "reached": 30},
    {"held_on": "2026-03-19", "wijk": "wielwijk", "kind": "open_dag_beroepentuin", "reached": 10},
    {"held_on": "2026-04-02", "wijk": "crabbehof", "kind": "informatiebijeenkomst", "reached": 15},
]


def funnel_persons(key: Any) -> list[FunnelPerson]:
    """The same persons as the core's reference implementation reads them."""
    out = []
    for pid, (attrs, registered, furthest) in PERSONS.items():
        reached = {FUNNEL[n]: registered + timedelta(days=n) for n in range(1, furthest + 1)}
        out.append(
            FunnelPerson(key(pid), registered, attrs["wijk"], attrs["gender"], attrs["age_band"], reached)
        )
    return out
