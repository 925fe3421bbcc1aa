"""Sectors are reference data: a programme adds a sector beyond the energy transition (the
council letter asks for that) by editing the reference file, without a code change."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import pytest

from shared import reference
from tests.conftest import LoggedIn
from tests.matching.factories import task_payload


@contextlib.contextmanager
def _reference_file_with_a_sector(tmp_path, monkeypatch) -> Iterator[None]:
    """The reference file with a sector `groen` and its occupation added, read while inside."""
    data = json.loads(json.dumps(reference.data()))
    data["sectors"].append({"code": "groen", "name": "Groenvoorziening"})
    data["occupations"].append({"code": "hovenier_hulp", "name": "Hulp hovenier", "sector": "groen"})
    path = tmp_path / "reference.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setenv("INSTAP_REFERENCE_FILE", str(path))
    reference.data.cache_clear()
    try:
        yield
    finally:
        monkeypatch.undo()
        reference.data.cache_clear()


@pytest.fixture
def new_sector(tmp_path, monkeypatch):
    with _reference_file_with_a_sector(tmp_path, monkeypatch):
        yield


def test_a_code_is_looked_up_in_the_reference_file_as_it_is_now(tmp_path, monkeypatch) -> None:
    """Codes are checked in a set made once per reading of the file (issue 12): a file read
    again (a new sector, say) is what the next check sees."""
    assert reference.is_code("sectors", "energie") and not reference.is_code("sectors", "groen")
    assert not reference.is_code("sectors", ["energie"])  # not a code, and no error
    with _reference_file_with_a_sector(tmp_path, monkeypatch):
        assert reference.is_code("sectors", "groen")
        assert "groen" in reference.codes("sectors")
    assert not reference.is_code("sectors", "groen")


def test_every_occupation_names_a_known_sector():
    sectors = set(reference.codes("sectors"))
    assert {"energie", "zorg", "logistiek"} <= sectors
    assert all(o["sector"] in sectors for o in reference.data()["occupations"])


def test_a_new_sector_from_the_reference_file_needs_no_code(new_sector, matching_app, make_user):
    contractor = LoggedIn(matching_app.test_client(), make_user("aannemer", org="Groen BV"), "/matching")
    r = contractor.post(
        "/matching/api/v1/tasks",
        json=task_payload(title="Hulp hovenier Wielwijk", occupation="hovenier_hulp"),
    )
    assert r.status_code == 201, r.json
    page = contractor.get(f"/matching/taken/{r.json['id']}").text
    assert "Groenvoorziening" in page and "Hulp hovenier" in page
    assert reference.sector_of("hovenier_hulp") == "groen"
