"""The one contact channel the resident chose (issue 8): asked at intake, always filled in, and
the only channel an introduced organisation receives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError
from sqlalchemy import select, text

from services.intake.api.schemas import ResidentCreateSchema, ResidentUpdateSchema
from services.intake.domain.introductions import on_proposal_changed
from services.intake.models import AuditEntry, Base, Resident
from shared.components import COMPONENTS
from shared.db import Database, utcnow
from shared.migrations import alembic_config, upgrade
from tests.conftest import LoggedIn, resident_payload
from tests.intake.test_pages import field_error, form_data, post_form
from tests.support.empty_db import empty_database

API = "/intake/api/v1/residents"
CHOSE_EMAIL_WITHOUT_ADDRESS = (
    "Gekozen is e-mail, maar er is geen e-mailadres. Vul het e-mailadres in of kies telefoon."
)


@pytest.fixture
def coach(make_user: Any, login: Any) -> LoggedIn:
    return login(make_user("jobcoach", name="Fatima el Amrani"))


def _stored(app: Any, programme_id: str) -> str | None:
    with app.extensions["instap"].db.unit_of_work() as s:
        return s.scalar(select(Resident.contact_preference).where(Resident.programme_id == programme_id))


# --- API -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "email", "expected"),
    [("06 12345678", "a@example.nl", "telefoon"), (None, "a@example.nl", "e-mail")],
)
def test_a_client_that_does_not_send_the_choice_gets_the_old_rule(
    app: Any, coach: LoggedIn, phone: str | None, email: str, expected: str
) -> None:
    created = coach.post(API, json=resident_payload(phone=phone, email=email))
    assert created.status_code == 201, created.json
    assert created.json["contact_preference"] == expected
    # An update without the choice keeps it.
    pid = created.json["programme_id"]
    assert coach.patch(f"{API}/{pid}", json={"hours_per_week": 20}).json["contact_preference"] == expected


def test_the_chosen_channel_must_be_filled_in_in_one_round(app: Any, coach: LoggedIn) -> None:
    response = coach.post(
        API, json=resident_payload(contact_preference="e-mail", email=None, last_name="", postcode="33A")
    )
    assert response.status_code == 422
    errors = response.json["errors"]
    # Every problem at once, the choice at its own field.
    assert set(errors) >= {"contact_preference", "last_name", "postcode"}
    assert errors["contact_preference"] == [CHOSE_EMAIL_WITHOUT_ADDRESS]
    assert "phone" not in errors  # there is a phone number: only the choice is wrong
    unknown = coach.post(API, json=resident_payload(contact_preference="post"))
    assert unknown.status_code == 422 and "contact_preference" in unknown.json["errors"]


def test_an_update_may_not_empty_the_chosen_channel(app: Any, coach: LoggedIn) -> None:
    pid = coach.post(API, json=resident_payload(contact_preference="e-mail")).json["programme_id"]
    for change in ({"email": None}, {"contact_preference": "telefoon", "phone": None}):
        refused = coach.patch(f"{API}/{pid}", json=change)
        assert refused.status_code == 422, change
        assert set(refused.json["errors"]) == {"contact_preference"}
    assert _stored(app, pid) == "e-mail"
    # Chose telefoon (checked against the stored phone number), then the e-mail may go.
    assert coach.patch(f"{API}/{pid}", json={"contact_preference": "telefoon"}).status_code == 200
    cleared = coach.patch(f"{API}/{pid}", json={"email": None})
    assert cleared.status_code == 200 and cleared.json["contact_preference"] == "telefoon"
    # Without a phone number, telefoon cannot be chosen (the phone number is stored elsewhere).
    pid2 = coach.post(API, json=resident_payload(phone=None)).json["programme_id"]
    refused = coach.patch(f"{API}/{pid2}", json={"contact_preference": "telefoon"})
    assert refused.status_code == 422 and set(refused.json["errors"]) == {"contact_preference"}


@pytest.mark.both_backends
@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("telefoon", {"channel": "telefoon", "value": "0612345678"}),
        ("e-mail", {"channel": "e-mail", "value": "samira@example.nl"}),
    ],
)
def test_the_introduction_gives_exactly_the_chosen_channel(
    app: Any, coach: LoggedIn, make_user: Any, choice: str, expected: dict[str, str]
) -> None:
    pid = coach.post(
        API, json=resident_payload(first_name="Samira", email="samira@example.nl", contact_preference=choice)
    ).json["programme_id"]
    for purpose in ("registratie", "delen_werkgever"):
        given_consent = coach.post(
            f"{API}/{pid}/consents",
            json={"purpose": purpose, "method": "schriftelijk", "info_version": "2026-01"},
        )
        assert given_consent.status_code == 201
    contractor = make_user("aannemer", org="Installateur Dordt")
    with app.extensions["instap"].db.unit_of_work() as s:
        on_proposal_changed(
            s,
            {
                "proposal_id": 7,
                "programme_id": pid,
                "status": "aannemer_akkoord",
                "kind": "task",
                "organisation_id": contractor.organisation_id,
                "opening_title": "Hulpmonteur",
                "changed_at": utcnow(),
            },
            {},
        )
    intros = LoggedIn(app.test_client(), contractor).get("/intake/api/v1/introductions").json
    assert [(i["name"], i["contact"]) for i in intros] == [("Samira Yılmaz", expected)]
    # The resident's data overview says which channel went to that organisation.
    shared = coach.get(f"{API}/{pid}/export").json["introductions"][0]["shared"]
    assert shared == ["naam", choice]
    with app.extensions["instap"].db.unit_of_work() as s:
        assert "introduction_view" in s.scalars(select(AuditEntry.action)).all()


# --- pages -----------------------------------------------------------------------------------


def test_the_form_asks_it_as_a_radio_group_and_checks_it_with_the_rest(app: Any, coach: LoggedIn) -> None:
    form = coach.get("/intake/deelnemers/nieuw").text
    assert "<legend>Hoe wil de deelnemer benaderd worden door een werkgever of opleider?</legend>" in form
    assert 'type="radio" id="contact_preference" name="contact_preference" value="telefoon"' in form
    assert 'name="contact_preference" value="e-mail"' in form
    assert 'aria-describedby="contact_preference-hint"' in form
    bad = post_form(
        coach.client,
        "/intake/deelnemers/nieuw",
        form_data(contact_preference="e-mail", email="", first_name=""),
    )
    assert bad.status_code == 422
    assert field_error(bad.text, "contact_preference") == CHOSE_EMAIL_WITHOUT_ADDRESS
    assert "first_name-error" in bad.text  # in the same round
    assert 'href="#contact_preference">Contact na kennismaking:' in bad.text  # in the summary
    assert 'value="e-mail" checked' in bad.text  # the choice is kept

    saved = post_form(coach.client, "/intake/deelnemers/nieuw", form_data(contact_preference="e-mail"))
    assert saved.status_code == 302
    pid = saved.headers["Location"].rsplit("/", 1)[-1]
    assert _stored(app, pid) == "e-mail"
    page = coach.get(f"/intake/deelnemers/{pid}").text
    assert "<dt>Contact na kennismaking</dt><dd>E-mail</dd>" in page
    assert (
        '<th scope="row">Contact na kennismaking</th><td>E-mail</td>'
        in coach.get(f"/intake/deelnemers/{pid}/inzage").text
    )

    edit_url = f"/intake/deelnemers/{pid}/bewerken"
    assert 'name="contact_preference" value="e-mail" checked' in coach.get(edit_url).text
    emptied = post_form(coach.client, edit_url, form_data(contact_preference="e-mail", email=""))
    assert emptied.status_code == 422
    assert field_error(emptied.text, "contact_preference") == CHOSE_EMAIL_WITHOUT_ADDRESS
    switched = post_form(coach.client, edit_url, form_data(contact_preference="telefoon", email=""))
    assert switched.status_code == 302 and _stored(app, pid) == "telefoon"


def test_a_form_left_unanswered_gets_telefoon_when_there_is_a_phone_number(app: Any, coach: LoggedIn) -> None:
    saved = post_form(coach.client, "/intake/deelnemers/nieuw", form_data())
    assert _stored(app, saved.headers["Location"].rsplit("/", 1)[-1]) == "telefoon"


# --- the rule as a property ------------------------------------------------------------------

_PHONE = st.sampled_from([None, "", "06 12345678"])
_EMAIL = st.sampled_from([None, "a@example.nl"])  # "" is no e-mail address: its own error
_CHOICE = st.sampled_from([None, "telefoon", "e-mail"])


@given(phone=_PHONE, email=_EMAIL, choice=_CHOICE)
@settings(max_examples=60, deadline=None)
def test_an_intake_is_accepted_exactly_when_the_chosen_channel_is_filled_in(
    phone: str | None, email: str | None, choice: str | None
) -> None:
    payload = resident_payload(phone=phone, email=email)
    if choice is not None:
        payload["contact_preference"] = choice
    effective = choice or ("telefoon" if phone else "e-mail")
    filled = bool(phone) if effective == "telefoon" else bool(email)
    try:
        ResidentCreateSchema().load(payload)
        accepted, errors = True, {}
    except ValidationError as err:
        accepted, errors = False, err.messages
    assert accepted == filled, (payload, errors)
    assert set(errors) <= {"phone", "contact_preference"}
    # The same on an edit that sends the whole form.
    update = {k: v for k, v in payload.items() if k != "contact_preference"}
    update["contact_preference"] = effective
    try:
        ResidentUpdateSchema().load(update)
        assert filled
    except ValidationError:
        assert not filled


# --- the migration ---------------------------------------------------------------------------

BEFORE = "3b9d0c2e7f41"  # the last intake revision without the choice


@pytest.fixture
def empty_intake_db(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    with empty_database("intake", backend, tmp_path, request) as db:
        yield db


@pytest.mark.both_backends
def test_existing_residents_get_the_channel_introductions_gave_them(empty_intake_db: Database) -> None:
    db = empty_intake_db
    migrations = COMPONENTS["intake"].migrations
    upgrade(db, migrations, Base.metadata, BEFORE)
    now = utcnow()
    with db.engine.begin() as conn:
        for pid, phone, email, erased in (
            ("DW-PHONE", "0612345678", "a@example.nl", None),
            ("DW-EMAIL", None, "b@example.nl", None),
            ("DW-EMPTY", "", "c@example.nl", None),
            ("DW-GONE", None, None, now),
        ):
            conn.execute(
                text(
                    "INSERT INTO resident (programme_id, phone, email, wijk, gender, driving_licence,"
                    " own_transport, days, interests, skills, barriers, work_at_height, heavy_work,"
                    " stage, organisation_id, created_at, updated_at, erased_at) VALUES (:pid, :phone,"
                    " :email, 'wielwijk', 'onbekend', false, false, '[]', '[]', '[]', '[]', false, false,"
                    " 'aangemeld', 1, :now, :now, :erased)"
                ),
                {
                    "pid": pid,
                    "phone": phone,
                    "email": email,
                    "now": now if db.is_postgres else now.replace(tzinfo=None),
                    "erased": erased if db.is_postgres or erased is None else erased.replace(tzinfo=None),
                },
            )
        conn.execute(
            text(
                "INSERT INTO stage_change (resident_id, to_stage, changed_at)"
                " SELECT id, 'aangemeld', created_at FROM resident"
            )
        )
    upgrade(db, migrations, Base.metadata)
    with db.unit_of_work() as s:
        stored = dict(s.execute(select(Resident.programme_id, Resident.contact_preference)).tuples().all())
    assert stored == {"DW-PHONE": "telefoon", "DW-EMAIL": "e-mail", "DW-EMPTY": "e-mail", "DW-GONE": None}
    # The downgrade drops the column in place: no resident and none of their history is lost
    # (a copied table would cascade-delete the history on SQLite).
    command.downgrade(alembic_config(db, migrations, Base.metadata), BEFORE)
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM resident")).scalar_one() == 4
        assert conn.execute(text("SELECT count(*) FROM stage_change")).scalar_one() == 4
