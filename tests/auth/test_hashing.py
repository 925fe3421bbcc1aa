"""Password hashing profiles: full strength by default, the cheap test profile never in production."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.auth.accounts import add_user, authenticate, get_or_create_organisation
from shared.auth.hashing import hashing_for, hashing_profile
from shared.config import ConfigError, load_settings

FULL_STRENGTH = "$argon2id$v=19$m=65536,t=3,p=4$"


def test_settings_default_to_full_strength(monkeypatch):
    monkeypatch.delenv("INSTAP_PASSWORD_HASHING", raising=False)
    assert load_settings(env="development").password_hashing == "standard"
    assert hashing_for(load_settings(env="development")).profile == "standard"


def test_production_refuses_the_fast_profile():
    with pytest.raises(ConfigError, match="INSTAP_PASSWORD_HASHING"):
        load_settings(
            env="production",
            secret_key="k" * 40,
            redis_url="redis://127.0.0.1:6379/0",
            accounts_database_url="postgresql+psycopg://x@127.0.0.1/x",
            intake_database_url="postgresql+psycopg://x@127.0.0.1/x",
            matching_database_url="postgresql+psycopg://x@127.0.0.1/x",
            password_hashing="fast",
        )


def test_unknown_profile_is_a_config_error():
    with pytest.raises(ConfigError, match="password_hashing"):
        load_settings(env="test", password_hashing="none")


@settings(max_examples=30, deadline=None)
@given(password=st.text(min_size=1, max_size=40), other=st.text(min_size=1, max_size=40))
def test_fast_profile_accepts_only_the_password(password, other):
    hashing = hashing_profile("fast")
    stored = hashing.hash(password)
    assert hashing.verify(stored, password)
    assert hashing.verify(stored, other) is (other == password)
    assert not hashing.verify(None, password)  # no stored hash: never a match
    assert not hashing.verify("not a hash", password)


def test_unknown_email_never_matches_even_with_the_dummy_password():
    assert not hashing_profile("fast").verify(None, "not-a-real-password")


def test_login_with_full_strength_rehashes_a_cheap_hash(accounts_db):
    """A hash made by the test profile is upgraded at the first login of a full-strength process."""
    with accounts_db.unit_of_work() as s:
        org = get_or_create_organisation(s, "Gemeente Dordrecht", "gemeente")
        user = add_user(
            s,
            email="rehash@test.instap.nl",
            name="Rehash",
            password="lang-genoeg-wachtwoord",
            role="jobcoach",
            organisation=org,
            hashing=hashing_profile("fast"),
        )
        assert not user.password_hash.startswith(FULL_STRENGTH)
    with accounts_db.unit_of_work() as s:
        assert authenticate(s, "rehash@test.instap.nl", "wrong-password", hashing_profile("standard")) is None
        user = authenticate(s, "rehash@test.instap.nl", "lang-genoeg-wachtwoord", hashing_profile("standard"))
        assert user is not None and user.password_hash.startswith(FULL_STRENGTH)
    with accounts_db.unit_of_work() as s:
        assert authenticate(s, "rehash@test.instap.nl", "lang-genoeg-wachtwoord", hashing_profile("standard"))
