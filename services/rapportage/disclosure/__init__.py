"""Disclosure control for report tables (`instap.table/1`): pure computation, no Flask, no DB.

    table = funnel_table(persons, date(2026, 1, 1), date(2026, 12, 31), by=("wijk", "gender"))
    document = publish(table, Policy(threshold=5), report=REPORT, title=TITLE,
                       period_from=date(2026, 1, 1), period_to=date(2026, 12, 31))

`suppress`/`suppress_views` choose the statuses, `build_document` writes the JSON, `audit` attacks
published documents independently, and `check_rules` checks rules 1-4 given the true counts.
See docs/rapportage.md and docs/contracts/report-table.md.
"""

from .audit import CUMULATIVE, AuditError, AuditReport, CountRange, audit
from .document import FORMAT, build_document, dumps, footnote
from .errors import DisclosureError
from .funnel import (
    AGE_BANDS,
    BREAKDOWNS,
    GENDERS,
    REPORT,
    STAGES,
    TITLE,
    WIJKEN,
    FunnelPerson,
    exactly,
    funnel_spec,
    funnel_table,
    furthest_stage,
    parse_by,
)
from .publish import DisclosureLeak, publish, publish_views, verify
from .rules import Finding, check_rules
from .suppress import (
    MIN_THRESHOLD,
    Policy,
    ProtectedTable,
    PublishedCell,
    Stats,
    Status,
    round_to,
    suppress,
    suppress_views,
)
from .table import STAR, Cell, Dimension, Key, Table, TableSpec

__all__ = [
    "AGE_BANDS",
    "BREAKDOWNS",
    "CUMULATIVE",
    "FORMAT",
    "GENDERS",
    "MIN_THRESHOLD",
    "REPORT",
    "STAGES",
    "STAR",
    "TITLE",
    "WIJKEN",
    "AuditError",
    "AuditReport",
    "Cell",
    "CountRange",
    "Dimension",
    "DisclosureError",
    "DisclosureLeak",
    "Finding",
    "FunnelPerson",
    "Key",
    "Policy",
    "ProtectedTable",
    "PublishedCell",
    "Stats",
    "Status",
    "Table",
    "TableSpec",
    "audit",
    "build_document",
    "check_rules",
    "dumps",
    "exactly",
    "footnote",
    "funnel_spec",
    "funnel_table",
    "furthest_stage",
    "parse_by",
    "publish",
    "publish_views",
    "round_to",
    "suppress",
    "suppress_views",
    "verify",
]
