"""Password rules: length, the offline list of common and breached passwords, no own name (issue 7)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.auth.accounts import add_user, get_or_create_organisation
from shared.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, password_problems
from shared.errors import Invalid

LISTED = "Dit wachtwoord staat in lijsten van veelgebruikte of gelekte wachtwoorden. Kies een ander."
PERSONAL = "Gebruik niet uw naam, uw e-mailadres of de naam van deze toepassing."


@pytest.mark.parametrize(
    "password",
    [
        "1234567890",
        "qwertyuiop",
        "wachtwoord123",
        "welkom12345",
        "Password123",
        "feyenoord1908",
        "aaaaaaaaaaaa",
    ],
)
def test_common_and_breached_passwords_are_refused(password: str) -> None:
    assert password_problems(password) == [LISTED]


@pytest.mark.parametrize(
    "password",
    ["fiets-molen-zonnepaneel", "Drie bomen op de Merwedekade!", "proef-wachtwoord-123", "7xq!Lp2#vR9m"],
)
def test_long_uncommon_passwords_pass(password: str) -> None:
    assert password_problems(password, email="a.jansen@example.nl", name="Anna Jansen") == []


@given(st.text(max_size=MIN_PASSWORD_LENGTH - 1))
def test_every_short_password_is_refused(password: str) -> None:
    assert password_problems(password) == [f"Gebruik minstens {MIN_PASSWORD_LENGTH} tekens."]


@given(st.text(min_size=MAX_PASSWORD_LENGTH + 1, max_size=MAX_PASSWORD_LENGTH + 50))
def test_every_overlong_password_is_refused(password: str) -> None:
    assert password_problems(password) == [f"Gebruik hoogstens {MAX_PASSWORD_LENGTH} tekens."]


@given(
    name=st.from_regex(r"[a-z]{4,12}", fullmatch=True),
    prefix=st.text(alphabet="xyz0123456789-!", max_size=8),
    suffix=st.text(alphabet="xyz0123456789-!", max_size=8),
)
def test_own_name_anywhere_in_the_password_is_refused(name: str, prefix: str, suffix: str) -> None:
    password = (prefix + name.capitalize() + suffix).ljust(MIN_PASSWORD_LENGTH, "#")
    assert PERSONAL in password_problems(password, email=f"{name}@example.nl", name="A. Jansen")
    assert PERSONAL in password_problems(password, email="a.jansen@example.nl", name=f"Anna {name}")


@given(st.text(alphabet="xyz0123456789-!#", max_size=6))
def test_name_of_the_application_is_refused(extra: str) -> None:
    assert PERSONAL in password_problems(f"Instap-{extra}-werk-2026")


def test_add_user_refuses_a_listed_password(accounts_db: Any) -> None:
    with accounts_db.unit_of_work() as s:
        org = get_or_create_organisation(s, "Gemeente Dordrecht", "gemeente")
        with pytest.raises(Invalid) as caught:
            add_user(
                s,
                email="b@test.instap.nl",
                name="B",
                password="wachtwoord123",
                role="jobcoach",
                organisation=org,
            )
    assert caught.value.errors == {"password": [LISTED]}
    assert caught.value.status == 422
