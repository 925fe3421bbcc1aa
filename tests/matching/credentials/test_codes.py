"""Verification codes: every single error and every adjacent transposition is caught (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching.credentials import codes
from services.matching.credentials.codes import ALPHABET, DATA_LENGTH, CodeError

from .conftest import CODE

data_parts = st.text(alphabet=ALPHABET, min_size=DATA_LENGTH, max_size=DATA_LENGTH)


def _full(data: str) -> str:
    return data + codes.check_character(data)


def test_alphabet_has_no_look_alikes_and_a_prime_size() -> None:
    assert not set("01OIL") & set(ALPHABET)
    assert len(ALPHABET) == len(set(ALPHABET)) == 31
    assert all(31 % d for d in range(2, 31))


def test_example_in_the_docs_is_valid() -> None:
    assert codes.parse("k7qm 4rtx a") == CODE
    assert codes.is_valid(CODE)


@settings(deadline=None)  # no timing in pass/fail tests (the machine is shared)
@given(data_parts)
def test_every_single_character_error_is_caught(data: str) -> None:
    code = _full(data)
    for position in range(len(code)):
        for wrong in ALPHABET:
            if wrong == code[position]:
                continue
            typo = code[:position] + wrong + code[position + 1 :]
            with pytest.raises(CodeError) as caught:
                codes.parse(typo)
            assert caught.value.reason == "check"


@settings(deadline=None)  # no timing in pass/fail tests (the machine is shared)
@given(data_parts)
def test_every_adjacent_transposition_is_caught(data: str) -> None:
    code = _full(data)
    for position in range(len(code) - 1):
        a, b = code[position], code[position + 1]
        if a == b:
            continue  # swapping equal characters changes nothing
        swapped = code[:position] + b + a + code[position + 2 :]
        assert not codes.is_valid(swapped), (code, swapped)


@settings(deadline=None)  # no timing in pass/fail tests (the machine is shared)
@given(data_parts, st.data())
def test_every_jump_transposition_is_caught_too(data: str, draw: st.DataObject) -> None:
    code = _full(data)
    i = draw.draw(st.integers(0, len(code) - 1))
    j = draw.draw(st.integers(0, len(code) - 1))
    if code[i] == code[j]:
        return
    chars = list(code)
    chars[i], chars[j] = chars[j], chars[i]
    assert not codes.is_valid("".join(chars))


def test_generated_codes_round_trip() -> None:
    seen = set()
    for _ in range(500):
        code = codes.generate()
        assert len(code) == 11 and code[4] == code[9] == "-"
        assert codes.parse(code) == code
        seen.add(code)
    assert len(seen) == 500  # 39.6 bits: a collision in 500 would mean the generator is broken


@settings(deadline=None)  # no timing in pass/fail tests (the machine is shared)
@given(
    data_parts,
    st.lists(st.sampled_from([" ", "-", "\u2013", "\u00a0", "  "]), min_size=10, max_size=10),
    st.lists(st.booleans(), min_size=9, max_size=9),
)
def test_parsing_tolerates_case_spaces_and_dashes(
    data: str, separators: list[str], lower: list[bool]
) -> None:
    code = _full(data)
    typed = separators[0] + "".join(
        (ch.lower() if low else ch) + sep for ch, low, sep in zip(code, lower, separators[1:], strict=True)
    )
    assert codes.parse(typed) == codes.format_code(code)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        (" - ", "empty"),
        ("K7QM-4RTX", "length"),
        ("K7QM-4RTX-AA", "length"),
        ("K7QM-4RT0-A", "character"),  # zero is not used (looks like O)
        ("K7QM-4RTO-A", "character"),
        ("K7QM-4RT1-A", "character"),
        ("K7QM-4RTI-A", "character"),
        ("K7QM-4RTL-A", "character"),
        ("K7QM-4RTX-B", "check"),
    ],
)
def test_wrong_codes_say_why(text: str, reason: str) -> None:
    with pytest.raises(CodeError) as caught:
        codes.parse(text)
    assert caught.value.reason == reason


@settings(deadline=None)  # no timing in pass/fail tests (the machine is shared)
@given(st.text(max_size=30))
def test_parse_never_crashes_and_only_accepts_checked_codes(text: str) -> None:
    try:
        parsed = codes.parse(text)
    except CodeError:
        return
    compact = codes.compact(parsed)
    assert codes.check_character(compact[:DATA_LENGTH]) == compact[DATA_LENGTH]
