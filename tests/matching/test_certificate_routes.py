"""The certificate's public side, served for real: the verification page, the signed credential,
the key set, revocation in the status list, the PDF with its QR code, and the staff list."""

from __future__ import annotations

import base64
import io
import json
import re

import pypdf
import pytest
import zxingcpp

from services.matching.credentials import verify_credential
from services.matching.credentials.codes import check_character, compact
from tests.conftest import LoggedIn
from tests.matching.factories import add_candidate, slot_payload
from tests.matching.test_enrolments import ENROLMENTS, SLOTS, completion

CREDENTIAL_KEYS = {
    "@context",
    "id",
    "type",
    "name",
    "issuer",
    "validFrom",
    "credentialSubject",
    "credentialStatus",
}


@pytest.fixture
def issued(matching_app, make_user):
    """A trainer, and the praktijkverklaring and B-VCA of one resident who completed."""
    trainer = LoggedIn(matching_app.test_client(), make_user("opleider", org="De Beroepentuin"), "/matching")
    coach_user = make_user("jobcoach")
    coach = LoggedIn(matching_app.test_client(), coach_user, "/matching")
    slot_id = trainer.post(SLOTS, json=slot_payload()).json["id"]
    add_candidate(matching_app.extensions["instap"].db, "DW-CERT0001", coach_id=coach_user.id)
    e = coach.post(ENROLMENTS, json={"programme_id": "DW-CERT0001", "slot_id": slot_id}).json
    for status in ("orientatie", "opleiding"):
        trainer.post(f"{ENROLMENTS}/{e['id']}/status", json={"status": status})
    certs = trainer.post(f"{ENROLMENTS}/{e['id']}/complete", json=completion()).json
    pv = next(c for c in certs if c["kind"] == "praktijkverklaring")
    return trainer, pv, certs


def _payload(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_public_verification_page_shows_only_the_listed_facts(matching_app, issued):
    _trainer, pv, _ = issued
    anonymous = matching_app.test_client()
    page = anonymous.get(f"/matching/verify/{pv['verification_code']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    text = _text(html)
    assert "J.A." in text and "Praktijkverklaring Monteur elektrotechnische installaties" in text
    assert "B1-K1-W1" in text and "ROC Da Vinci College" in text and "geldig" in text
    # The facts list holds exactly issuer and date; nothing about the person but the initials.
    assert re.findall(r"<dt>([^<]+)</dt>", html) == ["Uitgegeven door", "Datum"]
    for hidden in ("DW-CERT0001", "100234567", "De Beroepentuin,", "25398", "leerbedrijf"):
        assert hidden not in text, hidden
    # A lower-case code with spaces is the same code.
    assert (
        anonymous.get(f"/matching/verify/{pv['verification_code'].lower().replace('-', ' ')}").status_code
        == 200
    )


def test_unknown_code_and_wrong_check_digit_get_the_same_404(matching_app, issued):
    _trainer, pv, _ = issued
    anonymous = matching_app.test_client()
    code = compact(pv["verification_code"])
    wrong_check = code[:-1] + next(c for c in "23456789ABCDEFGHJKMNPQRSTUVWXYZ" if c != code[-1])
    other = "22222222" + check_character("22222222")
    pages = [anonymous.get(f"/matching/verify/{c}") for c in (wrong_check, other, "x")]
    assert {p.status_code for p in pages} == {404}
    mains = {re.search(r"<main.*</main>", p.get_data(as_text=True), re.S).group(0) for p in pages}
    assert len(mains) == 1  # the same words, whatever was wrong
    apis = [anonymous.get(f"/matching/api/v1/credentials/{c}") for c in (wrong_check, other)]
    assert {a.status_code for a in apis} == {404}
    assert apis[0].json["message"] == apis[1].json["message"]


def test_credential_verifies_with_published_keys_and_fails_when_changed(matching_app, issued):
    _trainer, pv, _ = issued
    anonymous = matching_app.test_client()
    response = anonymous.get(f"/matching/api/v1/credentials/{pv['verification_code']}")
    assert response.status_code == 200 and response.mimetype == "application/vc+jwt"
    token = response.get_data(as_text=True)
    jwks = anonymous.get("/matching/.well-known/jwks.json").json
    assert [set(k) for k in jwks["keys"]] == [{"kty", "crv", "x", "kid", "use"}]
    payload = _payload(token)
    assert set(payload) == CREDENTIAL_KEYS
    subject = payload["credentialSubject"]
    assert set(subject) == {"type", "identifier", "achievement"}
    assert subject["identifier"] == [
        {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": "J.A."}
    ]
    assert set(subject["achievement"]) == {"id", "type", "name", "description", "criteria", "alignment"}
    assert [a["targetCode"] for a in subject["achievement"]["alignment"]] == ["B1-K1-W1"]
    assert "DW-CERT0001" not in json.dumps(payload)
    assert verify_credential(token, jwks).valid
    header, body, signature = token.split(".")
    flipped = body[:10] + ("A" if body[10] != "A" else "B") + body[11:]
    assert not verify_credential(f"{header}.{flipped}.{signature}", jwks).valid
    # The B-VCA carries its end date.
    vca = next(c for c in issued[2] if c["kind"] == "vca_basis")
    vca_payload = _payload(
        anonymous.get(f"/matching/api/v1/credentials/{vca['verification_code']}").get_data(True)
    )
    assert set(vca_payload) == CREDENTIAL_KEYS | {"validUntil"}


def test_revocation_shows_on_the_page_and_in_the_status_list(matching_app, issued, make_user):
    trainer, pv, _ = issued
    anonymous = matching_app.test_client()
    code = pv["verification_code"]
    token = anonymous.get(f"/matching/api/v1/credentials/{code}").get_data(as_text=True)
    jwks = anonymous.get("/matching/.well-known/jwks.json").json
    status_url = _payload(token)["credentialStatus"]["statusListCredential"]
    path = status_url[status_url.index("/matching/") :]
    before = anonymous.get(path)
    assert before.status_code == 200 and before.mimetype == "application/vc+jwt"
    assert verify_credential(token, jwks, status_list=before.get_data(as_text=True)).valid
    # Someone else's trainer cannot revoke it (and does not learn it exists).
    other = LoggedIn(matching_app.test_client(), make_user("opleider", org="Andere school"), "/matching")
    assert (
        other.post(f"/matching/api/v1/certificates/{code}/revoke", json={"reason": "fraude"}).status_code
        == 404
    )
    assert (
        trainer.post(f"/matching/api/v1/certificates/{code}/revoke", json={"reason": "nee"}).status_code
        == 422
    )
    revoked = trainer.post(
        f"/matching/api/v1/certificates/{code}/revoke", json={"reason": "fout_in_gegevens"}
    )
    assert revoked.status_code == 200 and revoked.json["status"] == "revoked"
    assert (
        trainer.post(f"/matching/api/v1/certificates/{code}/revoke", json={"reason": "fraude"}).status_code
        == 409
    )
    after = anonymous.get(path).get_data(as_text=True)
    verdict = verify_credential(token, jwks, status_list=after)
    assert not verdict.valid and verdict.reason == "revoked"
    page = _text(anonymous.get(f"/matching/verify/{code}").get_data(as_text=True))
    assert "ingetrokken" in page and "Er staat een fout in de gegevens" in page
    assert anonymous.get("/matching/api/v1/status-lists/99").status_code == 404


def test_pdf_contains_the_code_and_its_qr_opens_the_verification_page(matching_app, issued):
    trainer, pv, _ = issued
    response = trainer.get(f"/matching/api/v1/certificates/{pv['verification_code']}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert pv["verification_code"] in text
    decoded = [
        r.text for page in reader.pages for image in page.images for r in zxingcpp.read_barcodes(image.image)
    ]
    assert decoded == [pv["verification_url"]]
    assert pv["verification_url"].endswith(f"/matching/verify/{pv['verification_code']}")
    assert (
        matching_app.test_client()
        .get(f"/matching/api/v1/certificates/{pv['verification_code']}/pdf")
        .status_code
        == 401
    )


def test_staff_list_per_role(matching_app, issued, make_user):
    trainer, _pv, certs = issued
    assert len(trainer.get("/matching/api/v1/certificates").json) == len(certs)
    assert trainer.get("/matching/api/v1/certificates", query_string={"status": "revoked"}).json == []
    other = LoggedIn(matching_app.test_client(), make_user("opleider", org="Andere school"), "/matching")
    assert other.get("/matching/api/v1/certificates").json == []
    admin = LoggedIn(matching_app.test_client(), make_user("beheerder"), "/matching")
    assert len(admin.get("/matching/api/v1/certificates").json) == len(certs)
    contractor = LoggedIn(matching_app.test_client(), make_user("aannemer"), "/matching")
    assert contractor.get("/matching/api/v1/certificates").status_code == 403
    assert matching_app.test_client().get("/matching/api/v1/certificates").status_code == 401
