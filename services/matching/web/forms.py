"""Task and slot forms ↔ the API schemas: form fields to the dict a schema loads, errors back."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from services.matching.models import Task, TrainingSlot
from shared.i18n import translate_errors
from shared.pages import flatten_errors

FORM_ERROR_KEY = "_form"
REQUIRED_MESSAGE = "Vul dit veld in."


class FormSpec:
    """Which form fields a schema has and how a browser sends them."""

    def __init__(
        self,
        labels: dict[str, str],
        required: tuple[str, ...],
        text: tuple[str, ...],
        nullable: tuple[str, ...],
        numbers: tuple[str, ...],
        dates: tuple[str, ...],
        yes_no: tuple[str, ...],
        lists: tuple[str, ...],
        split: tuple[str, ...],
    ):
        self.labels = labels  # form order: the error summary follows it
        self.required = required
        self.text = text
        self.nullable = nullable
        self.numbers = numbers
        self.dates = dates
        self.yes_no = yes_no
        self.lists = lists
        self.split = split


TASK = FormSpec(
    labels={
        "title": "Titel",
        "occupation": "Beroep",
        "corporation": "Woningcorporatie",
        "project": "Project",
        "wijk": "Wijk",
        "site": "Werkplek of adres",
        "start_date": "Startdatum",
        "end_date": "Einddatum",
        "hours_per_week": "Uren per week",
        "places": "Aantal plaatsen",
        "contract_type": "Soort contract",
        "req_certificates": "Verplichte certificaten",
        "req_language_spoken": "Spreken en luisteren",
        "req_language_written": "Lezen en schrijven",
        "req_driving_licence": "Rijbewijs B nodig",
        "req_work_at_height": "Werken op hoogte",
        "req_heavy_work": "Zwaar werk",
        "skills": "Vaardigheden",
        "werkprocessen": "Werkprocessen",
        "sroi_tag": "SROI-kenmerk",
        "contact_name": "Contactpersoon",
        "contact_phone": "Telefoon van de contactpersoon",
        "contact_email": "E-mail van de contactpersoon",
    },
    required=(
        "title",
        "occupation",
        "wijk",
        "start_date",
        "hours_per_week",
        "places",
        "contract_type",
        "contact_name",
    ),
    text=("title", "occupation", "wijk", "contract_type"),
    nullable=(
        "corporation",
        "project",
        "site",
        "sroi_tag",
        "req_language_spoken",
        "req_language_written",
        "end_date",
        "contact_name",
        "contact_phone",
        "contact_email",
    ),
    numbers=("hours_per_week", "places"),
    dates=("start_date",),
    yes_no=("req_driving_licence", "req_work_at_height", "req_heavy_work"),
    lists=("req_certificates", "skills"),
    split=("werkprocessen",),
)

SLOT = FormSpec(
    labels={
        "name": "Naam van de opleiding",
        "occupations": "Leidt op voor",
        "grants": "Certificaten",
        "crebo": "Crebo-code",
        "werkprocessen": "Werkprocessen",
        "start_date": "Startdatum",
        "weeks": "Aantal weken",
        "seats": "Aantal plekken",
        "site": "Locatie",
        "min_language_spoken": "Minimaal taalniveau",
        "vca_exam_included": "VCA-examen",
        "contact_name": "Contactpersoon",
        "contact_phone": "Telefoon van de contactpersoon",
        "contact_email": "E-mail van de contactpersoon",
    },
    required=("name", "occupations", "start_date", "weeks", "seats", "contact_name"),
    text=("name",),
    nullable=("crebo", "site", "min_language_spoken", "contact_name", "contact_phone", "contact_email"),
    numbers=("weeks", "seats"),
    dates=("start_date",),
    yes_no=("vca_exam_included",),
    lists=("occupations", "grants"),
    split=("werkprocessen",),
)


def _clean(value: str | None) -> str:
    return (value or "").strip()


def split_list(value: str | None) -> list[str]:
    """'B1-K1-W1, B1-K1-W2' or one per line → ['B1-K1-W1', 'B1-K1-W2']."""
    return [part.strip() for part in re.split(r"[,;\n\r]+", value or "") if part.strip()]


def payload(spec: FormSpec, form: MultiDict, *, editing: bool) -> dict[str, Any]:
    """The dict the create or update schema loads. An empty required field is left out on
    create (the schema says "Vul dit veld in.") and sent empty on edit, so clearing it is refused."""
    data: dict[str, Any] = {}
    for key in spec.text + spec.numbers + spec.dates:
        value = _clean(form.get(key))
        if value or editing:
            data[key] = value
    for key in spec.nullable:
        data[key] = _clean(form.get(key)) or None
    for key in spec.yes_no:
        value = _clean(form.get(key))
        if value:
            # Anything but ja/nee goes to the schema as is, so it answers "Kies ja of nee."
            data[key] = {"ja": True, "nee": False}.get(value, value)
    for key in spec.lists:
        data[key] = list(dict.fromkeys(v for v in form.getlist(key) if v))
    for key in spec.split:
        data[key] = split_list(form.get(key))
    return data


def missing_required(spec: FormSpec, data: dict[str, Any]) -> dict[str, list[str]]:
    """Required fields left empty. The create schema checks these only once every other field
    is valid; the page says it at once, with the schema's own message."""
    return {key: [REQUIRED_MESSAGE] for key in spec.required if data.get(key) in (None, "", [])}


def values_from_form(spec: FormSpec, form: MultiDict) -> dict[str, Any]:
    """What the user typed, to show again after an error (lists for checkbox groups)."""
    values: dict[str, Any] = {key: form.get(key, "") for key in form}
    for key in spec.lists:
        values[key] = form.getlist(key)
    return values


def values_from(spec: FormSpec, row: Task | TrainingSlot) -> dict[str, Any]:
    """A stored task or slot in the shape of its form (for the edit page)."""
    values: dict[str, Any] = {}
    for key in spec.labels:
        value = getattr(row, key)
        if key in spec.yes_no:
            values[key] = "ja" if value else "nee"
        elif key in spec.lists:
            values[key] = list(value or [])
        elif key in spec.split:
            values[key] = ", ".join(value or [])
        elif hasattr(value, "isoformat"):
            values[key] = value.isoformat()
        else:
            values[key] = "" if value is None else str(value)
    return values


def empty_values(spec: FormSpec, contact_name: str = "") -> dict[str, Any]:
    """A new form; the contact person starts as the person filling it in."""
    values: dict[str, Any] = {key: [] for key in spec.lists}
    values["contact_name"] = contact_name
    for key in spec.yes_no:
        values[key] = "nee"
    return values


def field_errors(spec: FormSpec | None, errors: Any) -> dict[str, str]:
    """Schema or domain errors as one translated message per form field, in form order."""
    per_field: dict[str, list[str]] = {}
    known = spec.labels if spec else None
    for path, message in flatten_errors(translate_errors(errors)):
        head = path.split(".")[0]
        key = head if head and (known is None or head in known) else FORM_ERROR_KEY
        messages = per_field.setdefault(key, [])
        if message not in messages:
            messages.append(message)
    order = list(known or [])
    return {
        key: " ".join(per_field[key])
        for key in sorted(per_field, key=lambda k: order.index(k) if k in order else len(order))
    }


def field_label_for(spec: FormSpec):  # type: ignore[no-untyped-def]
    """The visible label of a form field, for the error summary."""

    def field_label(key: str) -> str:
        text = spec.labels.get(key)
        return _(text) if text else _("Formulier")

    return field_label
