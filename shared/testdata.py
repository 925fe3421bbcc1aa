"""Sample data shared by the tests and the benchmarks (one definition, so both send the same)."""

from __future__ import annotations

from typing import Any

RESIDENT: dict[str, Any] = {
    "first_name": "Ayşe",
    "last_name": "Yılmaz",
    "phone": "06 12345678",
    "email": "ayse@example.nl",
    "street": "Wielwijkstraat",
    "house_number": "12",
    "postcode": "3317 AB",
    "city": "Dordrecht",
    "wijk": "wielwijk",
    "birth_year": 1990,
    "gender": "vrouw",
    "participatieladder": 3,
    "language": {"spoken": "B1", "written": "A2"},
    "certificates": [{"code": "vca_basis", "obtained_on": "2024-03-01", "valid_until": "2034-03-01"}],
    "driving_licence": False,
    "own_transport": True,
    "hours_per_week": 24,
    "days": ["ma", "di", "wo"],
    "available_from": "2027-01-15",
    "interests": ["hulpmonteur_zonnepanelen"],
    "skills": ["gereedschap", "meten"],
    "work_experience": "Twee jaar magazijnwerk",
    "barriers": ["kinderopvang"],
    "income": "bijstand",
    "work_at_height": True,
    "heavy_work": False,
}
"""A valid intake as a coach would send it (POST /intake/api/v1/residents)."""


def resident_payload(**overrides: Any) -> dict[str, Any]:
    """A fresh copy of RESIDENT (nested lists and dicts too) with `overrides` applied."""
    data: dict[str, Any] = {
        key: ([dict(v) if isinstance(v, dict) else v for v in value] if isinstance(value, list) else value)
        for key, value in RESIDENT.items()
    }
    data["language"] = dict(RESIDENT["language"])
    data.update(overrides)
    return data
