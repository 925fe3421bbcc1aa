"""A document as rows and columns for people: the last dimension across, the others down."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.rapportage.exports import labels


@dataclass(frozen=True)
class Shown:
    """One cell for display: `text` for people, `value` for machines (None when hidden)."""

    value: int | None
    status: str

    @property
    def text(self) -> str:
        if self.status == "suppressed":
            return labels.SUPPRESSED_MARK
        prefix = "±" if self.status == "rounded" else ""
        return prefix + f"{self.value:,}".replace(",", ".")


@dataclass(frozen=True)
class Pivot:
    title: str
    row_dims: list[str]
    col_dim: str
    columns: list[str]  # codes of the last dimension (and * when additive)
    column_labels: list[str]
    rows: list[tuple[list[str], list[Shown]]]  # (row labels per row dimension, cells)


def pivot(document: dict[str, Any], names: dict[str, str] | None = None) -> Pivot:
    dims: list[str] = document["dimensions"]
    col_dim = dims[-1]
    row_dims = dims[:-1]
    columns = list(document["categories"][col_dim]) + (["*"] if col_dim in document["additive"] else [])
    by_row: dict[tuple[str, ...], dict[str, Shown]] = {}
    for cell in document["cells"]:
        key = cell["key"]
        row = tuple(key[d] for d in row_dims)
        by_row.setdefault(row, {})[key[col_dim]] = Shown(cell["value"], cell["status"])
    rows = [
        (
            [labels.category(d, code, names) for d, code in zip(row_dims, row, strict=True)],
            [cells[c] for c in columns],
        )
        for row, cells in by_row.items()
    ]
    return Pivot(
        document["title"],
        row_dims,
        col_dim,
        columns,
        [labels.category(col_dim, c, names) for c in columns],
        rows,
    )


def flat_rows(document: dict[str, Any]) -> list[list[Any]]:
    """One row per cell, in document order: the codes, the value (empty when hidden), the status."""
    out = []
    for cell in document["cells"]:
        out.append([cell["key"][d] for d in document["dimensions"]] + [cell["value"], cell["status"]])
    return out
