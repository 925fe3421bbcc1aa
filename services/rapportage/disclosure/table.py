"""Tables of counts: dimensions, categories, and every cell (with `*` totals) exactly once.

A table holds one true count per *full* combination (one category of every dimension). Its cells
are every combination of a category or, for an additive dimension, `*` (the total over that
dimension); a total is computed here as the exact sum of its parts, never taken from outside.

A *cumulative* dimension (the funnel's `stage`) is ordered: the count at category s is the number of
units at s or later, so counts never rise along it. Its "atoms" -- units at exactly s -- are the
differences of neighbouring counts; they are what an attacker can derive beyond the cells.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .errors import DisclosureError

STAR = "*"

Key = tuple[str, ...]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Dimension:
    """A breakdown (or the stage axis) with its categories in display order."""

    name: str
    categories: tuple[str, ...]
    additive: bool = True

    def __post_init__(self) -> None:
        if not self.name:
            raise DisclosureError("dimensions", "een dimensie heeft een naam nodig")
        if not self.categories:
            raise DisclosureError(self.name, "een dimensie heeft minstens één categorie nodig")
        if len(set(self.categories)) != len(self.categories):
            raise DisclosureError(self.name, "een categorie staat er twee keer in")
        if STAR in self.categories:
            raise DisclosureError(self.name, f"'{STAR}' is geen categorie: het staat voor het totaal")

    def labels(self) -> tuple[str, ...]:
        """What a cell key can hold in this dimension: each category, then `*` if additive."""
        return (*self.categories, STAR) if self.additive else self.categories


@dataclass(frozen=True)
class TableSpec:
    """The shape of a table; `cumulative` names an ordered, non-additive dimension (or None)."""

    dimensions: tuple[Dimension, ...]
    cumulative: str | None = None
    _axis: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [d.name for d in self.dimensions]
        if len(set(names)) != len(names):
            raise DisclosureError("dimensions", "een dimensie staat er twee keer in")
        object.__setattr__(self, "_axis", {n: i for i, n in enumerate(names)})
        if self.cumulative is not None:
            if self.cumulative not in self._axis:
                raise DisclosureError("cumulative", f"onbekende dimensie '{self.cumulative}'")
            if self.dimension(self.cumulative).additive:
                raise DisclosureError("cumulative", "een cumulatieve dimensie telt niet op")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.dimensions)

    @property
    def additive(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.dimensions if d.additive)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(d.categories) for d in self.dimensions)

    def axis(self, name: str) -> int:
        return self._axis[name]

    def dimension(self, name: str) -> Dimension:
        return self.dimensions[self._axis[name]]

    def cell_keys(self) -> list[Key]:
        """Every cell key once, in display order (the last dimension varies fastest)."""
        return list(itertools.product(*(d.labels() for d in self.dimensions)))

    def grand_total_key(self) -> Key:
        """`*` in every additive dimension and the first category of every other one."""
        return tuple(STAR if d.additive else d.categories[0] for d in self.dimensions)

    def check_key(self, key: Sequence[str]) -> Key:
        if len(key) != len(self.dimensions):
            raise DisclosureError("key", f"verwacht {len(self.dimensions)} waarden, kreeg {len(key)}")
        for d, label in zip(self.dimensions, key, strict=True):
            if label not in d.labels():
                raise DisclosureError(d.name, f"onbekende categorie '{label}'")
        return tuple(key)

    def index(self, key: Key) -> tuple[Any, ...]:
        """A numpy index selecting the full combinations a cell key adds up."""
        return tuple(
            slice(None) if label == STAR else d.categories.index(label)
            for d, label in zip(self.dimensions, key, strict=True)
        )


@dataclass(frozen=True)
class Cell:
    key: Key
    value: int


class Table:
    """True counts per full combination of a `TableSpec` (cumulative along `spec.cumulative`)."""

    def __init__(self, spec: TableSpec, counts: npt.ArrayLike) -> None:
        array = np.asarray(counts)
        if array.shape != spec.shape:
            raise DisclosureError("counts", f"vorm {array.shape} past niet bij de tabel {spec.shape}")
        if (
            array.size
            and not np.issubdtype(array.dtype, np.integer)
            and not np.all(np.equal(np.mod(array, 1), 0))
        ):
            raise DisclosureError("counts", "aantallen zijn gehele getallen")
        array = array.astype(np.int64)
        if np.any(array < 0):
            raise DisclosureError("counts", "een aantal is nooit negatief")
        if spec.cumulative is not None and np.any(np.diff(array, axis=spec.axis(spec.cumulative)) > 0):
            raise DisclosureError(spec.cumulative, "een cumulatief aantal stijgt nooit naar een latere fase")
        array.setflags(write=False)
        self.spec = spec
        self.counts: IntArray = array

    @classmethod
    def from_counts(cls, spec: TableSpec, counts: Mapping[Key, int]) -> Table:
        """Counts keyed by full combinations; a combination left out counts 0."""
        array = np.zeros(spec.shape, dtype=np.int64)
        for key, value in counts.items():
            spec.check_key(key)
            if STAR in key:
                raise DisclosureError("counts", "geef aantallen per volledige combinatie, zonder '*'")
            array[spec.index(key)] = value
        return cls(spec, array)

    def value(self, key: Key) -> int:
        return int(self.counts[self.spec.index(key)].sum())

    def cells(self) -> Iterator[Cell]:
        """Every cell exactly once, in `TableSpec.cell_keys` order."""
        for key in self.spec.cell_keys():
            yield Cell(key, self.value(key))

    def atoms(self) -> IntArray:
        """Units per full combination; along a cumulative dimension, units at exactly that stage."""
        if self.spec.cumulative is None:
            return self.counts
        axis = self.spec.axis(self.spec.cumulative)
        later = np.zeros_like(self.counts)
        # later[..., s, ...] = counts[..., s + 1, ...] (0 after the last stage).
        tail = [slice(None)] * self.counts.ndim
        tail[axis] = slice(1, None)
        head = [slice(None)] * self.counts.ndim
        head[axis] = slice(0, -1)
        later[tuple(head)] = self.counts[tuple(tail)]
        return self.counts - later

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Table) and self.spec == other.spec and np.array_equal(self.counts, other.counts)
        )

    def __hash__(self) -> int:
        return hash((self.spec, self.counts.tobytes()))

    def __repr__(self) -> str:
        return f"Table({self.spec.names}, total={int(self.counts.sum())})"
