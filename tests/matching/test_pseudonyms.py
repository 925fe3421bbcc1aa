"""The pseudonym on a card: keyed per organisation and opening, never the programme id (issue 7)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from services.matching.domain.pseudonyms import pseudonym

KEY = b"k" * 32
PIDS = st.text(alphabet="23456789ABCDEFGHJKMNPQRSTVWXYZ", min_size=8, max_size=8).map(lambda s: f"DW-{s}")
ORGS = st.integers(min_value=1, max_value=2**31 - 1)
OPENINGS = st.builds(lambda kind, n: f"{kind}:{n}", st.sampled_from(["task", "slot"]), st.integers(1, 10**6))


@given(PIDS, ORGS, ORGS, OPENINGS)
def test_two_organisations_see_unrelated_pseudonyms(pid, org_a, org_b, opening):
    shown = pseudonym(KEY, org_a, opening, pid)
    assert re.fullmatch(r"K-[A-Z2-7]{4}-[A-Z2-7]{4}", shown)
    assert pid[3:] not in shown
    assert shown == pseudonym(KEY, org_a, opening, pid)  # stable: the same card twice
    if org_a != org_b:
        assert shown != pseudonym(KEY, org_b, opening, pid)


@given(PIDS, ORGS, OPENINGS, OPENINGS)
def test_one_organisation_sees_another_pseudonym_per_opening(pid, org, one, other):
    if one != other:
        assert pseudonym(KEY, org, one, pid) != pseudonym(KEY, org, other, pid)


@given(PIDS, PIDS, ORGS, OPENINGS)
def test_without_the_key_nothing_links(pid, other_pid, org, opening):
    assert pseudonym(KEY, org, opening, pid) != pseudonym(b"another key" * 3, org, opening, pid)
    if pid != other_pid:
        assert pseudonym(KEY, org, opening, pid) != pseudonym(KEY, org, opening, other_pid)


def test_dev_key_is_generated_once_into_the_data_dir(tmp_path):
    from shared.config import load_settings

    settings = load_settings(env="development", data_dir=tmp_path)
    key = settings.ensure_pseudonym_key()
    assert (tmp_path / "dev-pseudonym-key").read_text().strip().encode() == key and len(key) >= 32
    assert load_settings(env="development", data_dir=tmp_path).ensure_pseudonym_key() == key
    assert (
        load_settings(env="development", data_dir=tmp_path, pseudonym_key="x" * 40).ensure_pseudonym_key()
        == b"x" * 40
    )
