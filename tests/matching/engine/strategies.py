"""Hypothesis strategies for small instances of both kinds, dense in edge cases (equal dates)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from .reference import LEVELS

CERTS = ["vca_basis", "bhv", "vol_vca"]
OCCUPATIONS = ["isolatiemonteur", "energiefixer", "laadpaalmonteur"]
SKILLS = ["meten", "gereedschap", "boren", "klantcontact"]
WIJKEN = ["wielwijk", "crabbehof", "overig_dordrecht", "buiten_dordrecht"]
BASE = date(2027, 3, 1)


def day(offset: int) -> str:
    return (BASE + timedelta(days=offset)).isoformat()


@st.composite
def pairs_instance(draw: st.DrawFn) -> dict[str, Any]:
    n_res = draw(st.integers(1, 7))
    n_op = draw(st.integers(1, 4))
    keys = draw(
        st.lists(st.tuples(st.integers(0, n_res - 1), st.integers(0, n_op - 1)), unique=True, max_size=20)
    )
    # Few distinct scores, so ties (where greedy and optimum part ways) are common.
    scores = draw(
        st.lists(
            st.sampled_from([0.1, 0.25, 0.5, 0.55, 0.7, 0.9, 1.0]),
            min_size=len(keys),
            max_size=len(keys),
        )
    )
    return {
        "format": "instap.pairs/1",
        "residents": [f"r{i}" for i in range(n_res)],
        "openings": [{"id": f"t{i}", "capacity": draw(st.integers(0, 3))} for i in range(n_op)],
        "pairs": {
            "resident": [k[0] for k in keys],
            "opening": [k[1] for k in keys],
            "score": scores,
        },
    }


def _level(draw: st.DrawFn, nullable: bool) -> str | None:
    choices: list[str | None] = [None, None, None, *LEVELS[:4]] if nullable else list(LEVELS)
    return draw(st.sampled_from(choices))


def _mostly(draw: st.DrawFn, value: bool) -> bool:
    """A yes/no that is `value` three times in four, so enough pairs stay feasible."""
    return draw(st.sampled_from([value, value, value, not value]))


@st.composite
def resident(draw: st.DrawFn, i: int) -> dict[str, Any]:
    certs = [
        {"code": c, "valid_until": day(draw(st.integers(-5, 120)))} if draw(st.booleans()) else {"code": c}
        for c in draw(st.lists(st.sampled_from(CERTS), unique=True))
    ]
    return {
        "id": f"r{i}",
        "wijk": draw(st.sampled_from([*WIJKEN, None])),
        "language": {"spoken": _level(draw, False), "written": _level(draw, False)},
        "certificates": certs,
        "driving_licence": _mostly(draw, True),
        "hours_per_week": draw(st.sampled_from([16, 24, 32.5, 40])),
        "available_from": day(draw(st.integers(0, 30))),
        "interests": draw(st.lists(st.sampled_from(OCCUPATIONS), unique=True)),
        "skills": draw(st.lists(st.sampled_from(SKILLS), unique=True)),
        "work_at_height": _mostly(draw, True),
        "heavy_work": _mostly(draw, True),
    }


@st.composite
def requires(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "certificates": draw(st.lists(st.sampled_from(CERTS), unique=True, max_size=1)),
        "language_spoken": _level(draw, True),
        "language_written": _level(draw, True),
        "driving_licence": _mostly(draw, False),
        "work_at_height": _mostly(draw, False),
        "heavy_work": _mostly(draw, False),
    }


@st.composite
def task(draw: st.DrawFn, i: int) -> dict[str, Any]:
    return {
        "id": f"t{i}",
        "kind": "task",
        "occupation": draw(st.sampled_from(OCCUPATIONS)),
        "capacity": draw(st.integers(0, 3)),
        "wijk": draw(st.sampled_from(WIJKEN)),
        "start_date": day(draw(st.integers(0, 90))),
        "hours_per_week": draw(st.sampled_from([8, 16, 24, 32])),
        "skills": draw(st.lists(st.sampled_from(SKILLS), unique=True, max_size=3)),
        "requires": draw(requires()),
    }


@st.composite
def training(draw: st.DrawFn, i: int) -> dict[str, Any]:
    req = draw(requires())
    return {
        "id": f"s{i}",
        "kind": "training",
        "occupation": draw(st.sampled_from(OCCUPATIONS)),
        "capacity": draw(st.integers(0, 3)),
        "start_date": day(draw(st.integers(0, 20))),
        "weeks": draw(st.integers(1, 5)),
        "grants": draw(st.lists(st.sampled_from(CERTS), unique=True, max_size=2)),
        "requires": req,
    }


@st.composite
def match_instance(draw: st.DrawFn, max_residents: int = 6, pathways: bool = False) -> dict[str, Any]:
    """With `pathways`, residents hold no certificates and every training grants one or more."""
    n_res = draw(st.integers(1, max_residents))
    n_task = draw(st.integers(1, 4))
    n_train = draw(st.integers(1 if pathways else 0, 3))
    residents = [draw(resident(i)) for i in range(n_res)]
    trainings = [draw(training(i)) for i in range(n_train)]
    if pathways:
        for r in residents:
            r["certificates"] = []
        for s in trainings:
            s["grants"] = draw(st.lists(st.sampled_from(CERTS), unique=True, min_size=1))
            s["requires"]["certificates"] = []
    return {
        "format": "instap.match/1",
        "date": day(0),
        "residents": residents,
        "openings": [draw(task(i)) for i in range(n_task)] + trainings,
    }
