"""Verification codes: short, read-aloud friendly, with a check character that needs no lookup.

A code is 8 random data characters and 1 check character from a 31-character alphabet that leaves
out the look-alikes 0/O and 1/I/L, shown as ``K7QM-4RTX-9``.

The check character makes the weighted sum of all 9 values zero modulo 31, with weight 1 for the
check character, 2 for the data character before it, and so on up to 9 for the first one. Because
31 is prime and every weight lies in 1..30:
- a single wrong character at position *i* changes the sum by ``w_i * (a - b)``, never 0 mod 31;
- swapping the characters at any two positions *i*, *j* changes it by ``(w_i - w_j) * (a - b)``,
  never 0 mod 31 either (``0 < |w_i - w_j| < 31``), so every adjacent transposition is caught,
  and so is every jump transposition.
This is the ISBN-10 construction over a prime alphabet size; 31 symbols also make every check value
a symbol of the alphabet (no extra "X" as in ISBN).
"""

from __future__ import annotations

import secrets
from typing import Final

ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
MODULUS: Final = len(ALPHABET)
DATA_LENGTH: Final = 8
GROUP: Final = 4
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# What people type or paste between groups: spaces, hyphens and the dashes a PDF or word processor
# puts in their place.
_SEPARATORS = frozenset(" \t\r\n-\u2010\u2011\u2012\u2013\u2014\u2212\u00a0")

assert MODULUS == 31 and DATA_LENGTH + 1 < MODULUS  # the proof above needs a prime and weights < 31


class CodeError(ValueError):
    """Not a verification code; `reason` is one of ``empty``, ``length``, ``character``, ``check``."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


def check_character(data: str) -> str:
    """The check character for DATA_LENGTH data characters (already upper case, no separators)."""
    if len(data) != DATA_LENGTH:
        raise CodeError("length", f"expected {DATA_LENGTH} data characters, got {len(data)}")
    total = 0
    for position, ch in enumerate(data):
        if ch not in _VALUE:
            raise CodeError("character", f"character {ch!r} is not used in verification codes")
        total += (DATA_LENGTH + 1 - position) * _VALUE[ch]
    return ALPHABET[(-total) % MODULUS]


def generate() -> str:
    """A new random code, formatted (``K7QM-4RTX-9``); about 39.6 bits of randomness."""
    data = "".join(secrets.choice(ALPHABET) for _ in range(DATA_LENGTH))
    return format_code(data + check_character(data))


def format_code(compact: str) -> str:
    """Group a compact code for reading aloud: ``K7QM4RTX9`` -> ``K7QM-4RTX-9``."""
    groups = [compact[i : i + GROUP] for i in range(0, DATA_LENGTH, GROUP)]
    return "-".join([*groups, compact[DATA_LENGTH:]])


def compact(text: str) -> str:
    """Upper case without spaces and dashes; no validation."""
    return "".join(ch for ch in text if ch not in _SEPARATORS).upper()


def parse(text: str) -> str:
    """The formatted code for what someone typed; raises CodeError (with a reason) when it is wrong.

    Tolerant of case, spaces and dashes anywhere. A wrong check character is found here, without
    looking the code up.
    """
    value = compact(text)
    if not value:
        raise CodeError("empty", "no verification code given")
    if len(value) != DATA_LENGTH + 1:
        raise CodeError("length", f"a verification code has {DATA_LENGTH + 1} characters, got {len(value)}")
    for ch in value:
        if ch not in _VALUE:
            raise CodeError("character", f"character {ch!r} is not used in verification codes")
    if check_character(value[:DATA_LENGTH]) != value[DATA_LENGTH]:
        raise CodeError("check", "the check character does not match: the code has a typing error")
    return format_code(value)


def is_valid(text: str) -> bool:
    """True when `text` parses as a code with a correct check character."""
    try:
        parse(text)
    except CodeError:
        return False
    return True
