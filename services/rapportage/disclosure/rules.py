"""A checker for rules 1-4 of the contract, given a document and its true counts.

Like the auditor (which it uses for rule 2 and for "needed" in rule 3) it reads only the
document and the truth, never the suppressor's state.

1. No shown cell from 1 to t-1 (and every shown or rounded value agrees with the truth).
2. Every truly small count keeps a range that includes 0 and reaches t (the auditor).
3. The grand total of the first stage is shown when it is at least t; at least half of the cells
   of at least 2t are shown, or else each hidden one is needed: showing it alone breaks rule 2.
4. The same request twice gives the same document.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .audit import CUMULATIVE, STAR, audit

Labels = tuple[str, ...]


@dataclass(frozen=True)
class Finding:
    rule: int
    message: str


def _labels(document: Mapping[str, Any], cell: Mapping[str, Any]) -> Labels:
    return tuple(cell["key"][d] for d in document["dimensions"])


def nearest_multiple(value: int, multiple: int) -> int:
    return ((2 * value + multiple) // (2 * multiple)) * multiple


def check_truth(document: Mapping[str, Any], truth: Mapping[Labels, int]) -> list[Finding]:
    """The true counts themselves: complete, non-negative, additive, never rising in a funnel."""
    found = []
    dims = document["dimensions"]
    cats = document["categories"]
    for labels, value in truth.items():
        if value < 0:
            found.append(Finding(0, f"negatief aantal in {labels}"))
        for a, d in enumerate(dims):
            if labels[a] == STAR:
                parts = sum(truth[labels[:a] + (c,) + labels[a + 1 :]] for c in cats[d])
                if parts != value:
                    found.append(Finding(0, f"totaal {labels} is {value}, de delen samen {parts}"))
        stage = CUMULATIVE.get(document.get("report", ""))
        if stage is not None and stage in dims:
            a = dims.index(stage)
            order = cats[stage]
            i = order.index(labels[a])
            if i + 1 < len(order) and truth[labels[:a] + (order[i + 1],) + labels[a + 1 :]] > value:
                found.append(Finding(0, f"cumulatief aantal stijgt na {labels}"))
    return found


def check_rules(
    document: dict[str, Any],
    truth: Mapping[Labels, int],
    *,
    again: dict[str, Any] | None = None,
    pack: Sequence[tuple[dict[str, Any], Mapping[Labels, int]]] = (),
) -> list[Finding]:
    """Everything wrong with `document`; `pack` are the other tables published with it."""
    t = document["threshold"]
    found = check_truth(document, truth)
    if set(truth) != {_labels(document, c) for c in document["cells"]}:
        return [*found, Finding(0, "de ware aantallen dekken niet precies de cellen van de tabel")]
    for cell in document["cells"]:
        labels = _labels(document, cell)
        true = truth[labels]
        if cell["status"] == "shown":
            if 1 <= cell["value"] < t:
                found.append(Finding(1, f"cel {labels} toont {cell['value']}, onder de drempel {t}"))
            if cell["value"] != true:
                found.append(Finding(1, f"cel {labels} toont {cell['value']}, waar is {true}"))
        elif cell["status"] == "rounded" and cell["value"] != nearest_multiple(true, cell["rounded_to"]):
            found.append(Finding(1, f"cel {labels} is niet goed afgerond"))

    documents = [document, *(d for d, _ in pack)]
    truths = [truth, *(tr for _, tr in pack)]

    def leaks(docs: list[dict[str, Any]]) -> list[str]:
        return [r.describe() for r in audit(*docs, truth=truths).violations()]

    found += [Finding(2, f"af te leiden: {text}") for text in leaks(documents)]

    grand = tuple(
        STAR if d in document["additive"] else document["categories"][d][0] for d in document["dimensions"]
    )
    by_labels = {_labels(document, c): c for c in document["cells"]}
    if truth[grand] >= t and by_labels[grand]["status"] != "shown":
        found.append(Finding(3, "het eindtotaal van de eerste fase is niet getoond"))
    big = [labels for labels, value in truth.items() if value >= 2 * t]
    shown_big = [labels for labels in big if by_labels[labels]["status"] == "shown"]
    if 2 * len(shown_big) < len(big):
        for labels in big:
            if by_labels[labels]["status"] == "shown":
                continue
            trial = copy.deepcopy(document)
            for cell in trial["cells"]:
                if _labels(trial, cell) == labels:
                    cell.clear()
                    cell.update({"key": dict(zip(trial["dimensions"], labels, strict=True))})
                    cell.update({"value": truth[labels], "status": "shown"})
            if not leaks([trial, *documents[1:]]):
                found.append(Finding(3, f"cel {labels} ({truth[labels]}) kan getoond worden zonder lek"))
    if again is not None and json.dumps(again, sort_keys=False) != json.dumps(document, sort_keys=False):
        found.append(Finding(4, "dezelfde vraag gaf een ander document"))
    return found
