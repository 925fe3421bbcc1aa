"""Intake pages for job coaches: caseload, intake form, resident page, consent, export, access."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from services.intake.models import AuditEntry, OutboxEvent, Resident
from services.intake.web import forms
from shared.testdata import RESIDENT
from tests.conftest import csrf_from, resident_payload

VALID_BSN = "111222333"  # passes the elfproef (test number)


# Fields the form posts as the API takes them (text, or a code as text): the form's own lists.
FORM_TEXT_FIELDS = (*forms.TEXT_FIELDS, "wijk", "gender", *forms.NULLABLE_CHOICES, *forms.DATE_FIELDS)


def form_data(**overrides: Any) -> dict[str, Any]:
    """A complete, valid intake as the browser posts it (checkbox lists, ja/nee radios)."""
    data: dict[str, Any] = {
        # The same person as the API tests and the benchmarks send (shared/testdata.py), so the
        # log check of every test (tests/conftest.py) looks for her details here too.
        **{key: RESIDENT[key] for key in FORM_TEXT_FIELDS},
        "birth_year": "1990",
        "participatieladder": "3",
        "language_spoken": "B1",
        "language_written": "A2",
        "certificates": ["vca_basis", "bhv"],
        "cert_valid_until_vca_basis": "2034-03-01",
        "cert_valid_until_bhv": "",
        "hours_per_week": "24",
        "days": ["ma", "di", "wo"],
        "own_transport": "ja",
        "interests": ["hulpmonteur_zonnepanelen"],
        "skills": ["gereedschap", "meten"],
        "work_at_height": "ja",
        "heavy_work": "nee",
        "barriers": ["kinderopvang"],
    }
    data.update(overrides)
    return data


def post_form(client: Any, url: str, data: dict[str, Any]) -> Any:
    page = client.get(url)
    return client.post(url, data={**data, "csrf_token": csrf_from(page.data)})


def create_via_api(client: Any, **overrides: Any) -> str:
    response = client.post("/intake/api/v1/residents", json=resident_payload(**overrides))
    assert response.status_code == 201, response.json
    return response.json["programme_id"]


def db_query(app: Any, statement: Any) -> list[Any]:
    with app.extensions["instap"].db.unit_of_work() as s:
        return list(s.execute(statement).all())


def audit_actions(app: Any, programme_id: str) -> list[tuple[str, str]]:
    rows = db_query(
        app,
        select(AuditEntry.action, AuditEntry.channel)
        .join(Resident, Resident.id == AuditEntry.resident_id)
        .where(Resident.programme_id == programme_id)
        .order_by(AuditEntry.id),
    )
    return [(r[0], r[1]) for r in rows]


def field_error(html: str, field: str) -> str:
    match = re.search(rf'id="{field}-error"[^>]*>(.*?)</p>', html, re.S)
    assert match, f"no error message for {field}"
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("Fout:", "").strip()


@pytest.fixture
def coach(make_user: Any, login: Any) -> Any:
    return login(make_user("jobcoach", name="Fatima el Amrani"))


# --- access -----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client: Any) -> None:
    for url in ("/intake/deelnemers", "/intake/deelnemers/nieuw", "/intake/deelnemers/DW-ABC/inzage"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/intake/login" in response.headers["Location"]


def test_aannemer_gets_403_page(make_user: Any, login: Any) -> None:
    aannemer = login(make_user("aannemer", org="Bouwbedrijf Test"))
    for url in ("/intake/deelnemers", "/intake/deelnemers/nieuw"):
        response = aannemer.get(url)
        assert response.status_code == 403
        assert "Geen toegang" in response.text


def test_other_coachs_resident_is_404(coach: Any, make_user: Any, login: Any) -> None:
    programme_id = create_via_api(coach)
    other = login(make_user("jobcoach", name="Jeroen de Wit"))
    for url in (
        f"/intake/deelnemers/{programme_id}",
        f"/intake/deelnemers/{programme_id}/bewerken",
        f"/intake/deelnemers/{programme_id}/inzage",
    ):
        response = other.get(url)
        assert response.status_code == 404
        assert "hoort niet bij uw caseload" in response.text
        assert "Yılmaz" not in response.text


# --- caseload ---------------------------------------------------------------------------------


def test_caseload_lists_only_own_residents(coach: Any, make_user: Any, login: Any) -> None:
    create_via_api(coach, first_name="Eigen", last_name="Deelnemer")
    other = login(make_user("jobcoach"))
    create_via_api(other, first_name="Andere", last_name="Persoon")
    page = coach.get("/intake/deelnemers")
    assert page.status_code == 200
    assert "Eigen Deelnemer" in page.text
    assert "Andere Persoon" not in page.text
    assert "<caption>" in page.text and 'scope="col"' in page.text
    assert 'aria-current="page">Deelnemers' in page.text


def test_caseload_empty_state(coach: Any) -> None:
    page = coach.get("/intake/deelnemers")
    assert "U heeft nog geen deelnemers" in page.text
    assert 'href="/intake/deelnemers/nieuw"' in page.text


@pytest.mark.both_backends
def test_caseload_search_and_filters(coach: Any) -> None:
    a = create_via_api(coach, first_name="Anna", last_name="Bakker", wijk="wielwijk")
    b = create_via_api(coach, first_name="Bram", last_name="Claes", wijk="crabbehof", email="bram@example.nl")
    coach.post(f"/intake/api/v1/residents/{b}/stages", json={"to_stage": "intake"})

    def names(query: str) -> set[str]:
        text = coach.get(f"/intake/deelnemers?{query}").text
        return {n for n in ("Anna Bakker", "Bram Claes") if n in text}

    assert names("q=bakk") == {"Anna Bakker"}
    assert names(f"q={b.lower()}") == {"Bram Claes"}
    assert names("wijk=crabbehof") == {"Bram Claes"}
    assert names("fase=aangemeld") == {"Anna Bakker"}
    assert names("fase=intake&wijk=wielwijk") == set()
    assert "Geen deelnemers gevonden" in coach.get("/intake/deelnemers?q=zzz").text
    assert a in coach.get("/intake/deelnemers?wijk=onbekend").text  # bad filter dropped
    assert "Kies een wijk uit de lijst." in coach.get("/intake/deelnemers?wijk=onbekend").text


def test_beheerder_filters_by_coach(coach: Any, make_user: Any, login: Any) -> None:
    create_via_api(coach, first_name="Van", last_name="Fatima")
    jeroen = make_user("jobcoach", name="Jeroen de Wit")
    create_via_api(login(jeroen), first_name="Van", last_name="Jeroen")
    admin = login(make_user("beheerder", org="Gemeente Dordrecht"))
    everyone = admin.get("/intake/deelnemers").text
    assert "Van Fatima" in everyone and "Van Jeroen" in everyone
    assert '<select id="coach" name="coach">' in everyone
    only = admin.get(f"/intake/deelnemers?coach={jeroen.id}").text
    assert "Van Jeroen" in only and "Van Fatima" not in only
    # A coach cannot use the coach filter to look into another caseload.
    assert "Van Jeroen" not in coach.get(f"/intake/deelnemers?coach={jeroen.id}").text


@pytest.mark.both_backends
def test_caseload_pagination_keeps_filters(coach: Any, app: Any) -> None:
    for i in range(27):
        create_via_api(coach, first_name="Deelnemer", last_name=f"Nummer{i:02d}", wijk="wielwijk")
    create_via_api(coach, first_name="Ander", last_name="Wijk", wijk="crabbehof")
    first = coach.get("/intake/deelnemers?wijk=wielwijk").text
    assert first.count('scope="row"') == 25
    assert "Pagina 1 van 2" in first
    next_link = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "wijk=wielwijk" in next_link and "pagina=2" in next_link
    second = coach.get(next_link).text
    assert second.count('scope="row"') == 2
    assert "Nummer26" in second and "Ander Wijk" not in second
    assert 'rel="prev"' in second


# --- new intake -------------------------------------------------------------------------------


def test_new_intake_form_has_grouped_accessible_fields(coach: Any) -> None:
    page = coach.get("/intake/deelnemers/nieuw")
    assert page.status_code == 200
    html = page.text
    for legend in (
        "Persoonsgegevens",
        "Adres en wijk",
        "Situatie",
        "Taal",
        "Certificaten",
        "Beschikbaarheid",
        "Werk",
        "Praktische drempels",
    ):
        assert f"<h2>{legend}</h2>" in html
    assert "3 – Deelname aan georganiseerde activiteiten" in html
    assert 'aria-current="page">Nieuwe intake' in html
    for field in re.findall(r'<input[^>]+type="(?:text|email|tel|date)"[^>]*id="([^"]+)"', html):
        assert f'for="{field}"' in html, field
    assert "style=" not in html


@pytest.mark.both_backends
def test_new_intake_happy_path(coach: Any, app: Any) -> None:
    response = post_form(coach.client, "/intake/deelnemers/nieuw", form_data())
    assert response.status_code == 302
    programme_id = response.headers["Location"].rsplit("/", 1)[-1]
    page = coach.get(f"/intake/deelnemers/{programme_id}")
    assert "Intake opgeslagen." in page.text
    assert "Ayşe Yılmaz" in page.text and "Wielwijk" in page.text
    with app.extensions["instap"].db.unit_of_work() as s:
        resident = s.scalar(select(Resident).where(Resident.programme_id == programme_id))
        assert resident.coach_id == coach.user.id
        assert resident.postcode == "3317 AB" and resident.pc4 == "3317"
        assert resident.days == ["ma", "di", "wo"]
        valid_until = {c.code: c.valid_until for c in resident.certificates}
        assert valid_until["bhv"] is None and str(valid_until["vca_basis"]) == "2034-03-01"
        assert resident.own_transport is True and resident.driving_licence is False
        assert resident.participatieladder == 3 and resident.language_written == "A2"
        events = s.scalars(select(OutboxEvent.type).where(OutboxEvent.payload.contains(programme_id))).all()
    assert "stage.changed" in events
    assert ("create", "page") in audit_actions(app, programme_id)
    assert ("view", "page") in audit_actions(app, programme_id)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("postcode", "33A", "Vul een postcode in zoals 3317 AB."),
        ("phone", "12345", "Vul een Nederlands telefoonnummer in, zoals 06 12345678."),
        ("email", "geen-mail", "Vul een geldig e-mailadres in."),
        ("birth_year", "1800", "Vul een geboortejaar in tussen 1940 en"),
        ("birth_year", "negentig", "Vul een heel getal in."),
        ("hours_per_week", "60", "Vul een aantal uren van 1 tot en met 40 in."),
        ("available_from", "morgen", "Vul een geldige datum in (jjjj-mm-dd)."),
        ("wijk", "", "Vul dit veld in."),
        ("first_name", "", "Vul dit veld in."),
        ("participatieladder", "9", "Kies een trede van 1 tot en met 6."),
        ("language_spoken", "Z9", "Kies een taalniveau"),
        ("own_transport", "misschien", "Kies ja of nee."),
        ("days", ["ma", "xx"], "Kies dagen: ma, di, wo, do, vr, za, zo."),
        ("interests", ["astronaut"], "Onbekend beroep."),
        ("cert_valid_until_vca_basis", "2034-13-45", "Vul een geldige datum in (jjjj-mm-dd)."),
    ],
)
def test_validation_error_shows_dutch_message_and_keeps_values(
    coach: Any, app: Any, field: str, value: Any, message: str
) -> None:
    response = post_form(coach.client, "/intake/deelnemers/nieuw", form_data(**{field: value}))
    assert response.status_code == 422
    html = response.text
    assert 'role="alert"' in html and "Er gaan nog dingen mis" in html
    assert f'href="#{field}"' in html
    assert message in field_error(html, field)
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', html) or re.search(
        rf'aria-describedby="[^"]*{field}-error"[^>]*aria-invalid="true"', html
    )
    # What the coach typed is still there.
    assert 'value="Wielwijkstraat"' in html
    assert 'value="ma" checked' in html
    if (
        isinstance(value, str)
        and value
        and field not in ("wijk", "language_spoken", "participatieladder", "own_transport")
    ):
        assert f'value="{value}"' in html
    assert db_query(app, select(func.count()).select_from(Resident))[0][0] == 0


def test_every_mistake_in_one_round(coach: Any, app: Any) -> None:
    """A BSN, wrong formats, a missing name and no phone or e-mail: all shown after one submit,
    each at its field and in the summary, with focus on the summary."""
    response = post_form(
        coach.client,
        "/intake/deelnemers/nieuw",
        form_data(
            first_name="",
            work_experience=f"BSN {VALID_BSN}",
            postcode="33AB",
            birth_year="1800",
            phone="",
            email="",
        ),
    )
    assert response.status_code == 422
    html = response.text
    summary = re.findall(r'<li><a href="#([^"]+)">', html)
    assert summary == ["first_name", "phone", "postcode", "birth_year", "work_experience"]
    assert "Een BSN mag niet worden vastgelegd" in field_error(html, "work_experience")
    assert field_error(html, "first_name") == "Vul dit veld in."
    assert field_error(html, "phone") == "Vul een telefoonnummer of e-mailadres in."
    assert 'id="fouten" role="alert" aria-labelledby="error-summary-title" tabindex="-1" autofocus' in html
    assert db_query(app, select(func.count()).select_from(Resident))[0][0] == 0


def test_postcode_and_wijk_checked_against_each_other(coach: Any, app: Any) -> None:
    response = post_form(
        coach.client, "/intake/deelnemers/nieuw", form_data(postcode="1012 AB", wijk="crabbehof")
    )
    assert response.status_code == 422
    assert "Postcode 1012 ligt niet in Dordrecht, maar Crabbehof wel." in field_error(
        response.text, "postcode"
    )
    assert "Postcode 1012" in field_error(response.text, "wijk")
    outside = post_form(
        coach.client, "/intake/deelnemers/nieuw", form_data(postcode="1012 AB", wijk="buiten_dordrecht")
    )
    assert outside.status_code == 302
    assert db_query(app, select(func.count()).select_from(Resident))[0][0] == 1


def test_duplicate_warning_links_to_the_existing_resident(coach: Any, app: Any) -> None:
    first = post_form(coach.client, "/intake/deelnemers/nieuw", form_data())
    pid = first.headers["Location"].rsplit("/", 1)[-1]
    again = post_form(coach.client, "/intake/deelnemers/nieuw", form_data(phone="06 87654321", email=""))
    assert again.status_code == 409
    assert "Staat deze deelnemer er al in?" in again.text
    assert f'href="/intake/deelnemers/{pid}"' in again.text
    # Same e-mail, other name: a warning too.
    by_email = post_form(
        coach.client, "/intake/deelnemers/nieuw", form_data(first_name="Anna", phone="", birth_year="1985")
    )
    assert by_email.status_code == 409
    # The coach says it is someone else: saved.
    confirmed = post_form(
        coach.client, "/intake/deelnemers/nieuw", form_data(phone="06 87654321", dubbel_bevestigd="ja")
    )
    assert confirmed.status_code == 302
    assert db_query(app, select(func.count()).select_from(Resident))[0][0] == 2


def test_form_asks_rijbewijs_once_and_dates_only_where_they_expire(coach: Any, app: Any) -> None:
    html = coach.client.get("/intake/deelnemers/nieuw").text
    assert html.count('value="rijbewijs_b"') == 1  # one question: the certificate box
    assert "Heeft de deelnemer rijbewijs B?" not in html
    assert 'name="driving_licence"' not in html
    assert 'id="cert_valid_until_vca_basis"' in html and 'id="cert_valid_until_mbo_diploma"' not in html
    assert "(verplicht: telefoon of e-mail)" in html
    response = post_form(
        coach.client, "/intake/deelnemers/nieuw", form_data(certificates=["vca_basis", "rijbewijs_b"])
    )
    assert response.status_code == 302
    with app.extensions["instap"].db.unit_of_work() as s:
        assert s.scalar(select(Resident)).driving_licence is True


def test_phone_or_email_required(coach: Any) -> None:
    response = post_form(coach.client, "/intake/deelnemers/nieuw", form_data(phone="", email=""))
    assert response.status_code == 422
    assert field_error(response.text, "phone") == "Vul een telefoonnummer of e-mailadres in."


@pytest.mark.parametrize("field", ["work_experience", "house_number", "street"])
def test_bsn_in_free_text_is_rejected(coach: Any, app: Any, field: str) -> None:
    response = post_form(coach.client, "/intake/deelnemers/nieuw", form_data(**{field: f"BSN {VALID_BSN}"}))
    assert response.status_code == 422
    assert "Een BSN mag niet worden vastgelegd" in field_error(response.text, field)
    assert db_query(app, select(func.count()).select_from(Resident))[0][0] == 0


def test_beheerder_chooses_coach_for_new_intake(make_user: Any, login: Any, app: Any) -> None:
    jeroen = make_user("jobcoach", name="Jeroen de Wit")
    admin = login(make_user("beheerder", org="Gemeente Dordrecht"))
    missing = post_form(admin.client, "/intake/deelnemers/nieuw", form_data())
    assert missing.status_code == 422
    assert field_error(missing.text, "coach_id") == "Kies een jobcoach."
    saved = post_form(admin.client, "/intake/deelnemers/nieuw", form_data(coach_id=str(jeroen.id)))
    assert saved.status_code == 302
    assert db_query(app, select(Resident.coach_id))[0][0] == jeroen.id


# --- edit -------------------------------------------------------------------------------------


def test_edit_is_prefilled_and_saves(coach: Any, app: Any) -> None:
    programme_id = create_via_api(coach)
    url = f"/intake/deelnemers/{programme_id}/bewerken"
    page = coach.get(url).text
    assert 'value="Wielwijkstraat"' in page and 'value="vca_basis" checked' in page
    assert 'value="2034-03-01"' in page
    bad = post_form(coach.client, url, form_data(first_name="", postcode="33A"))
    assert bad.status_code == 422
    assert field_error(bad.text, "postcode") == "Vul een postcode in zoals 3317 AB."
    assert "first_name-error" in bad.text
    ok = post_form(
        coach.client,
        url,
        form_data(last_name="Demir", certificates=["vca_basis"], cert_valid_until_vca_basis="2034-03-01"),
    )
    assert ok.status_code == 302
    with app.extensions["instap"].db.unit_of_work() as s:
        resident = s.scalar(select(Resident).where(Resident.programme_id == programme_id))
        assert resident.last_name == "Demir"
        assert [(c.code, str(c.obtained_on)) for c in resident.certificates] == [
            ("vca_basis", "2024-03-01")
        ]  # obtained_on kept although the form does not show it
    actions = audit_actions(app, programme_id)
    assert ("update", "page") in actions
    # Three GETs of the form (prefill, and one before each post), and the form shown again after
    # the failed post: it shows the stored name too.
    assert actions.count(("view_edit", "page")) == 4


# --- resident page: stage, consent, notes -----------------------------------------------------


def test_resident_page_shows_profile_and_logs_view(coach: Any, app: Any) -> None:
    programme_id = create_via_api(coach)
    page = coach.get(f"/intake/deelnemers/{programme_id}")
    assert page.status_code == 200
    for text in (
        "Ayşe Yılmaz",
        "B-VCA (VCA Basis)",
        "Hulpmonteur zonnepanelen",
        "Kinderopvang",
        "Bewerken",
        "Gegevens wissen",
        "Gegevens downloaden (JSON)",
    ):
        assert text in page.text
    assert "Andere jobcoach" not in page.text  # only for a beheerder
    assert audit_actions(app, programme_id).count(("view", "page")) == 1


def test_stage_change_allowed_and_forbidden(coach: Any, app: Any) -> None:
    programme_id = create_via_api(coach)
    url = f"/intake/deelnemers/{programme_id}"
    html = coach.get(url).text
    options = re.search(r'<select id="to_stage".*?</select>', html, re.S).group(0)
    assert "Intake gedaan" in options and "Duurzaam" not in options
    ok = coach.client.post(f"{url}/fase", data={"to_stage": "intake", "csrf_token": csrf_from(html)})
    assert ok.status_code == 302
    assert "De fase is nu: Intake gedaan." in coach.get(url).text
    refused = coach.client.post(
        f"{url}/fase", data={"to_stage": "duurzaam", "csrf_token": csrf_from(html)}, follow_redirects=True
    )
    assert "Deze stap kan niet vanuit de fase Intake gedaan." in refused.text
    no_reason = coach.client.post(
        f"{url}/fase", data={"to_stage": "uitgevallen", "csrf_token": csrf_from(html)}
    )
    assert no_reason.status_code == 422
    assert field_error(no_reason.text, "reason_code") == "Kies een reden van uitval."
    dropped = coach.client.post(
        f"{url}/fase",
        data={"to_stage": "uitgevallen", "reason_code": "vervoer", "csrf_token": csrf_from(html)},
    )
    assert dropped.status_code == 302
    stages = db_query(app, select(Resident.stage))
    assert stages[0][0] == "uitgevallen"
    assert audit_actions(app, programme_id).count(("stage", "page")) == 2


def test_consent_give_and_withdraw(coach: Any, app: Any) -> None:
    programme_id = create_via_api(coach)
    url = f"/intake/deelnemers/{programme_id}"
    token = csrf_from(coach.get(url).text)
    first = coach.client.post(
        f"{url}/toestemming",
        data={
            "purpose": "delen_werkgever",
            "method": "mondeling",
            "info_version": "2026-01",
            "csrf_token": token,
        },
        follow_redirects=True,
    )
    assert "Leg eerst de toestemming voor registratie vast." in first.text
    missing = coach.client.post(f"{url}/toestemming", data={"purpose": "registratie", "csrf_token": token})
    assert missing.status_code == 422
    assert field_error(missing.text, "method") == "Vul dit veld in."
    given = coach.client.post(
        f"{url}/toestemming",
        data={
            "purpose": "registratie",
            "method": "schriftelijk",
            "info_version": "2026-01",
            "csrf_token": token,
        },
        follow_redirects=True,
    )
    assert "Toestemming vastgelegd: Registratie in het programma." in given.text
    confirm = coach.get(f"{url}/toestemming/registratie/intrekken")
    assert confirm.status_code == 200 and "Ja, toestemming intrekken" in confirm.text
    withdrawn = coach.client.post(
        f"{url}/toestemming/registratie/intrekken", data={"csrf_token": token}, follow_redirects=True
    )
    assert "Toestemming ingetrokken: Registratie in het programma." in withdrawn.text
    actions = audit_actions(app, programme_id)
    assert ("consent_given", "page") in actions and ("consent_withdrawn", "page") in actions
    reasons = [
        r[0]
        for r in db_query(
            app, select(AuditEntry.reason).where(AuditEntry.action == "view", AuditEntry.channel == "page")
        )
    ]
    assert reasons.count("bevestigen intrekken") == 1
    events = [
        json.loads(p[0]) if isinstance(p[0], str) else p[0]
        for p in db_query(app, select(OutboxEvent.payload).where(OutboxEvent.type == "consent.changed"))
    ]
    assert [e["active"] for e in events] == [True, False]
    assert coach.get(f"{url}/toestemming/onzin/intrekken").status_code == 404
    # Withdrawing what was never given is not offered, and not done.
    assert "Intrekken</a>" not in coach.get(url).text
    never = coach.get(f"{url}/toestemming/onderzoek/intrekken")
    assert never.status_code == 302 and never.headers["Location"].endswith("#toestemming")


def test_consent_for_several_purposes_in_one_submit(coach: Any, app: Any) -> None:
    programme_id = create_via_api(coach)
    url = f"/intake/deelnemers/{programme_id}"
    token = csrf_from(coach.get(url).text)
    none = coach.client.post(f"{url}/toestemming", data={"method": "schriftelijk", "csrf_token": token})
    assert none.status_code == 422 and field_error(none.text, "purpose") == "Kies minstens één doel."
    given = coach.client.post(
        f"{url}/toestemming",
        data={
            "purpose": ["delen_werkgever", "registratie", "follow_up"],
            "method": "schriftelijk",
            "info_version": "2026-01",
            "csrf_token": token,
        },
        follow_redirects=True,
    )
    assert given.status_code == 200
    assert "Toestemming vastgelegd: Registratie in het programma," in given.text
    actions = audit_actions(app, programme_id)
    assert actions.count(("consent_given", "page")) == 3


def test_notes_add_and_reject_bsn(coach: Any) -> None:
    programme_id = create_via_api(coach)
    url = f"/intake/deelnemers/{programme_id}"
    token = csrf_from(coach.get(url).text)
    empty = coach.client.post(f"{url}/notities", data={"body": "  ", "csrf_token": token})
    assert empty.status_code == 422 and field_error(empty.text, "body") == "Vul dit veld in."
    bsn = coach.client.post(f"{url}/notities", data={"body": f"Nummer {VALID_BSN}", "csrf_token": token})
    assert bsn.status_code == 422
    assert "Een BSN mag niet worden vastgelegd" in field_error(bsn.text, "body")
    assert f"Nummer {VALID_BSN}</textarea>" in bsn.text
    saved = coach.client.post(
        f"{url}/notities", data={"body": "Belt maandag terug.", "csrf_token": token}, follow_redirects=True
    )
    assert "Notitie opgeslagen." in saved.text and "Belt maandag terug." in saved.text


def test_beheerder_reassigns_resident(coach: Any, make_user: Any, login: Any, app: Any) -> None:
    programme_id = create_via_api(coach)
    jeroen = make_user("jobcoach", name="Jeroen de Wit")
    admin = login(make_user("beheerder", org="Gemeente Dordrecht"))
    page = admin.get(f"/intake/deelnemers/{programme_id}").text
    assert "Andere jobcoach" in page and "Jeroen de Wit" in page
    response = admin.client.post(
        f"/intake/deelnemers/{programme_id}/jobcoach",
        data={"coach_id": str(jeroen.id), "csrf_token": csrf_from(page)},
    )
    assert response.status_code == 302
    assert db_query(app, select(Resident.coach_id))[0][0] == jeroen.id
    assert coach.get(f"/intake/deelnemers/{programme_id}").status_code == 404
    forbidden = coach.client.post(
        f"/intake/deelnemers/{programme_id}/jobcoach",
        data={"coach_id": str(coach.user.id), "csrf_token": coach.csrf},
    )
    assert forbidden.status_code == 403


# --- export and erasure -----------------------------------------------------------------------


def test_exports_write_audit_entries(coach: Any, app: Any) -> None:
    programme_id = create_via_api(coach)
    url = f"/intake/deelnemers/{programme_id}"
    download = coach.get(f"{url}/gegevens.json")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    document = json.loads(download.data)
    assert document["programme_id"] == programme_id
    assert document["personal"]["last_name"] == "Yılmaz"
    printable = coach.get(f"{url}/inzage")
    assert printable.status_code == 200
    assert "Alle gegevens van Ayşe Yılmaz" in printable.text
    assert "Wie heeft de gegevens bekeken of gewijzigd" in printable.text
    assert audit_actions(app, programme_id).count(("export", "page")) == 2


def test_erase_with_confirmation(coach: Any, app: Any) -> None:
    programme_id = create_via_api(coach)
    url = f"/intake/deelnemers/{programme_id}/wissen"
    confirm = coach.get(url)
    assert confirm.status_code == 200 and "Dit kunt u niet ongedaan maken." in confirm.text
    done = coach.client.post(url, data={"csrf_token": csrf_from(confirm.text)}, follow_redirects=True)
    assert done.status_code == 200
    assert f"De persoonsgegevens van {programme_id} zijn gewist." in done.text
    assert "Yılmaz" not in done.text
    row = db_query(app, select(Resident.last_name, Resident.erased_at))[0]
    assert row[0] is None and row[1] is not None
    # The confirmation page shows the name, so it is logged as a view before the erasure.
    assert audit_actions(app, programme_id) == [("create", "api"), ("view", "page"), ("erase", "page")]


# --- language ---------------------------------------------------------------------------------


def test_english_pages(coach: Any) -> None:
    programme_id = create_via_api(coach)
    caseload = coach.get("/intake/deelnemers?lang=en").text
    assert 'lang="en"' in caseload
    assert "Participants" in caseload and "New intake" in caseload and "Last changed" in caseload
    form = coach.get("/intake/deelnemers/nieuw").text  # the cookie keeps the choice
    assert "Personal details" in form and "First name (required)" in form
    bad = post_form(coach.client, "/intake/deelnemers/nieuw", form_data(postcode="33A"))
    assert "Some things still need fixing" in bad.text
    assert "Enter a postcode like 3317 AB." in field_error(bad.text, "postcode")
    resident = coach.get(f"/intake/deelnemers/{programme_id}").text
    assert "Consent (GDPR)" in resident and "Edit" in resident
