"""Bad input: every field rule answers 422 with a message for that field, and nothing is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from services.intake.models import Resident
from shared.validators import (
    BSN_MESSAGE,
    CONTROL_MESSAGE,
    LINE_BREAK_MESSAGE,
    contains_bsn,
    passes_elfproef,
)
from tests.conftest import LoggedIn, csrf_from, resident_payload

API = "/intake/api/v1/residents"
VALID_BSN = "111222333"  # passes the elfproef (test value, not a real person)


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ("111222333", True),
        ("123456782", True),
        ("123456789", False),
        ("000000000", False),
        ("12345678", False),
        ("1234567890", False),
    ],
)
def test_elfproef(digits, expected):
    assert passes_elfproef(digits) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mijn bsn is 111222333", True),
        ("1112.22.333", True),
        ("111 222 333", True),
        ("111-222-333", True),
        ("+31 6 1234 5678", False),  # phone: 11 digits
        ("0612345678", False),
        ("klantnummer 123456789", False),  # 9 digits, fails the elfproef
        ("1111222333", False),  # part of a longer number
    ],
)
def test_contains_bsn(text, expected):
    assert contains_bsn(text) is expected


def _count(app) -> int:
    with app.extensions["instap"].db.unit_of_work() as s:
        return s.scalar(select(func.count()).select_from(Resident))


@pytest.fixture
def coach_client(make_user, login):
    return login(make_user("jobcoach"))


BAD_FIELDS = [
    ("postcode", "33A", "3317 AB"),
    ("postcode", "0317 AB", "3317 AB"),
    ("postcode", "3317 SS", "3317 AB"),
    ("wijk", "amsterdam_noord", "Kies een wijk"),
    ("birth_year", 1900, "geboortejaar"),
    ("birth_year", 2024, "geboortejaar"),
    ("birth_year", "negentig", "heel getal"),
    ("gender", "x", "Kies man, vrouw"),
    ("participatieladder", 7, "trede"),
    ("participatieladder", 0, "trede"),
    ("hours_per_week", 0, "uren"),
    ("hours_per_week", 60, "uren"),
    ("days", ["maandag"], "Kies dagen"),
    ("available_from", "31-12-2026", "datum"),
    ("available_from", "2026-02-30", "datum"),
    ("interests", ["astronaut"], "Onbekend beroep"),
    ("skills", ["jongleren"], "Onbekende vaardigheid"),
    ("barriers", ["depressie"], "Kies uit"),
    ("income", "loterij", "Kies uit"),
    ("email", "geen-email", "e-mailadres"),
    ("phone", "12345", "telefoonnummer"),
    ("phone", "+44 20 7946 0958", "telefoonnummer"),
    ("driving_licence", "misschien", "ja of nee"),
    ("first_name", "", "tekens"),
    ("work_experience", "x" * 2001, "2000 tekens"),
]


@pytest.mark.parametrize(
    ("field", "value", "message"), BAD_FIELDS, ids=[f"{f}={str(v)[:12]}" for f, v, _ in BAD_FIELDS]
)
def test_bad_field_gets_422_with_message_for_that_field(app, coach_client, field, value, message):
    response = coach_client.post(API, json=resident_payload(**{field: value}))
    assert response.status_code == 422, response.json
    body = response.json
    assert body["code"] == "invalid" and body["status"] == 422 and body["message"]
    assert field in body["errors"], body["errors"]
    assert message.lower() in str(body["errors"][field]).lower()
    assert _count(app) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("language", {"spoken": "B3", "written": "A1"}),
        ("language", {"spoken": "A1", "written": "expert"}),
        ("certificates", [{"code": "rijbewijs_z"}]),
        ("certificates", [{"code": "vca_basis", "valid_until": "gisteren"}]),
        ("certificates", [{"code": "vca_basis", "obtained_on": "2024-01-01", "valid_until": "2020-01-01"}]),
        ("certificates", [{"code": "vca_basis"}, {"code": "vca_basis"}]),
    ],
)
def test_nested_fields(app, coach_client, field, value):
    response = coach_client.post(API, json=resident_payload(**{field: value}))
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


@pytest.mark.parametrize(
    "field", ["work_experience", "first_name", "last_name", "street", "house_number", "city"]
)
def test_bsn_in_any_text_field_is_rejected(app, coach_client, field):
    response = coach_client.post(API, json=resident_payload(**{field: f"nummer {VALID_BSN}"}))
    assert response.status_code == 422
    assert response.json["errors"][field] == [BSN_MESSAGE]
    assert _count(app) == 0


def test_bsn_in_nested_and_other_endpoints_is_rejected(app, coach_client):
    pid = coach_client.post(API, json=resident_payload()).json["programme_id"]
    note = coach_client.post(f"{API}/{pid}/notes", json={"body": f"BSN: {VALID_BSN[:4]} {VALID_BSN[4:]}"})
    assert note.status_code == 422 and note.json["errors"]["body"] == [BSN_MESSAGE]
    patch = coach_client.patch(f"{API}/{pid}", json={"work_experience": "1112.22.333"})
    assert patch.status_code == 422 and "work_experience" in patch.json["errors"]
    consent = coach_client.post(
        f"{API}/{pid}/consents",
        json={"purpose": "registratie", "method": "schriftelijk", "info_version": VALID_BSN},
    )
    assert consent.status_code == 422 and "info_version" in consent.json["errors"]


def test_unknown_json_field_is_422(app, coach_client):
    response = coach_client.post(API, json=resident_payload(bsn="x", favourite_colour="blauw"))
    assert response.status_code == 422
    assert set(response.json["errors"]) >= {"bsn", "favourite_colour"}
    pid = coach_client.post(API, json=resident_payload()).json["programme_id"]
    assert coach_client.patch(f"{API}/{pid}", json={"stage": "geplaatst"}).status_code == 422


def test_unknown_query_parameter_is_422(app, matching_app, coach_client, make_user):
    """Like an unknown body field (issue 7): a list with a query schema, and an operation that
    takes no query arguments at all; the known ones still work."""
    listed = coach_client.get(f"{API}?wijk=wielwijk&bsn=1&colour=blauw")
    assert listed.status_code == 422 and set(listed.json["errors"]) == {"bsn", "colour"}
    assert coach_client.get(f"{API}?wijk=wielwijk&lang=en").status_code == 200  # lang: everywhere
    pid = coach_client.post(API, json=resident_payload()).json["programme_id"]
    one = coach_client.get(f"{API}/{pid}?fields=all")
    assert one.status_code == 422 and one.json["errors"] == {"fields": ["Dit veld bestaat niet."]}
    assert coach_client.get(f"{API}/{pid}").status_code == 200
    matching = LoggedIn(matching_app.test_client(), make_user("aannemer"), "/matching")
    assert matching.get("/matching/api/v1/proposals?stauts=voorgesteld").status_code == 422
    assert matching.get("/matching/api/v1/proposals?status=voorgesteld").status_code == 200


def test_required_fields_and_contact(app, coach_client):
    response = coach_client.post(API, json={"first_name": "Piet"})
    assert response.status_code == 422
    assert set(response.json["errors"]) >= {"last_name", "wijk"}
    no_contact = coach_client.post(API, json=resident_payload(phone=None, email=None))
    assert no_contact.status_code == 422 and "phone" in no_contact.json["errors"]


def test_not_json_and_wrong_types_are_clear_errors(app, coach_client):
    r = coach_client.post(API, data="not json", content_type="application/json")
    assert r.status_code in (400, 422) and r.json["code"] in ("bad_request", "invalid")
    r = coach_client.post(API, json=["a", "list"])
    assert r.status_code == 422
    r = coach_client.get(f"{API}?page=0")
    assert r.status_code == 422 and "page" in r.json["errors"]
    r = coach_client.get(f"{API}?wijk=narnia")
    assert r.status_code == 422 and "wijk" in r.json["errors"]


def test_postcode_and_phone_are_normalised(app, coach_client):
    body = coach_client.post(API, json=resident_payload(postcode="3317ab", phone="+31 6-1234 5678")).json
    assert body["postcode"] == "3317 AB" and body["phone"] == "0612345678"


# --- issue 7: the BSN slipped past the guard next to other numbers and between odd separators ---

SLIPPED_THROUGH = [
    f"gesprek 12-03-2026 {VALID_BSN}",
    f"kamer 4 {VALID_BSN}",
    f"{VALID_BSN} 2 kinderen",
    f"notitie\n{VALID_BSN}",
    f"12\n{VALID_BSN}",
    "111  222  333",
    "111 - 222 - 333",
    "111\u2013222\u2013333",
    "111\u200b222333",
    "\uff11\uff11\uff11\uff12\uff12\uff12\uff13\uff13\uff13",
]


@pytest.mark.parametrize("text", SLIPPED_THROUGH, ids=[ascii(t)[1:20] for t in SLIPPED_THROUGH])
def test_bsn_beside_other_numbers_is_refused_and_not_stored(app, coach_client, text):
    response = coach_client.post(API, json=resident_payload(work_experience=text))
    assert response.status_code == 422, response.json
    assert response.json["errors"]["work_experience"] == [BSN_MESSAGE]
    assert _count(app) == 0
    pid = coach_client.post(API, json=resident_payload()).json["programme_id"]
    note = coach_client.post(f"{API}/{pid}/notes", json={"body": text})
    assert note.status_code == 422 and note.json["errors"]["body"] == [BSN_MESSAGE]


def test_phone_numbers_ibans_and_dates_are_stored(app, coach_client):
    # 612340004 and 123202619 pass the elfproef, yet they are part of a phone number and a date.
    text = "Bel +31 6 1234 0004 of 06-12340004. IBAN NL91 ABNA 0417 1643 00. Gesprek 12-3-2026 19 uur."
    response = coach_client.post(API, json=resident_payload(work_experience=text))
    assert response.status_code == 201, response.json
    assert response.json["work_experience"] == text


def test_bsn_in_a_search_is_refused(coach_client):
    for query in (VALID_BSN, "111 222 333", "Ay%00se"):
        response = coach_client.get(f"{API}?q={query}")
        assert response.status_code == 422, query
        assert set(response.json["errors"]) == {"q"}


# --- control characters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_name", "Ay\x00şe", CONTROL_MESSAGE),
        ("last_name", "Y\u202eılmaz", CONTROL_MESSAGE),
        ("city", "Dord\x1brecht", CONTROL_MESSAGE),
        ("street", "Wielwijk\ud800straat", CONTROL_MESSAGE),
        ("first_name", "Ayşe\nYılmaz", LINE_BREAK_MESSAGE),
        ("house_number", "12\t", LINE_BREAK_MESSAGE),
        ("work_experience", "Magazijn\x00werk", CONTROL_MESSAGE),
    ],
)
def test_control_characters_are_refused_per_field(app, coach_client, field, value, message):
    response = coach_client.post(API, json=resident_payload(**{field: value}))
    assert response.status_code == 422, response.json
    assert response.json["errors"] == {field: [message]}
    assert _count(app) == 0


def test_text_of_more_lines_keeps_its_line_breaks(app, coach_client):
    text = "Magazijn:\n\t- orderpicken\r\n\t- heftruck"
    response = coach_client.post(API, json=resident_payload(work_experience=text))
    assert response.status_code == 201 and response.json["work_experience"] == text
    pid = response.json["programme_id"]
    note = coach_client.post(f"{API}/{pid}/notes", json={"body": "Belt maandag\nterug."})
    assert note.status_code == 201
    nul = coach_client.post(f"{API}/{pid}/notes", json={"body": "Belt\x00 terug."})
    assert nul.status_code == 422 and nul.json["errors"]["body"] == [CONTROL_MESSAGE]


def test_control_character_message_in_english(coach_client):
    response = coach_client.post(f"{API}?lang=en", json=resident_payload(first_name="Ay\x00şe"))
    assert response.status_code == 422
    assert response.json["errors"]["first_name"] == [
        "This contains an invisible control character. Type the text again."
    ]


def test_intake_page_refuses_control_characters_and_bsn(app, coach_client):
    url = "/intake/deelnemers/nieuw"
    token = csrf_from(coach_client.get(url).text)
    form = {
        "first_name": "Ay\x00şe",
        "last_name": "Yılmaz",
        "phone": "06 12345678",
        "wijk": "wielwijk",
        "gender": "vrouw",
        "work_experience": f"kamer 4 {VALID_BSN}",
        "csrf_token": token,
    }
    response = coach_client.client.post(url, data=form)
    assert response.status_code == 422
    assert 'id="first_name-error"' in response.text and CONTROL_MESSAGE in response.text
    assert 'id="work_experience-error"' in response.text and BSN_MESSAGE in response.text
    assert _count(app) == 0


def test_caseload_search_with_a_bsn_is_dropped_with_a_message(coach_client):
    page = coach_client.get(f"/intake/deelnemers?q=kamer+4+{VALID_BSN}")
    assert page.status_code == 200
    assert BSN_MESSAGE in page.text
