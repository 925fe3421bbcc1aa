"""Sectors are reference data: a programme adds a sector beyond the energy transition (the
council letter asks for that) by editing the reference file, without a code change."""

from __future__ import annotations

import json

import pytest

from shared import reference
from tests.conftest import LoggedIn
from tests.matching.factories import task_payload


@pytest.fixture
def new_sector(tmp_path, monkeypatch):
    data = json.loads(json.dumps(reference.data()))
    data["sectors"].append({"code": "groen", "name": "Groenvoorziening"})
    data["occupations"].append({"code": "hovenier_hulp", "name": "Hulp hovenier", "sector": "groen"})
    path = tmp_path / "reference.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setenv("INSTAP_REFERENCE_FILE", str(path))
    reference.data.cache_clear()
    yield
    monkeypatch.undo()
    reference.data.cache_clear()


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
