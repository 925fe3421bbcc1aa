"""Helpers every service's pages use: Dutch local dates and flattened validation messages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import gettext
from marshmallow import Schema, ValidationError

from shared import reference
from shared.clock import AMSTERDAM
from shared.validators import multiline_fields, unsafe_text_errors

# Days a resident can work (intake asks them, matching's candidate card shows them).
DAYS = {
    "ma": "Maandag",
    "di": "Dinsdag",
    "wo": "Woensdag",
    "do": "Donderdag",
    "vr": "Vrijdag",
    "za": "Zaterdag",
    "zo": "Zondag",
}


def local_datetime(value: datetime | None) -> str:
    """A stored UTC moment as Dutch local time (dd-mm-jjjj uu:mm)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M")


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


def load_in_one_round(schema: Schema, payload: dict[str, Any]) -> Any:
    """Load a form's payload; on error raise every problem of the form at once. Text that may not
    be stored (a BSN, a control character) stops the schema before it looks at anything else, so
    the rest of the form is checked again without those fields, and both lists are reported:
    the person fixes the whole form in one round instead of one kind of mistake per submit."""
    try:
        return schema.load(payload)
    except ValidationError as err:
        unsafe = unsafe_text_errors(payload, multiline_fields(schema))
        if not unsafe:
            raise
        heads = {path.split(".")[0] for path in unsafe}
        try:
            schema.load({k: v for k, v in payload.items() if k not in heads})
            rest: dict[str, Any] = {}
        except ValidationError as more:
            rest = {k: v for k, v in more.normalized_messages().items() if k not in heads}
        raise ValidationError({**rest, **unsafe}) from err


LANGUAGE_LEVELS = {
    "pre_A1": "Pre-A1 (nog bijna geen Nederlands)",
    "A1": "A1 (een paar woorden en zinnen)",
    "A2": "A2 (eenvoudige gesprekken)",
    "B1": "B1 (gewone gesprekken, eenvoudige teksten)",
    "B2": "B2 (goed)",
    "C1": "C1 (zeer goed)",
    "C2": "C2 (uitstekend)",
    "moedertaal": "Moedertaal",
}


class ReferenceLabels:
    """Plain-Dutch labels of the code lists pages show, per list (`kind`): each service subclasses
    it with its own lists; the reference-data lists are read when asked (the file can be replaced).
    `label`, `labels_for` and `options` are the one way every page turns codes into words."""

    levels = LANGUAGE_LEVELS

    def _table(self, kind: str) -> dict[Any, str]:
        return dict(getattr(self, kind))

    def label(self, kind: str, code: Any) -> str:
        """A code's plain-language label, translated; the code itself when the list lacks it."""
        if code is None or code == "":
            return ""
        table = self._table(kind)
        text = table.get(code)
        if text is None and isinstance(code, str) and code.isdigit():
            text = table.get(int(code))  # numbered scales (participatieladder) keyed by int
        return gettext(text) if text else str(code)

    def labels_for(self, kind: str, codes: Iterable[Any] | None) -> list[str]:
        """Labels of a list of codes, in the order of the code list (days: Monday first)."""
        order = list(self._table(kind))
        ordered = sorted(codes or [], key=lambda c: order.index(c) if c in order else len(order))
        return [self.label(kind, code) for code in ordered]

    def options(self, kind: str) -> dict[Any, str]:
        """A whole list as {code: translated label}, for selects and checkbox groups."""
        return {code: gettext(text) for code, text in self._table(kind).items()}

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
