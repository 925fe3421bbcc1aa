"""The `instap.table/1` JSON document of a protected table, exactly as the contract describes it.

Field order is fixed (format, report, title, period, unit, dimensions, categories, additive,
threshold, cells, notes), cells follow `TableSpec.cell_keys()`, and a cell carries `key`, `value`,
`status` and, when rounded, `rounded_to` -- nothing else, so that nothing tells the small hidden
cells from the others. The same protected table always gives the same document.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from .errors import DisclosureError
from .suppress import ProtectedTable, Status

FORMAT = "instap.table/1"


def footnote(threshold: int) -> str:
    return f"Aantallen onder {threshold} en cellen waaruit die af te leiden zijn, staan niet in deze tabel."


def rounding_note(multiple: int) -> str:
    return f"Aantallen met de status 'rounded' zijn afgerond op het dichtstbijzijnde veelvoud van {multiple}."


def build_document(
    protected: ProtectedTable,
    *,
    report: str,
    title: str,
    period_from: date,
    period_to: date,
    unit: str = "persons",
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    """The document; `notes` are added after the footnotes on suppression and rounding."""
    if period_from > period_to:
        raise DisclosureError("from", "de begindatum ligt na de einddatum")
    spec = protected.table.spec
    policy = protected.policy
    cells: list[dict[str, Any]] = []
    for cell in protected.cells:
        out: dict[str, Any] = {
            "key": dict(zip(spec.names, cell.key, strict=True)),
            "value": cell.published(policy),
            "status": cell.status.value,
        }
        if cell.status is Status.ROUNDED:
            out["rounded_to"] = policy.rounded_to
        cells.append(out)
    all_notes = [footnote(policy.threshold)]
    if policy.rounded_to is not None and any(c.status is Status.ROUNDED for c in protected.cells):
        all_notes.append(rounding_note(policy.rounded_to))
    all_notes.extend(notes)
    return {
        "format": FORMAT,
        "report": report,
        "title": title,
        "period": {"from": period_from.isoformat(), "to": period_to.isoformat()},
        "unit": unit,
        "dimensions": list(spec.names),
        "categories": {d.name: list(d.categories) for d in spec.dimensions},
        "additive": list(spec.additive),
        "threshold": policy.threshold,
        "cells": cells,
        "notes": all_notes,
    }


def dumps(document: dict[str, Any]) -> str:
    """The document as JSON text: UTF-8 (Dutch letters as is), fields in contract order."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
