"""Reports: parse a request, check who may see it, build the protected document(s).

`fetch` is the one door every format goes through (page, API, CSV, XLSX, PDF, pack), so every
output carries the same numbers and the same suppression.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from services.rapportage.domain.reports import derived
from services.rapportage.domain.reports.catalog import REPORTS, Report, document, get_report
from services.rapportage.domain.reports.query import ReportQuery, parse_by, parse_period, parse_threshold
from shared.auth.accounts import Principal
from shared.auth.roles import AANNEMER, BEHEERDER, PROGRAMMABUREAU
from shared.errors import Forbidden, Invalid
from shared.metrics import REPORT_SECONDS

REPORT_ROLES = (PROGRAMMABUREAU, BEHEERDER)
STATISTICS = ("time_to_placement",)
ALL_REPORTS = (*REPORTS, *STATISTICS)

__all__ = [
    "ALL_REPORTS",
    "REPORTS",
    "REPORT_ROLES",
    "Report",
    "ReportQuery",
    "fetch",
    "parse",
    "visible_reports",
]


def visible_reports(principal: Principal) -> list[str]:
    if principal.has_role(*REPORT_ROLES):
        return list(ALL_REPORTS)
    if principal.has_role(AANNEMER):
        return [name for name, r in REPORTS.items() if r.contractor_may_see]
    return []


def parse(
    name: str, args: Mapping[str, Any], principal: Principal, default_threshold: int
) -> tuple[str, ReportQuery]:
    """The checked request: 404 for an unknown report, 403 for a role that may not see it, 422
    for a bad period, breakdown or threshold."""
    if name in STATISTICS:
        report: Report = REPORTS["retention"]
        max_by, default_by = 1, tuple[str, ...]()
    else:
        report = get_report(name)
        max_by, default_by = report.max_by, report.default_by
    if name not in visible_reports(principal):
        raise Forbidden("U heeft met uw rol geen toegang tot dit rapport.")
    start, end = parse_period(args)
    by = parse_by(args.get("by"), report.breakdowns, max_by, default_by)
    if name in REPORTS and len(by) < report.min_by:
        raise Invalid("Niet alle gegevens zijn goed ingevuld.", {"by": ["Kies minstens één uitsplitsing."]})
    threshold = parse_threshold(args.get("threshold"), default_threshold)
    organisation = None if principal.has_role(*REPORT_ROLES) else principal.organisation_id
    return name, ReportQuery(start, end, by, threshold, organisation)


def fetch(session: Session, name: str, q: ReportQuery) -> dict[str, Any]:
    """The published document of one report (time to placement: its statistic document)."""
    with REPORT_SECONDS.labels(kind=name).time():
        if name == "time_to_placement":
            return derived.time_to_placement(session, q)
        doc = document(session, REPORTS[name], q)
    if name == "placements" and q.organisation_id is not None:
        doc["notes"].append("Alleen plaatsingen bij uw eigen organisatie.")
    return doc
