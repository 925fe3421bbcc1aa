"""Field rules used by every service: no BSN, no control characters, Dutch postcode and phone formats.

The BSN rule (docs/privacy.md, "No BSN, no control characters") in short:
1. The text is normalised as a reader sees it: NFKC, every Unicode decimal digit as its ASCII digit,
   and invisible characters (format characters, combining marks, fillers, control characters) left
   out, so digits on both sides of one join, as they do on the screen.
2. Whole numbers of another kind are taken out first, as if they were words: IBANs (valid mod-97
   for their country), dates (d-m-jjjj, d-m-jj, jjjj-m-d with one of - / . twice, a real day and
   month) and international phone numbers (+, or 00 where a number starts, a country code, and
   a valid number for that country).
3. What is left is cut into digit groups. Groups with only separators between them (spaces, line
   breaks, punctuation, dashes, symbols) form a chain; a letter ends a chain.
4. Any run of whole, consecutive groups of one chain whose digits number exactly nine and pass the
   elfproef is a BSN. A run never cuts a group, so a group of ten or more digits is a longer
   number and holds no BSN.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import Any

import phonenumbers
from marshmallow import Schema, ValidationError, validate
from stdnum import iban

from shared import reference

BSN_MESSAGE = "Een BSN mag niet worden vastgelegd. Haal dit nummer weg."
CONTROL_MESSAGE = "Hier staat een onzichtbaar stuurteken in. Typ de tekst opnieuw."
LINE_BREAK_MESSAGE = "Gebruik hier één regel, zonder tab of regeleinde."

_POSTCODE = re.compile(r"^([1-9][0-9]{3})\s?([A-Za-z]{2})$")
_PHONE = re.compile(r"^(?:\+31|0031|0)([1-9][0-9]{8})$")
_ELFPROEF_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)
BSN_DIGITS = 9
# Texts are read whole before any length rule of a field: these bounds keep that reading cheap.
# No field holds more than a few thousand characters.
MAX_TEXT_LENGTH = 20_000
MAX_PAYLOAD_TEXT = 100_000
TOO_LONG_MESSAGE = f"Deze tekst is te lang. Gebruik hooguit {MAX_TEXT_LENGTH} tekens."
TOO_MUCH_MESSAGE = "Er is te veel tekst in één keer gestuurd."

# Letters that draw nothing (Hangul fillers, Khmer inherent vowels): invisible like format characters.
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u17b4\u17b5\u3164\uffa0")
# Categories that draw nothing between two digits: format (zero-width, soft hyphen, bidi marks,
# BOM...), marks, unassigned, surrogates and control characters (white space aside).
_INVISIBLE_CATEGORIES = frozenset(("Cf", "Mn", "Me", "Mc", "Cn", "Cs", "Cc"))
_ASCII_INVISIBLE = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")

_DATE = re.compile(
    r"(?<!\d)(?<!\d[-./])"
    r"(?:(?P<d>\d{1,2})(?P<s1>[-./])(?P<m>\d{1,2})(?P=s1)(?P<y>\d{4}|\d{2})"
    r"|(?P<Y>\d{4})(?P<s2>[-./])(?P<M>\d{1,2})(?P=s2)(?P<D>\d{1,2}))"
    r"(?!\d)(?![-./]\d)"
)
# Two letters, two check digits, then letters and digits in groups of at most four (one space
# between groups); the exact length is found by the mod-97 check below.
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}(?:[ ]?[A-Za-z0-9]){11,30}")
_IBAN_LENGTHS = range(34, 14, -1)
_DIGITS = re.compile(r"[0-9]+")
# A letter (or any other letter-like character) between two groups ends the chain.
_WORD_CHAR = re.compile(r"[^\W_]")
_PLUS_BEFORE = re.compile(r"\+[\s(]*$")
_TAKEN_OUT = "X"  # what an IBAN or a date becomes: a word, which ends a chain
# A phone number has at least ten digits with its country code (+31 6 12345678 has eleven), so
# a nine-digit BSN is never one by itself; E.164 allows 15, plus room for a "(0)" written inside.
_MIN_PHONE_DIGITS = 10
_MAX_PHONE_DIGITS = 17
_MAX_PHONE_GROUPS = 8  # +31 (0)6 12 34 56 78 has seven


def passes_elfproef(digits: str) -> bool:
    """The BSN check: weights 9..2 and -1; the weighted sum is divisible by 11 (and not 0)."""
    if len(digits) != BSN_DIGITS or not digits.isascii() or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits, _ELFPROEF_WEIGHTS, strict=True))
    return total % 11 == 0 and total != 0


def _draws_nothing(ch: str) -> bool:
    return ch in _INVISIBLE_LETTERS or unicodedata.category(ch) in _INVISIBLE_CATEGORIES


def _normalise(text: str) -> str:
    """The text as a reader sees its digits: ASCII digits, and nothing for what draws nothing, so
    the digits on both sides of an invisible character join as they do on the screen."""
    if text.isascii():
        return _ASCII_INVISIBLE.sub("", text)
    out = []
    for ch in unicodedata.normalize("NFKC", text):
        if ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))
        elif ch.isspace() or not _draws_nothing(ch):
            out.append(ch)
    return "".join(out)


def _iban_end(text: str, start: int, end: int) -> int | None:
    """Where the longest valid IBAN that starts at `start` ends (its length depends on the country)."""
    positions = [i + 1 for i in range(start, end) if text[i] != " "]
    compact = text[start:end].replace(" ", "")
    for length in _IBAN_LENGTHS:
        # The mod-97 check and the country's length and format; not the national checks.
        if length <= len(compact) and iban.is_valid(compact[:length], check_country=False):
            return positions[length - 1]
    return None


def _take_out_ibans(text: str) -> str:
    pos = 0
    while match := _IBAN_START.search(text, pos):
        stop = _iban_end(text, match.start(), match.end())
        if stop is None:
            pos = match.start() + 1
            continue
        text = text[: match.start()] + _TAKEN_OUT + text[stop:]
        pos = match.start() + len(_TAKEN_OUT)
    return text


def _is_date(match: re.Match[str]) -> bool:
    if match.group("d") is not None:
        day, month, year = match.group("d"), match.group("m"), match.group("y")
    else:
        day, month, year = match.group("D"), match.group("M"), match.group("Y")
    if len(year) == 4 and not 1900 <= int(year) <= 2099:
        return False
    return 1 <= int(day) <= 31 and 1 <= int(month) <= 12


def _take_out_dates(text: str) -> str:
    return _DATE.sub(lambda m: _TAKEN_OUT if _is_date(m) else m.group(0), text)


def _chains(text: str) -> Iterator[list[tuple[str, str]]]:
    """Digit groups with the text before each, split where a letter stands between two groups."""
    chain: list[tuple[str, str]] = []
    last = 0
    for match in _DIGITS.finditer(text):
        gap = text[last : match.start()]
        if chain and _WORD_CHAR.search(gap):
            yield chain
            chain = []
        chain.append((match.group(0), gap))
        last = match.end()
    if chain:
        yield chain


def _is_phone_number(digits: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse("+" + digits))
    except phonenumbers.NumberParseException:
        return False


def _phone_end(groups: list[tuple[str, str]], start: int) -> int | None:
    """The last group of an international phone number that starts at group `start`, if one does."""
    first, gap = groups[start]
    if "+" in gap and _PLUS_BEFORE.search(gap):
        digits, begin = "", start
    elif start > 0:
        # 00 is a weaker sign than +: only where a number starts (after a word or at the start),
        # so a group 00 or 004 inside a BSN written in groups never starts a phone number.
        return None
    elif first == "00" and len(groups) > 1:
        digits, begin = "", start + 1
    elif first.startswith("00") and len(first) > 2:
        digits, begin = first[2:], start + 1
    else:
        return None
    found = None
    for index in range(begin, min(len(groups), begin + _MAX_PHONE_GROUPS)):
        digits += groups[index][0]
        if len(digits) > _MAX_PHONE_DIGITS:
            break
        if len(digits) >= _MIN_PHONE_DIGITS and _is_phone_number(digits):
            found = index
    return found


def _without_phone_numbers(chain: list[tuple[str, str]]) -> Iterator[list[str]]:
    """The chain's groups, cut where an international phone number was taken out."""
    part: list[str] = []
    index = 0
    while index < len(chain):
        end = _phone_end(chain, index)
        if end is None:
            part.append(chain[index][0])
            index += 1
            continue
        if part:
            yield part
        part = []
        index = end + 1
    if part:
        yield part


def _has_bsn_run(groups: list[str]) -> bool:
    """Whether whole, consecutive groups hold exactly nine digits that pass the elfproef."""
    digits = "".join(groups)
    starts = [0]
    for group in groups:
        starts.append(starts[-1] + len(group))
    ends = set(starts)
    return any(
        start + BSN_DIGITS in ends and passes_elfproef(digits[start : start + BSN_DIGITS]) for start in starts
    )


_WITHOUT_ASCII_DIGITS = str.maketrans("", "", "0123456789")
# Any Unicode decimal digit (category Nd, as `str.isdecimal`): what `_normalise` turns into an
# ASCII digit.
_ANY_DIGIT = re.compile(r"\d")


def _too_few_digits(text: str) -> bool:
    """True when a text cannot hold nine digits, so needs none of the rule's work (issue 12):
    most fields (names, codes, postcodes, dates) are so. An ASCII text counts its digits; any
    other its decimal digits after NFKC, which `_normalise` starts with: a character may become
    more than one digit there (⒛ becomes 20.), and what it leaves out is no digit."""
    if text.isascii():
        return len(text) < BSN_DIGITS or len(text) - len(text.translate(_WITHOUT_ASCII_DIGITS)) < BSN_DIGITS
    return len(_ANY_DIGIT.findall(unicodedata.normalize("NFKC", text))) < BSN_DIGITS


def contains_bsn(text: str) -> bool:
    """Whether the text holds a nine-digit number that passes the elfproef (module docstring)."""
    if _too_few_digits(text):
        return False
    normal = _take_out_dates(_take_out_ibans(_normalise(text)))
    return any(_has_bsn_run(groups) for chain in _chains(normal) for groups in _without_phone_numbers(chain))


# Control characters (Cc), lone surrogates (Cs, which no database can store) and the bidi
# embedding, override and isolate characters, which can make text read differently from how it
# is stored. Tab, line feed and carriage return are fine in text of more than one line.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_LINE_BREAK = re.compile(r"[\t\n\r\u2028\u2029]")


def control_character_message(text: str, *, multiline: bool = False) -> str | None:
    """The message for a text with a character that may not be stored, or None when it is fine."""
    if _CONTROL.search(text):
        return CONTROL_MESSAGE
    if not multiline and _LINE_BREAK.search(text):
        return LINE_BREAK_MESSAGE
    return None


def _walk(value: Any, path: str = "", out: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """Every text in a payload (numbers as text too), with its dotted path, in order."""
    if out is None:
        out = []
    if isinstance(value, str):
        out.append((path, value))
    elif isinstance(value, int | float) and not isinstance(value, bool):
        out.append((path, str(value)))
    elif isinstance(value, Mapping):
        for k, v in value.items():
            _walk(v, f"{path}.{k}" if path else str(k), out)
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _walk(v, f"{path}.{i}" if path else str(i), out)
    return out


def unsafe_text_errors(data: Any, multiline: Collection[str] = ()) -> dict[str, list[str]]:
    """Per dotted path: a BSN, or a character that may not be stored. `multiline` names the
    top-level fields that may hold tabs and line breaks (notes, work experience, reasons)."""
    texts = _walk(data)
    if sum(len(text) for _, text in texts) > MAX_PAYLOAD_TEXT:
        return {"_schema": [TOO_MUCH_MESSAGE]}
    # Most payloads hold no character that may not be stored: one search over all their texts
    # (each rule is about single characters, so joining them finds exactly what each would)
    # spares a search per field (issue 12). Only where one is found, field by field.
    clean = not _CONTROL.search("".join(text for _, text in texts)) and not _LINE_BREAK.search(
        "".join(text for path, text in texts if path not in multiline)
    )
    errors: dict[str, list[str]] = {}
    for path, text in texts:
        if len(text) > MAX_TEXT_LENGTH:
            errors[path] = [TOO_LONG_MESSAGE]
            continue
        messages = []
        if contains_bsn(text):
            messages.append(BSN_MESSAGE)
        problem = None if clean else control_character_message(text, multiline=path in multiline)
        if problem:
            messages.append(problem)
        if messages:
            errors[path] = messages
    return errors


def multiline_fields(schema: Schema) -> frozenset[str]:
    """The names (as sent) of a schema's text fields that may hold tabs and line breaks: those
    declared with metadata={"multiline": True} (notes, work experience, reasons)."""
    fields = schema.load_fields.items()
    return frozenset(field.data_key or name for name, field in fields if field.metadata.get("multiline"))


def reject_bsn(data: Any, multiline: Collection[str] = ()) -> None:
    """Raise a per-field ValidationError for every field of a raw payload that holds a BSN or a
    control character (`multiline`: the top-level fields that may hold tabs and line breaks)."""
    errors = unsafe_text_errors(data, multiline)
    if errors:
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


# --- schema validators every service's request schemas use ---------------------------------------

MAX_ID = 2**31 - 1
"""The largest id an INTEGER column holds (PostgreSQL's int4; SQLite's limit is higher)."""
ID = validate.Range(1, MAX_ID, error="Onbekend nummer.")
"""Ids beyond what the database's INTEGER holds would overflow the driver (a 500): 422 instead."""
LEVEL_ERROR = "Kies een taalniveau: pre_A1, A1, A2, B1, B2, C1, C2 of moedertaal."


def one_of(choices: Iterable[Any], nl: str) -> validate.OneOf:
    """A fixed code list, with a Dutch message (the codes are shown in the OpenAPI enum)."""
    return validate.OneOf(tuple(choices), error=nl)


def in_reference(kind: str, nl: str) -> Callable[[str], None]:
    """A code from the reference data (shared/refdata), read when validating, not at import:
    the file can be replaced at run time."""

    def check(value: str) -> None:
        if not reference.is_code(kind, value):
            raise ValidationError(nl)

    return check


def language_level() -> validate.OneOf:
    return one_of(reference.LANGUAGE_LEVELS, LEVEL_ERROR)
