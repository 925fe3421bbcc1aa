"""Input guards: only initials, well-formed crebo and werkproces codes reach a credential."""

from __future__ import annotations

import re
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from faker import Faker
from hypothesis import given, settings
from hypothesis import strategies as st

from services.matching.credentials import CertificateDataError, CredentialUrls, Qualification, Werkproces
from services.matching.credentials.model import validate_crebo, validate_initials, validate_werkproces_code

from .conftest import praktijkverklaring_record

UPPER = "ABCDEFGHJKLMNOPQRSTUVWXYZ"
initials = st.lists(st.sampled_from([*UPPER, "IJ", "Th", "Chr", "Ph"]), min_size=1, max_size=6).map(
    lambda parts: "".join(p + "." for p in parts)
)


@settings(deadline=None)  # no timing in pass/fail tests (the machine is shared)
@given(initials)
def test_initials_are_accepted(value: str) -> None:
    assert validate_initials(value) == value


FAKERS = {locale: Faker(locale) for locale in ("nl_NL", "en_GB", "tr_TR", "pl_PL")}


@settings(deadline=None)  # no timing in pass/fail tests; Faker also loads locale data lazily
@given(st.integers(0, 9999), st.sampled_from(sorted(FAKERS)))
def test_names_are_never_accepted_as_initials(seed: int, locale: str) -> None:
    fake = FAKERS[locale]
    fake.seed_instance(seed)
    for name in (fake.first_name(), fake.last_name(), fake.name(), fake.first_name() + "."):
        if re.fullmatch(r"(?:(?:IJ|Chr|Ch|Ph|Th|[A-Z])\.)+", name.replace(" ", "")):
            continue  # a one-letter "name" is an initial
        with pytest.raises(CertificateDataError) as caught:
            validate_initials(name)
        assert caught.value.field == "initials"


@settings(deadline=None)  # no timing in pass/fail tests (the machine is shared)
@given(st.text(max_size=12))
def test_initials_guard_accepts_nothing_but_initials(text: str) -> None:
    try:
        accepted = validate_initials(text)
    except CertificateDataError:
        return
    assert re.fullmatch(r"(?:(?:IJ|Chr|Ch|Ph|Th|[A-ZÀ-ÖØ-Þ])\.){1,6}", accepted)


@settings(deadline=None)  # no timing in pass/fail tests (the machine is shared)
@given(st.integers(1, 99), st.integers(1, 99), st.integers(1, 99), st.sampled_from("BP"))
def test_werkproces_codes(b: int, k: int, w: int, part: str) -> None:
    code = f"{part}{b}-K{k}-W{w}"
    assert validate_werkproces_code(code) == code
    for broken in (code.lower(), code.replace("-", ""), code + "-", f"{part}{b}-W{w}-K{k}", " " + code):
        with pytest.raises(CertificateDataError):
            validate_werkproces_code(broken)


@settings(deadline=None)  # no timing in pass/fail tests (the machine is shared)
@given(st.text(max_size=8))
def test_crebo_is_exactly_five_digits(text: str) -> None:
    if re.fullmatch(r"[0-9]{5}", text):
        assert validate_crebo(text) == text
    else:
        with pytest.raises(CertificateDataError):
            validate_crebo(text)


def test_record_rejects_bad_values() -> None:
    urls = CredentialUrls("https://instap.example.nl")
    cases: list[tuple[str, dict[str, object]]] = [
        ("verification_code", {"verification_code": "K7QM-4RTX-B"}),
        ("initials", {"initials": "Jan de Vries"}),
        ("issued", {"issued": datetime(2025, 6, 2, 10, 0)}),  # naive: ambiguous moment
        ("valid_until", {"valid_until": date(2025, 6, 1)}),
        ("status_index", {"status_index": 131072}),
        ("status_index", {"status_index": -1}),
        ("status_index", {"status_index": True}),
        ("status_list", {"status_list": "../etc"}),
    ]
    for field, change in cases:
        with pytest.raises(CertificateDataError) as caught:
            praktijkverklaring_record(urls, **change)
        assert caught.value.field == field, change
    with pytest.raises(CertificateDataError):
        Qualification("2512", "Monteur")
    with pytest.raises(CertificateDataError):
        Werkproces("B1-K1")


def test_record_is_frozen_and_normalised() -> None:
    urls = CredentialUrls("https://instap.example.nl")
    record = praktijkverklaring_record(urls, verification_code="k7qm4rtxa", initials="J. A.")
    assert record.verification_code == "K7QM-4RTX-A"
    assert record.initials == "J.A."
    with pytest.raises(FrozenInstanceError):
        record.initials = "X."  # type: ignore[misc]


def test_valid_from_is_utc() -> None:
    urls = CredentialUrls("https://instap.example.nl")
    summer = timezone(timedelta(hours=2))
    record = praktijkverklaring_record(urls, issued=datetime(2025, 6, 2, 10, 30, 15, 999, tzinfo=summer))
    assert record.valid_from == datetime(2025, 6, 2, 8, 30, 15, tzinfo=UTC)
    assert praktijkverklaring_record(urls).valid_from == datetime(2025, 6, 2, tzinfo=UTC)
