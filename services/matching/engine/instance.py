"""Kind 1 input (`instap.pairs/1`) and the entry point that reads either kind of instance."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .match_instance import MATCH_FORMAT, MatchInstance, parse_match
from .validation import (
    InstanceError,
    as_int,
    as_list,
    as_object,
    as_str,
    check_keys,
    fail,
    int_column,
    score_column,
    unique_ids,
)

PAIRS_FORMAT = "instap.pairs/1"


@dataclass(frozen=True)
class PairsInstance:
    """Scored pairs: column arrays, one entry per allowed (resident, opening) pair."""

    resident_ids: list[str]
    opening_ids: list[str]
    capacity: npt.NDArray[np.int64]
    resident: npt.NDArray[np.int64]
    opening: npt.NDArray[np.int64]
    score: npt.NDArray[np.float64]


def parse_pairs(obj: dict[str, Any]) -> PairsInstance:
    """Validate a kind 1 instance; raises InstanceError naming the first bad field and index."""
    check_keys(obj, "", {"format", "residents", "openings", "pairs"}, set())
    residents = [as_str(x, f"residents[{i}]") for i, x in enumerate(as_list(obj["residents"], "residents"))]
    unique_ids(residents, "residents")
    opening_ids: list[str] = []
    capacities: list[int] = []
    for i, item in enumerate(as_list(obj["openings"], "openings")):
        path = f"openings[{i}]"
        entry = as_object(item, path)
        check_keys(entry, path, {"id", "capacity"}, set())
        opening_ids.append(as_str(entry["id"], f"{path}.id"))
        capacities.append(as_int(entry["capacity"], f"{path}.capacity"))
    unique_ids(opening_ids, "openings")
    pairs = as_object(obj["pairs"], "pairs")
    check_keys(pairs, "pairs", {"resident", "opening", "score"}, set())
    resident = int_column(pairs["resident"], "pairs.resident", len(residents), "residents")
    opening = int_column(pairs["opening"], "pairs.opening", len(opening_ids), "openings")
    score = score_column(pairs["score"], "pairs.score")
    for name, column in (("opening", opening), ("score", score)):
        if len(column) != len(resident):
            fail(f"pairs.{name}", f"has {len(column)} entries, pairs.resident has {len(resident)}")
    _reject_duplicates(resident, opening, len(opening_ids))
    return PairsInstance(
        resident_ids=residents,
        opening_ids=opening_ids,
        capacity=np.array(capacities, dtype=np.int64),
        resident=resident,
        opening=opening,
        score=score,
    )


def _reject_duplicates(
    resident: npt.NDArray[np.int64], opening: npt.NDArray[np.int64], n_openings: int
) -> None:
    """Two scores for one pair are ambiguous, so a repeated pair is an error, not a merge."""
    key = resident * max(1, n_openings) + opening
    order = np.argsort(key, kind="stable")
    same = np.flatnonzero(key[order][1:] == key[order][:-1])
    if same.size:
        # Report the repeat with the lowest index, pointing back at its first occurrence.
        firsts = order[same]
        repeats = order[same + 1]
        k = int(np.argmin(repeats))
        i, j = int(repeats[k]), int(firsts[k])
        fail(
            f"pairs.resident[{i}]",
            f"pair (resident {int(resident[i])}, opening {int(opening[i])}) repeats pairs[{j}]",
        )


def parse_instance(obj: Any) -> PairsInstance | MatchInstance:
    """Either kind, chosen by its `format` string."""
    obj = as_object(obj, "instance")
    if "format" not in obj:
        fail("format", "missing")
    kind = obj["format"]
    if kind == PAIRS_FORMAT:
        return parse_pairs(obj)
    if kind == MATCH_FORMAT:
        return parse_match(obj)
    fail("format", f'expected "{PAIRS_FORMAT}" or "{MATCH_FORMAT}", got {kind!r}')


def load_instance(text: str | bytes) -> PairsInstance | MatchInstance:
    """Parse JSON text; a syntax error becomes an InstanceError with line and column."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InstanceError(
            "input", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except UnicodeDecodeError as exc:
        raise InstanceError("input", f"not UTF-8 text: {exc.reason} at byte {exc.start}") from None
    return parse_instance(obj)
