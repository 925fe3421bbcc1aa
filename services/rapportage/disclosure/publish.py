"""From a table to a published, audited document: suppress, build, and attack the result.

The issue asks for suppression "followed by the LP audit of its own output": `publish` runs the
independent auditor (`audit.py`) on the document it is about to hand out, with the true counts,
and refuses to return a document in which any small count can be narrowed down.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from .audit import AuditReport, audit
from .document import build_document
from .suppress import Policy, ProtectedTable, suppress, suppress_views
from .table import Key, Table


class DisclosureLeak(RuntimeError):
    """The auditor found a small count that the published document lets an attacker narrow down."""

    def __init__(self, report: AuditReport) -> None:
        found = report.violations()
        super().__init__(f"{len(found)} kleine aantallen af te leiden, o.a. {found[0].describe()}")
        self.report = report


def verify(documents: Sequence[dict[str, Any]], protected: Sequence[ProtectedTable]) -> AuditReport:
    """Attack the documents together with their true counts; raise DisclosureLeak on any finding."""
    report = audit(*documents, truth=[p.truth() for p in protected])
    if report.violations():
        raise DisclosureLeak(report)
    return report


def publish(
    table: Table,
    policy: Policy | None = None,
    *,
    report: str,
    title: str,
    period_from: date,
    period_to: date,
    unit: str = "persons",
    show: Iterable[Key] = (),
    hide: Iterable[Key] = (),
    check: bool = True,
) -> dict[str, Any]:
    """The protected document of one table (audited unless `check` is False)."""
    protected = suppress(table, policy, show=show, hide=hide)
    document = build_document(
        protected, report=report, title=title, period_from=period_from, period_to=period_to, unit=unit
    )
    if check:
        verify([document], [protected])
    return document


def publish_views(
    base: Table,
    views: Sequence[Sequence[str]],
    policy: Policy | None = None,
    *,
    report: str,
    titles: Sequence[str],
    period_from: date,
    period_to: date,
    unit: str = "persons",
    check: bool = True,
) -> list[dict[str, Any]]:
    """The documents of several views of one table, suppressed and audited together."""
    protected = suppress_views(base, views, policy)
    documents = [
        build_document(p, report=report, title=t, period_from=period_from, period_to=period_to, unit=unit)
        for p, t in zip(protected, titles, strict=True)
    ]
    if check:
        verify(documents, protected)
    return documents
