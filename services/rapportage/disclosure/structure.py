"""What an attacker knows about a table, as linear algebra over non-negative "atoms".

The atoms are the units per full combination (for a cumulative dimension: units at *exactly*
that stage). Every published cell and every count the contract protects (the cells, and for a
cumulative table the "exactly at stage s" counts for every key, totals included) is a 0/1 sum of
atoms. Conversely every non-negative atom vector gives cells that are additive and never rise along
the cumulative dimension, so "atoms >= 0" is exactly the attacker's knowledge of how cells relate.

Several published tables (views) of one base table share atoms: a view keeps some of the base's
dimensions and has `*` in the others, so a total two views share is one and the same cell here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from .errors import DisclosureError
from .table import STAR, Key, Table, TableSpec

BoolMatrix = npt.NDArray[np.bool_]


class CountKind(StrEnum):
    CELL = "cell"
    EXACTLY = "exactly"  # units at exactly this stage (a difference of two cumulative cells)


@dataclass(frozen=True)
class Count:
    """A protected count: a published cell, or units at exactly `key[stage]` (base-table keys)."""

    kind: CountKind
    key: Key


@dataclass(frozen=True)
class Structure:
    """The published cells and the protected counts of one or more views, over the base's atoms."""

    spec: TableSpec
    atoms: npt.NDArray[np.float64]  # true atom values, flattened
    cells: tuple[Key, ...]  # published cells (base keys), each once
    cell_rows: BoolMatrix  # cells x atoms
    cell_values: npt.NDArray[np.int64]
    counts: tuple[Count, ...]  # protected counts, one per distinct set of atoms
    count_rows: BoolMatrix  # counts x atoms
    count_values: npt.NDArray[np.int64]
    count_cell: npt.NDArray[np.int64]  # the published cell with the same atoms, or -1

    @property
    def cell_index(self) -> dict[Key, int]:
        return {key: i for i, key in enumerate(self.cells)}


def view_spec(spec: TableSpec, keep: Sequence[str]) -> TableSpec:
    """The spec of a view keeping `keep` (in base order); it must keep every non-additive dimension."""
    unknown = [name for name in keep if name not in spec.names]
    if unknown:
        raise DisclosureError("views", f"onbekende dimensie '{unknown[0]}'")
    if len(set(keep)) != len(keep):
        raise DisclosureError("views", "een dimensie staat er twee keer in")
    for d in spec.dimensions:
        if not d.additive and d.name not in keep:
            raise DisclosureError("views", f"elke tabel houdt de dimensie '{d.name}' (die telt niet op)")
    dims = tuple(d for d in spec.dimensions if d.name in keep)
    return TableSpec(dims, spec.cumulative)


def to_base(spec: TableSpec, view: TableSpec, key: Key) -> Key:
    """A view's cell key in base coordinates: `*` in every dimension the view leaves out."""
    labels = dict(zip(view.names, key, strict=True))
    return tuple(labels.get(name, STAR) for name in spec.names)


def _mask(spec: TableSpec, key: Key, *, exactly: bool = False) -> npt.NDArray[np.bool_]:
    index = list(spec.index(key))
    if spec.cumulative is not None and not exactly:
        axis = spec.axis(spec.cumulative)
        index[axis] = slice(index[axis], None)  # at this stage or later
    mask = np.zeros(spec.shape, dtype=np.bool_)
    mask[tuple(index)] = True
    return mask.reshape(-1)


def build(base: Table, views: Sequence[TableSpec] | None = None) -> Structure:
    """The structure of `views` of `base` (default: the base table itself is the one view)."""
    spec = base.spec
    views = [spec] if views is None else list(views)
    atoms = base.atoms().reshape(-1).astype(np.float64)

    cell_keys: list[Key] = []
    seen_cells: set[Key] = set()
    for view in views:
        for key in view.cell_keys():
            base_key = to_base(spec, view, key)
            if base_key not in seen_cells:
                seen_cells.add(base_key)
                cell_keys.append(base_key)
    cell_rows = np.array([_mask(spec, k) for k in cell_keys], dtype=np.bool_).reshape(len(cell_keys), -1)

    counts: list[Count] = []
    rows: list[npt.NDArray[np.bool_]] = []
    by_atoms: dict[bytes, int] = {}

    def protect(count: Count, row: npt.NDArray[np.bool_]) -> None:
        fingerprint = np.packbits(row).tobytes()
        if fingerprint not in by_atoms:
            by_atoms[fingerprint] = len(counts)
            counts.append(count)
            rows.append(row)

    for i, key in enumerate(cell_keys):
        protect(Count(CountKind.CELL, key), cell_rows[i])
    if spec.cumulative is not None:
        for view in views:
            for key in view.cell_keys():
                base_key = to_base(spec, view, key)
                protect(Count(CountKind.EXACTLY, base_key), _mask(spec, base_key, exactly=True))

    count_rows = np.array(rows, dtype=np.bool_).reshape(len(rows), -1)
    cell_of: dict[bytes, int] = {}
    for i, r in enumerate(cell_rows):
        cell_of.setdefault(np.packbits(r).tobytes(), i)
    count_cell = np.array([cell_of.get(np.packbits(r).tobytes(), -1) for r in count_rows], dtype=np.int64)
    return Structure(
        spec=spec,
        atoms=atoms,
        cells=tuple(cell_keys),
        cell_rows=cell_rows,
        cell_values=(cell_rows.astype(np.int64) @ base.atoms().reshape(-1)),
        counts=tuple(counts),
        count_rows=count_rows,
        count_values=(count_rows.astype(np.int64) @ base.atoms().reshape(-1)),
        count_cell=count_cell,
    )
