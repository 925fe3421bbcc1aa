"""Plain, validated input data for a certificate: what the matching service hands this package.

Nothing here knows a database: the service loads its rows and builds these frozen dataclasses. Each
constructor checks its own values and raises `CertificateDataError` naming the field, so a bad row
can never become a signed credential.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from . import codes

# `B1-K1-W1`: basisdeel/profieldeel, kerntaak, werkproces (kwalificatiedossiers since 2016).
WERKPROCES_CODE = re.compile(r"^[BP]\d{1,2}-K\d{1,2}-W\d{1,2}$")
CREBO = re.compile(r"^\d{5}$")
SBB_LEERBEDRIJF_ID = re.compile(r"^\d{1,12}$")
# Initials only: one capital letter (or the Dutch digraphs IJ/Ch/Chr/Ph/Th) and a full stop, at most
# six times. A first name ("Jan.") does not fit, so a full name cannot slip into a credential.
_INITIAL = r"(?:IJ|Chr|Ch|Ph|Th|[A-ZÀ-ÖØ-Þ])\."
INITIALS = re.compile(rf"^(?:{_INITIAL}){{1,6}}$")
# Profile and achievement ids are URIs: an http(s) URL, or a URN such as urn:uuid:...
URI = re.compile(r"^(?:https?://[^\s/$.?#][^\s]*|urn:[a-z0-9][a-z0-9-]{0,31}:[^\s]+)$", re.IGNORECASE)
HTTP_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
# The bitstring has STATUS_LIST_BITS entries (16 KB, the spec's minimum): index 0 .. BITS - 1.
STATUS_LIST_BITS = 131072


_MONTHS = ("januari", "februari", "maart", "april", "mei", "juni") + (
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


def dutch_date(day: date) -> str:
    """``2 juni 2025``: how a date is written in Dutch text and on a certificate."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


class CertificateDataError(ValueError):
    """A value that cannot go into a certificate; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def _text(value: str, name: str, maximum: int = 300) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CertificateDataError(name, "must be a non-empty text")
    if len(value) > maximum:
        raise CertificateDataError(name, f"at most {maximum} characters")
    return value.strip()


def _match(pattern: re.Pattern[str], value: str, name: str, explain: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise CertificateDataError(name, explain)
    return value


def validate_initials(value: str) -> str:
    """Initials such as ``J.A.`` or ``IJ.M.``; spaces between them are removed."""
    compacted = value.replace(" ", "") if isinstance(value, str) else value
    return _match(INITIALS, compacted, "initials", "only initials, such as J.A. (never a name)")


def validate_werkproces_code(value: str) -> str:
    return _match(WERKPROCES_CODE, value, "werkproces", "a werkproces code looks like B1-K1-W1")


def validate_crebo(value: str) -> str:
    return _match(CREBO, value, "crebo", "a crebo code has 5 digits")


@dataclass(frozen=True)
class Issuer:
    """Who issues the certificate (for a praktijkverklaring: the school, bevoegd gezag)."""

    id: str
    name: str

    def __post_init__(self) -> None:
        _match(URI, self.id, "issuer.id", "an http(s) URL or a URN")
        object.__setattr__(self, "name", _text(self.name, "issuer.name", 200))


@dataclass(frozen=True)
class Werkproces:
    """One werkproces of a kwalificatiedossier, by code and (optionally) its title."""

    code: str
    title: str = ""

    def __post_init__(self) -> None:
        validate_werkproces_code(self.code)
        if self.title:
            object.__setattr__(self, "title", _text(self.title, f"werkproces {self.code}", 200))

    @property
    def label(self) -> str:
        return f"{self.code} {self.title}" if self.title else self.code


# SBB's public page where anyone finds a kwalificatiedossier by its crebo code; used as the
# Alignment targetUrl unless the service knows a better link for the dossier.
KWALIFICATIEDOSSIERS_URL = "https://www.s-bb.nl/en/education/qualifications-and-diplomas"


@dataclass(frozen=True)
class Qualification:
    """The mbo qualification (kwalificatie) a praktijkverklaring refers to."""

    crebo: str
    name: str
    url: str = KWALIFICATIEDOSSIERS_URL

    def __post_init__(self) -> None:
        validate_crebo(self.crebo)
        object.__setattr__(self, "name", _text(self.name, "kwalificatie", 200))
        _match(HTTP_URL, self.url, "qualification.url", "an http(s) URL")


@dataclass(frozen=True)
class Achievement:
    """What was achieved, in plain Dutch; werkprocessen only for a praktijkverklaring."""

    kind: str
    name: str
    description: str
    criteria: str
    werkprocessen: tuple[Werkproces, ...] = ()
    qualification: Qualification | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", self.kind):
            raise CertificateDataError("kind", "a certificate code such as praktijkverklaring or vca_basis")
        object.__setattr__(self, "name", _text(self.name, "achievement.name", 200))
        object.__setattr__(self, "description", _text(self.description, "achievement.description", 1000))
        object.__setattr__(self, "criteria", _text(self.criteria, "achievement.criteria", 2000))
        object.__setattr__(self, "werkprocessen", tuple(self.werkprocessen))
        seen = [w.code for w in self.werkprocessen]
        if len(seen) != len(set(seen)):
            raise CertificateDataError("werkprocessen", "a werkproces is listed twice")
        if self.werkprocessen and self.qualification is None:
            raise CertificateDataError("qualification", "werkprocessen need the qualification they belong to")


@dataclass(frozen=True)
class CertificateRecord:
    """One issued certificate: everything the credential, the PDF and the public page show.

    `status_list` names the status list (a short slug, e.g. ``"1"``) and `status_index` the bit in
    it; the service allocates both once and never reuses an index.
    """

    verification_code: str
    initials: str
    issuer: Issuer
    achievement: Achievement
    issued: date | datetime
    status_list: str
    status_index: int
    valid_until: date | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "verification_code", codes.parse(self.verification_code))
        except codes.CodeError as exc:
            raise CertificateDataError("verification_code", str(exc)) from None
        object.__setattr__(self, "initials", validate_initials(self.initials))
        if isinstance(self.issued, datetime) and self.issued.tzinfo is None:
            raise CertificateDataError("issued", "a date, or a datetime with a time zone")
        if not isinstance(self.issued, date):
            raise CertificateDataError("issued", "a date, or a datetime with a time zone")
        if self.valid_until is not None and self.valid_until < self.issued_on:
            raise CertificateDataError("valid_until", "ends before the certificate was issued")
        _match(re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$"), self.status_list, "status_list", "a short slug")
        if type(self.status_index) is not int or not 0 <= self.status_index < STATUS_LIST_BITS:
            raise CertificateDataError("status_index", f"an integer from 0 to {STATUS_LIST_BITS - 1}")

    @property
    def issued_on(self) -> date:
        return self.issued.date() if isinstance(self.issued, datetime) else self.issued

    @property
    def valid_from(self) -> datetime:
        """The moment the credential is valid from, in UTC (a date counts from 00:00 UTC)."""
        if isinstance(self.issued, datetime):
            return self.issued.astimezone(UTC).replace(microsecond=0)
        return datetime(self.issued.year, self.issued.month, self.issued.day, tzinfo=UTC)


def praktijkverklaring(
    *,
    qualification: Qualification,
    werkprocessen: tuple[Werkproces, ...] | list[Werkproces],
    leerbedrijf: str,
    judged_on: date,
    school: str,
) -> Achievement:
    """The achievement of an mbo-erkende praktijkverklaring, with its texts in plain Dutch (B1)."""
    if not werkprocessen:
        raise CertificateDataError("werkprocessen", "a praktijkverklaring names at least one werkproces")
    leerbedrijf = _text(leerbedrijf, "leerbedrijf", 200)
    school = _text(school, "school", 200)
    listed = ", ".join(w.code for w in werkprocessen)
    return Achievement(
        kind="praktijkverklaring",
        name=f"Praktijkverklaring {qualification.name}",
        description=(
            f"Mbo-erkende praktijkverklaring van {school}. De houder kan de genoemde werkprocessen "
            f"uit het kwalificatiedossier {qualification.name} (crebo {qualification.crebo}) in de "
            "praktijk uitvoeren."
        ),
        criteria=(
            f"De praktijkopleider van leerbedrijf {leerbedrijf} heeft op {dutch_date(judged_on)} "
            f"beoordeeld dat de houder deze werkprocessen zelfstandig uitvoert: {listed}."
        ),
        werkprocessen=tuple(werkprocessen),
        qualification=qualification,
    )
