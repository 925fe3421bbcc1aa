"""Intake form ↔ API schema: form fields to the dict the schema loads, schema errors to fields."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from services.intake.models import Resident
from shared import reference
from shared.i18n import translate_errors
from shared.pages import flatten_errors

TEXT_FIELDS = (
    "first_name",
    "last_name",
    "phone",
    "email",
    "street",
    "house_number",
    "postcode",
    "city",
    "work_experience",
)
# Fields the schema does not allow to be empty (None): an empty box is left out on create and
# sent as "" on edit, so clearing a name is refused instead of silently ignored.
REQUIRED_TEXT = ("first_name", "last_name", "wijk", "gender")
NULLABLE_CHOICES = ("income",)
NUMBER_FIELDS = ("birth_year", "participatieladder", "hours_per_week")
DATE_FIELDS = ("available_from",)
# Rijbewijs B is asked once, as a certificate (with its expiry date); driving_licence follows it.
YES_NO_FIELDS = ("own_transport", "work_at_height", "heavy_work")
DRIVING_LICENCE = "rijbewijs_b"
LIST_FIELDS = ("days", "interests", "skills", "barriers")

# Form order: the error summary lists problems in the order the fields appear.
FIELD_LABELS = {
    "first_name": "Voornaam",
    "last_name": "Achternaam",
    "phone": "Telefoonnummer",
    "email": "E-mailadres",
    "contact_preference": "Contact na kennismaking",
    "street": "Straat",
    "house_number": "Huisnummer",
    "postcode": "Postcode",
    "city": "Woonplaats",
    "wijk": "Wijk",
    "birth_year": "Geboortejaar",
    "gender": "Gender",
    "participatieladder": "Participatieladder",
    "income": "Inkomen",
    "language_spoken": "Spreken en luisteren",
    "language_written": "Lezen en schrijven",
    "certificates": "Certificaten",
    "hours_per_week": "Uren per week",
    "days": "Dagen",
    "available_from": "Beschikbaar vanaf",
    "own_transport": "Eigen vervoer",
    "interests": "Interesse in werk als",
    "skills": "Vaardigheden",
    "work_experience": "Werkervaring",
    "work_at_height": "Werken op hoogte",
    "heavy_work": "Zwaar werk",
    "barriers": "Praktische drempels",
    "coach_id": "Jobcoach",
}
FORM_ERROR_KEY = "_form"


def expiring_certificates() -> set[str]:
    """Certificates that expire (a diploma does not): only these ask 'geldig tot'."""
    return {c["code"] for c in reference.data()["certificates"] if c.get("valid_years")}


def cert_date_field(code: str) -> str:
    return f"cert_valid_until_{code}"


def _clean(value: str | None) -> str:
    return (value or "").strip()


def payload_from_form(
    form: MultiDict, *, editing: bool, obtained_on: dict[str, date | None] | None = None
) -> dict[str, Any]:
    """The dict ResidentCreateSchema / ResidentUpdateSchema loads, built from request.form."""
    data: dict[str, Any] = {}
    for key in TEXT_FIELDS + NUMBER_FIELDS + DATE_FIELDS + NULLABLE_CHOICES:
        value = _clean(form.get(key))
        if key in REQUIRED_TEXT:
            continue
        data[key] = value or None
    for key in REQUIRED_TEXT:
        value = _clean(form.get(key))
        if value or editing:
            data[key] = value
    # Not chosen: left out, so a new resident gets the default (telefoon when there is a phone
    # number, else e-mail) and an edit keeps the stored choice.
    choice = _clean(form.get("contact_preference"))
    if choice:
        data["contact_preference"] = choice
    data["language"] = {
        "spoken": _clean(form.get("language_spoken")) or None,
        "written": _clean(form.get("language_written")) or None,
    }
    for key in YES_NO_FIELDS:
        value = _clean(form.get(key))
        if value:
            # Anything but ja/nee goes to the schema as is, so it answers "Kies ja of nee."
            data[key] = {"ja": True, "nee": False}.get(value, value)
    for key in LIST_FIELDS:
        data[key] = [v for v in form.getlist(key) if v]
    certificates = []
    for code in dict.fromkeys(form.getlist("certificates")):
        cert: dict[str, Any] = {"code": code, "valid_until": _clean(form.get(cert_date_field(code))) or None}
        kept = (obtained_on or {}).get(code)
        if kept is not None:
            cert["obtained_on"] = kept.isoformat()
        certificates.append(cert)
    data["certificates"] = certificates
    data["driving_licence"] = DRIVING_LICENCE in form.getlist("certificates")
    return data


def values_from_form(form: MultiDict) -> dict[str, Any]:
    """What the coach typed, to show again after an error (lists for checkbox groups)."""
    values: dict[str, Any] = {key: form.get(key, "") for key in form}
    for key in LIST_FIELDS + ("certificates",):
        values[key] = form.getlist(key)
    return values


def values_from_resident(resident: Resident) -> dict[str, Any]:
    """The stored resident in the shape of the form (for the edit page)."""
    values: dict[str, Any] = {}
    for key in TEXT_FIELDS + ("contact_preference", "wijk", "gender", "income"):
        values[key] = getattr(resident, key) or ""
    values["birth_year"] = str(resident.birth_year or "")
    values["participatieladder"] = str(resident.participatieladder or "")
    values["hours_per_week"] = str(resident.hours_per_week or "")
    available = resident.available_from
    values["available_from"] = available.isoformat() if available else ""
    values["language_spoken"] = resident.language_spoken or ""
    values["language_written"] = resident.language_written or ""
    for key in YES_NO_FIELDS:
        values[key] = "ja" if getattr(resident, key) else "nee"
    for key in LIST_FIELDS:
        values[key] = list(getattr(resident, key) or [])
    values["certificates"] = [c.code for c in resident.certificates]
    if resident.driving_licence and DRIVING_LICENCE not in values["certificates"]:
        values["certificates"].append(DRIVING_LICENCE)
    for cert in resident.certificates:
        until = cert.valid_until
        values[cert_date_field(cert.code)] = until.isoformat() if until else ""
    return values


def empty_values() -> dict[str, Any]:
    values: dict[str, Any] = {key: [] for key in LIST_FIELDS + ("certificates",)}
    values["gender"] = "onbekend"
    return values


def _field_for(path: str, payload: dict[str, Any]) -> str:
    parts = path.split(".")
    head = parts[0]
    if head == "language":
        return "language_written" if len(parts) > 1 and parts[1] == "written" else "language_spoken"
    if head == "certificates" and len(parts) > 2 and parts[2] in ("valid_until", "obtained_on"):
        try:
            return cert_date_field(payload["certificates"][int(parts[1])]["code"])
        except (IndexError, KeyError, ValueError):
            return "certificates"
    if head in FIELD_LABELS or head.startswith("cert_valid_until_"):
        return head
    return FORM_ERROR_KEY


def field_errors(errors: Any, payload: dict[str, Any]) -> dict[str, str]:
    """Schema or domain errors as one translated message per form field, in form order."""
    per_field: dict[str, list[str]] = {}
    for path, message in flatten_errors(translate_errors(errors)):
        messages = per_field.setdefault(_field_for(path, payload), [])
        if message not in messages:
            messages.append(message)
    order = list(FIELD_LABELS)

    def position(key: str) -> int:
        if key.startswith("cert_valid_until_"):
            return order.index("certificates")
        return order.index(key) if key in order else len(order)

    return {key: " ".join(per_field[key]) for key in sorted(per_field, key=position)}


def simple_errors(errors: Any) -> dict[str, str]:
    """Errors of a small form (one level of fields), translated, one message per field."""
    per_field: dict[str, list[str]] = {}
    for path, message in flatten_errors(translate_errors(errors)):
        messages = per_field.setdefault(path.split(".")[0] or FORM_ERROR_KEY, [])
        if message not in messages:
            messages.append(message)
    return {key: " ".join(msgs) for key, msgs in per_field.items()}


def field_label(key: str) -> str:
    """The visible label of a form field, for the error summary."""
    if key.startswith("cert_valid_until_"):
        code = key.removeprefix("cert_valid_until_")
        return _("Geldig tot (%(certificate)s)", certificate=reference.names("certificates").get(code, code))
    label = FIELD_LABELS.get(key)
    return _(label) if label else _("Formulier")
