"""Numbers derived from published documents (fairness rates) or with a minimum group size
(time to placement): nothing here can tell more than the protected tables already do.

- Fairness rates are computed from the *published* fairness document only: a rate is given where
  both its counts are shown; a group is flagged when its rate is below four fifths of the best
  group's rate and at least `min_persons` stand behind both rates (the four-fifths rule).
- Time from registration to placement: median and quartiles per group, only for groups with at
  least `min_persons` persons; otherwise nothing (not even the group's size).
"""

from __future__ import annotations

import statistics
from typing import Any

from sqlalchemy.orm import Session

from services.rapportage.domain.reports import sources
from services.rapportage.domain.reports.catalog import PERSON_CATEGORIES
from services.rapportage.domain.reports.query import ReportQuery

FOUR_FIFTHS = 0.8
# (rate, numerator step, denominator step)
RATES = (
    ("voorstel", "voorgesteld", "aangemeld"),
    ("akkoord_aannemer", "aannemer_akkoord", "naar_aannemer"),
    ("plaatsing", "geplaatst", "aangemeld"),
)
RATE_LABELS = {
    "voorstel": "kreeg een voorstel",
    "akkoord_aannemer": "aannemer zei ja (van wie werd voorgesteld aan de aannemer)",
    "plaatsing": "begon aan een instapbaan",
}


def min_persons(threshold: int) -> int:
    """The fewest persons behind a rate or a median: twice the threshold, at least 10."""
    return max(10, 2 * threshold)


def _shown(document: dict[str, Any]) -> dict[tuple[str, str], int]:
    group = document["dimensions"][0]
    return {
        (c["key"][group], c["key"]["step"]): c["value"] for c in document["cells"] if c["status"] == "shown"
    }


def fairness_rates(document: dict[str, Any]) -> dict[str, Any]:
    """Rates and four-fifths flags per group, from the published fairness document alone."""
    group = document["dimensions"][0]
    shown = _shown(document)
    enough = min_persons(document["threshold"])
    out: dict[str, Any] = {"group": group, "min_persons": enough, "rates": []}
    for rate, top, bottom in RATES:
        rows = []
        for category in document["categories"][group]:
            num, den = shown.get((category, top)), shown.get((category, bottom))
            value = num / den if num is not None and den else None
            rows.append({"group": category, "rate": value, "persons": den if value is not None else None})
        eligible = [r for r in rows if r["rate"] is not None and r["persons"] >= enough]
        best = max((r["rate"] for r in eligible), default=None)
        for r in rows:
            r["flag"] = bool(best and r in eligible and r["rate"] < FOUR_FIFTHS * best)
            if r["rate"] is not None:
                r["rate"] = round(r["rate"], 4)
        out["rates"].append(
            {
                "rate": rate,
                "label": RATE_LABELS[rate],
                "best": round(best, 4) if best else None,
                "groups": rows,
            }
        )
    return out


def time_to_placement(session: Session, q: ReportQuery) -> dict[str, Any]:
    """Days from registration to the first placement started in the period, per group."""
    enough = min_persons(q.threshold)
    by = q.by[0] if q.by else None
    days: dict[str, list[int]] = {}
    for group, registered, started in sources.time_to_placement_rows(session, q):
        days.setdefault(group, []).append((started - registered).days)
    groups = [*(PERSON_CATEGORIES[by] if by else ()), "*"]
    all_days = [d for values in days.values() for d in values]
    rows = []
    for g in groups:
        values = all_days if g == "*" else days.get(g, [])
        if len(values) >= enough:
            q1, median, q3 = statistics.quantiles(sorted(values), n=4, method="inclusive")
            rows.append({"group": g, "enough": True, "q1": q1, "median": median, "q3": q3})
        else:
            rows.append({"group": g, "enough": False, "q1": None, "median": None, "q3": None})
    return {
        "format": "instap.statistic/1",
        "report": "time_to_placement",
        "title": "Tijd van aanmelding tot plaatsing (dagen)",
        "period": {"from": q.start.isoformat(), "to": q.end.isoformat()},
        "unit": "days",
        "by": by,
        "min_persons": enough,
        "groups": rows,
        "notes": [
            f"Mediaan en kwartielen staan er alleen bij groepen van minstens {enough} personen.",
        ],
    }
