"""An independent auditor of published `instap.table/1` documents (rule 2 of the contract).

It reads only the documents. From them it derives what an attacker knows: a total is the sum of
its parts in every dimension named `additive`, counts are never negative, and in a funnel (a
report named in `CUMULATIVE`) a cell never rises to a later stage. Shown cells are known exactly,
rounded cells up to half of `rounded_to`. For every count -- every cell and, in a funnel, the
persons at exactly each stage for every key, totals included -- it computes the smallest and the
largest value consistent with all that (linear programming over non-negative reals).

It shares no code with the suppressor: the unknowns here are the cells themselves, linked by the
equations and inequalities above (the suppressor works with units per full combination), and the
LPs are solved by COIN-OR CLP rather than GLOP, so a bug in one is unlikely to hide in the other.
Several documents of one report and period are attacked together, as one table over all their
dimensions (a cell a document leaves out is an unknown of that table).
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ortools.linear_solver import pywraplp

FORMAT = "instap.table/1"
STAR = "*"
# Reports whose named dimension is cumulative: the cell at stage s counts units at s or later.
CUMULATIVE = {"funnel": "stage", "retention": "step", "fairness": "step"}
TOL = 1e-6
CELL_FIELDS = {"shown": {"key", "value", "status"}, "suppressed": {"key", "value", "status"}}
CELL_FIELDS["rounded"] = {"key", "value", "status", "rounded_to"}

Labels = tuple[str, ...]


class AuditError(ValueError):
    """The document is not a well-formed `instap.table/1` document (or is self-contradictory)."""


@dataclass(frozen=True)
class CountRange:
    """What an attacker can tell about one count: it lies in [low, high]."""

    kind: str  # "cell", or "exactly" (persons whose furthest stage is exactly key[stage])
    key: tuple[tuple[str, str], ...]  # (dimension, label) in the joint table's dimension order
    low: float
    high: float
    true: int | None = None  # known only when the auditor was given the true cells

    def protected(self, threshold: int) -> bool:
        """Rule 2: the range includes 0 and reaches at least the threshold."""
        return self.low <= TOL and self.high >= threshold - TOL

    def may_be_small(self, threshold: int) -> bool:
        """Not protected, and some whole number from 1 to threshold - 1 fits in the range."""
        if self.protected(threshold):
            return False
        first = max(1, int(-(-(self.low - TOL) // 1)))
        return first <= threshold - 1 and first <= self.high + TOL

    def surely_small(self, threshold: int) -> bool:
        """Every whole number in the range is from 1 to threshold - 1: the true value (a whole
        number in the range) is small and the range misses 0 -- a disclosure, truth or not."""
        first = int(-(-(self.low - TOL) // 1))
        last = int((self.high + TOL) // 1) if self.high != float("inf") else threshold
        return 1 <= first <= last <= threshold - 1

    def describe(self) -> str:
        key = ", ".join(f"{d}={label}" for d, label in self.key)
        what = "cel" if self.kind == "cell" else "precies in deze fase"
        high = "onbegrensd" if self.high == float("inf") else f"{self.high:g}"
        return f"{what} ({key}): tussen {self.low:g} en {high}"


@dataclass
class AuditReport:
    threshold: int
    ranges: list[CountRange] = field(default_factory=list)

    def suspects(self) -> list[CountRange]:
        """Counts that might be a small number an attacker narrowed down (without the truth)."""
        return [r for r in self.ranges if r.may_be_small(self.threshold)]

    def disclosures(self) -> list[CountRange]:
        """Counts that are certainly small and narrowed down (found without the truth)."""
        return [r for r in self.ranges if r.surely_small(self.threshold)]

    def violations(self) -> list[CountRange]:
        """Counts whose true value is from 1 to t-1 and whose range breaks rule 2 (needs truth)."""
        return [
            r
            for r in self.ranges
            if r.true is not None and 1 <= r.true < self.threshold and not r.protected(self.threshold)
        ]


@dataclass
class _Doc:
    dimensions: list[str]
    categories: dict[str, list[str]]
    additive: set[str]
    threshold: int
    cells: dict[Labels, dict[str, Any]]


def _parse(document: Mapping[str, Any]) -> _Doc:
    if document.get("format") != FORMAT:
        raise AuditError(f"format is not {FORMAT}")
    dims = document.get("dimensions")
    cats = document.get("categories")
    additive = document.get("additive")
    threshold = document.get("threshold")
    if not isinstance(dims, list) or len(set(dims)) != len(dims) or not all(isinstance(d, str) for d in dims):
        raise AuditError("dimensions must be a list of distinct names")
    if not isinstance(cats, dict) or set(cats) != set(dims):
        raise AuditError("categories must list every dimension")
    for d in dims:
        if (
            not isinstance(cats[d], list)
            or not cats[d]
            or len(set(cats[d])) != len(cats[d])
            or STAR in cats[d]
        ):
            raise AuditError(f"categories of {d} must be distinct names other than '*'")
    if not isinstance(additive, list) or not set(additive) <= set(dims):
        raise AuditError("additive must name dimensions")
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 3:
        raise AuditError("threshold must be a whole number of at least 3")
    labels = [cats[d] + ([STAR] if d in additive else []) for d in dims]
    expected = set(itertools.product(*labels))
    cells: dict[Labels, dict[str, Any]] = {}
    for cell in document.get("cells", []):
        status = cell.get("status")
        if status not in CELL_FIELDS or set(cell) != CELL_FIELDS[status]:
            raise AuditError(f"cell with bad status or fields: {cell}")
        key = cell["key"]
        if not isinstance(key, dict) or set(key) != set(dims):
            raise AuditError(f"cell key must name every dimension: {key}")
        labels_of = tuple(key[d] for d in dims)
        if labels_of not in expected:
            raise AuditError(f"cell key outside the table: {key}")
        if labels_of in cells:
            raise AuditError(f"cell twice: {key}")
        value = cell["value"]
        if status == "suppressed":
            if value is not None:
                raise AuditError(f"a suppressed cell has value null: {key}")
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise AuditError(f"a published value is a whole number >= 0: {key}")
        if status == "rounded":
            step = cell["rounded_to"]
            if isinstance(step, bool) or not isinstance(step, int) or step < 1 or value % step:
                raise AuditError(f"a rounded value is a multiple of rounded_to: {key}")
        cells[labels_of] = cell
    if len(cells) != len(expected):
        raise AuditError(f"{len(expected) - len(cells)} cells are missing")
    return _Doc(list(dims), {d: list(cats[d]) for d in dims}, set(additive), threshold, cells)


class _Joint:
    """One table over the union of the documents' dimensions; every cell is an LP variable."""

    def __init__(self, documents: Sequence[Mapping[str, Any]]) -> None:
        if not documents:
            raise AuditError("no document")
        docs = [_parse(d) for d in documents]
        first = documents[0]
        for other in documents[1:]:
            if other.get("report") != first.get("report") or other.get("period") != first.get("period"):
                raise AuditError("documents audited together must be one report over one period")
        self.docs = docs
        self.threshold = docs[0].threshold
        if any(d.threshold != self.threshold for d in docs):
            raise AuditError("documents audited together must have one threshold")
        self.cumulative = CUMULATIVE.get(str(first.get("report")))
        self.dims: list[str] = []
        self.categories: dict[str, list[str]] = {}
        self.additive: set[str] = set()
        for doc in docs:
            for d in doc.dimensions:
                if d not in self.categories:
                    self.dims.append(d)
                    self.categories[d] = doc.categories[d]
                elif self.categories[d] != doc.categories[d]:
                    raise AuditError(f"dimension {d} has other categories in another document")
                if d in doc.additive:
                    self.additive.add(d)
        for doc in docs:
            for d in self.dims:
                if (d in doc.dimensions) and ((d in doc.additive) != (d in self.additive)):
                    raise AuditError(f"dimension {d} is additive in one document and not in another")
                if d not in doc.dimensions and d not in self.additive:
                    raise AuditError(f"every document needs the non-additive dimension {d}")
        if self.cumulative is not None and self.cumulative in self.additive:
            raise AuditError(f"the cumulative dimension {self.cumulative} cannot be additive")
        self.labels = [self.categories[d] + ([STAR] if d in self.additive else []) for d in self.dims]
        self.keys = list(itertools.product(*self.labels))
        self.index = {k: i for i, k in enumerate(self.keys)}

    def joint_key(self, doc: _Doc, labels: Labels) -> Labels:
        own = dict(zip(doc.dimensions, labels, strict=True))
        return tuple(own.get(d, STAR) for d in self.dims)

    def build(self) -> tuple[pywraplp.Solver, list[pywraplp.Variable]]:
        solver = pywraplp.Solver.CreateSolver("CLP")
        if solver is None:  # pragma: no cover - CLP ships with OR-Tools
            raise RuntimeError("the CLP solver is not available")
        inf = solver.infinity()
        cell = [solver.NumVar(0.0, inf, "") for _ in self.keys]
        for a, d in enumerate(self.dims):
            if d not in self.additive:
                continue
            for key in self.keys:
                if key[a] != STAR:
                    continue
                row = solver.Constraint(0.0, 0.0)
                row.SetCoefficient(cell[self.index[key]], -1.0)
                for c in self.categories[d]:
                    row.SetCoefficient(cell[self.index[key[:a] + (c,) + key[a + 1 :]]], 1.0)
        if self.cumulative is not None:
            for earlier, later in self.stage_pairs():
                row = solver.Constraint(0.0, inf)
                row.SetCoefficient(cell[earlier], 1.0)
                row.SetCoefficient(cell[later], -1.0)
        for doc in self.docs:
            for labels, published in doc.cells.items():
                var = cell[self.index[self.joint_key(doc, labels)]]
                if published["status"] == "shown":
                    row = solver.Constraint(published["value"], published["value"])
                    row.SetCoefficient(var, 1.0)
                elif published["status"] == "rounded":
                    half = published["rounded_to"] / 2
                    row = solver.Constraint(published["value"] - half, published["value"] + half)
                    row.SetCoefficient(var, 1.0)
        return solver, cell

    def stage_pairs(self) -> list[tuple[int, int]]:
        """(cell at stage s, cell at the next stage) for every key of the joint table."""
        assert self.cumulative is not None
        a = self.dims.index(self.cumulative)
        stages = self.categories[self.cumulative]
        pairs = []
        for key in self.keys:
            position = stages.index(key[a])
            if position + 1 < len(stages):
                pairs.append((self.index[key], self.index[key[:a] + (stages[position + 1],) + key[a + 1 :]]))
        return pairs

    def counts(self) -> dict[tuple[str, Labels], dict[int, float]]:
        """Every count of every document as a combination of joint cells (duplicates merged)."""
        out: dict[tuple[str, Labels], dict[int, float]] = {}
        nxt = dict(self.stage_pairs()) if self.cumulative is not None else {}
        for doc in self.docs:
            for labels in doc.cells:
                key = self.joint_key(doc, labels)
                i = self.index[key]
                out[("cell", key)] = {i: 1.0}
                if self.cumulative is not None:
                    out[("exactly", key)] = {i: 1.0, nxt[i]: -1.0} if i in nxt else {i: 1.0}
        return out


def audit(*documents: Mapping[str, Any], truth: Sequence[Mapping[Labels, int]] | None = None) -> AuditReport:
    """Attack the documents together; with `truth` (per document: every cell's true value by its
    labels in dimension order), only the counts that are truly small are attacked."""
    joint = _Joint(documents)
    solver, cell = joint.build()
    objective = solver.Objective()
    status = solver.Solve()
    if status != pywraplp.Solver.OPTIMAL:
        raise AuditError("the published numbers contradict each other")
    wanted = None
    if truth is not None:
        wanted = _true_counts(joint, truth)
    report = AuditReport(joint.threshold)
    for (kind, key), terms in joint.counts().items():
        if wanted is not None and not (1 <= wanted.get((kind, key), 0) < joint.threshold):
            continue
        bounds = []
        for sense in (1.0, -1.0):
            objective.Clear()
            for i, coefficient in terms.items():
                objective.SetCoefficient(cell[i], coefficient)
            if sense > 0:
                objective.SetMinimization()
            else:
                objective.SetMaximization()
            status = solver.Solve()
            if status == pywraplp.Solver.UNBOUNDED:
                bounds.append(float("inf"))
            elif status == pywraplp.Solver.OPTIMAL:
                bounds.append(objective.Value())
            else:
                raise AuditError(f"the LP solver ended with status {status}")
        labelled = tuple(zip(joint.dims, key, strict=True))
        true = None if wanted is None else wanted[(kind, key)]
        report.ranges.append(CountRange(kind, labelled, bounds[0], bounds[1], true))
    return report


def _true_counts(joint: _Joint, truth: Sequence[Mapping[Labels, int]]) -> dict[tuple[str, Labels], int]:
    """The true value of every count, from the true cells (which must be additive and complete)."""
    if len(truth) != len(joint.docs):
        raise AuditError("give the true cells of every document")
    values: dict[int, int] = {}
    for doc, cells in zip(joint.docs, truth, strict=True):
        if set(cells) != set(doc.cells):
            raise AuditError("the true cells must cover every cell of the document")
        for labels, value in cells.items():
            i = joint.index[joint.joint_key(doc, labels)]
            if values.setdefault(i, value) != value:
                raise AuditError(f"two documents give cell {labels} different true values")
    out = {}
    for (kind, key), terms in joint.counts().items():
        out[(kind, key)] = int(round(sum(values[i] * c for i, c in terms.items())))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m services.rapportage.disclosure DOC.json [DOC.json ...]` (documents of one pack).

    Exit 1 when a count is certainly a small number narrowed down; counts that might be (the
    truth would tell) are listed too but do not fail: a large hidden cell can have such a range.
    """
    paths = list(sys.argv[1:] if argv is None else argv)
    if not paths:
        print("usage: python -m services.rapportage.disclosure DOC.json [DOC.json ...]", file=sys.stderr)
        return 2
    try:
        documents = []
        for path in paths:
            with open(path, encoding="utf-8") as handle:
                documents.append(json.load(handle))
        report = audit(*documents)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    certain = report.disclosures()
    possible = [r for r in report.suspects() if r not in certain]
    for r in certain:
        print(f"af te leiden: {r.describe()}")
    for r in possible:
        print(f"alleen met de ware aantallen te beoordelen: {r.describe()}")
    print(f"{len(report.ranges)} aantallen aangevallen; {len(certain)} zeker af te leiden")
    return 1 if certain else 0
