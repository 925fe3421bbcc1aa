"""Demo data for `instap run`: accounts with a generated password, then each service's own demo."""

from __future__ import annotations

import importlib
import secrets

from shared.auth.accounts import add_user, get_or_create_organisation
from shared.auth.hashing import hashing_for
from shared.auth.models import User
from shared.config import ConfigError, Settings
from shared.db import Database

DEMO_DOMAIN = "demo.instap.nl"
# (email local part, name, role, organisation, organisation kind)
DEMO_USERS = [
    ("coach", "Fatima el Amrani", "jobcoach", "Sociale Dienst Drechtsteden", "gemeente"),
    ("coach2", "Jeroen de Wit", "jobcoach", "Sociale Dienst Drechtsteden", "gemeente"),
    ("beheer", "Sanne Verhoeven", "beheerder", "Gemeente Dordrecht", "gemeente"),
    ("aannemer", "Mark Kuipers", "aannemer", "Demo Installatiebedrijf Dordt (demo)", "aannemer"),
    ("beroepentuin", "Ilse Bakker", "opleider", "De Beroepentuin", "opleider"),
    ("bureau", "Karim Bouzid", "programmabureau", "Programmabureau Dordt West", "programma"),
]
# Components whose demo seeders run after the accounts (import paths; order matters).
SEEDERS = [
    "services.intake.demo:seed",
    "services.matching.demo:seed",
    "services.matching.demo:seed_placements",
    "services.matching.demo_cohorts:seed",
    "services.rapportage.demo:seed",
]


def seed(settings: Settings, residents: int = 300) -> str:
    """Create demo accounts once (password generated and written to var/), then service data.

    Refused under INSTAP_ENV=production: the demo accounts share one password and one of them is
    a beheerder, which must never exist next to real residents' data.
    """
    if settings.env == "production":
        raise ConfigError("demo data is refused under INSTAP_ENV=production (shared demo passwords)")
    accounts = Database(settings.database_url("accounts"), "accounts")
    logins_file = settings.data_dir / "demo-logins.txt"
    lines = []
    try:
        with accounts.unit_of_work() as s:
            existing = s.query(User).filter(User.email.like(f"%@{DEMO_DOMAIN}")).count()
            if existing == 0:
                password = "demo-" + secrets.token_urlsafe(9)
                for local, name, role, org, kind in DEMO_USERS:
                    organisation = get_or_create_organisation(s, org, kind)
                    add_user(
                        s,
                        email=f"{local}@{DEMO_DOMAIN}",
                        name=name,
                        password=password,
                        role=role,
                        organisation=organisation,
                        hashing=hashing_for(settings),
                    )
                    lines.append(f"    {role:<16} {local + '@' + DEMO_DOMAIN:<30} wachtwoord: {password}")
                settings.data_dir.mkdir(parents=True, exist_ok=True)
                logins_file.write_text("\n".join(lines) + "\n")
                logins_file.chmod(0o600)
    finally:
        accounts.dispose()
    reports = []
    for path in SEEDERS:
        module, attr = path.split(":")
        reports.append(getattr(importlib.import_module(module), attr)(settings, residents=residents))
    return "demo data: " + "; ".join(reports)
