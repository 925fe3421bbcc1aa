"""Helpers every service's pages use: Dutch local dates and flattened validation messages."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared import reference

LOCAL_TZ = ZoneInfo("Europe/Amsterdam")


def local_datetime(value: datetime | None) -> str:
    """A stored UTC moment as Dutch local time (dd-mm-jjjj uu:mm)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL_TZ).strftime("%d-%m-%Y %H:%M")


def local_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local_datetime(value)[:10]
    return value.strftime("%d-%m-%Y")


def flatten_errors(errors: Any, path: str = "") -> list[tuple[str, str]]:
    """marshmallow's nested errors (and the BSN check's dotted paths) as (path, message)."""
    found: list[tuple[str, str]] = []
    if isinstance(errors, dict):
        for key, inner in errors.items():
            found += flatten_errors(inner, f"{path}.{key}" if path else str(key))
    elif isinstance(errors, list):
        for item in errors:
            found += flatten_errors(item, path)
    else:
        found.append((path, str(errors)))
    return found


class ReferenceLabels:
    """Names of the reference-data code lists, read when asked (the file can be replaced)."""

    @property
    def wijken(self) -> dict[str, str]:
        return reference.names("wijken")

    @property
    def sectors(self) -> dict[str, str]:
        return reference.names("sectors")

    @property
    def occupations(self) -> dict[str, str]:
        return reference.names("occupations")

    @property
    def skills(self) -> dict[str, str]:
        return reference.names("skills")

    @property
    def certificates(self) -> dict[str, str]:
        return reference.names("certificates")
