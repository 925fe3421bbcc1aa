"""Reading untrusted JSON values: every error names the field path and index that is wrong."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, NoReturn

import numpy as np
import numpy.typing as npt

LEVELS = ("pre_A1", "A1", "A2", "B1", "B2", "C1", "C2", "moedertaal")
LEVEL_INDEX = {name: i for i, name in enumerate(LEVELS)}
# A requirement of null means "no requirement": below every real level.
NO_LEVEL = -1

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class InstanceError(ValueError):
    """Bad input; `field` is a path such as `openings[3].requires.language_spoken`."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def fail(field: str, message: str) -> NoReturn:
    raise InstanceError(field, message)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_keys(obj: dict[str, Any], path: str, required: set[str], optional: set[str]) -> None:
    """Reject missing and unknown keys: a typo in a requirement must not silently drop it."""
    for key in sorted(required):
        if key not in obj:
            fail(join(path, key), "missing")
    for key in obj:
        if key not in required and key not in optional:
            fail(join(path, key), "unknown field")


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def as_object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        fail(path, f"expected an object, got {_show(value)}")
    return value


def as_list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        fail(path, f"expected a list, got {_show(value)}")
    return value


def as_str(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        fail(path, f"expected a non-empty string, got {_show(value)}")
    return value


def as_bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        fail(path, f"expected true or false, got {_show(value)}")
    return value


def as_int(value: Any, path: str, minimum: int = 0) -> int:
    # bool is an int in Python; JSON true is not a count.
    if type(value) is not int or value < minimum:
        fail(path, f"expected an integer >= {minimum}, got {_show(value)}")
    return value


def as_number(value: Any, path: str, minimum: float = 0.0) -> float:
    if type(value) not in (int, float) or not np.isfinite(value) or value < minimum:
        fail(path, f"expected a number >= {minimum:g}, got {_show(value)}")
    return float(value)


def as_date(value: Any, path: str) -> int:
    """A `YYYY-MM-DD` string as a day number (proleptic ordinal), so dates compare as ints."""
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        fail(path, f"expected a date YYYY-MM-DD, got {_show(value)}")
    try:
        return date.fromisoformat(value).toordinal()
    except ValueError:
        fail(path, f"not a real date: {_show(value)}")


def as_level(value: Any, path: str, nullable: bool) -> int:
    if value is None and nullable:
        return NO_LEVEL
    if not isinstance(value, str) or value not in LEVEL_INDEX:
        fail(path, f"unknown language level {_show(value)}; expected one of {', '.join(LEVELS)}")
    return LEVEL_INDEX[value]


def unique_ids(ids: list[str], path: str) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, value in enumerate(ids):
        if value in index:
            fail(
                f"{path}[{i}].id" if path == "openings" else f"{path}[{i}]",
                f"duplicate id {_show(value)} (first at index {index[value]})",
            )
        index[value] = i
    return index


def int_column(values: Any, path: str, upper: int, what: str) -> npt.NDArray[np.int64]:
    """A list of indexes in [0, upper); a 1M-long list is checked in one pass before numpy."""
    items = as_list(values, path)
    for i, x in enumerate(items):
        if type(x) is not int:
            fail(f"{path}[{i}]", f"expected an index (integer), got {_show(x)}")
    column = np.array(items, dtype=np.int64)
    bad = np.flatnonzero((column < 0) | (column >= upper))
    if bad.size:
        i = int(bad[0])
        fail(f"{path}[{i}]", f"index {int(column[i])} out of range ({upper} {what})")
    return column


def score_column(values: Any, path: str) -> npt.NDArray[np.float64]:
    items = as_list(values, path)
    for i, x in enumerate(items):
        if type(x) not in (int, float):
            fail(f"{path}[{i}]", f"expected a number in (0, 1], got {_show(x)}")
    column = np.array(items, dtype=np.float64)
    bad = np.flatnonzero(~((column > 0.0) & (column <= 1.0)))
    if bad.size:
        i = int(bad[0])
        fail(f"{path}[{i}]", f"score {items[i]!r} is not in (0, 1]")
    return column


class Vocabulary:
    """Codes seen in one instance, numbered in order of first use, for bit-set encoding."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def add(self, code: str) -> int:
        return self.index.setdefault(code, len(self.index))

    @property
    def codes(self) -> list[str]:
        return list(self.index)

    @property
    def words(self) -> int:
        return max(1, (len(self.index) + 63) // 64)


def encode_sets(sets: list[list[int]], words: int) -> npt.NDArray[np.uint64]:
    """Rows of code numbers as rows of 64-bit words, so set tests are bitwise and vectorised."""
    bits = np.zeros((len(sets), words), dtype=np.uint64)
    for row, codes in enumerate(sets):
        for code in codes:
            bits[row, code >> 6] |= np.uint64(1) << np.uint64(code & 63)
    return bits


def code_list(value: Any, path: str, vocab: Vocabulary) -> list[int]:
    out = []
    for i, code in enumerate(as_list(value, path)):
        out.append(vocab.add(as_str(code, f"{path}[{i}]")))
    return out
