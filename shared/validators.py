"""Field rules used by every service: no BSN anywhere, Dutch postcode and phone formats."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from marshmallow import ValidationError

BSN_MESSAGE = "Een BSN mag niet worden vastgelegd. Haal dit nummer weg."
# Nine digits, optionally split by single spaces, dots, dashes, slashes, underscores or commas
# (1234.56.782, 123/456/782), and not part
# of a longer number (so the 11 digits of +31 6 1234 5678 do not count).
_NINE_DIGITS = re.compile(r"(?<![\d])(?<![\d][\s.\-/_,])(?:\d[\s.\-/_,]?){8}\d(?![\s.\-/_,]?\d)")
_POSTCODE = re.compile(r"^([1-9][0-9]{3})\s?([A-Za-z]{2})$")
_PHONE = re.compile(r"^(?:\+31|0031|0)([1-9][0-9]{8})$")


def passes_elfproef(digits: str) -> bool:
    """The BSN check: weights 9..2 and -1; the weighted sum is divisible by 11 (and not 0)."""
    if len(digits) != 9 or not digits.isdigit():
        return False
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    total = sum(int(d) * w for d, w in zip(digits, weights, strict=True))
    return total % 11 == 0 and total != 0


def contains_bsn(text: str) -> bool:
    return any(passes_elfproef(re.sub(r"\D", "", m.group(0))) for m in _NINE_DIGITS.finditer(text))


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, int) and not isinstance(value, bool):
        yield path, str(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}.{i}" if path else str(i))


def bsn_fields(data: Any) -> list[str]:
    """Dotted paths of every field in a raw payload that holds a BSN-like number."""
    return [path for path, text in _walk(data, "") if contains_bsn(text)]


def reject_bsn(data: Any) -> None:
    """Raise a per-field ValidationError for every field that holds a BSN-like number."""
    found = bsn_fields(data)
    if found:
        errors: dict[str, Any] = {}
        for path in found:
            errors[path] = [BSN_MESSAGE]
        raise ValidationError(errors)


def normalise_postcode(value: str) -> str:
    match = _POSTCODE.match(value.strip())
    if not match:
        raise ValidationError("Vul een postcode in zoals 3317 AB.")
    letters = match.group(2).upper()
    if letters in ("SA", "SD", "SS"):
        raise ValidationError("Deze postcode bestaat niet. Vul een postcode in zoals 3317 AB.")
    return f"{match.group(1)} {letters}"


def normalise_phone(value: str) -> str:
    compact = re.sub(r"[\s\-().]", "", value)
    match = _PHONE.match(compact)
    if not match:
        raise ValidationError("Vul een Nederlands telefoonnummer in, zoals 06 12345678.")
    return "0" + match.group(1)
