"""Completing an enrolment issues its praktijkverklaring (and other certificates earned on the
way); certificates are found by their verification code and can be revoked with a reason.

The rows hold plain data; `record()` turns one into the framework-free `CertificateRecord` of
services/matching/credentials, which signs it, lists its revocation and prints it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from services.matching.credentials import (
    Achievement,
    CertificateRecord,
    CodeError,
    CredentialUrls,
    Issuer,
    KeyStore,
    Qualification,
    Werkproces,
    allocate_index,
    generate,
    issue_status_list,
    parse,
    praktijkverklaring,
)
from services.matching.credentials.model import CertificateDataError, dutch_date, validate_initials
from services.matching.domain import enrolments
from services.matching.domain.events import publish_certificate, publish_enrolment
from services.matching.models import Certificate, Enrolment, TrainingSlot
from shared import clock, reference
from shared.auth.accounts import Principal
from shared.auth.roles import BEHEERDER, OPLEIDER
from shared.db import utcnow
from shared.errors import Conflict, Forbidden, Invalid, NotFound

PRAKTIJKVERKLARING = "praktijkverklaring"
STATUS_LIST = "1"
REVOKE_REASONS = ("fout_in_gegevens", "ten_onrechte_uitgegeven", "fraude", "op_verzoek_houder")
NOT_FOUND = "Er is geen certificaat met deze code. Kijk of u de code goed heeft overgenomen."
PROGRAMME = "Programmabureau Dordt West"


def _invalid(errors: dict[str, list[str]]) -> Invalid:
    return Invalid("Niet alle gegevens zijn goed ingevuld.", errors)


# --- the data of a completion ------------------------------------------------------------------


@dataclass(frozen=True)
class Completion:
    """What the trainer records once for a praktijkverklaring (already checked by the schema)."""

    school: str
    leerbedrijf: str
    sbb_id: str
    crebo: str
    kwalificatie: str
    werkprocessen: tuple[str, ...]
    judged_on: date
    others: tuple[dict[str, Any], ...] = ()  # {code, obtained_on, valid_until, issuer}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Completion:
        return cls(
            school=data["school"],
            leerbedrijf=data["leerbedrijf"],
            sbb_id=data["sbb_id"],
            crebo=data["crebo"],
            kwalificatie=data["kwalificatie"],
            werkprocessen=tuple(data["werkprocessen"]),
            judged_on=data["judged_on"],
            others=tuple(data.get("other_certificates") or ()),
        )


def check_completion(slot: TrainingSlot, completion: Completion) -> None:
    """Rules that need the slot: the werkprocessen it teaches, dates, other certificates."""
    errors: dict[str, list[str]] = {}
    taught = set(slot.werkprocessen or [])
    not_taught = [w for w in completion.werkprocessen if w not in taught]
    if not_taught:
        errors["werkprocessen"] = [
            "Deze opleiding leert niet: "
            + ", ".join(not_taught)
            + ". Kies uit: "
            + (", ".join(taught) or "geen")
            + "."
        ]
    if completion.judged_on > clock.today():
        errors["judged_on"] = ["De beoordeling ligt in de toekomst. Vul de datum van de beoordeling in."]
    known = set(reference.codes("certificates")) - {PRAKTIJKVERKLARING}
    seen: set[str] = set()
    for i, other in enumerate(completion.others):
        code = other["code"]
        if code not in known:
            errors[f"other_certificates.{i}.code"] = ["Kies een certificaat uit de lijst."]
        if code in seen:
            errors[f"other_certificates.{i}.code"] = ["Dit certificaat staat er twee keer in."]
        seen.add(code)
        if other["obtained_on"] > clock.today():
            errors[f"other_certificates.{i}.obtained_on"] = ["Deze datum ligt in de toekomst."]
        if other.get("valid_until") and other["valid_until"] < other["obtained_on"]:
            errors[f"other_certificates.{i}.valid_until"] = ["De einddatum ligt voor de datum van behalen."]
    if errors:
        raise _invalid(errors)


def _valid_until(code: str, obtained_on: date, given: date | None) -> date | None:
    if given is not None:
        return given
    years = next((c.get("valid_years") for c in reference.data()["certificates"] if c["code"] == code), None)
    if not years:
        return None
    try:
        return obtained_on.replace(year=obtained_on.year + years) - timedelta(days=1)
    except ValueError:  # 29 February
        return obtained_on.replace(year=obtained_on.year + years, day=28) - timedelta(days=1)


def _taken_indexes(session: Session) -> set[int]:
    return set(
        session.scalars(select(Certificate.status_index).where(Certificate.status_list == STATUS_LIST))
    )


def _add(session: Session, certificate: Certificate, taken: set[int]) -> Certificate:
    """Insert with a fresh code and a free status bit. The unique constraints turn the rare
    collision (two issuers taking one bit at the same moment; a code 1 in 10^12) into an
    IntegrityError: a 409 "try again" and nothing written, never a duplicate."""
    certificate.verification_code = generate()
    certificate.status_index = allocate_index(taken)
    session.add(certificate)
    session.flush()
    taken.add(certificate.status_index)
    return certificate


def complete(
    session: Session, principal: Principal, enrolment: Enrolment, completion: Completion, initials: str
) -> list[Certificate]:
    """Afronden: the enrolment becomes `afgerond` and its certificates are issued, or (any error)
    nothing is written: the caller's transaction is rolled back."""
    enrolments._owner(principal, enrolment)
    if enrolment.status != "opleiding":
        raise Conflict(
            "Alleen iemand die in de opleiding zit, kan afronden (status: " + enrolment.status + ")."
        )
    slot = enrolment.slot
    check_completion(slot, completion)
    enrolments.check_date(enrolment, completion.judged_on, "judged_on")
    try:
        initials = validate_initials(initials)
    except CertificateDataError:
        raise _invalid({"initials": ["Vul alleen voorletters in, zoals J.A."]}) from None
    issued_on = clock.today()
    taken = _taken_indexes(session)
    issued = [
        _add(
            session,
            Certificate(
                kind=PRAKTIJKVERKLARING,
                programme_id=enrolment.programme_id,
                enrolment_id=enrolment.id,
                organisation_id=slot.organisation_id,
                initials=initials,
                issuer_name=completion.school,
                leerbedrijf=completion.leerbedrijf,
                sbb_id=completion.sbb_id,
                crebo=completion.crebo,
                kwalificatie=completion.kwalificatie,
                werkprocessen=list(completion.werkprocessen),
                judged_on=completion.judged_on,
                issued_on=issued_on,
                status_list=STATUS_LIST,
                created_at=utcnow(),
            ),
            taken,
        )
    ]
    for other in completion.others:
        issued.append(
            _add(
                session,
                Certificate(
                    kind=other["code"],
                    programme_id=enrolment.programme_id,
                    enrolment_id=enrolment.id,
                    organisation_id=slot.organisation_id,
                    initials=initials,
                    issuer_name=other.get("issuer") or completion.school,
                    leerbedrijf=completion.leerbedrijf,
                    werkprocessen=[],
                    judged_on=other["obtained_on"],
                    issued_on=issued_on,
                    valid_until=_valid_until(other["code"], other["obtained_on"], other.get("valid_until")),
                    status_list=STATUS_LIST,
                    created_at=utcnow(),
                ),
                taken,
            )
        )
    enrolment.status = "afgerond"
    enrolment.ended_on = completion.judged_on
    enrolment.reason_code = None
    enrolment.updated_at = utcnow()
    session.flush()
    publish_enrolment(session, enrolment)
    for certificate in issued:
        publish_certificate(session, certificate, slot.name)
    return issued


# --- finding, listing, revoking ----------------------------------------------------------------


def visible(query: Select, principal: Principal) -> Select:
    """Staff list (contract): the trainer its own organisation's certificates, a beheerder all."""
    if principal.role == BEHEERDER:
        return query
    if principal.role == OPLEIDER:
        return query.where(Certificate.organisation_id == principal.organisation_id)
    raise Forbidden("U heeft met uw rol geen toegang tot certificaten.")


def by_code(session: Session, code: str) -> Certificate:
    """The certificate with this code. An unknown code and a wrong check character get the same
    404, so the answer never hints that a similar code exists."""
    try:
        compact = parse(code)
    except CodeError:
        raise NotFound(NOT_FOUND) from None
    certificate = session.scalar(select(Certificate).where(Certificate.verification_code == compact))
    if certificate is None:
        raise NotFound(NOT_FOUND)
    return certificate


def revoke(session: Session, principal: Principal, certificate: Certificate, reason: str) -> Certificate:
    if principal.role not in (OPLEIDER, BEHEERDER):
        raise Forbidden("Alleen de opleider of een beheerder trekt een certificaat in.")
    if principal.role == OPLEIDER and certificate.organisation_id != principal.organisation_id:
        raise NotFound(NOT_FOUND)
    if reason not in REVOKE_REASONS:
        raise _invalid({"reason": ["Kies een reden uit de lijst."]})
    if certificate.revoked_at is not None:
        raise Conflict("Dit certificaat is al ingetrokken.")
    certificate.revoked_at = utcnow()
    certificate.revoked_reason = reason
    session.flush()
    enrolment = session.get(Enrolment, certificate.enrolment_id) if certificate.enrolment_id else None
    publish_certificate(session, certificate, enrolment.slot.name if enrolment else None)
    return certificate


def revoked_indexes(session: Session, slug: str) -> list[int]:
    return list(
        session.scalars(
            select(Certificate.status_index).where(
                Certificate.status_list == slug, Certificate.revoked_at.is_not(None)
            )
        )
    )


def status_lists(session: Session) -> set[str]:
    return set(session.scalars(select(Certificate.status_list).distinct())) | {STATUS_LIST}


# --- into the credential core --------------------------------------------------------------------


def _other_achievement(certificate: Certificate) -> Achievement:
    name = next(
        (c["name"] for c in reference.data()["certificates"] if c["code"] == certificate.kind),
        certificate.kind,
    )
    obtained = certificate.judged_on or certificate.issued_on
    until = f" Geldig tot en met {dutch_date(certificate.valid_until)}." if certificate.valid_until else ""
    return Achievement(
        kind=certificate.kind,
        name=f"Certificaat {name}",
        description=f"De houder heeft het certificaat {name} behaald.",
        criteria=f"Behaald op {dutch_date(obtained)} tijdens een leerwerktraject.{until}",
    )


def record(certificate: Certificate, urls: CredentialUrls) -> CertificateRecord:
    if certificate.kind == PRAKTIJKVERKLARING:
        assert certificate.crebo and certificate.kwalificatie and certificate.judged_on
        achievement = praktijkverklaring(
            qualification=Qualification(certificate.crebo, certificate.kwalificatie),
            werkprocessen=[Werkproces(code) for code in certificate.werkprocessen],
            leerbedrijf=certificate.leerbedrijf or "",
            judged_on=certificate.judged_on,
            school=certificate.issuer_name,
        )
    else:
        achievement = _other_achievement(certificate)
    return CertificateRecord(
        verification_code=certificate.verification_code,
        initials=certificate.initials,
        issuer=Issuer(
            urls.organisation_profile_id(f"issuer:{certificate.issuer_name}"), certificate.issuer_name
        ),
        achievement=achievement,
        issued=certificate.issued_on,
        status_list=certificate.status_list,
        status_index=certificate.status_index,
        valid_until=certificate.valid_until,
    )


def status_list_token(session: Session, slug: str, urls: CredentialUrls, keys: KeyStore) -> str:
    if slug not in status_lists(session):
        raise NotFound("Deze statuslijst bestaat niet.")
    programme = Issuer(urls.organisation_profile_id("programmabureau"), PROGRAMME)
    return issue_status_list(
        slug=slug, revoked=revoked_indexes(session, slug), issuer=programme, urls=urls, keys=keys
    )


def as_dict(certificate: Certificate, urls: CredentialUrls) -> dict[str, Any]:
    return {
        "id": certificate.id,
        "verification_code": certificate.verification_code,
        "verification_url": urls.verification_page(certificate.verification_code),
        "kind": certificate.kind,
        "status": "revoked" if certificate.revoked_at else "valid",
        "issued_on": certificate.issued_on,
        "valid_until": certificate.valid_until,
        "initials": certificate.initials,
        "issuer": certificate.issuer_name,
        "crebo": certificate.crebo,
        "kwalificatie": certificate.kwalificatie,
        "werkprocessen": list(certificate.werkprocessen or []),
        "programme_id": certificate.programme_id,
        "enrolment_id": certificate.enrolment_id,
        "revoked_at": certificate.revoked_at,
        "revoked_reason": certificate.revoked_reason,
    }
