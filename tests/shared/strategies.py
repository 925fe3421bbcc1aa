"""Hypothesis strategies for the BSN guard: BSNs written every which way, and numbers that are not BSNs.

The elfproef, the IBAN check digits and the phone formats are computed here on their own, not with
the code under test, so a mistake there cannot hide itself.
"""

from __future__ import annotations

import functools
import string
from datetime import date

from hypothesis import assume
from hypothesis import strategies as st

WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)

# Separators people type between digit groups, and the ones a pasted text brings along.
SEPARATORS = (
    " ",
    "  ",
    "   ",
    ".",
    "-",
    " - ",
    " -  ",
    "\u2013",  # en dash
    " \u2013 ",
    "\u2014",  # em dash
    "\u2212",  # minus sign
    "\u2010",  # hyphen
    "\u2011",  # non-breaking hyphen
    "/",
    " / ",
    "\\",
    "_",
    ",",
    ", ",
    "\n",
    "\r\n",
    " \n",
    "\t",
    "\u00a0",  # no-break space
    "\u202f",  # narrow no-break space
    "\u2009",  # thin space
    "\u3000",  # ideographic space
    "\u00b7",  # middle dot
    ":",
    "*",
    "|",
    "#",
)
# Characters that draw nothing: zero-width space / non-joiner / joiner, word joiner, BOM, soft
# hyphen, bidi marks and isolates, combining grapheme joiner, variation selector, invisible
# operators, Mongolian vowel separator, Hangul filler.
INVISIBLES = (
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\u200e",
    "\u200f",
    "\u061c",
    "\u2066",
    "\u2069",
    "\u034f",
    "\ufe0f",
    "\u2062",
    "\u180e",
    "\u3164",
)
# Blocks of ten decimal digits (fullwidth, Arabic-Indic, Devanagari, Bengali, Thai, mathematical
# bold, double-struck and monospace), and digits that NFKC turns into ASCII ones.
DIGIT_BLOCKS = (0x30, 0xFF10, 0x660, 0x6F0, 0x966, 0x9E6, 0xE50, 0x1D7CE, 0x1D7D8, 0x1D7F6)
SUPERSCRIPTS = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
CIRCLED = "\u24ea\u2460\u2461\u2462\u2463\u2464\u2465\u2466\u2467\u2468"

WORDS = (
    "gesprek",
    "kamer",
    "kinderen",
    "notitie",
    "mevrouw",
    "belt",
    "terug",
    "afspraak",
    "bij",
    "de",
    "nummer",
    "Wielwijk",
    "Dordrecht",
    "BSN",
    "ziet",
    "werk",
    "zonnepanelen",
    "Ayşe",
    "Müller",
    "één",
    "uur",
    "taal",
)
# Text beside a BSN: words, small numbers (kamer 4, 2 kinderen), full dates, line breaks.
# No "+" and no number that starts with 00: those start a phone number (docs/privacy.md).
JOINTS = (" ", "  ", "\n", "\r\n", ", ", ": ", " - ", " \u2013 ", "\t", " (", ") ", "\u200b ", " \u00a0")


def elfproef(digits: str) -> bool:
    total = sum(int(d) * w for d, w in zip(digits, WEIGHTS, strict=True))
    return total % 11 == 0 and total != 0


@st.composite
def bsns(draw: st.DrawFn) -> str:
    """Nine digits that pass the elfproef."""
    first = draw(st.lists(st.integers(0, 9), min_size=8, max_size=8))
    last = sum(d * w for d, w in zip(first, WEIGHTS, strict=False)) % 11
    assume(last < 10)
    digits = "".join(map(str, first)) + str(last)
    assume(elfproef(digits))
    return digits


def _lookalike(digit: str, style: int) -> str:
    if style < len(DIGIT_BLOCKS):
        return chr(DIGIT_BLOCKS[style] + int(digit))
    if style == len(DIGIT_BLOCKS):
        return SUPERSCRIPTS[int(digit)]
    return CIRCLED[int(digit)]


def _looks_like_date(groups: list[str], separators: list[str]) -> bool:
    """Three groups that read as a date (docs/privacy.md: a date is read as a date, not as part
    of a BSN), such as 1.2.34 in "1.2.34 56789"."""
    for i in range(len(groups) - 2):
        a, b, c = groups[i : i + 3]
        same = separators[i] == separators[i + 1] and separators[i] in ("-", ".", "/")
        day_first = len(a) <= 2 and len(b) <= 2 and len(c) in (2, 4)
        year_first = len(a) == 4 and len(b) <= 2 and len(c) <= 2
        if same and (day_first or year_first):
            return True
    return False


@st.composite
def written_bsns(draw: st.DrawFn) -> tuple[str, str]:
    """(digits, text): a BSN cut into digit groups with separators, look-alike digits and
    invisible characters between its digits."""
    digits = draw(bsns())
    # A BSN that starts with 00 reads as an international phone number after it (docs/privacy.md).
    assume(not digits.startswith("00"))
    cuts = draw(st.sets(st.integers(1, 8), max_size=8))
    one_style = draw(st.booleans())
    style_separator = draw(st.sampled_from(SEPARATORS))
    groups, separators, current = [], [], ""
    for position, digit in enumerate(digits):
        if position in cuts:
            groups.append(current)
            separators.append(style_separator if one_style else draw(st.sampled_from(SEPARATORS)))
            current = ""
        current += digit
    groups.append(current)
    assume(not _looks_like_date(groups, separators))
    lookalikes = draw(st.booleans())
    pieces = []
    for index, group in enumerate(groups):
        if index:
            pieces.append(separators[index - 1])
        for digit in group:
            if lookalikes and draw(st.booleans()):
                digit = _lookalike(digit, draw(st.integers(0, len(DIGIT_BLOCKS) + 1)))
            pieces.append(digit)
            if draw(st.integers(0, 5)) == 0:
                pieces.append(draw(st.sampled_from(INVISIBLES)))
    return digits, "".join(pieces).rstrip("".join(INVISIBLES))


# Strategies built once: a fresh one_of/lists/text inside every draw made Hypothesis validate and
# analyse it again each time (two thirds of these tests' time).
@functools.cache
def dates() -> st.SearchStrategy[str]:
    """A real date as people write it: 12-03-2026, 1/2/2026, 2026-03-12, 12.3.26."""

    def write(day: date, form: int, separator: str) -> str:
        if form == 0:
            return f"{day.day:02d}{separator}{day.month:02d}{separator}{day.year}"
        if form == 1:
            return f"{day.day}{separator}{day.month}{separator}{day.year}"
        if form == 2:
            return f"{day.year}{separator}{day.month:02d}{separator}{day.day:02d}"
        return f"{day.day}{separator}{day.month}{separator}{day.year % 100:02d}"

    return st.builds(
        write,
        st.dates(date(1940, 1, 1), date(2099, 12, 31)),
        st.integers(0, 3),
        st.sampled_from(("-", "/", ".")),
    )


@functools.cache
def context() -> st.SearchStrategy[str]:
    """Text that may stand beside a BSN: words, small numbers, dates, letters and punctuation."""
    piece = st.one_of(
        st.sampled_from(WORDS),
        st.integers(1, 99999).map(str),
        dates(),
        st.text(alphabet=string.ascii_letters + "éëïüçşıĳ.,;:!?()'\"", min_size=1, max_size=8),
    )
    return st.lists(piece, max_size=4).map(" ".join)


@st.composite
def texts_with_a_bsn(draw: st.DrawFn) -> tuple[str, str]:
    """(digits, text): a written BSN in the middle of other text, numbers right beside it."""
    digits, written = draw(written_bsns())
    before, after = draw(context()), draw(context())
    text = written
    if before:
        text = before + draw(st.sampled_from(JOINTS)) + text
    if after:
        text = text + draw(st.sampled_from(JOINTS)) + after
    return digits, text


INTERNATIONAL_PREFIXES = ("+31 ", "+31 (0)", "+31 (0) ", "0031 ", "00 31 ", "+31", "0031", "(+31) ", "+31-")


def _pairs(digits: str) -> str:
    return " ".join(digits[i : i + 2] for i in range(0, len(digits), 2))


@st.composite
def dutch_phone_numbers(draw: st.DrawFn) -> str:
    """A Dutch mobile or landline number, national or international, in the usual spellings.
    Every national spelling has at least two digits in its first and its last group."""
    if draw(st.booleans()):
        area = "6"
        rest = draw(st.sampled_from("12345")) + draw(st.text(string.digits, min_size=7, max_size=7))
        spellings = (
            rest,
            f"-{rest}",
            f" {rest}",
            f" {rest[:4]} {rest[4:]}",
            f"-{rest[:4]} {rest[4:]}",
            f" {_pairs(rest)}",
            f" {rest[:3]} {rest[3:6]} {rest[6:]}",
        )
    else:
        area = draw(st.sampled_from(("10", "13", "20", "30", "70", "78", "111", "168", "180", "184", "186")))
        size = 8 - len(area)
        rest = draw(st.sampled_from("23456789")) + draw(st.text(string.digits, min_size=size, max_size=size))
        split = len(rest) % 2 + 2  # 123 45 67 or 12 34 56: no group of one digit
        spellings = (
            f"-{rest}",
            f" {rest}",
            f" {rest[:3]} {rest[3:]}",
            f" {rest[:split]} {_pairs(rest[split:])}",
        )
    assert len(area + rest) == 9
    spelling = draw(st.sampled_from(spellings))
    form = draw(st.integers(0, 2))
    if form == 0:
        return f"0{area}{spelling}"
    if form == 1 and area != "6":
        return f"(0{area}){spelling}"
    return f"{draw(st.sampled_from(INTERNATIONAL_PREFIXES))}{area}{spelling}"


# Country, BBAN pattern ("n" digit, "a" capital letter, "c" either): a few IBAN countries whose
# account numbers are all digits (so their groups could add up to nine) and the Dutch one.
IBAN_COUNTRIES = {
    "NL": "aaaa" + "n" * 10,
    "BE": "n" * 12,
    "DE": "n" * 18,
    "CH": "n" * 17,
    "AT": "n" * 16,
    "PL": "n" * 24,
    "ES": "n" * 20,
    "FR": "n" * 23,
    "LU": "n" * 16,
    "GB": "aaaa" + "n" * 14,
}


def _iban_number(text: str) -> int:
    return int("".join(str(int(ch, 36)) for ch in text))


@st.composite
def ibans(draw: st.DrawFn) -> str:
    """An IBAN with valid mod-97 check digits, printed in groups of four, compact, or lower case."""
    country = draw(st.sampled_from(sorted(IBAN_COUNTRIES)))
    bban = "".join(
        draw(st.sampled_from(string.ascii_uppercase if kind == "a" else string.digits))
        for kind in IBAN_COUNTRIES[country]
    )
    check = 98 - _iban_number(bban + country + "00") % 97
    compact = f"{country}{check:02d}{bban}"
    assert _iban_number(compact[4:] + compact[:4]) % 97 == 1
    form = draw(st.integers(0, 2))
    if form == 0:
        return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    return compact if form == 1 else compact.lower()


@st.composite
def dates_beside_house_numbers(draw: st.DrawFn) -> str:
    day = draw(dates())
    house = str(draw(st.integers(1, 9999)))
    joint = draw(st.sampled_from((" ", ", ", "\n", " - ", "  ")))
    pair = (day, house) if draw(st.booleans()) else (house, day)
    return joint.join(pair)


def in_words(number: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A number with words around it, the way it stands in a note."""
    return st.tuples(
        st.lists(st.sampled_from(WORDS), max_size=3).map(" ".join),
        number,
        st.lists(st.sampled_from(WORDS), max_size=3).map(" ".join),
        st.sampled_from((" ", "\n", ": ", " (", ", ")),
    ).map(lambda parts: f"{parts[0]}{parts[3]}{parts[1]} {parts[2]}".strip())
