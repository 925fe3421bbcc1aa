"""The BSN guard and the control-character rule, by example and by generated text (issue 7)."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from shared.validators import (
    BSN_MESSAGE,
    CONTROL_MESSAGE,
    LINE_BREAK_MESSAGE,
    contains_bsn,
    control_character_message,
    passes_elfproef,
    unsafe_text_errors,
)
from tests.shared import strategies as gen

BSN = "111222333"  # passes the elfproef (a test value, not a real person)
BSN_0 = "012345672"  # one that starts with 0


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ("111222333", True),
        ("123456782", True),
        ("012345672", True),
        ("123456789", False),
        ("000000000", False),
        ("12345678", False),
        ("1234567890", False),
        ("１１１２２２３３３", False),  # the check itself takes ASCII digits; contains_bsn normalises
    ],
)
def test_elfproef(digits: str, expected: bool) -> None:
    assert passes_elfproef(digits) is expected


REFUSED = [
    BSN,
    f"mijn bsn is {BSN}",
    f"bsn{BSN}",
    "1112.22.333",
    "111 222 333",
    "111-222-333",
    "111  222  333",
    "111 - 222 - 333",
    "111 -  222  - 333",
    "111\u2013222\u2013333",
    "111 \u2013 222 \u2013 333",
    "111\u2014222\u2014333",
    "111/222/333",
    "111_222_333",
    "111,222,333",
    "111\n222\n333",
    "1 1 1 2 2 2 3 3 3",
    "111\u200b222333",
    "11\u200d1\u200c222\u2060333",
    "\ufeff111\u00ad222\u200e333",
    "111\u3164222\u3164333",
    "\uff11\uff11\uff11\uff12\uff12\uff12\uff13\uff13\uff13",  # fullwidth
    "\u0661\u0661\u0661\u0662\u0662\u0662\u0663\u0663\u0663",  # Arabic-Indic
    "\U0001d7cf\U0001d7cf\U0001d7cf 222 333",  # mathematical bold
    "\u00b9\u00b9\u00b9\u00b2\u00b2\u00b2\u00b3\u00b3\u00b3",  # superscripts
    f"gesprek 12-03-2026 {BSN}",
    "gesprek 12-03-2026 111 222 333",
    f"kamer 4 {BSN}",
    "kamer 4 111 222 333",
    f"{BSN} 2 kinderen",
    f"{BSN_0} 2 kinderen",
    "012 345 672 2 kinderen",
    f"notitie\n{BSN}",
    f"12\n{BSN}",
    f"4\n\n{BSN}\n5",
    f"tel +31 6 12345678 {BSN}",
    f"NL91 ABNA 0417 1643 00 {BSN}",
    f"+{BSN}",
    f"00 {BSN}",
    "0\u200b1\u200b0\u200b00\u200b3\u200b101 1300 1000",  # found by hypothesis: 00 inside a BSN
    "123, 004 007, 1300 1000",
]


@pytest.mark.parametrize("text", REFUSED)
def test_bsn_is_found(text: str) -> None:
    assert contains_bsn(text), text


ALLOWED = [
    "+31 6 1234 5678",
    "+31 6 12345678",
    "+31612345678",
    "0031612345678",
    "0031 6 1234 5678",
    "+31 (0)6 1234 5678",
    "(+31) 78 123 45 67",
    "06 1234 5678",
    "06-12345678",
    "0612345678",
    "078 123 4567",
    "(078) 123 45 67",
    "0111 12 34 56",
    "NL91 ABNA 0417 1643 00",
    "NL91ABNA0417164300",
    "nl91abna0417164300",
    "CH93 0076 2011 6238 5295 7",
    "BE68 5390 0754 7034",
    "12-3-2026 14",
    "Dorpsstraat 4, 12-03-2026",
    "2026-03-12 4",
    "123456789",  # nine digits, fails the elfproef
    "klantnummer 123456789",
    "1111222333",  # ten digits: a longer number
    "1111 222 333",
    "+48 512 345 678",
    "+32 470 12 34 56",
    "",
    "geen nummer",
]


@pytest.mark.parametrize("text", ALLOWED)
def test_other_numbers_are_not_a_bsn(text: str) -> None:
    assert not contains_bsn(text), text


@pytest.mark.parametrize(
    "text",
    [
        "+31 6 12340004",  # 612340004 passes the elfproef
        "+31 (0)6 1234 0004",
        "0031 6 1234 0004",
        "00 31 6 12 34 00 04",
        "+48 512 300 367",  # 512300367 passes too
        "gesprek 12-3-2026 19 kinderen",  # and so does 123202619
        "huisnummer 19, 12-3-2026",
    ],
)
def test_numbers_whose_nine_digits_pass_the_elfproef_are_still_allowed(text: str) -> None:
    assert all(passes_elfproef(d) for d in ("612340004", "512300367", "123202619"))
    assert not contains_bsn(text), text


def test_longest_valid_iban_is_taken_out_and_what_follows_is_still_checked() -> None:
    # CH IBANs have 21 characters; the groups after it are read as numbers again.
    assert not contains_bsn("CH93 0076 2011 6238 5295 7")
    assert contains_bsn(f"CH93 0076 2011 6238 5295 7 {BSN}")


# --- generated text ----------------------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(gen.texts_with_a_bsn())
@example(("111222333", "kamer 4 111\u2013222\u2013333"))
@example(("111222333", "gesprek 12-03-2026 111  222  333 2 kinderen"))
def test_generated_bsn_in_generated_text_is_refused(case: tuple[str, str]) -> None:
    digits, text = case
    assert gen.elfproef(digits)
    assert contains_bsn(text), ascii(text)


@settings(max_examples=300, deadline=None)
@given(gen.written_bsns())
def test_generated_bsn_written_alone_is_refused(case: tuple[str, str]) -> None:
    assert contains_bsn(case[1]), ascii(case[1])


@settings(max_examples=400, deadline=None)
@given(gen.in_words(gen.dutch_phone_numbers()))
@example("+31 6 12340004")
def test_generated_dutch_phone_numbers_pass(text: str) -> None:
    assert not contains_bsn(text), text


@settings(max_examples=300, deadline=None)
@given(gen.in_words(gen.ibans()))
def test_generated_ibans_pass(text: str) -> None:
    assert not contains_bsn(text), text


@settings(max_examples=300, deadline=None)
@given(gen.in_words(gen.dates_beside_house_numbers()))
@example("12-3-2026 19")
def test_generated_dates_beside_house_numbers_pass(text: str) -> None:
    assert not contains_bsn(text), text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_read_without_crashing(text: str) -> None:
    assert contains_bsn(text) in (True, False)
    assert control_character_message(text) in (None, CONTROL_MESSAGE, LINE_BREAK_MESSAGE)


# --- control characters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "char",
    ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9f", "\ud800", "\u202e", "\u2066"],
)
def test_control_characters_are_refused_in_any_field(char: str) -> None:
    assert control_character_message(f"Ay{char}şe") == CONTROL_MESSAGE
    assert control_character_message(f"Belt{char} terug", multiline=True) == CONTROL_MESSAGE


@pytest.mark.parametrize("char", ["\t", "\n", "\r", "\u2028", "\u2029"])
def test_line_breaks_only_in_text_of_more_lines(char: str) -> None:
    assert control_character_message(f"Ayşe{char}Yılmaz") == LINE_BREAK_MESSAGE
    assert control_character_message(f"Belt maandag{char}terug.", multiline=True) is None


@pytest.mark.parametrize(
    "text",
    ["Ayşe Yılmaz", "Zoë d'Hondt-van Dijk", "محمد", "Nguyễn", "Ĳsselstein", "فاطمة\u200cزاده", "👩\u200d🔧"],
)
def test_ordinary_names_pass(text: str) -> None:
    assert control_character_message(text) is None


@given(st.text(alphabet=st.characters(categories=("Cc",), exclude_characters="\t\n\r"), min_size=1))
def test_every_control_character_is_refused(junk: str) -> None:
    assert control_character_message(f"a{junk}b", multiline=True) == CONTROL_MESSAGE


def test_errors_are_given_per_field_with_both_messages() -> None:
    errors = unsafe_text_errors(
        {
            "first_name": "Ay\x00şe",
            "work_experience": "Magazijn\nwerk",
            "last_name": f"{BSN}\t",
            "certificates": [{"code": "vca\u202e"}],
            "hours_per_week": int(BSN),
        },
        multiline=("work_experience",),
    )
    assert errors == {
        "first_name": [CONTROL_MESSAGE],
        "last_name": [BSN_MESSAGE, LINE_BREAK_MESSAGE],
        "certificates.0.code": [CONTROL_MESSAGE],
        "hours_per_week": [BSN_MESSAGE],
    }


def _full_rule(text: str) -> bool:
    """contains_bsn without its short cut for texts with fewer than nine digits (issue 12)."""
    from shared import validators as v

    normal = v._take_out_dates(v._take_out_ibans(v._normalise(text)))
    return any(
        v._has_bsn_run(groups) for chain in v._chains(normal) for groups in v._without_phone_numbers(chain)
    )


# Beside ASCII: a fullwidth and an Arabic-Indic digit, a circled one and a superscript two (not
# decimal digits until NFKC makes them so), ⒛ (NFKC: "20."), a soft hyphen and a zero-width
# space (left out between digits), and a letter with a diacritic.
@given(st.text(alphabet="0123456789 -./+()aXé１٣①²⒛\u00ad\u200b", max_size=30))
@settings(max_examples=500)
@example("11122233")
@example("１１１２２２３３３")  # fullwidth digits
@example("⒛1234567")  # eight characters, nine digits after NFKC (20.1234567): a BSN
@example("①①①②②②③③③")  # 111222333, a BSN, in nine characters that are no digits before NFKC
def test_the_short_cut_for_texts_with_few_digits_agrees_with_the_full_rule(text: str) -> None:
    assert contains_bsn(text) is _full_rule(text)


# Pieces of a field's text: letters, digits, a BSN, line breaks and characters that may not be stored.
_FIELD_TEXT = st.lists(
    st.sampled_from(["a", "é", " ", "1", "\t", "\n", "\x00", "\u202e", BSN]), max_size=6
).map("".join)


@given(
    st.dictionaries(
        st.sampled_from(["first_name", "work_experience", "reason", "city"]),
        st.one_of(_FIELD_TEXT, st.lists(_FIELD_TEXT, max_size=3)),
        max_size=4,
    ),
    st.sets(st.sampled_from(["work_experience", "reason"])),
)
@settings(max_examples=300)
def test_a_payload_is_refused_field_by_field_as_each_field_alone_would_be(
    payload: dict[str, object], multiline: set[str]
) -> None:
    """The payload's texts are searched for characters that may not be stored all at once, and
    field by field only where one is found (issue 12): what it reports is what each field's own
    check gives."""
    expected: dict[str, list[str]] = {}
    for key, value in payload.items():
        items = [(key, value)] if isinstance(value, str) else [(f"{key}.{i}", v) for i, v in enumerate(value)]
        for path, text in items:
            messages = [BSN_MESSAGE] if contains_bsn(text) else []
            problem = control_character_message(text, multiline=path in multiline)
            messages += [problem] if problem else []
            if messages:
                expected[path] = messages
    assert unsafe_text_errors(payload, multiline) == expected
